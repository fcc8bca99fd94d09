//! `[fleet] installer` and `[fleet.uv]`: what installs the locked wheels. uv is the default,
//! itself pinned like a locked wheel (URL + sha256 per platform, fetched and checked by
//! BuildKit); `pip` keeps the base image's pip.

use crate::diag::{Diagnostic, SourceFile};
use crate::manifest::types::{Fleet, UvWheel as RawWheel};
use crate::rules;

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

/// The installer of a manifest's `[fleet]` table (validated by [`validate`]).
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

/// Problems with `installer` and `[fleet.uv]`: the values become a URL, a file name and a
/// checksum of an LLB source, so they are checked character by character.
pub fn validate(file: &SourceFile, fleet: &Fleet, out: &mut Vec<Diagnostic>) {
    let err =
        |span: std::ops::Range<usize>, msg: String| Diagnostic::error(file, span, msg).rule(&rules::INVALID_INSTALLER);
    if let Some(i) = &fleet.installer {
        if !matches!(i.get_ref().as_str(), "uv" | "pip") {
            let msg = format!("installer `{}` is neither `uv` nor `pip`", i.get_ref());
            out.push(err(i.span(), msg));
        }
    }
    let Some(uv) = &fleet.uv else { return };
    let uv = uv.get_ref();
    let version = uv.version.get_ref();
    if version.is_empty() || !version.chars().all(|c| c.is_ascii_alphanumeric() || c == '.') {
        out.push(err(uv.version.span(), format!("uv version `{version}` is not a release version like `0.13.9`")));
    }
    for (w, arch) in [(&uv.amd64, "x86_64"), (&uv.arm64, "aarch64")] {
        let w = w.get_ref();
        if let Err(why) = check_wheel(w, version, arch) {
            out.push(err(w.url.span(), why));
        }
        let h = w.sha256.get_ref();
        if h.len() != 64 || !h.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)) {
            out.push(err(w.sha256.span(), format!("uv sha256 `{h}` is not 64 lowercase hex digits")));
        }
    }
}

fn check_wheel(w: &RawWheel, version: &str, arch: &str) -> Result<(), String> {
    let url = w.url.get_ref();
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(format!("uv wheel URL `{url}` is not http(s)"));
    }
    let name = url.rsplit('/').next().unwrap_or_default();
    let safe = name.chars().all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c));
    let want = format!("uv-{version}-py3-none-");
    if !safe || !name.starts_with(&want) || !name.ends_with(".whl") || !name.contains(&format!("musllinux_1_1_{arch}"))
    {
        return Err(format!(
            "uv wheel URL `{url}` does not end in the static wheel `{want}...musllinux_1_1_{arch}....whl`"
        ));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("uv wheel URL `{url}` contains white space"));
    }
    Ok(())
}
