//! `fleet-frontend verify` on synthetic OCI layouts shaped like BuildKit's export (an index
//! holding the image manifest and its attestation manifest): agreement exits 0; a changed
//! sha256, a package missing from one list, or a whiteout that removes a `.dist-info` exits 1.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};
use sha2::Digest;

mod common;

use common::{Sandbox, BIN};

const H11: &str = "63cf8bbe7522de3bf65932fda1d9c2772064ffb3dae62d55932da54b31cb6c86";
const IDNA: &str = "ab7ae7122974553370f0bdb919e1a960b2cd1bc1ef0276416d896db81c14582c";

fn put(dir: &Path, bytes: &[u8]) -> String {
    let hex = hex::encode(sha2::Sha256::digest(bytes));
    std::fs::write(dir.join("blobs/sha256").join(&hex), bytes).expect("write blob");
    format!("sha256:{hex}")
}

fn put_json(dir: &Path, v: &Value) -> String {
    put(dir, &serde_json::to_vec(v).expect("json"))
}

/// A gzip layer with the given paths (directories end in `/`, files are empty).
fn layer(paths: &[&str]) -> Vec<u8> {
    let mut b = tar::Builder::new(flate2::write::GzEncoder::new(vec![], flate2::Compression::fast()));
    for p in paths {
        let mut h = tar::Header::new_gnu();
        h.set_size(0);
        h.set_mode(0o755);
        h.set_entry_type(if p.ends_with('/') { tar::EntryType::Directory } else { tar::EntryType::Regular });
        b.append_data(&mut h, p, std::io::empty()).expect("append");
    }
    let mut gz = b.into_inner().expect("tar");
    gz.flush().expect("flush");
    gz.finish().expect("gzip")
}

fn pkg(name: &str, version: &str, sha: &str, url: &str) -> Value {
    json!({ "SPDXID": format!("SPDXRef-Python-0-{name}"), "name": name, "versionInfo": version,
        "downloadLocation": url, "checksums": [{ "algorithm": "SHA256", "checksumValue": sha }],
        "externalRefs": [{ "referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
            "referenceLocator": format!("pkg:pypi/{name}@{version}") }] })
}

/// Writes a layout: SBOM packages, provenance materials `(url, sha)`, and layers.
fn layout(dir: &Path, sbom: &[Value], materials: &[(&str, &str)], layers: &[Vec<u8>]) {
    std::fs::create_dir_all(dir.join("blobs/sha256")).expect("mkdir");
    let gz = "application/vnd.oci.image.layer.v1.tar+gzip";
    let layer_descs: Vec<Value> =
        layers.iter().map(|l| json!({ "mediaType": gz, "digest": put(dir, l), "size": l.len() })).collect();
    let config = put_json(dir, &json!({ "architecture": "amd64", "os": "linux" }));
    let manifest = put_json(dir, &json!({ "schemaVersion": 2, "config": { "digest": config }, "layers": layer_descs }));
    let spdx = json!({ "predicateType": "https://spdx.dev/Document", "predicate": { "spdxVersion": "SPDX-2.3", "packages": sbom } });
    let mats: Vec<Value> = materials.iter().map(|(u, s)| json!({ "uri": u, "digest": { "sha256": s } })).collect();
    let prov = json!({ "predicateType": "https://slsa.dev/provenance/v0.2", "predicate": { "materials": mats } });
    let stmt =
        |v: &Value, t: &str| json!({ "digest": put_json(dir, v), "annotations": { "in-toto.io/predicate-type": t } });
    let att = put_json(
        dir,
        &json!({ "schemaVersion": 2, "layers": [stmt(&spdx, "https://spdx.dev/Document"),
            stmt(&prov, "https://slsa.dev/provenance/v0.2")] }),
    );
    let index = put_json(
        dir,
        &json!({ "schemaVersion": 2, "manifests": [
            { "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest,
              "platform": { "architecture": "amd64", "os": "linux" } },
            { "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": att,
              "platform": { "architecture": "unknown", "os": "unknown" },
              "annotations": { "vnd.docker.reference.type": "attestation-manifest",
                "vnd.docker.reference.digest": manifest } } ] }),
    );
    let top = json!({ "schemaVersion": 2, "manifests": [{ "mediaType": "application/vnd.oci.image.index.v1+json", "digest": index }] });
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&top).expect("json")).expect("index.json");
}

fn verify(dir: &Path) -> (i32, String) {
    let o = Command::new(BIN).arg("verify").arg(dir).output().expect("run");
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stdout).into_owned())
}

fn tmp(tag: &str) -> Sandbox {
    Sandbox::empty(tag)
}

const U_H11: &str = "http://127.0.0.1:8099/h11-0.16.0-py3-none-any.whl";
const U_IDNA: &str = "http://127.0.0.1:8099/idna-3.20-py3-none-any.whl";

fn both() -> Vec<Value> {
    vec![pkg("h11", "0.16.0", H11, U_H11), pkg("idna", "3.20", IDNA, U_IDNA)]
}

fn site() -> Vec<u8> {
    layer(&[
        "opt/fleet/site/h11-0.16.0.dist-info/",
        "opt/fleet/site/h11-0.16.0.dist-info/RECORD",
        "opt/fleet/site/idna-3.20.dist-info/METADATA",
    ])
}

#[test]
fn agreeing_lists_exit_zero_with_a_table() {
    let t = tmp("ok");
    // A dist-info outside /opt/fleet (the base's own pip) is not a locked package.
    let base = layer(&["usr/local/lib/python3.11/site-packages/pip-24.0.dist-info/RECORD"]);
    layout(
        &t.0,
        &both(),
        &[(U_H11, H11), (U_IDNA, IDNA), ("pkg:docker/localhost%3A5000/python@3.11-slim", "ab")],
        &[base, site()],
    );
    let (code, out) = verify(&t.0);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("platform linux/amd64") && out.contains("OK: 2 packages agree"), "{out}");
}

#[test]
fn a_changed_hash_or_a_missing_package_exits_one() {
    let t = tmp("hash");
    layout(&t.0, &both(), &[(U_H11, IDNA), (U_IDNA, IDNA)], &[site()]);
    let (code, out) = verify(&t.0);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("sha256 {H11} in the SBOM, {IDNA} in the provenance")), "{out}");
    let t = tmp("missing");
    layout(&t.0, &both(), &[(U_H11, H11)], &[site()]);
    let (code, out) = verify(&t.0);
    assert_eq!(code, 1, "{out}");
    assert!(out.lines().any(|l| l.contains("idna") && l.contains("MISSING")), "{out}");
}

#[test]
fn a_whiteout_removes_a_dist_info_of_a_lower_layer() {
    let t = tmp("whiteout");
    let gone = layer(&["opt/fleet/site/.wh.idna-3.20.dist-info"]);
    layout(&t.0, &both(), &[(U_H11, H11), (U_IDNA, IDNA)], &[site(), gone]);
    let (code, out) = verify(&t.0);
    assert_eq!(code, 1, "{out}");
    let idna = out.lines().find(|l| l.trim_start().starts_with("idna")).unwrap_or_default();
    assert!(idna.trim_end().ends_with("MISSING"), "{out}");
}
