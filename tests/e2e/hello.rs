//! examples/hello built through real `docker buildx build` with our frontend image, run, and
//! checked against the runtime contract; broken manifests fail at the right line.

use std::time::Duration;

use fleet_e2e::{cached, env, example_variant, root, run, shared, wait_for, Container, TempDir};

fn hello_manifest() -> std::path::PathBuf {
    root().join("examples/hello/fleet.toml")
}

/// A copy of examples/hello with `fleet.toml` rewritten by `edit`.
fn hello_variant(tag: &str, edit: impl FnOnce(String) -> String) -> TempDir {
    example_variant("hello", tag, edit)
}

#[test]
fn hello_builds_runs_and_keeps_the_runtime_contract() {
    let Some(e) = env() else { return };
    let _daemon = shared();
    let image = format!("fleet-e2e/hello:{}", std::process::id());
    let ctx = root().join("examples/hello");
    let r = e.build_target(&hello_manifest(), &ctx, "hello", &["--load", "-t", &image]);
    assert!(r.ok, "build failed:\n{}", r.text);
    assert!(r.text.contains("[hello] check tini in family base-python"), "progress names:\n{}", r.text);
    // Caps decide the runtime stage: the containerd store lists `mergeop`, the classic one does
    // not (hack/test.sh runs this test once more under the classic store).
    let driver = e.docker_ok(&["info", "--format", "{{.Driver}}"]);
    let step = if driver.trim() == "overlay2" { "[hello] copy app onto base" } else { "[hello] merge app onto base" };
    assert!(r.text.contains(step), "driver {driver}: expected `{step}`:\n{}", r.text);

    assert_eq!(e.inspect(&image, "{{.Config.User}}"), "10001:10001");
    assert_eq!(e.inspect(&image, "{{json .Config.Entrypoint}}"), r#"["/usr/bin/tini","--"]"#);
    assert_eq!(e.inspect(&image, "{{json .Config.Cmd}}"), r#"["python3","/app/app.py"]"#);
    assert_eq!(e.inspect(&image, "{{json .Config.ExposedPorts}}"), r#"{"18080/tcp":{},"18081/tcp":{}}"#);
    assert_eq!(e.inspect(&image, "{{.Config.WorkingDir}}"), "/app");
    assert!(e.inspect(&image, "{{json .Config.Healthcheck.Test}}").contains("http://127.0.0.1:18081/health"));
    assert_eq!(e.inspect(&image, r#"{{index .Config.Labels "health_check_port"}}"#), "18081");
    assert_eq!(e.inspect(&image, r#"{{index .Config.Labels "org.opencontainers.image.title"}}"#), "hello");
    let env_list = e.inspect(&image, "{{json .Config.Env}}");
    assert!(env_list.contains("PYTHONUNBUFFERED=1"), "base image env kept: {env_list}");
    assert!(env_list.contains("GREETING=hello from the fleet"), "manifest env added: {env_list}");

    let c = Container::start(&e, &format!("fleet-e2e-hello-{}", std::process::id()), &image);
    c.assert_health_ok(18081);
    let (_, greet) = fleet_e2e::http_get(18080, "/").expect("service port answers");
    assert!(greet.contains("\"uid\": 10001"), "{greet}");

    let cmdline = c.exec(&["cat", "/proc/1/cmdline"]);
    assert!(cmdline.starts_with("/usr/bin/tini\0--\0python3"), "PID 1 is {cmdline:?}");
    let write_app = run(std::process::Command::new(&e.docker).args(["exec", &c.name, "touch", "/app/app.py"]));
    assert!(!write_app.ok, "uid 10001 must not write the app files");
    c.exec(&["touch", "/app/data/written-at-runtime"]);
    let owner = c.exec(&["stat", "-c", "%u:%g", "/app/app.py", "/app/data/README"]);
    assert_eq!(owner.split_whitespace().collect::<Vec<_>>(), ["0:0", "10001:10001"]);

    let healthy = wait_for(Duration::from_secs(60), || {
        (e.inspect(&c.name, "{{.State.Health.Status}}") == "healthy").then_some(())
    });
    assert!(healthy.is_some(), "container never turned healthy: {}", e.inspect(&c.name, "{{json .State.Health}}"));
    drop(c);
    let _ = e.docker_ok(&["rmi", "-f", &image]);
}

#[test]
fn syntax_line_selects_the_frontend_like_the_build_arg() {
    let Some(e) = env() else { return };
    let _daemon = shared();
    let dir = hello_variant("syntax", |t| {
        let rest: Vec<&str> = t.lines().skip(1).collect();
        format!("# syntax={}\n{}\n", e.frontend, rest.join("\n"))
    });
    let (a, b) =
        (format!("fleet-e2e/syntax-a:{}", std::process::id()), format!("fleet-e2e/syntax-b:{}", std::process::id()));
    let r = e.build(&dir.0.join("fleet.toml"), &dir.0, &["--target", "hello", "--load", "-t", &a]);
    assert!(r.ok, "build with # syntax= failed:\n{}", r.text);
    let r2 = e.build_target(&dir.0.join("fleet.toml"), &dir.0, "hello", &["--load", "-t", &b]);
    assert!(r2.ok, "build with BUILDKIT_SYNTAX failed:\n{}", r2.text);
    for f in ["{{json .Config}}", "{{json .RootFS.Layers}}"] {
        assert_eq!(e.inspect(&a, f), e.inspect(&b, f), "both routes give the same image ({f})");
    }
    assert_eq!(e.inspect(&a, "{{.Config.User}}"), "10001:10001");
    let _ = e.docker_ok(&["rmi", "-f", &a, &b]);
}

/// Bad manifests through buildx: non-zero exit, the manifest line in the box, the message.
#[test]
fn broken_manifests_fail_at_their_line_through_buildx() {
    let Some(e) = env() else { return };
    let _daemon = shared();
    type Edit = fn(String) -> String;
    let cases: &[(&str, Edit, &str, &str)] = &[
        (
            "unknown-key",
            |t| t.replace("ports = {", "prots = {"),
            ">>> prots = {",
            "unknown key `prots` (did you mean `ports`?)",
        ),
        (
            "port-range",
            |t| t.replace("service = 18080", "service = 70000"),
            ">>> ports = { service = 70000",
            "service port 70000 is out of range",
        ),
        (
            "escape",
            |t| t.replace("source = \"app\"", "source = \"../app\""),
            ">>> source = \"../app\"",
            "escapes the build context",
        ),
        (
            "missing-dir",
            |t| t.replace("source = \"app\"", "source = \"nope\""),
            ">>> source = \"nope\"",
            "source directory `nope` does not exist",
        ),
        (
            "unknown-family",
            |t| t.replace("family = \"base-python\"", "family = \"base-pyton\""),
            ">>> family = \"base-pyton\"",
            "did you mean `base-python`?",
        ),
        // Issue #11: code in the probe, a system-tree workdir, a contract key from the manifest.
        (
            "health-path-code",
            |t| t.replace("health_path = \"/health\"", "health_path = \"/x',timeout=3);import os;os.system('id');('\""),
            ">>> health_path = \"/x'",
            "contains `'`; it may use only letters, digits",
        ),
        (
            "workdir-etc",
            |t| t.replace("writable = [\"data\"]", "workdir = \"/etc\"\nwritable = [\"sudoers.d\"]"),
            ">>> workdir = \"/etc\"",
            "workdir `/etc` is inside the system tree `/etc`",
        ),
        (
            "reserved-env",
            |t| t.replace("env = { HOST", "env = { PATH = \"/tmp\", HOST"),
            ">>> env = { PATH = \"/tmp\"",
            "environment variable `PATH` is set by the frontend",
        ),
    ];
    for (tag, edit, line, msg) in cases {
        let dir = hello_variant(tag, edit);
        let image = format!("fleet-e2e/bad-{tag}:{}", std::process::id());
        let r = e.build_target(&dir.0.join("fleet.toml"), &dir.0, "hello", &["--load", "-t", &image]);
        assert!(!r.ok, "{tag}: build should fail:\n{}", r.text);
        assert!(r.text.contains("fleet.toml:"), "{tag}: no file:line in\n{}", r.text);
        assert!(r.text.contains(line), "{tag}: box without `{line}`:\n{}", r.text);
        assert!(r.text.contains(msg), "{tag}: message `{msg}` missing:\n{}", r.text);
        assert!(!e.image_exists(&image), "{tag}: a failed build must not leave an image");
    }
}

#[test]
fn unknown_target_lists_the_valid_ones_through_buildx() {
    let Some(e) = env() else { return };
    let _daemon = shared();
    let ctx = root().join("examples/hello");
    let r = e.build_target(&hello_manifest(), &ctx, "helo", &[]);
    assert!(!r.ok);
    assert!(r.text.contains("unknown target `helo`") && r.text.contains("did you mean `hello`?"), "{}", r.text);
}

#[test]
fn base_without_tini_fails_in_the_check_step_at_the_family_line() {
    let Some(e) = env() else { return };
    let _daemon = shared();
    let busybox = std::env::var("FLEET_BUSYBOX_IMAGE").unwrap_or_else(|_| "localhost:5000/busybox:fleet-test".into());
    let dir = hello_variant("no-tini", |t| t.replace("localhost:5000/python:3.11-slim", &busybox));
    let r = e.build_target(&dir.0.join("fleet.toml"), &dir.0, "hello", &[]);
    assert!(!r.ok, "{}", r.text);
    assert!(r.text.contains("has no executable /usr/bin/tini"), "{}", r.text);
    assert!(r.text.contains(">>> family = \"base-python\""), "exec failure points at the manifest:\n{}", r.text);
}

#[test]
fn network_host_and_no_cache_options_are_accepted() {
    let Some(e) = env() else { return };
    let _daemon = shared();
    let ctx = root().join("examples/hello");
    let r = e.build_on(fleet_e2e::Net::Host, &hello_manifest(), &ctx, "hello", &["--no-cache"]);
    assert!(r.ok, "{}", r.text);
    for step in ["[hello] check tini in family base-python", "[hello] copy app/ to /app"] {
        assert!(r.text.contains(step), "{step} missing:\n{}", r.text);
        assert!(!cached(&r.text, step), "--no-cache must re-run `{step}`:\n{}", r.text);
    }
}
