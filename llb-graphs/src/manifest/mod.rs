//! Manifest v1: TOML parsed with spans, then validated. Every problem comes back as a
//! [`Diagnostic`] at `file:line:col`; nothing here panics on any input.

mod families;
mod service;
mod suggest;
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
    let empty = SourceFile::new(name, "");
    if bytes.len() > MAX_MANIFEST_BYTES {
        let msg = format!("manifest is {} bytes; the limit is {MAX_MANIFEST_BYTES}", bytes.len());
        return Err(Diagnostic::error(&empty, 0..0, msg).rule(&rules::UNREADABLE_MANIFEST).into());
    }
    match std::str::from_utf8(bytes) {
        Ok(text) if text.trim().is_empty() => Err(Diagnostic::error(&empty, 0..0, "manifest is empty")
            .with_help("a manifest needs at least one [families.NAME] and one [services.NAME] table")
            .rule(&rules::UNREADABLE_MANIFEST)
            .into()),
        Ok(text) => Ok(SourceFile::new(name, text)),
        Err(e) => {
            // Report at the first bad byte, counting lines in the valid prefix.
            let good = e.valid_up_to();
            let prefix = String::from_utf8_lossy(&bytes[..good]).into_owned();
            let f = SourceFile::new(name, prefix);
            let msg = format!("manifest is not valid UTF-8 (byte 0x{:02x} at offset {good})", bytes[good]);
            Err(Diagnostic::error(&f, good..good, msg).rule(&rules::UNREADABLE_MANIFEST).into())
        }
    }
}

/// Parses a manifest's TOML into its types, without the semantic checks of [`validate`].
pub fn parse_toml(file: &SourceFile) -> Result<Manifest, Diagnostics> {
    toml::from_str(&file.text).map_err(|e| toml_error(file, &e))
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

/// Turns a TOML/serde error into one diagnostic, adding a "did you mean" hint for unknown keys.
fn toml_error(file: &SourceFile, e: &toml::de::Error) -> Diagnostics {
    let span = e.span().unwrap_or(0..0);
    let raw = e.message().trim().to_string();
    let mut d = Diagnostic::error(file, span.clone(), raw.clone()).rule(&rules::MANIFEST_SYNTAX);
    if let Some(rest) = raw.strip_prefix("unknown field `") {
        let (word, tail) = rest.split_once('`').unwrap_or((rest, ""));
        let candidates: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
        d.message = format!("unknown key `{word}`");
        d.rule = Some(&rules::UNKNOWN_KEY);
        d = match did_you_mean(word, candidates.iter().copied()) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None if candidates.is_empty() => d,
            None => d.with_help(format!("expected one of: {}", candidates.join(", "))),
        };
    } else if raw.starts_with("duplicate key") {
        d.rule = Some(&rules::DUPLICATE_KEY);
        let line_start = file.text[..span.start.min(file.text.len())].rfind('\n').map_or(0, |i| i + 1);
        let line = file.text[line_start..].lines().next().unwrap_or_default().trim();
        let key = file.text.get(span.clone()).unwrap_or_default().trim().trim_matches(['[', ']']).trim();
        if line.starts_with('[') && line.len() < 200 {
            let header = line.trim_matches(['[', ']']).trim();
            d.message = format!("table `{header}` is defined twice");
            d = d.with_help("merge the two tables into one");
        } else if !key.is_empty() && key.len() < 200 {
            d.message = format!("duplicate key `{key}`");
            d = d.with_help("each key may appear once per table");
        }
    } else if raw.starts_with("invalid type") {
        d.message = format!("wrong type: {raw}");
    }
    d.into()
}

#[cfg(test)]
mod tests;
