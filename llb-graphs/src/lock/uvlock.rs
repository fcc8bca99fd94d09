//! uv's `uv.lock` (format `version = 1`, docs.astral.sh/uv "Lockfile"), parsed into a
//! dependency graph ([`UvGraph`]) that [`super::uvwalk`] walks from the project.
//!
//! Every `[[package]]` becomes a [`Node`] with its `dependencies`, `optional-dependencies`
//! (extras) and `dev-dependencies` (dependency groups) edges. Checks of the package itself
//! (its source kind, file URLs, hashes) are kept on the node and reported only if the walk
//! reaches it: uv itself never touches an unreached package, so a `git` package used only by
//! a dev group must not refuse a production lock. Structure errors (TOML, `version`,
//! `requires-python`) are reported at once.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::diag::{Diagnostic, Diagnostics, SourceFile};

use super::common::{
    artifact, check_requires_python, check_url, check_version, is_valid_name, normalize_name, push_unique,
    sha256_problem, toml_error, unhashed, FileEntry,
};
use super::{finish, Located, LockFile, LockKind, LockedPackage};

/// The top-level table.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Raw {
    version: Option<Spanned<i64>>,
    requires_python: Option<Spanned<String>>,
    manifest: Option<RawManifest>,
    #[serde(default, rename = "package")]
    packages: Vec<RawPackage>,
}

/// `[manifest]`: the workspace members (absent for a single-project workspace).
#[derive(Deserialize)]
struct RawManifest {
    #[serde(default)]
    members: Vec<String>,
}

/// One `[[package]]` entry.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawPackage {
    name: Spanned<String>,
    version: Option<Spanned<String>>,
    source: Option<Spanned<BTreeMap<String, toml::Value>>>,
    sdist: Option<Spanned<RawFile>>,
    #[serde(default)]
    wheels: Vec<Spanned<RawFile>>,
    #[serde(default)]
    dependencies: Vec<Spanned<RawDep>>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, Vec<Spanned<RawDep>>>,
    #[serde(default)]
    dev_dependencies: BTreeMap<String, Vec<Spanned<RawDep>>>,
    metadata: Option<RawMetadata>,
}

/// An edge: `{ name = "torch", version = "2.5.1", source = {..}, marker = "..", extra = [..] }`.
#[derive(Deserialize)]
struct RawDep {
    name: Spanned<String>,
    version: Option<String>,
    source: Option<BTreeMap<String, toml::Value>>,
    marker: Option<Spanned<String>>,
    #[serde(default)]
    extra: Vec<String>,
}

/// `[package.metadata]`: declared extras and groups, including empty ones.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawMetadata {
    #[serde(default)]
    provides_extras: Vec<String>,
    #[serde(default)]
    requires_dev: BTreeMap<String, toml::Value>,
}

/// `sdist = { .. }` / an element of `wheels`.
#[derive(Deserialize)]
struct RawFile {
    url: Option<Spanned<String>>,
    path: Option<Spanned<String>>,
    hash: Option<Spanned<String>>,
    size: Option<u64>,
}

/// A uv.lock as a graph: nodes in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UvGraph {
    /// Every `[[package]]`.
    pub nodes: Vec<Node>,
    /// `[manifest] members`, normalised: workspace members, which are source code.
    pub members: Vec<String>,
}

/// Where a package comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// `registry = ".."`: installable from its locked files.
    Registry,
    /// `editable = "."` / `virtual = "."`: the project being built.
    Project,
    /// A workspace member elsewhere (named in `[manifest] members`).
    Member,
    /// `git`, `path`, `directory`, `url`, an editable outside the workspace: refused if reached.
    Other(String),
}

/// One `[[package]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// PEP 503-normalised name.
    pub name: String,
    /// `version`, if any (virtual members may have none).
    pub version: Option<String>,
    /// The `source` table as `key=value` pairs, for matching edges that name it.
    pub source: String,
    /// Kind of source.
    pub kind: SourceKind,
    /// Span of the `source` value (or of the name if there is none).
    pub source_span: Range<usize>,
    /// Span of the `name` value.
    pub span: Range<usize>,
    /// `dependencies`.
    pub deps: Vec<Edge>,
    /// `optional-dependencies`, by normalised extra name.
    pub extras: BTreeMap<String, Vec<Edge>>,
    /// `dev-dependencies`, by normalised group name.
    pub groups: BTreeMap<String, Vec<Edge>>,
    /// Declared extras (`metadata.provides-extras` and `optional-dependencies` keys), sorted.
    pub known_extras: Vec<String>,
    /// Declared groups (`metadata.requires-dev` and `dev-dependencies` keys), sorted.
    pub known_groups: Vec<String>,
    /// The checked registry package, or why it cannot be installed (reported if reached).
    pub package: Result<LockedPackage, Vec<Diagnostic>>,
}

