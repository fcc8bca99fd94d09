//! Lint rules: findings that do not stop a build but are worth a warning. The same list answers
//! `fleet-frontend check`, BuildKit's `frontend.lint` subrequest and the `Warn` calls of a build.

use crate::diag::{Diagnostic, Severity, SourceFile};
use crate::manifest::Manifest;
use crate::plan::ImageRef;

/// A lint rule.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable CamelCase name (`ruleName` in BuildKit's lint result).
    pub id: &'static str,
    /// One line on what it finds and why it matters.
    pub description: &'static str,
}

/// A family's base has no tag or the tag `latest`: builds change when the tag moves.
pub const FLOATING_BASE_REFERENCE: Rule = Rule {
    id: "FloatingBaseReference",
    description: "Base image references should name an exact tag or a digest, not `latest` or nothing",
};

/// A family no service builds on.
pub const UNUSED_FAMILY: Rule =
    Rule { id: "UnusedFamily", description: "A family that no service uses is probably a leftover or a typo" };

/// Every rule, in a stable order.
pub const RULES: &[&Rule] = &[&FLOATING_BASE_REFERENCE, &UNUSED_FAMILY];

/// One finding of one rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The rule.
    pub rule: &'static Rule,
    /// Where and what.
    pub diagnostic: Diagnostic,
}

/// Runs every rule over a valid manifest; findings in file order.
pub fn lint(file: &SourceFile, m: &Manifest) -> Vec<Finding> {
    let mut out = vec![];
    let warn = |rule: &'static Rule, span, msg: String| {
        let mut d = Diagnostic::error(file, span, msg);
        d.severity = Severity::Warning;
        Finding { rule, diagnostic: d }
    };
    for (name, fam) in &m.families {
        let n = name.get_ref();
        if let Some(base) = &fam.get_ref().base {
            let floats = ImageRef::parse(base.get_ref())
                .is_ok_and(|r| !r.is_pinned() && r.tag.as_deref().is_none_or(|t| t == "latest"));
            if floats {
                let msg = format!("family `{n}`: base `{}` floats (no exact tag or digest)", base.get_ref());
                out.push(warn(&FLOATING_BASE_REFERENCE, base.span(), msg));
            }
        }
        // Used when a service or another family builds on it.
        let used = m.services.values().any(|s| s.get_ref().family.get_ref() == n)
            || m.families.values().any(|f| f.get_ref().parent.as_ref().is_some_and(|p| p.get_ref() == n));
        if !used {
            out.push(warn(&UNUSED_FAMILY, name.span(), format!("family `{n}` is not used by any service or family")));
        }
    }
    out.sort_by_key(|f| f.diagnostic.span.start);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(text: &str) -> Vec<String> {
        let f = SourceFile::new("fleet.toml", text);
        let m = crate::manifest::parse(&f).unwrap();
        lint(&f, &m).iter().map(|x| format!("{} {}", x.rule.id, x.diagnostic)).collect()
    }

    const SVC: &str =
        "[services.s]\nfamily = \"a\"\nsource = \"app\"\ncommand = [\"x\"]\nports = { service = 1, health = 2 }\n";

    #[test]
    fn floating_and_unused_families_are_found_at_their_lines() {
        let text =
            format!("[families.a]\nbase = \"python\"\n[families.b]\nbase = \"x:1@sha256:{}\"\n{SVC}", "a".repeat(64));
        assert_eq!(
            findings(&text),
            [
                "FloatingBaseReference fleet.toml:2:8: warning: family `a`: base `python` floats (no exact tag or digest)",
                "UnusedFamily fleet.toml:3:11: warning: family `b` is not used by any service or family",
            ]
        );
    }

    #[test]
    fn exact_tags_and_digests_are_fine() {
        assert!(findings(&format!("[families.a]\nbase = \"python:3.11-slim\"\n{SVC}")).is_empty());
    }
}
