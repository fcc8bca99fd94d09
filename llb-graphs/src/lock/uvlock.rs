//! uv's `uv.lock` (format `version = 1`, as documented at docs.astral.sh/uv "Lockfile").
//!
//! Accepted: `[[package]]` entries with `source = { registry = ".." }` and `sdist`/`wheels`
//! carrying `hash = "sha256:.."`. The project itself and other virtual workspace members
//! (`source = { editable = "." }`, `source = { virtual = ".." }`) are skipped: they are the
//! code being built, not dependencies. Every other source (`git`, `path`, `directory`, `url`,
//! editable members elsewhere) fails closed.
//!
//! Markers: a package's `resolution-markers` (the forks it was resolved in) become its marker,
//! so a target gets the version of its own fork. Markers on dependency edges are ignored for
//! now: every registry package is a candidate, so a `sys_platform == 'win32'` dependency with
//! only a pure wheel is still selected on Linux (harmless), and one with only Windows wheels
//! makes `select` fail (loudly). `uv export` propagates edge markers; prefer its output when
//! that matters.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::diag::{Diagnostic, Diagnostics, SourceFile};

use super::common::{
    artifact, check_marker, check_requires_python, is_valid_name, normalize_name, push_unique, sha256_problem,
    toml_error, unhashed, FileEntry,
};
use super::{finish, Located, LockFile, LockKind, LockedPackage};

/// The top-level table.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Raw {
    version: Option<Spanned<i64>>,
    requires_python: Option<Spanned<String>>,
    #[serde(default, rename = "package")]
    packages: Vec<RawPackage>,
}

/// One `[[package]]` entry.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawPackage {
    name: Spanned<String>,
    version: Option<Spanned<String>>,
    source: Option<Spanned<BTreeMap<String, toml::Value>>>,
    resolution_markers: Option<Vec<Spanned<String>>>,
    sdist: Option<Spanned<RawFile>>,
    #[serde(default)]
    wheels: Vec<Spanned<RawFile>>,
}

/// `sdist = { .. }` / an element of `wheels`.
#[derive(Deserialize)]
struct RawFile {
    url: Option<Spanned<String>>,
    path: Option<Spanned<String>>,
    hash: Option<Spanned<String>>,
    size: Option<u64>,
}

/// Parses a `uv.lock`.
pub fn parse(file: &SourceFile) -> Result<LockFile, Diagnostics> {
    let raw: Raw = toml::from_str(&file.text).map_err(|e| toml_error(file, &e))?;
    let mut errors = Vec::new();
    match &raw.version {
        Some(v) if *v.get_ref() == 1 => {}
        Some(v) => errors.push(
            Diagnostic::error(file, v.span(), format!("uv.lock version {} is not supported", v.get_ref()))
                .with_help("this frontend reads uv.lock version 1"),
        ),
        None => errors.push(Diagnostic::error(file, 0..0, "missing `version`; is this a uv.lock?")),
    }
    let requires_python = raw.requires_python.map(|s| Located { span: s.span(), text: s.into_inner() });
    if let Some(rp) = &requires_python {
        errors.extend(check_requires_python(file, &rp.span, &rp.text));
    }
    let mut lock = LockFile {
        kind: LockKind::UvLock,
        packages: Vec::new(),
        index_urls: Vec::new(),
        find_links: Vec::new(),
        requires_python,
        environments: Vec::new(),
    };
    for p in raw.packages {
        match package(file, p, &mut lock.index_urls) {
            Ok(Some(pkg)) => lock.packages.push(pkg),
            Ok(None) => {}
            Err(mut e) => errors.append(&mut e),
        }
    }
    finish(lock, errors)
}

/// What a `source` table says.
enum Source {
    Registry(String),
    /// The project or a virtual member: skip.
    Project,
}

