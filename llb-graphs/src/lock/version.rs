//! PEP 440 versions and single version specifiers (`>=3.10`, `==3.*`, `~=2.2`), enough to
//! evaluate environment markers and `requires-python` against a build target.
//!
//! Invariants: parsing never panics; ordering follows PEP 440 §"Summary of permitted suffixes
//! and relative ordering" (dev < pre < final < post, release compared with trailing zeros
//! ignored, local versions after their public version). Ordered comparisons are exclusive as
//! in PEP 440 §"Exclusive ordered comparison" (`<V` excludes pre-releases of `V`, `>V` its
//! post-releases and local versions), as `packaging.specifiers` implements them; the
//! `packaging_oracle` test checks both against `packaging`.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A parsed PEP 440 version. Equality is PEP 440 equality (`1.0 == 1.0.0`), consistent with `Ord`.
#[derive(Clone, Debug)]
pub struct Version {
    epoch: u64,
    release: Vec<u64>,
    /// `(0 = a, 1 = b, 2 = rc, number)`.
    pre: Option<(u8, u64)>,
    post: Option<u64>,
    dev: Option<u64>,
    local: Vec<LocalPart>,
}

/// One dot-separated segment of a local version label (`+cpu.1`): numbers sort after strings.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum LocalPart {
    Str(String),
    Num(u64),
}

/// Why a version string was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a PEP 440 version")]
pub struct VersionError(pub String);

impl Version {
    /// The release numbers (`[3, 11, 4]` for `3.11.4`).
    pub fn release(&self) -> &[u64] {
        &self.release
    }

    /// True when the version has a local label (`1.0+cpu`).
    fn has_local(&self) -> bool {
        !self.local.is_empty()
    }

    /// The same version without its local label.
    fn public(&self) -> Version {
        Version { local: Vec::new(), ..self.clone() }
    }

    /// Epoch and release only (`packaging`'s `base_version`).
    fn base(&self) -> Version {
        Version {
            epoch: self.epoch,
            release: self.release.clone(),
            pre: None,
            post: None,
            dev: None,
            local: Vec::new(),
        }
    }

    /// Without post, dev and local parts: what a post-release is a post-release of.
    fn without_post(&self) -> Version {
        Version { post: None, dev: None, local: Vec::new(), ..self.clone() }
    }

    fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }
}

impl FromStr for Version {
    type Err = VersionError;

    /// Parses the normalised and the common non-normalised spellings (`v1.0`, `1.0-post1`,
    /// `1.0.RC1`, `1.0_dev2`): PEP 440 §"Normalization".
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || VersionError(s.to_string());
        let lower = s.trim().to_ascii_lowercase();
        let text = lower.strip_prefix('v').unwrap_or(&lower);
        let (public, local) = match text.split_once('+') {
            Some((p, l)) => (p, Some(l)),
            None => (text, None),
        };
        let (epoch, rest) = match public.split_once('!') {
            Some((e, r)) => (e.parse().map_err(|_| bad())?, r),
            None => (0, public),
        };
        let digits_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let (rel, mut suffix) = rest.split_at(digits_end);
        // `1.0.post1` splits as `1.0.` + `post1`; a dot with nothing after it (`1.0.`) is invalid.
        let rel = match rel.strip_suffix('.') {
            Some(_) if suffix.is_empty() => return Err(bad()),
            Some(r) => r,
            None => rel,
        };
        let release = rel.split('.').map(|p| p.parse::<u64>().map_err(|_| bad())).collect::<Result<Vec<_>, _>>()?;
        let mut v = Version { epoch, release, pre: None, post: None, dev: None, local: Vec::new() };
        if let Some((kind, n, r)) = take_suffix(
            suffix,
            &[("rc", 2), ("c", 2), ("alpha", 0), ("a", 0), ("beta", 1), ("b", 1), ("preview", 2), ("pre", 2)],
        ) {
            v.pre = Some((kind, n));
            suffix = r;
        }
        if let Some((_, n, r)) = take_suffix(suffix, &[("post", 0), ("rev", 0), ("r", 0)]) {
            v.post = Some(n);
            suffix = r;
        } else if let Some(rest) = suffix.strip_prefix('-') {
            // `1.0-1` is an implicit post release (a dev part may follow: `1.0-1.dev2`).
            let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            if end > 0 {
                v.post = Some(rest[..end].parse().map_err(|_| bad())?);
                suffix = &rest[end..];
            }
        }
        if let Some((_, n, r)) = take_suffix(suffix, &[("dev", 0)]) {
            v.dev = Some(n);
            suffix = r;
        }
        if !suffix.is_empty() {
            return Err(bad());
        }
        if let Some(l) = local {
            v.local = parse_local(l).ok_or_else(bad)?;
        }
        Ok(v)
    }
}

