//! SBOMs of real locks: `examples/web` (service lock) and the fleet's `family-web` chain (two
//! family locks plus apt packages). Every selected package must appear with its hash, nothing
//! else may, and the bytes must not change between runs.

use std::collections::BTreeSet;

use serde_json::Value;

use super::*;
use crate::diag::SourceFile;
use crate::llb::Platform;
use crate::plan::{plan_deps, plan_family_deps};

const WEB_MANIFEST: &str = include_str!("../../../examples/web/fleet.toml");
const WEB_LOCK: &str = include_str!("../../../examples/web/uv.lock");
const FLEET: &str = include_str!("../../../images/fleet.toml");
const CPU_LOCK: &str = include_str!("../../../images/fleet/locks/base-cpu-pydeps/uv.lock");
const FAMILY_WEB_LOCK: &str = include_str!("../../../images/fleet/locks/family-web/uv.lock");

fn plan_of(text: &str, target: &str) -> (SourceFile, ServicePlan) {
    let f = crate::manifest::source_file("fleet.toml", text.as_bytes()).expect("manifest text");
    let m = crate::manifest::parse(&f).expect("manifest parses");
    let p = crate::plan::plan_service(&f, &m, Some(target)).expect("target plans");
    (f, p)
}

fn web_deps(platform: &Platform) -> (ServicePlan, Vec<LockedDeps>) {
    let (f, p) = plan_of(WEB_MANIFEST, "web");
    let d = plan_deps(&f, &p, &SourceFile::new("uv.lock", WEB_LOCK), platform, false).expect("web lock selects");
    (p, vec![d])
}

fn fleet_deps(target: &str) -> (ServicePlan, Vec<LockedDeps>) {
    let (f, p) = plan_of(FLEET, target);
    let mut out = vec![];
    for layer in &p.family.chain {
        let text = match layer.name.as_str() {
            "base-cpu-pydeps" => CPU_LOCK,
            "family-web" => FAMILY_WEB_LOCK,
            _ => continue,
        };
        let lf = SourceFile::new("uv.lock", text);
        out.push(plan_family_deps(&f, &p, layer, &lf, &Platform::linux_amd64(), false).expect("family lock"));
    }
    (p, out)
}

fn render_spdx(p: &ServicePlan, deps: &[LockedDeps], base: &ResolvedImage, opts: &LowerOptions) -> Value {
    let bytes = render(&Input { plan: p, deps, base, opts, tool_version: "0.0.0-test" }, Format::Spdx);
    serde_json::from_slice(&bytes).expect("SPDX is JSON")
}

fn pinned(p: &ServicePlan) -> ResolvedImage {
    ResolvedImage::image(p.family.base.value.pinned(&format!("sha256:{}", "ab".repeat(32))), Value::Null)
}

