//! `fleet-frontend sbom MANIFEST --target NAME`: the SBOM a build with `--sbom=true` attaches,
//! offline, through the same library call as the gateway (`llb_graphs::sbom::render`). Offline
//! the base image is not resolved, so the document names it without a digest unless
//! `--base-digest` says which one; everything else is identical to the attached document.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use llb_graphs::build::{BuildArgs, Request};
use llb_graphs::diag::Diagnostics;
use llb_graphs::llb::Platform;
use llb_graphs::lower::{LowerOptions, ResolvedImage};
use llb_graphs::sbom::{self, Format};
use llb_graphs::{manifest, plan};

use super::load;

/// Arguments of `sbom`.
#[derive(Args)]
pub struct SbomArgs {
    /// The manifest (e.g. fleet.toml).
    pub manifest: PathBuf,
    /// Target to describe (default: the only service).
    #[arg(long)]
    pub target: Option<String>,
    /// Build context directory (default: the manifest's directory).
    #[arg(long)]
    pub context: Option<PathBuf>,
    /// Target platform.
    #[arg(long, default_value = "linux/amd64")]
    pub platform: String,
    /// `spdx` (SPDX 2.3 JSON, what builds attach) or `cyclonedx` (CycloneDX 1.5 JSON).
    #[arg(long, default_value = "spdx", value_parser = ["spdx", "cyclonedx"])]
    pub format: String,
    /// Machine profile (`--build-arg MACHINE` of a build); checked as a build checks it.
    #[arg(long, default_value = llb_graphs::profile::DEFAULT)]
    pub machine: String,
    /// `FLEET_ARTIFACT_MIRROR` of the build (default: `[fleet] artifact_mirror`).
    #[arg(long)]
    pub artifact_mirror: Option<String>,
    /// `SOURCE_DATE_EPOCH` of the build (default: the environment's, else 0).
    #[arg(long)]
    pub source_date_epoch: Option<i64>,
    /// The base image's digest (`sha256:...`), as the build pinned it.
    #[arg(long)]
    pub base_digest: Option<String>,
}

/// Runs `sbom`.
pub fn run(args: &SbomArgs) -> anyhow::Result<i32> {
    let l = match load::load(&args.manifest)? {
        Ok(l) => l,
        Err(d) => {
            load::print(&d);
            return Ok(1);
        }
    };
    let ctx = load::context_dir(&args.manifest, args.context.as_ref());
    let problems = manifest::check_paths(&l.file, &l.manifest, &|p| load::look(&ctx, p));
    let build_args = BuildArgs {
        machine: args.machine.clone(),
        artifact_mirror: args.artifact_mirror.clone().filter(|m| !m.is_empty()),
        source_date_epoch: match args.source_date_epoch {
            Some(e) => Some(e),
            None => env_epoch()?,
        },
        ..Default::default()
    };
    // The build's own request: its plan, platform and profile checks, its lockfiles.
    let req = match Request::from_manifest(l.file, l.manifest, args.target.as_deref(), build_args) {
        Ok(r) if problems.is_empty() => r,
        Ok(_) => return fail(problems),
        Err(d) => return fail(problems.into_iter().chain(d.0).collect()),
    };
    let platform = Platform::parse(&args.platform).with_context(|| format!("bad --platform {:?}", args.platform))?;
    if let Err(d) = req.platforms(std::slice::from_ref(&platform), Platform::linux_amd64()) {
        return fail(d.0);
    }
    let machine = load::profile(&ctx, &req.profile_need())?;
    if let Err(d) = req.check_profile(&machine) {
        return fail(d.0);
    }
    let deps = match load::deps(&ctx, &req.file, &req.plan, &platform) {
        Ok(d) => d,
        Err(d) => return fail(d),
    };
    let opts = req.lower_options(LowerOptions { platform, ..Default::default() });
    let plan = &req.plan;
    let base_ref = match &args.base_digest {
        Some(d) => {
            let pinned = format!("{}@{d}", plan.family.base.value);
            plan::ImageRef::parse(&pinned).map_err(|why| anyhow::anyhow!("--base-digest {d:?}: `{pinned}` {why}"))?
        }
        None => plan.family.base.value.clone(),
    };
    let base = ResolvedImage::unresolved(base_ref);
    let format = if args.format == "cyclonedx" { Format::CycloneDx } else { Format::Spdx };
    let input = sbom::Input { plan, deps: &deps, base: &base, opts: &opts, tool_version: env!("CARGO_PKG_VERSION") };
    let mut out = std::io::stdout().lock();
    out.write_all(&sbom::render(&input, format))?;
    out.flush()?;
    Ok(0)
}

fn fail(d: Vec<llb_graphs::diag::Diagnostic>) -> anyhow::Result<i32> {
    load::print(&Diagnostics(d));
    Ok(1)
}

/// `SOURCE_DATE_EPOCH` from the environment, as reproducible-builds.org specifies it.
fn env_epoch() -> anyhow::Result<Option<i64>> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) if !v.is_empty() => {
            let secs = v.parse::<i64>().ok().filter(|s| *s >= 0);
            Ok(Some(secs.with_context(|| format!("SOURCE_DATE_EPOCH {v:?}: expected Unix seconds"))?))
        }
        _ => Ok(None),
    }
}
