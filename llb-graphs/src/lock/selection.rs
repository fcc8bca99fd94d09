//! What part of a lock the manifest asks for: `extras`, dependency `groups` and, in a uv
//! workspace, the member `package`. Defaults follow a production install:
//! uv.lock as `uv sync --frozen --no-dev` (no group unless named), pylock.toml as PEP 751
//! (`default-groups` unless `groups` is given), requirements files have no choice to make.

use super::normalize_name;
use super::uvwalk::roots;
use super::{LockFile, LockKind};

/// The manifest's selection of a lock.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Extras of the root project(s) (`uv sync --extra`).
    pub extras: Vec<String>,
    /// Dependency groups (`uv sync --group`); `None` is the format's default.
    pub groups: Option<Vec<String>>,
    /// uv workspace member to install (`uv sync --package`).
    pub package: Option<String>,
}

/// Which manifest key a [`SelectionProblem`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectionKey {
    /// `extras = [..]`.
    Extras,
    /// `groups = [..]`.
    Groups,
    /// `package = ".."`.
    Package,
}

/// A name the lock does not have (or a key the lock format cannot honour).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectionProblem {
    /// The key.
    pub key: SelectionKey,
    /// Index in the key's list (0 for `package`).
    pub index: usize,
    /// What is wrong.
    pub message: String,
    /// The names the lock does have, for "did you mean".
    pub known: Vec<String>,
}

/// Checks `sel` against what `lock` declares.
pub fn check_selection(lock: &LockFile, sel: &Selection) -> Vec<SelectionProblem> {
    let mut out = Vec::new();
    let problem =
        |key, index, message: String, known: &[String]| SelectionProblem { key, index, message, known: known.to_vec() };
    let (known_extras, known_groups) = match (lock.kind, &lock.graph) {
        (LockKind::UvLock, Some(g)) => {
            let members: Vec<String> = g
                .nodes
                .iter()
                .filter(|n| matches!(n.kind, super::uvlock::SourceKind::Project | super::uvlock::SourceKind::Member))
                .map(|n| n.name.clone())
                .collect();
            if let Some(p) = &sel.package {
                if !members.contains(&normalize_name(p)) {
                    out.push(problem(
                        SelectionKey::Package,
                        0,
                        format!("uv.lock has no workspace member `{p}`"),
                        &members,
                    ));
                    return out;
                }
            }
            let Ok(rs) = roots(g, sel) else { return out };
            let mut extras: Vec<String> = rs.iter().flat_map(|&r| g.nodes[r].known_extras.clone()).collect();
            let mut groups: Vec<String> = rs.iter().flat_map(|&r| g.nodes[r].known_groups.clone()).collect();
            extras.sort();
            extras.dedup();
            groups.sort();
            groups.dedup();
            (extras, groups)
        }
        (LockKind::PyLock, _) => (lock.extras.clone(), lock.groups.clone()),
        _ => {
            let msg = "a requirements file has no extras or groups: they were chosen when it was compiled";
            if !sel.extras.is_empty() {
                out.push(problem(SelectionKey::Extras, 0, msg.into(), &[]));
            }
            if sel.groups.as_ref().is_some_and(|g| !g.is_empty()) {
                out.push(problem(SelectionKey::Groups, 0, msg.into(), &[]));
            }
            if sel.package.is_some() {
                out.push(problem(SelectionKey::Package, 0, "only a uv.lock has workspace members".into(), &[]));
            }
            return out;
        }
    };
    if sel.package.is_some() && lock.kind != LockKind::UvLock {
        out.push(problem(SelectionKey::Package, 0, "only a uv.lock has workspace members".into(), &[]));
    }
    let file = if lock.kind == LockKind::UvLock { "uv.lock" } else { "the lock" };
    for (i, e) in sel.extras.iter().enumerate() {
        if !known_extras.contains(&normalize_name(e)) {
            out.push(problem(SelectionKey::Extras, i, format!("{file} declares no extra `{e}`"), &known_extras));
        }
    }
    for (i, g) in sel.groups.iter().flatten().enumerate() {
        if !known_groups.contains(&normalize_name(g)) {
            out.push(problem(
                SelectionKey::Groups,
                i,
                format!("{file} declares no dependency group `{g}`"),
                &known_groups,
            ));
        }
    }
    out
}
