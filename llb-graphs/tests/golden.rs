//! Golden LLB: for each `golden/<case>/case.toml`, lower the manifest's target against a fixed,
//! pinned base config and compare the digest-keyed JSON (ops in topological order, plus the image
//! config) with `expected.json`. `UPDATE_GOLDEN=1 cargo test --test golden` rewrites them:
//! review the diff, don't bless blindly.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use llb_graphs::build::{BuildArgs, Locks, PlatformInputs, Request};
use llb_graphs::diag::SourceFile;
use llb_graphs::llb::{pb, render, MarshalOptions};
use llb_graphs::lower::{lower_service, LowerOptions, ResolvedImage};
use llb_graphs::{manifest, plan};

#[derive(serde::Deserialize)]
struct Case {
    manifest: String,
    target: String,
    #[serde(default = "yes")]
    merge: bool,
    #[serde(default)]
    mirror: Option<String>,
    /// Machine profile (built in); none when absent.
    #[serde(default)]
    machine: Option<String>,
}

fn yes() -> bool {
    true
}

/// A stand-in for what ResolveImageConfig returns for the dev base image.
const BASE_DIGEST: &str = "sha256:86159081ca33f6324e449088be7f088e6dcd61a3afed0e17461d76e25e8054ed";
const BASE_CONFIG: &str = r#"{"architecture":"amd64","os":"linux","created":"2026-01-01T00:00:00Z",
 "config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","LANG=C.UTF-8","PYTHONUNBUFFERED=1"],
 "Cmd":["python3"]},"rootfs":{"type":"layers","diff_ids":["sha256:1111111111111111111111111111111111111111111111111111111111111111"]},
 "history":[{"created":"2026-01-01T00:00:00Z","comment":"debootstrap bookworm minbase + python3"}]}"#;

fn render_case(dir: &Path) -> serde_json::Value {
    let case: Case = toml::from_str(&std::fs::read_to_string(dir.join("case.toml")).unwrap()).unwrap();
    let mpath = dir.join(&case.manifest);
    let bytes = std::fs::read(&mpath).unwrap();
    let file = manifest::source_file("fleet.toml", &bytes).unwrap();
    let args = BuildArgs { artifact_mirror: case.mirror.clone(), ..Default::default() };
    let req = Request::new(file, Some(&case.target), args).unwrap();
    let platform = llb_graphs::llb::Platform::linux_amd64();
    // The fixtures supply what the request needs: lockfiles from the case folder, a fixed base.
    let mut locks = Locks::default();
    for need in req.lock_needs() {
        let text = std::fs::read_to_string(mpath.parent().unwrap().join(&need.at.value)).unwrap();
        locks.insert(&need, SourceFile::new(need.at.value.clone(), text));
    }
    let deps = req.select(&locks, &platform, false).unwrap();
    let base = ResolvedImage::image(
        req.plan.family.base.value.pinned(BASE_DIGEST),
        serde_json::from_str(BASE_CONFIG).unwrap(),
    );
    let profile = case.machine.as_deref().map(|m| llb_graphs::profile::builtin(m).unwrap().unwrap());
    // apt steps need the archive: such builds run with --network=host.
    let apt = req.plan.family.chain.iter().any(|l| !l.apt.is_empty());
    let network = if apt { llb_graphs::llb::NetMode::Host } else { llb_graphs::llb::NetMode::None };
    let opts = req.lower_options(LowerOptions {
        merge_op: case.merge,
        session_id: Some("SESSION".into()),
        profile,
        network,
        ..Default::default()
    });
    let info = pb::SourceInfo {
        filename: req.file.name.clone(),
        data: req.file.text.clone().into_bytes(),
        language: "toml".into(),
        definition: None,
    };
    let marshal = MarshalOptions { source_infos: vec![info], allowed_caps: None };
    let graphs = req
        .finish(&opts, vec![PlatformInputs { platform, base, deps, builders: Default::default() }], &marshal)
        .unwrap();
    let g = graphs.into_iter().next().unwrap();
    let mut v = render::definition_json(&g.definition);
    v["image_config"] = g.image_config;
    v
}

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.join("case.toml").exists()).collect();
    dirs.sort();
    dirs
}

#[test]
fn golden_llb_matches() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failed = vec![];
    for dir in cases() {
        let got = serde_json::to_string_pretty(&render_case(&dir)).unwrap() + "\n";
        let path = dir.join("expected.json");
        if update {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        let actual = dir.join("actual.json");
        if got != want {
            std::fs::write(&actual, &got).unwrap();
            failed.push(dir.display().to_string());
        } else if actual.exists() {
            // Left by an earlier failing run (git-ignored): a passing case has none.
            std::fs::remove_file(&actual).unwrap();
        }
    }
    assert!(failed.is_empty(), "golden mismatch (see actual.json next to expected.json): {failed:?}");
}

