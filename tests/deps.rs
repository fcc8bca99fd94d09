//! End-to-end: hash-pinned dependencies through real BuildKit. The locked wheels are served by a
//! stdlib HTTP server on 127.0.0.1 (fetched once from PyPI into a cache dir); BuildKit fetches
//! them as checksummed HTTP sources, and the install step has no network.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fleet_e2e::{copy_tree, env, http_get, root, run, shared, wait_for, Container, Env, TempDir};
use llb_graphs::diag::SourceFile;
use llb_graphs::lock::{self, Libc, Platform, TargetEnv};

#[path = "deps_uv.rs"]
mod uv;

/// `(file name, URL)` of every artifact the lock selects for CPython 3.11 on linux/amd64.
fn artifacts(lock_path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(lock_path).expect("read lock");
    let name = lock_path.file_name().and_then(|n| n.to_str()).unwrap_or("uv.lock");
    let f = SourceFile::new(name, text);
    let l = lock::parse(&f).expect("lock parses");
    let env = TargetEnv { python: (3, 11), platform: Platform::LinuxAmd64, libc: Libc::Glibc(2, 28) };
    let sel = lock::select(&l, &f, &env, &lock::Selection::default()).expect("lock selects");
    sel.into_iter().map(|s| (s.artifact.filename, s.artifact.url.expect("url"))).collect()
}

/// The wheels of `lock_path` in a persistent cache dir (downloaded from PyPI on first use).
fn wheel_cache(lock_path: &Path) -> PathBuf {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = std::env::var("FLEET_STATE_DIR")
        .map_or_else(|_| PathBuf::from("/var/lib/fleet-dev"), PathBuf::from)
        .join("wheels");
    std::fs::create_dir_all(&dir).expect("wheel cache dir");
    for (file, url) in artifacts(lock_path) {
        if dir.join(&file).exists() {
            continue;
        }
        let tmp = dir.join(format!("{file}.part"));
        let ok = Command::new("curl")
            .args(["-fsSL", "--retry", "3", "-o"])
            .arg(&tmp)
            .arg(&url)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "download {url}");
        std::fs::rename(&tmp, dir.join(&file)).expect("rename");
    }
    dir
}

