//! `[fleet] installer` and `[fleet.uv]`: what installs the locked wheels. uv is the default,
//! itself pinned like a locked wheel (URL + sha256 per platform, fetched and checked by
//! BuildKit); `pip` keeps the base image's pip.

use crate::manifest::types::{Fleet, UvWheel as RawWheel};

/// What installs a lock's wheels.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Installer {
    /// uv (`uv pip install --offline --no-index ...`): the built-in pin, or `[fleet.uv]`.
    #[default]
    Uv,
    /// uv as pinned by `[fleet.uv]`.
    UvPinned(UvPin),
    /// The base image's `python3 -m pip`.
    Pip,
}

/// A uv release: one static wheel per platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UvPin {
    /// uv version.
    pub version: String,
    /// linux/amd64 wheel.
    pub amd64: UvWheel,
    /// linux/arm64 wheel.
    pub arm64: UvWheel,
}

/// One uv wheel: where it is and its sha256.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UvWheel {
    /// Download URL.
    pub url: String,
    /// Lowercase hex sha256.
    pub sha256: String,
}

impl UvWheel {
    /// The wheel's file name: the URL's last path segment.
    pub fn filename(&self) -> &str {
        self.url.rsplit('/').next().unwrap_or_default()
    }
}

/// The installer of a manifest's `[fleet]` table (validated by `manifest::validate`).
pub fn installer(fleet: Option<&Fleet>) -> Installer {
    let Some(f) = fleet else { return Installer::Uv };
    if f.installer.as_ref().is_some_and(|i| i.get_ref() == "pip") {
        return Installer::Pip;
    }
    match &f.uv {
        Some(uv) => {
            let uv = uv.get_ref();
            let w = |w: &RawWheel| UvWheel { url: w.url.get_ref().clone(), sha256: w.sha256.get_ref().clone() };
            Installer::UvPinned(UvPin {
                version: uv.version.get_ref().clone(),
                amd64: w(uv.amd64.get_ref()),
                arm64: w(uv.arm64.get_ref()),
            })
        }
        None => Installer::Uv,
    }
}
