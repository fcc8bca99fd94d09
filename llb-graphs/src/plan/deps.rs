//! A service's lockfile, parsed and narrowed to one artifact per package for one platform.
//! Fail closed: every problem is an error in the lockfile, with a note at the manifest's
//! `lock = ...` line that named it.

use crate::diag::{Diagnostic, Diagnostics, Severity, SourceFile};
use crate::llb::Platform;
use crate::lock::{self, ArtifactKind, Libc, TargetEnv};
use crate::rules;

use super::install::{family_site, LockedDeps, SITE};
use super::ServicePlan;

/// glibc assumed for a family base without `glibc = "2.N"`: 2.28 admits `manylinux_2_28` and
/// older wheels, which run on every base of the fleet (Debian 11: 2.31, Debian 12: 2.36, Ubuntu
/// 22.04: 2.35). pip inside a Debian 12 base would also take `manylinux_2_34` wheels where a
/// package has them: declare `glibc = "2.36"` on the family to select as that pip does.
pub const ASSUMED_GLIBC: (u32, u32) = (2, 28);

/// Lockfile problems plus the manifest note that points at the `lock` key.
#[derive(Debug, thiserror::Error)]
#[error("{lock}\n{note}")]
pub struct DepsError {
    /// Problems in the lockfile (or, when it is missing, in the manifest).
    pub lock: Diagnostics,
    /// `fleet.toml:L:C: note: lockfile ... named here`.
    pub note: Box<Diagnostic>,
}

/// Parses `lock_file` and selects its artifacts for `platform`. `network` says whether the
/// build may reach an index (a requirements file without URLs needs one).
pub fn plan_deps(
    manifest: &SourceFile,
    plan: &ServicePlan,
    lock_file: &SourceFile,
    platform: &Platform,
    network: bool,
) -> Result<LockedDeps, DepsError> {
    let Some(at) = &plan.lock else {
        return Err(DepsError {
            lock: Diagnostics(vec![]),
            note: Box::new(Diagnostic::error(manifest, plan.span.clone(), "no lock")),
        });
    };
    deps_for(manifest, plan, (at, &plan.lock_select), SITE, lock_file, platform, network)
}

/// [`plan_deps`] for the lockfile of one family layer of the service's chain; its packages go
/// to `/opt/fleet/families/<name>/site`.
pub fn plan_family_deps(
    manifest: &SourceFile,
    plan: &ServicePlan,
    layer: &super::FamilyLayer,
    lock_file: &SourceFile,
    platform: &Platform,
    network: bool,
) -> Result<LockedDeps, DepsError> {
    let Some(at) = &layer.lock else {
        return Err(DepsError {
            lock: Diagnostics(vec![]),
            note: Box::new(Diagnostic::error(manifest, layer.span.clone(), "no lock")),
        });
    };
    let prefix = family_site(&layer.name);
    deps_for(manifest, plan, (at, &layer.lock_select), &prefix, lock_file, platform, network)
}

fn deps_for(
    manifest: &SourceFile,
    plan: &ServicePlan,
    (at, choice): (&super::At<String>, &LockSelect),
    prefix: &str,
    lock_file: &SourceFile,
    platform: &Platform,
    network: bool,
) -> Result<LockedDeps, DepsError> {
    let mut note = Diagnostic::error(manifest, at.span.clone(), format!("lockfile `{}` is named here", at.value));
    note.severity = Severity::Note;
    let fail = |rule: &'static crate::rules::Rule| {
        let note = note.clone();
        move |lock: Diagnostics| DepsError {
            lock: Diagnostics(lock.0.into_iter().map(|d| d.or_rule(rule)).collect()),
            note: Box::new(note),
        }
    };
    let parsed = lock::parse(lock_file).map_err(fail(&rules::INVALID_LOCK))?;
    let env = target_env(manifest, plan, platform).map_err(fail(&rules::INVALID_LOCK))?;
    let sel = choice.selection();
    let unknown = choice.problems(manifest, &lock::check_selection(&parsed, &sel));
    if !unknown.is_empty() {
        return Err(fail(&rules::INVALID_LOCK)(Diagnostics(unknown)));
    }
    let selected = lock::select(&parsed, lock_file, &env, &sel).map_err(fail(&rules::NO_MATCHING_ARTIFACT))?;
    let mut problems = vec![];
    for s in &selected {
        // The line the install step will write, proven writable here where errors have a place.
        if let Err(e) = crate::text::requirement_line(&s.name, &s.version, &crate::lower::selected_hashes(s)) {
            problems.push(Diagnostic::error(lock_file, s.span.clone(), e.to_string()).rule(&rules::INVALID_LOCK));
        }
        // An sdist is built in a builder step from its hash-checked archive, offline, with the
        // lock's own wheels as build environment; it needs a URL to be fetched by BuildKit.
        if matches!(s.artifact.kind, ArtifactKind::Sdist) && s.artifact.url.is_none() {
            let msg = format!("package `{}` {} has only a source distribution for {env}", s.name, s.version);
            problems.push(
                Diagnostic::error(lock_file, s.span.clone(), msg)
                    .with_help("an sdist is built from its locked URL; this lock entry has none")
                    .rule(&rules::NO_MATCHING_ARTIFACT),
            );
        }
    }
    let hashes_only = selected.iter().any(|s| matches!(s.artifact.kind, ArtifactKind::HashesOnly(_)));
    if (hashes_only || plan.index_secret.is_some()) && !network && problems.is_empty() {
        let msg = match &plan.index_secret {
            Some(id) => format!("`{}` is fetched by pip from the private index in secret `{id}`", at.value),
            None => format!("`{}` has hashes but no URLs, so pip must fetch the files from an index", at.value),
        };
        let d = Diagnostic::error(lock_file, 0..0, msg)
            .with_help("build with --network=host, or lock with URLs (uv.lock or pylock.toml)")
            .rule(&rules::INVALID_LOCK);
        problems.push(d);
    }
    if !problems.is_empty() {
        return Err(fail(&rules::INVALID_LOCK)(Diagnostics(problems)));
    }
    Ok(LockedDeps {
        path: at.value.clone(),
        selected,
        index_urls: parsed.index_urls.clone(),
        span: at.span.clone(),
        index_secret: plan.index_secret.clone(),
        prefix: prefix.to_string(),
    })
}

