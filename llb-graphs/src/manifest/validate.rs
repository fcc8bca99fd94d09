//! Semantic checks that serde cannot express: references between tables, port ranges and
//! clashes, paths that must stay inside the build context. All problems are collected.

use std::collections::BTreeMap;

use super::did_you_mean;
use super::types::{Manifest, SString};
use crate::diag::{Diagnostic, SourceFile};

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

/// Every semantic problem of `m`.
pub fn validate(file: &SourceFile, m: &Manifest) -> Vec<Diagnostic> {
    let mut out = vec![];
    let err = |s: &SString, msg: String| Diagnostic::error(file, s.span(), msg);
    for (name, fam) in &m.families {
        check_name(file, name, "family", &mut out);
        if let Some(b) = &fam.get_ref().base {
            if let Err(why) = crate::plan::ImageRef::parse(b.get_ref()) {
                out.push(err(b, format!("family `{}`: base `{}` {why}", name.get_ref(), b.get_ref())));
            }
        }
        check_env(file, &fam.get_ref().env, &mut out);
        if let Some(py) = &fam.get_ref().python {
            if parse_python(py.get_ref()).is_none() {
                out.push(err(py, format!("family `{}`: python `{}` is not `3.N`", name.get_ref(), py.get_ref())));
            }
        }
    }
    if let Some(py) = m.fleet.as_ref().and_then(|f| f.get_ref().python.as_ref()) {
        if parse_python(py.get_ref()).is_none() {
            out.push(err(py, format!("fleet python `{}` is not `3.N`", py.get_ref())));
        }
    }
    if let Some(p) = m.fleet.as_ref().and_then(|f| f.get_ref().profiles.as_ref()) {
        if let Err(why) = context_path(p.get_ref()) {
            out.push(err(p, format!("profiles folder `{}` {why}", p.get_ref())));
        }
    }
    out.extend(super::families::validate_families(file, m));
    for name in m.services.keys() {
        if m.families.keys().any(|f| f.get_ref() == name.get_ref()) {
            let msg = format!("service `{}` has the name of a family; targets must be unique", name.get_ref());
            out.push(Diagnostic::error(file, name.span(), msg));
        }
    }
    if m.services.is_empty() {
        out.push(
            Diagnostic::error(file, 0..0, "manifest defines no services").with_help("add a [services.NAME] table"),
        );
    }
    let mut ports: BTreeMap<i64, (String, &str)> = BTreeMap::new();
    // File order, so a clash is reported on the later of the two entries.
    let mut services: Vec<_> = m.services.iter().collect();
    services.sort_by_key(|(k, _)| k.span().start);
    for (name, svc) in services {
        check_name(file, name, "service", &mut out);
        let s = svc.get_ref();
        let fam = s.family.get_ref();
        if !m.families.keys().any(|k| k.get_ref() == fam) {
            let known: Vec<&str> = m.families.keys().map(|k| k.get_ref().as_str()).collect();
            let mut d = err(&s.family, format!("service `{}`: unknown family `{fam}`", name.get_ref()));
            d = match did_you_mean(fam, known.iter().copied()) {
                Some(sug) => d.with_help(format!("did you mean `{sug}`?")),
                None if known.is_empty() => d.with_help("no [families.NAME] table is defined"),
                None => d.with_help(format!("known families: {}", known.join(", "))),
            };
            out.push(d);
        }
        if let Err(why) = context_path(s.source.get_ref()) {
            out.push(err(&s.source, format!("service `{}`: source `{}` {why}", name.get_ref(), s.source.get_ref())));
        }
        if s.command.get_ref().is_empty() || s.command.get_ref()[0].get_ref().trim().is_empty() {
            out.push(Diagnostic::error(
                file,
                s.command.span(),
                format!("service `{}`: command is empty", name.get_ref()),
            ));
        }
        // serde would also read `ports = [8080, 8081]` positionally; the order must not decide.
        if file.text.get(s.ports.span()).is_some_and(|t| t.trim_start().starts_with('[')) {
            let msg = format!("service `{}`: ports must be a table, not an array", name.get_ref());
            out.push(
                Diagnostic::error(file, s.ports.span(), msg)
                    .with_help("write ports = { service = 8080, health = 8081 }"),
            );
        }
        check_ports(file, name.get_ref(), s, &mut ports, &mut out);
        if let Some(p) = &s.health_path {
            if !p.get_ref().starts_with('/') || p.get_ref().chars().any(char::is_whitespace) {
                out.push(err(p, format!("health_path `{}` must start with `/` and contain no spaces", p.get_ref())));
            }
        }
        if let Some(w) = &s.workdir {
            let wd = w.get_ref();
            if !wd.starts_with('/')
                || wd.split('/').any(|c| c == ".." || c == ".")
                || wd.trim_end_matches('/').is_empty()
            {
                out.push(err(
                    w,
                    format!("workdir `{}` must be an absolute path below `/` without `.` or `..`", w.get_ref()),
                ));
            }
        }
        for w in &s.writable {
            if let Err(why) =
                context_path(w.get_ref()).and_then(|p| if p == "." { Err("is the whole workdir") } else { Ok(p) })
            {
                // The same path rules, but these directories live under the workdir.
                let why = why.replace("the build context", "the workdir");
                out.push(err(w, format!("writable directory `{}` {why}", w.get_ref())));
            }
        }
        check_env(file, &s.env, &mut out);
        if let Some(l) = &s.lock {
            match context_path(l.get_ref()) {
                Err(why) => out.push(err(l, format!("service `{}`: lock `{}` {why}", name.get_ref(), l.get_ref()))),
                Ok(p) if crate::lock::LockKind::detect(&p).is_none() => out.push(
                    err(l, format!("service `{}`: lock `{}` is not a known lockfile", name.get_ref(), l.get_ref()))
                        .with_help(
                            "use requirements*.txt (with --hash), pylock.toml / pylock.NAME.toml (PEP 751) or uv.lock",
                        ),
                ),
                Ok(_) => {}
            }
        }
    }
    out.sort_by_key(|d| d.span.start);
    out
}