#[test]
fn services_of_one_family_share_the_base_and_check_ops() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/two-services");
    let text = std::fs::read_to_string(dir.join("fleet.toml")).unwrap();
    let file = SourceFile::new("fleet.toml", text);
    let m = manifest::parse(&file).unwrap();
    let digests = |t: &str| -> Vec<String> {
        let p = plan::plan_service(&file, &m, Some(t)).unwrap();
        let base = ResolvedImage::unresolved(p.family.base.value.clone());
        let l = lower_service(&file, &p, &base, None, &LowerOptions::default()).unwrap();
        let def = l.state.marshal(&MarshalOptions::default()).unwrap().definition;
        def.def.iter().map(|b| llb_graphs::llb::digest_of(b)).collect()
    };
    let (a, b) = (digests("api"), digests("worker"));
    assert_eq!(a[0], b[0], "same base image op");
    assert_ne!(a.last(), b.last(), "different services give different graphs");
}

#[test]
fn every_example_manifest_is_valid() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    for e in std::fs::read_dir(examples).unwrap() {
        let p = e.unwrap().path().join("fleet.toml");
        if p.exists() {
            let f = manifest::source_file("fleet.toml", &std::fs::read(&p).unwrap()).unwrap();
            manifest::parse(&f).unwrap_or_else(|d| panic!("{}: {d}", p.display()));
        }
    }
}

#[test]
fn reordering_tables_keeps_every_op_byte_identical() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/two-services");
    let text = std::fs::read_to_string(dir.join("fleet.toml")).unwrap();
    // Same meaning, other order: services before families, keys inside tables shuffled.
    let (families, services) = text.split_at(text.find("[services.api]").unwrap());
    let mut shuffled = String::new();
    for block in services.split("\n\n").chain(std::iter::once(families)) {
        let mut lines: Vec<&str> = block.lines().filter(|l| !l.is_empty()).collect();
        if lines.len() > 2 {
            lines[1..].reverse();
        }
        shuffled.push_str(&lines.join("\n"));
        shuffled.push_str("\n\n");
    }
    assert_ne!(shuffled, text);
    let ops = |t: &str, target: &str| -> Vec<Vec<u8>> {
        let f = SourceFile::new("fleet.toml", t);
        let m = manifest::parse(&f).unwrap_or_else(|d| panic!("{d}\n{t}"));
        let p = plan::plan_service(&f, &m, Some(target)).unwrap();
        let base = ResolvedImage::unresolved(p.family.base.value.clone());
        let l = lower_service(&f, &p, &base, None, &LowerOptions::default()).unwrap();
        l.state.marshal(&MarshalOptions::default()).unwrap().definition.def
    };
    for target in ["api", "worker"] {
        let first = ops(&text, target);
        for _ in 0..100 {
            assert_eq!(ops(&text, target), first);
        }
        assert_eq!(ops(&shuffled, target), first, "{target}: reordering changed the ops");
    }
}

#[test]
fn cuda_families_refuse_other_platforms_at_the_cuda_line() {
    let text = "[families.gpu]\nbase = \"nvidia/cuda:12.1.1-runtime-ubuntu22.04\"\ncuda = \"12.1\"\n\n[services.llm]\nfamily = \"gpu\"\nsource = \"app\"\ncommand = [\"x\"]\nports = { service = 1, health = 2 }\n";
    let f = SourceFile::new("fleet.toml", text);
    let m = manifest::parse(&f).unwrap();
    let p = plan::plan_service(&f, &m, Some("llm")).unwrap();
    let arm = llb_graphs::llb::Platform::parse("linux/arm64").unwrap();
    let err = plan::check_platform(&f, &p, &arm).unwrap_err().to_string();
    assert!(err.starts_with("fleet.toml:3:8: error: service `llm`: family `gpu` is a CUDA 12.1 family"), "{err}");
    assert!(plan::check_platform(&f, &p, &llb_graphs::llb::Platform::linux_amd64()).is_ok());
}

/// Cache exports (and so the history record BuildKit v0.13 writes after every build) leave out
/// exactly the inputs that are never a layer and cheap to make again: downloads checked by
/// sha256, generated requirements, the merges of those, the unpacked uv, the build context and
/// the merge of install groups. Every step that makes a layer of the image stays in.
#[test]
fn cache_exports_leave_out_downloads_and_keep_every_layer() {
    for dir in cases() {
        let v = render_case(&dir);
        let mut left_out = 0;
        for op in v["ops"].as_array().unwrap() {
            let md = &op["metadata"];
            let Some(name) = md["name"].as_str() else {
                continue; // the terminal op: it lists the caps of the whole definition
            };
            let out = md["export_cache"] == serde_json::json!(false);
            let caps: Vec<&str> = md["caps"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
            assert_eq!(out, caps.contains(&"meta.exportcache"), "{}: {name}: flag without its cap", dir.display());
            let cheap = ["] fetch ", "] write hash-pinned requirements", "] collect ", "] unpack uv from "]
                .iter()
                .any(|k| name.contains(k))
                || name == "[internal] load build context"
                || (name.contains("] layer ") && caps.contains(&"mergeop"));
            assert_eq!(out, cheap, "{}: {name}: export_cache {}", dir.display(), md["export_cache"]);
            left_out += usize::from(out);
            if name.contains("] uv install ") || name.contains("] pip install ") {
                assert!(!out, "{}: an install group's layer must reach the cache: {name}", dir.display());
            }
        }
        if v.to_string().contains("] fetch ") {
            assert!(left_out > 0, "{}: a locked service with downloads left none out", dir.display());
        }
    }
}