/// Takes one `[.-_]?<word>[.-_]?<n>?` suffix for any of `words`; returns `(kind, n, rest)`.
fn take_suffix<'a>(s: &'a str, words: &[(&str, u8)]) -> Option<(u8, u64, &'a str)> {
    let s = s.strip_prefix(['.', '-', '_']).unwrap_or(s);
    let (word, kind) = words.iter().find(|(w, _)| s.starts_with(w))?;
    let rest = &s[word.len()..];
    let rest = rest.strip_prefix(['.', '-', '_']).unwrap_or(rest);
    let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    // An omitted number means 0 (PEP 440 "Implicit pre-release number").
    let n = if end == 0 { 0 } else { rest[..end].parse().ok()? };
    Some((*kind, n, &rest[end..]))
}

fn parse_local(l: &str) -> Option<Vec<LocalPart>> {
    l.split(['.', '-', '_'])
        .map(|p| {
            if p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric()) {
                None
            } else if let Ok(n) = p.parse() {
                Some(LocalPart::Num(n))
            } else {
                Some(LocalPart::Str(p.to_string()))
            }
        })
        .collect()
}

/// `(epoch, release without trailing zeros, pre, post, dev, local)`.
type CmpKey<'a> = (u64, Vec<u64>, (u8, u8, u64), (u8, u64), (u8, u64), &'a [LocalPart]);

/// Sort key per `packaging.version._cmpkey`: `None` stands for −∞ or +∞ as noted.
fn cmp_key(v: &Version) -> CmpKey<'_> {
    let mut rel = v.release.clone();
    while rel.last() == Some(&0) {
        rel.pop();
    }
    // A dev release with no pre/post sorts before all pre-releases of the same release.
    let pre = match (v.pre, v.post, v.dev) {
        (None, None, Some(_)) => (0, 0, 0),
        (None, _, _) => (2, 0, 0),
        (Some((k, n)), _, _) => (1, k, n),
    };
    let post = v.post.map_or((0, 0), |n| (1, n));
    let dev = v.dev.map_or((1, 0), |n| (0, n));
    (v.epoch, rel, pre, post, dev, &v.local)
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_key(self).cmp(&cmp_key(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch != 0 {
            write!(f, "{}!", self.epoch)?;
        }
        let rel: Vec<String> = self.release.iter().map(u64::to_string).collect();
        write!(f, "{}", rel.join("."))?;
        if let Some((k, n)) = self.pre {
            write!(f, "{}{n}", ["a", "b", "rc"][usize::from(k.min(2))])?;
        }
        if let Some(n) = self.post {
            write!(f, ".post{n}")?;
        }
        if let Some(n) = self.dev {
            write!(f, ".dev{n}")?;
        }
        if self.has_local() {
            let parts: Vec<String> = self
                .local
                .iter()
                .map(|p| match p {
                    LocalPart::Str(s) => s.clone(),
                    LocalPart::Num(n) => n.to_string(),
                })
                .collect();
            write!(f, "+{}", parts.join("."))?;
        }
        Ok(())
    }
}

/// True when `a` and `b` name the same version (`1.0` == `1.0.0`, PEP 440 §"Version matching").
pub fn same_version(a: &str, b: &str) -> bool {
    match (a.parse::<Version>(), b.parse::<Version>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a.trim().eq_ignore_ascii_case(b.trim()),
    }
}

/// A comparison operator of PEP 440 §"Version specifiers" / PEP 508 `version_cmp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `>=`
    Ge,
    /// `>`
    Gt,
    /// `~=`
    Compatible,
    /// `===`
    Arbitrary,
}

