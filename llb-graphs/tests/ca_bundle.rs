//! The `ca-bundle` secret (issue 15 item 4): exactly the steps that reach the network over TLS
//! inside a container (apt of families and builders; `pip download`) mount it, optionally, at
//! `/run/secrets/ca-bundle`; offline steps (uv installs, sdist builds, checks) never do.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use llb_graphs::diag::SourceFile;
use llb_graphs::llb::{render, MarshalOptions, NetMode, Platform};
use llb_graphs::lower::{lower_service_with, LowerOptions, ResolvedImage, CA_PATH, CA_SECRET_ID};
use llb_graphs::{manifest, plan, profile};
use serde_json::Value;

/// Rendered exec ops of `target` of images/fleet.toml, with every family lock.
fn execs(target: &str) -> Vec<Value> {
    let images = Path::new(env!("CARGO_MANIFEST_DIR")).join("../images");
    let file = SourceFile::new("fleet.toml", std::fs::read_to_string(images.join("fleet.toml")).unwrap());
    let m = manifest::parse(&file).unwrap();
    let plan = plan::plan_service(&file, &m, Some(target)).unwrap();
    let platform = Platform::linux_amd64();
    let deps: Vec<_> = plan
        .family
        .chain
        .iter()
        .filter_map(|layer| {
            let l = layer.lock.as_ref()?;
            let lock = SourceFile::new(&l.value, std::fs::read_to_string(images.join(&l.value)).unwrap());
            Some(plan::plan_family_deps(&file, &plan, layer, &lock, &platform, false).unwrap())
        })
        .collect();
    let opts = LowerOptions {
        profile: Some(profile::builtin("mainpc").unwrap().unwrap()),
        network: NetMode::Host,
        ..Default::default()
    };
    let base = ResolvedImage::unresolved(plan.family.base.value.clone());
    let lowered = lower_service_with(&file, &plan, &base, &deps, &opts).unwrap();
    let def = lowered.state.marshal(&MarshalOptions::default()).unwrap().definition;
    let v = render::definition_json(&def);
    v["ops"].as_array().unwrap().iter().filter(|o| !o["op"]["exec"].is_null()).cloned().collect()
}

fn name(op: &Value) -> &str {
    op["metadata"]["name"].as_str().unwrap_or("")
}

fn ca_mounts(op: &Value) -> Vec<Value> {
    let mounts = op["op"]["exec"]["mounts"].as_array().cloned().unwrap_or_default();
    mounts.into_iter().filter(|m| m["secret"]["id"] == CA_SECRET_ID).collect()
}

#[test]
fn only_the_apt_steps_of_families_and_builders_mount_the_ca_bundle_optionally() {
    let ops = execs("family-llm-cu121");
    let with: Vec<&Value> = ops.iter().filter(|o| !ca_mounts(o).is_empty()).collect();
    // The root family base-gpu-cu121's apt and the llm builder's apt (build-essential).
    assert!(with.len() >= 2, "{:?}", with.iter().map(|o| name(o)).collect::<Vec<_>>());
    for op in &ops {
        let network = name(op).contains("apt-get install") || name(op).contains("] download ");
        assert_eq!(!ca_mounts(op).is_empty(), network, "{}", name(op));
    }
    for op in with {
        let m = &ca_mounts(op)[0];
        assert_eq!(m["dest"], CA_PATH, "{}", name(op));
        assert_eq!(m["secret"]["optional"], true, "a build without the secret still works: {}", name(op));
        let script = op["op"]["exec"]["args"][2].as_str().unwrap();
        assert!(script.contains("if [ -f \"$ca\" ]") && script.contains("Acquire::https::CAInfo=$ca"));
    }
}

/// examples/web with `[fleet] index_secret`: its locked wheels come through `pip download`.
fn web_with_index_secret() -> Vec<Value> {
    use llb_graphs::build::{BuildArgs, Locks, PlatformInputs, Request};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/web");
    let text = std::fs::read_to_string(dir.join("fleet.toml")).unwrap();
    let text = text.replacen("[fleet]\n", "[fleet]\nindex_secret = \"pypi\"\n", 1);
    assert!(text.contains("index_secret"));
    let file = manifest::source_file("fleet.toml", text.as_bytes()).unwrap();
    let req = Request::new(file, Some("web"), BuildArgs::default()).unwrap();
    let platform = Platform::linux_amd64();
    let mut locks = Locks::default();
    for need in req.lock_needs() {
        let lock = std::fs::read_to_string(dir.join(&need.at.value)).unwrap();
        locks.insert(&need, SourceFile::new(need.at.value.clone(), lock));
    }
    // With the network: `pip download` from the index is allowed.
    let deps = req.select(&locks, &platform, true).unwrap();
    let base = ResolvedImage::unresolved(req.plan.family.base.value.clone());
    let opts = req.lower_options(LowerOptions { network: NetMode::Host, ..Default::default() });
    let inputs = vec![PlatformInputs { platform, base, deps, builders: Default::default() }];
    let g = req.finish(&opts, inputs, &MarshalOptions::default()).unwrap().into_iter().next().unwrap();
    let v = render::definition_json(&g.definition);
    v["ops"].as_array().unwrap().iter().filter(|o| !o["op"]["exec"].is_null()).cloned().collect()
}

#[test]
fn pip_download_mounts_the_ca_bundle_and_sets_the_tls_env_only_when_it_is_there() {
    let ops = web_with_index_secret();
    let download: Vec<&Value> = ops.iter().filter(|o| name(o).contains("] download ")).collect();
    assert!(!download.is_empty(), "{:?}", ops.iter().map(name).collect::<Vec<_>>());
    for op in &ops {
        assert_eq!(!ca_mounts(op).is_empty(), name(op).contains("] download "), "{}", name(op));
    }
    for op in download {
        let m = &ca_mounts(op)[0];
        assert_eq!((m["dest"].as_str(), &m["secret"]["optional"]), (Some(CA_PATH), &Value::Bool(true)));
        let args: Vec<&str> =
            op["op"]["exec"]["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
        // sh -c WRAPPER fleet-ca python3 -m pip download ...: pip's own argv follows unchanged.
        assert_eq!(&args[..2], ["/bin/sh", "-c"]);
        assert!(args[2].starts_with(&format!("if [ -f {CA_PATH} ]; then")) && args[2].ends_with("exec \"$@\""));
        for var in ["SSL_CERT_FILE", "PIP_CERT", "REQUESTS_CA_BUNDLE"] {
            assert!(args[2].contains(&format!("{var}={CA_PATH}")), "{var}");
        }
        assert_eq!(&args[3..7], ["fleet-ca", "python3", "-m", "pip"]);
    }
}
