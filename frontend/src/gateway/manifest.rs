//! Reads the manifest from the `dockerfile` local, fetching only that file (`followpaths`,
//! `differ=none`), the way dockerui's `ReadEntrypoint` does (buildkit-gateway.md §3).

use bollard_buildkit_proto::google::rpc::Status;
use llb_graphs::diag::{Diagnostics, SourceFile};
use llb_graphs::llb::pb;
use llb_graphs::manifest::{self, MAX_MANIFEST_BYTES};

use super::bridge::{Bridge, ReadError, Ref};
use super::errors;

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
pub async fn read(bridge: &mut Bridge) -> Result<Loaded, Status> {
    let (filename, local) = (bridge.opts.filename.clone(), bridge.opts.manifest_local.clone());
    let mut names = vec![filename.clone()];
    // buildx sends `Dockerfile` when -f is not given; a fleet checkout has fleet.toml instead.
    if filename == "Dockerfile" {
        names.push("fleet.toml".into());
    }
    let mut src = bridge.local(&local, format!("load build definition from {filename}"));
    src.shared_key_hint = Some(local.clone());
    src.follow_paths = names.clone();
    src.differ = Some("none".into());
    let marshalled = src.state().marshal(&Default::default()).map_err(|e| errors::plain(e.to_string()))?;
    let def = marshalled.definition;
    let r = bridge.solve(def.clone(), false).await?;
    let mut last_err = None;
    for name in &names {
        match read_text(&r, name).await {
            Ok(Ok(file)) => return Ok(Loaded { file, def, head: marshalled.head }),
            Ok(Err(d)) => return Err(errors::from_diagnostics(&SourceFile::new(name, ""), &d)),
            Err(s) => last_err = Some(errors::from_rpc(&format!("reading manifest {name}"), &s)),
        }
    }
    Err(last_err.unwrap_or_else(|| errors::plain("no manifest")))
}

/// Reads a manifest-sized text file (manifest, lockfile, profile) from `r`, at most
/// [`MAX_MANIFEST_BYTES`]: the outer error when it cannot be read, the inner one when its bytes
/// are not an acceptable text (too large, empty, not UTF-8), worded by `manifest::source_file`.
pub async fn read_text(r: &Ref, name: &str) -> Result<Result<SourceFile, Diagnostics>, tonic::Status> {
    read_decoded(r, name, manifest::source_file, manifest::too_large).await
}

/// [`read_text`] for a lockfile: the same limits, messages that say "lockfile".
pub async fn read_lock_text(r: &Ref, name: &str) -> Result<Result<SourceFile, Diagnostics>, tonic::Status> {
    read_decoded(r, name, manifest::lockfile_source, manifest::lockfile_too_large).await
}

async fn read_decoded(
    r: &Ref,
    name: &str,
    decode: fn(&str, &[u8]) -> Result<SourceFile, Diagnostics>,
    too_large: fn(&str, u64) -> Diagnostics,
) -> Result<Result<SourceFile, Diagnostics>, tonic::Status> {
    match r.read_file(name, MAX_MANIFEST_BYTES).await {
        Ok(bytes) => Ok(decode(name, &bytes)),
        Err(ReadError::TooLarge(size)) => Ok(Err(too_large(name, size))),
        Err(ReadError::Missing(s)) => Err(s),
    }
}
