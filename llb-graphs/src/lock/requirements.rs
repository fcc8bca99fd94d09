//! Hashed requirements files: `pip-compile --generate-hashes`, `uv pip compile
//! --generate-hashes` and `uv export --format requirements-txt` output.
//!
//! Lines are joined and comments stripped exactly as pip's `req_file.py` does (`join_lines`,
//! then `ignore_comments` with `(^|\s+)#.*$`), so the hashes read here are the hashes pip
//! would enforce. Every logical line keeps a byte map back into the file, so each error points
//! at the exact `line:col` of the offending token. Fail closed: a requirement must be
//! `name[extras]==version [; marker]` with at least one `--hash=sha256:<64 hex>`.

use std::collections::BTreeMap;

use crate::diag::{Diagnostic, Diagnostics, SourceFile};

use super::common::{is_valid_name, normalize_name, push_unique, sha256_problem};
use super::{finish, markers, LockFile, LockKind, LockedPackage};

mod line;
use line::{logical_lines, tokens, Logical, Token};

/// Help for requirements that are not fully pinned.
const PIN_HELP: &str = "generate the file with `pip-compile --generate-hashes` or `uv pip compile --generate-hashes`, which pin every package with `==` and hashes";

/// Parser state across lines.
struct State<'f> {
    file: &'f SourceFile,
    lock: LockFile,
    errors: Vec<Diagnostic>,
    /// Earlier pins per normalised name.
    seen: Seen,
}

/// An earlier pin of a name: version, marker and 1-based line.
struct Pin {
    version: String,
    marker: Option<String>,
    line: usize,
}

type Seen = BTreeMap<String, Vec<Pin>>;

impl State<'_> {
    fn error(&mut self, line: &Logical, at: usize, msg: String, help: Option<&str>) {
        let start = line.at(at);
        let mut d = Diagnostic::error(self.file, start..start, msg);
        if let Some(h) = help {
            d = d.with_help(h);
        }
        self.errors.push(d);
    }

    /// [`Self::error`] for an artifact that is not pinned by a sha256 hash.
    fn unhashed(&mut self, line: &Logical, at: usize, msg: String, help: &str) {
        self.error(line, at, msg, Some(help));
        if let Some(d) = self.errors.pop() {
            self.errors.push(d.rule(&crate::rules::UNHASHED_LOCK));
        }
    }
}

/// Parses a requirements file.
pub fn parse(file: &SourceFile) -> Result<LockFile, Diagnostics> {
    let mut st = State {
        file,
        lock: LockFile {
            kind: LockKind::Requirements,
            packages: Vec::new(),
            index_urls: Vec::new(),
            find_links: Vec::new(),
            requires_python: None,
            environments: Vec::new(),
            extras: Vec::new(),
            groups: Vec::new(),
            default_groups: Vec::new(),
            graph: None,
        },
        errors: Vec::new(),
        seen: BTreeMap::new(),
    };
    for line in logical_lines(&file.text) {
        let toks = tokens(&line.text);
        match toks.first() {
            None => {}
            Some(t) if t.text.starts_with('-') => option_line(&mut st, &line, &toks),
            Some(_) => requirement_line(&mut st, &line, &toks),
        }
    }
    finish(st.lock, st.errors)
}

/// Splits `-ivalue`, `--index-url=value` into flag and inline value.
fn split_flag(t: &str) -> (&str, Option<&str>) {
    if let Some((f, v)) = t.split_once('=').filter(|_| t.starts_with("--")) {
        (f, Some(v))
    } else if !t.starts_with("--") && t.len() > 2 {
        let cut = t.char_indices().nth(2).map_or(t.len(), |(i, _)| i);
        (&t[..cut], Some(&t[cut..]))
    } else {
        (t, None)
    }
}

