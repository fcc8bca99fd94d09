//! One build: Ping → read the manifest → (subrequest?) → plan → per platform: resolve the base,
//! lower, Solve → `Return` with `containerimage.config` (buildkit-gateway.md §2, §5).

use std::collections::{BTreeSet, HashMap};

use bollard_buildkit_proto::google::rpc::Status;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::{
    llb_bridge_client::LlbBridgeClient, result, CacheOptionsEntry, PingRequest, ReadDirRequest, Ref, RefMap,
    Result as BkResult, SolveRequest, StatFileRequest, WarnRequest,
};
use llb_graphs::diag::{Diagnostic, Diagnostics, Severity, SourceFile};
use llb_graphs::llb::{pb, MarshalOptions, Platform, State};
use llb_graphs::lower::{self, LowerOptions};
use llb_graphs::{lint, manifest, plan};
use serde_json::json;
use tonic::transport::Channel;

use super::manifest::{source_info, Loaded};
use super::options::Options;
use super::{errors, resolve, subrequests};

/// The gateway client over stdio.
pub type Client = LlbBridgeClient<Channel>;

/// Caps the daemon listed in Ping.
pub struct Caps {
    /// Enabled LLB caps.
    pub llb: BTreeSet<String>,
    /// Enabled gateway API caps.
    pub api: BTreeSet<String>,
}

/// The build-arg that overrides a manifest's `# check=` directive, as for Dockerfiles.
pub const CHECK_ARG: &str = "BUILDKIT_DOCKERFILE_CHECK";

/// Runs the request; the result or the error goes into `Return`.
pub async fn run(client: &mut Client, opts: &Options) -> Result<BkResult, Status> {
    let caps = ping(client).await?;
    let loaded = super::manifest::read(client, opts).await?;
    if let Some(req) = &opts.request_id {
        return subrequests::handle(client, opts, &loaded, req).await;
    }
    let file = &loaded.file;
    let m = manifest::parse(file).map_err(|d| errors::from_diagnostics(file, &d))?;
    let mut plan =
        plan::plan_service(file, &m, opts.target.as_deref()).map_err(|d| errors::from_diagnostics(file, &d))?;
    match opts.build_args.get("FLEET_FAMILIES").map(String::as_str) {
        None | Some("") | Some("graph") => {}
        Some("published") if plan.kind == plan::TargetKind::Service => plan::use_published_families(&mut plan, &m),
        Some("published") => {}
        Some(other) => return Err(errors::plain(format!("FLEET_FAMILIES={other}: expected graph or published"))),
    }
    // `check=...;error=true` (directive or BUILDKIT_DOCKERFILE_CHECK) fails the build on warnings.
    let warnings = lint::build_warnings(file, &m, opts.build_args.get(CHECK_ARG).map(String::as_str));
    if warnings.iter().any(|d| d.severity == Severity::Error) {
        return Err(errors::from_diagnostics(file, &Diagnostics(warnings)));
    }
    if caps.api.contains("gateway.warnings") {
        warn_lint(client, &loaded, &warnings).await;
    }
    let platforms = if opts.platforms.is_empty() { vec![default_platform()] } else { opts.platforms.clone() };
    for p in &platforms {
        plan::check_platform(file, &plan, p).map_err(|d| errors::from_diagnostics(file, &d))?;
    }
    let machine = super::profile::load(client, opts, plan.profiles_dir.as_deref()).await?;
    plan::check_profile(file, &plan, &machine).map_err(|d| errors::from_diagnostics(file, &d))?;
    let lower_opts = LowerOptions { profile: Some(machine), ..lower_options(opts, &caps, &plan) };
    check_source_dir(client, file, &plan, &lower_opts).await?;
    let locks = super::deps::read_locks(client, opts, file, &plan).await?;
    let sbom = super::attest::wanted(client, opts, &caps, &loaded).await;
    let (mut built, mut atts) = (vec![], vec![]);
    for p in &platforms {
        let lo = LowerOptions { platform: p.clone(), ..lower_opts.clone() };
        let deps = super::deps::select(file, &plan, &locks, p, lo.network)?;
        let (id, config, base) = build_platform(client, opts, &caps, &loaded, &plan, &deps, &lo).await?;
        if sbom {
            atts.push((p.id(), super::attest::sbom_attestation(client, &plan, &deps, &base, &lo).await?));
        }
        built.push((p.clone(), (id, config)));
    }
    let mut res = assemble(built, opts.multi_platform);
    super::attest::attach(&mut res, atts);
    Ok(res)
}

