//! Plan → LLB, one file per concept: the base image ([`base`]), the app files and the tini
//! check ([`app`]), the runtime stage ([`runtime`]) and the image config ([`image_config`]).

mod app;
mod base;
mod ca;
mod deps;
mod family;
pub mod groups;
mod image_config;
mod layers;
mod runtime;
mod sdist;
mod uv;

use std::collections::BTreeMap;

pub use base::{BaseSource, ResolvedImage};
pub use ca::{CA_PATH, CA_SECRET_ID};
pub use deps::{mirror_url, pip_cache_id, selected_hashes};
pub use image_config::{healthcheck_command, rfc3339, ImageConfigError, HEALTH_PROBE};
pub use uv::VERSION as UV_VERSION;

use crate::diag::SourceFile;
use crate::llb::{Location, NetMode, OpMeta, Platform, State};
use crate::plan::{LockedDeps, ServicePlan, SITE};

/// Build-wide inputs that are not in the manifest (frontend options, daemon caps).
#[derive(Clone, Debug)]
pub struct LowerOptions {
    /// Target platform.
    pub platform: Platform,
    /// Network of every exec step (`force-network-mode`; default none).
    pub network: NetMode,
    /// Client session for `local://` sources (`BUILDKIT_SESSION_ID`).
    pub session_id: Option<String>,
    /// Use `MergeOp` (the daemon lists cap `mergeop`); otherwise copy.
    pub merge_op: bool,
    /// `no-cache`: ignore the cache for every op.
    pub ignore_cache: bool,
    /// `image-resolve-mode` for image sources.
    pub image_resolve_mode: Option<String>,
    /// `label:*` options, merged over the manifest's labels.
    pub labels: BTreeMap<String, String>,
    /// `org.opencontainers.image.revision`, when known.
    pub revision: Option<String>,
    /// Patterns excluded from the context transfer (`.dockerignore`).
    pub exclude_patterns: Vec<String>,
    /// `add-hosts`: `/etc/hosts` entries for every exec step.
    pub extra_hosts: Vec<(String, String)>,
    /// `SOURCE_DATE_EPOCH`: image `created` and history times, in Unix seconds.
    pub source_date_epoch: Option<i64>,
    /// Base URL serving locked artifacts by file name (build-arg `FLEET_ARTIFACT_MIRROR`, else
    /// `[fleet] artifact_mirror`).
    pub artifact_mirror: Option<String>,
    /// `BUILDKIT_CACHE_MOUNT_NS`: prefix of every cache mount id.
    pub cache_ns: Option<String>,
    /// The machine profile (`--build-arg MACHINE=...`): image env and `/etc/machine-profile.json`.
    pub profile: Option<crate::profile::Profile>,
    /// Resolved builder images by family name (`[families.NAME.builder]`); a family missing here
    /// builds on its image unresolved (no config: the default PATH).
    pub builders: BTreeMap<String, ResolvedImage>,
}

impl Default for LowerOptions {
    fn default() -> Self {
        Self {
            platform: Platform::linux_amd64(),
            network: NetMode::None,
            session_id: None,
            merge_op: true,
            ignore_cache: false,
            image_resolve_mode: None,
            labels: BTreeMap::new(),
            revision: None,
            exclude_patterns: vec![],
            extra_hosts: vec![],
            source_date_epoch: None,
            artifact_mirror: None,
            cache_ns: None,
            profile: None,
            builders: BTreeMap::new(),
        }
    }
}

/// The LLB result of one service and the image config to return with it.
#[derive(Clone, Debug)]
pub struct Lowered {
    /// The runtime image filesystem.
    pub state: State,
    /// Whole image config JSON (`containerimage.config`).
    pub image_config: serde_json::Value,
}

/// Lowers one service onto its resolved base image.
pub fn lower_service(
    file: &SourceFile,
    plan: &ServicePlan,
    base: &ResolvedImage,
    deps: Option<&LockedDeps>,
    opts: &LowerOptions,
) -> Result<Lowered, ImageConfigError> {
    lower_service_with(file, plan, base, deps.map(std::slice::from_ref).unwrap_or(&[]), opts)
}

