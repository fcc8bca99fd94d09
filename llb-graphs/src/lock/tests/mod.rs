//! Lockfile tests: real tool outputs (`tests/fixtures/lock/`, see its README), fail-closed
//! forms with exact `line:col`, tag ranking tables and marker tables.

use super::*;

mod fixtures;
mod markers;
mod requirements;
mod tags;
mod toml_locks;
mod uv_graph;

/// Debian 12 style target.
pub const AMD64: TargetEnv = TargetEnv { python: (3, 11), platform: Platform::LinuxAmd64, libc: Libc::Glibc(2, 36) };
/// Alpine style target on arm64.
pub const ARM64_MUSL: TargetEnv = TargetEnv { python: (3, 11), platform: Platform::LinuxArm64, libc: Libc::Musl(1, 2) };

/// Parses `text` as a lockfile named `name`.
pub fn parse_named(name: &str, text: &str) -> Result<LockFile, Diagnostics> {
    parse(&SourceFile::new(name, text))
}

/// The only diagnostic of a failed parse, rendered.
pub fn one_error(name: &str, text: &str) -> String {
    let errs = match parse_named(name, text) {
        Ok(l) => panic!("expected an error, parsed {} packages", l.packages.len()),
        Err(d) => d.0,
    };
    assert_eq!(errs.len(), 1, "expected one error, got {errs:#?}");
    errs[0].to_string()
}

/// Parses then selects; the rendered diagnostics on failure.
pub fn select_named(name: &str, text: &str, env: &TargetEnv) -> Result<Vec<Selected>, Vec<String>> {
    select_with(name, text, env, &Selection::default())
}

/// [`select_named`] with a manifest selection.
pub fn select_with(name: &str, text: &str, env: &TargetEnv, sel: &Selection) -> Result<Vec<Selected>, Vec<String>> {
    let f = SourceFile::new(name, text);
    let render = |d: Diagnostics| d.0.iter().map(ToString::to_string).collect::<Vec<_>>();
    let lock = parse(&f).map_err(render)?;
    select(&lock, &f, env, sel).map_err(render)
}