/// A global option line (`--index-url ...`, `-e ...`, `-r ...`).
fn option_line(st: &mut State, line: &Logical, toks: &[Token]) {
    let (flag, inline) = split_flag(toks[0].text);
    let at = toks[0].start;
    match flag {
        "-e" | "--editable" => st.error(
            line,
            at,
            "editable requirement is not supported: a hashed lockfile must pin released artifacts".into(),
            Some("lock only third-party packages (`uv export --no-emit-project`) and copy the project itself from the build context"),
        ),
        "-r" | "--requirement" | "-c" | "--constraint" => st.error(
            line,
            at,
            format!("`{flag}` includes are not supported: the lockfile must be self-contained"),
            Some("compile the included files into this one lockfile"),
        ),
        "--require-hashes" | "--pre" if inline.is_none() => extra_tokens(st, line, &toks[1..]),
        "-i" | "--index-url" | "--extra-index-url" | "-f" | "--find-links" => {
            let (value, rest) = match inline.filter(|v| !v.is_empty()) {
                Some(v) => (Some(v), &toks[1..]),
                None => (toks.get(1).map(|t| t.text), toks.get(2..).unwrap_or(&[])),
            };
            let Some(value) = value else {
                let msg = format!("option `{flag}` needs a value");
                return st.error(line, at, msg, None);
            };
            let value_at = if inline.is_some_and(|v| !v.is_empty()) { at } else { toks[1].start };
            // `--find-links` locations are never used (the build fetches by hash, offline);
            // index URLs reach `pip download`'s argv.
            let index = flag != "-f" && flag != "--find-links";
            if let Some(p) = super::url_policy::url_problem(value, super::url_policy::UrlUse::Index).filter(|_| index) {
                let shown: String = value.chars().flat_map(char::escape_default).collect();
                st.error(line, value_at, format!("`{flag}` URL `{shown}` {}", p.message), Some(p.help));
                if let Some(d) = st.errors.pop() {
                    st.errors.push(d.rule(&crate::rules::UNSAFE_ARTIFACT_URL));
                }
                return;
            }
            let list = if flag.ends_with("index-url") || flag == "-i" {
                &mut st.lock.index_urls
            } else {
                &mut st.lock.find_links
            };
            push_unique(list, value);
            extra_tokens(st, line, rest);
        }
        _ => st.error(
            line,
            at,
            format!("option `{}` is not supported in a hashed lockfile", toks[0].text),
            Some("supported: -i/--index-url, --extra-index-url, -f/--find-links, --require-hashes, --pre"),
        ),
    }
}

fn extra_tokens(st: &mut State, line: &Logical, rest: &[Token]) {
    if let Some(t) = rest.first() {
        st.error(line, t.start, format!("unexpected `{}` after option", t.text), None);
    }
}

/// The parsed requirement part of a line; offsets are into the logical line.
struct Req {
    name: String,
    name_at: usize,
    version: String,
    marker: Option<(String, usize)>,
}

/// A problem at an offset of the logical line.
struct Problem(usize, String, &'static str);

/// `name[extras]==version ; marker --hash=... --hash=...`.
fn requirement_line(st: &mut State, line: &Logical, toks: &[Token]) {
    let split = toks.iter().position(|t| t.text.starts_with('-')).unwrap_or(toks.len());
    let (start, end) = (toks[0].start, toks[split - 1].end);
    let req = match parse_requirement(&line.text[start..end], start) {
        Ok(r) => r,
        Err(Problem(at, msg, help)) => return st.error(line, at, msg, Some(help)),
    };
    if let Some((m, at)) = &req.marker {
        if let Err(e) = markers::parse(m) {
            let msg = format!("marker `{}`: {}", crate::diag::excerpt(m, 80), e.message);
            return st.error(line, at + e.offset, msg, e.help.as_deref());
        }
    }
    let Some(hashes) = hash_options(st, line, &toks[split..]) else {
        return;
    };
    if hashes.is_empty() {
        let msg = format!("requirement `{}=={}` has no `--hash`", req.name, req.version);
        return st.unhashed(line, req.name_at, msg, PIN_HELP);
    }
    let name = normalize_name(&req.name);
    let marker = req.marker.map(|(m, _)| m);
    let (file_line, _) = st.file.position(line.at(req.name_at));
    if let Some(msg) = duplicate(&st.seen, &name, &req.version, &marker) {
        return st.error(line, req.name_at, msg, Some("a lockfile pins each package once per environment"));
    }
    let pin = Pin { version: req.version.clone(), marker: marker.clone(), line: file_line };
    st.seen.entry(name.clone()).or_default().push(pin);
    st.lock.packages.push(LockedPackage {
        name,
        version: req.version,
        marker,
        requires_python: None,
        artifacts: Vec::new(),
        hashes,
        span: line.at(req.name_at)..line.at(end - 1) + 1,
    });
}

/// An earlier entry for `name` that overlaps this one (entries with two different markers are
/// forks of a universal lock, as `uv export` writes them, and may coexist).
fn duplicate(seen: &Seen, name: &str, version: &str, marker: &Option<String>) -> Option<String> {
    let earlier = seen.get(name)?;
    let Pin { version: v, line: l, .. } = earlier.iter().find(|p| match (&p.marker, marker) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    })?;
    Some(if v == version {
        format!("package `{name}` is listed twice (first at line {l})")
    } else {
        format!("package `{name}` is pinned twice: `=={version}` here, `=={v}` at line {l}")
    })
}

/// Reads `--hash` options; `None` if any was bad (already reported).
fn hash_options(st: &mut State, line: &Logical, toks: &[Token]) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut ok = true;
    while i < toks.len() {
        let t = &toks[i];
        let (value, at) = if t.text == "--hash" {
            i += 1;
            match toks.get(i) {
                Some(v) => (v.text, v.start),
                None => (&t.text[t.text.len()..], t.end),
            }
        } else if let Some(v) = t.text.strip_prefix("--hash=") {
            (v, t.start + "--hash=".len())
        } else {
            let msg = format!("option `{}` is not supported on a requirement line", t.text);
            st.error(line, t.start, msg, Some("only `--hash=sha256:<digest>` is allowed"));
            return None;
        };
        i += 1;
        match check_hash(value) {
            Ok(h) => out.push(h.to_string()),
            Err(msg) => {
                st.unhashed(line, at, msg, "hashes must be `sha256:` followed by 64 lowercase hex digits");
                ok = false;
            }
        }
    }
    out.sort();
    out.dedup();
    ok.then_some(out)
}

