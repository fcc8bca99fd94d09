//! The lockfiles of a service and of its families: fetched alone from the `context` local
//! (followpaths), parsed and narrowed per platform by the library; problems come back with boxes
//! in the lockfile and a note at the manifest's `lock = ...` line.

use bollard_buildkit_proto::google::rpc::Status;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::ReadFileRequest;
use llb_graphs::diag::{Diagnostic, SourceFile};
use llb_graphs::llb::{LocalSource, NetMode, OpMeta, Platform};
use llb_graphs::lower::LockedDeps;
use llb_graphs::manifest;
use llb_graphs::plan::{self, At};

use super::build::{marshal_plain, solve, Client};
use super::errors;
use super::options::Options;

/// The lockfiles a service build reads: its own (`None` family) and each family layer's.
pub struct Locks {
    own: Option<SourceFile>,
    families: Vec<(String, SourceFile)>,
}

/// Reads every lockfile the plan names, in one transfer.
pub async fn read_locks(
    client: &mut Client,
    opts: &Options,
    file: &SourceFile,
    p: &plan::ServicePlan,
) -> Result<Locks, Status> {
    let mut wanted: Vec<(Option<String>, &At<String>)> = p.lock.iter().map(|l| (None, l)).collect();
    wanted.extend(p.family.chain.iter().filter_map(|l| l.lock.as_ref().map(|at| (Some(l.name.clone()), at))));
    let mut locks = Locks { own: None, families: vec![] };
    if wanted.is_empty() {
        return Ok(locks);
    }
    let src = LocalSource {
        name: "context".into(),
        session_id: super::options::session_for(opts, "context"),
        shared_key_hint: Some("context-lockfiles".into()),
        follow_paths: wanted.iter().map(|(_, at)| at.value.clone()).collect(),
        differ: Some("none".into()),
        meta: OpMeta { custom_name: Some("[internal] load lockfiles".into()), ..Default::default() },
        ..Default::default()
    };
    let id = solve(client, marshal_plain(&src.state())?, &Options::default()).await?;
    for (family, at) in wanted {
        let req = ReadFileRequest { r#ref: id.clone(), file_path: at.value.clone(), range: None, mount_index: 0 };
        let Ok(resp) = client.read_file(req).await else {
            let msg = format!("lockfile `{}` does not exist in the build context", at.value);
            let d = Diagnostic::error(file, at.span.clone(), msg).rule(&llb_graphs::rules::INVALID_LOCK);
            return Err(errors::from_diagnostics(file, &llb_graphs::diag::Diagnostics(vec![d])));
        };
        let lock_file = manifest::lockfile_source(&at.value, &resp.into_inner().data).map_err(|d| {
            let d: Vec<_> = d.0.into_iter().map(|d| d.rule(&llb_graphs::rules::INVALID_LOCK)).collect();
            errors::from_parts(&[(&SourceFile::new(&at.value, ""), &d)])
        })?;
        match family {
            None => locks.own = Some(lock_file),
            Some(f) => locks.families.push((f, lock_file)),
        }
    }
    Ok(locks)
}

/// Selects every lockfile's artifacts for `platform`.
pub fn select(
    file: &SourceFile,
    p: &plan::ServicePlan,
    locks: &Locks,
    platform: &Platform,
    network: NetMode,
) -> Result<Vec<LockedDeps>, Status> {
    try_select(file, p, locks, platform, network != NetMode::None)
        .map_err(|(lock_file, e)| errors::from_parts(&[(lock_file, &e.lock.0), (file, &[*e.note][..])]))
}

/// The problems of every lockfile, each with the file it is in (the manifest's note last), for
/// the lint subrequest. Network is assumed, as in `fleet-frontend check`.
pub fn problems(
    file: &SourceFile,
    p: &plan::ServicePlan,
    locks: &Locks,
    platform: &Platform,
) -> Vec<(SourceFile, Vec<Diagnostic>)> {
    match try_select(file, p, locks, platform, true) {
        Ok(_) => vec![],
        Err((lock_file, e)) => vec![(lock_file.clone(), e.lock.0), (file.clone(), vec![*e.note])],
    }
}

fn try_select<'l>(
    file: &SourceFile,
    p: &plan::ServicePlan,
    locks: &'l Locks,
    platform: &Platform,
    net: bool,
) -> Result<Vec<LockedDeps>, (&'l SourceFile, plan::DepsError)> {
    let mut out = vec![];
    for layer in &p.family.chain {
        if let Some((_, lf)) = locks.families.iter().find(|(f, _)| *f == layer.name) {
            out.push(plan::plan_family_deps(file, p, layer, lf, platform, net).map_err(|e| (lf, e))?);
        }
    }
    if let Some(lf) = &locks.own {
        out.push(plan::plan_deps(file, p, lf, platform, net).map_err(|e| (lf, e))?);
    }
    Ok(out)
}
