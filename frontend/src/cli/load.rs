//! Reads a manifest from disk and checks it against a build context directory.

use std::path::{Path, PathBuf};

use anyhow::Context;
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

/// Reads, parses and selects the lockfiles of the service and of its families for `platform`.
/// Problems come back as lines ready to print (lockfile errors, then the manifest note).
pub fn deps(
    ctx: &Path,
    file: &SourceFile,
    plan: &llb_graphs::plan::ServicePlan,
    platform: &llb_graphs::llb::Platform,
) -> Result<Vec<llb_graphs::lower::LockedDeps>, Vec<Diagnostic>> {
    use llb_graphs::plan::{plan_deps, plan_family_deps, At};
    let read = |at: &At<String>| -> Result<SourceFile, Vec<Diagnostic>> {
        if look(ctx, &at.value) != PathKind::File {
            let msg = format!("lockfile `{}` does not exist in the build context", at.value);
            return Err(vec![Diagnostic::error(file, at.span.clone(), msg).rule(&llb_graphs::rules::INVALID_LOCK)]);
        }
        let bytes = std::fs::read(ctx.join(&at.value)).map_err(|e| {
            vec![Diagnostic::error(file, at.span.clone(), e.to_string()).rule(&llb_graphs::rules::INVALID_LOCK)]
        })?;
        manifest::lockfile_source(&at.value, &bytes)
            .map_err(|d| d.0.into_iter().map(|d| d.rule(&llb_graphs::rules::INVALID_LOCK)).collect())
    };
    let unfold = |e: llb_graphs::plan::DepsError| {
        let mut v = e.lock.0;
        v.push(*e.note);
        v
    };
    // Offline: assume the build may reach the index, so hash-only requirements still lower.
    let mut out = vec![];
    for layer in &plan.family.chain {
        if let Some(at) = &layer.lock {
            out.push(plan_family_deps(file, plan, layer, &read(at)?, platform, true).map_err(unfold)?);
        }
    }
    if let Some(at) = &plan.lock {
        out.push(plan_deps(file, plan, &read(at)?, platform, true).map_err(unfold)?);
    }
    Ok(out)
}

/// The machine profile `name`: from the manifest's profiles folder in `ctx`, else built in.
pub fn profile(ctx: &Path, profiles_dir: Option<&str>, name: &str) -> anyhow::Result<llb_graphs::profile::Profile> {
    use llb_graphs::profile;
    if let Some(why) = profile::name_problem(name) {
        anyhow::bail!("{why} [{}]", llb_graphs::rules::INVALID_PROFILE.id);
    }
    let Some(dir) = profiles_dir else {
        let known = profile::builtin_names().join(", ");
        return match profile::builtin(name) {
            Some(p) => p.map_err(|d| anyhow::anyhow!("{d}")),
            None => anyhow::bail!("unknown machine profile `{name}`; known profiles: {known}"),
        };
    };
    let path = ctx.join(dir).join(format!("{name}.json"));
    // As the gateway: BuildKit sends links as links, so a profile behind one is not there.
    let rel = format!("{}/{name}.json", manifest::validate::context_path_pub(dir));
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
    profile::parse(&SourceFile::new(format!("{dir}/{name}.json"), text), name).map_err(anyhow::Error::new)
}

/// Prints diagnostics, one per line, to stderr.
pub fn print(d: &Diagnostics) {
    for x in &d.0 {
        eprintln!("{}", x.tagged());
    }
}
