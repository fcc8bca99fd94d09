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
