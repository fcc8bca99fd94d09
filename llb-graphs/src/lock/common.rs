//! Helpers shared by the three lockfile parsers: PEP 503 names, sha256 checks, artifact
//! filenames from URLs, and mapping TOML errors and in-string offsets to file positions.

use std::ops::Range;

use crate::diag::{Diagnostic, Diagnostics, SourceFile};

use super::tags::WheelName;
use super::version::same_version;
use super::{markers, Artifact, ArtifactKind};

/// PEP 503 §"Normalized Names": `re.sub(r"[-_.]+", "-", name).lower()`.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_run = false;
        }
    }
    out
}

/// PEP 508 §"Names": `^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$`, case-insensitive.
pub fn is_valid_name(name: &str) -> bool {
    let ok_inner = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    !name.is_empty()
        && name.chars().all(ok_inner)
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// Tags a lock error about a missing or malformed hash with the `UnhashedLock` rule.
pub fn unhashed(d: Diagnostic) -> Diagnostic {
    d.rule(&crate::rules::UNHASHED_LOCK)
}

/// Checks a sha256 digest: exactly 64 lowercase hex digits. Returns the problem, if any.
pub fn sha256_problem(hex: &str) -> Option<String> {
    if hex.len() != 64 {
        return Some(format!("sha256 digest `{hex}` has {} characters, expected 64", hex.len()));
    }
    if !hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Some(format!("sha256 digest `{hex}` is not lowercase hex"));
    }
    None
}

