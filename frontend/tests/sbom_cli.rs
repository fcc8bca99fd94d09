//! `fleet-frontend sbom` on the repository's own locked examples: the document lists exactly the
//! packages the lock selects (as `llb_graphs::lock` selects them for the build), the same bytes on
//! every run, `SOURCE_DATE_EPOCH` as its time; bad input gives a located error and exit 1.

use std::collections::BTreeSet;
use std::process::{Command, Output};

use llb_graphs::diag::SourceFile;
use llb_graphs::lock::{self, Libc, Platform, TargetEnv};
use serde_json::Value;

mod common;

use common::{repo, BIN};

fn sbom(args: &[&str], epoch: Option<&str>) -> Output {
    let mut c = Command::new(BIN);
    c.arg("sbom").args(args).current_dir(repo()).env_remove("SOURCE_DATE_EPOCH");
    if let Some(e) = epoch {
        c.env("SOURCE_DATE_EPOCH", e);
    }
    c.output().expect("run fleet-frontend")
}

fn json(o: &Output) -> Value {
    assert!(o.status.success(), "stderr: {}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("stdout is JSON")
}

/// `(name, version, sha256)` the lock selects for CPython 3.11 on `platform`.
fn locked(path: &str, platform: Platform) -> BTreeSet<(String, String, String)> {
    let text = std::fs::read_to_string(repo().join(path)).expect("read lock");
    let f = SourceFile::new("uv.lock", text);
    let l = lock::parse(&f).expect("lock parses");
    let env = TargetEnv { python: (3, 11), platform, libc: Libc::Glibc(2, 28) };
    let sel = lock::select(&l, &f, &env, &lock::Selection::default()).expect("lock selects");
    sel.into_iter().map(|s| (s.name, s.version, s.artifact.sha256)).collect()
}

fn spdx_python(doc: &Value) -> BTreeSet<(String, String, String)> {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    doc["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| s(&p["SPDXID"]).starts_with("SPDXRef-Python-"))
        .map(|p| (s(&p["name"]), s(&p["versionInfo"]), s(&p["checksums"][0]["checksumValue"])))
        .collect()
}

#[test]
fn web_sbom_is_exactly_the_lock_and_stable() {
    let one = sbom(&["examples/web/fleet.toml", "--target", "web"], None);
    let doc = json(&one);
    assert_eq!(spdx_python(&doc), locked("examples/web/uv.lock", Platform::LinuxAmd64));
    assert_eq!(doc["creationInfo"]["created"], "1970-01-01T00:00:00Z");
    assert_eq!(one.stdout, sbom(&["examples/web/fleet.toml", "--target", "web"], None).stdout);
    let arm = json(&sbom(&["examples/web/fleet.toml", "--platform", "linux/arm64"], None));
    assert_eq!(spdx_python(&arm), locked("examples/web/uv.lock", Platform::LinuxArm64));
    assert_ne!(doc["documentNamespace"], arm["documentNamespace"]);
}

#[test]
fn source_date_epoch_and_base_digest_reach_the_document() {
    let digest = format!("sha256:{}", "c".repeat(64));
    let doc = json(&sbom(&["examples/web/fleet.toml", "--base-digest", &digest], Some("86400")));
    assert_eq!(doc["creationInfo"]["created"], "1970-01-02T00:00:00Z");
    let base = doc["packages"].as_array().into_iter().flatten().find(|p| p["SPDXID"] == "SPDXRef-BaseImage");
    assert_eq!(base.expect("base")["checksums"][0]["checksumValue"], "c".repeat(64));
    let bad = sbom(&["examples/web/fleet.toml"], Some("yesterday"));
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("SOURCE_DATE_EPOCH"));
}

#[test]
fn cyclonedx_lists_the_family_chain_of_a_fleet_service() {
    let doc =
        json(&sbom(&["images/fleet.toml", "--target", "UnifiedObservabilityCenter", "--format", "cyclonedx"], None));
    assert_eq!(doc["bomFormat"], "CycloneDX");
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let got: BTreeSet<_> = doc["components"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| s(&c["purl"]).starts_with("pkg:pypi/"))
        .map(|c| (s(&c["name"]), s(&c["version"]), s(&c["hashes"][0]["content"])))
        .collect();
    let mut want = locked("images/fleet/locks/base-cpu-pydeps/uv.lock", Platform::LinuxAmd64);
    want.extend(locked("images/fleet/locks/family-web/uv.lock", Platform::LinuxAmd64));
    assert_eq!(got, want);
    assert!(doc["components"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["name"] == "gosu" && c["version"] == "1.14-1+b10"));
}

#[test]
fn unknown_target_is_a_located_error() {
    let o = sbom(&["examples/web/fleet.toml", "--target", "nope"], None);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("examples/web/fleet.toml:") && err.contains("unknown target `nope`"), "{err}");
    assert!(o.stdout.is_empty());
}