fn source(file: &SourceFile, name: &str, p: &RawPackage) -> Result<Source, Diagnostic> {
    let Some(src) = &p.source else {
        return Err(Diagnostic::error(file, p.name.span(), format!("package `{name}` has no `source`")));
    };
    let table = src.get_ref();
    let str_of = |k: &str| table.get(k).and_then(toml::Value::as_str);
    if let Some(r) = str_of("registry") {
        return Ok(Source::Registry(r.to_string()));
    }
    if str_of("editable") == Some(".") || table.contains_key("virtual") {
        return Ok(Source::Project);
    }
    let kind = table.keys().next().map_or("empty", String::as_str);
    Err(Diagnostic::error(file, src.span(), format!("package `{name}`: `{kind}` sources are not supported"))
        .with_help("lock only packages from an index; only the project itself may be editable or virtual"))
}

/// Validates one package; `Ok(None)` for the project itself.
fn package(
    file: &SourceFile,
    p: RawPackage,
    indexes: &mut Vec<String>,
) -> Result<Option<LockedPackage>, Vec<Diagnostic>> {
    let raw_name = p.name.get_ref().clone();
    let name = normalize_name(&raw_name);
    let err = |span: Range<usize>, msg: String| Diagnostic::error(file, span, msg);
    if !is_valid_name(&raw_name) {
        return Err(vec![err(p.name.span(), format!("`{raw_name}` is not a valid package name"))]);
    }
    match source(file, &name, &p).map_err(|d| vec![d])? {
        Source::Project => return Ok(None),
        Source::Registry(r) => push_unique(indexes, &r),
    }
    let Some(version) = p.version.map(Spanned::into_inner) else {
        return Err(vec![err(p.name.span(), format!("package `{name}` has no `version`"))]);
    };
    let mut errors = Vec::new();
    let forks = p.resolution_markers.unwrap_or_default();
    for m in &forks {
        errors.extend(check_marker(file, &m.span(), m.get_ref()));
    }
    let mut artifacts = Vec::new();
    let files = p.wheels.iter().map(|w| (w, true)).chain(p.sdist.iter().map(|s| (s, false)));
    for (f, wheel) in files {
        match file_entry(file, &name, f).and_then(|e| artifact(file, (&name, &version), e, wheel)) {
            Ok(a) => artifacts.push(a),
            Err(d) => errors.push(d),
        }
    }
    if artifacts.is_empty() && errors.is_empty() {
        errors.push(err(p.name.span(), format!("package `{name}` has no `wheels` and no `sdist`")));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Some(LockedPackage {
        name,
        version,
        marker: fork_marker(&forks),
        requires_python: None,
        artifacts,
        hashes: Vec::new(),
        span: p.name.span(),
    }))
}

/// `resolution-markers` lists the forks a version was chosen in: it applies if any holds.
fn fork_marker(forks: &[Spanned<String>]) -> Option<String> {
    match forks {
        [] => None,
        [one] => Some(one.get_ref().clone()),
        many => {
            let parts: Vec<String> = many.iter().map(|m| format!("({})", m.get_ref())).collect();
            Some(parts.join(" or "))
        }
    }
}

/// Checks a file's URL and `hash = "sha256:.."`.
fn file_entry<'a>(file: &SourceFile, name: &str, f: &'a Spanned<RawFile>) -> Result<FileEntry<'a>, Diagnostic> {
    let raw = f.get_ref();
    let err = |span: Range<usize>, msg: String| Diagnostic::error(file, span, msg);
    let url = match (&raw.url, &raw.path) {
        (Some(u), _) => u,
        (None, Some(p)) => {
            return Err(err(p.span(), format!("package `{name}`: local file `{}` is not supported", p.get_ref())))
        }
        (None, None) => return Err(err(f.span(), format!("package `{name}`: file has no `url`"))),
    };
    let Some(hash) = &raw.hash else {
        return Err(unhashed(err(f.span(), format!("package `{name}`: file `{}` has no `hash`", url.get_ref()))));
    };
    let sha = match hash.get_ref().split_once(':') {
        Some(("sha256", hex)) => hex,
        _ => {
            return Err(unhashed(err(
                hash.span(),
                format!("package `{name}`: hash `{}` is not `sha256:<digest>`", hash.get_ref()),
            )))
        }
    };
    if let Some(problem) = sha256_problem(sha) {
        return Err(unhashed(err(hash.span(), format!("package `{name}`: {problem}"))));
    }
    Ok(FileEntry { filename: None, url: url.get_ref(), sha256: sha.to_string(), size: raw.size, span: url.span() })
}