fn check_hash(value: &str) -> Result<&str, String> {
    match value.split_once(':') {
        Some(("sha256", hex)) => sha256_problem(hex).map_or(Ok(hex), Err),
        Some((algo, _)) => Err(format!("hash `{value}` uses `{algo}`; only sha256 is supported")),
        None => Err(format!("hash `{value}` is not of the form `sha256:<digest>`")),
    }
}

/// Parses `text` (the requirement part of a line, starting at `base` in the logical line).
fn parse_requirement(text: &str, base: usize) -> Result<Req, Problem> {
    let name_len =
        text.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))).unwrap_or(text.len());
    let (name, rest) = text.split_at(name_len);
    let next = rest.chars().next();
    let name_ok =
        is_valid_name(name) && (next.is_none() || next.is_some_and(|c| c.is_whitespace() || "[(=<>!~;@".contains(c)));
    if !name_ok || is_archive(name) {
        return Err(not_a_registry_pin(text, base));
    }
    let mut pos = name_len;
    pos += skip_ws(&text[pos..]);
    if text[pos..].starts_with('[') {
        let close =
            text[pos..].find(']').ok_or_else(|| Problem(base + pos, "unclosed `[` in extras".into(), PIN_HELP))?;
        pos += close + 1;
        pos += skip_ws(&text[pos..]);
    }
    if let Some(url) = text[pos..].strip_prefix('@') {
        let at = pos + 1 + skip_ws(url);
        return Err(not_a_registry_pin(&text[at..], base + at));
    }
    let (spec, marker) = match text[pos..].split_once(';') {
        Some((s, m)) => {
            let m_at = pos + s.len() + 1;
            let lead = skip_ws(m);
            (s, Some((m.trim().to_string(), base + m_at + lead)))
        }
        None => (&text[pos..], None),
    };
    let version = exact_pin(name, spec, base + pos, base)?;
    Ok(Req { name: name.to_string(), name_at: base, version, marker })
}

fn skip_ws(s: &str) -> usize {
    s.len() - s.trim_start().len()
}

fn is_archive(name: &str) -> bool {
    [".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz"].iter().any(|ext| name.to_ascii_lowercase().ends_with(ext))
}

/// Classifies what stands where a registry requirement should be: VCS, URL or local path.
fn not_a_registry_pin(text: &str, at: usize) -> Problem {
    let token = text.split_whitespace().next().unwrap_or(text);
    let help =
        "lock only packages from an index, pinned with `==` and hashed; build local or VCS code in the image instead";
    let vcs = ["git+", "hg+", "svn+", "bzr+"];
    let msg = if vcs.iter().any(|p| token.starts_with(p)) {
        format!("VCS requirement `{token}` is not supported")
    } else if token.starts_with("file:") {
        format!("local path requirement `{token}` is not supported")
    } else if token.contains("://") {
        format!("URL requirement `{token}` is not supported")
    } else if token.starts_with(['.', '/', '~']) || token.contains(['/', '\\']) || is_archive(token) {
        format!("local path requirement `{token}` is not supported")
    } else {
        format!("`{token}` is not a valid requirement")
    };
    Problem(at, msg, help)
}

/// The version of a single `==V` clause (optionally in parentheses), or why it is not one.
fn exact_pin(name: &str, spec: &str, base: usize, name_at: usize) -> Result<String, Problem> {
    let lead = skip_ws(spec);
    let trimmed = spec.trim();
    let (inner, at) = match trimmed.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
        Some(s) => (s, base + lead + 1),
        None => (trimmed, base + lead),
    };
    if inner.trim().is_empty() {
        let msg = format!("requirement `{name}` is not pinned with `==`");
        return Err(Problem(name_at, msg, PIN_HELP));
    }
    if inner.contains(',') {
        let msg = format!("`{name}{trimmed}` has several version clauses; expected exactly one `==` pin");
        return Err(Problem(at, msg, PIN_HELP));
    }
    let clause = inner.trim();
    let version = clause.strip_prefix("==").filter(|v| !v.starts_with('='));
    match version.map(str::trim) {
        Some(v) if v.ends_with(".*") => {
            Err(Problem(at, format!("`{name}=={v}` is a wildcard, not an exact pin"), PIN_HELP))
        }
        Some(v) if !v.is_empty() && v.parse::<super::version::Version>().is_ok() => Ok(v.to_string()),
        Some(v) => Err(Problem(at, format!("`{v}` is not a valid version"), PIN_HELP)),
        None => Err(Problem(at, format!("requirement `{name}{clause}` is not pinned with `==`"), PIN_HELP)),
    }
}
