//! SPDX 2.3 JSON (spdx-spec v2.3 §6 document creation, §7 packages, §11 relationships): the
//! image is the described package; it CONTAINS one package per family layer (and the service's
//! own), each of which CONTAINS its Python and apt packages; the image DESCENDANT_OF its base.

use serde_json::{json, Value};

use super::{oci_purl, pypi_purl, sha256_hex, to_bytes, AptPackage, Bom, Layer, PyPackage};

const NOASSERTION: &str = "NOASSERTION";
const IMAGE_ID: &str = "SPDXRef-Image";
const BASE_ID: &str = "SPDXRef-BaseImage";

/// The SPDX 2.3 document of `bom`. Its `documentNamespace` ends in the sha256 of the document
/// written with an empty namespace, so equal contents give equal namespaces.
pub fn spdx_json(bom: &Bom) -> Vec<u8> {
    let mut packages = vec![image_package(bom), base_package(bom)];
    let mut rels = vec![rel("SPDXRef-DOCUMENT", "DESCRIBES", IMAGE_ID), rel(IMAGE_ID, "DESCENDANT_OF", BASE_ID)];
    for (i, layer) in bom.layers.iter().enumerate() {
        let lid = format!("SPDXRef-Layer-{i}-{}", id_part(&layer.label));
        packages.push(layer_package(layer, &lid));
        rels.push(rel(IMAGE_ID, "CONTAINS", &lid));
        for p in &layer.python {
            let pid = format!("SPDXRef-Python-{i}-{}", id_part(&p.name));
            packages.push(python_package(p, &pid, layer));
            rels.push(rel(&lid, "CONTAINS", &pid));
        }
        for (j, a) in layer.apt.iter().enumerate() {
            let aid = format!("SPDXRef-Apt-{i}-{j}-{}", id_part(&a.name));
            packages.push(apt_package(a, &aid, layer));
            rels.push(rel(&lid, "CONTAINS", &aid));
        }
    }
    let mut doc = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": format!("{} {}", bom.target, bom.platform),
        "documentNamespace": "",
        "creationInfo": {
            "created": bom.created,
            "creators": [format!("Tool: {}", bom.tool)],
            "comment": "Generated from the lockfiles and the manifest by fleet-frontend, not by scanning the image.",
        },
        "packages": packages,
        "relationships": rels,
    });
    let hash = sha256_hex(&to_bytes(&doc));
    doc["documentNamespace"] = json!(format!(
        "https://fleet-frontend.invalid/spdx/{}/{}/{hash}",
        id_part(&bom.target),
        id_part(&bom.platform)
    ));
    to_bytes(&doc)
}

fn rel(a: &str, kind: &str, b: &str) -> Value {
    json!({ "spdxElementId": a, "relationshipType": kind, "relatedSpdxElement": b })
}

/// A package with the fields SPDX 2.3 requires and no license claims (we make none).
fn package(id: &str, name: &str, purpose: &str) -> Value {
    json!({
        "SPDXID": id,
        "name": name,
        "downloadLocation": NOASSERTION,
        "filesAnalyzed": false,
        "licenseConcluded": NOASSERTION,
        "licenseDeclared": NOASSERTION,
        "copyrightText": NOASSERTION,
        "primaryPackagePurpose": purpose,
    })
}

fn image_package(bom: &Bom) -> Value {
    let mut p = package(IMAGE_ID, &bom.target, "CONTAINER");
    p["comment"] = json!(format!("image of target `{}` for {}", bom.target, bom.platform));
    p
}

fn base_package(bom: &Bom) -> Value {
    let b = &bom.base;
    let mut p = package(BASE_ID, b.repository.as_deref().unwrap_or(&b.reference), "CONTAINER");
    if let Some(v) = b.digest.as_ref().or(b.tag.as_ref()) {
        p["versionInfo"] = json!(v);
    }
    if let Some(hex) = b.digest.as_deref().and_then(|d| d.strip_prefix("sha256:")) {
        p["checksums"] = json!([{ "algorithm": "SHA256", "checksumValue": hex }]);
    }
    if let Some(purl) = oci_purl(b) {
        p["externalRefs"] = json!([purl_ref(&purl)]);
    }
    p["comment"] = json!(match &b.digest {
        Some(_) => format!("base image {}, pinned by digest at build time", b.reference),
        None => format!("base image {} (not resolved: no digest)", b.reference),
    });
    p
}

fn layer_package(layer: &Layer, id: &str) -> Value {
    let mut p = package(id, &layer.label, "OTHER");
    let lock = layer.lock.as_deref().map_or(String::new(), |l| format!(", from lockfile {l}"));
    p["comment"] = json!(format!("Python packages installed under {}{lock}", layer.prefix));
    p
}

fn python_package(py: &PyPackage, id: &str, layer: &Layer) -> Value {
    let mut p = package(id, &py.name, "LIBRARY");
    p["versionInfo"] = json!(py.version);
    if !py.filename.is_empty() {
        p["packageFileName"] = json!(py.filename);
    }
    if let Some(u) = &py.download {
        p["downloadLocation"] = json!(u);
    }
    if let Some(h) = &py.sha256 {
        p["checksums"] = json!([{ "algorithm": "SHA256", "checksumValue": h }]);
    }
    p["externalRefs"] = json!([purl_ref(&pypi_purl(&py.name, &py.version))]);
    let mut comment = match py.kind {
        "sdist" => format!("built from this sdist in a builder step, installed under {}", layer.prefix),
        kind => format!("{kind} installed under {}", layer.prefix),
    };
    if let Some(u) = &py.locked_url {
        comment.push_str(&format!("; locked URL {u}"));
    }
    if !py.allowed.is_empty() {
        comment.push_str(&format!("; pip picks the file; allowed sha256: {}", py.allowed.join(" ")));
    }
    p["comment"] = json!(comment);
    p
}

fn apt_package(a: &AptPackage, id: &str, layer: &Layer) -> Value {
    let mut p = package(id, &a.name, "OPERATING-SYSTEM");
    if let Some(v) = &a.version {
        p["versionInfo"] = json!(v);
    }
    p["comment"] = json!(format!(
        "apt package named by {} (installed from the base's distribution archive unless the base already has it{})",
        layer.label,
        if a.version.is_some() { " at that version" } else { "" }
    ));
    p
}

fn purl_ref(purl: &str) -> Value {
    json!({ "referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": purl })
}

/// `[A-Za-z0-9.-]` only (SPDX 2.3 §3.2 SPDX identifier).
fn id_part(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '-' }).collect()
}