/// The last path segment of `url`, without query or fragment, percent-decoded (PyPI encodes
/// the `+` of local versions as `%2B`).
pub fn url_filename(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let last = path.rsplit('/').next().filter(|s| !s.is_empty())?;
    Some(percent_decode(last))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (b[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(v)) => {
                out.push(v);
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

/// One diagnostic from a TOML/serde error, at its span (or the file start).
pub fn toml_error(file: &SourceFile, e: &toml::de::Error) -> Diagnostics {
    let span = e.span().unwrap_or(0..0);
    let msg = e.message().trim().to_string();
    Diagnostic::error(file, span, format!("invalid lockfile: {msg}")).into()
}

/// Byte offset in `file` of byte `inner` of the TOML string value at `span`. Exact for strings
/// without escapes; otherwise the start of the value (a best effort, never out of range).
pub fn string_offset(file: &SourceFile, span: &Range<usize>, value: &str, inner: usize) -> usize {
    let raw = file.text.get(span.clone()).unwrap_or("");
    let quote =
        if raw.starts_with("'''") || raw.starts_with("\"\"\"") { 3 } else { usize::from(raw.starts_with(['"', '\''])) };
    match raw.get(quote..quote + value.len()) {
        Some(body) if body == value => span.start + quote + inner.min(value.len()),
        _ => span.start,
    }
}

/// Parses a marker found in a TOML string at `span`; an error points inside the string.
pub fn check_marker(file: &SourceFile, span: &Range<usize>, marker: &str) -> Option<Diagnostic> {
    let e = markers::parse(marker).err()?;
    let at = string_offset(file, span, marker, e.offset);
    let d = Diagnostic::error(
        file,
        at..span.end.max(at),
        format!("marker `{}`: {}", crate::diag::excerpt(marker, 80), e.message),
    );
    Some(match e.help {
        Some(h) => d.with_help(h),
        None => d,
    })
}

/// Checks a locked `version` value: PEP 440, without whitespace (it is written into the
/// generated requirements file, so nothing but a version may pass).
pub fn check_version(file: &SourceFile, name: &str, v: &toml::Spanned<String>) -> Option<Diagnostic> {
    let e = crate::text::normalized_version(v.get_ref()).err()?;
    Some(
        Diagnostic::error(file, v.span(), format!("package `{name}`: {e}"))
            .with_help("lock versions are PEP 440 versions"),
    )
}

/// Checks a `requires-python` value at `span` parses as a specifier set.
pub fn check_requires_python(file: &SourceFile, span: &Range<usize>, set: &str) -> Option<Diagnostic> {
    let e = super::version::parse_specifiers(set).err()?;
    let (at, msg) = (e.offset, e.message);
    let off = string_offset(file, span, set, at);
    Some(Diagnostic::error(file, off..span.end.max(off), format!("requires-python `{set}`: {msg}")))
}

/// Appends `url` unless already present (first occurrence wins, so order follows the file).
pub fn push_unique(list: &mut Vec<String>, url: &str) {
    if !list.iter().any(|u| u == url) {
        list.push(url.to_string());
    }
}

/// What a TOML lock says about one file, before checks.
pub struct FileEntry<'a> {
    /// Explicit file name (PEP 751 `name`), if any.
    pub filename: Option<&'a str>,
    /// Download URL.
    pub url: &'a str,
    /// Validated sha256 digest.
    pub sha256: String,
    /// Size in bytes.
    pub size: Option<u64>,
    /// Where errors about the file name point (the `name` or `url` value).
    pub span: Range<usize>,
    /// Where the `url` value is.
    pub url_span: Range<usize>,
}

/// Longest locked file name (a file name on every file system the build touches).
pub const MAX_FILENAME: usize = 255;

/// Why `f` is not one plain artifact file name, if it is not: it becomes `http.filename`, a path
/// in builder steps and a path on the mirror, so it is `[A-Za-z0-9._+-]` only, not starting with
/// `.` or `-` (wheel and sdist names: PEP 427, PEP 625).
pub fn filename_problem(f: &str) -> Option<String> {
    let shown: String = f.chars().flat_map(char::escape_default).collect();
    if f.is_empty() || f.len() > MAX_FILENAME {
        return Some(format!("file name `{shown}` is empty or longer than {MAX_FILENAME} bytes"));
    }
    if f.starts_with(['.', '-']) || f.contains("..") {
        return Some(format!("file name `{shown}` starts with `.` or `-`, or contains `..`"));
    }
    let bad = f.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-')))?;
    Some(format!(
        "file name `{shown}` contains {}",
        if bad.is_ascii_graphic() { format!("`{bad}`") } else { format!("U+{:04X}", u32::from(bad)) }
    ))
}

/// Checks `url` against the artifact URL policy ([`super::url_policy`]); the error is located at
/// `span` and tagged `UnsafeArtifactUrl`.
pub fn check_url(
    file: &SourceFile,
    span: Range<usize>,
    what: &str,
    url: &str,
    usage: super::url_policy::UrlUse,
) -> Option<Diagnostic> {
    let p = super::url_policy::url_problem(url, usage)?;
    let shown: String = url.chars().flat_map(char::escape_default).collect();
    Some(
        Diagnostic::error(file, span, format!("{what} `{shown}` {}", p.message))
            .with_help(p.help)
            .rule(&crate::rules::UNSAFE_ARTIFACT_URL),
    )
}

/// Builds a wheel or sdist [`Artifact`], checking that a wheel's filename parses and names the
/// package and version it is locked under (a mismatch means the lock was edited by hand).
pub fn artifact(
    file: &SourceFile,
    pkg: (&str, &str),
    entry: FileEntry<'_>,
    wheel: bool,
) -> Result<Artifact, Diagnostic> {
    let (name, version) = pkg;
    let filename = match entry.filename {
        Some(f) => f.to_string(),
        None => url_filename(entry.url).unwrap_or_default(),
    };
    let err = |msg: String| Diagnostic::error(file, entry.span.clone(), msg);
    let what = format!("package `{name}`: URL");
    if let Some(d) = check_url(file, entry.url_span.clone(), &what, entry.url, super::url_policy::UrlUse::Artifact) {
        return Err(d);
    }
    if let Some(why) = filename_problem(&filename) {
        return Err(err(format!("package `{name}`: {why}")).rule(&crate::rules::UNSAFE_ARTIFACT_NAME));
    }
    let kind = if wheel {
        let w = WheelName::parse(&filename).map_err(|e| err(format!("package `{name}`: {e}")))?;
        if normalize_name(&w.name) != name || !same_version(&w.version, version) {
            return Err(err(format!(
                "package `{name}` {version}: wheel `{filename}` is for `{}` {}",
                w.name, w.version
            )));
        }
        ArtifactKind::Wheel(w)
    } else {
        let lower = filename.to_ascii_lowercase();
        if !(lower.ends_with(".tar.gz") || lower.ends_with(".zip")) {
            return Err(err(format!("package `{name}`: sdist `{filename}` is not a `.tar.gz` or `.zip` file")));
        }
        ArtifactKind::Sdist
    };
    Ok(Artifact { filename, url: Some(entry.url.to_string()), sha256: entry.sha256, size: entry.size, kind })
}
