//! The CPU chain of images/fleet.toml (base-python → base-utils → base-cpu-pydeps →
//! family-web → a core service) through real BuildKit, with the upstream base replaced by the
//! local stand-in through a named context and apt allowed out to the Debian archive
//! (`--network=host`); then the same CPU part in one `docker buildx bake`.

use std::process::Command;

use fleet_e2e::{env, example, exclusive, frontend_bin, root, run, Container, Net};

/// The upstream base of images/fleet.toml replaced by the loopback registry's python image.
pub const STAND_IN: &str = "python:3.11-slim-bookworm=docker-image://localhost:5000/python:3.11-slim";

/// Builds `target` of images/fleet.toml on [`STAND_IN`].
fn fleet_build(e: &fleet_e2e::Env, net: Net, target: &str, extra: &[&str]) -> fleet_e2e::Run {
    let (manifest, ctx) = (root().join("images/fleet.toml"), root().join("images"));
    e.build_on(net, &manifest, &ctx, target, &[&["--build-context", STAND_IN][..], extra].concat())
}

#[test]
fn a_core_service_on_the_cpu_family_chain_runs_with_its_machine_profile() {
    let Some(e) = env() else { return };
    // Long and network-bound: alone, so it cannot starve the other builds.
    let _d = exclusive();
    let image = format!("fleet-e2e/observability:{}", std::process::id());
    let r = fleet_build(
        &e,
        Net::Host,
        "UnifiedObservabilityCenter",
        &["--build-arg", "MACHINE=pc2", "--load", "-t", &image],
    );
    assert!(r.ok, "{}", r.text);
    for step in [
        "[family base-python] create user appuser",
        "[family base-utils] apt-get install",
        "[family family-web] uv install bucket-",
    ] {
        assert!(r.text.contains(step), "{step} missing:\n{}", r.text);
    }
    let c = Container::start(&e, &format!("fleet-e2e-observability-{}", std::process::id()), &image);
    c.assert_health_ok(9110);
    assert_eq!(c.exec(&["id", "-u"]).trim(), "10001");
    assert!(c.exec(&["cat", "/proc/1/cmdline"]).starts_with("/usr/bin/tini\0--"));
    let profile = c.exec(&["cat", "/etc/machine-profile.json"]);
    assert!(profile.contains("\"name\": \"pc2\""), "{profile}");
    let env_list = e.inspect(&c.name, "{{json .Config.Env}}");
    assert!(env_list.contains("OMP_NUM_THREADS=4") && env_list.contains("TORCH_CUDA_ARCH_LIST=8.6"), "{env_list}");
    // Packages of both family locks import, from their own sites.
    let out = c.exec(&["python3", "-c", "import fastapi, numpy, starlette, websockets; print(numpy.__file__)"]);
    assert!(out.contains("/opt/fleet/families/base-cpu-pydeps/site/numpy/"), "{out}");
    assert!(c.exec(&["sh", "-c", "for b in gosu dumb-init curl; do command -v $b; done"]).lines().count() == 3);
    drop(c);
    let _ = e.docker_ok(&["rmi", "-f", &image]);
}

/// Bake with `target:` contexts on a small fleet (examples/web: a family and a service with a
/// uv.lock).
#[test]
fn bake_builds_services_on_the_family_targets_of_the_same_bake() {
    let Some(e) = env() else { return };
    let _d = exclusive();
    let bin = frontend_bin();
    let dir = example("web", "bake");
    let bake = run(Command::new(&bin).arg("bake").arg(dir.0.join("fleet.toml")).args(["--frontend", &e.frontend]));
    assert!(bake.ok, "{}", bake.text);
    let spec: serde_json::Value = serde_json::from_str(&bake.text).expect("bake JSON");
    let ctx = spec["target"]["web"]["contexts"].as_object().expect("web has contexts");
    assert_eq!(ctx.values().next().and_then(|v| v.as_str()), Some("target:base-python"));
    std::fs::write(dir.0.join("docker-bake.json"), &bake.text).expect("write");
    let mut c = Command::new(&e.docker);
    c.current_dir(&dir.0).args([
        "buildx",
        "bake",
        "--progress=plain",
        "-f",
        "docker-bake.json",
        "--set",
        "*.args.FLEET_ARTIFACT_MIRROR=",
    ]);
    let r = run(&mut c);
    assert!(r.ok, "{}", r.text);
    assert!(r.text.contains("web] uv install bucket-"), "{}", r.text);
    // ghcr.io is unreachable here: web can only have built on base-python through the bake's
    // `target:` context, which buildx hands to the frontend as an input.
    assert!(r.text.contains("naming to ghcr.io/example/web:"), "{}", r.text);
}

/// buildx 0.13.1's bake can set neither `network` nor `--allow network.host`, and this daemon has
/// no bridge: the CPU fleet is baked on a stand-in base that already has its families' apt
/// packages (hack/fleet-standin.sh), so every apt step finds them installed and needs no network.
#[test]
fn bake_builds_the_cpu_part_of_the_fleet_in_one_invocation() {
    let Some(e) = env() else { return };
    let _d = exclusive();
    let standin = std::env::var("FLEET_STANDIN_FLEET").unwrap_or_default();
    if standin.is_empty() {
        assert!(std::env::var("E2E").is_err(), "E2E=1 but FLEET_STANDIN_FLEET is not set (hack/test.sh sets it)");
        return;
    }
    let bin = frontend_bin();
    let ctx = format!("python:3.11-slim-bookworm=docker-image://{standin}");
    let images = root().join("images").display().to_string();
    let bake = run(Command::new(&bin).arg("bake").arg(root().join("images/fleet.toml")).args([
        "--frontend",
        &e.frontend,
        "--context",
        &images,
        "--build-context",
        &ctx,
    ]));
    assert!(bake.ok, "{}", bake.text);
    let dir = fleet_e2e::TempDir::new("bake-cpu");
    std::fs::write(dir.0.join("docker-bake.json"), &bake.text).expect("write");
    let cpu = [
        "base-python",
        "base-utils",
        "base-cpu-pydeps",
        "family-web",
        "UnifiedObservabilityCenter",
        "SelfHealingSupervisor",
        "CentralErrorBus",
    ];
    let mut c = Command::new(&e.docker);
    c.current_dir(&dir.0).args(["buildx", "bake", "--progress=plain", "-f", "docker-bake.json"]).args(cpu);
    let r = run(&mut c);
    assert!(r.ok, "{}", r.text);
    // The apt steps ran (or were cached from a run) with no network: they found every package.
    assert!(r.text.contains("family base-utils] apt-get install"), "{}", r.text);
    // Services of one family share their check and copy ops (same digests): look for each image.
    for image in ["unified-observability-center", "self-healing-supervisor", "central-error-bus", "family-web"] {
        assert!(r.text.contains(&format!("naming to ghcr.io/fleet/{image}:")), "{image} not built:\n{}", r.text);
    }
}

#[test]
fn apt_packages_missing_from_the_base_without_network_fail_at_the_apt_line() {
    let Some(e) = env() else { return };
    let _d = exclusive();
    let r = fleet_build(&e, Net::None, "base-utils", &["--no-cache"]);
    assert!(!r.ok, "{}", r.text);
    assert!(
        r.text.contains("family base-utils could not install") && r.text.contains("without --network=host"),
        "{}",
        r.text
    );
    assert!(r.text.contains(">>> apt = [\"curl="), "box on the apt line:\n{}", r.text);
}
