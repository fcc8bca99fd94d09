//! The resolved IR between manifest and LLB: one [`ServicePlan`] per build target, with every
//! default applied and every value still carrying the manifest span it came from.

mod deps;
mod family;
mod fleet;
mod install;
mod installer;
mod target;

pub use deps::{plan_deps, plan_family_deps, DepsError, LockSelect, ASSUMED_GLIBC};
pub use family::{resolve_family, BuilderPlan, FamilyLayer};
pub use fleet::{fleet_targets, graph_dot, image_name, FleetTarget};
pub use install::{family_site, LockedDeps, SITE};
pub use target::{family_image, family_tag, use_published_families, TargetKind};

use std::collections::BTreeMap;
use std::ops::Range;

// `ImageRef` and `APP_UID` live in the leaf `value` module that validation also uses; the plan
// re-exports them as part of its vocabulary.
pub use crate::value::{ImageRef, APP_UID};
pub use installer::{installer, Installer, UvPin, UvWheel};

use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::manifest::typed::Parsed;
use crate::manifest::{types::SString, types::Service, Manifest};
use crate::value::{ContextPath, PythonVersion};

/// Default workdir of the app in the image.
pub const DEFAULT_WORKDIR: &str = "/app";
/// Python of a family when neither it nor `[fleet]` says.
pub const DEFAULT_PYTHON: PythonVersion = PythonVersion::DEFAULT;
/// Default health path.
pub const DEFAULT_HEALTH_PATH: &str = "/health";

/// A value and the manifest bytes it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct At<T> {
    /// The value.
    pub value: T,
    /// Byte range in the manifest.
    pub span: Range<usize>,
}

/// A family after resolution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FamilyPlan {
    /// Family name.
    pub name: String,
    /// Base image.
    pub base: At<ImageRef>,
    /// The base reference as written in the manifest (named contexts may use this spelling).
    pub base_written: String,
    /// Family environment.
    pub env: BTreeMap<String, String>,
    /// CUDA version of a GPU family (its own or inherited), with the span of the `cuda` value.
    pub cuda: Option<At<String>>,
    /// Python `major.minor` of the family (its own, inherited, `[fleet] python`, else 3.11).
    pub python: PythonVersion,
    /// glibc of the family base (its own `glibc`, inherited, else [`ASSUMED_GLIBC`]).
    pub glibc: (u32, u32),
    /// The layers from the root family down to this one.
    pub chain: Vec<FamilyLayer>,
    /// The whole `[families.NAME]` table.
    pub span: Range<usize>,
}

/// A service build target after resolution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServicePlan {
    /// Target name (a service, or a family built as an image of its own).
    pub name: String,
    /// Service or family.
    pub kind: TargetKind,
    /// The whole `[services.NAME]` table.
    pub span: Range<usize>,
    /// Its family.
    pub family: FamilyPlan,
    /// Family reference in the service table.
    pub family_span: Range<usize>,
    /// Source directory in the build context (`.` = the root).
    pub source: At<String>,
    /// Absolute path of the app in the image.
    pub workdir: String,
    /// Image `Cmd`.
    pub command: At<Vec<String>>,
    /// Service port.
    pub service_port: At<u16>,
    /// Health port.
    pub health_port: At<u16>,
    /// Health path.
    pub health_path: String,
    /// Service environment (family env first, then the service's).
    pub env: BTreeMap<String, String>,
    /// Writable directories relative to the workdir.
    pub writable: Vec<At<String>>,
    /// Extra labels.
    pub labels: BTreeMap<String, String>,
    /// `org.opencontainers.image.source`.
    pub repo_url: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Python `major.minor` of the family base (`3.11`).
    pub python: PythonVersion,
    /// Lockfile path in the context, with the span of the `lock` value.
    pub lock: Option<At<String>>,
    /// `extras`, `groups`, `package`: what to install from the lock.
    pub lock_select: LockSelect,
    /// `[fleet] artifact_mirror`.
    pub artifact_mirror: Option<String>,
    /// `[fleet] index_secret`.
    pub index_secret: Option<String>,
    /// `[fleet] profiles`: a profiles folder in the context.
    pub profiles_dir: Option<String>,
    /// `[fleet] installer` / `[fleet.uv]`: what installs the locked wheels.
    pub installer: Installer,
}

