//! Semantic checks that serde cannot express: references between tables, port ranges and
//! clashes, paths that must stay inside the build context. All problems are collected.

use std::collections::BTreeMap;

use super::types::{Manifest, SString};
use crate::diag::{Diagnostic, SourceFile};
use crate::rules::{self, Rule};
use crate::value::{ContextPath, PythonVersion};

/// What a path in the build context turned out to be (the caller looks; this crate does no I/O).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathKind {
    /// Nothing there.
    Missing,
    /// A regular file (or anything that is not a directory).
    File,
    /// A directory.
    Dir,
    /// The path, or a directory on the way to it, is a symlink: BuildKit transfers links as
    /// links, so what they point to (perhaps outside the context) is never sent.
    Symlink,
}

/// Every semantic problem of `m`, each tagged with its [`crate::rules`] id.
pub fn validate(file: &SourceFile, m: &Manifest) -> Vec<Diagnostic> {
    let mut out = vec![];
    let err = |s: &SString, rule: &'static Rule, msg: String| Diagnostic::error(file, s.span(), msg).rule(rule);
    for (name, fam) in &m.families {
        check_name(file, name, "family", &mut out);
        let (f, typed) = (fam.get_ref(), m.typed.family(name.get_ref()));
        let n = name.get_ref();
        if let (Some(b), Some(Err(why))) = (&f.base, &typed.base) {
            out.push(err(b, &rules::INVALID_BASE_REFERENCE, format!("family `{n}`: base `{}` {why}", b.get_ref())));
        }
        check_env(file, &f.env, &mut out);
        if let Some(b) = &f.builder {
            let img = &b.get_ref().image;
            if let Some(Err(why)) = &typed.builder_image {
                let msg = format!("family `{n}`: builder image `{}` {why}", img.get_ref());
                out.push(err(img, &rules::INVALID_BASE_REFERENCE, msg));
            }
            check_env(file, &b.get_ref().env, &mut out);
        }
        if let (Some(g), Some(Err(why))) = (&f.glibc, &typed.glibc) {
            let msg = format!("family `{n}`: glibc `{}` {why}", g.get_ref());
            out.push(err(g, &rules::INVALID_GLIBC, msg).with_help("e.g. glibc = \"2.36\" for Debian 12 bases"));
        }
        super::contract::check_reserved_env(file, &format!("family `{n}`"), &f.env, &mut out);
        if let (Some(py), Some(Err(why))) = (&f.python, &typed.python) {
            out.push(err(py, &rules::INVALID_PYTHON, format!("family `{n}`: python `{}` {why}", py.get_ref())));
        }
    }
    let fleet = m.fleet.as_ref().map(|f| f.get_ref());
    if let (Some(py), Some(Err(why))) = (fleet.and_then(|f| f.python.as_ref()), &m.typed.fleet_python) {
        out.push(err(py, &rules::INVALID_PYTHON, format!("fleet python `{}` {why}", py.get_ref())));
    }
    if let (Some(p), Some(Err(why))) = (fleet.and_then(|f| f.profiles.as_ref()), &m.typed.profiles) {
        out.push(err(p, &rules::PATH_OUTSIDE_CONTEXT, format!("profiles folder `{}` {why}", p.get_ref())));
    }
    if let Some(u) = m.fleet.as_ref().and_then(|f| f.get_ref().artifact_mirror.as_ref()) {
        if let Some(p) = crate::lock::url_policy::url_problem(u.get_ref(), crate::lock::url_policy::UrlUse::Mirror) {
            let msg = format!("artifact_mirror `{}` {}", super::contract::printable(u.get_ref()), p.message);
            out.push(err(u, &rules::UNSAFE_ARTIFACT_URL, msg).with_help(p.help));
        }
    }
    if let Some(f) = &m.fleet {
        super::installer::validate(file, f.get_ref(), &mut out);
    }
    out.extend(super::families::validate_families(file, m));
    for name in m.services.keys() {
        if m.families.contains_key(name) {
            let msg = format!("service `{}` has the name of a family; targets must be unique", name.get_ref());
            out.push(err(name, &rules::INVALID_NAME, msg));
        }
    }
    if m.services.is_empty() {
        let d = Diagnostic::error(file, 0..0, "manifest defines no services").with_help("add a [services.NAME] table");
        out.push(d.rule(&rules::NO_SERVICES));
    }
    let mut ports = BTreeMap::new();
    // File order, so a clash is reported on the later of the two entries.
    let mut services: Vec<_> = m.services.iter().collect();
    services.sort_by_key(|(k, _)| k.span().start);
    for (name, svc) in services {
        check_name(file, name, "service", &mut out);
        super::service::validate_service(file, m, name, svc, &mut ports, &mut out);
    }
    out.sort_by_key(|d| d.span.start);
    out
}

