//! The build driver, sans I/O: one [`Request`] (manifest text, target, typed [`BuildArgs`])
//! says what it needs — a machine profile ([`ProfileNeed`]), lockfiles ([`LockNeed`]), what the
//! source directory is ([`PathKind`]), a resolved base per platform — the caller supplies each
//! (the gateway over BuildKit, the CLI from disk, the golden tests from fixtures) and
//! [`Request::finish`] returns one marshalled graph per platform. The shape of BuildKit's
//! `dockerfile2llb.Dockerfile2LLB(ctx, dt, ConvertOpt)` (frontend/dockerfile/dockerfile2llb),
//! turned inside out because this crate is sync: inputs are handed in, not fetched through an
//! injected resolver. Subrequests read the same request, so `--print=outline` shows the values
//! the build uses.

mod args;
mod inputs;

pub use args::{
    BuildArgError, BuildArgs, FamilyMode, BUILDKIT_ATTEST_SBOM, BUILDKIT_CACHE_MOUNT_NS, BUILDKIT_DOCKERFILE_CHECK,
    DESCRIBED, FLEET_ARTIFACT_MIRROR, FLEET_FAMILIES, MACHINE, REVISION, SOURCE_DATE_EPOCH,
};
pub use inputs::{lock_needs, select_locks, LockError, LockNeed, Locks, ProfileNeed};

use crate::diag::{Diagnostic, Diagnostics, Severity, SourceFile};
use crate::llb::{pb, MarshalError, MarshalOptions, Platform};
use crate::lower::{ImageConfigError, LowerOptions, ResolvedImage};
use crate::manifest::{Manifest, PathKind};
use crate::plan::{At, LockedDeps, ServicePlan, TargetKind};
use crate::profile::Profile;

/// One build of one target: the manifest, its plan and the build-args, checked.
#[derive(Debug)]
pub struct Request {
    /// The manifest text.
    pub file: SourceFile,
    /// The validated manifest.
    pub manifest: Manifest,
    /// The target's plan (`FLEET_FAMILIES=published` applied).
    pub plan: ServicePlan,
    /// The build-args.
    pub args: BuildArgs,
    /// Lint findings that do not fail the build (the gateway shows them as warnings).
    pub warnings: Vec<Diagnostic>,
}

/// Per platform: the base the caller resolved and the deps [`Request::select`] chose.
#[derive(Clone, Debug)]
pub struct PlatformInputs {
    /// The platform.
    pub platform: Platform,
    /// The family base, resolved for it.
    pub base: ResolvedImage,
    /// Its locked dependencies.
    pub deps: Vec<LockedDeps>,
    /// The builder image of each family layer that has one (`[families.X.builder]`), resolved;
    /// a layer missing here builds on its unresolved reference.
    pub builders: std::collections::BTreeMap<String, ResolvedImage>,
}

/// One lowered, marshalled graph.
#[derive(Clone, Debug)]
pub struct Graph {
    /// Its platform.
    pub platform: Platform,
    /// The marshalled definition.
    pub definition: pb::Definition,
    /// `containerimage.config`.
    pub image_config: serde_json::Value,
}

