//! Checks of the family graph: each family has exactly one of `base` and `parent`, parents
//! exist, the graph has no cycle, and apt packages and user names are well formed.

use std::collections::{BTreeMap, HashMap};

use super::did_you_mean;
use super::types::{Manifest, SString};
use crate::diag::{Diagnostic, SourceFile};
use crate::rules;

/// Every problem of the family tables.
pub fn validate_families(file: &SourceFile, m: &Manifest) -> Vec<Diagnostic> {
    let mut out = vec![];
    let names = || m.families.keys().map(|k| k.get_ref().as_str());
    for (name, fam) in &m.families {
        let f = fam.get_ref();
        let n = name.get_ref();
        match (&f.base, &f.parent) {
            (Some(_), Some(p)) => out.push(
                Diagnostic::error(file, p.span(), format!("family `{n}` has both `base` and `parent`; keep one"))
                    .rule(&rules::FAMILY_ROOT),
            ),
            (None, None) => out.push(
                Diagnostic::error(file, name.span(), format!("family `{n}` has neither `base` nor `parent`"))
                    .with_help("a root family names its image with base = \"repo:tag\"; others name their parent")
                    .rule(&rules::FAMILY_ROOT),
            ),
            (None, Some(p)) if !m.families.contains_key(p) => {
                let mut d =
                    Diagnostic::error(file, p.span(), format!("family `{n}`: unknown parent family `{}`", p.get_ref()))
                        .rule(&rules::UNKNOWN_FAMILY);
                if let Some(s) = did_you_mean(p.get_ref(), names()) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                out.push(d);
            }
            _ => {}
        }
        for pkg in f.apt.iter().chain(f.builder.iter().flat_map(|b| &b.get_ref().apt)) {
            if !apt_ok(pkg.get_ref()) {
                let msg = format!("family `{n}`: apt package `{}` is not `name` or `name=version`", pkg.get_ref());
                out.push(Diagnostic::error(file, pkg.span(), msg).rule(&rules::INVALID_APT_PACKAGE));
            }
        }
        if let Some(u) = &f.user {
            let ok = u.get_ref().chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
                && u.get_ref().len() <= 32
                && u.get_ref().chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-".contains(c));
            if !ok {
                out.push(
                    Diagnostic::error(
                        file,
                        u.span(),
                        format!("family `{n}`: user name `{}` is not valid", u.get_ref()),
                    )
                    .rule(&rules::INVALID_USER_NAME),
                );
            }
        }
        if let (Some(l), Some(Err(why))) = (&f.lock, &m.typed.family(n).lock) {
            let msg = format!("family `{n}`: lock `{}` {why}", l.get_ref());
            out.push(Diagnostic::error(file, l.span(), msg).rule(&rules::PATH_OUTSIDE_CONTEXT));
        }
        let keys = (f.extras.as_ref(), f.groups.as_ref(), f.package.as_ref());
        super::validate::check_lock_selection(file, &format!("family `{n}`"), f.lock.as_ref(), keys, &mut out);
    }
    out.extend(cycles(file, m));
    out
}

/// One error per cycle, at the `parent` value of its first family in name order. Linear in
/// families + edges: each family is walked once (every walk stops at a family an earlier walk
/// finished), as in a depth-first search with three colours.
fn cycles(file: &SourceFile, m: &Manifest) -> Vec<Diagnostic> {
    let parent: BTreeMap<&str, &SString> =
        m.families.iter().filter_map(|(k, f)| f.get_ref().parent.as_ref().map(|p| (k.get_ref().as_str(), p))).collect();
    // Absent: not seen; Some(Walking(start)): on the walk from `start`; Done: finished.
    let mut state: HashMap<&str, Option<usize>> = HashMap::with_capacity(parent.len());
    let mut out = vec![];
    for (walk, start) in parent.keys().enumerate() {
        let mut path = vec![];
        let mut cur = *start;
        loop {
            match state.get(cur) {
                Some(None) => break,
                Some(Some(w)) if *w == walk => {
                    let i = path.iter().position(|x| *x == cur).unwrap_or(0);
                    out.push(cycle_error(file, &parent, &path[i..]));
                    break;
                }
                _ => {}
            }
            state.insert(cur, Some(walk));
            path.push(cur);
            match parent.get(cur) {
                Some(p) => cur = p.get_ref().as_str(),
                None => break,
            }
        }
        for f in path {
            state.insert(f, None);
        }
    }
    out
}

