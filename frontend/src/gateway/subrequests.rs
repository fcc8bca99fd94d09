//! Subrequests (`requestid`): `frontend.subrequests.describe`, `frontend.outline`,
//! `frontend.targets` and `frontend.lint`, answered with metadata only, in the JSON shapes
//! buildx decodes (moby/buildkit frontend/subrequests/*; buildkit-gateway.md §4.3). Anything
//! else is `unsupported request NAME`.

use std::collections::HashMap;

use base64::Engine;
use bollard_buildkit_proto::google::rpc::Status;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::Result as BkResult;
use llb_graphs::build::{Request, DESCRIBED};
use llb_graphs::diag::SourceFile;
use llb_graphs::llb::Platform;
use llb_graphs::{manifest, plan};
use serde_json::{json, Value};

use super::bridge::Bridge;
use super::errors;
use super::manifest::Loaded;
use super::options::Options;

const VERSION: &str = "1.0.0";

/// The subrequests this frontend answers, with what they do.
const DESCRIBE: &[(&str, &str)] = &[
    ("frontend.subrequests.describe", "List available subrequest types"),
    ("frontend.outline", "List build args, secrets and cache mounts of a target"),
    ("frontend.targets", "List the build targets: every service of the manifest"),
    ("frontend.lint", "Check the manifest and the target's lockfiles against the fleet validator's rules"),
];

/// Answers subrequest `req` (`frontend.lint` is `lint::reply`, dispatched by the build).
pub async fn handle(bridge: &mut Bridge, loaded: &Loaded, req: &str) -> Result<BkResult, Status> {
    let file = &loaded.file;
    match req {
        "frontend.subrequests.describe" => Ok(reply(describe(), describe_txt(), None)),
        "frontend.targets" => {
            let m = manifest::parse(file).map_err(|d| errors::from_diagnostics(file, &d))?;
            let (v, txt) = targets(file, &m);
            Ok(reply(v, txt, None))
        }
        "frontend.outline" => {
            // The build's own request (without its lint gate): the values shown are the build's.
            let (target, args) = (bridge.opts.target.as_deref(), bridge.opts.args.clone());
            let r = Request::describe(file.clone(), target, args).map_err(|d| errors::from_diagnostics(file, &d))?;
            let platforms = r
                .platforms(&bridge.opts.platforms, bridge.default_platform.clone())
                .map_err(|d| errors::from_diagnostics(file, &d))?;
            let (v, txt) = outline(&r, &platforms, &bridge.opts);
            Ok(reply(v, txt, None))
        }
        other => Err(errors::unsupported_subrequest(other)),
    }
}

/// A subrequest result: JSON, text, and for lint a status code.
pub fn reply(json: Value, txt: String, status: Option<&str>) -> BkResult {
    let mut metadata = HashMap::new();
    metadata.insert("result.json".to_string(), serde_json::to_vec(&json).unwrap_or_default());
    metadata.insert("result.txt".to_string(), txt.into_bytes());
    metadata.insert("version".to_string(), VERSION.as_bytes().to_vec());
    if let Some(s) = status {
        metadata.insert("result.statuscode".to_string(), s.as_bytes().to_vec());
    }
    BkResult { metadata, attestations: HashMap::new(), result: None }
}

fn describe() -> Value {
    let entries: Vec<Value> = DESCRIBE
        .iter()
        .map(|(name, desc)| {
            let opts = if *name == "frontend.outline" {
                json!([{ "name": "target", "description": "service to describe" }])
            } else {
                json!([])
            };
            json!({ "name": name, "version": VERSION, "type": "rpc", "description": desc, "opts": opts,
                "metadata": [{ "name": "result.json" }, { "name": "result.txt" }] })
        })
        .collect();
    Value::Array(entries)
}

fn describe_txt() -> String {
    let mut s = format!("{:<24}{:<10}{}\n", "NAME", "VERSION", "DESCRIPTION");
    for (name, desc) in DESCRIBE {
        s.push_str(&format!("{:<24}{VERSION:<10}{desc}\n", name.trim_start_matches("frontend.")));
    }
    s
}

/// `{"sourceIndex":N,"ranges":[...]}` for a byte span of `file`, source `index` of the result.
pub(super) fn location(index: usize, file: &SourceFile, span: &std::ops::Range<usize>) -> Value {
    let (l1, c1, l2, c2) = file.llb_range(span);
    json!({ "sourceIndex": index, "ranges": [{ "start": { "line": l1, "character": c1 }, "end": { "line": l2, "character": c2 } }] })
}

