//! An exact SBOM of one image from what the frontend installs (issue 14): every locked Python
//! package of the service and of its families (with the file, the URL BuildKit fetches and its
//! sha256), the base image, and the apt packages the families name. No scan: the lock is the
//! truth. Pure and deterministic: the same inputs give the same bytes (no clock, no randomness;
//! the document's namespace is a hash of its content).

mod cyclonedx;
mod spdx;

use crate::lock::ArtifactKind;
// `created` uses the image config's own RFC 3339 formatter, so the two agree.
use crate::lower::{mirror_url, rfc3339, BaseSource, LowerOptions, ResolvedImage};
use crate::plan::{family_site, ServicePlan, TargetKind};
use crate::plan::{LockedDeps, SITE};

pub use cyclonedx::cyclonedx_json;
pub use spdx::spdx_json;

/// The in-toto predicate type of an SPDX document: the one BuildKit's `HasSBOM` looks for
/// (in-toto-golang `PredicateSPDX`; buildkit `frontend/attestations/sbom/sbom.go`).
pub const SPDX_PREDICATE: &str = "https://spdx.dev/Document";
/// The attestation file, whose base name before the first `.` must equal the `sbom-core`
/// metadata value (buildkit `exporter/containerimage/attestations.go` `supplementSBOM`).
pub const SPDX_PATH: &str = "sbom.spdx.json";
/// `CoreSBOMName` of buildkit `frontend/attestations/sbom/sbom.go`.
pub const CORE_SBOM_NAME: &str = "sbom";

/// Output formats of [`render`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// SPDX 2.3 JSON (the one attached to images: only it suppresses BuildKit's scanner).
    Spdx,
    /// CycloneDX 1.5 JSON.
    CycloneDx,
}

/// Everything an SBOM is computed from.
pub struct Input<'a> {
    /// The target.
    pub plan: &'a ServicePlan,
    /// Selected locked deps of the service and of its families (as lowered).
    pub deps: &'a [LockedDeps],
    /// The base image as resolved (pinned by digest in the gateway; unpinned offline).
    pub base: &'a ResolvedImage,
    /// Platform, mirror and `SOURCE_DATE_EPOCH`, as the lowering used them.
    pub opts: &'a LowerOptions,
    /// The generating tool's version (`fleet-frontend-<version>` in the document).
    pub tool_version: &'a str,
}

/// The image's contents as the SBOM lists them; both formats render this.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bom {
    /// Target name.
    pub target: String,
    /// `os/arch[/variant]`.
    pub platform: String,
    /// RFC 3339 UTC creation time (from `SOURCE_DATE_EPOCH`, else the Unix epoch).
    pub created: String,
    /// `fleet-frontend-<version>`.
    pub tool: String,
    /// The root base image.
    pub base: BaseImage,
    /// Family layers that add packages, from the root down, then the service's own (if locked).
    pub layers: Vec<Layer>,
}

/// The base image of the root family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseImage {
    /// Reference as shown in messages (`localhost:5000/python:3.11-slim`).
    pub reference: String,
    /// Repository without tag or digest, when it is a registry image.
    pub repository: Option<String>,
    /// Tag, when one is written.
    pub tag: Option<String>,
    /// `sha256:<hex>`, when pinned.
    pub digest: Option<String>,
}

/// What one family (or the service) adds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    /// `family NAME` or `service NAME`.
    pub label: String,
    /// The install prefix of its Python packages.
    pub prefix: String,
    /// Its lockfile in the context, if any.
    pub lock: Option<String>,
    /// Its locked Python packages, sorted by name.
    pub python: Vec<PyPackage>,
    /// Its apt packages as written (`name` or `name=version`).
    pub apt: Vec<AptPackage>,
}

/// One locked Python package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PyPackage {
    /// PEP 503 name.
    pub name: String,
    /// Pinned version.
    pub version: String,
    /// Artifact file name (empty when the lock names no file).
    pub filename: String,
    /// The URL BuildKit fetches: the lock's, or the mirror's for the same file name.
    pub download: Option<String>,
    /// The lock's URL when a mirror replaced it.
    pub locked_url: Option<String>,
    /// sha256 of the exact file, when the lock names one.
    pub sha256: Option<String>,
    /// Digests pip may accept (requirements files without file names).
    pub allowed: Vec<String>,
    /// `wheel`, `sdist` or `hashes-only`.
    pub kind: &'static str,
}

/// One apt package a family installs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AptPackage {
    /// Package name.
    pub name: String,
    /// Pinned version, if written.
    pub version: Option<String>,
}

