//! Through real `docker buildx build`: many builds at once, a client killed mid-build, and a
//! sample of the bad-input corpus (tests/bad-inputs/).
//!
//! Bounded: 8 concurrent builds and 8 sequential ones (each killed after 300 s), one killed client,
//! a handful of bad manifests. Every build uses `--network=none`; nothing leaves 127.0.0.1.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fleet_e2e::oci::Layout;
use fleet_e2e::{env, exclusive, root, run, shared, Env, TempDir};

/// Longest any single build may take before it is killed and the test fails.
const BUILD_TIMEOUT: Duration = Duration::from_secs(300);
/// How many services, and so concurrent builds.
const SERVICES: usize = 8;
/// Where the frontend binary lives in its image (images/frontend.toml `binary-path`); a gateway
/// container's process has exactly this argv.
const FRONTEND_ARGV0: &str = "/fleet-frontend";

/// A build started in its own process group (`docker` runs the buildx plugin as a child, so
/// killing the group is what kills "the client"), output going to a file.
struct Build {
    child: Child,
    log: PathBuf,
    started: Instant,
}

impl Build {
    fn start(e: &Env, args: &[String], log: PathBuf) -> Self {
        let out = fs::File::create(&log).expect("create build log");
        let err = out.try_clone().expect("dup log");
        let child = Command::new(&e.docker)
            .args(["buildx", "build", "--progress=plain"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .expect("start docker buildx build");
        Self { child, log, started: Instant::now() }
    }

    /// SIGKILL to the whole group (the docker CLI and its buildx plugin), by its id.
    fn kill_group(&mut self) {
        let pgid = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &pgid]).status();
        let _ = self.child.wait();
    }

    /// Waits up to [`BUILD_TIMEOUT`]; `(success, output, seconds)`.
    fn finish(mut self) -> (bool, String, f64) {
        let ok = loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                break s.success();
            }
            if self.started.elapsed() > BUILD_TIMEOUT {
                self.kill_group();
                panic!("build still running after {BUILD_TIMEOUT:?}:\n{}", self.output());
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        (ok, self.output(), self.started.elapsed().as_secs_f64())
    }

    fn output(&self) -> String {
        String::from_utf8_lossy(&fs::read(&self.log).unwrap_or_default()).into_owned()
    }
}

/// Pids of running gateway frontends (argv exactly `/fleet-frontend`, not a zombie); the CLI
/// binary that other tests run is `.../target/.../fleet-frontend` and does not match.
fn frontend_pids() -> BTreeSet<u32> {
    let Ok(dir) = fs::read_dir("/proc") else { return BTreeSet::new() };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|pid| {
            let argv = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let state = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let zombie = state.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('Z'));
            argv.split(|b| *b == 0).next() == Some(FRONTEND_ARGV0.as_bytes()) && !zombie
        })
        .collect()
}

/// A pseudo-random, incompressible file (xorshift), so the context transfer takes a moment.
fn noise(path: &Path, len: usize, seed: u64) {
    let mut x = seed | 1;
    let mut buf = Vec::with_capacity(len + 8);
    while buf.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf.extend_from_slice(&x.to_le_bytes());
    }
    buf.truncate(len);
    fs::write(path, buf).expect("write noise");
}

/// A fleet of [`SERVICES`] services `s0..s7`, each with its own source dir `svcN/` (an app
/// that says its name) and its own ports, all on the dev base image.
fn fleet_of_eight(dir: &Path) -> PathBuf {
    let mut m = String::from("[families.base-python]\nbase = \"localhost:5000/python:3.11-slim\"\n");
    for i in 0..SERVICES {
        let src = dir.join(format!("svc{i}"));
        fs::create_dir_all(src.join("data")).expect("mkdir");
        fs::write(src.join("app.py"), format!("print('service s{i}')\n")).expect("write app");
        fs::write(src.join("data/README"), format!("data of s{i}\n")).expect("write data");
        let port = 19_100 + 2 * i;
        m.push_str(&format!(
            "\n[services.s{i}]\nfamily = \"base-python\"\nsource = \"svc{i}\"\n\
             command = [\"python3\", \"/app/app.py\"]\nports = {{ service = {port}, health = {} }}\n\
             writable = [\"data\"]\nenv = {{ WHO = \"s{i}\" }}\n",
            port + 1
        ));
    }
    let path = dir.join("fleet.toml");
    fs::write(&path, m).expect("write manifest");
    path
}