/// One dependency edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// Normalised target name.
    pub name: String,
    /// Target version, when the lock has several.
    pub version: Option<String>,
    /// Target `source` as `key=value` pairs, when versions do not disambiguate.
    pub source: Option<String>,
    /// PEP 508 marker with its span.
    pub marker: Option<Located>,
    /// Extras of the target this edge activates (`pkg[extra]`), normalised.
    pub extras: Vec<String>,
    /// Span of the edge's `name`.
    pub span: Range<usize>,
}

/// Parses a `uv.lock`.
pub fn parse(file: &SourceFile) -> Result<LockFile, Diagnostics> {
    let raw: Raw = toml::from_str(&file.text).map_err(|e| toml_error(file, &e))?;
    let mut errors = Vec::new();
    match &raw.version {
        Some(v) if *v.get_ref() == 1 => {}
        Some(v) => errors.push(
            Diagnostic::error(file, v.span(), format!("uv.lock version {} is not supported", v.get_ref()))
                .with_help("this frontend reads uv.lock version 1"),
        ),
        None => errors.push(Diagnostic::error(file, 0..0, "missing `version`; is this a uv.lock?")),
    }
    let requires_python = raw.requires_python.map(|s| Located { span: s.span(), text: s.into_inner() });
    if let Some(rp) = &requires_python {
        errors.extend(check_requires_python(file, &rp.span, &rp.text));
    }
    let members: Vec<String> =
        raw.manifest.map(|m| m.members.iter().map(|n| normalize_name(n)).collect()).unwrap_or_default();
    let mut index_urls = Vec::new();
    let mut nodes = Vec::new();
    for p in raw.packages {
        match node(file, p, &members, &mut index_urls) {
            Ok(n) => nodes.push(n),
            Err(d) => errors.push(d),
        }
    }
    let packages = nodes.iter().filter_map(|n| n.package.as_ref().ok().cloned()).collect();
    let lock = LockFile {
        kind: LockKind::UvLock,
        packages,
        index_urls,
        find_links: Vec::new(),
        requires_python,
        environments: Vec::new(),
        extras: Vec::new(),
        groups: Vec::new(),
        default_groups: Vec::new(),
        graph: Some(Box::new(UvGraph { nodes, members })),
    };
    finish(lock, errors)
}

/// One node; `Err` only for a name that cannot be a package (edges could not refer to it).
fn node(file: &SourceFile, p: RawPackage, members: &[String], indexes: &mut Vec<String>) -> Result<Node, Diagnostic> {
    let raw_name = p.name.get_ref().clone();
    if !is_valid_name(&raw_name) {
        return Err(Diagnostic::error(file, p.name.span(), format!("`{raw_name}` is not a valid package name")));
    }
    let name = normalize_name(&raw_name);
    let (kind, source, source_span) = match &p.source {
        Some(s) => (source_kind(s.get_ref(), &name, members), canonical(s.get_ref()), s.span()),
        None => (SourceKind::Other("missing".into()), String::new(), p.name.span()),
    };
    if let (SourceKind::Registry, Some(r)) = (&kind, p.source.as_ref().and_then(|s| s.get_ref().get("registry"))) {
        push_unique(indexes, r.as_str().unwrap_or_default());
    }
    let edges = |deps: Vec<Spanned<RawDep>>| deps.into_iter().map(edge).collect::<Vec<_>>();
    let table = |m: BTreeMap<String, Vec<Spanned<RawDep>>>| -> BTreeMap<String, Vec<Edge>> {
        m.into_iter().map(|(k, v)| (normalize_name(&k), edges(v))).collect()
    };
    let extras = table(p.optional_dependencies);
    let groups = table(p.dev_dependencies);
    let (provided, requires_dev) =
        p.metadata.map_or((vec![], vec![]), |m| (m.provides_extras, m.requires_dev.into_keys().collect()));
    let known = |declared: Vec<String>, keys: &BTreeMap<String, Vec<Edge>>| {
        let mut v: Vec<String> = declared.iter().map(|e| normalize_name(e)).chain(keys.keys().cloned()).collect();
        v.sort();
        v.dedup();
        v
    };
    let package = match &kind {
        SourceKind::Registry => package(file, &name, p.version.as_ref(), &p.name, p.sdist.as_ref(), &p.wheels)
            .and_then(|pkg| registry_allowed(file, &name, p.source.as_ref()).map(|()| pkg))
            // Reported only when the walk reaches the package, but still a fault of the lock.
            .map_err(|ds| ds.into_iter().map(|d| d.or_rule(&crate::rules::INVALID_LOCK)).collect()),
        _ => Err(Vec::new()),
    };
    Ok(Node {
        version: p.version.map(Spanned::into_inner),
        source,
        kind,
        source_span,
        span: p.name.span(),
        deps: edges(p.dependencies),
        known_extras: known(provided, &extras),
        known_groups: known(requires_dev, &groups),
        extras,
        groups,
        package,
        name,
    })
}

