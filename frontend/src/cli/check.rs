//! `fleet-frontend check MANIFEST`: every problem as `file:line:col: message`; exit 1 if any.

use std::path::PathBuf;

use clap::Args;
use llb_graphs::diag::Diagnostic;
use llb_graphs::manifest;
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
    let problems: Vec<Diagnostic> = match load::load(&args.manifest)? {
        Err(d) => d.0,
        Ok(l) => {
            let ctx = load::context_dir(&args.manifest, args.context.as_ref());
            manifest::check_paths(&l.file, &l.manifest, &|p| load::look(&ctx, p))
        }
    };
    if args.format == "json" {
        let items: Vec<_> = problems
            .iter()
            .map(|d| json!({"file": d.file, "line": d.line, "column": d.col, "message": d.message, "help": d.help,
                "severity": format!("{:?}", d.severity).to_lowercase()}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "problems": items }))?
        );
    } else {
        for d in &problems {
            println!("{d}");
        }
        if problems.is_empty() {
            eprintln!("{}: ok", args.manifest.display());
        }
    }
    Ok(i32::from(!problems.is_empty()))
}
