//! Reads the manifest from the `dockerfile` local, fetching only that file (`followpaths`,
//! `differ=none`), the way dockerui's `ReadEntrypoint` does (buildkit-gateway.md §3).

use bollard_buildkit_proto::google::rpc::Status;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::ReadFileRequest;
use llb_graphs::diag::SourceFile;
use llb_graphs::llb::{pb, LocalSource, OpMeta};
use llb_graphs::manifest;

use super::build::{solve, Client};
use super::errors;
use super::options::Options;

/// The manifest text and the definition that loaded it (for source maps and `Warn`).
pub struct Loaded {
    /// The manifest.
    pub file: SourceFile,
    /// The local-source definition that fetched it.
    pub def: pb::Definition,
    /// Digest of that local source op: warnings attach to it.
    pub head: String,
}

/// The `SourceInfo` every source map and lint result points into.
pub fn source_info(l: &Loaded) -> pb::SourceInfo {
    // The Definition must stay under BuildKit v0.13's 4 MiB message limit: a very large manifest
    // goes without its text (errors still name file:line, without the box).
    let data = if l.file.text.len() <= 1 << 20 { l.file.text.clone().into_bytes() } else { vec![] };
    pb::SourceInfo { filename: l.file.name.clone(), data, language: "toml".into(), definition: Some(l.def.clone()) }
}

/// Fetches and decodes the manifest named by `filename`.
pub async fn read(client: &mut Client, opts: &Options) -> Result<Loaded, Status> {
    let mut names = vec![opts.filename.clone()];
    // buildx sends `Dockerfile` when -f is not given; a fleet checkout has fleet.toml instead.
    if opts.filename == "Dockerfile" {
        names.push("fleet.toml".into());
    }

    let src = LocalSource {
        name: opts.manifest_local.clone(),
        session_id: super::options::session_for(opts, &opts.manifest_local),
        shared_key_hint: Some(opts.manifest_local.clone()),
        follow_paths: names.clone(),
        differ: Some("none".into()),
        meta: OpMeta {
            custom_name: Some(format!("[internal] load build definition from {}", opts.filename)),
            ..Default::default()
        },
        ..Default::default()
    };
    let marshalled = src.state().marshal(&Default::default()).map_err(|e| errors::plain(e.to_string()))?;
    let def = marshalled.definition;
    let id = solve(client, def.clone(), &Options::default()).await?;
    let mut last_err = None;
    for name in &names {
        let req = ReadFileRequest { r#ref: id.clone(), file_path: name.clone(), range: None, mount_index: 0 };
        match client.read_file(req).await {
            Ok(resp) => {
                let bytes = resp.into_inner().data;
                let file = manifest::source_file(name, &bytes)
                    .map_err(|d| errors::from_diagnostics(&SourceFile::new(name, ""), &d))?;
                return Ok(Loaded { file, def, head: marshalled.head });
            }
            Err(s) => last_err = Some(errors::from_rpc(&format!("reading manifest {name}"), &s)),
        }
    }
    Err(last_err.unwrap_or_else(|| errors::plain("no manifest")))
}