fn source_kind(table: &BTreeMap<String, toml::Value>, name: &str, members: &[String]) -> SourceKind {
    let str_of = |k: &str| table.get(k).and_then(toml::Value::as_str);
    if str_of("registry").is_some() {
        SourceKind::Registry
    } else if str_of("editable") == Some(".") || str_of("virtual") == Some(".") {
        SourceKind::Project
    } else if members.iter().any(|m| m == name) && (str_of("editable").is_some() || str_of("virtual").is_some()) {
        SourceKind::Member
    } else {
        SourceKind::Other(table.keys().next().map_or("empty", String::as_str).to_string())
    }
}

/// `key=value` pairs of a `source` table, sorted by key (BTreeMap order).
fn canonical(table: &BTreeMap<String, toml::Value>) -> String {
    let parts: Vec<String> = table.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.join(",")
}

fn edge(d: Spanned<RawDep>) -> Edge {
    let d = d.into_inner();
    Edge {
        name: normalize_name(d.name.get_ref()),
        version: d.version,
        source: d.source.as_ref().map(canonical),
        marker: d.marker.map(|m| Located { span: m.span(), text: m.into_inner() }),
        extras: d.extra.iter().map(|e| normalize_name(e)).collect(),
        span: d.name.span(),
    }
}

/// The registry URL under the artifact URL policy; checked after the files, so a local
/// registry's files are refused with the more precise message.
fn registry_allowed(
    file: &SourceFile,
    name: &str,
    source: Option<&Spanned<BTreeMap<String, toml::Value>>>,
) -> Result<(), Vec<Diagnostic>> {
    let Some(src) = source else { return Ok(()) };
    let Some(registry) = src.get_ref().get("registry").and_then(toml::Value::as_str) else { return Ok(()) };
    let what = format!("package `{name}`: registry");
    match check_url(file, src.span(), &what, registry, super::url_policy::UrlUse::Index) {
        Some(d) => Err(vec![d]),
        None => Ok(()),
    }
}

/// Checks a registry package's version and files.
fn package(
    file: &SourceFile,
    name: &str,
    version: Option<&Spanned<String>>,
    at: &Spanned<String>,
    sdist: Option<&Spanned<RawFile>>,
    wheels: &[Spanned<RawFile>],
) -> Result<LockedPackage, Vec<Diagnostic>> {
    let err = |span: Range<usize>, msg: String| Diagnostic::error(file, span, msg);
    if let Some(d) = version.and_then(|v| check_version(file, name, v)) {
        return Err(vec![d]);
    }
    let Some(version) = version.map(|v| v.get_ref().clone()) else {
        return Err(vec![err(at.span(), format!("package `{name}` has no `version`"))]);
    };
    let mut errors = Vec::new();
    let mut artifacts = Vec::new();
    let files = wheels.iter().map(|w| (w, true)).chain(sdist.map(|s| (s, false)));
    for (f, wheel) in files {
        match file_entry(file, name, f).and_then(|e| artifact(file, (name, &version), e, wheel)) {
            Ok(a) => artifacts.push(a),
            Err(d) => errors.push(d),
        }
    }
    if artifacts.is_empty() && errors.is_empty() {
        errors.push(err(at.span(), format!("package `{name}` has no `wheels` and no `sdist`")));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(LockedPackage {
        name: name.to_string(),
        version,
        marker: None,
        requires_python: None,
        artifacts,
        hashes: Vec::new(),
        span: at.span(),
    })
}

/// Checks a file's URL and `hash = "sha256:.."`.
fn file_entry<'a>(file: &SourceFile, name: &str, f: &'a Spanned<RawFile>) -> Result<FileEntry<'a>, Diagnostic> {
    let raw = f.get_ref();
    let err = |span: Range<usize>, msg: String| Diagnostic::error(file, span, msg);
    let url = match (&raw.url, &raw.path) {
        (Some(u), _) => u,
        (None, Some(p)) => {
            return Err(err(p.span(), format!("package `{name}`: local file `{}` is not supported", p.get_ref())))
        }
        (None, None) => return Err(err(f.span(), format!("package `{name}`: file has no `url`"))),
    };
    let Some(hash) = &raw.hash else {
        return Err(unhashed(err(f.span(), format!("package `{name}`: file `{}` has no `hash`", url.get_ref()))));
    };
    let sha = match hash.get_ref().split_once(':') {
        Some(("sha256", hex)) => hex,
        _ => {
            return Err(unhashed(err(
                hash.span(),
                format!("package `{name}`: hash `{}` is not `sha256:<digest>`", hash.get_ref()),
            )))
        }
    };
    if let Some(problem) = sha256_problem(sha) {
        return Err(unhashed(err(hash.span(), format!("package `{name}`: {problem}"))));
    }
    Ok(FileEntry {
        filename: None,
        url: url.get_ref(),
        sha256: sha.to_string(),
        size: raw.size,
        span: url.span(),
        url_span: url.span(),
    })
}
