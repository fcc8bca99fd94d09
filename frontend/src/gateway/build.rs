//! One build: Ping → read the manifest → plan → resolve the base → check the context → lower →
//! Solve → `containerimage.config` (buildkit-gateway.md §2).

use std::collections::{BTreeSet, HashMap};

use bollard_buildkit_proto::google::rpc::Status;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::{
    llb_bridge_client::LlbBridgeClient, result, CacheOptionsEntry, PingRequest, ReadFileRequest,
    Ref, ResolveImageConfigRequest, Result as BkResult, SolveRequest, StatFileRequest,
};
use llb_graphs::diag::{Diagnostic, Diagnostics, SourceFile};
use llb_graphs::llb::{pb, LocalSource, MarshalOptions, OpMeta, Platform, State};
use llb_graphs::lower::{self, LowerOptions, ResolvedImage};
use llb_graphs::{manifest, plan};
use serde_json::json;
use tonic::transport::Channel;

use super::errors;
use super::options::Options;

type Client = LlbBridgeClient<Channel>;

/// Caps the daemon listed in Ping.
pub struct Caps {
    pub llb: BTreeSet<String>,
}

/// Runs the build; the result or the error goes into `Return`.
pub async fn build(client: &mut Client, opts: &Options) -> Result<BkResult, Status> {
    let caps = ping(client).await?;
    let (file, manifest_def) = read_manifest(client, opts).await?;
    let m = manifest::parse(&file).map_err(|d| errors::from_diagnostics(&file, &d))?;
    if let Some(req) = &opts.request_id {
        return Err(errors::unsupported_subrequest(req));
    }
    let plan = plan::plan_service(&file, &m, opts.target.as_deref())
        .map_err(|d| errors::from_diagnostics(&file, &d))?;
    let platform = opts
        .platforms
        .first()
        .cloned()
        .unwrap_or_else(default_platform);
    if opts.platforms.len() > 1 {
        return Err(errors::plain(
            "fleet-frontend: multi-platform builds are not supported yet; pass one --platform",
        ));
    }
    let lower_opts = LowerOptions {
        platform: platform.clone(),
        network: opts.network,
        session_id: std::env::var("BUILDKIT_SESSION_ID").ok(),
        merge_op: caps.llb.contains("mergeop"),
        ignore_cache: opts.no_cache,
        image_resolve_mode: opts.image_resolve_mode.clone(),
        labels: opts.labels.clone(),
        revision: opts
            .build_args
            .get("REVISION")
            .cloned()
            .filter(|r| !r.is_empty()),
        exclude_patterns: vec![],
    };
    let base = resolve_image(client, &plan.family.base.value, &platform, opts).await?;
    check_source_dir(client, &file, &plan, &lower_opts).await?;
    let lowered = lower::lower_service(&file, &plan, &base, &lower_opts)
        .map_err(|e| errors::plain(e.to_string()))?;
    let info = pb::SourceInfo {
        filename: file.name.clone(),
        data: file.text.clone().into_bytes(),
        language: "toml".into(),
        definition: Some(manifest_def),
    };
    let mopts = MarshalOptions {
        source_infos: vec![info],
        allowed_caps: Some(caps.llb.clone()),
    };
    let def = lowered
        .state
        .marshal(&mopts)
        .map_err(|e| errors::plain(e.to_string()))?
        .definition;
    let id = solve(client, def, opts).await?;
    let mut metadata = HashMap::new();
    metadata.insert(
        "containerimage.config".to_string(),
        serde_json::to_vec(&lowered.image_config).unwrap_or_default(),
    );
    let platforms = json!({ "Platforms": [{ "ID": platform.id(), "Platform": {
        "architecture": platform.architecture, "os": platform.os, "variant": platform.variant } }] });
    metadata.insert(
        "refs.platforms".to_string(),
        serde_json::to_vec(&platforms).unwrap_or_default(),
    );
    Ok(BkResult {
        metadata,
        attestations: HashMap::new(),
        result: Some(result::Result::Ref(Ref { id, def: None })),
    })
}

async fn ping(client: &mut Client) -> Result<Caps, Status> {
    let pong = client
        .ping(PingRequest {})
        .await
        .map_err(|s| errors::from_rpc("ping", &s))?
        .into_inner();
    let llb = pong
        .llb_caps
        .into_iter()
        .filter(|c| c.enabled)
        .map(|c| c.id)
        .collect();
    Ok(Caps { llb })
}

