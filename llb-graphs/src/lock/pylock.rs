//! PEP 751 `pylock.toml` (packaging.python.org "pylock.toml Specification").
//!
//! Accepted: `lock-version = "1.x"` (the spec requires an error for an unknown major version),
//! top-level `requires-python` and `environments`, and `[[packages]]` with `name`, `version`,
//! `marker`, `requires-python`, `index`, `sdist` and `wheels`, each file with a `url` and a
//! `hashes.sha256`. Fail closed on `vcs`, `directory` and `archive` sources and on files that
//! only have a local `path`: none of them is a hash-pinned index artifact, except the
//! project's own `directory = { path = "." }` entry (uv export writes it, editable), which is
//! skipped like the uv.lock project: it is the code being built. Top-level `extras`,
//! `dependency-groups` and `default-groups` are kept for the selection; package markers may
//! test them (`'gpu' in extras`, see [`super::extras`]). Unknown keys
//! (`created-by`, `tool`, `attestation-identities`, `upload-time`, ...) are ignored, as the
//! spec lets tools add them.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::diag::{Diagnostic, Diagnostics, SourceFile};

use super::common::{
    artifact, check_marker, check_requires_python, check_url, check_version, is_valid_name, normalize_name,
    push_unique, sha256_problem, toml_error, unhashed, FileEntry,
};
use super::{finish, Located, LockFile, LockKind, LockedPackage};

/// The top-level table.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Raw {
    lock_version: Option<Spanned<String>>,
    requires_python: Option<Spanned<String>>,
    environments: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    extras: Vec<String>,
    #[serde(default)]
    dependency_groups: Vec<String>,
    #[serde(default)]
    default_groups: Vec<String>,
    #[serde(default)]
    packages: Vec<RawPackage>,
}

/// One `[[packages]]` entry.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawPackage {
    name: Spanned<String>,
    version: Option<Spanned<String>>,
    marker: Option<Spanned<String>>,
    requires_python: Option<Spanned<String>>,
    index: Option<Spanned<String>>,
    vcs: Option<Spanned<toml::Value>>,
    directory: Option<Spanned<toml::Value>>,
    archive: Option<Spanned<toml::Value>>,
    sdist: Option<Spanned<RawFile>>,
    wheels: Option<Vec<Spanned<RawFile>>>,
}

/// `packages.sdist` / `packages.wheels[]`.
#[derive(Deserialize)]
struct RawFile {
    name: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    path: Option<Spanned<String>>,
    size: Option<u64>,
    hashes: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
}

/// Parses a `pylock.toml`.
pub fn parse(file: &SourceFile) -> Result<LockFile, Diagnostics> {
    let raw: Raw = toml::from_str(&file.text).map_err(|e| toml_error(file, &e))?;
    let mut errors = Vec::new();
    check_lock_version(file, raw.lock_version.as_ref(), &mut errors);
    let mut lock = LockFile {
        kind: LockKind::PyLock,
        packages: Vec::new(),
        index_urls: Vec::new(),
        find_links: Vec::new(),
        requires_python: raw.requires_python.map(located),
        environments: raw.environments.unwrap_or_default().into_iter().map(located).collect(),
        extras: raw.extras.iter().map(|e| normalize_name(e)).collect(),
        groups: raw.dependency_groups.iter().map(|g| normalize_name(g)).collect(),
        default_groups: raw.default_groups.iter().map(|g| normalize_name(g)).collect(),
        graph: None,
    };
    if let Some(rp) = &lock.requires_python {
        errors.extend(check_requires_python(file, &rp.span, &rp.text));
    }
    for env in &lock.environments {
        errors.extend(check_marker(file, &env.span, &env.text));
    }
    for p in raw.packages {
        if is_project(&p) {
            continue;
        }
        if let Some(index) = &p.index {
            let what = format!("package `{}`: index", p.name.get_ref());
            if let Some(d) = check_url(file, index.span(), &what, index.get_ref(), super::url_policy::UrlUse::Index) {
                errors.push(d);
                continue;
            }
            push_unique(&mut lock.index_urls, index.get_ref());
        }
        match package(file, p) {
            Ok(pkg) => lock.packages.push(pkg),
            Err(mut e) => errors.append(&mut e),
        }
    }
    finish(lock, errors)
}

/// The project's own entry: `directory = { path = "." }` (PEP 751 `packages.directory`).
fn is_project(p: &RawPackage) -> bool {
    let path = p.directory.as_ref().and_then(|d| d.get_ref().get("path")).and_then(toml::Value::as_str);
    matches!(path, Some("." | "./" | ""))
}

fn located(s: Spanned<String>) -> Located {
    Located { span: s.span(), text: s.into_inner() }
}