/// Problems with paths that must exist in the build context.
pub fn check_paths(file: &SourceFile, m: &Manifest, look: &dyn Fn(&str) -> PathKind) -> Vec<Diagnostic> {
    let mut out = vec![];
    for (name, svc) in &m.services {
        let src = &svc.get_ref().source;
        let Some(Ok(path)) = &m.typed.service(name.get_ref()).source else {
            continue;
        };
        let Some(problem) = source_problem(look(path.as_str())) else { continue };
        let msg = format!("service `{}`: source directory `{}` {problem}", name.get_ref(), src.get_ref());
        out.push(Diagnostic::error(file, src.span(), msg).rule(&rules::MISSING_SOURCE));
    }
    out
}

/// What is wrong with a source directory that turned out to be `kind` (`None`: a directory).
/// The one wording of `MissingSource`, for the CLI's look on disk and the gateway's over BuildKit.
pub fn source_problem(kind: PathKind) -> Option<&'static str> {
    match kind {
        PathKind::Dir => None,
        PathKind::Missing => Some("does not exist in the build context"),
        PathKind::File => Some("is a file; it must be a directory"),
        PathKind::Symlink => Some("is (or passes through) a symlink; BuildKit sends links, not their targets"),
    }
}

/// [`ContextPath::parse`] as a string: the one parser of context paths, for the checks here.
pub fn context_path(p: &str) -> Result<String, &'static str> {
    ContextPath::parse(p).map(ContextPath::into_string)
}

fn check_name(file: &SourceFile, name: &SString, what: &str, out: &mut Vec<Diagnostic>) {
    let n = name.get_ref();
    let ok = n.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && n.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !ok {
        let msg =
            format!("{what} name `{n}` must start with a letter or digit and use only letters, digits, `-`, `_`, `.`");
        out.push(Diagnostic::error(file, name.span(), msg).rule(&rules::INVALID_NAME));
    }
}

/// Environment variable names must be shell names.
pub(super) fn check_env(file: &SourceFile, env: &BTreeMap<SString, SString>, out: &mut Vec<Diagnostic>) {
    for k in env.keys() {
        let n = k.get_ref();
        let ok = n.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            let msg = format!("environment variable name `{n}` is not valid");
            out.push(Diagnostic::error(file, k.span(), msg).rule(&rules::INVALID_ENV_NAME));
        }
    }
}

/// `2.N` as `(2, N)` (glibc has had major version 2 since 1997).
pub fn parse_glibc(s: &str) -> Option<(u32, u32)> {
    let minor = s.trim().strip_prefix("2.")?;
    if minor.is_empty() || minor.len() > 3 || !minor.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((2, minor.parse().ok()?))
}

/// `"3.11"` → `(3, 11)` ([`PythonVersion::parse`]).
pub fn parse_python(s: &str) -> Option<(u32, u32)> {
    PythonVersion::parse(s).map(PythonVersion::pair)
}

/// The `extras`, `groups` and `package` values of a service or family.
pub(super) type SelectionKeys<'a> =
    (Option<&'a toml::Spanned<Vec<SString>>>, Option<&'a toml::Spanned<Vec<SString>>>, Option<&'a SString>);

/// `extras`, `groups` and `package` of `owner` (`service \`x\`` / `family \`x\``): they need a
/// `lock`, and each is a PEP 508 name. Whether the lock has them is checked when it is read
/// (`plan::deps`), since validation reads no files.
pub(super) fn check_lock_selection(
    file: &SourceFile,
    owner: &str,
    lock: Option<&SString>,
    keys: SelectionKeys<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let (extras, groups, package) = keys;
    let lists = [("extras", extras), ("groups", groups)];
    let mut names: Vec<(&str, &SString)> =
        lists.iter().flat_map(|(k, l)| l.iter().flat_map(|l| l.get_ref().iter()).map(move |v| (*k, v))).collect();
    names.extend(package.map(|p| ("package", p)));
    if lock.is_none() {
        let first = extras.map(|e| e.span()).or(groups.map(|g| g.span())).or(package.map(|p| p.span()));
        if let Some(span) = first {
            let msg = format!("{owner}: `extras`, `groups` and `package` choose from a lock, but there is no `lock`");
            out.push(Diagnostic::error(file, span, msg).rule(&rules::INVALID_LOCK).with_help("add lock = \"uv.lock\""));
        }
        return;
    }
    for (key, v) in names {
        if !crate::lock::is_valid_name(v.get_ref()) {
            let msg = format!("{owner}: `{}` in `{key}` is not a valid name", v.get_ref());
            out.push(Diagnostic::error(file, v.span(), msg).rule(&rules::INVALID_LOCK));
        }
    }
}