/// Fetches just the manifest from the `dockerfile` local (followpaths, differ none: §3).
async fn read_manifest(
    client: &mut Client,
    opts: &Options,
) -> Result<(SourceFile, pb::Definition), Status> {
    let mut names = vec![opts.filename.clone()];
    // buildx sends `Dockerfile` when -f is not given; a fleet checkout has fleet.toml instead.
    if opts.filename == "Dockerfile" {
        names.push("fleet.toml".into());
    }
    let session = opts
        .raw
        .get(&format!("local-sessionid:{}", opts.manifest_local))
        .cloned();
    let src = LocalSource {
        name: opts.manifest_local.clone(),
        session_id: session.or_else(|| std::env::var("BUILDKIT_SESSION_ID").ok()),
        shared_key_hint: Some(opts.manifest_local.clone()),
        follow_paths: names.clone(),
        differ: Some("none".into()),
        meta: OpMeta {
            custom_name: Some(format!(
                "[internal] load build definition from {}",
                opts.filename
            )),
            ..Default::default()
        },
        ..Default::default()
    };
    let def = marshal_plain(&src.state())?;
    let id = solve(client, def.clone(), &Options::default()).await?;
    let mut last_err = None;
    for name in &names {
        let req = ReadFileRequest {
            r#ref: id.clone(),
            file_path: name.clone(),
            range: None,
            mount_index: 0,
        };
        match client.read_file(req).await {
            Ok(resp) => {
                let bytes = resp.into_inner().data;
                let file = manifest::source_file(name, &bytes)
                    .map_err(|d| errors::from_diagnostics(&SourceFile::new(name, ""), &d))?;
                return Ok((file, def));
            }
            Err(s) => last_err = Some(errors::from_rpc(&format!("reading manifest {name}"), &s)),
        }
    }
    Err(last_err.unwrap_or_else(|| errors::plain("no manifest")))
}

async fn resolve_image(
    client: &mut Client,
    r: &plan::ImageRef,
    platform: &Platform,
    opts: &Options,
) -> Result<ResolvedImage, Status> {
    let req = ResolveImageConfigRequest {
        r#ref: r.to_string(),
        platform: Some(pb::Platform {
            architecture: platform.architecture.clone(),
            os: platform.os.clone(),
            variant: platform.variant.clone(),
            ..Default::default()
        }),
        resolve_mode: opts.image_resolve_mode.clone().unwrap_or_default(),
        log_name: format!("[internal] load metadata for {r}"),
        session_id: std::env::var("BUILDKIT_SESSION_ID").unwrap_or_default(),
        ..Default::default()
    };
    let resp = client
        .resolve_image_config(req)
        .await
        .map_err(|s| errors::from_rpc(&format!("resolving base image {r}"), &s))?
        .into_inner();
    let config = serde_json::from_slice(&resp.config)
        .map_err(|e| errors::plain(format!("base image {r}: config is not JSON: {e}")))?;
    let pinned = if r.is_pinned() || resp.digest.is_empty() {
        r.clone()
    } else {
        r.pinned(&resp.digest)
    };
    Ok(ResolvedImage {
        reference: pinned,
        config,
    })
}

/// Solves the context transfer the copy step will use and stats the source directory, so a
/// missing directory is reported at its manifest line instead of as a copy failure.
async fn check_source_dir(
    client: &mut Client,
    file: &SourceFile,
    plan: &plan::ServicePlan,
    opts: &LowerOptions,
) -> Result<(), Status> {
    if plan.source.value == "." {
        return Ok(());
    }
    let def = marshal_plain(&lower::context_state(file, plan, opts))?;
    let id = solve(client, def, &Options::default()).await?;
    let req = StatFileRequest {
        r#ref: id,
        path: plan.source.value.clone(),
        mount_index: 0,
    };
    let problem = match client.stat_file(req).await {
        // Go's os.ModeDir is the top bit of the mode.
        Ok(resp)
            if resp
                .get_ref()
                .stat
                .as_ref()
                .is_some_and(|s| s.mode & (1 << 31) != 0) =>
        {
            return Ok(())
        }
        Ok(_) => "is not a directory",
        Err(_) => "does not exist in the build context",
    };
    let msg = format!(
        "service `{}`: source directory `{}` {problem}",
        plan.name, plan.source.value
    );
    let d = Diagnostic::error(file, plan.source.span.clone(), msg);
    Err(errors::from_diagnostics(file, &Diagnostics(vec![d])))
}

fn marshal_plain(st: &State) -> Result<pb::Definition, Status> {
    st.marshal(&MarshalOptions::default())
        .map(|m| m.definition)
        .map_err(|e| errors::plain(e.to_string()))
}

async fn solve(client: &mut Client, def: pb::Definition, opts: &Options) -> Result<String, Status> {
    let cache_imports = opts
        .cache_imports
        .iter()
        .map(|(t, a)| CacheOptionsEntry {
            r#type: t.clone(),
            attrs: a.clone().into_iter().collect(),
        })
        .collect();
    let req = SolveRequest {
        definition: Some(def),
        allow_result_return: true,
        allow_result_array_ref: true,
        cache_imports,
        ..Default::default()
    };
    let resp = client
        .solve(req)
        .await
        .map_err(|s| errors::from_rpc("solve", &s))?
        .into_inner();
    match resp.result.and_then(|r| r.result) {
        Some(result::Result::Ref(r)) => Ok(r.id),
        Some(result::Result::RefDeprecated(id)) => Ok(id),
        _ => Ok(resp.r#ref),
    }
}

/// `workers[0].platforms[0]` from `BUILDKIT_WORKERS`, else linux/amd64 (dockerui `init`).
fn default_platform() -> Platform {
    let parsed = std::env::var("BUILDKIT_WORKERS")
        .ok()
        .and_then(|w| serde_json::from_str::<serde_json::Value>(&w).ok());
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
