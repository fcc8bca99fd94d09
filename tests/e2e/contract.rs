//! The BuildKit frontend contract through real buildx: subrequests, named contexts,
//! multi-platform, cache export/import, warnings and reproducible images.

use std::fs;
use std::path::Path;

use fleet_e2e::oci::Layout;
use fleet_e2e::{cached, env, example_variant, exclusive, ran, root, run, shared, Env, Net, TempDir};

fn hello() -> (std::path::PathBuf, std::path::PathBuf) {
    (root().join("examples/hello/fleet.toml"), root().join("examples/hello"))
}

/// A copy of examples/hello with `fleet.toml` rewritten by `edit`.
fn variant(tag: &str, edit: impl FnOnce(String) -> String) -> TempDir {
    example_variant("hello", tag, edit)
}

/// `BUILDX_EXPERIMENTAL=1 docker buildx build --print=WHAT ...` (buildx 0.13 hides --print).
fn print(e: &Env, what: &str, manifest: &Path, ctx: &Path) -> String {
    print_with(e, what, manifest, ctx, &[])
}

/// [`print`] with extra build flags (`--build-arg MACHINE=...`).
fn print_with(e: &Env, what: &str, manifest: &Path, ctx: &Path, extra: &[&str]) -> String {
    let mut c = e.buildx(Net::None, manifest);
    c.env("BUILDX_EXPERIMENTAL", "1").arg(format!("--print={what}"));
    c.args(["--target", "hello", "--build-arg", &e.syntax_arg()]).args(extra).arg(ctx);
    let r = run(&mut c);
    assert!(r.ok, "--print={what} failed:\n{}", r.text);
    r.text
}

#[test]
fn print_outline_targets_lint_and_describe_are_answered_by_the_frontend() {
    let Some(e) = env() else { return };
    let _d = shared();
    let (m, ctx) = hello();
    let outline = print(&e, "outline", &m, &ctx);
    assert!(outline.contains("TARGET:") && outline.contains("hello") && outline.contains("REVISION"), "{outline}");
    let targets = print(&e, "targets", &m, &ctx);
    assert!(targets.contains("hello (default)"), "{targets}");
    let describe = print(&e, "subrequests.describe", &m, &ctx);
    for name in ["outline", "targets", "lint", "subrequests.describe"] {
        assert!(describe.contains(name), "{describe}");
    }
    assert!(!describe.contains("docker/dockerfile"), "no fallback to the Dockerfile frontend:\n{describe}");
    let clean = print(&e, "lint", &m, &ctx);
    assert!(clean.contains("no warnings found"), "{clean}");
    let dir =
        variant("lint", |t| t.replace("[services.hello]", "[families.spare]\nbase = \"python\"\n\n[services.hello]"));
    let found = print(&e, "lint", &dir.0.join("fleet.toml"), &dir.0);
    assert!(found.contains("FloatingBaseReference: fleet.toml:16:8: warning"), "{found}");
    assert!(found.contains("UnusedFamily: fleet.toml:15:11: warning"), "{found}");
}

