//! Diagnostics with `file:line:col` positions, and the source text they point into.

use std::fmt;
use std::ops::Range;

/// A manifest (or other input file) as text, with a line index for byte offset → position.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Name shown in messages (the path as the user gave it).
    pub name: String,
    /// Full text.
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// Wraps `text` named `name`.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Self { name: name.into(), text, line_starts }
    }

    /// 1-based line and 1-based column (in characters) of byte `offset`.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let col = self.text.get(start..offset).map_or(offset - start, |s| s.chars().count()) + 1;
        (line, col)
    }

    /// The span as `(start_line, start_col0, end_line, end_col0)` for LLB source ranges
    /// (lines 1-based, characters 0-based, both ends present: buildkit-gateway.md §9 item 17).
    pub fn llb_range(&self, span: &Range<usize>) -> (i32, i32, i32, i32) {
        let (l1, c1) = self.position(span.start);
        let (l2, c2) = self.position(span.end.max(span.start));
        (l1 as i32, c1 as i32 - 1, l2 as i32, c2 as i32 - 1)
    }
}

/// `s` for a message: at most `max` characters, the rest as `…` (a hostile value may be
/// megabytes long; the location says where it is).
pub fn excerpt(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Stops the build.
    Error,
    /// Reported, does not stop the build.
    Warning,
    /// Context for another diagnostic (where a lockfile was named, say).
    Note,
}

/// One finding at one place in one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// File name as shown.
    pub file: String,
    /// Byte range in the file.
    pub span: Range<usize>,
    /// 1-based line of `span.start`.
    pub line: usize,
    /// 1-based column of `span.start`.
    pub col: usize,
    /// What is wrong, lowercase, naming the bad value.
    pub message: String,
    /// An extra hint (`did you mean ...`, the valid values).
    pub help: Option<String>,
    /// Error or warning.
    pub severity: Severity,
    /// The validator rule behind it ([`crate::rules`]); `None` only for notes. A reference
    /// keeps `Diagnostic` small: it travels in many `Result`s.
    pub rule: Option<&'static crate::rules::Rule>,
}

impl Diagnostic {
    /// An error at `span` of `file`.
    pub fn error(file: &SourceFile, span: Range<usize>, message: impl Into<String>) -> Self {
        let (line, col) = file.position(span.start);
        Self {
            file: file.name.clone(),
            span,
            line,
            col,
            message: message.into(),
            help: None,
            severity: Severity::Error,
            rule: None,
        }
    }

    /// Tags the diagnostic with `rule`, taking the rule's severity.
    pub fn rule(mut self, rule: &'static crate::rules::Rule) -> Self {
        self.rule = Some(rule);
        self.severity = rule.severity;
        self
    }

    /// The one-line form with the rule id appended: `file:line:col: error: message [RuleId]`,
    /// what the CLI and the gateway print.
    pub fn tagged(&self) -> String {
        match self.rule {
            Some(r) => format!("{self} [{}]", r.id),
            None => self.to_string(),
        }
    }

    /// Tags it with `rule` unless it already has a rule (callers that know the origin better).
    pub fn or_rule(self, rule: &'static crate::rules::Rule) -> Self {
        if self.rule.is_some() || self.severity == Severity::Note {
            self
        } else {
            self.rule(rule)
        }
    }

    /// Adds a hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl Severity {
    /// `error`, `warning` or `note`, as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = self.severity.as_str();
        write!(f, "{}:{}:{}: {sev}: {}", self.file, self.line, self.col, self.message)?;
        if let Some(h) = &self.help {
            write!(f, " ({h})")?;
        }
        Ok(())
    }
}

/// A non-empty list of diagnostics, returned where any of them is an error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Self(vec![d])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_lines_and_columns() {
        let f = SourceFile::new("f.toml", "ab\ncdé\nx");
        assert_eq!(f.position(0), (1, 1));
        assert_eq!(f.position(3), (2, 1));
        assert_eq!(f.position(7), (2, 4)); // after the two-byte é
        assert_eq!(f.position(8), (3, 1));
        assert_eq!(f.llb_range(&(3..5)), (2, 0, 2, 2));
    }

    #[test]
    fn display_has_file_line_col_and_help() {
        let f = SourceFile::new("m.toml", "a\nbad = 1\n");
        let d = Diagnostic::error(&f, 2..5, "unknown key `bad`").with_help("did you mean `bar`?");
        assert_eq!(d.to_string(), "m.toml:2:1: error: unknown key `bad` (did you mean `bar`?)");
    }
}
