//! Helpers shared by the modules of the one e2e test binary (tests/e2e/main.rs): find dockerd and
//! the frontend image, build with `docker buildx build` (loopback and `--network none|host` only),
//! then inspect or run what was built, and clean up after.

pub mod daemon;
pub mod mirror;
pub mod oci;
pub mod rawjson;

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

/// The CLI binary `cargo test --workspace` built next to the tests.
pub fn frontend_bin() -> PathBuf {
    let target_dir = std::env::var("CARGO_TARGET_DIR").map_or_else(|_| root().join("target"), PathBuf::from);
    target_dir.join("debug/fleet-frontend")
}

/// A copy of `examples/NAME` in a fresh temp dir.
pub fn example(name: &str, tag: &str) -> TempDir {
    let dir = TempDir::new(tag);
    copy_tree(&root().join("examples").join(name), &dir.0);
    dir
}

/// A copy of `examples/NAME` whose `fleet.toml` is rewritten by `edit`.
pub fn example_variant(name: &str, tag: &str, edit: impl FnOnce(String) -> String) -> TempDir {
    let dir = example(name, tag);
    let path = dir.0.join("fleet.toml");
    let text = std::fs::read_to_string(&path).expect("read example manifest");
    std::fs::write(&path, edit(text)).expect("write manifest");
    dir
}

/// `--network` of a build: none, or host for steps that need a package registry.
#[derive(Clone, Copy)]
pub enum Net {
    /// `--network=none`.
    None,
    /// `--network=host` (apt, PyPI).
    Host,
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
    /// `BUILDKIT_SYNTAX=<frontend>`: the build arg that selects our frontend.
    pub fn syntax_arg(&self) -> String {
        format!("BUILDKIT_SYNTAX={}", self.frontend)
    }

    /// `docker buildx build --progress=plain --network=NET -f MANIFEST`, for callers that add
    /// environment, flags and the context themselves.
    pub fn buildx(&self, net: Net, manifest: &Path) -> Command {
        let net = match net {
            Net::None => "--network=none",
            Net::Host => "--network=host",
        };
        let mut c = Command::new(&self.docker);
        c.args(["buildx", "build", "--progress=plain", net, "-f"]).arg(manifest);
        c
    }

    /// `docker buildx build --progress=plain --network=none -f MANIFEST [extra] CONTEXT`.
    pub fn build(&self, manifest: &Path, context: &Path, extra: &[&str]) -> Run {
        run(self.buildx(Net::None, manifest).args(extra).arg(context))
    }

    /// [`Env::build_on`] with `--network=none`.
    pub fn build_target(&self, manifest: &Path, context: &Path, target: &str, extra: &[&str]) -> Run {
        self.build_on(Net::None, manifest, context, target, extra)
    }

    /// Builds `--target TARGET` of MANIFEST with our frontend (`BUILDKIT_SYNTAX`), `extra` flags.
    pub fn build_on(&self, net: Net, manifest: &Path, context: &Path, target: &str, extra: &[&str]) -> Run {
        let mut c = self.buildx(net, manifest);
        c.args(["--target", target, "--build-arg", &self.syntax_arg()]).args(extra).arg(context);
        run(&mut c)
    }

    /// True when `docker image inspect NAME` finds an image.
    pub fn image_exists(&self, name: &str) -> bool {
        run(Command::new(&self.docker).args(["image", "inspect", name])).ok
    }

    /// `python3 -c CODE` in `image` with no network, as the image's user; its output.
    pub fn python(&self, image: &str, code: &str) -> String {
        self.docker_ok(&["run", "--rm", "--network", "none", "--entrypoint", "python3", image, "-c", code])
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

impl Container<'_> {
    /// The body of `GET /health` on `port` once it answers 200 (within 30 s); panics with the
    /// container's logs when it never does.
    pub fn health(&self, port: u16) -> String {
        let ok = wait_for(Duration::from_secs(30), || http_get(port, "/health").ok().filter(|(s, _)| *s == 200));
        match ok {
            Some((_, body)) => body,
            None => panic!("/health never answered 200; logs:\n{}", self.env.docker_ok(&["logs", &self.name])),
        }
    }

    /// [`Container::health`], asserting the contract's `{"status": "ok"}` body.
    pub fn assert_health_ok(&self, port: u16) {
        let body = self.health(port);
        let json: serde_json::Value = serde_json::from_str(&body).expect("health body is JSON");
        assert_eq!(json, serde_json::json!({"status": "ok"}));
    }

    /// `docker exec NAME ARGS`, asserting success.
    pub fn exec(&self, args: &[&str]) -> String {
        self.env.docker_ok(&[&["exec", self.name.as_str()][..], args].concat())
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

/// Ids of the vertices of plain progress whose name contains `needle`, with that name.
fn vertices<'t>(progress: &'t str, needle: &str) -> std::collections::BTreeMap<&'t str, &'t str> {
    progress
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(id, rest)| id.starts_with('#') && rest.contains(needle))
        .collect()
}

/// True when plain progress shows a vertex whose name contains `step` as CACHED.
pub fn cached(progress: &str, step: &str) -> bool {
    vertices(progress, step).keys().any(|id| progress.lines().any(|l| l.trim() == format!("{id} CACHED")))
}

/// Names of the vertices of plain progress containing `needle` that ran (were not `CACHED`).
pub fn ran(progress: &str, needle: &str) -> Vec<String> {
    vertices(progress, needle)
        .into_iter()
        .filter(|(id, _)| !progress.lines().any(|l| l.trim() == format!("{id} CACHED")))
        .map(|(_, n)| n.to_string())
        .collect()
}
