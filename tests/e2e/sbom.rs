//! Issue 14: a locked service built with an SBOM request and `--provenance=mode=max`
//! to an OCI layout carries the frontend's SPDX document, listing exactly the locked packages with
//! their hashes; every wheel's URL and sha256 is a provenance material; no scanner image is
//! involved; and `fleet-frontend verify` agrees with the image's own `.dist-info` directories.
//!
//! buildx 0.13.1 refuses `--sbom=true` together with `--attest type=sbom,...` ("duplicate
//! attestation field sbom"), so the request is `--attest type=sbom,generator=<loopback name that
//! does not exist>`: the same `attest:sbom` option, and if the frontend's SBOM were missing
//! BuildKit would fail locally resolving that name instead of pulling its scanner from Docker Hub.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use fleet_e2e::mirror::{locked, Mirror};
use fleet_e2e::oci::Layout;
use fleet_e2e::{copy_tree, env, exclusive, frontend_bin, root, run, shared, Net, TempDir};
use serde_json::Value;

use crate::fleet::STAND_IN;

const NO_SCANNER: &str = "type=sbom,generator=localhost:5000/no-scanner:none";

/// Unpacks an OCI tar and returns `(SPDX predicate, provenance predicate)` of its only platform.
fn attestations(tar: &Path) -> (Value, Value) {
    let layout = Layout::unpack(tar);
    let inner = layout.blob(layout.index()["manifests"][0]["digest"].as_str().expect("digest"));
    let att = inner["manifests"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["annotations"]["vnd.docker.reference.type"] == "attestation-manifest")
        .expect("an attestation manifest");
    let am = layout.blob(att["digest"].as_str().expect("digest"));
    let (mut spdx, mut prov) = (Value::Null, Value::Null);
    for l in am["layers"].as_array().into_iter().flatten() {
        let stmt = layout.blob(l["digest"].as_str().expect("digest"));
        match stmt["predicateType"].as_str().unwrap_or_default() {
            "https://spdx.dev/Document" => spdx = stmt["predicate"].clone(),
            t if t.starts_with("https://slsa.dev/provenance") => prov = stmt["predicate"].clone(),
            _ => {}
        }
    }
    (spdx, prov)
}

fn spdx_python(doc: &Value) -> BTreeSet<(String, String, String, String)> {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    doc["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["externalRefs"][0]["referenceLocator"].as_str().is_some_and(|r| r.starts_with("pkg:pypi/")))
        .map(|p| {
            (s(&p["name"]), s(&p["versionInfo"]), s(&p["checksums"][0]["checksumValue"]), s(&p["downloadLocation"]))
        })
        .collect()
}

fn materials(prov: &Value) -> BTreeSet<(String, String)> {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    prov["materials"].as_array().into_iter().flatten().map(|m| (s(&m["uri"]), s(&m["digest"]["sha256"]))).collect()
}

/// Builds, then checks the attestations against `want` (`(name, version, sha256, URL)`) and
/// runs `fleet-frontend verify` on the layout.
fn build_and_check(cmd: &mut Command, tmp: &TempDir, want: &BTreeSet<(String, String, String, String)>) {
    let tar = tmp.0.join("image.tar");
    let r = run(cmd
        .args(["--attest", NO_SCANNER, "--provenance=mode=max", "-o"])
        .arg(format!("type=oci,dest={}", tar.display())));
    assert!(r.ok, "{}", r.text);
    assert!(!r.text.contains("syft") && !r.text.contains("no-scanner"), "a scanner was involved:\n{}", r.text);
    assert!(r.text.contains("write SBOM sbom.spdx.json"), "{}", r.text);
    let (spdx, prov) = attestations(&tar);
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3", "{spdx}");
    assert_eq!(&spdx_python(&spdx), want);
    let mats = materials(&prov);
    for (name, _, sha, url) in want {
        assert!(mats.contains(&(url.clone(), sha.clone())), "{name}: {url} sha256:{sha} not among {mats:?}");
    }
    let v = run(Command::new(frontend_bin()).arg("verify").arg(&tar));
    assert!(v.ok && v.text.contains(&format!("OK: {} packages agree", want.len())), "{}", v.text);
}

#[test]
fn web_sbom_lists_the_lock_and_provenance_every_mirrored_wheel() {
    let Some(e) = env() else { return };
    let _d = shared();
    let tmp = TempDir::new("sbom-web");
    let dir = tmp.0.join("ctx");
    copy_tree(&root().join("examples/web"), &dir);
    let mirror = Mirror::of_lock(&dir.join("uv.lock"));
    let url = mirror.base_url();
    let want =
        locked(&dir.join("uv.lock")).into_iter().map(|a| (a.name, a.version, a.sha256, url.clone() + &a.filename));
    let mut c = e.buildx(Net::None, &dir.join("fleet.toml"));
    c.args(["--target", "web", "--build-arg", &e.syntax_arg(), "--build-arg", &mirror.url()]).arg(&dir);
    build_and_check(&mut c, &tmp, &want.collect());
}

#[test]
fn cpu_family_sbom_lists_both_family_locks_and_verify_agrees() {
    let Some(e) = env() else { return };
    // apt and PyPI downloads: alone, as the fleet module builds this chain.
    let _d = exclusive();
    let tmp = TempDir::new("sbom-cpu");
    let want = locked(&root().join("images/fleet/locks/base-cpu-pydeps/uv.lock"))
        .into_iter()
        .map(|a| (a.name, a.version, a.sha256, a.url))
        .collect();
    let mut c = e.buildx(Net::Host, &root().join("images/fleet.toml"));
    c.args(["--target", "base-cpu-pydeps", "--build-arg", &e.syntax_arg()]);
    c.args(["--build-context", STAND_IN]).arg(root().join("images"));
    build_and_check(&mut c, &tmp, &want);
}