impl Op {
    /// Parses the operator at the start of `s`; returns it and its length.
    pub fn prefix(s: &str) -> Option<(Op, usize)> {
        const OPS: [(&str, Op); 8] = [
            ("===", Op::Arbitrary),
            ("~=", Op::Compatible),
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("<", Op::Lt),
            (">", Op::Gt),
        ];
        OPS.iter().find(|(t, _)| s.starts_with(t)).map(|(t, op)| (*op, t.len()))
    }
}

/// Does `candidate` satisfy `op spec`? `spec` may end in `.*` for `==`/`!=`. `Err` when the
/// specifier is not valid for the operator (`~=1`, `<1.*`, a non-version).
pub fn matches(candidate: &Version, op: Op, spec: &str) -> Result<bool, VersionError> {
    let spec = spec.trim();
    if op == Op::Arbitrary {
        if spec.is_empty() {
            return Err(VersionError(spec.to_string()));
        }
        return Ok(candidate.to_string().eq_ignore_ascii_case(spec));
    }
    if let Some(prefix) = spec.strip_suffix(".*") {
        let p: Version = prefix.parse()?;
        if !matches!(op, Op::Eq | Op::Ne) || p.has_local() {
            return Err(VersionError(spec.to_string()));
        }
        let mut rel = candidate.release.clone();
        rel.resize(rel.len().max(p.release.len()), 0);
        let hit = candidate.epoch == p.epoch && rel[..p.release.len()] == p.release[..];
        return Ok(hit == (op == Op::Eq));
    }
    let s: Version = spec.parse()?;
    // PEP 440 §"Version specifiers": a local label is only allowed with `==` and `!=`.
    if s.has_local() && !matches!(op, Op::Eq | Op::Ne) {
        return Err(VersionError(spec.to_string()));
    }
    // Without a local label in the specifier, the candidate's local label is ignored.
    let c = if s.has_local() { candidate.clone() } else { candidate.public() };
    Ok(match op {
        Op::Eq => c == s,
        Op::Ne => c != s,
        // Exclusive ordered comparisons (PEP 440): `<V` admits no pre-release of V itself and
        // `>V` no post-release or local version of V itself, unless V is one.
        Op::Lt => c < s && !(!s.is_prerelease() && c.is_prerelease() && c.base() == s),
        Op::Le => c <= s,
        Op::Gt => {
            let post_of_s = s.post.is_none() && c.post.is_some() && c.without_post() == s;
            c > s && !post_of_s && !(candidate.has_local() && candidate.public() == s)
        }
        Op::Ge => c >= s,
        Op::Compatible => {
            if s.release.len() < 2 {
                return Err(VersionError(spec.to_string()));
            }
            let mut prefix = s.release.clone();
            prefix.pop();
            let mut rel = c.release.clone();
            rel.resize(rel.len().max(prefix.len()), 0);
            c >= s && rel[..prefix.len()] == prefix[..]
        }
        Op::Arbitrary => false,
    })
}

/// One clause of a specifier set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clause {
    /// The operator.
    pub op: Op,
    /// The version (may end in `.*`).
    pub version: String,
    /// Byte offset of the clause in the set.
    pub offset: usize,
}

/// A specifier set that does not parse, with the byte offset of the bad clause.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SpecifierError {
    /// Byte offset in the set.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

/// Splits a specifier set (`>=3.10, <4`) into clauses, checking each.
pub fn parse_specifiers(set: &str) -> Result<Vec<Clause>, SpecifierError> {
    let mut out = Vec::new();
    let mut offset = 0;
    for clause in set.split(',') {
        let lead = clause.len() - clause.trim_start().len();
        let at = offset + lead;
        let c = clause.trim();
        offset += clause.len() + 1;
        if c.is_empty() && set.trim().is_empty() {
            continue;
        }
        let err = |message: String| SpecifierError { offset: at, message };
        let (op, len) = Op::prefix(c).ok_or_else(|| err(format!("`{c}` does not start with a comparison operator")))?;
        let version = c[len..].trim().to_string();
        let probe = Version { epoch: 0, release: vec![0], pre: None, post: None, dev: None, local: Vec::new() };
        matches(&probe, op, &version).map_err(|e| err(e.to_string()))?;
        out.push(Clause { op, version, offset: at });
    }
    Ok(out)
}