fn lower_options(opts: &Options, caps: &Caps, plan: &plan::ServicePlan) -> LowerOptions {
    let target = plan.name.as_str();
    LowerOptions {
        platform: Platform::linux_amd64(),
        network: opts.network,
        session_id: super::options::session_for(opts, "context"),
        merge_op: caps.llb.contains("mergeop"),
        ignore_cache: opts.no_cache.as_ref().is_some_and(|t| t.is_empty() || t.iter().any(|n| n == target)),
        image_resolve_mode: opts.image_resolve_mode.clone(),
        labels: opts.labels.clone(),
        revision: opts.build_args.get("REVISION").cloned().filter(|r| !r.is_empty()),
        exclude_patterns: vec![],
        extra_hosts: opts.add_hosts.clone(),
        source_date_epoch: opts.source_date_epoch,
        artifact_mirror: opts
            .build_args
            .get("FLEET_ARTIFACT_MIRROR")
            .cloned()
            .filter(|m| !m.is_empty())
            .or_else(|| plan.artifact_mirror.clone()),
        cache_ns: opts.build_args.get("BUILDKIT_CACHE_MOUNT_NS").cloned().filter(|n| !n.is_empty()),
        profile: None,
        builders: Default::default(),
    }
}

/// Lowers and solves one platform; returns the ref id, the image config and the resolved base.
async fn build_platform(
    client: &mut Client,
    opts: &Options,
    caps: &Caps,
    loaded: &Loaded,
    plan: &plan::ServicePlan,
    deps: &[lower::LockedDeps],
    lo: &LowerOptions,
) -> Result<(String, serde_json::Value, lower::ResolvedImage), Status> {
    let base = resolve::resolve_base(client, opts, &plan.family, &plan.family.base_written, &lo.platform).await?;
    let lo = &LowerOptions {
        builders: resolve::resolve_builders(client, opts, &plan.family, &lo.platform).await?,
        ..lo.clone()
    };
    let lowered = lower::lower_service_with(&loaded.file, plan, &base, deps, lo).map_err(|e| match e {
        // A located finding (the layer budget): drawn at the manifest line by buildx.
        lower::ImageConfigError::LayerBudget(d) => errors::from_diagnostics(&loaded.file, &(*d).into()),
        e => errors::plain(e.to_string()),
    })?;
    let mopts = MarshalOptions { source_infos: vec![source_info(loaded)], allowed_caps: Some(caps.llb.clone()) };
    let def = lowered.state.marshal(&mopts).map_err(|e| errors::plain(e.to_string()))?.definition;
    let id = solve(client, def, opts).await?;
    Ok((id, lowered.image_config, base))
}

/// `Ref` for one platform, `Refs` + per-platform configs when multi-platform (§5).
fn assemble(built: Vec<(Platform, (String, serde_json::Value))>, multi: bool) -> BkResult {
    let mut metadata = HashMap::new();
    let platforms: Vec<_> = built
        .iter()
        .map(|(p, _)| json!({ "ID": p.id(), "Platform": { "architecture": p.architecture, "os": p.os, "variant": p.variant } }))
        .collect();
    metadata.insert(
        "refs.platforms".to_string(),
        serde_json::to_vec(&json!({ "Platforms": platforms })).unwrap_or_default(),
    );
    let result = if multi || built.len() > 1 {
        let mut refs = HashMap::new();
        for (p, (id, config)) in built {
            metadata
                .insert(format!("containerimage.config/{}", p.id()), serde_json::to_vec(&config).unwrap_or_default());
            refs.insert(p.id(), Ref { id, def: None });
        }
        result::Result::Refs(RefMap { refs })
    } else {
        let (id, config) = built.into_iter().next().map(|(_, b)| b).unwrap_or_default();
        metadata.insert("containerimage.config".to_string(), serde_json::to_vec(&config).unwrap_or_default());
        result::Result::Ref(Ref { id, def: None })
    };
    BkResult { metadata, attestations: HashMap::new(), result: Some(result) }
}

async fn ping(client: &mut Client) -> Result<Caps, Status> {
    let pong = client.ping(PingRequest {}).await.map_err(|s| errors::from_rpc("ping", &s))?.into_inner();
    let ids = |caps: Vec<bollard_buildkit_proto::moby::buildkit::v1::apicaps::ApiCap>| {
        caps.into_iter().filter(|c| c.enabled).map(|c| c.id).collect()
    };
    Ok(Caps { llb: ids(pong.llb_caps), api: ids(pong.frontend_api_caps) })
}

/// Lint findings as BuildKit warnings on the manifest's load step (dockerui config.go).
async fn warn_lint(client: &mut Client, loaded: &Loaded, findings: &[Diagnostic]) {
    for d in findings {
        let Some(rule) = d.rule else { continue };
        let (l1, _, l2, _) = loaded.file.llb_range(&d.span);
        let range = pb::Range {
            start: Some(pb::Position { line: l1, character: 0 }),
            end: Some(pb::Position { line: l2, character: 0 }),
        };
        let mut info = source_info(loaded);
        info.definition = None;
        let req = WarnRequest {
            digest: loaded.head.clone(),
            level: 1,
            short: format!("{}: {} ({}:{})", rule.id, d.message, d.line, d.col).into_bytes(),
            detail: vec![rule.description.as_bytes().to_vec()],
            url: String::new(),
            info: Some(info),
            ranges: vec![range],
        };
        if let Err(e) = client.warn(req).await {
            eprintln!("fleet-frontend: warn failed: {e}");
        }
    }
}