/// Build args of one reproducible OCI export of `target` into `dest`.
fn oci_build_args(e: &Env, manifest: &Path, ctx: &Path, target: &str, dest: &Path) -> Vec<String> {
    [
        "--network=none",
        "-f",
        &manifest.display().to_string(),
        "--target",
        target,
        "--build-arg",
        &e.syntax_arg(),
        "--build-arg",
        "SOURCE_DATE_EPOCH=0",
        "--provenance=false",
        "-o",
        &format!("type=oci,dest={},rewrite-timestamp=true", dest.display()),
        &ctx.display().to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// What identifies an exported image: manifest digest, config digest, layer diff_ids, and the
/// runtime part of the config (`config` of the image config JSON).
#[derive(Debug, PartialEq, Eq)]
struct Identity {
    manifest: String,
    config: String,
    diff_ids: Vec<String>,
    runtime: String,
}

fn identity(tar: &Path) -> Identity {
    let layout = Layout::unpack(tar);
    let manifest_digest = layout.first_manifest()["digest"].as_str().expect("manifest digest").to_string();
    let manifest = layout.blob(&manifest_digest);
    let config_digest = manifest["config"]["digest"].as_str().expect("config digest").to_string();
    let config = layout.blob(&config_digest);
    let diff_ids = config["rootfs"]["diff_ids"].as_array().expect("diff_ids").iter().map(|d| d.to_string()).collect();
    Identity { manifest: manifest_digest, config: config_digest, diff_ids, runtime: config["config"].to_string() }
}

/// Eight different targets built at once against one daemon all succeed, and each gives the
/// same image, byte for byte (manifest, config, layers), as when the eight run one by one.
/// Both rounds start from an empty build cache, so every step really runs in both.
#[test]
fn eight_concurrent_builds_succeed_and_match_the_same_builds_run_one_by_one() {
    let Some(e) = env() else { return };
    let _daemon = exclusive();
    let dir = TempDir::new("eight");
    let manifest = fleet_of_eight(&dir.0);
    let out = TempDir::new("eight-out");
    let targets: Vec<String> = (0..SERVICES).map(|i| format!("s{i}")).collect();

    e.docker_ok(&["builder", "prune", "-af"]);
    let mut one_by_one = vec![];
    for t in &targets {
        let dest = out.0.join(format!("seq-{t}.tar"));
        let b = Build::start(&e, &oci_build_args(&e, &manifest, &dir.0, t, &dest), out.0.join(format!("seq-{t}.log")));
        let (ok, text, secs) = b.finish();
        assert!(ok, "sequential build of {t} failed:\n{text}");
        eprintln!("sequential {t}: {secs:.1} s");
        one_by_one.push(identity(&dest));
    }

    e.docker_ok(&["builder", "prune", "-af"]);
    let started = Instant::now();
    let builds: Vec<(String, PathBuf, Build)> = targets
        .iter()
        .map(|t| {
            let dest = out.0.join(format!("par-{t}.tar"));
            let log = out.0.join(format!("par-{t}.log"));
            let b = Build::start(&e, &oci_build_args(&e, &manifest, &dir.0, t, &dest), log);
            (t.clone(), dest, b)
        })
        .collect();
    let mut at_once = vec![];
    let mut failures = vec![];
    for (t, dest, b) in builds {
        let (ok, text, secs) = b.finish();
        eprintln!("concurrent {t}: {secs:.1} s");
        if ok {
            at_once.push(identity(&dest));
        } else {
            failures.push(format!("--- {t}\n{text}"));
        }
    }
    assert!(failures.is_empty(), "concurrent builds failed:\n{}", failures.join("\n"));
    eprintln!("8 concurrent builds: {:.1} s in all", started.elapsed().as_secs_f64());

    for (i, (a, b)) in one_by_one.iter().zip(&at_once).enumerate() {
        assert_eq!(a, b, "s{i}: the concurrent build differs from the sequential one");
    }
    // Different services really are different images.
    let distinct: BTreeSet<&str> = at_once.iter().map(|x| x.manifest.as_str()).collect();
    assert_eq!(distinct.len(), SERVICES, "every service has its own image");
}

/// A client killed while its build runs (here: while the frontend works and the ~48 MB source
/// dir is being sent) leaves dockerd healthy, no frontend process behind, and the next build of
/// the same target succeeds.
#[test]
fn a_client_killed_mid_build_leaves_the_daemon_healthy_and_no_frontend_behind() {
    let Some(e) = env() else { return };
    let _daemon = exclusive();
    let dir = TempDir::new("killed");
    let src = dir.0.join("big");
    fs::create_dir_all(&src).expect("mkdir");
    for i in 0..384u64 {
        noise(&src.join(format!("blob-{i:03}.bin")), 128 << 10, 0x9E37_79B9_7F4A_7C15 ^ i);
    }
    fs::write(src.join("app.py"), "print('big')\n").expect("write app");
    let manifest = dir.0.join("fleet.toml");
    fs::write(
        &manifest,
        "[families.base-python]\nbase = \"localhost:5000/python:3.11-slim\"\n\n[services.big]\n\
         family = \"base-python\"\nsource = \"big\"\ncommand = [\"python3\", \"/app/app.py\"]\n\
         ports = { service = 19200, health = 19201 }\n",
    )
    .expect("write manifest");
    let args: Vec<String> = ["--network=none", "--no-cache", "-f", &manifest.display().to_string(), "--target", "big"]
        .iter()
        .map(|s| s.to_string())
        .chain(["--build-arg".into(), e.syntax_arg(), dir.0.display().to_string()])
        .collect();

    let before = frontend_pids();
    let mut b = Build::start(&e, &args, dir.0.join("killed.log"));
    // Kill at least 0.5 s in, once a frontend of ours runs (at most 30 s in).
    let mut ours = BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        ours.extend(frontend_pids().difference(&before).copied());
        if !ours.is_empty() && b.started.elapsed() >= Duration::from_millis(500) {
            break;
        }
        if b.child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let finished_early = b.child.try_wait().expect("wait").is_some();
    let killed_at = b.started.elapsed();
    b.kill_group();
    let text = b.output();
    assert!(!finished_early, "the build ended before it could be killed; make the source dir bigger:\n{text}");
    assert!(!ours.is_empty(), "no gateway frontend process was seen in 30 s:\n{text}");
    eprintln!("killed the client {:.2} s in; frontend pids {ours:?}; last output:\n{}", killed_at.as_secs_f64(), {
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(8)..].join("\n")
    });

    // The daemon answers, and our frontends go away within a few seconds.
    let killed = Instant::now();
    let gone = fleet_e2e::wait_for(Duration::from_secs(15), || {
        let left: Vec<u32> = frontend_pids().intersection(&ours).copied().collect();
        left.is_empty().then_some(())
    });
    let left: Vec<u32> = frontend_pids().intersection(&ours).copied().collect();
    assert!(gone.is_some(), "frontend processes {left:?} still running 15 s after the client was killed");
    eprintln!("frontend gone {:.2} s after the kill", killed.elapsed().as_secs_f64());
    let info = run(Command::new(&e.docker).args(["info", "--format", "{{.ServerVersion}}"]));
    assert!(info.ok, "docker info fails after the killed build:\n{}", info.text);

    let next = Build::start(&e, &args, dir.0.join("next.log"));
    let (ok, text, secs) = next.finish();
    assert!(ok, "the build after the killed one failed:\n{text}");
    eprintln!("the next build succeeded in {secs:.1} s");
}

// ----- a sample of the bad-input corpus through buildx -----

/// Cases of tests/bad-inputs/ whose error is a manifest line (so buildx draws its box there),
/// built with `--target hello`.
const BAD_SAMPLE: &[&str] = &[
    "syntax-unclosed-table-header",
    "type-port-string",
    "unknown-key-service",
    "port-health-equals-service",
    "family-unknown-with-suggestion",
    "source-dotdot",
    "source-missing",
    "workdir-relative",
    "env-name-with-dash",
];

/// Lays out case `name` like frontend/tests/bad_inputs.rs does: `app/`, the manifest, `setup`.
fn bad_case(name: &str) -> (TempDir, String) {
    let case = root().join("tests/bad-inputs").join(name);
    let dir = TempDir::new(&format!("bad-{name}"));
    fs::create_dir(dir.0.join("app")).expect("mkdir app");
    fs::write(dir.0.join("app/app.py"), "print('hello')\n").expect("write app");
    // The corpus names `python:3.11-slim`; here the base must come from the loopback registry
    // (same line numbers: the base is on line 2, which no sampled case points at).
    let text = fs::read_to_string(case.join("fleet.toml")).expect("read manifest");
    let text = text.replace("\"python:3.11-slim\"", "\"localhost:5000/python:3.11-slim\"");
    fs::write(dir.0.join("fleet.toml"), text).expect("write manifest");
    for line in fs::read_to_string(case.join("setup")).unwrap_or_default().lines() {
        match line.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["rm", p] => fs::remove_dir_all(dir.0.join(p)).expect("setup rm"),
            ["file", p] => fs::write(dir.0.join(p), "a regular file\n").expect("setup file"),
            ["symlink", link, target] => std::os::unix::fs::symlink(target, dir.0.join(link)).expect("symlink"),
            other => panic!("{name}: setup step {other:?} not supported here"),
        }
    }
    let expected = fs::read_to_string(case.join("expected.txt")).expect("expected.txt");
    (dir, expected.lines().next().expect("one line").to_string())
}