/// Refuses platforms a service cannot be built for: GPU (CUDA) families exist for linux/amd64
/// only, since the CUDA base images and cu121 wheels are x86_64 builds.
pub fn check_platform(
    file: &SourceFile,
    plan: &ServicePlan,
    platform: &crate::llb::Platform,
) -> Result<(), Diagnostics> {
    match &plan.family.cuda {
        Some(cuda) if platform.id() != "linux/amd64" => {
            let msg = format!(
                "service `{}`: family `{}` is a CUDA {} family, which builds for linux/amd64 only, not {}",
                plan.name,
                plan.family.name,
                cuda.value,
                platform.id()
            );
            Err(Diagnostic::error(file, cuda.span.clone(), msg)
                .with_help("drop that --platform for this target")
                .rule(&crate::rules::UNSUPPORTED_PLATFORM)
                .into())
        }
        _ => Ok(()),
    }
}

/// Refuses a CUDA family on a machine profile without a GPU arch list: its images would run
/// on a machine that cannot use them.
pub fn check_profile(
    file: &SourceFile,
    plan: &ServicePlan,
    profile: &crate::profile::Profile,
) -> Result<(), Diagnostics> {
    match (&plan.family.cuda, &profile.gpu) {
        (Some(cuda), None) => {
            let msg = format!(
                "service `{}`: family `{}` needs CUDA {}, but machine profile `{}` has no GPU (no gpu.cuda_arch_list)",
                plan.name, plan.family.name, cuda.value, profile.name
            );
            Err(Diagnostic::error(file, cuda.span.clone(), msg)
                .with_help("choose a GPU machine with --build-arg MACHINE=...")
                .rule(&crate::rules::CUDA_WITHOUT_GPU)
                .into())
        }
        _ => Ok(()),
    }
}

/// `[fleet] profiles`, normalised: the folder of machine profiles in the build context. An
/// invalid path (which validation reports) gives `None`, the built-in profiles.
pub fn profiles_dir(m: &Manifest) -> Option<String> {
    m.typed.profiles.clone()?.ok().map(ContextPath::into_string)
}

/// Names of all build targets: the services, then the families, each sorted.
pub fn targets(m: &Manifest) -> Vec<String> {
    m.services.keys().chain(m.families.keys()).map(|k| k.get_ref().clone()).collect()
}

/// Resolves `target` (default: the only service, when there is exactly one).
pub fn plan_service(file: &SourceFile, m: &Manifest, target: Option<&str>) -> Result<ServicePlan, Diagnostics> {
    let target = match target.filter(|t| !t.is_empty()) {
        Some(t) => t.to_string(),
        None if m.services.len() == 1 => m.services.keys().next().map(|k| k.get_ref().clone()).unwrap_or_default(),
        None => {
            let d = Diagnostic::error(file, services_span(m), "no target given and the manifest has several services")
                .with_help(format!("pass --target with one of: {}", targets(m).join(", ")))
                .rule(&crate::rules::UNKNOWN_TARGET);
            return Err(d.into());
        }
    };
    // A keyed lookup (spans do not take part in ordering): planning every target of a large
    // fleet stays linear. The list of names is built only for the error.
    if let Some((key, svc)) = m.services.get_key_value(&toml::Spanned::new(0..0, target.clone())) {
        return resolve(file, m, key.get_ref(), svc.span(), svc.get_ref());
    }
    if let Some(p) = target::plan_family_target(m, &target) {
        return Ok(p);
    }
    let names = targets(m);
    let mut d = Diagnostic::error(file, services_span(m), format!("unknown target `{target}`"))
        .rule(&crate::rules::UNKNOWN_TARGET);
    d = match crate::manifest::did_you_mean(&target, names.iter().map(String::as_str)) {
        Some(s) => d.with_help(format!("did you mean `{s}`? valid targets: {}", names.join(", "))),
        None => d.with_help(format!("valid targets: {}", names.join(", "))),
    };
    Err(d.into())
}

fn services_span(m: &Manifest) -> Range<usize> {
    m.services.iter().next().map_or(0..0, |(k, _)| k.span())
}

