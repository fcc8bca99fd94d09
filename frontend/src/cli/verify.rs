//! `fleet-frontend verify OCI_LAYOUT`: for each platform of an image built with `--sbom=true
//! --provenance=mode=max -o type=oci`, three independent lists of the installed Python packages
//! must agree: the SBOM's `pkg:pypi` packages, the provenance's HTTP materials (BuildKit records
//! every LLB HTTP source with its sha256, buildkit `solver/llbsolver/provenance/capture.go`),
//! and the `.dist-info` directories under `/opt/fleet/` in the image's layers. Printed as a
//! table; exit 1 on any difference (a package missing from one list, or a URL whose sha256 in
//! the SBOM is not the one BuildKit checked).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use llb_graphs::lock::{normalize_name, version::same_version, WheelName};
use serde_json::Value;

use super::oci::{Layout, PlatformImage};

/// Arguments of `verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// An OCI layout: the directory or the tar `-o type=oci,dest=...` wrote.
    pub layout: PathBuf,
}

/// Where the frontend installs locked packages (`/opt/fleet/site`, `/opt/fleet/families/*/site`).
const FLEET_PREFIX: &str = "opt/fleet/";

#[derive(Default)]
struct Row {
    name: String,
    version: String,
    sbom: bool,
    provenance: bool,
    image: bool,
    notes: Vec<String>,
}

/// Runs `verify`.
pub fn run(args: &VerifyArgs) -> anyhow::Result<i32> {
    let layout = Layout::open(&args.layout)?;
    let images = layout.images()?;
    if images.is_empty() {
        bail!("{}: no image manifests", args.layout.display());
    }
    let mut bad = false;
    for img in &images {
        bad |= !verify_platform(&layout, img)?;
    }
    Ok(i32::from(bad))
}

fn verify_platform(layout: &Layout, img: &PlatformImage) -> anyhow::Result<bool> {
    println!("platform {}", img.platform);
    let Some(sbom) = img.statements.get(llb_graphs::sbom::SPDX_PREDICATE) else {
        println!("  DIFFERENT: no SPDX SBOM attestation");
        return Ok(false);
    };
    let Some(prov) = img.statements.iter().find(|(k, _)| k.starts_with("https://slsa.dev/provenance")).map(|(_, v)| v)
    else {
        println!("  DIFFERENT: no provenance attestation (build with --provenance=mode=max)");
        return Ok(false);
    };
    let mut rows: Vec<Row> = vec![];
    let mut sbom_urls = BTreeMap::new();
    for (name, version, sha, url) in sbom_python(&sbom["predicate"]) {
        row(&mut rows, &name, &version).sbom = true;
        if let Some(u) = url {
            sbom_urls.insert(u, (name, sha));
        }
    }
    for (url, sha) in http_materials(&prov["predicate"]) {
        let Some((name, version)) = name_version_of_url(&url) else {
            println!("  note: HTTP material {url} is not a wheel or sdist");
            continue;
        };
        let r = row(&mut rows, &name, &version);
        r.provenance = true;
        match sbom_urls.remove(&url) {
            Some((_, s)) if s == sha => {}
            Some((_, s)) => r.notes.push(format!("sha256 {s} in the SBOM, {sha} in the provenance")),
            None => r.notes.push(format!("URL {url} is not in the SBOM")),
        }
    }
    for (url, (name, _)) in sbom_urls {
        if let Some(r) = rows.iter_mut().find(|r| r.name == name) {
            r.notes.push(format!("SBOM URL {url} is not a provenance material"));
        }
    }
    for (name, version) in dist_infos(layout, img)? {
        row(&mut rows, &name, &version).image = true;
    }
    rows.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    // The installer the frontend fetched to install the wheels (`installer = "uv"`): a build tool
    // in the provenance only, never installed and so in neither the SBOM nor the image.
    rows.retain(|r| {
        let installer = r.name == "uv" && r.provenance && !r.sbom && !r.image;
        if installer {
            println!("  note: uv {} is the installer (a build tool: provenance only)", r.version);
        }
        !installer
    });
    Ok(print_table(&rows))
}

fn row<'r>(rows: &'r mut Vec<Row>, name: &str, version: &str) -> &'r mut Row {
    let name = normalize_name(name);
    let i = match rows.iter().position(|r| r.name == name && same_version(&r.version, version)) {
        Some(i) => i,
        None => {
            rows.push(Row { name, version: version.to_string(), ..Default::default() });
            rows.len() - 1
        }
    };
    &mut rows[i]
}

fn print_table(rows: &[Row]) -> bool {
    let w = rows.iter().map(|r| r.name.len()).max().unwrap_or(7).max(7);
    let v = rows.iter().map(|r| r.version.len()).max().unwrap_or(7).max(7);
    let yes = |b: bool| if b { "yes" } else { "MISSING" };
    println!("  {:w$}  {:v$}  {:7}  {:10}  {:7}", "PACKAGE", "VERSION", "SBOM", "PROVENANCE", "IMAGE");
    let mut ok = true;
    for r in rows {
        println!("  {:w$}  {:v$}  {:7}  {:10}  {:7}", r.name, r.version, yes(r.sbom), yes(r.provenance), yes(r.image));
        for n in &r.notes {
            println!("    ^ {n}");
        }
        ok &= r.sbom && r.provenance && r.image && r.notes.is_empty();
    }
    if ok {
        println!("  OK: {} packages agree (SBOM = provenance = image)", rows.len());
    } else {
        println!("  DIFFERENT: see MISSING and ^ lines above");
    }
    ok
}

