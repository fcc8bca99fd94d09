//! The driver end to end on a manifest whose lockfile pip fetches: the cache id the outline
//! shows is the one the lowered graph mounts, on every platform.

use super::*;
use crate::llb::{render, NetMode};

const MANIFEST: &str = "[families.base]\nbase = \"python:3.11-slim\"\n\n[services.api]\nfamily = \"base\"\n\
source = \"app\"\ncommand = [\"python3\", \"main.py\"]\nports = { service = 8000, health = 8001 }\n\
lock = \"requirements.txt\"\n";
const LOCK: &str =
    "six==1.16.0 \\\n    --hash=sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254\n";

fn request(args: BuildArgs) -> Request {
    Request::new(SourceFile::new("fleet.toml", MANIFEST), None, args).unwrap()
}

fn graph_json(req: &Request, platform: &Platform) -> String {
    let mut locks = Locks::default();
    for need in req.lock_needs() {
        locks.insert(&need, SourceFile::new(need.at.value.clone(), LOCK));
    }
    let deps = req.select(&locks, platform, true).unwrap();
    let base = ResolvedImage::unresolved(req.plan.family.base.value.clone());
    let opts = req.lower_options(LowerOptions { network: NetMode::Host, ..Default::default() });
    let inputs = vec![PlatformInputs { platform: platform.clone(), base, deps, builders: Default::default() }];
    let graphs = req.finish(&opts, inputs, &MarshalOptions::default()).unwrap();
    render::definition_json(&graphs[0].definition).to_string()
}

#[test]
fn outline_cache_id_is_the_mounted_one_on_arm64_and_amd64() {
    let arm = Platform::parse("linux/arm64").unwrap();
    let req = request(BuildArgs { cache_ns: Some("ns".into()), ..Default::default() });
    let id = req.pip_cache_id(&arm).unwrap();
    assert_eq!(id, "ns/fleet-pip/base/py3.11/linux-arm64");
    assert!(graph_json(&req, &arm).contains(&id), "arm64 graph mounts {id}");
    let amd = req.pip_cache_id(&Platform::linux_amd64()).unwrap();
    assert_eq!(amd, "ns/fleet-pip/base/py3.11/linux-amd64");
    assert!(graph_json(&req, &Platform::linux_amd64()).contains(&amd));
    assert!(!graph_json(&req, &arm).contains(&amd), "arm64 must not mount the amd64 cache");
}

#[test]
fn lint_errors_and_plan_errors_come_back_together() {
    let text = format!("# check=error=true\n[families.spare]\nbase = \"python\"\n\n{MANIFEST}");
    let err = Request::new(SourceFile::new("fleet.toml", text.clone()), Some("nope"), BuildArgs::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("`python` floats") && err.contains("unknown target `nope`"), "{err}");
    // A describing subrequest is not gated by the lint findings.
    assert!(Request::describe(SourceFile::new("fleet.toml", text), Some("api"), BuildArgs::default()).is_ok());
}

#[test]
fn needs_name_the_profile_lockfiles_and_source_dir() {
    let req = request(BuildArgs { machine: "pc2".into(), ..Default::default() });
    assert_eq!(req.profile_need(), ProfileNeed::new(None, "pc2"));
    assert!(req.profile_need().builtin().unwrap().is_ok());
    assert_eq!(req.lock_needs().iter().map(|n| n.at.value.as_str()).collect::<Vec<_>>(), ["requirements.txt"]);
    assert_eq!(req.source_need().map(|s| s.value.as_str()), Some("app"));
    assert!(req.check_source(PathKind::Dir).is_ok());
    let e = req.check_source(PathKind::Symlink).unwrap_err().to_string();
    assert!(e.starts_with("fleet.toml:6:10: error: service `api`: source directory `app` is (or passes"), "{e}");
}

#[test]
fn planning_an_unvalidated_manifest_gives_errors_not_defaults_or_panics() {
    let f = SourceFile::new("fleet.toml", MANIFEST.replace("source = \"app\"", "source = \"../up\""));
    let m = crate::manifest::parse_toml(&f).unwrap();
    let e = crate::plan::plan_service(&f, &m, Some("api")).unwrap_err().to_string();
    assert!(e.contains("path `../up` escapes the build context"), "{e}");
    let f = SourceFile::new("fleet.toml", MANIFEST.replace("family = \"base\"", "family = \"nope\""));
    let m = crate::manifest::parse_toml(&f).unwrap();
    let e = crate::plan::plan_service(&f, &m, Some("api")).unwrap_err().to_string();
    assert!(e.contains("family `nope` cannot be resolved"), "{e}");
}