/// Problems with paths that must exist in the build context.
pub fn check_paths(file: &SourceFile, m: &Manifest, look: &dyn Fn(&str) -> PathKind) -> Vec<Diagnostic> {
    let mut out = vec![];
    for (name, svc) in &m.services {
        let src = &svc.get_ref().source;
        let Ok(path) = context_path(src.get_ref()) else {
            continue;
        };
        let problem = match look(&path) {
            PathKind::Dir => continue,
            PathKind::Missing => "does not exist in the build context",
            PathKind::File => "is a file; it must be a directory",
            PathKind::Symlink => "is (or passes through) a symlink; BuildKit sends links, not their targets",
        };
        let msg = format!("service `{}`: source directory `{}` {problem}", name.get_ref(), src.get_ref());
        out.push(Diagnostic::error(file, src.span(), msg));
    }
    out
}

/// Normalises a path that must stay inside the build context: relative, no `..`, `./` folded.
/// Returns `.` for the context root.
pub fn context_path(p: &str) -> Result<String, &'static str> {
    if p.starts_with('/') || p.starts_with('\\') || p.contains(':') && p.len() > 1 && p.as_bytes()[1] == b':' {
        return Err("is absolute; it must be relative to the build context");
    }
    let mut parts = vec![];
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => return Err("escapes the build context (`..`)"),
            c if c.chars().any(|ch| ch.is_control()) => return Err("contains control characters"),
            c => parts.push(c),
        }
    }
    Ok(if parts.is_empty() { ".".into() } else { parts.join("/") })
}

fn check_name(file: &SourceFile, name: &SString, what: &str, out: &mut Vec<Diagnostic>) {
    let n = name.get_ref();
    let ok = n.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && n.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !ok {
        let msg =
            format!("{what} name `{n}` must start with a letter or digit and use only letters, digits, `-`, `_`, `.`");
        out.push(Diagnostic::error(file, name.span(), msg));
    }
}

fn check_env(file: &SourceFile, env: &BTreeMap<SString, SString>, out: &mut Vec<Diagnostic>) {
    for k in env.keys() {
        let n = k.get_ref();
        let ok = n.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            out.push(Diagnostic::error(file, k.span(), format!("environment variable name `{n}` is not valid")));
        }
    }
}

fn check_ports<'m>(
    file: &SourceFile,
    name: &str,
    s: &'m super::types::Service,
    seen: &mut BTreeMap<i64, (String, &'m str)>,
    out: &mut Vec<Diagnostic>,
) {
    let p = s.ports.get_ref();
    for (kind, port) in [("service", &p.service), ("health", &p.health)] {
        let v = *port.get_ref();
        let d = |msg: String| Diagnostic::error(file, port.span(), msg);
        if !(1..=65535).contains(&v) {
            out.push(d(format!("service `{name}`: {kind} port {v} is out of range (1-65535)")));
            continue;
        }
        if let Some((other, other_kind)) = seen.get(&v) {
            if other == name {
                out.push(
                    d(format!("service `{name}`: health port {v} equals its service port"))
                        .with_help("give /health its own port"),
                );
            } else {
                out.push(d(format!(
                    "service `{name}`: {kind} port {v} is already the {other_kind} port of service `{other}`"
                )));
            }
            continue;
        }
        seen.insert(v, (name.to_string(), kind));
    }
}

/// `"3.11"` → `(3, 11)`.
pub fn parse_python(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.trim().split_once('.')?;
    let v = (a.parse().ok()?, b.parse().ok()?);
    (v.0 == 3).then_some(v)
}

/// [`context_path`] for values `validate` has already accepted.
pub fn context_path_pub(p: &str) -> String {
    context_path(p).unwrap_or_else(|_| ".".into())
}