/// `(name, version, sha256, downloadLocation)` of every `pkg:pypi` package of an SPDX document.
fn sbom_python(doc: &Value) -> Vec<(String, String, String, Option<String>)> {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    doc["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| {
            p["externalRefs"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|r| s(&r["referenceLocator"]).starts_with("pkg:pypi/"))
        })
        .map(|p| {
            let sha = p["checksums"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|c| c["algorithm"] == "SHA256")
                .map_or(String::new(), |c| s(&c["checksumValue"]));
            let url = Some(s(&p["downloadLocation"])).filter(|u| u.starts_with("http"));
            (s(&p["name"]), s(&p["versionInfo"]), sha, url)
        })
        .collect()
}

/// `(uri, sha256)` of every http(s) material (SLSA provenance v0.2 `materials`).
fn http_materials(pred: &Value) -> Vec<(String, String)> {
    pred["materials"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let uri = m["uri"].as_str()?;
            (uri.starts_with("http://") || uri.starts_with("https://"))
                .then(|| (uri.to_string(), m["digest"]["sha256"].as_str().unwrap_or_default().to_string()))
        })
        .collect()
}

/// Name and version from a wheel's or sdist's file name at the end of `url`.
fn name_version_of_url(url: &str) -> Option<(String, String)> {
    let path = url.split(['?', '#']).next()?;
    let file = decode(path.rsplit('/').next()?);
    if let Ok(w) = WheelName::parse(&file) {
        return Some((w.name, w.version));
    }
    let stem = file.strip_suffix(".tar.gz").or_else(|| file.strip_suffix(".zip"))?;
    let (n, v) = stem.rsplit_once('-')?;
    Some((n.to_string(), v.to_string()))
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let (mut out, mut i) = (vec![], 0);
    while i < b.len() {
        match (b[i], b.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok())) {
            (b'%', Some(x)) => {
                out.push(x);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `(name, version)` of each `<name>-<version>.dist-info` directory under `/opt/fleet/` that is
/// still present after the layers are stacked (whiteouts remove what lower layers added).
fn dist_infos(layout: &Layout, img: &PlatformImage) -> anyhow::Result<BTreeSet<(String, String)>> {
    let mut present: BTreeSet<String> = BTreeSet::new();
    for (digest, media) in &img.layers {
        let (mut added, mut removed, mut opaque) = (BTreeSet::new(), vec![], vec![]);
        layout.each_layer_entry(digest, media, &mut |path, _| {
            let p = path.trim_start_matches("./").trim_start_matches('/');
            if !p.starts_with(FLEET_PREFIX) {
                return Ok(());
            }
            let (dir, base) = p.trim_end_matches('/').rsplit_once('/').unwrap_or(("", p));
            if base == ".wh..wh..opq" {
                opaque.push(format!("{dir}/"));
            } else if let Some(gone) = base.strip_prefix(".wh.") {
                removed.push(format!("{dir}/{gone}"));
            } else if let Some(d) = dist_info_dir(p) {
                added.insert(d);
            }
            Ok(())
        })?;
        present.retain(|d| {
            !removed.iter().any(|r| d == r || d.starts_with(&format!("{r}/")))
                && !opaque.iter().any(|o| d.starts_with(o))
        });
        present.extend(added);
    }
    Ok(present
        .iter()
        .filter_map(|d| {
            let base = d.rsplit('/').next()?.strip_suffix(".dist-info")?;
            let (n, v) = base.rsplit_once('-')?;
            Some((normalize_name(n), v.to_string()))
        })
        .collect())
}

/// The `.../<x>.dist-info` directory a path is (or is inside).
fn dist_info_dir(p: &str) -> Option<String> {
    let mut acc = String::new();
    for comp in p.trim_end_matches('/').split('/') {
        if !acc.is_empty() {
            acc.push('/');
        }
        acc.push_str(comp);
        if comp.ends_with(".dist-info") {
            return Some(acc);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_versions_from_urls_and_dirs() {
        let u = "http://127.0.0.1:8099/pydantic_core-2.50.5-cp311-cp311-manylinux_2_17_x86_64.whl";
        assert_eq!(name_version_of_url(u), Some(("pydantic_core".into(), "2.50.5".into())));
        let u = "https://download.pytorch.org/whl/cpu/torch-2.2.2%2Bcpu-cp311-cp311-linux_x86_64.whl";
        assert_eq!(name_version_of_url(u), Some(("torch".into(), "2.2.2+cpu".into())));
        let u = "https://files.pythonhosted.org/p/l/llama_cpp_python-0.2.90.tar.gz";
        assert_eq!(name_version_of_url(u), Some(("llama_cpp_python".into(), "0.2.90".into())));
        assert_eq!(name_version_of_url("https://example.com/tini"), None);
        let d = dist_info_dir("opt/fleet/site/h11-0.16.0.dist-info/RECORD");
        assert_eq!(d.as_deref(), Some("opt/fleet/site/h11-0.16.0.dist-info"));
        assert_eq!(dist_info_dir("opt/fleet/site/h11/__init__.py"), None);
    }

    #[test]
    fn a_row_is_ok_only_when_all_three_agree() {
        let mut rows = vec![];
        let r = row(&mut rows, "Typing_Extensions", "4.16.0");
        (r.sbom, r.provenance) = (true, true);
        row(&mut rows, "typing-extensions", "4.16").image = true;
        assert_eq!(rows.len(), 1, "PEP 503 names and PEP 440 versions compare equal");
        assert!(print_table(&rows));
        rows[0].notes.push("sha differs".into());
        assert!(!print_table(&rows));
        row(&mut rows, "h11", "0.16.0").sbom = true;
        rows[0].notes.clear();
        assert!(!print_table(&rows));
    }
}
