//! The machine profile a request needs ([`ProfileNeed`]): built in, or read from the
//! manifest's `[fleet] profiles` folder in the build context.

use bollard_buildkit_proto::google::rpc::Status;
use llb_graphs::build::ProfileNeed;
use llb_graphs::diag::SourceFile;
use llb_graphs::manifest::MAX_MANIFEST_BYTES;
use llb_graphs::profile::{self, Profile};

use super::bridge::{Bridge, ReadError};
use super::errors;

/// Loads the profile `need` names; an unknown name lists the known ones.
pub async fn load(bridge: &mut Bridge, need: &ProfileNeed) -> Result<Profile, Status> {
    let name = &need.name;
    if let Some(why) = profile::name_problem(name) {
        return Err(errors::plain(why));
    }
    let (Some(dir), Some(path)) = (&need.dir, need.path()) else {
        return match need.builtin() {
            Some(p) => p.map_err(|d| errors::plain(d.to_string())),
            None => Err(unknown(name, &profile::builtin_names().join(", "))),
        };
    };
    let mut src = bridge.local("context", format!("load machine profiles from {dir}"));
    src.shared_key_hint = Some("context-profiles".into());
    src.include_patterns = vec![format!("{dir}/*.json")];
    let r = bridge.solve_state(&src.state()).await?;
    match r.read_file(&path, MAX_MANIFEST_BYTES).await {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            need.parse(text.clone()).map_err(|d| errors::from_diagnostics(&SourceFile::new(path, text), &d))
        }
        Err(ReadError::TooLarge(size)) => Err(errors::plain(format!("{path}: {size} bytes is over the limit"))),
        Err(ReadError::Missing(_)) => {
            let entries = r.read_dir(dir, "*.json").await.unwrap_or_default();
            let listing: Vec<String> = entries.iter().map(|e| e.path.trim_end_matches(".json").to_string()).collect();
            Err(unknown(name, &listing.join(", ")))
        }
    }
}

fn unknown(name: &str, known: &str) -> Status {
    errors::plain(format!("unknown machine profile `{name}` (--build-arg MACHINE); known profiles: {known}"))
}
