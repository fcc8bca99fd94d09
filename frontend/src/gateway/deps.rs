//! The lockfiles a request needs ([`LockNeed`]): fetched alone from the `context` local
//! (followpaths) in one transfer; the library parses and narrows them per platform, and problems
//! come back with boxes in the lockfile and a note at the manifest's `lock = ...` line.

use bollard_buildkit_proto::google::rpc::Status;
use llb_graphs::build::{LockError, LockNeed, Locks};
use llb_graphs::diag::{Diagnostic, Diagnostics, SourceFile};

use super::bridge::Bridge;
use super::errors;

/// Reads every lockfile in `needs`, in one transfer.
pub async fn read_locks(bridge: &mut Bridge, file: &SourceFile, needs: &[LockNeed]) -> Result<Locks, Status> {
    let mut locks = Locks::default();
    if needs.is_empty() {
        return Ok(locks);
    }
    let mut src = bridge.local("context", "load lockfiles".into());
    src.shared_key_hint = Some("context-lockfiles".into());
    src.follow_paths = needs.iter().map(|n| n.at.value.clone()).collect();
    src.differ = Some("none".into());
    let r = bridge.solve_state(&src.state()).await?;
    for need in needs {
        let lock_file = match super::manifest::read_lock_text(&r, &need.at.value).await {
            Err(_) => return Err(errors::from_diagnostics(file, &Diagnostics(vec![need.missing(file)]))),
            Ok(Err(d)) => {
                let d: Vec<_> = d.0.into_iter().map(|d| d.rule(&llb_graphs::rules::INVALID_LOCK)).collect();
                return Err(errors::from_parts(&[(&SourceFile::new(&need.at.value, ""), &d)]));
            }
            Ok(Ok(f)) => f,
        };
        locks.insert(need, lock_file);
    }
    Ok(locks)
}

/// A selection failure as a `Status`: boxes in the lockfile, then the note in the manifest.
pub fn lock_status(file: &SourceFile, e: LockError) -> Status {
    errors::from_parts(&[(&e.lock_file, &e.error.lock.0), (file, &[*e.error.note][..])])
}

/// The problems of a selection, each with the file it is in (the manifest's note last), for
/// the lint subrequest.
pub fn lock_problems(file: &SourceFile, e: LockError) -> Vec<(SourceFile, Vec<Diagnostic>)> {
    vec![(e.lock_file, e.error.lock.0), (file.clone(), vec![*e.error.note])]
}