/// Collects the image's contents.
pub fn bom(input: &Input<'_>) -> Bom {
    let plan = input.plan;
    let mirror = input.opts.artifact_mirror.as_deref();
    let python_of = |prefix: &str| -> Vec<PyPackage> {
        input
            .deps
            .iter()
            .filter(|d| d.prefix == prefix)
            .flat_map(|d| d.selected.iter())
            .map(|s| py(s, mirror))
            .collect()
    };
    let lock_of = |prefix: &str| input.deps.iter().find(|d| d.prefix == prefix).map(|d| d.path.clone());
    let mut layers: Vec<Layer> = plan
        .family
        .chain
        .iter()
        .map(|l| {
            let prefix = family_site(&l.name);
            Layer {
                label: format!("family {}", l.name),
                python: python_of(&prefix),
                lock: lock_of(&prefix),
                prefix,
                apt: l.apt.iter().map(|a| apt(&a.value)).collect(),
            }
        })
        .filter(|l: &Layer| !l.python.is_empty() || !l.apt.is_empty() || l.lock.is_some())
        .collect();
    if plan.kind == TargetKind::Service && input.deps.iter().any(|d| d.prefix == SITE) {
        layers.push(Layer {
            label: format!("service {}", plan.name),
            prefix: SITE.to_string(),
            lock: lock_of(SITE),
            python: python_of(SITE),
            apt: vec![],
        });
    }
    Bom {
        target: plan.name.clone(),
        platform: input.opts.platform.id(),
        created: rfc3339(input.opts.source_date_epoch.unwrap_or(0)),
        tool: format!("fleet-frontend-{}", input.tool_version),
        base: base_image(input.base),
        layers,
    }
}

/// Renders the SBOM of `input` in `format` (pretty JSON with a final newline).
pub fn render(input: &Input<'_>, format: Format) -> Vec<u8> {
    let b = bom(input);
    match format {
        Format::Spdx => spdx_json(&b),
        Format::CycloneDx => cyclonedx_json(&b),
    }
}

fn py(s: &crate::lock::Selected, mirror: Option<&str>) -> PyPackage {
    let a = &s.artifact;
    let (kind, sha256, allowed) = match &a.kind {
        ArtifactKind::Wheel(_) => ("wheel", Some(a.sha256.clone()), vec![]),
        ArtifactKind::Sdist => ("sdist", Some(a.sha256.clone()), vec![]),
        ArtifactKind::HashesOnly(all) => ("hashes-only", None, all.clone()),
    };
    let download = a.url.as_deref().map(|u| mirror_url(mirror, u, &a.filename));
    let locked_url = a.url.clone().filter(|u| download.as_deref() != Some(u.as_str()));
    PyPackage {
        name: s.name.clone(),
        version: s.version.clone(),
        filename: a.filename.clone(),
        download,
        locked_url,
        sha256,
        allowed,
        kind,
    }
}

fn apt(written: &str) -> AptPackage {
    match written.split_once('=') {
        Some((n, v)) => AptPackage { name: n.to_string(), version: Some(v.to_string()) },
        None => AptPackage { name: written.to_string(), version: None },
    }
}

fn base_image(base: &ResolvedImage) -> BaseImage {
    match &base.source {
        BaseSource::Image(r) => BaseImage {
            reference: base.reference.clone(),
            repository: Some(format!("{}/{}", r.domain, r.path)),
            tag: r.tag.clone(),
            digest: r.digest.clone(),
        },
        _ => BaseImage { reference: base.reference.clone(), repository: None, tag: None, digest: None },
    }
}

/// `pkg:pypi/<name>@<version>` (purl spec: pypi names are lowercase with `-`; the version is
/// percent-encoded, so a local version `2.2.2+cpu` reads `2.2.2%2Bcpu`).
pub fn pypi_purl(name: &str, version: &str) -> String {
    format!("pkg:pypi/{}@{}", pct(&crate::lock::normalize_name(name)), pct(version))
}

/// `pkg:oci/<name>@<digest>?repository_url=<repo>[&tag=<tag>]` (purl spec, type `oci`).
pub fn oci_purl(base: &BaseImage) -> Option<String> {
    let (repo, digest) = (base.repository.as_ref()?, base.digest.as_ref()?);
    let name = repo.rsplit('/').next().unwrap_or(repo);
    let mut p = format!("pkg:oci/{}@{}?repository_url={}", pct(name), pct(digest), pct_keep_slash(repo));
    if let Some(t) = &base.tag {
        p.push_str(&format!("&tag={}", pct(t)));
    }
    Some(p)
}

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn pct_keep_slash(s: &str) -> String {
    s.split('/').map(pct).collect::<Vec<_>>().join("/")
}

/// sha256 hex of `bytes`.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Pretty JSON with a final newline (keys sorted: serde_json's map is a BTreeMap here).
fn to_bytes(v: &serde_json::Value) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(v).unwrap_or_default();
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests;