/// A `python3 -m http.server` on 127.0.0.1 serving `dir`, with its access log collected.
struct Mirror {
    child: Child,
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

impl Mirror {
    fn start(dir: &Path) -> Self {
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

    fn url(&self) -> String {
        format!("FLEET_ARTIFACT_MIRROR=http://127.0.0.1:{}/", self.port)
    }

    /// File names fetched since the last call.
    fn take_fetched(&self) -> Vec<String> {
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

fn web_copy(tag: &str) -> TempDir {
    let dir = TempDir::new(tag);
    copy_tree(&root().join("examples/web"), &dir.0);
    dir
}

fn build(e: &Env, dir: &Path, extra: &[&str]) -> fleet_e2e::Run {
    let syntax = format!("BUILDKIT_SYNTAX={}", e.frontend);
    let mut args = vec!["--target", "web", "--build-arg", &syntax];
    args.extend_from_slice(extra);
    e.build(&dir.join("fleet.toml"), dir, &args)
}

#[test]
fn locked_wheels_are_fetched_checked_and_installed_without_network() {
    let Some(e) = env() else { return };
    let _d = shared();
    let dir = web_copy("web");
    let mirror = Mirror::start(&wheel_cache(&dir.0.join("uv.lock")));
    let image = format!("fleet-e2e/web:{}", std::process::id());
    let r = build(&e, &dir.0, &["--build-arg", &mirror.url(), "--load", "-t", &image]);
    assert!(r.ok, "{}", r.text);
    assert!(r.text.contains("[web] uv install bucket-"), "{}", r.text);
    assert!(r.text.contains("[web] fetch fastapi-"), "{}", r.text);
    let c = Container::start(&e, &format!("fleet-e2e-web-{}", std::process::id()), &image);
    let health = wait_for(Duration::from_secs(30), || http_get(18181, "/health").ok().filter(|(s, _)| *s == 200));
    assert!(health.is_some(), "no /health; logs:\n{}", e.docker_ok(&["logs", &c.name]));
    let (status, body) = wait_for(Duration::from_secs(30), || http_get(18180, "/").ok().filter(|(s, _)| *s == 200))
        .unwrap_or_else(|| panic!("no FastAPI answer; logs:\n{}", e.docker_ok(&["logs", &c.name])));
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["uid"], 10001);
    assert!(v["pydantic"].as_str().is_some_and(|p| p.starts_with("2.")), "{body}");
    // Only the install prefix reaches the image: no wheels, no pip cache.
    let leftovers = e.docker_ok(&[
        "exec",
        &c.name,
        "sh",
        "-c",
        "find /opt /app /root /tmp -name '*.whl' 2>/dev/null | head -3; ls /root/.cache 2>/dev/null | head -1",
    ]);
    assert!(leftovers.trim().is_empty(), "wheels or caches in the image: {leftovers}");
    drop(c);
    let _ = e.docker_ok(&["rmi", "-f", &image]);
}

#[test]
fn a_wheel_whose_bytes_differ_from_the_lock_fails_the_build() {
    let Some(e) = env() else { return };
    // Alone: BuildKit keys an HTTP source with a checksum by that checksum, so a concurrent
    // build fetching the genuine wheel would be merged with this failing fetch.
    let _d = fleet_e2e::exclusive();
    let dir = web_copy("tampered");
    let cache = wheel_cache(&dir.0.join("uv.lock"));
    let served = TempDir::new("tampered-wheels");
    copy_tree(&cache, &served.0);
    let victim = std::fs::read_dir(&served.0)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
        .find(|n| n.starts_with("idna-"))
        .expect("idna wheel");
    let mut bytes = std::fs::read(served.0.join(&victim)).expect("read");
    bytes.extend_from_slice(b"tampered");
    std::fs::write(served.0.join(&victim), bytes).expect("write");
    let mirror = Mirror::start(&served.0);
    let image = format!("fleet-e2e/tampered:{}", std::process::id());
    let r = build(&e, &dir.0, &["--build-arg", &mirror.url(), "--no-cache", "--load", "-t", &image]);
    assert!(!r.ok, "{}", r.text);
    assert!(r.text.contains(&victim) || r.text.contains("idna"), "the message names the package:\n{}", r.text);
    assert!(r.text.to_lowercase().contains("digest") || r.text.contains("checksum"), "{}", r.text);
    let none = run(Command::new(&e.docker).args(["image", "inspect", &image]));
    assert!(!none.ok, "no image may be produced");
}

#[test]
fn adding_one_package_fetches_only_that_artifact() {
    let Some(e) = env() else { return };
    let _d = shared();
    let dir = web_copy("add-one");
    let full = std::fs::read_to_string(dir.0.join("uv.lock")).expect("lock");
    let mirror = Mirror::start(&wheel_cache(&dir.0.join("uv.lock")));
    // The same lock without one leaf package: its [[package]] block and the edges to it removed
    // (the lock is walked as a graph: an edge to a missing package is an error).
    let without: String = full
        .split("\n[[package]]\n")
        .filter(|b| !b.starts_with("name = \"typing-inspection\""))
        .collect::<Vec<_>>()
        .join("\n[[package]]\n")
        .lines()
        .filter(|l| l.trim() != "{ name = \"typing-inspection\" },")
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(without, full);
    std::fs::write(dir.0.join("uv.lock"), &without).expect("write");
    let r = build(&e, &dir.0, &["--build-arg", &mirror.url()]);
    assert!(r.ok, "{}", r.text);
    mirror.take_fetched();
    std::fs::write(dir.0.join("uv.lock"), &full).expect("write");
    let r = build(&e, &dir.0, &["--build-arg", &mirror.url()]);
    assert!(r.ok, "{}", r.text);
    let fetched = mirror.take_fetched();
    assert!(
        fetched.iter().all(|f| f.starts_with("typing_inspection-")),
        "re-fetched more than the new wheel: {fetched:?}"
    );
    assert!(r.text.contains("[web] fetch typing_inspection-"), "{}", r.text);
}

#[test]
fn an_unhashed_requirement_fails_before_any_download_at_its_line() {
    let Some(e) = env() else { return };
    let _d = shared();
    let dir = web_copy("unhashed");
    std::fs::write(dir.0.join("requirements.txt"), "# pinned by hand\nsix==1.16.0\n").expect("write");
    let text = std::fs::read_to_string(dir.0.join("fleet.toml"))
        .expect("read")
        .replace("lock = \"uv.lock\"", "lock = \"requirements.txt\"");
    std::fs::write(dir.0.join("fleet.toml"), text).expect("write");
    let mirror = Mirror::start(&TempDir::new("empty-mirror").0);
    let r = build(&e, &dir.0, &["--build-arg", &mirror.url()]);
    assert!(!r.ok, "{}", r.text);
    assert!(r.text.contains("requirements.txt:2"), "{}", r.text);
    assert!(r.text.contains(">>> six==1.16.0"), "box on the lockfile line:\n{}", r.text);
    assert!(r.text.contains(">>> lock = \"requirements.txt\""), "note at the manifest key:\n{}", r.text);
    assert!(mirror.take_fetched().is_empty(), "nothing may be downloaded");
}

/// A PEP 503 "simple" index on loopback: `simple/<name>/<wheel>`, listed by http.server.
fn simple_index(wheels: &[PathBuf]) -> (TempDir, Vec<(String, String, String)>) {
    let dir = TempDir::new("simple");
    let mut pins = vec![];
    for w in wheels {
        let file = w.file_name().and_then(|f| f.to_str()).expect("name").to_string();
        let mut parts = file.split('-');
        let (name, version) =
            (parts.next().expect("name").replace('_', "-").to_lowercase(), parts.next().expect("version").to_string());
        let pkg = dir.0.join("simple").join(&name);
        std::fs::create_dir_all(&pkg).expect("mkdir");
        std::fs::copy(w, pkg.join(&file)).expect("copy");
        let sum = run(Command::new("sha256sum").arg(w));
        let hash = sum.text.split_whitespace().next().expect("sha256").to_string();
        pins.push((name, version, hash));
    }
    (dir, pins)
}

fn cached_wheels(prefixes: &[&str]) -> Vec<PathBuf> {
    let cache = wheel_cache(&root().join("examples/web/uv.lock"));
    prefixes
        .iter()
        .map(|p| {
            std::fs::read_dir(&cache)
                .expect("cache")
                .filter_map(Result::ok)
                .map(|e| e.path())
                .find(|f| f.file_name().is_some_and(|n| n.to_string_lossy().starts_with(p)))
                .unwrap_or_else(|| panic!("no {p} wheel in the cache"))
        })
        .collect()
}

/// examples/hello (a stdlib app) whose service locks `lock_name` holding `body`, with
/// `fleet_extra` added to `[fleet]`.
fn locked_service(tag: &str, fleet_extra: &str, lock_name: &str, body: &str) -> TempDir {
    let dir = TempDir::new(tag);
    copy_tree(&root().join("examples/hello"), &dir.0);
    let text = std::fs::read_to_string(dir.0.join("fleet.toml")).expect("read");
    let text = text
        .replace("[fleet]\n", &format!("[fleet]\n{fleet_extra}"))
        .replace("writable = [\"data\"]", &format!("lock = \"{lock_name}\""));
    std::fs::write(dir.0.join("fleet.toml"), text).expect("write");
    std::fs::write(dir.0.join(lock_name), body).expect("write");
    dir
}

fn requirements_service(tag: &str, fleet_extra: &str, body: &str) -> TempDir {
    locked_service(tag, fleet_extra, "requirements.txt", body)
}

/// `python3 -c CODE` in `image`, with no network.
fn python_in(e: &Env, image: &str, code: &str) -> String {
    e.docker_ok(&["run", "--rm", "--network", "none", "--entrypoint", "python3", image, "-c", code])
}

fn build_host(e: &Env, dir: &Path, extra: &[&str]) -> fleet_e2e::Run {
    let mut c = Command::new(&e.docker);
    c.args(["buildx", "build", "--progress=plain", "--network=host", "-f"]).arg(dir.join("fleet.toml"));
    c.args(["--target", "hello", "--build-arg", &format!("BUILDKIT_SYNTAX={}", e.frontend)]).args(extra).arg(dir);
    run(&mut c)
}

#[test]
fn a_requirements_file_without_urls_is_fetched_by_pip_with_hashes_checked() {
    let Some(e) = env() else { return };
    let _d = shared();
    let (index, pins) = simple_index(&cached_wheels(&["idna-", "h11-"]));
    let mirror = Mirror::start(&index.0);
    let mut body = format!("--index-url http://127.0.0.1:{}/simple\n", mirror.port);
    for (n, v, h) in &pins {
        body.push_str(&format!("{n}=={v} \\\n    --hash=sha256:{h}\n"));
    }
    let dir = requirements_service("pip-download", "", &body);
    // Without a network the frontend refuses up front, naming the fix.
    let r = e.build(
        &dir.0.join("fleet.toml"),
        &dir.0,
        &["--target", "hello", "--build-arg", &format!("BUILDKIT_SYNTAX={}", e.frontend)],
    );
    assert!(!r.ok && r.text.contains("build with --network=host"), "{}", r.text);
    let image = format!("fleet-e2e/pip-download:{}", std::process::id());
    let r = build_host(&e, &dir.0, &["--load", "-t", &image]);
    assert!(r.ok, "{}", r.text);
    // idna and h11 fall into two install groups: each downloads its own.
    let steps: std::collections::BTreeSet<&str> = r
        .text
        .lines()
        .filter_map(|l| l.split_once(' ').filter(|(_, n)| *n == "[hello] download 1 locked package (hash-checked)"))
        .map(|(id, _)| id)
        .collect();
    assert_eq!(steps.len(), 2, "{}", r.text);
    let fetched = mirror.take_fetched();
    assert!(fetched.iter().any(|f| f.contains("idna-")) && fetched.iter().any(|f| f.contains("h11-")), "{fetched:?}");
    let out = python_in(&e, &image, "import idna, h11; print(idna.__file__)");
    assert!(out.contains("/opt/fleet/site/idna/"), "{out}");
    let _ = e.docker_ok(&["rmi", "-f", &image]);
}

#[test]
fn a_private_index_secret_reaches_pip_but_no_layer_or_config() {
    let Some(e) = env() else { return };
    let _d = shared();
    let (index, pins) = simple_index(&cached_wheels(&["idna-"]));
    let mirror = Mirror::start(&index.0);
    let (n, v, h) = &pins[0];
    let dir = requirements_service("secret", "index_secret = \"pypi\"\n", &format!("{n}=={v} --hash=sha256:{h}\n"));
    let token = format!("s3cr3t-{}", std::process::id());
    let out = TempDir::new("secret-out");
    let dest = format!("type=oci,dest={}", out.0.join("img.tar").display());
    let mut c = Command::new(&e.docker);
    c.env("FLEET_TEST_PIP_INDEX", format!("http://fleet:{token}@127.0.0.1:{}/simple", mirror.port));
    c.args([
        "buildx",
        "build",
        "--progress=plain",
        "--network=host",
        "--no-cache",
        "--secret",
        "id=pypi,env=FLEET_TEST_PIP_INDEX",
        "-f",
    ]);
    c.arg(dir.0.join("fleet.toml")).args([
        "--target",
        "hello",
        "--build-arg",
        &format!("BUILDKIT_SYNTAX={}", e.frontend),
    ]);
    c.args(["--provenance=false", "-o", &dest]).arg(&dir.0);
    let r = run(&mut c);
    assert!(r.ok, "{}", r.text);
    assert!(mirror.take_fetched().iter().any(|f| f.contains("idna-")), "pip used the secret's index");
    // Every blob of the exported image, layers decompressed, must be free of the token.
    let x = TempDir::new("secret-x");
    assert!(run(Command::new("tar").arg("-xf").arg(out.0.join("img.tar")).arg("-C").arg(&x.0)).ok);
    let mut scanned = 0;
    for blob in std::fs::read_dir(x.0.join("blobs/sha256")).expect("blobs").filter_map(Result::ok) {
        let raw = std::fs::read(blob.path()).expect("blob");
        let plain = run(Command::new("sh").arg("-c").arg(format!(
            "gzip -dc '{}' 2>/dev/null || cat '{}'",
            blob.path().display(),
            blob.path().display()
        )));
        let haystack = format!("{}{}", String::from_utf8_lossy(&raw), plain.text);
        assert!(!haystack.contains(&token), "secret found in blob {}", blob.path().display());
        scanned += 1;
    }
    assert!(scanned >= 4, "scanned {scanned} blobs");
}

#[test]
fn an_sdist_only_package_is_built_offline_from_its_hash_checked_archive() {
    let Some(e) = env() else { return };
    let _d = shared();
    let lock = root().join("tests/fixtures/sdist/uv.lock");
    let mirror = Mirror::start(&wheel_cache(&lock));
    let dir = locked_service("sdist", "", "uv.lock", &std::fs::read_to_string(&lock).expect("read lock"));
    let image = format!("fleet-e2e/sdist:{}", std::process::id());
    let r = e.build(
        &dir.0.join("fleet.toml"),
        &dir.0,
        // --no-cache: the assertions below need the fetch and the build to happen now.
        &[
            "--target",
            "hello",
            "--no-cache",
            "--build-arg",
            &format!("BUILDKIT_SYNTAX={}", e.frontend),
            "--build-arg",
            &mirror.url(),
            "--load",
            "-t",
            &image,
        ],
    );
    assert!(r.ok, "{}", r.text);
    assert!(r.text.contains("[hello] build docopt 0.6.2 from its sdist (hash-checked)"), "{}", r.text);
    assert!(mirror.take_fetched().iter().any(|f| f == "docopt-0.6.2.tar.gz"), "the sdist came from the mirror");
    let out = python_in(&e, &image, "import docopt; print(docopt.__file__)");
    assert!(out.contains("/opt/fleet/site/docopt"), "{out}");
    let _ = e.docker_ok(&["rmi", "-f", &image]);
}
