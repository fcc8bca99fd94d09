//! The machine profile of a build: `--build-arg MACHINE=<name>` (default `mainpc`), from the
//! built-in profiles or from the manifest's `[fleet] profiles` folder in the build context.

use bollard_buildkit_proto::google::rpc::Status;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::{ReadDirRequest, ReadFileRequest};
use llb_graphs::diag::SourceFile;
use llb_graphs::llb::{LocalSource, OpMeta};
use llb_graphs::profile::{self, Profile};

use super::build::{marshal_plain, solve, Client};
use super::errors;
use super::options::Options;

/// Loads the profile named by `MACHINE`; an unknown name lists the known ones.
pub async fn load(client: &mut Client, opts: &Options, profiles_dir: Option<&str>) -> Result<Profile, Status> {
    let name =
        opts.build_args.get("MACHINE").filter(|m| !m.is_empty()).cloned().unwrap_or_else(|| profile::DEFAULT.into());
    if let Some(why) = profile::name_problem(&name) {
        return Err(errors::plain(why));
    }
    let Some(dir) = profiles_dir else {
        return match profile::builtin(&name) {
            Some(p) => p.map_err(|d| errors::plain(d.to_string())),
            None => Err(unknown(&name, &profile::builtin_names().join(", "))),
        };
    };
    let path = format!("{dir}/{name}.json");
    let src = LocalSource {
        name: "context".into(),
        session_id: super::options::session_for(opts, "context"),
        shared_key_hint: Some("context-profiles".into()),
        include_patterns: vec![format!("{dir}/*.json")],
        meta: OpMeta {
            custom_name: Some(format!("[internal] load machine profiles from {dir}")),
            ..Default::default()
        },
        ..Default::default()
    };
    let id = solve(client, marshal_plain(&src.state())?, &Options::default()).await?;
    let req = ReadFileRequest { r#ref: id.clone(), file_path: path.clone(), range: None, mount_index: 0 };
    match client.read_file(req).await {
        Ok(r) => {
            let file = SourceFile::new(path, String::from_utf8_lossy(&r.into_inner().data).into_owned());
            profile::parse(&file, &name).map_err(|d| errors::from_diagnostics(&file, &d))
        }
        Err(_) => {
            let listing = client
                .read_dir(ReadDirRequest {
                    r#ref: id,
                    dir_path: dir.to_string(),
                    include_pattern: "*.json".into(),
                    mount_index: 0,
                })
                .await
                .map(|r| {
                    r.into_inner()
                        .entries
                        .iter()
                        .map(|e| e.path.trim_end_matches(".json").to_string())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            Err(unknown(&name, &listing.join(", ")))
        }
    }
}

fn unknown(name: &str, known: &str) -> Status {
    errors::plain(format!("unknown machine profile `{name}` (--build-arg MACHINE); known profiles: {known}"))
}