/// Names shown in a cycle message before it is abbreviated.
const CYCLE_SHOWN: usize = 16;

fn cycle_error(file: &SourceFile, parent: &BTreeMap<&str, &SString>, cycle: &[&str]) -> Diagnostic {
    let first = cycle.iter().min().copied().unwrap_or_default();
    let ring = if cycle.len() <= CYCLE_SHOWN {
        let mut ring: Vec<&str> = cycle.to_vec();
        ring.push(cycle[0]);
        ring.join(" → ")
    } else {
        let head = cycle[..CYCLE_SHOWN / 2].join(" → ");
        format!("{head} → … ({} families) → {}", cycle.len(), cycle[0])
    };
    let span = parent.get(first).map_or(0..0, |p| p.span());
    Diagnostic::error(file, span, format!("family graph has a cycle: {ring}")).rule(&rules::FAMILY_CYCLE)
}

/// `name` or `name=version`, Debian package and version syntax.
fn apt_ok(s: &str) -> bool {
    let (name, version) = s.split_once('=').map_or((s, None), |(n, v)| (n, Some(v)));
    let name_ok = name.len() >= 2
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c));
    let version_ok = version.is_none_or(|v| {
        !v.is_empty()
            && v.chars().next().is_some_and(|c| c.is_ascii_digit())
            && v.chars().all(|c| c.is_ascii_alphanumeric() || ".+~:-".contains(c))
    });
    name_ok && version_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errs(families: &str) -> Vec<String> {
        let text = format!("{families}\n[services.s]\nfamily = \"a\"\nsource = \"app\"\ncommand = [\"x\"]\nports = {{ service = 1, health = 2 }}\n");
        let f = SourceFile::new("fleet.toml", text);
        match crate::manifest::parse(&f) {
            Ok(_) => vec![],
            Err(d) => d.0.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn a_chain_of_families_is_fine() {
        let e = errs("[families.root]\nbase = \"python:3.11-slim\"\nuser = \"appuser\"\n[families.a]\nparent = \"root\"\napt = [\"curl\", \"tzdata=2024a-0+deb12u1\"]\n");
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn cycles_are_reported_once_at_a_parent_line() {
        let e = errs("[families.a]\nparent = \"b\"\n[families.b]\nparent = \"a\"\n");
        assert_eq!(e, ["fleet.toml:2:10: error: family graph has a cycle: a → b → a"]);
        // A tail leading into a cycle, and a second cycle: each reported once, at its first name.
        let e = errs("[families.t]\nparent = \"c\"\n[families.c]\nparent = \"d\"\n[families.d]\nparent = \"c\"\n[families.x]\nparent = \"x\"\n");
        assert_eq!(
            e[..2],
            [
                "fleet.toml:4:10: error: family graph has a cycle: c → d → c",
                "fleet.toml:8:10: error: family graph has a cycle: x → x",
            ]
        );
    }

    #[test]
    fn base_and_parent_are_exclusive_and_one_is_needed() {
        let e = errs("[families.r]\nbase = \"python:3.11\"\n[families.a]\nbase = \"python:3.11\"\nparent = \"r\"\n[families.x]\ndescription = \"d\"\n");
        assert!(e.iter().any(|x| x.starts_with("fleet.toml:5:10:") && x.contains("both `base` and `parent`")), "{e:?}");
        assert!(e.iter().any(|x| x.contains("family `x` has neither")), "{e:?}");
    }

    #[test]
    fn unknown_parent_bad_apt_and_user() {
        let e = errs("[families.r]\nbase = \"python:3.11\"\n[families.a]\nparent = \"rr\"\napt = [\"Curl\", \"x=\"]\nuser = \"App User\"\n");
        assert!(e.iter().any(|x| x.contains("unknown parent family `rr`") && x.contains("did you mean `r`?")), "{e:?}");
        assert!(e.iter().any(|x| x.contains("apt package `Curl`")), "{e:?}");
        assert!(e.iter().any(|x| x.contains("apt package `x=`")), "{e:?}");
        assert!(e.iter().any(|x| x.contains("user name `App User`")), "{e:?}");
    }
}
