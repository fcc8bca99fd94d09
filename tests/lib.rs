//! Helpers for the end-to-end tests: find dockerd and the frontend image, run `docker buildx
//! build` and `docker run` (loopback and `--network none|host` only), and clean up after.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What an e2e test needs; `None` means "skip" (printed), except under `E2E=1`, where a missing
/// piece is a failure so CI can never pass by skipping.
pub struct Env {
    /// The docker CLI (Debian's, whose buildx is 0.13.1).
    pub docker: String,
    /// `localhost:5000/fleet-frontend@sha256:...` from hack/frontend-image.sh.
    pub frontend: String,
}

/// The e2e environment, or `None` after printing why the test is skipped.
pub fn env() -> Option<Env> {
    let required = std::env::var("E2E").is_ok_and(|v| v == "1");
    let docker = std::env::var("DOCKER").unwrap_or_else(|_| {
        if Path::new("/usr/bin/docker").exists() {
            "/usr/bin/docker".into()
        } else {
            "docker".into()
        }
    });
    let problem = if !Command::new(&docker)
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        Some(format!("no dockerd reachable with `{docker} info` (run hack/dev-env.sh)"))
    } else if std::env::var("FLEET_FRONTEND_REF").map_or(true, |r| r.is_empty()) {
        Some("FLEET_FRONTEND_REF is not set (hack/test.sh sets it from hack/frontend-image.sh)".into())
    } else {
        None
    };
    match problem {
        Some(p) if required => panic!("E2E=1 but {p}"),
        Some(p) => {
            eprintln!("SKIPPED e2e: {p}; run hack/test.sh (or E2E=1 with dockerd up) to run it");
            None
        }
        None => Some(Env { docker, frontend: std::env::var("FLEET_FRONTEND_REF").unwrap_or_default() }),
    }
}

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

static DAEMON: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// Held by tests that only build: many at once.
pub fn shared() -> std::sync::RwLockReadGuard<'static, ()> {
    DAEMON.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Held by tests that prune the build cache: alone, so they cannot disturb other builds.
pub fn exclusive() -> std::sync::RwLockWriteGuard<'static, ()> {
    DAEMON.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new, empty directory named after `tag`.
    pub fn new(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "fleet-e2e-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        Self(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Copies a directory tree.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let dest = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).expect("copy");
        }
    }
}

/// Output of a finished command, stdout and stderr together.
pub struct Run {
    /// Exit success.
    pub ok: bool,
    /// stdout then stderr.
    pub text: String,
}

/// Runs `cmd`, capturing everything.
pub fn run(cmd: &mut Command) -> Run {
    let out: Output = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    Run { ok: out.status.success(), text }
}

impl Env {
    /// `docker buildx build --progress=plain --network=none -f MANIFEST [extra] CONTEXT`.
    pub fn build(&self, manifest: &Path, context: &Path, extra: &[&str]) -> Run {
        let mut c = Command::new(&self.docker);
        c.args(["buildx", "build", "--progress=plain", "--network=none", "-f"]).arg(manifest);
        c.args(extra).arg(context);
        run(&mut c)
    }

    /// `docker ARGS`, asserting success; returns stdout+stderr.
    pub fn docker_ok(&self, args: &[&str]) -> String {
        let r = run(Command::new(&self.docker).args(args));
        assert!(r.ok, "docker {args:?} failed:\n{}", r.text);
        r.text
    }

    /// `docker inspect --format FORMAT NAME`.
    pub fn inspect(&self, name: &str, format: &str) -> String {
        self.docker_ok(&["inspect", "--format", format, name]).trim().to_string()
    }
}

/// A running container, removed on drop.
pub struct Container<'a> {
    /// Its name.
    pub name: String,
    env: &'a Env,
}

impl<'a> Container<'a> {
    /// `docker run -d --network host IMAGE` (services bind 127.0.0.1 only).
    pub fn start(env: &'a Env, name: &str, image: &str) -> Self {
        let _ = run(Command::new(&env.docker).args(["rm", "-f", name]));
        env.docker_ok(&["run", "-d", "--name", name, "--network", "host", image]);
        Self { name: name.to_string(), env }
    }
}

impl Drop for Container<'_> {
    fn drop(&mut self) {
        let _ = run(Command::new(&self.env.docker).args(["rm", "-f", &self.name]));
    }
}

/// `GET http://127.0.0.1:PORT/PATH` with std only; `(status, body)`.
pub fn http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
    let mut resp = String::new();
    s.read_to_string(&mut resp)?;
    let status = resp.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = resp.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body))
}

/// Polls `f` every 200 ms until it returns `Some` or `timeout` passes (a bounded wait for a
/// container to come up, not a speed assertion).
pub fn wait_for<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