/// Builds case `name` with `--load` and checks: non-zero exit, no panic, `fleet.toml:LINE` and the
/// `>>> ` box line of the line the CLI names, the CLI's message, and no image under the tag.
fn fails_at_its_line_through_buildx(e: &Env, name: &str) {
    let (dir, expected) = bad_case(name);
    // `fleet.toml:LINE:COL: error: MESSAGE (HELP)` as the CLI prints it.
    let (at, message) = expected.split_once(": error: ").expect("a file:line:col: error: line");
    let line: usize = at.split(':').nth(1).and_then(|l| l.parse().ok()).expect("line number");
    let text = fs::read_to_string(dir.0.join("fleet.toml")).expect("read manifest");
    let source_line = text.lines().nth(line - 1).expect("line in manifest").trim_end();
    let message = message.split(" (").next().unwrap_or(message);
    let image = format!("fleet-e2e/bad-input-{name}:{}", std::process::id());

    let r = e.build_target(&dir.0.join("fleet.toml"), &dir.0, "hello", &["--load", "-t", &image]);
    let left_an_image = e.image_exists(&image);
    if left_an_image {
        let _ = run(Command::new(&e.docker).args(["rmi", "-f", &image]));
    }
    assert!(!r.ok, "{name}: the build should fail:\n{}", r.text);
    assert!(!r.text.contains("panicked"), "{name}: the frontend panicked:\n{}", r.text);
    assert!(r.text.contains(&format!("fleet.toml:{line}")), "{name}: no `fleet.toml:{line}` in:\n{}", r.text);
    assert!(r.text.contains(&format!(">>> {source_line}")), "{name}: no box line `>>> {source_line}` in:\n{}", r.text);
    assert!(r.text.contains(message), "{name}: message `{message}` missing:\n{}", r.text);
    assert!(!left_an_image, "{name}: a failed build left image {image}");
}

#[test]
fn bad_inputs_fail_through_buildx_at_their_manifest_line_without_an_image() {
    let Some(e) = env() else { return };
    let _daemon = shared();
    for name in BAD_SAMPLE {
        fails_at_its_line_through_buildx(&e, name);
    }
}

/// The CLI refuses a source dir that is a symlink (BuildKit sends the link, not its target);
/// through buildx the same manifest and context must fail the same way.
#[test]
fn source_dir_symlink_fails_through_buildx_as_in_the_cli() {
    let Some(e) = env() else { return };
    let _daemon = shared();
    fails_at_its_line_through_buildx(&e, "source-symlink-outside");
}
