//! Manifest v1: TOML parsed with spans, then validated. Every problem comes back as a
//! [`Diagnostic`] at `file:line:col`; nothing here panics on any input.

pub mod contract;
mod families;
mod installer;
pub mod schema;
mod service;
mod suggest;
mod toml_error;
pub mod typed;
pub mod types;
pub mod validate;

pub use suggest::did_you_mean;
pub use types::Manifest;
pub use validate::{check_paths, validate, PathKind};

use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::rules;

/// Largest manifest accepted, so a hostile file cannot make the frontend allocate without bound.
pub const MAX_MANIFEST_BYTES: usize = 4 << 20;

/// Decodes `bytes` as UTF-8 text named `name`. Empty, oversized and non-UTF-8 files are errors.
pub fn source_file(name: &str, bytes: &[u8]) -> Result<SourceFile, Diagnostics> {
    text_file("manifest", name, bytes)
}

/// [`source_file`] for a lockfile: the same limits, messages that say "lockfile" (callers tag
/// them `InvalidLock`).
pub fn lockfile_source(name: &str, bytes: &[u8]) -> Result<SourceFile, Diagnostics> {
    text_file("lockfile", name, bytes)
}

fn text_file(what: &str, name: &str, bytes: &[u8]) -> Result<SourceFile, Diagnostics> {
    let empty = SourceFile::new(name, "");
    if bytes.len() > MAX_MANIFEST_BYTES {
        return Err(too_large_as(what, name, bytes.len() as u64));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) if text.trim().is_empty() && what == "manifest" => {
            Err(Diagnostic::error(&empty, 0..0, "manifest is empty")
                .with_help("a manifest needs at least one [families.NAME] and one [services.NAME] table")
                .rule(&rules::UNREADABLE_MANIFEST)
                .into())
        }
        Ok(text) => Ok(SourceFile::new(name, text)),
        Err(e) => {
            // Report at the first bad byte, counting lines in the valid prefix.
            let good = e.valid_up_to();
            let prefix = String::from_utf8_lossy(&bytes[..good]).into_owned();
            let f = SourceFile::new(name, prefix);
            let msg = format!("{what} is not valid UTF-8 (byte 0x{:02x} at offset {good})", bytes[good]);
            Err(Diagnostic::error(&f, good..good, msg).rule(&rules::UNREADABLE_MANIFEST).into())
        }
    }
}

/// A file of `size` bytes, over [`MAX_MANIFEST_BYTES`] (for callers that read only a bounded
/// prefix and learn the size otherwise).
pub fn too_large(name: &str, size: u64) -> Diagnostics {
    too_large_as("manifest", name, size)
}

/// [`too_large`] for a lockfile (`what` = `lockfile`).
pub fn lockfile_too_large(name: &str, size: u64) -> Diagnostics {
    too_large_as("lockfile", name, size)
}

fn too_large_as(what: &str, name: &str, size: u64) -> Diagnostics {
    let msg = format!("{what} is {size} bytes; the limit is {MAX_MANIFEST_BYTES}");
    Diagnostic::error(&SourceFile::new(name, ""), 0..0, msg).rule(&rules::UNREADABLE_MANIFEST).into()
}

/// Parses a manifest's TOML into its types, without the semantic checks of [`validate`].
/// The typed values ([`typed::Typed`]) are parsed here, once.
pub fn parse_toml(file: &SourceFile) -> Result<Manifest, Diagnostics> {
    let mut m: Manifest = toml::from_str(&file.text).map_err(|e| toml_error::diagnose(file, &e))?;
    m.typed = typed::Typed::of(&m);
    Ok(m)
}

/// Parses and validates a manifest.
pub fn parse(file: &SourceFile) -> Result<Manifest, Diagnostics> {
    let manifest = parse_toml(file)?;
    let problems = validate(file, &manifest);
    if problems.is_empty() {
        Ok(manifest)
    } else {
        Err(Diagnostics(problems))
    }
}

#[cfg(test)]
mod tests;