/// A context path of the manifest as `manifest::typed` parsed it; an invalid one (a manifest
/// that skipped validation) is an error at its span, never a silent default.
fn context_path(
    file: &SourceFile,
    s: &SString,
    parsed: Option<&Parsed<ContextPath>>,
) -> Result<At<String>, Diagnostic> {
    match parsed {
        Some(Ok(p)) => Ok(At { value: p.as_str().to_string(), span: s.span() }),
        Some(Err(why)) => Err(Diagnostic::error(file, s.span(), format!("path `{}` {why}", s.get_ref()))
            .rule(&crate::rules::PATH_OUTSIDE_CONTEXT)),
        None => Err(Diagnostic::error(file, s.span(), format!("path `{}` was not parsed", s.get_ref()))
            .rule(&crate::rules::PATH_OUTSIDE_CONTEXT)),
    }
}

fn resolve(
    file: &SourceFile,
    m: &Manifest,
    name: &str,
    span: Range<usize>,
    s: &Service,
) -> Result<ServicePlan, Diagnostics> {
    // `validate` ran (the family exists, paths and ports are sound); a manifest that did not
    // gets errors here, not a panic.
    let Some(family) = resolve_family(m, s.family.get_ref()) else {
        let msg = format!("service `{name}`: family `{}` cannot be resolved", s.family.get_ref());
        return Err(Diagnostic::error(file, s.family.span(), msg).rule(&crate::rules::UNKNOWN_FAMILY).into());
    };
    let python_of_family = family.python;
    let typed = m.typed.service(name);
    let source = context_path(file, &s.source, typed.source.as_ref())?;
    let writable = (s.writable.iter().enumerate())
        .map(|(i, w)| context_path(file, w, typed.writable.get(i)))
        .collect::<Result<Vec<_>, _>>()?;
    let lock = s.lock.as_ref().map(|l| context_path(file, l, typed.lock.as_ref())).transpose()?;
    let mut env = family.env.clone();
    env.extend(s.env.iter().map(|(k, v)| (k.get_ref().clone(), v.get_ref().clone())));
    let ports = s.ports.as_ref().map(|p| p.get_ref());
    // The ports `manifest::typed` parsed; a missing or invalid one (validation reports it) is 0.
    let port = |p: Option<&toml::Spanned<i64>>, parsed: &Option<Parsed<u16>>| match (p, parsed) {
        (Some(p), Some(Ok(v))) => At { value: *v, span: p.span() },
        (Some(p), _) => At { value: 0, span: p.span() },
        (None, _) => At { value: 0, span: span.clone() },
    };
    let (service_port, health_port) = (
        port(ports.and_then(|p| p.service.as_ref()), &typed.ports[0]),
        port(ports.and_then(|p| p.health.as_ref()), &typed.ports[1]),
    );
    let fleet = m.fleet.as_ref().map(|f| f.get_ref());
    Ok(ServicePlan {
        name: name.to_string(),
        kind: TargetKind::Service,
        span,
        family_span: s.family.span(),
        family,
        source,
        workdir: s
            .workdir
            .as_ref()
            .map_or(DEFAULT_WORKDIR.to_string(), |w| w.get_ref().trim_end_matches('/').to_string()),
        command: At {
            value: s.command.get_ref().iter().map(|c| c.get_ref().clone()).collect(),
            span: s.command.span(),
        },
        service_port,
        health_port,
        health_path: s.health_path.as_ref().map_or(DEFAULT_HEALTH_PATH.to_string(), |p| p.get_ref().clone()),
        env,
        writable,
        labels: s.labels.iter().map(|(k, v)| (k.get_ref().clone(), v.get_ref().clone())).collect(),
        repo_url: fleet.and_then(|f| f.source.as_ref()).map(|s| s.get_ref().clone()),
        description: s.description.as_ref().map(|d| d.get_ref().clone()),
        python: python_of_family,
        lock,
        lock_select: LockSelect::new(s.extras.as_ref(), s.groups.as_ref(), s.package.as_ref()),
        artifact_mirror: fleet.and_then(|f| f.artifact_mirror.as_ref()).map(|m| m.get_ref().clone()),
        index_secret: fleet.and_then(|f| f.index_secret.as_ref()).map(|m| m.get_ref().clone()),
        profiles_dir: profiles_dir(m),
        installer: installer(fleet),
    })
}
