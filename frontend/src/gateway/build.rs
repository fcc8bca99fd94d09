//! One build: read the manifest → (subrequest?) → the library's `build::Request` asks for the
//! profile, the source directory's kind, the lockfiles and a base per platform, which this file
//! supplies over the [`Bridge`]; `finish` lowers, Solve each graph → `Return` with
//! `containerimage.config` (buildkit-gateway.md §2, §5). The top of the gateway: it uses every
//! sibling module and none uses it.

use std::collections::{BTreeMap, HashMap};

use bollard_buildkit_proto::google::rpc::Status;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::{result, Ref, RefMap, Result as BkResult, WarnRequest};
use llb_graphs::build::{BuildError, PlatformInputs, Request};
use llb_graphs::diag::{Diagnostic, Diagnostics};
use llb_graphs::llb::{pb, MarshalOptions, NetMode, Platform};
use llb_graphs::lower::{self, LowerOptions, ResolvedImage};
use llb_graphs::manifest::PathKind;
use llb_graphs::plan;
use serde_json::json;

use super::bridge::{Bridge, MODE_DIR, MODE_SYMLINK};
use super::manifest::{source_info, Loaded};
use super::{attest, deps, errors, lint, profile, resolve, subrequests};

/// Runs the request; the result or the error goes into `Return`. The library's
/// [`Request`] drives: this function only supplies what it asks for, over the bridge.
pub async fn run(bridge: &mut Bridge) -> Result<BkResult, Status> {
    let loaded = super::manifest::read(bridge).await?;
    match bridge.opts.request_id.clone() {
        Some(sub) if sub == "frontend.lint" => return lint::reply(bridge, &loaded).await,
        Some(sub) => return subrequests::handle(bridge, &loaded, &sub).await,
        None => {}
    }
    let file = &loaded.file;
    let diag = |d: Diagnostics| errors::from_diagnostics(file, &d);
    let req = Request::new(file.clone(), bridge.opts.target.as_deref(), bridge.opts.args.clone()).map_err(diag)?;
    if bridge.caps.api.contains("gateway.warnings") {
        warn_lint(bridge, &loaded, &req.warnings).await;
    }
    let platforms = req.platforms(&bridge.opts.platforms, bridge.default_platform.clone()).map_err(diag)?;
    let caller = caller_options(bridge, &req.plan);
    let (mut for_profile, mut for_source, mut for_locks) = (bridge.clone(), bridge.clone(), bridge.clone());
    let (profile_need, lock_needs) = (req.profile_need(), req.lock_needs());
    // The profile, the source directory, the lockfiles and the bases need nothing from each
    // other: one round of gateway calls instead of four in a row (each a few ms of every
    // build). Their errors are still reported in this order.
    let (machine, kind, locks, resolved) = tokio::join!(
        profile::load(&mut for_profile, &profile_need),
        source_kind(&mut for_source, &req, &caller),
        deps::read_locks(&mut for_locks, file, &lock_needs),
        resolve_platforms(bridge, &req, &platforms),
    );
    let machine = machine?;
    req.check_profile(&machine).map_err(diag)?;
    if let Some(kind) = kind? {
        req.check_source(kind).map_err(diag)?;
    }
    let locks = locks?;
    let opts = req.lower_options(LowerOptions { profile: Some(machine), ..caller });
    let mut inputs = vec![];
    for (p, r) in platforms.iter().zip(resolved) {
        let deps = req.select(&locks, p, opts.network != NetMode::None).map_err(|e| deps::lock_status(file, e))?;
        let (base, builders) = r?;
        inputs.push(PlatformInputs { platform: p.clone(), base, deps, builders });
    }
    let mut atts = vec![];
    if attest::wanted(bridge, &loaded).await {
        for p in &inputs {
            let lo = LowerOptions { platform: p.platform.clone(), ..opts.clone() };
            atts.push((p.platform.id(), attest::sbom_attestation(bridge, &req.plan, &p.deps, &p.base, &lo).await?));
        }
    }
    let marshal =
        MarshalOptions { source_infos: vec![source_info(&loaded)], allowed_caps: Some(bridge.caps.llb.clone()) };
    let graphs = req.finish(&opts, inputs, &marshal).map_err(|e| match e {
        // A located finding (the layer budget): drawn at the manifest line by buildx.
        BuildError::Lower(lower::ImageConfigError::LayerBudget(d)) => {
            errors::from_diagnostics(&loaded.file, &(*d).into())
        }
        e => errors::plain(e.to_string()),
    })?;
    let mut built = vec![];
    for g in graphs {
        let r = bridge.solve(g.definition, true).await?;
        built.push((g.platform, (r.id, g.image_config)));
    }
    let mut res = assemble(built, bridge.opts.multi_platform);
    attest::attach(&mut res, atts);
    Ok(res)
}

