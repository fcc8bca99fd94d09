//! Artifact selection: for one [`TargetEnv`], exactly one artifact per package whose marker
//! holds.
//!
//! Rules, in order: the best-ranked compatible wheel (rank = position in
//! [`super::tags::compatible_tags`], the order pip prefers); ties go to the higher build tag
//! (PEP 427), then the smaller filename, so the choice never depends on file order. An sdist
//! only when no wheel fits. Fail closed: a marker or `requires-python` that cannot be decided
//! for a `major.minor` target, two entries of one package that both apply, or a package with
//! nothing installable is an error at the package, naming the target and what was available.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::diag::{Diagnostic, Diagnostics, SourceFile};

use super::markers::{self, Truth};
use super::tags::TagRanks;
use super::{finish, Artifact, ArtifactKind, Located, LockFile, LockedPackage, TargetEnv};

/// The artifact chosen for one package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selected {
    /// PEP 503-normalised name.
    pub name: String,
    /// Pinned version.
    pub version: String,
    /// The chosen file. For requirements files (no file names) this is an
    /// [`ArtifactKind::HashesOnly`] artifact with an empty `filename` and no `url`: the
    /// installer picks the file and must check it against the listed digests.
    pub artifact: Artifact,
    /// Where the package is named in the lockfile.
    pub span: Range<usize>,
}

/// Selects one artifact per applicable package of `lock` for `env`, sorted by name.
pub fn select(lock: &LockFile, file: &SourceFile, env: &TargetEnv) -> Result<Vec<Selected>, Diagnostics> {
    let mut errors = Vec::new();
    if let Some(rp) = &lock.requires_python {
        errors.extend(python_check(file, rp, env, "the lockfile"));
    }
    errors.extend(environments_check(lock, file, env));
    let ranks = TagRanks::new(env);
    let mut chosen: Vec<Selected> = Vec::new();
    let mut first_line: BTreeMap<&str, usize> = BTreeMap::new();
    for pkg in &lock.packages {
        match applies(pkg, file, env) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(d) => {
                errors.push(d);
                continue;
            }
        }
        if let Some(line) = first_line.get(pkg.name.as_str()) {
            let msg = format!("package `{}` is locked more than once for {env} (also at line {line})", pkg.name);
            errors.push(Diagnostic::error(file, pkg.span.clone(), msg).with_help("the markers of its entries overlap"));
            continue;
        }
        first_line.insert(&pkg.name, file.position(pkg.span.start).0);
        match pick(pkg, &ranks) {
            Some(artifact) => chosen.push(Selected {
                name: pkg.name.clone(),
                version: pkg.version.clone(),
                artifact,
                span: pkg.span.clone(),
            }),
            None => errors.push(no_fit(pkg, file, env)),
        }
    }
    chosen.sort_by(|a, b| a.name.cmp(&b.name));
    finish(chosen, errors)
}

/// Does `pkg` apply to `env`? Errors when its marker or `requires-python` cannot be decided
/// or when it applies but excludes the target's Python.
fn applies(pkg: &LockedPackage, file: &SourceFile, env: &TargetEnv) -> Result<bool, Diagnostic> {
    let err = |msg: String| Diagnostic::error(file, pkg.span.clone(), msg);
    if let Some(m) = &pkg.marker {
        match markers::evaluate(m, env) {
            Ok(Truth::True) => {}
            Ok(Truth::False) => return Ok(false),
            Ok(Truth::Unknown) => {
                return Err(err(format!(
                    "package `{}`: marker `{m}` depends on the Python patch version, which target {env} does not fix",
                    pkg.name
                )))
            }
            Err(e) => return Err(err(format!("package `{}`: marker `{m}`: {}", pkg.name, e.message))),
        }
    }
    if let Some(rp) = &pkg.requires_python {
        if let Some(d) = python_check(file, rp, env, &format!("package `{}`", pkg.name)) {
            return Err(d);
        }
    }
    Ok(true)
}

/// An error unless `requires-python` `rp` certainly admits the target's Python.
fn python_check(file: &SourceFile, rp: &Located, env: &TargetEnv, who: &str) -> Option<Diagnostic> {
    let msg = match markers::python_satisfies(&rp.text, env) {
        Ok(Truth::True) => return None,
        Ok(Truth::False) => format!("{who} requires Python `{}`; the target is {env}", rp.text),
        Ok(Truth::Unknown) => {
            format!("{who} requires Python `{}`, which depends on the patch version; the target is {env}", rp.text)
        }
        Err(e) => format!("{who}: requires-python `{}`: {e}", rp.text),
    };
    Some(Diagnostic::error(file, rp.span.clone(), msg))
}

/// PEP 751 `environments`: when present, the target must match at least one.
fn environments_check(lock: &LockFile, file: &SourceFile, env: &TargetEnv) -> Option<Diagnostic> {
    let first = lock.environments.first()?;
    let any = lock.environments.iter().any(|e| matches!(markers::evaluate(&e.text, env), Ok(Truth::True)));
    (!any).then(|| {
        Diagnostic::error(file, first.span.clone(), format!("no entry of `environments` matches {env}"))
            .with_help("re-lock for this target, or build for one of the locked environments")
    })
}

/// The best artifact of `pkg`, or `None` if nothing fits.
fn pick(pkg: &LockedPackage, ranks: &TagRanks) -> Option<Artifact> {
    if pkg.artifacts.is_empty() {
        let first = pkg.hashes.first()?;
        return Some(Artifact {
            filename: String::new(),
            url: None,
            sha256: first.clone(),
            size: None,
            kind: ArtifactKind::HashesOnly(pkg.hashes.clone()),
        });
    }
    let wheel = pkg
        .artifacts
        .iter()
        .filter_map(|a| match &a.kind {
            ArtifactKind::Wheel(w) => ranks.rank(w).map(|r| (r, w, a)),
            _ => None,
        })
        .min_by(|(r1, w1, a1), (r2, w2, a2)| {
            r1.cmp(r2).then_with(|| w2.build.cmp(&w1.build)).then_with(|| a1.filename.cmp(&a2.filename))
        })
        .map(|(_, _, a)| a);
    let sdist =
        || pkg.artifacts.iter().filter(|a| a.kind == ArtifactKind::Sdist).min_by(|a, b| a.filename.cmp(&b.filename));
    wheel.or_else(sdist).cloned()
}

/// "No artifact fits" at the package, listing the wheel tags that were available.
fn no_fit(pkg: &LockedPackage, file: &SourceFile, env: &TargetEnv) -> Diagnostic {
    let mut tags: Vec<String> = pkg
        .artifacts
        .iter()
        .filter_map(|a| match &a.kind {
            ArtifactKind::Wheel(w) => Some(w.tag_string()),
            _ => None,
        })
        .collect();
    tags.sort();
    tags.dedup();
    let available = if tags.is_empty() { "none".to_string() } else { tags.join(", ") };
    let msg = format!("package `{}` {}: no wheel fits {env} and there is no sdist", pkg.name, pkg.version);
    Diagnostic::error(file, pkg.span.clone(), msg).with_help(format!("available wheel tags: {available}"))
}