/// `--print=lint` runs the validator's error rules too (each entry named by its rule, the first
/// error as the build error), the CUDA rule against `MACHINE`, and the target's lockfiles.
#[test]
fn print_lint_reports_error_rules_machine_and_lockfiles() {
    let Some(e) = env() else { return };
    let _d = shared();
    let dir = variant("lint-errors", |t| {
        t.replace("health = 18081 }", "health = 18080 }").replace("writable = [\"data\"]", "user = \"root\"")
    });
    let found = print(&e, "lint", &dir.0.join("fleet.toml"), &dir.0);
    for want in [
        "HealthPortEqualsServicePort: fleet.toml:20:37: error: service `hello`: health port 18080 equals its service port",
        "RootUser: fleet.toml:22:8: error: service `hello`: user `root` runs as root",
        "error: HealthPortEqualsServicePort: service `hello`: health port 18080 equals its service port",
    ] {
        assert!(found.contains(want), "missing `{want}` in:\n{found}");
    }

    // A CPU-only profile of the manifest's own folder, chosen with MACHINE, and a CUDA family.
    let dir = variant("lint-machine", |t| {
        t.replace("[families.base-python]", "[families.base-python]\ncuda = \"12.1\"")
            .replace("python = \"3.11\"", "python = \"3.11\"\nprofiles = \"profiles\"")
    });
    fs::create_dir_all(dir.0.join("profiles")).expect("mkdir");
    let cpu = r#"{"name": "cpu", "description": "no GPU", "env": {"OMP_NUM_THREADS": "2"}}"#;
    fs::write(dir.0.join("profiles/cpu.json"), cpu).expect("write profile");
    let found = print_with(&e, "lint", &dir.0.join("fleet.toml"), &dir.0, &["--build-arg", "MACHINE=cpu"]);
    assert!(found.contains("CudaWithoutGpu: fleet.toml:13:8: error: family `base-python` needs CUDA 12.1, but machine profile `cpu` has no GPU"), "{found}");

    // A valid manifest whose lockfile has an unhashed pin: the finding points into the lockfile.
    let dir = variant("lint-lock", |t| format!("{t}lock = \"requirements.txt\"\n"));
    fs::write(dir.0.join("requirements.txt"), "six==1.16.0\n").expect("write lock");
    let found = print(&e, "lint", &dir.0.join("fleet.toml"), &dir.0);
    assert!(
        found.contains("UnhashedLock: requirements.txt:1:1: error: requirement `six==1.16.0` has no `--hash`"),
        "{found}"
    );
    assert!(found.contains("fleet.toml:24:8: note: lockfile `requirements.txt` is named here"), "{found}");
}

#[test]
fn lint_findings_show_as_build_warnings() {
    let Some(e) = env() else { return };
    let _d = shared();
    let dir = variant("warn", |t| {
        t.replace(
            "[services.hello]",
            "[families.spare]\nbase = \"localhost:5000/python:3.11-slim\"\n\n[services.hello]",
        )
    });
    let r = e.build_target(&dir.0.join("fleet.toml"), &dir.0, "hello", &[]);
    assert!(r.ok, "{}", r.text);
    assert!(r.text.contains("1 warning found") && r.text.contains("UnusedFamily: family `spare`"), "{}", r.text);

    // BUILDKIT_DOCKERFILE_CHECK=error=true fails the build on that warning, at its line; skip=... silences it.
    let m = dir.0.join("fleet.toml");
    let strict = e.build_target(&m, &dir.0, "hello", &["--build-arg", "BUILDKIT_DOCKERFILE_CHECK=error=true"]);
    assert!(!strict.ok, "error=true should fail the build:\n{}", strict.text);
    assert!(
        strict.text.contains("family `spare` is not used by any service or family [UnusedFamily]"),
        "{}",
        strict.text
    );
    assert!(strict.text.contains(">>> [families.spare]"), "{}", strict.text);
    let quiet = e.build_target(&m, &dir.0, "hello", &["--build-arg", "BUILDKIT_DOCKERFILE_CHECK=skip=UnusedFamily"]);
    assert!(quiet.ok && !quiet.text.contains("UnusedFamily"), "{}", quiet.text);
}

#[test]
fn named_contexts_replace_the_family_base() {
    let Some(e) = env() else { return };
    let _d = shared();
    let (m, ctx) = hello();
    // docker-image: a base without tini proves the override was used (the check step fails).
    let busybox = std::env::var("FLEET_BUSYBOX_IMAGE").unwrap_or_else(|_| "localhost:5000/busybox:fleet-test".into());
    let ctx_arg = format!("localhost:5000/python:3.11-slim=docker-image://{busybox}");
    let r = e.build_target(&m, &ctx, "hello", &["--build-context", &ctx_arg]);
    assert!(!r.ok && r.text.contains("busybox") && r.text.contains("has no executable /usr/bin/tini"), "{}", r.text);
    // oci-layout: the hello image itself, exported as a layout, becomes the base.
    let layout = TempDir::new("layout");
    let dest = format!("type=oci,tar=false,dest={}", layout.0.join("l").display());
    let r = e.build_target(&m, &ctx, "hello", &["-o", &dest]);
    assert!(r.ok, "{}", r.text);
    let ctx_arg = format!("base-python=oci-layout://{}", layout.0.join("l").display());
    let r = e.build_target(&m, &ctx, "hello", &["--build-context", &ctx_arg]);
    assert!(r.ok, "{}", r.text);
    assert!(r.text.contains("from OCI layout"), "{}", r.text);
}

