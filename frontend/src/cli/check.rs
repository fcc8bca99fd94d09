//! `fleet-frontend check MANIFEST`: every problem as `file:line:col: message`; exit 1 if any.

use std::path::PathBuf;

use clap::Args;
use llb_graphs::diag::{Diagnostic, Severity};
use llb_graphs::{lint, manifest};
use serde_json::json;

use super::load;

/// Arguments of `check`.
#[derive(Args)]
pub struct CheckArgs {
    /// The manifest (e.g. fleet.toml).
    pub manifest: PathBuf,
    /// Build context directory (default: the manifest's directory).
    #[arg(long)]
    pub context: Option<PathBuf>,
    /// Output format.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
}

/// Runs `check`.
pub fn run(args: &CheckArgs) -> anyhow::Result<i32> {
    // (diagnostic, lint rule id) in file order; errors first come from parsing.
    let problems: Vec<(Diagnostic, Option<&str>)> = match load::load(&args.manifest)? {
        Err(d) => d.0.into_iter().map(|d| (d, None)).collect(),
        Ok(l) => {
            let ctx = load::context_dir(&args.manifest, args.context.as_ref());
            let mut all: Vec<_> = manifest::check_paths(&l.file, &l.manifest, &|p| load::look(&ctx, p))
                .into_iter()
                .map(|d| (d, None))
                .collect();
            all.extend(lint::lint(&l.file, &l.manifest).into_iter().map(|f| (f.diagnostic, Some(f.rule.id))));
            // Lockfiles are checked for linux/amd64, the fleet's platform.
            for target in llb_graphs::plan::targets(&l.manifest) {
                if let Ok(plan) = llb_graphs::plan::plan_service(&l.file, &l.manifest, Some(&target)) {
                    if let Err(d) = load::deps(&ctx, &l.file, &plan, &llb_graphs::llb::Platform::linux_amd64()) {
                        all.extend(d.into_iter().map(|d| (d, None)));
                    }
                }
            }
            all.sort_by(|(a, _), (b, _)| {
                (a.file != l.file.name, &a.file, a.span.start).cmp(&(b.file != l.file.name, &b.file, b.span.start))
            });
            all
        }
    };
    let errors = problems.iter().filter(|(d, _)| d.severity == Severity::Error).count();
    if args.format == "json" {
        let items: Vec<_> = problems
            .iter()
            .map(|(d, rule)| {
                json!({"file": d.file, "line": d.line, "column": d.col, "message": d.message, "help": d.help,
                "severity": format!("{:?}", d.severity).to_lowercase(), "rule": rule})
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&json!({ "problems": items }))?);
    } else {
        for (d, rule) in &problems {
            match rule {
                Some(r) => println!("{d} [{r}]"),
                None => println!("{d}"),
            }
        }
        if errors == 0 {
            eprintln!("{}: ok", args.manifest.display());
        }
    }
    Ok(i32::from(errors > 0))
}