/// The manifest's `extras`, `groups` and `package` for one lock, with their spans.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockSelect {
    /// `extras = [..]`.
    pub extras: Vec<super::At<String>>,
    /// `groups = [..]` (`None`: the lock format's default).
    pub groups: Option<super::At<Vec<super::At<String>>>>,
    /// `package = ".."`.
    pub package: Option<super::At<String>>,
}

type Names<'a> = Option<&'a toml::Spanned<Vec<toml::Spanned<String>>>>;

impl LockSelect {
    /// From the manifest's keys.
    pub fn new(extras: Names<'_>, groups: Names<'_>, package: Option<&toml::Spanned<String>>) -> Self {
        let at = |s: &toml::Spanned<String>| super::At { value: s.get_ref().clone(), span: s.span() };
        let list = |l: &toml::Spanned<Vec<toml::Spanned<String>>>| l.get_ref().iter().map(at).collect::<Vec<_>>();
        LockSelect {
            extras: extras.map(list).unwrap_or_default(),
            groups: groups.map(|g| super::At { value: list(g), span: g.span() }),
            package: package.map(at),
        }
    }

    /// The names alone, for [`lock::select`].
    pub fn selection(&self) -> lock::Selection {
        let names = |l: &[super::At<String>]| l.iter().map(|a| a.value.clone()).collect::<Vec<_>>();
        lock::Selection {
            extras: names(&self.extras),
            groups: self.groups.as_ref().map(|g| names(&g.value)),
            package: self.package.as_ref().map(|p| p.value.clone()),
        }
    }

    /// Manifest errors, at the offending value, for what the lock does not have.
    fn problems(&self, manifest: &SourceFile, found: &[lock::SelectionProblem]) -> Vec<Diagnostic> {
        found
            .iter()
            .map(|p| {
                let at = match p.key {
                    lock::SelectionKey::Extras => self.extras.get(p.index),
                    lock::SelectionKey::Groups => self.groups.as_ref().and_then(|g| g.value.get(p.index)),
                    lock::SelectionKey::Package => self.package.as_ref(),
                };
                let (span, name) = at.map_or((0..0, ""), |a| (a.span.clone(), a.value.as_str()));
                let d = Diagnostic::error(manifest, span, p.message.clone()).rule(&rules::INVALID_LOCK);
                match crate::manifest::did_you_mean(name, p.known.iter().map(String::as_str)) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None if p.known.is_empty() => d,
                    None => d.with_help(format!("the lock has: {}", p.known.join(", "))),
                }
            })
            .collect()
    }
}

fn target_env(manifest: &SourceFile, plan: &ServicePlan, platform: &Platform) -> Result<TargetEnv, Diagnostics> {
    let python = plan.python.pair();
    let platform = platform.id().parse::<lock::Platform>().map_err(|e: lock::PlatformError| {
        let span = plan.lock.as_ref().map_or(plan.span.clone(), |l| l.span.clone());
        Diagnostics::from(Diagnostic::error(manifest, span, e.to_string()))
    })?;
    let (major, minor) = plan.family.glibc;
    Ok(TargetEnv { python, platform, libc: Libc::Glibc(major, minor) })
}
