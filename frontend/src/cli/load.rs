//! Reads a manifest from disk and checks it against a build context directory.

use std::path::{Path, PathBuf};

use anyhow::Context;
use llb_graphs::build::{self, LockError, LockNeed, Locks, ProfileNeed};
use llb_graphs::diag::{Diagnostic, Diagnostics, SourceFile};
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

/// Reads the lockfiles `plan` names from `ctx` and selects them for `platform`. Problems come
/// back as lines ready to print (lockfile errors, then the manifest note).
pub fn deps(
    ctx: &Path,
    file: &SourceFile,
    plan: &llb_graphs::plan::ServicePlan,
    platform: &llb_graphs::llb::Platform,
) -> Result<Vec<llb_graphs::plan::LockedDeps>, Vec<Diagnostic>> {
    let mut locks = Locks::default();
    for need in build::lock_needs(plan) {
        let file = read_lock(ctx, file, &need)?;
        locks.insert(&need, file);
    }
    // Offline: assume the build may reach the index, so hash-only requirements still lower.
    build::select_locks(file, plan, &locks, platform, true).map_err(LockError::unfold)
}

fn read_lock(ctx: &Path, file: &SourceFile, need: &LockNeed) -> Result<SourceFile, Vec<Diagnostic>> {
    let at = &need.at;
    if look(ctx, &at.value) != PathKind::File {
        return Err(vec![need.missing(file)]);
    }
    let bytes = std::fs::read(ctx.join(&at.value)).map_err(|e| {
        vec![Diagnostic::error(file, at.span.clone(), e.to_string()).rule(&llb_graphs::rules::INVALID_LOCK)]
    })?;
    manifest::lockfile_source(&at.value, &bytes)
        .map_err(|d| d.0.into_iter().map(|d| d.rule(&llb_graphs::rules::INVALID_LOCK)).collect())
}

/// The machine profile `need` names: from the manifest's profiles folder in `ctx`, else built in.
pub fn profile(ctx: &Path, need: &ProfileNeed) -> anyhow::Result<llb_graphs::profile::Profile> {
    let name = &need.name;
    if let Some(why) = llb_graphs::profile::name_problem(name) {
        anyhow::bail!("{why} [{}]", llb_graphs::rules::INVALID_PROFILE.id);
    }
    let (Some(dir), Some(rel)) = (&need.dir, need.path()) else {
        let known = llb_graphs::profile::builtin_names().join(", ");
        return match need.builtin() {
            Some(p) => p.map_err(|d| anyhow::anyhow!("{d}")),
            None => anyhow::bail!("unknown machine profile `{name}`; known profiles: {known}"),
        };
    };
    let path = ctx.join(&rel);
    // As the gateway: BuildKit sends links as links, so a profile behind one is not there.
    let text = match look(ctx, &rel) {
        PathKind::File => std::fs::read_to_string(&path).ok(),
        PathKind::Symlink => anyhow::bail!(
            "machine profile `{name}`: {rel} is (or passes through) a symlink; BuildKit sends links, not their targets [{}]",
            llb_graphs::rules::INVALID_PROFILE.id
        ),
        _ => None,
    };
    let Some(text) = text else {
        let mut known: Vec<String> = std::fs::read_dir(ctx.join(dir))
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .filter_map(|e| e.file_name().to_str()?.strip_suffix(".json").map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        known.sort();
        anyhow::bail!("unknown machine profile `{name}` (no {}); known profiles: {}", path.display(), known.join(", "));
    };
    // Kept as `Diagnostics` inside the error so `check` can report them as findings.
    need.parse(text).map_err(anyhow::Error::new)
}

/// Prints diagnostics, one per line, to stderr.
pub fn print(d: &Diagnostics) {
    for x in &d.0 {
        eprintln!("{}", x.tagged());
    }
}
