//! `fleet-frontend llb MANIFEST --target NAME`: the marshalled `pb.Definition` the gateway would
//! solve, on stdout. Offline, so base images stay unpinned and their config unknown (default
//! PATH); the gateway pins them through `ResolveImageConfig`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use llb_graphs::build::{BuildArgs, BuildError, PlatformInputs, Request};
use llb_graphs::diag::Diagnostics;
use llb_graphs::llb::{render, MarshalOptions, Platform};
use llb_graphs::lower::{self, LowerOptions, ResolvedImage};
use llb_graphs::manifest;
use prost::Message;

use super::load;

/// Arguments of `llb`.
#[derive(Args)]
pub struct LlbArgs {
    /// The manifest (e.g. fleet.toml).
    pub manifest: PathBuf,
    /// Service to build (default: the only one).
    #[arg(long)]
    pub target: Option<String>,
    /// Build context directory (default: the manifest's directory).
    #[arg(long)]
    pub context: Option<PathBuf>,
    /// Target platform.
    #[arg(long, default_value = "linux/amd64")]
    pub platform: String,
    /// Copy the app onto the base instead of using MergeOp.
    #[arg(long)]
    pub no_merge: bool,
    /// Machine profile (`--build-arg MACHINE` of a build).
    #[arg(long, default_value = llb_graphs::profile::DEFAULT)]
    pub machine: String,
    /// `pb` (marshalled Definition bytes) or `json` (digest-keyed, for reading).
    #[arg(long, default_value = "pb", value_parser = ["pb", "json"])]
    pub format: String,
}

/// Runs `llb`: the build driver with inputs from the filesystem.
pub fn run(args: &LlbArgs) -> anyhow::Result<i32> {
    let l = match load::load(&args.manifest)? {
        Ok(l) => l,
        Err(d) => {
            load::print(&d);
            return Ok(1);
        }
    };
    let ctx = load::context_dir(&args.manifest, args.context.as_ref());
    // Every service's source directory, then (as in a build) the lint gate and the plan.
    let mut problems = manifest::check_paths(&l.file, &l.manifest, &|p| load::look(&ctx, p));
    let build_args = BuildArgs { machine: args.machine.clone(), ..Default::default() };
    let req = match Request::from_manifest(l.file, l.manifest, args.target.as_deref(), build_args) {
        Ok(r) => Some(r),
        Err(d) => {
            problems.extend(d.0);
            None
        }
    };
    let Some(req) = req.filter(|_| problems.is_empty()) else {
        load::print(&Diagnostics(problems));
        return Ok(1);
    };
    let platform = Platform::parse(&args.platform).with_context(|| format!("bad --platform {:?}", args.platform))?;
    if let Err(d) = req.platforms(std::slice::from_ref(&platform), Platform::linux_amd64()) {
        load::print(&d);
        return Ok(1);
    }
    let machine = load::profile(&ctx, &req.profile_need())?;
    if let Err(d) = req.check_profile(&machine) {
        load::print(&d);
        return Ok(1);
    }
    let deps = match load::deps(&ctx, &req.file, &req.plan, &platform) {
        Ok(d) => d,
        Err(d) => {
            load::print(&Diagnostics(d));
            return Ok(1);
        }
    };
    let opts =
        req.lower_options(LowerOptions { merge_op: !args.no_merge, profile: Some(machine), ..Default::default() });
    let base = ResolvedImage::unresolved(req.plan.family.base.value.clone());
    let info = llb_graphs::llb::pb::SourceInfo {
        filename: req.file.name.clone(),
        data: req.file.text.clone().into_bytes(),
        language: "toml".into(),
        definition: None,
    };
    let marshal = MarshalOptions { source_infos: vec![info], allowed_caps: None };
    let inputs = vec![PlatformInputs { platform, base, deps, builders: Default::default() }];
    let graph = match req.finish(&opts, inputs, &marshal) {
        Err(BuildError::Lower(lower::ImageConfigError::LayerBudget(d))) => {
            load::print(&Diagnostics(vec![*d]));
            return Ok(1);
        }
        r => r?.remove(0),
    };
    let mut out = std::io::stdout().lock();
    if args.format == "json" {
        let mut v = render::definition_json(&graph.definition);
        v["image_config"] = graph.image_config;
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        out.write_all(&graph.definition.encode_to_vec())?;
    }
    out.flush()?;
    Ok(0)
}
