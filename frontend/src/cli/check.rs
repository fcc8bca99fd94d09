//! `fleet-frontend check MANIFEST`: the fleet validator. Every finding as
//! `file:line:col: severity: message [RuleId]` (or `--format json`); exit 1 if any is an error.

use std::path::{Path, PathBuf};

use anyhow::Context;

use clap::Args;
use llb_graphs::build::ProfileNeed;
use llb_graphs::diag::{Diagnostic, Diagnostics, Severity};
use llb_graphs::{lint, manifest, plan, rules};
use serde_json::json;

use super::load;

/// Arguments of `check`.
#[derive(Args)]
pub struct CheckArgs {
    /// The manifest (e.g. fleet.toml).
    #[arg(required_unless_present = "list_rules")]
    pub manifest: Option<PathBuf>,
    /// Build context directory (default: the manifest's directory).
    #[arg(long)]
    pub context: Option<PathBuf>,
    /// Machine profiles to check CUDA families against (repeatable; default: the build default).
    #[arg(long = "machine", default_value = llb_graphs::profile::DEFAULT)]
    pub machines: Vec<String>,
    /// Output format.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
    /// Print the rules (id, severity, description) and exit.
    #[arg(long)]
    pub list_rules: bool,
}

/// Runs `check`.
pub fn run(args: &CheckArgs) -> anyhow::Result<i32> {
    let Some(path) = args.manifest.as_ref().filter(|_| !args.list_rules) else {
        return list_rules(&args.format);
    };
    let problems = findings(args, path)?;
    let errors = problems.iter().filter(|d| d.severity == Severity::Error).count();
    if args.format == "json" {
        let items: Vec<_> = problems
            .iter()
            .map(|d| {
                json!({"rule": d.rule.map(|r| r.id), "severity": d.severity.as_str(), "file": d.file, "line": d.line,
                    "column": d.col, "message": d.message, "help": d.help})
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&json!({ "problems": items }))?);
    } else {
        for d in &problems {
            println!("{}", d.tagged());
        }
        if errors == 0 {
            eprintln!("{}: ok", path.display());
        }
    }
    Ok(i32::from(errors > 0))
}

/// Every finding: the manifest's in file order, then the lockfiles'.
fn findings(args: &CheckArgs, path: &Path) -> anyhow::Result<Vec<Diagnostic>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading manifest {}", path.display()))?;
    let file = match manifest::source_file(&path.display().to_string(), &bytes) {
        Ok(f) => f,
        Err(d) => return Ok(d.0),
    };
    let m = match manifest::parse_toml(&file) {
        Ok(m) => m,
        Err(d) => return Ok(d.0),
    };
    let ctx = load::context_dir(path, args.context.as_ref());
    let dir = plan::profiles_dir(&m);
    let mut all = lint::all(&file, &m, None, None);
    for name in &args.machines {
        match load::profile(&ctx, &ProfileNeed::new(dir.clone(), name)) {
            Ok(p) => all.extend(lint::cuda_without_gpu(&file, &m, &p)),
            Err(e) => all.extend(e.downcast::<Diagnostics>()?.0),
        }
    }
    let valid = !all.iter().any(|d| d.severity == Severity::Error);
    all.extend(manifest::check_paths(&file, &m, &|p| load::look(&ctx, p)));
    // The manifest's findings in file order, then a profile's.
    all.sort_by(|a, b| {
        (a.file != file.name, a.span.start, a.severity).cmp(&(b.file != file.name, b.span.start, b.severity))
    });
    // Lockfile problems follow, each group as reported: the lockfile's errors, then the note at
    // the manifest's `lock` line that names it. A lockfile shared by several targets once.
    if valid {
        // Lockfiles are checked for linux/amd64, the fleet's platform.
        let mut seen = std::collections::BTreeSet::new();
        let with_locks = targets_with_locks(&m);
        for target in plan::targets(&m).into_iter().filter(|t| with_locks.contains(t.as_str())) {
            let Ok(plan) = plan::plan_service(&file, &m, Some(&target)) else { continue };
            let locks: Vec<_> =
                plan.family.chain.iter().filter_map(|l| l.lock.clone()).chain(plan.lock.clone()).collect();
            if locks.iter().all(|l| seen.contains(&l.value)) {
                continue;
            }
            seen.extend(locks.into_iter().map(|l| l.value));
            if let Err(d) = load::deps(&ctx, &file, &plan, &llb_graphs::llb::Platform::linux_amd64()) {
                all.extend(d.into_iter().filter(|d| !all.contains(d)).collect::<Vec<_>>());
            }
        }
    }
    Ok(all)
}

/// The targets whose chain names a lockfile, in linear time (a family inherits its parent's
/// answer; the manifest is valid, so parents exist and form no cycle). Planning only these keeps
/// `check` linear on a deep chain of families without locks.
fn targets_with_locks(m: &manifest::Manifest) -> std::collections::BTreeSet<&str> {
    use std::collections::BTreeMap;
    let mut memo: BTreeMap<&str, bool> = BTreeMap::new();
    for name in m.families.keys() {
        let mut path = vec![];
        let mut cur = Some(name);
        let mut answer = false;
        while let Some(k) = cur {
            if let Some(&a) = memo.get(k.get_ref().as_str()) {
                answer = a;
                break;
            }
            let Some(f) = m.families.get(k) else { break };
            path.push(k.get_ref().as_str());
            if f.get_ref().lock.is_some() {
                answer = true;
                break;
            }
            cur = f.get_ref().parent.as_ref();
            if path.len() > m.families.len() {
                break;
            }
        }
        for p in path {
            memo.insert(p, answer);
        }
    }
    let services = m.services.iter().filter(|(_, s)| {
        let s = s.get_ref();
        s.lock.is_some() || memo.get(s.family.get_ref().as_str()).copied().unwrap_or(false)
    });
    services.map(|(k, _)| k.get_ref().as_str()).chain(memo.iter().filter(|(_, &a)| a).map(|(k, _)| *k)).collect()
}

fn list_rules(format: &str) -> anyhow::Result<i32> {
    if format == "json" {
        let items: Vec<_> = rules::ALL
            .iter()
            .map(|r| json!({"id": r.id, "severity": r.severity.as_str(), "description": r.description}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&json!({ "rules": items }))?);
    } else {
        for r in rules::ALL {
            println!("{:<28} {:<8} {}", r.id, r.severity.as_str(), r.description);
        }
    }
    Ok(0)
}