/// The file's text, base64 as the JSON results carry it.
pub(super) fn source_data(file: &SourceFile) -> String {
    base64::engine::general_purpose::STANDARD.encode(file.text.as_bytes())
}

fn targets(file: &SourceFile, m: &manifest::Manifest) -> (Value, String) {
    let only_one = m.services.len() == 1;
    let mut txt = format!("{:<28}{}\n", "TARGET", "DESCRIPTION");
    let list: Vec<Value> = m
        .services
        .iter()
        .map(|(name, svc)| {
            let s = svc.get_ref();
            let desc = s.description.as_ref().map(|d| d.get_ref().clone()).unwrap_or_default();
            let base = plan::resolve_family(m, s.family.get_ref()).map(|f| f.base_written).unwrap_or_default();
            txt.push_str(&format!("{:<28}{desc}\n", name.get_ref()));
            json!({ "name": name.get_ref(), "default": only_one, "description": desc, "base": base,
                "location": location(0, file, &svc.span()) })
        })
        .collect();
    (json!({ "targets": list, "sources": [source_data(file)] }), txt)
}

/// The outline of `r`: its build-args as given in `opts`, its secret, and the pip cache it
/// mounts on each of `platforms` (computed by the library, as the build mounts it).
fn outline(r: &Request, platforms: &[Platform], opts: &Options) -> (Value, String) {
    let plan = &r.plan;
    let mut txt = format!("TARGET: {}\n", plan.name);
    if let Some(d) = &plan.description {
        txt.push_str(&format!("DESCRIPTION: {d}\n"));
    }
    txt.push_str(&format!("\n{:<20}{:<14}{}\n", "BUILD ARG", "VALUE", "DESCRIPTION"));
    let mut list: Vec<Value> = DESCRIBED
        .iter()
        .map(|(name, desc)| {
            let value = opts.build_args.get(*name).cloned().unwrap_or_default();
            txt.push_str(&format!("{name:<20}{value:<14}{desc}\n"));
            json!({ "name": name, "description": desc, "value": value })
        })
        .collect();
    let (name, value, desc) = super::attest::outline_arg(opts);
    txt.push_str(&format!("{name:<20}{value:<14}{desc}\n"));
    list.push(json!({ "name": name, "description": desc, "value": value }));
    let mut v = json!({ "name": plan.name, "description": plan.description.clone().unwrap_or_default(),
        "args": list, "sources": [source_data(&r.file)] });
    if let Some(id) = &plan.index_secret {
        txt.push_str(&format!("\nSECRET\n{id} (required: private index URL for pip)\n"));
        v["secrets"] = json!([{ "name": id, "required": true }]);
    }
    let mut ids: Vec<String> = platforms.iter().filter_map(|p| r.pip_cache_id(p)).collect();
    ids.dedup();
    if !ids.is_empty() {
        txt.push_str(&format!("\nCACHE\n{}\n", ids.join("\n")));
        v["cache"] = Value::Array(ids.iter().map(|id| json!({ "ID": id })).collect());
    }
    (v, txt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use llb_graphs::build::BuildArgs;

    #[test]
    fn outline_names_the_cache_of_the_platform_built() {
        let text = "[families.base]\nbase = \"python:3.11-slim\"\n\n[services.api]\nfamily = \"base\"\n\
source = \"app\"\ncommand = [\"x\"]\nports = { service = 1, health = 2 }\nlock = \"requirements.txt\"\n";
        let args = BuildArgs { cache_ns: Some("ci".into()), ..Default::default() };
        let r = Request::describe(SourceFile::new("fleet.toml", text), None, args).unwrap();
        let build_args =
            [(llb_graphs::build::BUILDKIT_CACHE_MOUNT_NS.to_string(), "ci".to_string())].into_iter().collect();
        let given = Options { build_args, ..Default::default() };
        let arm = Platform::parse("linux/arm64").unwrap();
        let (v, txt) = outline(&r, &[arm], &given);
        assert_eq!(v["cache"], json!([{ "ID": "ci/fleet-pip/base/py3.11/linux-arm64" }]), "{v}");
        assert!(txt.contains("\nCACHE\nci/fleet-pip/base/py3.11/linux-arm64\n"), "{txt}");
        let (v, _) = outline(&r, &[Platform::linux_amd64()], &given);
        assert_eq!(v["cache"], json!([{ "ID": "ci/fleet-pip/base/py3.11/linux-amd64" }]));
    }
}
