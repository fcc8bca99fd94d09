//! The `# check=skip=RULE,...;error=true` directive, BuildKit's Dockerfile check directive
//! (docs.docker.com/reference/build-checks/) for manifests: in the manifest's leading comment
//! block, or as `--build-arg BUILDKIT_DOCKERFILE_CHECK=...`, which takes precedence. `skip`
//! silences warning rules (errors cannot be skipped); `error=true` makes the remaining warnings
//! errors, so a build fails on them.

use std::ops::Range;

use crate::diag::{Diagnostic, Severity, SourceFile};
use crate::rules::{self, Rule};

/// A parsed check configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckConfig {
    /// Rule ids whose warnings are dropped.
    pub skip: Vec<&'static str>,
    /// `skip=all`: every warning is dropped.
    pub skip_all: bool,
    /// `error=true`: warnings become errors.
    pub error: bool,
}

impl CheckConfig {
    /// Applies the configuration to findings: skipped warnings go, the rest of the warnings
    /// become errors under `error=true`. Errors and notes pass unchanged.
    pub fn apply(&self, findings: Vec<Diagnostic>) -> Vec<Diagnostic> {
        findings
            .into_iter()
            .filter(|d| {
                d.severity != Severity::Warning || !(self.skip_all || d.rule.is_some_and(|r| self.skip.contains(&r.id)))
            })
            .map(|mut d| {
                if self.error && d.severity == Severity::Warning {
                    d.severity = Severity::Error;
                }
                d
            })
            .collect()
    }
}

/// The configuration of `file`: `build_arg` when given, else the file's `# check=` line, else
/// the default (every rule, warnings stay warnings). A malformed value is an
/// `InvalidCheckDirective` error at the directive (or at 1:1 for the build-arg).
pub fn config(file: &SourceFile, build_arg: Option<&str>) -> Result<CheckConfig, Diagnostic> {
    let (value, span) = match build_arg.filter(|v| !v.trim().is_empty()) {
        Some(v) => (v.to_string(), None),
        None => match find(&file.text) {
            Some((v, span)) => (v, Some(span)),
            None => return Ok(CheckConfig::default()),
        },
    };
    parse(&value).map_err(|why| {
        let (at, origin) = match span {
            Some(s) => (s, "check directive".to_string()),
            None => (0..0, crate::build::BUILDKIT_DOCKERFILE_CHECK.to_string()),
        };
        Diagnostic::error(file, at, format!("{origin} `{value}`: {why}")).rule(&rules::INVALID_CHECK_DIRECTIVE)
    })
}

/// The value of the first `# check=` line of the leading comment block, and its span.
fn find(text: &str) -> Option<(String, Range<usize>)> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            return None;
        }
        let body = trimmed.trim_start_matches('#').trim_start();
        if let Some((key, value)) = body.split_once('=') {
            if key.trim().eq_ignore_ascii_case("check") {
                let start = offset + line.find(body).unwrap_or(0);
                return Some((value.trim().to_string(), start..start + body.len()));
            }
        }
        offset += line.len();
    }
    None
}

/// `skip=A,B;error=true` (either part optional, in any order).
fn parse(value: &str) -> Result<CheckConfig, String> {
    let mut cfg = CheckConfig::default();
    for part in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, v) = part
            .split_once('=')
            .ok_or_else(|| format!("`{part}` is not KEY=VALUE (write check=skip=RULE,RULE;error=true)"))?;
        match key.trim().to_ascii_lowercase().as_str() {
            "skip" => {
                for id in v.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                    if id.eq_ignore_ascii_case("all") {
                        cfg.skip_all = true;
                        continue;
                    }
                    cfg.skip.push(skippable(id)?.id);
                }
            }
            "error" => {
                cfg.error = match v.trim().to_ascii_lowercase().as_str() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    other => return Err(format!("error `{other}` is not true or false")),
                }
            }
            other => return Err(format!("unknown key `{other}` (expected skip or error)")),
        }
    }
    Ok(cfg)
}

/// A warning rule named `id`; errors cannot be skipped.
fn skippable(id: &str) -> Result<&'static Rule, String> {
    let rule = rules::ALL.iter().copied().find(|r| r.id == id);
    match rule {
        Some(r) if r.severity == Severity::Warning => Ok(r),
        Some(r) => Err(format!("rule `{}` is an error and cannot be skipped", r.id)),
        None => {
            let warnings: Vec<&str> =
                rules::ALL.iter().filter(|r| r.severity == Severity::Warning).map(|r| r.id).collect();
            match crate::manifest::did_you_mean(id, warnings.iter().copied()) {
                Some(s) => Err(format!("unknown rule `{id}` (did you mean `{s}`?)")),
                None => Err(format!("unknown rule `{id}` (warning rules: {})", warnings.join(", "))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str, arg: Option<&str>) -> Result<CheckConfig, String> {
        config(&SourceFile::new("fleet.toml", text), arg).map_err(|d| d.tagged())
    }

    #[test]
    fn directive_in_the_leading_comments_or_the_build_arg() {
        let text = "# syntax=x\n# check=skip=UnusedFamily;error=true\n[fleet]\n";
        let want = CheckConfig { skip: vec!["UnusedFamily"], skip_all: false, error: true };
        assert_eq!(cfg(text, None), Ok(want));
        // The build-arg wins; a directive after the first table is not one.
        assert_eq!(cfg(text, Some("skip=all")), Ok(CheckConfig { skip_all: true, ..Default::default() }));
        assert_eq!(cfg("[fleet]\n# check=error=true\n", None), Ok(CheckConfig::default()));
    }

    #[test]
    fn bad_values_are_errors_at_the_directive() {
        let e = cfg("# check=skip=DuplicatePort\n", None).unwrap_err();
        assert_eq!(
            e,
            "fleet.toml:1:3: error: check directive `skip=DuplicatePort`: rule `DuplicatePort` is an error and cannot be \
             skipped [InvalidCheckDirective]"
        );
        assert!(cfg("# check=skip=Nope\n", None).unwrap_err().contains("unknown rule `Nope` (warning rules: "));
        assert!(cfg("", Some("error=maybe"))
            .unwrap_err()
            .starts_with("fleet.toml:1:1: error: BUILDKIT_DOCKERFILE_CHECK"));
    }

    #[test]
    fn apply_skips_warnings_only_and_raises_the_rest() {
        let f = SourceFile::new("fleet.toml", "x\n");
        let warn = |r: &'static Rule| Diagnostic::error(&f, 0..1, "w").rule(r);
        let all =
            vec![warn(&rules::UNUSED_FAMILY), warn(&rules::FLOATING_BASE_REFERENCE), warn(&rules::DUPLICATE_PORT)];
        let c = CheckConfig { skip: vec!["UnusedFamily"], skip_all: false, error: true };
        let out: Vec<_> = c.apply(all).iter().map(|d| (d.rule.map(|r| r.id), d.severity)).collect();
        assert_eq!(out, [(Some("FloatingBaseReference"), Severity::Error), (Some("DuplicatePort"), Severity::Error)]);
    }
}
