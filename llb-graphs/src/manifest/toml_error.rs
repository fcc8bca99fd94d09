//! TOML and serde errors turned into manifest diagnostics: the parser's wording translated into
//! the manifest's terms (keys, tables, ports), and a location found where the parser gives none.

use std::ops::Range;

use super::did_you_mean;
use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::rules;

/// Keys nested deeper than this are reported as too deep; the manifest needs three or four
/// levels (`services.NAME.labels.KEY`). The parser's own limit is far higher.
const REPORTED_DEPTH: usize = 64;

/// One diagnostic for a TOML/serde error, with a "did you mean" hint for unknown keys.
pub(super) fn diagnose(file: &SourceFile, e: &toml::de::Error) -> Diagnostics {
    let raw = e.message().trim().to_string();
    let Some(span) = e.span() else {
        // toml's recursion guard reports no position (toml_edit `RecursionLimitExceeded`).
        if raw.contains("recursion limit") {
            if let Some(d) = too_deep(file) {
                return d.into();
            }
        }
        return Diagnostic::error(file, 0..0, raw).rule(&rules::MANIFEST_SYNTAX).into();
    };
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
        d = duplicate(file, &span, d);
    } else if let Some(header) = array_of_tables(file, &span) {
        d.message = format!("`[[{header}]]` is an array of tables; `{header}` must be a table");
        d = d.with_help(format!("write [{header}]"));
    } else if let Some(number) = raw.strip_prefix("invalid type: integer `").and_then(|r| r.split_once("` as ")) {
        d = too_large(file, &span, number.0, d);
    } else if let Some(what) = raw.strip_prefix("invalid type: ") {
        d.message = format!("wrong type: {}", plain_types(what));
    } else if let Some(key) = raw.strip_prefix("missing field `").and_then(|r| r.strip_suffix('`')) {
        d.message = format!("missing required key `{key}`");
    }
    d.into()
}

fn line_at(file: &SourceFile, at: usize) -> &str {
    let at = at.min(file.text.len());
    let start = file.text[..at].rfind('\n').map_or(0, |i| i + 1);
    file.text[start..].lines().next().unwrap_or_default()
}

fn duplicate(file: &SourceFile, span: &Range<usize>, mut d: Diagnostic) -> Diagnostic {
    d.rule = Some(&rules::DUPLICATE_KEY);
    let line = line_at(file, span.start).trim();
    let key = file.text.get(span.clone()).unwrap_or_default().trim().trim_matches(['[', ']']).trim();
    if line.starts_with('[') && line.len() < 200 {
        let header = line.trim_matches(['[', ']']).trim();
        d.message = format!("table `{header}` is defined twice");
        d.with_help("merge the two tables into one")
    } else if !key.is_empty() && key.len() < 200 {
        d.message = format!("duplicate key `{key}`");
        d.with_help("each key may appear once per table")
    } else {
        d
    }
}

/// `[[services.hello]]`: serde reads the array positionally, so its message is about the first
/// element's type; the header line says what really happened.
fn array_of_tables(file: &SourceFile, span: &Range<usize>) -> Option<String> {
    let line = line_at(file, span.start).trim();
    let header = line.strip_prefix("[[")?.split("]]").next()?.trim();
    (!header.is_empty() && header.len() < 200).then(|| header.to_string())
}

/// An integer beyond i64: the only integers of a manifest are ports, so say so when the key is
/// one, with the range every other bad port gets.
fn too_large(file: &SourceFile, span: &Range<usize>, number: &str, mut d: Diagnostic) -> Diagnostic {
    let before = &file.text[..span.start.min(file.text.len())];
    let key: String = before
        .trim_end()
        .strip_suffix('=')
        .unwrap_or_default()
        .trim_end()
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let number = if number.len() > 40 {
        format!("{}…", number.chars().take(40).collect::<String>())
    } else {
        number.to_string()
    };
    if key == "service" || key == "health" {
        d.message = format!("{key} port {number} is out of range (1-65535)");
        d.rule = Some(&rules::INVALID_PORT);
    } else {
        d.message = format!("integer {number} is too large");
    }
    d
}

/// serde's Rust type names in manifest terms.
fn plain_types(raw: &str) -> String {
    raw.replace("expected i64", "expected an integer")
        .replace("expected struct Fleet", "expected a table")
        .replace("expected a sequence", "expected an array")
        .replace("expected a map", "expected a table")
}

/// The first line whose key or table header nests deeper than [`REPORTED_DEPTH`] levels.
fn too_deep(file: &SourceFile) -> Option<Diagnostic> {
    let mut offset = 0;
    for line in file.text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let key = match trimmed.strip_prefix('[') {
            Some(h) => h.trim_start_matches('[').split(']').next().unwrap_or_default(),
            None => trimmed.split('=').next().unwrap_or_default(),
        };
        let depth = key.split('.').count();
        if depth > REPORTED_DEPTH {
            let at = offset + (line.len() - trimmed.len());
            let shown: String = key.trim().chars().take(30).collect();
            let msg = format!("key `{shown}…` nests {depth} levels deep; manifest keys nest a few levels at most");
            return Some(Diagnostic::error(file, at..at, msg).rule(&rules::MANIFEST_SYNTAX));
        }
        offset += line.len();
    }
    None
}