/// Lowers one service with the locked packages of its own lockfile (prefix [`SITE`]) and of
/// its families' lockfiles (prefix `/opt/fleet/families/<name>/site`).
pub fn lower_service_with(
    file: &SourceFile,
    plan: &ServicePlan,
    base: &ResolvedImage,
    deps: &[LockedDeps],
    opts: &LowerOptions,
) -> Result<Lowered, ImageConfigError> {
    // The build arg `FLEET_ARTIFACT_MIRROR` reaches here unchecked (the manifest's
    // `artifact_mirror` was checked with its location): one policy for both.
    if let Some(m) = opts.artifact_mirror.as_deref().filter(|m| !m.is_empty()) {
        if let Some(p) = crate::lock::url_policy::url_problem(m, crate::lock::url_policy::UrlUse::Mirror) {
            return Err(ImageConfigError::UnsafeMirror { url: m.escape_default().to_string(), message: p.message });
        }
    }
    let cx = Cx { file, plan, opts, label: &plan.name };
    let base_state = base::lower_base(&cx, base);
    let family = family::lower_chain(&cx, &base_state, deps)?;
    if plan.kind == crate::plan::TargetKind::Family {
        let sites: Vec<String> = plan
            .family
            .chain
            .iter()
            .rev()
            .map(|l| crate::plan::family_site(&l.name))
            .filter(|p| deps.iter().any(|d| &d.prefix == p))
            .collect();
        let image_config = image_config::lower_image_config(plan, base, &sites, &family.history, opts)?;
        return Ok(Lowered { state: family.state, image_config });
    }
    let app = app::lower_app(&cx, &family.state, base);
    let own = deps.iter().find(|d| d.prefix == SITE);
    let own_deps = own.map(|d| deps::lower_deps(&cx, &family.state, d)).transpose()?;
    let runtime = runtime::lower_runtime(&cx, &family, own_deps.as_ref(), &app);
    // Import order: the service's packages first, then each family's from the leaf up.
    let mut sites: Vec<String> = own.map(|d| d.prefix.clone()).into_iter().collect();
    for layer in plan.family.chain.iter().rev() {
        let prefix = crate::plan::family_site(&layer.name);
        if deps.iter().any(|d| d.prefix == prefix) {
            sites.push(prefix);
        }
    }
    let image_config = image_config::lower_image_config(plan, base, &sites, &runtime.history, opts)?;
    Ok(Lowered { state: runtime.state, image_config })
}

/// The build context as the service's copy step reads it, so a frontend can solve the same
/// transfer early and check the source directory exists before building.
pub fn context_state(file: &SourceFile, plan: &ServicePlan, opts: &LowerOptions) -> State {
    app::context(&Cx { file, plan, opts, label: &plan.name })
}

/// A lowered tree and one history text per layer it adds, bottom first: the layers BuildKit
/// exports for it. An exec's mount output on scratch is one layer, an op on top of a tree adds
/// one, and `MergeOp` concatenates its inputs' layers (scratch inputs dropped). The image config
/// lists exactly these after the base's, so the exporter pads no entry of its own from the
/// daemon's cache records (moby/buildkit exporter/containerimage/writer.go
/// `normalizeLayersAndHistory`), which differ between a daemon that ran a step and one that
/// imported it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Layered {
    pub state: State,
    pub history: Vec<String>,
}

impl Layered {
    /// `state`, one layer on top of a tree with `below`'s history, made by the op `meta` names.
    pub fn on(below: Vec<String>, state: State, meta: &OpMeta) -> Self {
        let mut history = below;
        history.push(history_text(meta));
        Self { state, history }
    }
}

/// The history text of the layer an op makes: its progress name (`[web] copy app/ to /app`),
/// which depends on the manifest and its locks only.
pub(crate) fn history_text(meta: &OpMeta) -> String {
    meta.custom_name.clone().unwrap_or_default()
}

/// What every lowering step reads.
pub(crate) struct Cx<'a> {
    pub file: &'a SourceFile,
    pub plan: &'a ServicePlan,
    pub opts: &'a LowerOptions,
    /// Progress-name prefix: the service, or `family NAME` for a family's shared steps.
    pub label: &'a str,
}

impl Cx<'_> {
    /// Op metadata: a `[service] ...` progress name and the manifest span as location.
    pub fn meta(&self, name: impl AsRef<str>, span: &std::ops::Range<usize>) -> OpMeta {
        OpMeta {
            custom_name: Some(format!("[{}] {}", self.label, name.as_ref())),
            ignore_cache: self.opts.ignore_cache,
            location: Some(Location { source_index: 0, ranges: vec![self.file.llb_range(span)] }),
            progress_group: None,
            no_export_cache: false,
        }
    }
}
