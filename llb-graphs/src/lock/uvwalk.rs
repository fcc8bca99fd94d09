//! Which packages of a uv.lock a production install reaches, as `uv sync --frozen --no-dev`
//! (plus the manifest's `extras`/`groups`/`package`) computes them: uv
//! `crates/uv-resolver/src/lock/installable.rs` (`to_resolution`).
//!
//! Roots are the project (`editable = "."`/`virtual = "."`), the member the manifest names,
//! or, for a workspace whose root is no project, every member. From each root: its
//! `dependencies`, the requested extras' `optional-dependencies` and the requested groups'
//! `dev-dependencies`; from every reached package its `dependencies` and the extras its edge
//! asked for (`pkg[extra]`). An edge is followed when its marker holds for the target, with
//! uv's conflict items (`extra == 'extra-N-proj-cpu'`) true for the activated extras and
//! groups. Like uv, two passes: the first collects every activated extra, the second walks
//! with the complete set, so an edge excluded by a later-activated extra is not followed.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::diag::{Diagnostic, SourceFile};

use super::extras::{uv_extra, uv_group, Sets};
use super::markers::{self, Truth};
use super::uvlock::{Edge, Node, SourceKind, UvGraph};
use super::{Selection, TargetEnv};

/// A package the walk reached, with the path that first reached it (`root → a → b`).
pub struct Reached<'a> {
    /// The lock entry.
    pub node: &'a Node,
    /// Names from the root to this package.
    pub path: String,
}

/// Which edge list of a node a queue entry stands for.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
enum List {
    Deps,
    Extra(String),
    Group(String),
}

struct Walk<'a, 'b> {
    g: &'a UvGraph,
    file: &'b SourceFile,
    env: &'b TargetEnv,
    by_name: BTreeMap<&'a str, Vec<usize>>,
    sets: Sets,
}

/// The packages reached from the roots for `env`, in walk order (roots excluded).
pub fn walk<'a>(
    g: &'a UvGraph,
    file: &SourceFile,
    env: &TargetEnv,
    sel: &Selection,
) -> Result<Vec<Reached<'a>>, Vec<Diagnostic>> {
    let roots = roots(g, sel).map_err(|m| vec![Diagnostic::error(file, 0..0, m)])?;
    let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, n) in g.nodes.iter().enumerate() {
        by_name.entry(n.name.as_str()).or_default().push(i);
    }
    let mut w = Walk { g, file, env, by_name, sets: Sets::default() };
    let mut start = Vec::new();
    for &r in &roots {
        let node = &g.nodes[r];
        start.push((r, List::Deps));
        for e in sel.extras.iter().map(|e| super::normalize_name(e)).filter(|e| node.known_extras.contains(e)) {
            w.sets.extra.insert(uv_extra(&node.name, &e));
            start.push((r, List::Extra(e)));
        }
        for gr in
            sel.groups.iter().flatten().map(|g| super::normalize_name(g)).filter(|g| node.known_groups.contains(g))
        {
            w.sets.extra.insert(uv_group(&node.name, &gr));
            start.push((r, List::Group(gr)));
        }
    }
    w.activate(&start);
    w.reach(&roots, &start)
}

/// The root nodes: the named member, else the project, else every workspace member.
pub fn roots(g: &UvGraph, sel: &Selection) -> Result<Vec<usize>, String> {
    let is_code = |n: &Node| matches!(n.kind, SourceKind::Project | SourceKind::Member);
    if let Some(p) = &sel.package {
        let p = super::normalize_name(p);
        return match g.nodes.iter().position(|n| n.name == p && is_code(n)) {
            Some(i) => Ok(vec![i]),
            None => Err(format!("uv.lock has no workspace member `{p}`")),
        };
    }
    let project: Vec<usize> = (0..g.nodes.len()).filter(|&i| g.nodes[i].kind == SourceKind::Project).collect();
    if !project.is_empty() {
        return Ok(project);
    }
    let members: Vec<usize> = (0..g.nodes.len()).filter(|&i| g.nodes[i].kind == SourceKind::Member).collect();
    if members.is_empty() {
        return Err("uv.lock has no project (`source = { editable = \".\" }` or `virtual = \".\"`)".into());
    }
    Ok(members)
}

