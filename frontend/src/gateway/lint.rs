//! `frontend.lint` (`docker buildx build --print=lint`): the fleet validator's rules over the
//! manifest, the CUDA rule against `MACHINE`'s profile, and the target's lockfiles, in the
//! `LintResults` shape buildx decodes (moby/buildkit frontend/subrequests/lint/lint.go).

use bollard_buildkit_proto::google::rpc::Status;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::Result as BkResult;
use llb_graphs::build::{self, ProfileNeed};
use llb_graphs::diag::{Diagnostic, Severity, SourceFile};
use llb_graphs::{lint, manifest, plan};
use serde_json::{json, Value};

use super::bridge::Bridge;
use super::errors;
use super::manifest::Loaded;
use super::subrequests::source_data;

/// Every finding as a lint warning (rule id as `ruleName`, errors included so CI sees them all),
/// the first error also as `buildError`; status 1 when anything is found.
pub async fn reply(bridge: &mut Bridge, loaded: &Loaded) -> Result<BkResult, Status> {
    let file = &loaded.file;
    let mut sources = vec![file.clone()];
    let findings = match manifest::parse_toml(file) {
        Err(d) => d.0,
        Ok(m) => {
            let need = ProfileNeed::new(plan::profiles_dir(&m), &bridge.opts.args.machine);
            let profile = super::profile::load(bridge, &need).await?;
            let mut all = lint::all(file, &m, Some(&profile), bridge.opts.args.check.as_deref());
            if !all.iter().any(|d| d.severity == Severity::Error) {
                all.extend(lock_findings(bridge, file, &m, &mut sources).await?);
            }
            all
        }
    };
    let mut txt = String::new();
    let mut warnings = vec![];
    for d in &findings {
        let Some(rule) = d.rule else {
            // A note (the manifest line naming a lockfile) belongs to the finding before it.
            txt.push_str(&format!("{d}\n"));
            continue;
        };
        txt.push_str(&format!("{}: {d}\n", rule.id));
        let detail = d.help.as_ref().map_or(d.message.clone(), |h| format!("{} ({h})", d.message));
        warnings.push(json!({ "ruleName": rule.id, "description": rule.description, "url": "",
            "detail": format!("{}: {detail}", d.severity.as_str()), "location": location(&sources, d) }));
    }
    let encoded: Vec<Value> = sources
        .iter()
        .map(|s| json!({ "filename": s.name, "language": errors::language(s), "data": source_data(s) }))
        .collect();
    let mut v = json!({ "warnings": warnings, "sources": encoded });
    if let Some(d) = findings.iter().find(|d| d.severity == Severity::Error) {
        let msg = format!("{}{}", d.rule.map_or(String::new(), |r| format!("{}: ", r.id)), d.message);
        txt.push_str(&format!("error: {msg}\n"));
        v["buildError"] = json!({ "message": msg, "location": location(&sources, d) });
    }
    if txt.is_empty() {
        txt.push_str("Check complete, no warnings found.\n");
    }
    let status = if findings.is_empty() { "0" } else { "1" };
    Ok(super::subrequests::reply(v, txt, Some(status)))
}

/// Problems of the lockfiles of the target (`--target`, else every service), for linux/amd64
/// unless `--platform` says otherwise; each lockfile read becomes a source.
async fn lock_findings(
    bridge: &mut Bridge,
    file: &SourceFile,
    m: &manifest::Manifest,
    sources: &mut Vec<SourceFile>,
) -> Result<Vec<Diagnostic>, Status> {
    let targets = match bridge.opts.target.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => vec![t.to_string()],
        None => m.services.keys().map(|k| k.get_ref().clone()).collect(),
    };
    let platform = bridge.opts.platforms.first().cloned().unwrap_or_else(llb_graphs::llb::Platform::linux_amd64);
    let mut out: Vec<Diagnostic> = vec![];
    for t in targets {
        let plan = match plan::plan_service(file, m, Some(&t)) {
            Ok(p) => p,
            Err(d) => {
                out.extend(d.0);
                continue;
            }
        };
        let locks = super::deps::read_locks(bridge, file, &build::lock_needs(&plan)).await?;
        // Network is assumed, as in `fleet-frontend check`.
        let problems = build::select_locks(file, &plan, &locks, &platform, true)
            .map_or_else(|e| super::deps::lock_problems(file, e), |_| vec![]);
        for (lock_file, diags) in problems {
            if !sources.iter().any(|s| s.name == lock_file.name) {
                sources.push(lock_file);
            }
            out.extend(diags.into_iter().filter(|d| !out.contains(d)).collect::<Vec<_>>());
        }
    }
    Ok(out)
}

/// A finding's place: the index of its file among `sources` and its range.
fn location(sources: &[SourceFile], d: &Diagnostic) -> Value {
    let (i, f) = sources.iter().enumerate().find(|(_, s)| s.name == d.file).unwrap_or((0, &sources[0]));
    super::subrequests::location(i, f, &d.span)
}