fn check_lock_version(file: &SourceFile, v: Option<&Spanned<String>>, errors: &mut Vec<Diagnostic>) {
    let Some(v) = v else {
        errors.push(
            Diagnostic::error(file, 0..0, "missing `lock-version`")
                .with_help("PEP 751 lock files start with `lock-version = \"1.0\"`"),
        );
        return;
    };
    if v.get_ref().split('.').next() != Some("1") {
        errors.push(
            Diagnostic::error(file, v.span(), format!("lock-version `{}` is not supported", v.get_ref()))
                .with_help("this frontend reads PEP 751 lock-version 1.x"),
        );
    }
}

/// Validates one package; returns every problem found in it.
fn package(file: &SourceFile, p: RawPackage) -> Result<LockedPackage, Vec<Diagnostic>> {
    let raw_name = p.name.get_ref().clone();
    let name = normalize_name(&raw_name);
    let err = |span: Range<usize>, msg: String| Diagnostic::error(file, span, msg);
    if !is_valid_name(&raw_name) {
        return Err(vec![err(p.name.span(), format!("`{raw_name}` is not a valid package name"))]);
    }
    let help = "lock only packages from an index, with wheels or an sdist and their sha256 hashes";
    for (what, src) in [("VCS", &p.vcs), ("directory", &p.directory), ("archive", &p.archive)] {
        if let Some(s) = src {
            let msg = format!("package `{name}`: {what} sources are not supported");
            return Err(vec![err(s.span(), msg).with_help(help)]);
        }
    }
    if let Some(d) = p.version.as_ref().and_then(|v| check_version(file, &name, v)) {
        return Err(vec![d]);
    }
    let Some(version) = p.version.map(Spanned::into_inner) else {
        return Err(vec![err(p.name.span(), format!("package `{name}` has no `version`"))]);
    };
    let mut errors = Vec::new();
    if let Some(m) = &p.marker {
        errors.extend(check_marker(file, &m.span(), m.get_ref()));
    }
    if let Some(rp) = &p.requires_python {
        errors.extend(check_requires_python(file, &rp.span(), rp.get_ref()));
    }
    let mut artifacts = Vec::new();
    let files = p.wheels.iter().flatten().map(|w| (w, true)).chain(p.sdist.iter().map(|s| (s, false)));
    for (f, wheel) in files {
        match file_entry(file, &name, f).and_then(|e| artifact(file, (&name, &version), e, wheel)) {
            Ok(a) => artifacts.push(a),
            Err(d) => errors.push(d),
        }
    }
    if artifacts.is_empty() && errors.is_empty() {
        errors.push(err(p.name.span(), format!("package `{name}` has no `wheels` and no `sdist`")).with_help(help));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(LockedPackage {
        name,
        version,
        marker: p.marker.map(Spanned::into_inner),
        requires_python: p.requires_python.map(located),
        artifacts,
        hashes: Vec::new(),
        span: p.name.span(),
    })
}

/// Checks a file table's URL and sha256 (PEP 751: `hashes` is required, keyed by algorithm).
fn file_entry<'a>(file: &SourceFile, name: &str, f: &'a Spanned<RawFile>) -> Result<FileEntry<'a>, Diagnostic> {
    let raw = f.get_ref();
    let err = |span: Range<usize>, msg: String| Diagnostic::error(file, span, msg);
    let url = match (&raw.url, &raw.path) {
        (Some(u), _) => u,
        (None, Some(p)) => {
            return Err(err(p.span(), format!("package `{name}`: local file `{}` is not supported", p.get_ref()))
                .with_help("lock files from an index (with `url`) so the build can fetch them"));
        }
        (None, None) => return Err(err(f.span(), format!("package `{name}`: file has no `url`"))),
    };
    let Some(hashes) = &raw.hashes else {
        return Err(unhashed(err(f.span(), format!("package `{name}`: file `{}` has no `hashes`", url.get_ref()))));
    };
    let Some(sha) = hashes.get_ref().get("sha256") else {
        let have: Vec<&str> = hashes.get_ref().keys().map(String::as_str).collect();
        let msg = format!("package `{name}`: no sha256 hash (have: {})", have.join(", "));
        return Err(unhashed(err(hashes.span(), msg)));
    };
    if let Some(problem) = sha256_problem(sha.get_ref()) {
        return Err(unhashed(err(sha.span(), format!("package `{name}`: {problem}"))));
    }
    let (filename, span) = match &raw.name {
        Some(n) => (Some(n.get_ref().as_str()), n.span()),
        None => (None, url.span()),
    };
    Ok(FileEntry {
        filename,
        url: url.get_ref(),
        sha256: sha.get_ref().clone(),
        size: raw.size,
        span,
        url_span: url.span(),
    })
}
