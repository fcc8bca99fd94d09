//! Hash-pinned Python lockfiles (issue 3): parse `requirements.txt` (pip-compile / uv),
//! PEP 751 `pylock.toml` and `uv.lock` FAIL-CLOSED, then pick exactly one artifact per
//! package for a [`TargetEnv`].
//!
//! Invariants:
//! - Every accepted package is pinned to one version and carries at least one sha256 digest;
//!   anything that could install unhashed or unpinned code (editables, VCS, URLs, local paths,
//!   includes, unknown options or marker variables) is a [`Diagnostic`] at `file:line:col`.
//! - Output is deterministic: packages are sorted by PEP 503 name (stable, so file order
//!   breaks ties), wheel choice breaks rank ties by build tag then filename, and no hash-map
//!   iteration order reaches any output.
//! - Nothing here does I/O: callers pass the file text in a [`SourceFile`].

mod common;
mod env;
pub mod extras;
pub mod markers;
mod pylock;
mod requirements;
mod select;
mod selection;
pub mod tags;
pub mod url_policy;
pub mod uvlock;
mod uvwalk;
pub mod version;

use std::ops::Range;

use crate::diag::{Diagnostic, Diagnostics, SourceFile};

pub use common::{is_valid_name, normalize_name};
pub use env::{Libc, Platform, PlatformError, TargetEnv};
pub use select::{select, Selected};
pub use selection::{check_selection, Selection, SelectionKey, SelectionProblem};
pub use tags::{compatible_tags, Tag, WheelName};

/// The lockfile formats understood here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockKind {
    /// `pip-compile --generate-hashes`, `uv pip compile --generate-hashes` and
    /// `uv export --format requirements-txt` output (`*.txt`).
    Requirements,
    /// PEP 751 `pylock.toml` / `pylock.<name>.toml`.
    PyLock,
    /// uv's own `uv.lock`.
    UvLock,
}

impl LockKind {
    /// Detects the format from a file name or path (only the last component counts).
    /// `pylock.<name>.toml` follows PEP 751 §"File Name": `^pylock\.([^.]+\.)?toml$`.
    pub fn detect(file_name: &str) -> Option<LockKind> {
        let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
        if base == "uv.lock" {
            return Some(LockKind::UvLock);
        }
        if let Some(mid) = base.strip_prefix("pylock.").and_then(|r| r.strip_suffix("toml")) {
            let named = |n: &str| !n.is_empty() && !n.contains('.');
            if mid.is_empty() || mid.strip_suffix('.').is_some_and(named) {
                return Some(LockKind::PyLock);
            }
        }
        base.ends_with(".txt").then_some(LockKind::Requirements)
    }
}

/// A string from the lockfile with the byte span it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// The value.
    pub text: String,
    /// Where it is in the lockfile.
    pub span: Range<usize>,
}

/// A parsed lockfile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockFile {
    /// Which format it was.
    pub kind: LockKind,
    /// Locked packages, sorted by normalised name (file order among equal names).
    pub packages: Vec<LockedPackage>,
    /// Package indexes in file order, de-duplicated: `--index-url`/`-i` then
    /// `--extra-index-url` lines as written; the `index`/`source.registry` URLs of TOML locks.
    pub index_urls: Vec<String>,
    /// `--find-links`/`-f` locations (requirements files only), in file order.
    pub find_links: Vec<String>,
    /// Top-level `requires-python` (pylock.toml, uv.lock), checked by [`select`].
    pub requires_python: Option<Located>,
    /// PEP 751 `environments`: if present, the target must satisfy one of them.
    pub environments: Vec<Located>,
    /// PEP 751 top-level `extras` (normalised): the extras a selection may name.
    pub extras: Vec<String>,
    /// PEP 751 `dependency-groups` (normalised).
    pub groups: Vec<String>,
    /// PEP 751 `default-groups` (normalised): installed when the manifest names no `groups`.
    pub default_groups: Vec<String>,
    /// uv.lock only: the dependency graph [`select`] walks; `packages` then lists the
    /// registry packages whose entries are well-formed, for inspection only.
    pub graph: Option<Box<uvlock::UvGraph>>,
}

/// One pinned package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockedPackage {
    /// PEP 503-normalised name.
    pub name: String,
    /// The pinned version, as written.
    pub version: String,
    /// PEP 508 marker; the package is skipped on targets where it is false.
    pub marker: Option<String>,
    /// Package-level `requires-python` (PEP 751), checked by [`select`].
    pub requires_python: Option<Located>,
    /// Downloadable files with digests (TOML locks). Empty for requirements files.
    pub artifacts: Vec<Artifact>,
    /// Allowed sha256 digests (requirements files, which name no files), sorted, unique.
    pub hashes: Vec<String>,
    /// Where the package is named in the lockfile; errors about it point here.
    pub span: Range<usize>,
}

/// One downloadable file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    /// File name (`pydantic_core-2.50.5-cp311-cp311-manylinux_2_17_x86_64.whl`); empty for
    /// [`ArtifactKind::HashesOnly`].
    pub filename: String,
    /// Download URL, if the lockfile has one.
    pub url: Option<String>,
    /// Expected sha256 digest, lowercase hex. For [`ArtifactKind::HashesOnly`]: the first of
    /// the allowed digests (all of them are in the kind).
    pub sha256: String,
    /// Size in bytes, if recorded.
    pub size: Option<u64>,
    /// What kind of file.
    pub kind: ArtifactKind,
}

/// The kind of an [`Artifact`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArtifactKind {
    /// A wheel, with its parsed filename tags.
    Wheel(WheelName),
    /// A source distribution: needs a build step on the target.
    Sdist,
    /// A requirements-file pin: the file is unknown until an installer (`pip install
    /// --require-hashes`) picks one from the index; it must match one of these digests.
    HashesOnly(Vec<String>),
}

/// Parses `file`, detecting the format from `file.name`.
pub fn parse(file: &SourceFile) -> Result<LockFile, Diagnostics> {
    let kind = LockKind::detect(&file.name).ok_or_else(|| {
        Diagnostic::error(file, 0..0, format!("cannot tell the lockfile format of `{}`", file.name))
            .with_help("expected requirements `*.txt`, PEP 751 `pylock.toml`/`pylock.<name>.toml`, or `uv.lock`")
    })?;
    parse_as(file, kind)
}

/// Parses `file` as `kind`, whatever its name.
pub fn parse_as(file: &SourceFile, kind: LockKind) -> Result<LockFile, Diagnostics> {
    let mut lock = match kind {
        LockKind::Requirements => requirements::parse(file)?,
        LockKind::PyLock => pylock::parse(file)?,
        LockKind::UvLock => uvlock::parse(file)?,
    };
    // Stable: packages of the same name keep file order, which `select` relies on to report
    // "listed twice" at the later entry.
    lock.packages.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(lock)
}

/// Turns a list of diagnostics into a result.
fn finish<T>(value: T, errors: Vec<Diagnostic>) -> Result<T, Diagnostics> {
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(Diagnostics(errors))
    }
}

#[cfg(test)]
mod tests;
