//! `fleet-frontend llb MANIFEST --target NAME`: the marshalled `pb.Definition` the gateway would
//! solve, on stdout. Offline, so base images stay unpinned and their config unknown (default
//! PATH); the gateway pins them through `ResolveImageConfig`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use llb_graphs::llb::{render, MarshalOptions, Platform};
use llb_graphs::lower::{self, LowerOptions, ResolvedImage};
use llb_graphs::{manifest, plan};
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

/// Runs `llb`.
pub fn run(args: &LlbArgs) -> anyhow::Result<i32> {
    let l = match load::load(&args.manifest)? {
        Ok(l) => l,
        Err(d) => {
            load::print(&d);
            return Ok(1);
        }
    };
    let ctx = load::context_dir(&args.manifest, args.context.as_ref());
    let mut problems = manifest::check_paths(&l.file, &l.manifest, &|p| load::look(&ctx, p));
    // As in a build: warnings fail it under `check=error=true` (or a malformed directive).
    let warnings = llb_graphs::lint::build_warnings(&l.file, &l.manifest, None);
    problems.extend(warnings.into_iter().filter(|d| d.severity == llb_graphs::diag::Severity::Error));
    let plan = match plan::plan_service(&l.file, &l.manifest, args.target.as_deref()) {
        Ok(p) => Some(p),
        Err(d) => {
            problems.extend(d.0);
            None
        }
    };
    let Some(plan) = plan.filter(|_| problems.is_empty()) else {
        load::print(&llb_graphs::diag::Diagnostics(problems));
        return Ok(1);
    };
    let platform = Platform::parse(&args.platform).with_context(|| format!("bad --platform {:?}", args.platform))?;
    if let Err(d) = plan::check_platform(&l.file, &plan, &platform) {
        load::print(&d);
        return Ok(1);
    }
    let machine = load::profile(&ctx, plan.profiles_dir.as_deref(), &args.machine)?;
    if let Err(d) = plan::check_profile(&l.file, &plan, &machine) {
        load::print(&d);
        return Ok(1);
    }
    let opts = LowerOptions { platform, merge_op: !args.no_merge, profile: Some(machine), ..Default::default() };
    let base = ResolvedImage::unresolved(plan.family.base.value.clone());
    let deps = match load::deps(&ctx, &l.file, &plan, &opts.platform) {
        Ok(d) => d,
        Err(d) => {
            load::print(&llb_graphs::diag::Diagnostics(d));
            return Ok(1);
        }
    };
    let lowered = match lower::lower_service_with(&l.file, &plan, &base, &deps, &opts) {
        Err(lower::ImageConfigError::LayerBudget(d)) => {
            load::print(&llb_graphs::diag::Diagnostics(vec![*d]));
            return Ok(1);
        }
        r => r?,
    };
    let info = llb_graphs::llb::pb::SourceInfo {
        filename: l.file.name.clone(),
        data: l.file.text.clone().into_bytes(),
        language: "toml".into(),
        definition: None,
    };
    let m = lowered.state.marshal(&MarshalOptions { source_infos: vec![info], allowed_caps: None })?;
    let mut out = std::io::stdout().lock();
    if args.format == "json" {
        let mut v = render::definition_json(&m.definition);
        v["image_config"] = lowered.image_config;
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        out.write_all(&m.definition.encode_to_vec())?;
    }
    out.flush()?;
    Ok(0)
}