impl<'a> Walk<'a, '_> {
    fn edges(&self, (i, list): &(usize, List)) -> &'a [Edge] {
        let n = &self.g.nodes[*i];
        let found = match list {
            List::Deps => Some(&n.deps),
            List::Extra(e) => n.extras.get(e),
            List::Group(g) => n.groups.get(g),
        };
        found.map_or(&[], Vec::as_slice)
    }

    /// The node an edge names: the only package of that name, else the one whose version
    /// (and source) the edge gives.
    fn target(&self, e: &Edge) -> Result<usize, Diagnostic> {
        let all = self.by_name.get(e.name.as_str()).map_or(&[][..], Vec::as_slice);
        let hits: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&i| all.len() == 1 || e.version.is_none() || self.g.nodes[i].version == e.version)
            .filter(|&i| all.len() == 1 || e.source.as_ref().is_none_or(|s| *s == self.g.nodes[i].source))
            .collect();
        match hits[..] {
            [one] => Ok(one),
            _ => {
                let what = if hits.is_empty() { "no" } else { "more than one" };
                Err(Diagnostic::error(
                    self.file,
                    e.span.clone(),
                    format!("dependency `{}` matches {what} package of the lock", e.name),
                ))
            }
        }
    }

    /// Does the edge's marker hold? Errors when it cannot be decided for the target.
    fn holds(&self, e: &Edge, sets: &Sets) -> Result<bool, Diagnostic> {
        let Some(m) = &e.marker else { return Ok(true) };
        let err = |msg: String| Diagnostic::error(self.file, m.span.clone(), msg);
        match markers::evaluate_with(&m.text, self.env, sets) {
            Ok(Truth::True) => Ok(true),
            Ok(Truth::False) => Ok(false),
            Ok(Truth::Unknown) => Err(err(format!(
                "dependency `{}`: marker `{}` depends on the Python patch version, which target {} does not fix",
                e.name, m.text, self.env
            ))),
            Err(x) => Err(err(format!("dependency `{}`: marker `{}`: {}", e.name, m.text, x.message))),
        }
    }

    /// First pass: every extra some followed edge activates (`pkg[extra]`).
    fn activate(&mut self, start: &[(usize, List)]) {
        let mut queue: VecDeque<(usize, List)> = start.iter().cloned().collect();
        let mut seen: BTreeSet<(usize, List)> = queue.iter().cloned().collect();
        while let Some(item) = queue.pop_front() {
            for e in self.edges(&item) {
                let Ok(t) = self.target(e) else { continue };
                let mut with = self.sets.clone();
                with.extra.extend(e.extras.iter().map(|x| uv_extra(&e.name, x)));
                if self.holds(e, &with) != Ok(true) {
                    continue;
                }
                self.sets = with;
                for l in std::iter::once(List::Deps).chain(e.extras.iter().cloned().map(List::Extra)) {
                    if seen.insert((t, l.clone())) {
                        queue.push_back((t, l));
                    }
                }
            }
        }
    }

    /// Second pass: the reached packages, each with its first path.
    fn reach(&self, roots: &[usize], start: &[(usize, List)]) -> Result<Vec<Reached<'a>>, Vec<Diagnostic>> {
        let mut parent: BTreeMap<usize, Option<usize>> = roots.iter().map(|&r| (r, None)).collect();
        let mut order = Vec::new();
        let mut queue: VecDeque<(usize, List)> = start.iter().cloned().collect();
        let mut seen: BTreeSet<(usize, List)> = queue.iter().cloned().collect();
        let mut errors = Vec::new();
        while let Some(item) = queue.pop_front() {
            for e in self.edges(&item) {
                let t = match self.holds(e, &self.sets).and_then(|h| h.then(|| self.target(e)).transpose()) {
                    Ok(Some(t)) => t,
                    Ok(None) => continue,
                    Err(d) => {
                        errors.push(d);
                        continue;
                    }
                };
                if let std::collections::btree_map::Entry::Vacant(v) = parent.entry(t) {
                    v.insert(Some(item.0));
                    order.push(t);
                }
                for l in std::iter::once(List::Deps).chain(e.extras.iter().cloned().map(List::Extra)) {
                    if seen.insert((t, l.clone())) {
                        queue.push_back((t, l));
                    }
                }
            }
        }
        let path = |mut i: usize| {
            let mut names = vec![self.g.nodes[i].name.as_str()];
            while let Some(Some(p)) = parent.get(&i) {
                names.push(self.g.nodes[*p].name.as_str());
                i = *p;
            }
            names.reverse();
            names.join(" → ")
        };
        let reached: Vec<Reached<'a>> =
            order.iter().map(|&i| Reached { node: &self.g.nodes[i], path: path(i) }).collect();
        errors.extend(self.two_versions(&reached));
        if errors.is_empty() {
            Ok(reached)
        } else {
            Err(errors)
        }
    }

    /// A located error for every package reached in a second version.
    fn two_versions(&self, reached: &[Reached<'a>]) -> Vec<Diagnostic> {
        let mut first: BTreeMap<&str, &Reached<'a>> = BTreeMap::new();
        let mut errors = Vec::new();
        for r in reached {
            let Some(f) = first.get(r.node.name.as_str()) else {
                first.insert(&r.node.name, r);
                continue;
            };
            let v = |n: &Node| n.version.clone().unwrap_or_else(|| n.source.clone());
            let msg = format!(
                "package `{}` is reached in two versions for {}: {} by {} and {} by {}",
                r.node.name,
                self.env,
                v(f.node),
                f.path,
                v(r.node),
                r.path
            );
            errors.push(
                Diagnostic::error(self.file, r.node.span.clone(), msg)
                    .with_help("the lock's markers overlap for this target; re-lock with uv"),
            );
        }
        errors
    }
}