/// What can still fail once every input is in.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The image config could not be written.
    #[error(transparent)]
    Lower(#[from] ImageConfigError),
    /// The graph could not be marshalled (e.g. a cap the daemon lacks).
    #[error(transparent)]
    Marshal(#[from] MarshalError),
}

impl Request {
    /// A build request: the manifest parsed and validated, the target planned, and the build's
    /// lint gate applied (`check=...;error=true` turns warnings into errors). Errors come back
    /// together: the failing lint findings, then the planning errors.
    pub fn new(file: SourceFile, target: Option<&str>, args: BuildArgs) -> Result<Self, Diagnostics> {
        let manifest = crate::manifest::parse(&file)?;
        Self::from_manifest(file, manifest, target, args)
    }

    /// [`Request::new`] for a manifest the caller has parsed already.
    pub fn from_manifest(
        file: SourceFile,
        manifest: Manifest,
        target: Option<&str>,
        args: BuildArgs,
    ) -> Result<Self, Diagnostics> {
        Self::make(file, manifest, target, args, true)
    }

    /// [`Request::new`] without the lint gate, for subrequests that describe a target.
    pub fn describe(file: SourceFile, target: Option<&str>, args: BuildArgs) -> Result<Self, Diagnostics> {
        let manifest = crate::manifest::parse(&file)?;
        Self::make(file, manifest, target, args, false)
    }

    fn make(
        file: SourceFile,
        manifest: Manifest,
        target: Option<&str>,
        args: BuildArgs,
        gate: bool,
    ) -> Result<Self, Diagnostics> {
        let (failing, warnings): (Vec<_>, Vec<_>) =
            crate::lint::build_warnings(&file, &manifest, args.check.as_deref())
                .into_iter()
                .partition(|d| d.severity == Severity::Error);
        let mut problems = if gate { failing } else { vec![] };
        let mut plan = match crate::plan::plan_service(&file, &manifest, target) {
            Ok(p) if problems.is_empty() => p,
            Ok(_) => return Err(Diagnostics(problems)),
            Err(d) => {
                problems.extend(d.0);
                return Err(Diagnostics(problems));
            }
        };
        if args.families == FamilyMode::Published && plan.kind == TargetKind::Service {
            crate::plan::use_published_families(&mut plan, &manifest, &args.machine);
        }
        Ok(Self { file, manifest, plan, args, warnings })
    }

    /// The platforms to build: those asked for, else `default`; each checked against the target.
    pub fn platforms(&self, requested: &[Platform], default: Platform) -> Result<Vec<Platform>, Diagnostics> {
        let platforms = if requested.is_empty() { vec![default] } else { requested.to_vec() };
        for p in &platforms {
            crate::plan::check_platform(&self.file, &self.plan, p)?;
        }
        Ok(platforms)
    }

    /// The machine profile the build needs (`MACHINE`, from `[fleet] profiles` or built in).
    pub fn profile_need(&self) -> ProfileNeed {
        ProfileNeed::new(self.plan.profiles_dir.clone(), &self.args.machine)
    }

    /// Refuses a profile the target cannot run on (a CUDA family on a machine without GPU).
    pub fn check_profile(&self, profile: &Profile) -> Result<(), Diagnostics> {
        crate::plan::check_profile(&self.file, &self.plan, profile)
    }

    /// The source directory to look at before building, if the target copies one: the caller
    /// says what it is with [`Request::check_source`].
    pub fn source_need(&self) -> Option<&At<String>> {
        (self.plan.kind == TargetKind::Service && self.plan.source.value != ".").then_some(&self.plan.source)
    }

    /// A source directory that is not a directory, at its manifest line.
    pub fn check_source(&self, kind: PathKind) -> Result<(), Diagnostics> {
        let Some(problem) = crate::manifest::validate::source_problem(kind) else { return Ok(()) };
        let (name, src) = (&self.plan.name, &self.plan.source);
        let msg = format!("service `{name}`: source directory `{}` {problem}", src.value);
        Err(Diagnostic::error(&self.file, src.span.clone(), msg).rule(&crate::rules::MISSING_SOURCE).into())
    }

    /// The lockfiles to read: each family layer's (root first), then the service's.
    pub fn lock_needs(&self) -> Vec<LockNeed> {
        inputs::lock_needs(&self.plan)
    }

    /// Every lockfile's artifacts for `platform`; `network`: the build may reach an index.
    pub fn select(&self, locks: &Locks, platform: &Platform, network: bool) -> Result<Vec<LockedDeps>, LockError> {
        inputs::select_locks(&self.file, &self.plan, locks, platform, network)
    }

    /// Lowering options: the caller's (daemon caps, frontend options) with the build-args' values.
    pub fn lower_options(&self, caller: LowerOptions) -> LowerOptions {
        let a = &self.args;
        LowerOptions {
            revision: a.revision.clone(),
            source_date_epoch: a.source_date_epoch,
            artifact_mirror: a.artifact_mirror.clone().or_else(|| self.plan.artifact_mirror.clone()),
            cache_ns: a.cache_ns.clone(),
            ..caller
        }
    }

    /// The pip cache mount id of the target on `platform` — the one [`crate::lower`] mounts —
    /// when pip fetches anything (requirements files, a private index).
    pub fn pip_cache_id(&self, platform: &Platform) -> Option<String> {
        let txt = |l: &Option<At<String>>| l.as_ref().is_some_and(|l| l.value.ends_with(".txt"));
        let via_pip = self.plan.index_secret.is_some()
            || txt(&self.plan.lock)
            || self.plan.family.chain.iter().any(|l| txt(&l.lock));
        via_pip.then(|| crate::lower::pip_cache_id(&self.plan, platform, self.args.cache_ns.as_deref()))
    }

    /// Lowers and marshals the target for every platform. `opts` comes from
    /// [`Request::lower_options`] (its platform is replaced per platform).
    pub fn finish(
        &self,
        opts: &LowerOptions,
        platforms: Vec<PlatformInputs>,
        marshal: &MarshalOptions,
    ) -> Result<Vec<Graph>, BuildError> {
        let mut out = vec![];
        for p in platforms {
            let lo = LowerOptions { platform: p.platform.clone(), builders: p.builders, ..opts.clone() };
            let lowered = crate::lower::lower_service_with(&self.file, &self.plan, &p.base, &p.deps, &lo)?;
            let definition = lowered.state.marshal(marshal)?.definition;
            out.push(Graph { platform: p.platform, definition, image_config: lowered.image_config });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
