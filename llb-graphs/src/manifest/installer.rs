//! `[fleet] installer` and `[fleet.uv]` checked: the values become a URL, a file name and a
//! checksum of an LLB source (plan/installer.rs turns them into the plan's `Installer`).

use super::types::{Fleet, UvWheel as RawWheel};
use crate::diag::{Diagnostic, SourceFile};
use crate::rules;

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
    // The installer is an artifact like any locked file: the same URL policy.
    if let Some(p) = crate::lock::url_policy::url_problem(url, crate::lock::url_policy::UrlUse::Artifact) {
        return Err(format!("uv wheel URL `{url}` {}", p.message));
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