/// The base and the builder images of every platform, in order; each platform's own outcome.
async fn resolve_platforms(
    bridge: &mut Bridge,
    req: &Request,
    platforms: &[Platform],
) -> Vec<Result<(ResolvedImage, BTreeMap<String, ResolvedImage>), Status>> {
    let mut out = vec![];
    for p in platforms {
        let family = &req.plan.family;
        let one = async {
            let base = resolve::resolve_base(bridge, family, &family.base_written, p).await?;
            Ok((base, resolve::resolve_builders(bridge, family, p).await?))
        };
        out.push(one.await);
    }
    out
}

/// The kind of the service's source directory, when it names one.
async fn source_kind(bridge: &mut Bridge, req: &Request, opts: &LowerOptions) -> Result<Option<PathKind>, Status> {
    match req.source_need() {
        Some(src) => Ok(Some(look(bridge, req, opts, &src.value).await?)),
        None => Ok(None),
    }
}

/// Lowering options from the daemon and the frontend options (the request adds its build-args).
fn caller_options(bridge: &Bridge, plan: &plan::ServicePlan) -> LowerOptions {
    let (opts, target) = (&bridge.opts, plan.name.as_str());
    LowerOptions {
        network: opts.network,
        session_id: bridge.session_for("context"),
        merge_op: bridge.caps.llb.contains("mergeop"),
        ignore_cache: opts.no_cache.as_ref().is_some_and(|t| t.is_empty() || t.iter().any(|n| n == target)),
        image_resolve_mode: opts.image_resolve_mode.clone(),
        labels: opts.labels.clone(),
        extra_hosts: opts.add_hosts.clone(),
        ..LowerOptions::default()
    }
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

/// Lint findings as BuildKit warnings on the manifest's load step (dockerui config.go).
async fn warn_lint(bridge: &mut Bridge, loaded: &Loaded, findings: &[Diagnostic]) {
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
        bridge.warn(req).await;
    }
}

/// What the source directory is in the context transfer the copy step will use, so a missing
/// one is reported at its manifest line instead of as a copy failure. StatFile follows links; a
/// listing of each parent shows the entries as sent (Lstat), so a source that is, or passes
/// through, a symlink is found as the CLI finds it (`cli::load::look`).
async fn look(bridge: &mut Bridge, req: &Request, opts: &LowerOptions, path: &str) -> Result<PathKind, Status> {
    let r = bridge.solve_state(&lower::context_state(&req.file, &req.plan, opts)).await?;
    let mut parent = String::new();
    for comp in path.split('/') {
        let dir = if parent.is_empty() { "/".to_string() } else { parent.clone() };
        let entries = r.read_dir(&dir, comp).await.unwrap_or_default();
        if entries.iter().any(|e| e.path.rsplit('/').next() == Some(comp) && e.mode & MODE_SYMLINK != 0) {
            return Ok(PathKind::Symlink);
        }
        parent = if parent.is_empty() { comp.to_string() } else { format!("{parent}/{comp}") };
    }
    Ok(match r.stat(path).await {
        Ok(s) if s.mode & MODE_DIR != 0 => PathKind::Dir,
        Ok(_) => PathKind::File,
        Err(_) => PathKind::Missing,
    })
}
