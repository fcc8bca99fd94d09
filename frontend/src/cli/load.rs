//! Reads a manifest from disk and checks it against a build context directory.

use std::path::{Path, PathBuf};

use anyhow::Context;
use llb_graphs::diag::{Diagnostics, SourceFile};
use llb_graphs::manifest::{self, Manifest, PathKind};

/// A parsed manifest and its text.
pub struct Loaded {
    pub file: SourceFile,
    pub manifest: Manifest,
}

/// Reads and parses `path`; manifest problems come back as `Err(Ok(diagnostics))`.
pub fn load(path: &Path) -> anyhow::Result<Result<Loaded, Diagnostics>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading manifest {}", path.display()))?;
    let name = path.display().to_string();
    let file = match manifest::source_file(&name, &bytes) {
        Ok(f) => f,
        Err(d) => return Ok(Err(d)),
    };
    Ok(manifest::parse(&file).map(|manifest| Loaded { file, manifest }))
}

/// The context directory: `--context` if given, else the manifest's directory.
pub fn context_dir(manifest: &Path, context: Option<&PathBuf>) -> PathBuf {
    context.cloned().unwrap_or_else(|| manifest.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf))
}

/// Looks up `rel` inside `ctx` component by component, without following any symlink: BuildKit
/// sends links as links, so a path through a link never reaches the build.
pub fn look(ctx: &Path, rel: &str) -> PathKind {
    let mut p = ctx.to_path_buf();
    for comp in rel.split('/').filter(|c| !c.is_empty() && *c != ".") {
        p.push(comp);
        match std::fs::symlink_metadata(&p) {
            Err(_) => return PathKind::Missing,
            Ok(m) if m.file_type().is_symlink() => return PathKind::Symlink,
            Ok(_) => {}
        }
    }
    match std::fs::metadata(&p) {
        Err(_) => PathKind::Missing,
        Ok(m) if m.is_dir() => PathKind::Dir,
        Ok(_) => PathKind::File,
    }
}

/// Prints diagnostics, one per line, to stderr.
pub fn print(d: &Diagnostics) {
    for x in &d.0 {
        eprintln!("{x}");
    }
}