/// `(name, version, sha256, downloadLocation)` of every Python package in an SPDX document.
fn spdx_python(doc: &Value) -> BTreeSet<(String, String, String, String)> {
    let pkgs = doc["packages"].as_array().expect("packages");
    pkgs.iter()
        .filter(|p| p["SPDXID"].as_str().is_some_and(|id| id.starts_with("SPDXRef-Python-")))
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default().to_string(),
                p["versionInfo"].as_str().unwrap_or_default().to_string(),
                p["checksums"][0]["checksumValue"].as_str().unwrap_or_default().to_string(),
                p["downloadLocation"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn expected(deps: &[LockedDeps], mirror: Option<&str>) -> BTreeSet<(String, String, String, String)> {
    deps.iter()
        .flat_map(|d| &d.selected)
        .map(|s| {
            let url = mirror_url(mirror, s.artifact.url.as_deref().unwrap_or_default(), &s.artifact.filename);
            (s.name.clone(), s.version.clone(), s.artifact.sha256.clone(), url)
        })
        .collect()
}

#[test]
fn web_lists_every_locked_wheel_with_its_hash_and_nothing_else() {
    let (p, deps) = web_deps(&Platform::linux_amd64());
    assert!(deps[0].selected.len() >= 10, "fixture selects the web stack");
    let doc = render_spdx(&p, &deps, &pinned(&p), &LowerOptions::default());
    assert_eq!(spdx_python(&doc), expected(&deps, None));
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    assert_eq!(doc["creationInfo"]["created"], "1970-01-01T00:00:00Z");
    let purls: BTreeSet<&str> = doc["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["externalRefs"][0]["referenceLocator"].as_str())
        .collect();
    for s in &deps[0].selected {
        assert!(purls.contains(pypi_purl(&s.name, &s.version).as_str()), "purl of {}", s.name);
    }
    let base = doc["packages"].as_array().into_iter().flatten().find(|p| p["SPDXID"] == "SPDXRef-BaseImage");
    let base = base.expect("base package");
    assert_eq!(base["checksums"][0]["checksumValue"], "ab".repeat(32));
    assert_eq!(base["name"], "localhost:5000/python");
}

#[test]
fn mirror_rewrite_is_the_download_location_and_the_lock_url_a_comment() {
    let (p, deps) = web_deps(&Platform::linux_amd64());
    let mirror = "http://127.0.0.1:8099/";
    let opts = LowerOptions { artifact_mirror: Some(mirror.into()), ..Default::default() };
    let doc = render_spdx(&p, &deps, &pinned(&p), &opts);
    assert_eq!(spdx_python(&doc), expected(&deps, Some(mirror)));
    let first = &deps[0].selected[0];
    let text = doc.to_string();
    assert!(text.contains(&format!("locked URL {}", first.artifact.url.as_deref().unwrap_or_default())));
}

#[test]
fn same_inputs_same_bytes_and_the_namespace_follows_the_content() {
    let (p, deps) = web_deps(&Platform::linux_amd64());
    let base = pinned(&p);
    let opts = LowerOptions { source_date_epoch: Some(1_700_000_000), ..Default::default() };
    let one =
        |o: &LowerOptions, f| render(&Input { plan: &p, deps: &deps, base: &base, opts: o, tool_version: "1" }, f);
    assert_eq!(one(&opts, Format::Spdx), one(&opts, Format::Spdx));
    assert_eq!(one(&opts, Format::CycloneDx), one(&opts, Format::CycloneDx));
    let ns = |b: Vec<u8>| serde_json::from_slice::<Value>(&b).expect("json")["documentNamespace"].clone();
    let other = LowerOptions { source_date_epoch: Some(0), ..Default::default() };
    assert_ne!(ns(one(&opts, Format::Spdx)), ns(one(&other, Format::Spdx)));
    let doc: Value = serde_json::from_slice(&one(&opts, Format::Spdx)).expect("json");
    assert_eq!(doc["creationInfo"]["created"], "2023-11-14T22:13:20Z");
}

#[test]
fn family_chain_puts_each_package_in_its_layer_with_apt_pins() {
    let (p, deps) = fleet_deps("family-web");
    assert_eq!(deps.len(), 2);
    let doc = render_spdx(&p, &deps, &pinned(&p), &LowerOptions::default());
    assert_eq!(spdx_python(&doc), expected(&deps, None));
    let rels = doc["relationships"].as_array().expect("relationships");
    let contains = |a: &str, b: &str| {
        rels.iter()
            .any(|r| r["spdxElementId"] == a && r["relationshipType"] == "CONTAINS" && r["relatedSpdxElement"] == b)
    };
    let id_of = |name: &str, layer_prefix: &str| -> Option<String> {
        doc["packages"].as_array()?.iter().find_map(|p| {
            let id = p["SPDXID"].as_str()?;
            (p["name"] == name && id.starts_with(layer_prefix)).then(|| id.to_string())
        })
    };
    // Chain: base-python(0) base-utils(1) base-cpu-pydeps(2) family-web(3).
    let numpy = deps[0].selected.iter().find(|s| s.name == "numpy").expect("numpy in the cpu lock");
    let numpy_id = id_of(&numpy.name, "SPDXRef-Python-2-").expect("numpy package");
    assert!(contains("SPDXRef-Layer-2-family-base-cpu-pydeps", &numpy_id));
    let curl = id_of("curl", "SPDXRef-Apt-1-").expect("curl apt package");
    assert!(contains("SPDXRef-Layer-1-family-base-utils", &curl));
    let curl_pkg = doc["packages"].as_array().into_iter().flatten().find(|p| p["SPDXID"] == curl.as_str());
    assert_eq!(curl_pkg.expect("curl")["versionInfo"], "7.88.1-10+deb12u15");
    assert!(id_of("tini", "SPDXRef-Apt-0-").is_some());
}

#[test]
fn cyclonedx_has_the_same_packages() {
    let (p, deps) = fleet_deps("family-web");
    let bytes = render(
        &Input { plan: &p, deps: &deps, base: &pinned(&p), opts: &LowerOptions::default(), tool_version: "1" },
        Format::CycloneDx,
    );
    let doc: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(doc["specVersion"], "1.5");
    let got: BTreeSet<(String, String, String)> = doc["components"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["purl"].as_str().is_some_and(|p| p.starts_with("pkg:pypi/")))
        .map(|c| {
            let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
            (s(&c["name"]), s(&c["version"]), s(&c["hashes"][0]["content"]))
        })
        .collect();
    let want: BTreeSet<_> = deps
        .iter()
        .flat_map(|d| &d.selected)
        .map(|s| (s.name.clone(), s.version.clone(), s.artifact.sha256.clone()))
        .collect();
    assert_eq!(got, want);
    let serial = doc["serialNumber"].as_str().unwrap_or_default();
    assert!(serial.starts_with("urn:uuid:") && serial.len() == 45, "{serial}");
}

#[test]
fn purls_and_times_follow_their_specs() {
    assert_eq!(pypi_purl("Typing_Extensions", "4.16.0"), "pkg:pypi/typing-extensions@4.16.0");
    assert_eq!(pypi_purl("torch", "2.2.2+cpu"), "pkg:pypi/torch@2.2.2%2Bcpu");
    let b = BaseImage {
        reference: "localhost:5000/python:3.11-slim".into(),
        repository: Some("localhost:5000/python".into()),
        tag: Some("3.11-slim".into()),
        digest: Some("sha256:00".into()),
    };
    assert_eq!(
        oci_purl(&b).as_deref(),
        Some("pkg:oci/python@sha256%3A00?repository_url=localhost%3A5000/python&tag=3.11-slim")
    );
    assert_eq!(oci_purl(&BaseImage { digest: None, ..b }), None);
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
}

/// What `pyspdxtools -i` (spdx-tools 0.8.5) checks first, offline: SPDX ids unique and of the
/// allowed characters, every relationship between elements that exist.
#[test]
fn spdx_ids_are_unique_valid_and_every_relationship_resolves() {
    let (p, deps) = fleet_deps("family-web");
    let doc = render_spdx(&p, &deps, &pinned(&p), &LowerOptions::default());
    let ids: Vec<&str> =
        doc["packages"].as_array().into_iter().flatten().filter_map(|p| p["SPDXID"].as_str()).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate SPDXID");
    for id in &ids {
        let rest = id.strip_prefix("SPDXRef-").expect("SPDXRef- prefix");
        assert!(rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'), "{id}");
    }
    for r in doc["relationships"].as_array().into_iter().flatten() {
        for end in ["spdxElementId", "relatedSpdxElement"] {
            let id = r[end].as_str().unwrap_or_default();
            assert!(id == "SPDXRef-DOCUMENT" || unique.contains(id), "dangling {id}");
        }
    }
}
