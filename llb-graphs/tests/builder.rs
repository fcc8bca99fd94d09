//! A family's `builder` stage (`[families.NAME.builder]`): the fleet's llama-cpp-python sdist
//! compiles on CUDA's devel image with the profile's CUDA architecture, and only its wheel is
//! installed on the family.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use llb_graphs::diag::SourceFile;
use llb_graphs::llb::{render, MarshalOptions, NetMode, Platform};
use llb_graphs::lower::{lower_service_with, LowerOptions, ResolvedImage};
use llb_graphs::{manifest, plan, profile};
use serde_json::Value;

/// The rendered ops of `target` of images/fleet.toml on `machine`, by digest.
fn ops(target: &str, machine: &str) -> BTreeMap<String, Value> {
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
        profile: Some(profile::builtin(machine).unwrap().unwrap()),
        network: NetMode::Host,
        ..Default::default()
    };
    let base = ResolvedImage::unresolved(plan.family.base.value.clone());
    let lowered = lower_service_with(&file, &plan, &base, &deps, &opts).unwrap();
    let def = lowered.state.marshal(&MarshalOptions::default()).unwrap().definition;
    let v = render::definition_json(&def);
    v["ops"].as_array().unwrap().iter().map(|o| (o["digest"].as_str().unwrap().to_string(), o.clone())).collect()
}

fn named<'a>(ops: &'a BTreeMap<String, Value>, part: &str) -> &'a Value {
    ops.values().find(|o| o["metadata"]["name"].as_str().is_some_and(|n| n.contains(part))).unwrap()
}

/// The identifiers of every source op `op` depends on through its root mount (input 0).
fn root_sources(ops: &BTreeMap<String, Value>, op: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut cur = op.clone();
    loop {
        if let Some(id) = cur["op"]["source"]["identifier"].as_str() {
            out.insert(id.to_string());
            return out;
        }
        let Some(first) = cur["inputs"].as_array().and_then(|i| i.first()).and_then(Value::as_str) else {
            return out;
        };
        let digest = first.split('[').next().unwrap();
        cur = ops[digest].clone();
    }
}

fn env_of(op: &Value) -> Vec<String> {
    op["op"]["exec"]["env"].as_array().unwrap().iter().map(|e| e.as_str().unwrap().to_string()).collect()
}

#[test]
fn the_sdist_compiles_on_the_builder_and_installs_on_the_family() {
    let ops = ops("family-llm-cu121", "mainpc");
    let build = named(&ops, "build llama-cpp-python");
    let install = named(&ops, "built from source");
    let devel = "docker-image://docker.io/nvidia/cuda:12.1.1-devel-ubuntu22.04";
    let runtime = "docker-image://docker.io/nvidia/cuda:12.1.1-runtime-ubuntu22.04";
    assert_eq!(root_sources(&ops, build), BTreeSet::from([devel.to_string()]));
    assert_eq!(root_sources(&ops, install), BTreeSet::from([runtime.to_string()]));
    // The toolchain is the builder's: the family itself no longer installs a compiler.
    let apt: Vec<&Value> =
        ops.values().filter(|o| o["metadata"]["name"].as_str().unwrap_or("").contains("apt-get")).collect();
    for a in apt {
        let on_devel = root_sources(&ops, a).contains(devel);
        let args = a["op"]["exec"]["args"].to_string();
        assert_eq!(args.contains("build-essential"), on_devel, "build-essential only on the builder: {args}");
    }
}

#[test]
fn the_profile_decides_the_cuda_architecture_of_the_build() {
    for (machine, arch) in [("mainpc", "89"), ("pc2", "86")] {
        let ops = ops("family-llm-cu121", machine);
        let env = env_of(named(&ops, "build llama-cpp-python"));
        assert!(env.contains(&format!("CMAKE_ARGS=-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES={arch}")), "{env:?}");
        assert!(env.contains(&format!("CUDAARCHS={arch}")), "{env:?}");
    }
    // Different wheels, so different ops: nothing of the build is shared between the profiles.
    let (a, b) = (ops("family-llm-cu121", "mainpc"), ops("family-llm-cu121", "pc2"));
    assert_ne!(named(&a, "build llama-cpp-python")["digest"], named(&b, "build llama-cpp-python")["digest"]);
}

#[test]
fn the_builder_is_part_of_the_family_tag() {
    let images = Path::new(env!("CARGO_MANIFEST_DIR")).join("../images");
    let text = std::fs::read_to_string(images.join("fleet.toml")).unwrap();
    let tag = |t: &str| {
        let file = SourceFile::new("fleet.toml", t.to_string());
        plan::family_tag(&manifest::parse(&file).unwrap(), "family-llm-cu121", "mainpc").unwrap()
    };
    let other = text.replace("-DGGML_CUDA=on", "-DGGML_CUDA=on -DGGML_CUDA_F16=on");
    assert_ne!(other, text);
    assert_ne!(tag(&text), tag(&other), "a new compile setting is a new family image");
}
