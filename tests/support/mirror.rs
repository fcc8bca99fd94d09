//! Locked wheels on loopback: what a lock selects, a persistent cache of those wheels (fetched once
//! from PyPI), and a stdlib HTTP server on 127.0.0.1 serving a directory, with its access log.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use llb_graphs::diag::SourceFile;
use llb_graphs::lock::{self, Libc, Platform, TargetEnv};

use crate::{http_get, wait_for};

/// One artifact a lock selects.
pub struct Locked {
    /// Package name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// sha256 of the artifact, hex.
    pub sha256: String,
    /// The artifact's file name.
    pub filename: String,
    /// Where the lock says it comes from.
    pub url: String,
}

/// Every artifact the lock at `lock_path` selects for CPython 3.11 on linux/amd64 (glibc 2.28).
pub fn locked(lock_path: &Path) -> Vec<Locked> {
    let text = std::fs::read_to_string(lock_path).expect("read lock");
    let name = lock_path.file_name().and_then(|n| n.to_str()).unwrap_or("uv.lock");
    let f = SourceFile::new(name, text);
    let l = lock::parse(&f).expect("lock parses");
    let env = TargetEnv { python: (3, 11), platform: Platform::LinuxAmd64, libc: Libc::Glibc(2, 28) };
    let sel = lock::select(&l, &f, &env, &lock::Selection::default()).expect("lock selects");
    sel.into_iter()
        .map(|s| Locked {
            name: s.name,
            version: s.version,
            sha256: s.artifact.sha256,
            filename: s.artifact.filename,
            url: s.artifact.url.expect("url"),
        })
        .collect()
}

/// The wheels of `lock_path` in a persistent cache dir (downloaded from PyPI on first use).
pub fn wheel_cache(lock_path: &Path) -> PathBuf {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = std::env::var("FLEET_STATE_DIR")
        .map_or_else(|_| PathBuf::from("/var/lib/fleet-dev"), PathBuf::from)
        .join("wheels");
    std::fs::create_dir_all(&dir).expect("wheel cache dir");
    for a in locked(lock_path) {
        if dir.join(&a.filename).exists() {
            continue;
        }
        let tmp = dir.join(format!("{}.part", a.filename));
        let ok = Command::new("curl")
            .args(["-fsSL", "--retry", "3", "-o"])
            .arg(&tmp)
            .arg(&a.url)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "download {}", a.url);
        std::fs::rename(&tmp, dir.join(&a.filename)).expect("rename");
    }
    dir
}

/// A `python3 -m http.server` on 127.0.0.1 serving a directory, with its access log collected.
pub struct Mirror {
    child: Child,
    /// The port it listens on.
    pub port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

impl Mirror {
    /// Serves `dir`; returns once it answers.
    pub fn start(dir: &Path) -> Self {
        // The server binds port 0 itself and reports the port: no window in which two parallel
        // tests could pick the same port.
        const SERVE: &str = "import functools, http.server, sys\n\
            h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])\n\
            s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), h)\n\
            print(s.server_address[1], flush=True)\n\
            s.serve_forever()\n";
        let mut child = Command::new("python3")
            .args(["-c", SERVE])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start http.server");
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut first).expect("port line");
        let port: u16 = first.trim().parse().expect("port");
        let log = Arc::new(Mutex::new(vec![]));
        let (sink, stderr) = (log.clone(), child.stderr.take().expect("stderr"));
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().expect("log").push(line);
            }
        });
        wait_for(Duration::from_secs(10), || http_get(port, "/").ok()).expect("mirror up");
        log.lock().expect("log").clear();
        Self { child, port, log }
    }

    /// Serves the wheel cache of `lock_path` (see [`wheel_cache`]).
    pub fn of_lock(lock_path: &Path) -> Self {
        Self::start(&wheel_cache(lock_path))
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// The build arg that points the frontend's artifact fetches here.
    pub fn url(&self) -> String {
        format!("FLEET_ARTIFACT_MIRROR={}", self.base_url())
    }

    /// File names fetched since the last call.
    pub fn take_fetched(&self) -> Vec<String> {
        let mut log = self.log.lock().expect("log");
        let fetched = log
            .iter()
            .filter_map(|l| l.split("\"GET ").nth(1)?.split_whitespace().next())
            // `/` is the readiness probe of `start`, whose log line may land after its clear().
            .map(|path| path.trim_start_matches('/').to_string())
            .filter(|path| !path.is_empty())
            .collect();
        log.clear();
        fetched
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
