//! `matrix`, `bake` and `graph`: the whole fleet for CI — a GitHub Actions matrix in dependency
//! waves, a `docker-bake.json` whose services use the families built in the same bake, and the
//! family/service graph as Graphviz DOT.

use std::path::{Path, PathBuf};

use clap::Args;
use llb_graphs::plan::{self, FleetTarget, TargetKind};
use serde_json::{json, Map, Value};

use super::load;

/// Arguments shared by `matrix`, `bake` and `graph`.
#[derive(Args)]
pub struct FleetArgs {
    /// The manifest (e.g. images/fleet.toml).
    pub manifest: PathBuf,
    /// Platforms of the non-CUDA targets (CUDA families and their services are linux/amd64).
    #[arg(long, default_value = "linux/amd64", value_delimiter = ',')]
    pub platforms: Vec<String>,
    /// The machine profile the images are for (`MACHINE`): family and service tags depend on it,
    /// and `bake` passes it to every target.
    #[arg(long, default_value = llb_graphs::profile::DEFAULT)]
    pub machine: String,
    /// `matrix`: print only this wave's `{"include": [...]}`.
    #[arg(long)]
    pub wave: Option<usize>,
    /// `bake`: the frontend image (`BUILDKIT_SYNTAX`).
    #[arg(long, default_value = "localhost:5000/fleet-frontend:latest")]
    pub frontend: String,
    /// `bake`: build context, relative to where bake runs (default: the manifest's directory).
    #[arg(long)]
    pub context: Option<String>,
    /// `bake`: `network` of every target (apt steps need `host`).
    #[arg(long)]
    pub network: Option<String>,
    /// `bake`: a named context for every target, `NAME=SOURCE` (e.g. a stand-in for an
    /// upstream base: `python:3.11-slim-bookworm=docker-image://localhost:5000/python:3.11-slim`).
    #[arg(long = "build-context")]
    pub build_contexts: Vec<String>,
    /// `bake`: a registry cache per target, `<REF>:cache-<target>` (`cache-from`, and
    /// `cache-to` with `mode=max`), as the GitHub Actions matrix jobs use it.
    #[arg(long = "cache-ref")]
    pub cache_ref: Option<String>,
}

fn targets(
    args: &FleetArgs,
) -> anyhow::Result<Result<(llb_graphs::diag::SourceFile, llb_graphs::manifest::Manifest), i32>> {
    match load::load(&args.manifest)? {
        Ok(l) => Ok(Ok((l.file, l.manifest))),
        Err(d) => {
            load::print(&d);
            Ok(Err(1))
        }
    }
}

fn kind(t: &FleetTarget) -> &'static str {
    match t.kind {
        TargetKind::Family => "family",
        TargetKind::Service => "service",
    }
}

/// `fleet-frontend matrix`: `{"waves": [{"include": [...]}, ...], "include": [...]}`.
pub fn matrix(args: &FleetArgs) -> anyhow::Result<i32> {
    let (file, m) = match targets(args)? {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let all = plan::fleet_targets(&file, &m, &args.platforms, &args.machine);
    let entry = |t: &FleetTarget| {
        json!({ "target": t.name, "kind": kind(t), "wave": t.wave, "image": t.image.to_string(),
            "platforms": t.platforms.join(","), "needs": t.depends_on, "machine": args.machine })
    };
    let waves = all.iter().map(|t| t.wave).max().map_or(0, |w| w + 1);
    let per_wave: Vec<Value> = (0..waves)
        .map(|w| json!({ "include": all.iter().filter(|t| t.wave == w).map(entry).collect::<Vec<_>>() }))
        .collect();
    let out = match args.wave {
        Some(w) => per_wave.get(w).cloned().unwrap_or_else(|| json!({ "include": [] })),
        None => json!({ "waves": per_wave, "include": all.iter().map(entry).collect::<Vec<_>>() }),
    };
    println!("{}", serde_json::to_string(&out)?);
    Ok(0)
}

/// `fleet-frontend bake`: a `docker-bake.json` for `docker buildx bake -f`.
pub fn bake(args: &FleetArgs) -> anyhow::Result<i32> {
    let (file, m) = match targets(args)? {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let all = plan::fleet_targets(&file, &m, &args.platforms, &args.machine);
    let context = args.context.clone().unwrap_or_else(|| {
        args.manifest.parent().filter(|p| !p.as_os_str().is_empty()).map_or(".".into(), |p| p.display().to_string())
    });
    let dockerfile = args.manifest.file_name().map_or("fleet.toml".into(), |f| Path::new(f).display().to_string());
    let mut targets = Map::new();
    for t in &all {
        let mut a = Map::new();
        a.insert("BUILDKIT_SYNTAX".into(), json!(args.frontend));
        // The tags are this machine's: the build must use its profile too.
        a.insert(llb_graphs::build::MACHINE.into(), json!(args.machine));
        let mut target = json!({ "context": context, "dockerfile": dockerfile, "target": t.name,
            "tags": [t.image.to_string()], "platforms": t.platforms });
        if let (TargetKind::Service, Some(fam)) = (t.kind, &t.depends_on) {
            // The service builds on its family's image, and that image is the family target of
            // this same bake (buildx passes it to the frontend as an input).
            a.insert(llb_graphs::build::FLEET_FAMILIES.into(), json!("published"));
            if let Some(img) = all.iter().find(|f| f.kind == TargetKind::Family && &f.name == fam) {
                target["contexts"] = json!({ img.image.to_string(): format!("target:{fam}") });
            }
        }
        target["args"] = Value::Object(a);
        for c in &args.build_contexts {
            let (name, src) =
                c.split_once('=').ok_or_else(|| anyhow::anyhow!("--build-context {c:?}: expected NAME=SOURCE"))?;
            if target.get("contexts").is_none() {
                target["contexts"] = json!({});
            }
            target["contexts"][name] = json!(src);
        }
        if let Some(n) = &args.network {
            target["network"] = json!(n);
        }
        if let Some(r) = &args.cache_ref {
            let cache = format!("type=registry,ref={r}:cache-{}", bake_name(&t.name));
            target["cache-from"] = json!([cache]);
            target["cache-to"] = json!([format!("{cache},mode=max")]);
        }
        targets.insert(bake_name(&t.name), target);
    }
    let mut groups = Map::new();
    groups.insert("default".into(), json!({ "targets": all.iter().map(|t| bake_name(&t.name)).collect::<Vec<_>>() }));
    let waves = all.iter().map(|t| t.wave).max().map_or(0, |w| w + 1);
    for w in 0..waves {
        let names: Vec<String> = all.iter().filter(|t| t.wave == w).map(|t| bake_name(&t.name)).collect();
        groups.insert(format!("wave-{w}"), json!({ "targets": names }));
    }
    println!("{}", serde_json::to_string_pretty(&json!({ "group": groups, "target": targets }))?);
    Ok(0)
}

/// Bake target names allow `[a-zA-Z0-9_-]`.
fn bake_name(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// `fleet-frontend graph`: Graphviz DOT on stdout.
pub fn graph(args: &FleetArgs) -> anyhow::Result<i32> {
    let (file, m) = match targets(args)? {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    print!("{}", plan::graph_dot(&file, &m));
    Ok(0)
}
