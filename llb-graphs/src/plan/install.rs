//! Where locked packages go in an image and what a lockfile's selection hands to `lower`: the
//! plan owns these prefixes; `lower` writes them, the image config puts them on `PYTHONPATH`.

use crate::lock::Selected;

/// Where the service's locked packages live in the image (`pip install --target`).
pub const SITE: &str = "/opt/fleet/site";

/// Where a family's locked packages live in its images.
pub fn family_site(family: &str) -> String {
    format!("/opt/fleet/families/{family}/site")
}

/// The locked, selected dependencies of one service.
#[derive(Clone, Debug)]
pub struct LockedDeps {
    /// Lockfile path in the context, for names and messages.
    pub path: String,
    /// One artifact per package, sorted by name.
    pub selected: Vec<Selected>,
    /// `--index-url` / `--extra-index-url` of the lockfile, in order (requirements files).
    pub index_urls: Vec<String>,
    /// Span of the manifest's `lock = ...` value.
    pub span: std::ops::Range<usize>,
    /// BuildKit secret holding a private index URL (`[fleet] index_secret`).
    pub index_secret: Option<String>,
    /// Install prefix in the image: [`SITE`] for the service, a family's own site otherwise.
    pub prefix: String,
}
