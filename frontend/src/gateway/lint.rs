//! `frontend.lint` (`docker buildx build --print=lint`): the fleet validator's rules over the
//! manifest, the CUDA rule against `MACHINE`'s profile, and the target's lockfiles, in the
//! `LintResults` shape buildx decodes (moby/buildkit frontend/subrequests/lint/lint.go).

use bollard_buildkit_proto::google::rpc::Status;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::Result as BkResult;
use llb_graphs::diag::{Diagnostic, Severity, SourceFile};
use llb_graphs::manifest::validate::context_path_pub;
use llb_graphs::{lint, manifest, plan};
use serde_json::{json, Value};

use super::build::Client;
use super::errors;
use super::manifest::Loaded;
use super::options::Options;
use super::subrequests::source_data;

/// Every finding as a lint warning (rule id as `ruleName`, errors included so CI sees them all),
/// the first error also as `buildError`; status 1 when anything is found.
pub async fn reply(client: &mut Client, opts: &Options, loaded: &Loaded) -> Result<BkResult, Status> {
    let file = &loaded.file;
    let mut sources = vec![file.clone()];
    let findings = match manifest::parse_toml(file) {
        Err(d) => d.0,
        Ok(m) => {
            let dir =
                m.fleet.as_ref().and_then(|f| f.get_ref().profiles.as_ref()).map(|p| context_path_pub(p.get_ref()));
            let profile = super::profile::load(client, opts, dir.as_deref()).await?;
            let check = opts.build_args.get(super::build::CHECK_ARG).map(String::as_str);
            let mut all = lint::all(file, &m, Some(&profile), check);
            if !all.iter().any(|d| d.severity == Severity::Error) {
                all.extend(lock_findings(client, opts, file, &m, &mut sources).await?);
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
    client: &mut Client,
    opts: &Options,
    file: &SourceFile,
    m: &manifest::Manifest,
    sources: &mut Vec<SourceFile>,
) -> Result<Vec<Diagnostic>, Status> {
    let targets = match opts.target.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => vec![t.to_string()],
        None => m.services.keys().map(|k| k.get_ref().clone()).collect(),
    };
    let platform = opts.platforms.first().cloned().unwrap_or_else(llb_graphs::llb::Platform::linux_amd64);
    let mut out: Vec<Diagnostic> = vec![];
    for t in targets {
        let plan = match plan::plan_service(file, m, Some(&t)) {
            Ok(p) => p,
            Err(d) => {
                out.extend(d.0);
                continue;
            }
        };
        let locks = super::deps::read_locks(client, opts, file, &plan).await?;
        for (lock_file, diags) in super::deps::problems(file, &plan, &locks, &platform) {
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