/// The manifest digests of an OCI tarball's index (one per platform, attestations left out).
fn oci_platforms(tar: &Path) -> Vec<(String, String)> {
    let idx = Layout::unpack(tar).platform_index();
    let mut out: Vec<(String, String)> = idx["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .filter_map(|m| {
            // A single-platform export has no platform field; it is the daemon's (amd64 here).
            let p = &m["platform"];
            let id =
                format!("{}/{}", p["os"].as_str().unwrap_or("linux"), p["architecture"].as_str().unwrap_or("amd64"));
            (id != "unknown/unknown").then(|| (id, m["digest"].as_str().unwrap_or("").to_string()))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn two_platforms_give_an_oci_index_with_both_manifests() {
    let Some(e) = env() else { return };
    let _d = shared();
    let multi = std::env::var("FLEET_MULTIARCH_IMAGE").unwrap_or_else(|_| "localhost:5000/busybox-tini:multi".into());
    let dir = variant("multi", |t| t.replace("localhost:5000/python:3.11-slim", &multi));
    let out = TempDir::new("multi-out");
    let dest = format!("type=oci,dest={}", out.0.join("x.tar").display());
    let r = e.build_target(
        &dir.0.join("fleet.toml"),
        &dir.0,
        "hello",
        &["--platform", "linux/amd64,linux/arm64", "-o", &dest],
    );
    assert!(r.ok, "{}", r.text);
    let platforms: Vec<String> = oci_platforms(&out.0.join("x.tar")).into_iter().map(|(p, _)| p).collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64"]);
}

#[test]
fn cache_exported_to_the_registry_makes_every_step_cached_after_a_prune() {
    let Some(e) = env() else { return };
    let _d = exclusive();
    let (m, ctx) = hello();
    let cache = format!("localhost:5000/fleet-e2e-cache:{}", std::process::id());
    let to = format!("type=registry,ref={cache},mode=max");
    let from = format!("type=registry,ref={cache}");
    let r = e.build_target(&m, &ctx, "hello", &["--cache-to", &to]);
    assert!(r.ok, "{}", r.text);
    e.docker_ok(&["builder", "prune", "-af"]);
    let r = e.build_target(&m, &ctx, "hello", &["--cache-from", &from]);
    assert!(r.ok, "{}", r.text);
    for step in ["[hello] check tini in family base-python", "[hello] copy app/ to /app"] {
        let again = ran(&r.text, step);
        assert!(cached(&r.text, step) && again.is_empty(), "{step} not CACHED ({again:?}):\n{}", r.text);
    }
}

#[test]
fn source_date_epoch_gives_the_same_image_digest_from_two_clean_builds() {
    let Some(e) = env() else { return };
    let _d = exclusive();
    let (m, ctx) = hello();
    let out = TempDir::new("repro");
    let mut digests = vec![];
    for i in 0..2 {
        e.docker_ok(&["builder", "prune", "-af"]);
        let dest = format!("type=oci,dest={},rewrite-timestamp=true", out.0.join(format!("{i}.tar")).display());
        let r = e.build_target(
            &m,
            &ctx,
            "hello",
            &["--build-arg", "SOURCE_DATE_EPOCH=1700000000", "--provenance=false", "-o", &dest],
        );
        assert!(r.ok, "{}", r.text);
        digests.push(oci_platforms(&out.0.join(format!("{i}.tar"))));
    }
    assert!(!digests[0].is_empty());
    assert_eq!(digests[0], digests[1], "two clean builds differ");
}

#[test]
fn a_cuda_family_asked_for_arm64_fails_at_its_manifest_line() {
    let Some(e) = env() else { return };
    let _d = shared();
    let dir = variant("cuda", |t| {
        t.replace("description = \"Debian bookworm", "cuda = \"12.1\"\ndescription = \"Debian bookworm")
    });
    let r = e.build_target(&dir.0.join("fleet.toml"), &dir.0, "hello", &["--platform", "linux/amd64,linux/arm64"]);
    assert!(!r.ok, "{}", r.text);
    assert!(r.text.contains(">>> cuda = \"12.1\""), "{}", r.text);
    assert!(r.text.contains("builds for linux/amd64 only, not linux/arm64"), "{}", r.text);
}

#[test]
fn machine_profiles_set_env_and_machine_profile_json() {
    let Some(e) = env() else { return };
    let _d = shared();
    let (m, ctx) = hello();
    let image = format!("fleet-e2e/pc2:{}", std::process::id());
    let r = e.build_target(&m, &ctx, "hello", &["--build-arg", "MACHINE=pc2", "--load", "-t", &image]);
    assert!(r.ok, "{}", r.text);
    let env_list = e.inspect(&image, "{{json .Config.Env}}");
    for kv in ["TORCH_CUDA_ARCH_LIST=8.6", "OMP_NUM_THREADS=4", "UVICORN_WORKERS=8", "FLEET_MACHINE=pc2"] {
        assert!(env_list.contains(kv), "{kv} missing from {env_list}");
    }
    let json =
        e.docker_ok(&["run", "--rm", "--network", "none", "--entrypoint", "cat", &image, "/etc/machine-profile.json"]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("profile JSON");
    assert_eq!(v["name"], "pc2");
    assert_eq!(v["env"]["TORCH_CUDA_ARCH_LIST"], "8.6");
    let _ = e.docker_ok(&["rmi", "-f", &image]);
    let r = e.build_target(&m, &ctx, "hello", &["--build-arg", "MACHINE=pc9"]);
    assert!(!r.ok && r.text.contains("unknown machine profile `pc9`") && r.text.contains("mainpc, pc2"), "{}", r.text);
}

#[test]
fn a_manifest_of_several_mib_builds_and_its_errors_still_draw_the_box() {
    let Some(e) = env() else { return };
    let _d = shared();
    let dir = variant("big", |t| t);
    // ~2.6 MB: past what fits in one BuildKit v0.13 message with the text inside the Definition.
    let mut text = String::from("[families.base-python]\nbase = \"localhost:5000/python:3.11-slim\"\n\n");
    for i in 0..12_000 {
        text.push_str(&format!(
            "[services.s{i}]\nfamily = \"base-python\"\nsource = \"app\"\ncommand = [\"python3\", \"/app/app.py\"]\nports = {{ service = {}, health = {} }}\ndescription = \"generated service, padded to make the manifest large enough\"\n\n",
            10_000 + i,
            30_000 + i
        ));
    }
    std::fs::write(dir.0.join("big.toml"), &text).expect("write");
    let r = e.build_target(&dir.0.join("big.toml"), &dir.0, "s5", &[]);
    assert!(r.ok, "{}", r.text.lines().rev().take(20).collect::<Vec<_>>().join("\n"));
    text.push_str("[services.zbad]\nfamily = \"base-python\"\nsource = \"app\"\ncommand = [\"x\"]\nports = { service = 9, health = 9 }\n");
    std::fs::write(dir.0.join("big.toml"), &text).expect("write");
    let r = e.build_target(&dir.0.join("big.toml"), &dir.0, "s5", &[]);
    assert!(!r.ok);
    assert!(
        r.text.contains(">>> ports = { service = 9, health = 9 }")
            && r.text.contains("health port 9 equals its service port"),
        "{}",
        r.text.lines().rev().take(20).collect::<Vec<_>>().join("\n")
    );
}