/// Solves the context transfer the copy step will use and stats the source directory, so a
/// missing directory is reported at its manifest line instead of as a copy failure.
async fn check_source_dir(
    client: &mut Client,
    file: &SourceFile,
    plan: &plan::ServicePlan,
    opts: &LowerOptions,
) -> Result<(), Status> {
    if plan.source.value == "." || plan.kind == plan::TargetKind::Family {
        return Ok(());
    }
    let def = marshal_plain(&lower::context_state(file, plan, opts))?;
    let id = solve(client, def, &Options::default()).await?;
    // StatFile follows links; a listing of each parent shows the entries as sent (Lstat), so a
    // source that is, or passes through, a symlink is refused as the CLI refuses it.
    let mut parent = String::new();
    for comp in plan.source.value.split('/') {
        let dir = if parent.is_empty() { "/".to_string() } else { parent.clone() };
        let req =
            ReadDirRequest { r#ref: id.clone(), dir_path: dir, include_pattern: comp.to_string(), mount_index: 0 };
        let entries = client.read_dir(req).await.map(|r| r.into_inner().entries).unwrap_or_default();
        // Go's os.ModeSymlink is bit 27.
        if entries.iter().any(|e| e.path.rsplit('/').next() == Some(comp) && e.mode & (1 << 27) != 0) {
            let msg = format!(
                "service `{}`: source directory `{}` is (or passes through) a symlink; BuildKit sends links, not their targets",
                plan.name, plan.source.value
            );
            return Err(errors::from_diagnostics(
                file,
                &Diagnostics(vec![
                    Diagnostic::error(file, plan.source.span.clone(), msg).rule(&llb_graphs::rules::MISSING_SOURCE)
                ]),
            ));
        }
        parent = if parent.is_empty() { comp.to_string() } else { format!("{parent}/{comp}") };
    }
    let req = StatFileRequest { r#ref: id, path: plan.source.value.clone(), mount_index: 0 };
    let problem = match client.stat_file(req).await {
        // Go's os.ModeDir is the top bit of the mode.
        Ok(resp) if resp.get_ref().stat.as_ref().is_some_and(|s| s.mode & (1 << 31) != 0) => return Ok(()),
        Ok(_) => "is a file; it must be a directory",
        Err(_) => "does not exist in the build context",
    };
    let msg = format!("service `{}`: source directory `{}` {problem}", plan.name, plan.source.value);
    let d = Diagnostic::error(file, plan.source.span.clone(), msg).rule(&llb_graphs::rules::MISSING_SOURCE);
    Err(errors::from_diagnostics(file, &Diagnostics(vec![d])))
}

/// Marshals a small graph with no caps check (internal loads).
pub fn marshal_plain(st: &State) -> Result<pb::Definition, Status> {
    st.marshal(&MarshalOptions::default()).map(|m| m.definition).map_err(|e| errors::plain(e.to_string()))
}

/// Solves `def` lazily (the exporter runs it after `Return`), forwarding `cache-imports`.
pub async fn solve(client: &mut Client, def: pb::Definition, opts: &Options) -> Result<String, Status> {
    let cache_imports = opts
        .cache_imports
        .iter()
        .map(|(t, a)| CacheOptionsEntry { r#type: t.clone(), attrs: a.clone().into_iter().collect() })
        .collect();
    let req = SolveRequest {
        definition: Some(def),
        allow_result_return: true,
        allow_result_array_ref: true,
        cache_imports,
        ..Default::default()
    };
    let resp = client.solve(req).await.map_err(|s| errors::from_rpc("solve", &s))?.into_inner();
    match resp.result.and_then(|r| r.result) {
        Some(result::Result::Ref(r)) => Ok(r.id),
        Some(result::Result::RefDeprecated(id)) => Ok(id),
        _ => Ok(resp.r#ref),
    }
}

/// `workers[0].platforms[0]` from `BUILDKIT_WORKERS`, else linux/amd64 (dockerui `init`).
fn default_platform() -> Platform {
    let parsed =
        std::env::var("BUILDKIT_WORKERS").ok().and_then(|w| serde_json::from_str::<serde_json::Value>(&w).ok());
    parsed
        .as_ref()
        .and_then(|w| w.pointer("/0/platforms/0"))
        .and_then(|p| {
            let os = p.get("os")?.as_str()?;
            let arch = p.get("architecture")?.as_str()?;
            let variant = p.get("variant").and_then(|v| v.as_str()).unwrap_or("");
            Platform::parse(format!("{os}/{arch}/{variant}").trim_end_matches('/'))
        })
        .unwrap_or_else(Platform::linux_amd64)
}
