//! CycloneDX 1.5 JSON (cyclonedx.org/docs/1.5/json): the image as `metadata.component`, the
//! base image, the layers and their packages as components, nesting as `dependencies`. Only
//! the SPDX form is attached to images; this one is for tools that read CycloneDX.

use serde_json::{json, Value};

use super::{oci_purl, pypi_purl, sha256_hex, to_bytes, Bom, Layer};

/// The CycloneDX 1.5 document of `bom`. `serialNumber` is a UUID made from the sha256 of the
/// document written without it (RFC 4122 version 5 bits), so equal contents give equal ids.
pub fn cyclonedx_json(bom: &Bom) -> Vec<u8> {
    let image_ref = "image";
    let mut components = vec![base_component(bom)];
    let mut deps = vec![];
    let mut image_deps = vec![json!("base-image")];
    for (i, layer) in bom.layers.iter().enumerate() {
        let lref = format!("layer-{i}");
        components.push(layer_component(layer, &lref));
        image_deps.push(json!(lref));
        let mut children = vec![];
        for p in &layer.python {
            let r = format!("layer-{i}/pypi/{}", p.name);
            let mut c = json!({
                "type": "library",
                "bom-ref": r,
                "name": p.name,
                "version": p.version,
                "purl": pypi_purl(&p.name, &p.version),
                "properties": [
                    { "name": "fleet:kind", "value": p.kind },
                    { "name": "fleet:prefix", "value": layer.prefix },
                ],
            });
            if let Some(h) = &p.sha256 {
                c["hashes"] = json!([{ "alg": "SHA-256", "content": h }]);
            }
            if let Some(u) = &p.download {
                c["externalReferences"] = json!([{ "type": "distribution", "url": u }]);
            }
            if !p.filename.is_empty() {
                push_prop(&mut c, "fleet:file", &p.filename);
            }
            if let Some(u) = &p.locked_url {
                push_prop(&mut c, "fleet:locked-url", u);
            }
            components.push(c);
            children.push(json!(r));
        }
        for (j, a) in layer.apt.iter().enumerate() {
            let r = format!("layer-{i}/apt/{j}/{}", a.name);
            let mut c = json!({ "type": "library", "bom-ref": r, "name": a.name,
                "properties": [{ "name": "fleet:apt", "value": "installed by apt-get unless the base has it" }] });
            if let Some(v) = &a.version {
                c["version"] = json!(v);
            }
            components.push(c);
            children.push(json!(r));
        }
        deps.push(json!({ "ref": lref, "dependsOn": children }));
    }
    deps.insert(0, json!({ "ref": image_ref, "dependsOn": image_deps }));
    let mut doc = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {
            "timestamp": bom.created,
            "tools": { "components": [{ "type": "application", "name": "fleet-frontend",
                "version": bom.tool.trim_start_matches("fleet-frontend-") }] },
            "component": { "type": "container", "bom-ref": image_ref, "name": bom.target,
                "properties": [{ "name": "fleet:platform", "value": bom.platform }] },
        },
        "components": components,
        "dependencies": deps,
    });
    doc["serialNumber"] = json!(uuid_from(&sha256_hex(&to_bytes(&doc))));
    to_bytes(&doc)
}

fn push_prop(c: &mut Value, name: &str, value: &str) {
    if let Some(a) = c["properties"].as_array_mut() {
        a.push(json!({ "name": name, "value": value }));
    }
}

fn base_component(bom: &Bom) -> Value {
    let b = &bom.base;
    let mut c = json!({ "type": "container", "bom-ref": "base-image",
        "name": b.repository.as_deref().unwrap_or(&b.reference) });
    if let Some(v) = b.tag.as_ref().or(b.digest.as_ref()) {
        c["version"] = json!(v);
    }
    if let Some(hex) = b.digest.as_deref().and_then(|d| d.strip_prefix("sha256:")) {
        c["hashes"] = json!([{ "alg": "SHA-256", "content": hex }]);
    }
    if let Some(p) = oci_purl(b) {
        c["purl"] = json!(p);
    }
    c
}

fn layer_component(layer: &Layer, r: &str) -> Value {
    let mut c = json!({ "type": "file", "bom-ref": r, "name": layer.label,
        "properties": [{ "name": "fleet:prefix", "value": layer.prefix }] });
    if let Some(l) = &layer.lock {
        push_prop(&mut c, "fleet:lock", l);
    }
    c
}

/// `urn:uuid:` from the first 16 bytes of a hex digest, with version 5 and RFC 4122 variant bits.
fn uuid_from(hex: &str) -> String {
    let h = |a: usize, b: usize| hex.get(a..b).unwrap_or("0");
    let version = format!("5{}", h(13, 16));
    let variant_nibble = u8::from_str_radix(h(16, 17), 16).unwrap_or(0) & 0x3 | 0x8;
    let variant = format!("{variant_nibble:x}{}", h(17, 20));
    format!("urn:uuid:{}-{}-{version}-{variant}-{}", h(0, 8), h(8, 12), h(20, 32))
}
