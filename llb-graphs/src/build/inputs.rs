//! What a [`super::Request`] asks its caller for: the machine profile and the lockfiles, named
//! once here so the gateway, the CLI and the tests read the same paths.

use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::llb::Platform;
use crate::plan::{self, At, DepsError, LockedDeps, ServicePlan};
use crate::profile::{self, Profile};

/// The machine profile to load: built in, or `<dir>/<name>.json` in the build context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileNeed {
    /// `MACHINE`.
    pub name: String,
    /// `[fleet] profiles`, a folder in the build context; `None`: the built-in profiles.
    pub dir: Option<String>,
}

impl ProfileNeed {
    /// The profile `name` from `dir` (the context folder), or built in when there is none.
    pub fn new(dir: Option<String>, name: &str) -> Self {
        Self { name: name.to_string(), dir }
    }

    /// The file to read from the build context, when the profiles live there.
    pub fn path(&self) -> Option<String> {
        self.dir.as_ref().map(|d| format!("{d}/{}.json", self.name))
    }

    /// The built-in profile: `None` when the profiles live in the context or the name is unknown.
    pub fn builtin(&self) -> Option<Result<Profile, Diagnostics>> {
        self.dir.is_none().then(|| profile::builtin(&self.name)).flatten()
    }

    /// Parses the text the caller read from [`ProfileNeed::path`].
    pub fn parse(&self, text: String) -> Result<Profile, Diagnostics> {
        profile::parse(&SourceFile::new(self.path().unwrap_or_default(), text), &self.name)
    }
}

/// One lockfile to read: the family layer that names it (`None`: the service's own).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockNeed {
    /// The family layer, or `None` for the service.
    pub family: Option<String>,
    /// Its path in the context, with the span of the manifest's `lock` value.
    pub at: At<String>,
}

impl LockNeed {
    /// "lockfile `P` does not exist in the build context" at the manifest's `lock` line.
    pub fn missing(&self, manifest: &SourceFile) -> Diagnostic {
        let msg = format!("lockfile `{}` does not exist in the build context", self.at.value);
        Diagnostic::error(manifest, self.at.span.clone(), msg).rule(&crate::rules::INVALID_LOCK)
    }
}

/// The lockfiles the caller read, by [`LockNeed`].
#[derive(Clone, Debug, Default)]
pub struct Locks {
    own: Option<SourceFile>,
    families: Vec<(String, SourceFile)>,
}

impl Locks {
    /// Records the file read for `need`.
    pub fn insert(&mut self, need: &LockNeed, file: SourceFile) {
        match &need.family {
            None => self.own = Some(file),
            Some(f) => self.families.push((f.clone(), file)),
        }
    }
}

/// A lockfile's problems, with the lockfile they are in.
#[derive(Debug)]
pub struct LockError {
    /// The lockfile.
    pub lock_file: SourceFile,
    /// Its problems and the manifest note.
    pub error: DepsError,
}

impl LockError {
    /// The lockfile's problems, then the note at the manifest's `lock` line.
    pub fn unfold(self) -> Vec<Diagnostic> {
        let mut v = self.error.lock.0;
        v.push(*self.error.note);
        v
    }
}

/// The lockfiles `p` reads: each family layer's (root first), then the service's.
pub fn lock_needs(p: &ServicePlan) -> Vec<LockNeed> {
    let layers = p.family.chain.iter().filter_map(|l| l.lock.clone().map(|at| (Some(l.name.clone()), at)));
    layers.chain(p.lock.clone().map(|at| (None, at))).map(|(family, at)| LockNeed { family, at }).collect()
}

/// Every lockfile's artifacts for `platform` (`net`: the build may reach an index).
pub fn select_locks(
    file: &SourceFile,
    p: &ServicePlan,
    locks: &Locks,
    platform: &Platform,
    net: bool,
) -> Result<Vec<LockedDeps>, LockError> {
    fn fail(lf: &SourceFile) -> impl FnOnce(DepsError) -> LockError + '_ {
        move |error| LockError { lock_file: lf.clone(), error }
    }
    let mut out = vec![];
    for layer in &p.family.chain {
        if let Some((_, lf)) = locks.families.iter().find(|(f, _)| *f == layer.name) {
            out.push(plan::plan_family_deps(file, p, layer, lf, platform, net).map_err(fail(lf))?);
        }
    }
    if let Some(lf) = &locks.own {
        out.push(plan::plan_deps(file, p, lf, platform, net).map_err(fail(lf))?);
    }
    Ok(out)
}
