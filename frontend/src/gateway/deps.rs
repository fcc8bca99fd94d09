//! The service's lockfile: fetched alone from the `context` local (followpaths), parsed and
//! narrowed per platform by the library; its problems come back with boxes in the lockfile and
//! a note at the manifest's `lock = ...` line.

use bollard_buildkit_proto::google::rpc::Status;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::ReadFileRequest;
use llb_graphs::diag::{Diagnostic, SourceFile};
use llb_graphs::llb::{LocalSource, NetMode, OpMeta, Platform};
use llb_graphs::lower::LockedDeps;
use llb_graphs::{manifest, plan};

use super::build::{marshal_plain, solve, Client};
use super::errors;
use super::options::Options;

/// Reads the lockfile the plan names, if any.
pub async fn read_lock(
    client: &mut Client,
    opts: &Options,
    file: &SourceFile,
    p: &plan::ServicePlan,
) -> Result<Option<SourceFile>, Status> {
    let Some(lock) = &p.lock else { return Ok(None) };
    let session = opts.raw.get("local-sessionid:context").cloned();
    let src = LocalSource {
        name: "context".into(),
        session_id: session.or_else(|| std::env::var("BUILDKIT_SESSION_ID").ok()),
        shared_key_hint: Some("context-lockfile".into()),
        follow_paths: vec![lock.value.clone()],
        differ: Some("none".into()),
        meta: OpMeta { custom_name: Some(format!("[internal] load lockfile {}", lock.value)), ..Default::default() },
        ..Default::default()
    };
    let id = solve(client, marshal_plain(&src.state())?, &Options::default()).await?;
    let req = ReadFileRequest { r#ref: id, file_path: lock.value.clone(), range: None, mount_index: 0 };
    let bytes = match client.read_file(req).await {
        Ok(r) => r.into_inner().data,
        Err(_) => {
            let msg = format!("service `{}`: lockfile `{}` does not exist in the build context", p.name, lock.value);
            let d = Diagnostic::error(file, lock.span.clone(), msg);
            return Err(errors::from_diagnostics(file, &llb_graphs::diag::Diagnostics(vec![d])));
        }
    };
    let lock_file = manifest::source_file(&lock.value, &bytes).map_err(|d| {
        let empty = SourceFile::new(&lock.value, "");
        errors::from_parts(&[(&empty, &d.0)])
    })?;
    Ok(Some(lock_file))
}

/// Selects the lockfile's artifacts for `platform`.
pub fn select(
    file: &SourceFile,
    p: &plan::ServicePlan,
    lock_file: Option<&SourceFile>,
    platform: &Platform,
    network: NetMode,
) -> Result<Option<LockedDeps>, Status> {
    let Some(lock_file) = lock_file else { return Ok(None) };
    plan::plan_deps(file, p, lock_file, platform, network != NetMode::None)
        .map(Some)
        .map_err(|e| errors::from_parts(&[(lock_file, &e.lock.0), (file, &[*e.note][..])]))
}
