//! Artifact selection: for one [`TargetEnv`], exactly one artifact per package whose marker
//! holds (requirements, pylock.toml) or that the dependency walk reaches (uv.lock, see
//! [`super::uvwalk`]). A lock-level `requires-python` or `environments` that excludes the
//! target is the only error reported: nothing else of the lock matters then.
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

use super::extras::Sets;
use super::markers::{self, Truth};
use super::tags::TagRanks;
use super::uvlock::{SourceKind, UvGraph};
use super::{finish, normalize_name, Artifact, ArtifactKind, Located, LockFile, LockedPackage, Selection, TargetEnv};

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

/// Selects one artifact per applicable package of `lock` for `env` and the manifest's
/// selection `sel` (already checked by [`super::check_selection`]), sorted by name.
pub fn select(
    lock: &LockFile,
    file: &SourceFile,
    env: &TargetEnv,
    sel: &Selection,
) -> Result<Vec<Selected>, Diagnostics> {
    if let Some(d) = lock.requires_python.as_ref().and_then(|rp| python_check(file, rp, env, "the lockfile")) {
        return Err(d.into());
    }
    if let Some(d) = environments_check(lock, file, env) {
        return Err(d.into());
    }
    let mut errors = Vec::new();
    let candidates: Vec<(&LockedPackage, Option<String>)> = match &lock.graph {
        Some(g) => reached(g, file, env, sel, &mut errors),
        None => lock.packages.iter().map(|p| (p, None)).collect(),
    };
    let sets = pylock_sets(lock, sel);
    let ranks = TagRanks::new(env);
    let mut chosen: Vec<Selected> = Vec::new();
    let mut first_line: BTreeMap<&str, usize> = BTreeMap::new();
    for (pkg, path) in candidates {
        match applies(pkg, file, env, &sets) {
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
            None => errors.push(no_fit(pkg, file, env, path.as_deref())),
        }
    }
    chosen.sort_by(|a, b| a.name.cmp(&b.name));
    finish(chosen, errors)
}

/// The registry packages the uv.lock walk reaches, with their paths; a reached package that
/// is not installable from an index is an error at its `source`.
fn reached<'a>(
    g: &'a UvGraph,
    file: &SourceFile,
    env: &TargetEnv,
    sel: &Selection,
    errors: &mut Vec<Diagnostic>,
) -> Vec<(&'a LockedPackage, Option<String>)> {
    let walked = match super::uvwalk::walk(g, file, env, sel) {
        Ok(w) => w,
        Err(mut e) => {
            errors.append(&mut e);
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for r in walked {
        match (&r.node.kind, &r.node.package) {
            (SourceKind::Project | SourceKind::Member, _) => {}
            (SourceKind::Other(kind), _) => {
                let msg =
                    format!("package `{}` ({}) for {env}: `{kind}` sources are not supported", r.node.name, r.path);
                let help = "install only packages from an index; only the project and workspace members may be editable or virtual";
                let d = Diagnostic::error(file, r.node.source_span.clone(), msg).with_help(help);
                errors.push(d.rule(&crate::rules::INVALID_LOCK));
            }
            (SourceKind::Registry, Ok(p)) => out.push((p, Some(r.path))),
            (SourceKind::Registry, Err(e)) => errors.extend(e.iter().cloned()),
        }
    }
    out
}

/// PEP 751 marker sets: the selected extras, and the selected groups or `default-groups`.
fn pylock_sets(lock: &LockFile, sel: &Selection) -> Sets {
    let extras: std::collections::BTreeSet<String> = sel.extras.iter().map(|e| normalize_name(e)).collect();
    let groups = match &sel.groups {
        Some(g) => g.iter().map(|g| normalize_name(g)).collect(),
        None => lock.default_groups.iter().cloned().collect(),
    };
    Sets { extra: extras.clone(), extras, groups }
}

/// Does `pkg` apply to `env`? Errors when its marker or `requires-python` cannot be decided
/// or when it applies but excludes the target's Python.
fn applies(pkg: &LockedPackage, file: &SourceFile, env: &TargetEnv, sets: &Sets) -> Result<bool, Diagnostic> {
    let err = |msg: String| Diagnostic::error(file, pkg.span.clone(), msg);
    if let Some(m) = &pkg.marker {
        match markers::evaluate_with(m, env, sets) {
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
fn no_fit(pkg: &LockedPackage, file: &SourceFile, env: &TargetEnv, path: Option<&str>) -> Diagnostic {
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
    let via = path.map_or(String::new(), |p| format!(" ({p})"));
    let msg = format!("package `{}` {}{via}: no wheel fits {env} and there is no sdist", pkg.name, pkg.version);
    Diagnostic::error(file, pkg.span.clone(), msg).with_help(format!("available wheel tags: {available}"))
}
