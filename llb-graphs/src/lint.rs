//! Rules that need more than one table at a time: warnings that do not stop a build (floating
//! bases, unused families) and the machine-profile rule. They answer `fleet-frontend check`,
//! BuildKit's `frontend.lint` subrequest and the `Warn` calls of a build.

use crate::diag::{Diagnostic, SourceFile};
use crate::manifest::Manifest;
use crate::profile::Profile;
use crate::rules::{self, Rule};
use crate::value::ImageRef;

/// Every manifest rule over a manifest that parsed as TOML (valid or not): the validation
/// errors, the warnings, and `CudaWithoutGpu` for `profile`; in file order. What `check`, the
/// `frontend.lint` subrequest and the fuzzers run. The `# check=` directive (or `check`, the `BUILDKIT_DOCKERFILE_CHECK` build-arg) applies.
pub fn all(file: &SourceFile, m: &Manifest, profile: Option<&Profile>, check: Option<&str>) -> Vec<Diagnostic> {
    let mut out = crate::manifest::validate(file, m);
    out.extend(lint(file, m));
    if let Some(p) = profile {
        out.extend(cuda_without_gpu(file, m, p));
    }
    let mut out = match crate::directive::config(file, check) {
        Ok(cfg) => cfg.apply(out),
        Err(d) => {
            out.push(d);
            out
        }
    };
    out.sort_by_key(|d| (d.span.start, d.severity));
    out
}

/// The warnings of a build: [`lint`] under the check configuration (`error=true` turns them
/// into errors, which fail the build); a malformed directive is an error.
pub fn build_warnings(file: &SourceFile, m: &Manifest, check: Option<&str>) -> Vec<Diagnostic> {
    match crate::directive::config(file, check) {
        Ok(cfg) => cfg.apply(lint(file, m)),
        Err(d) => vec![d],
    }
}

/// Runs the warning rules over a parsed manifest; findings in file order, each tagged.
pub fn lint(file: &SourceFile, m: &Manifest) -> Vec<Diagnostic> {
    let mut out = vec![];
    let warn = |rule: &'static Rule, span, msg: String| Diagnostic::error(file, span, msg).rule(rule);
    // Used when a service or another family builds on it: one pass over each, not one per family.
    let used: std::collections::BTreeSet<&str> = m
        .services
        .values()
        .map(|s| s.get_ref().family.get_ref().as_str())
        .chain(m.families.values().filter_map(|f| f.get_ref().parent.as_ref().map(|p| p.get_ref().as_str())))
        .collect();
    for (name, fam) in &m.families {
        let n = name.get_ref();
        if let Some(base) = &fam.get_ref().base {
            let floats = ImageRef::parse(base.get_ref())
                .is_ok_and(|r| !r.is_pinned() && r.tag.as_deref().is_none_or(|t| t == "latest"));
            if floats {
                let msg = format!("family `{n}`: base `{}` floats (no exact tag or digest)", base.get_ref());
                out.push(warn(&rules::FLOATING_BASE_REFERENCE, base.span(), msg));
            }
        }
        if !used.contains(n.as_str()) {
            let msg = format!("family `{n}` is not used by any service or family");
            out.push(warn(&rules::UNUSED_FAMILY, name.span(), msg));
        }
    }
    out.sort_by_key(|d| d.span.start);
    out
}

/// `CudaWithoutGpu` at the `cuda` line of every family that declares one, when `profile` has no
/// GPU arch list (children inherit `cuda`, so one finding covers the subtree).
pub fn cuda_without_gpu(file: &SourceFile, m: &Manifest, profile: &Profile) -> Vec<Diagnostic> {
    if profile.gpu.is_some() {
        return vec![];
    }
    m.families
        .iter()
        .filter_map(|(name, fam)| fam.get_ref().cuda.as_ref().map(|c| (name.get_ref(), c)))
        .map(|(n, cuda)| {
            let msg = format!(
                "family `{n}` needs CUDA {}, but machine profile `{}` has no GPU (no gpu.cuda_arch_list)",
                cuda.get_ref(),
                profile.name
            );
            Diagnostic::error(file, cuda.span(), msg)
                .with_help("choose a GPU machine with --build-arg MACHINE=...")
                .rule(&rules::CUDA_WITHOUT_GPU)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(text: &str) -> Vec<String> {
        let f = SourceFile::new("fleet.toml", text);
        let m = crate::manifest::parse(&f).unwrap();
        lint(&f, &m).iter().map(|x| format!("{} {x}", x.rule.map_or("", |r| r.id))).collect()
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
