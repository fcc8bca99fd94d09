//! Wheel filenames (PEP 427 §"File name convention", compressed tag sets of PEP 425) and the
//! ordered list of tags a target accepts, which ranks wheels: lower index = better fit.
//!
//! The order follows `packaging.tags.sys_tags` for CPython on Linux (the order pip uses), so
//! the wheel chosen here is the one `pip install` would choose on the target. Invariants: tag
//! lists are built only from the [`TargetEnv`]; all lookups go through a `BTreeMap`, so nothing
//! depends on hash order.

use std::collections::BTreeMap;
use std::fmt;

use super::env::{Libc, Platform, TargetEnv};

/// One `{python}-{abi}-{platform}` triple, all lowercase.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag {
    /// Interpreter tag, e.g. `cp311`, `py3`.
    pub python: String,
    /// ABI tag, e.g. `cp311`, `abi3`, `none`.
    pub abi: String,
    /// Platform tag, e.g. `manylinux_2_17_x86_64`, `any`.
    pub platform: String,
}

impl Tag {
    fn new(python: impl Into<String>, abi: impl Into<String>, platform: impl Into<String>) -> Self {
        Tag { python: python.into(), abi: abi.into(), platform: platform.into() }
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.python, self.abi, self.platform)
    }
}

/// A parsed wheel filename: `{name}-{ver}(-{build})?-{python}-{abi}-{platform}.whl`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct WheelName {
    /// Distribution name as written in the filename (`pydantic_core`).
    pub name: String,
    /// Version as written in the filename.
    pub version: String,
    /// Optional build tag: its leading number and the rest (PEP 427: sorts as a tuple).
    pub build: Option<(u64, String)>,
    /// Interpreter tags of the compressed set (`py2.py3` → `["py2", "py3"]`).
    pub python: Vec<String>,
    /// ABI tags of the compressed set.
    pub abi: Vec<String>,
    /// Platform tags of the compressed set.
    pub platform: Vec<String>,
}

/// Why a wheel filename was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    /// Does not end in `.whl`.
    #[error("`{0}` is not a wheel filename (no `.whl` suffix)")]
    NotAWheel(String),
    /// Wrong number of `-` separated parts, or an empty part.
    #[error("wheel filename `{0}` does not have the form name-version(-build)?-python-abi-platform.whl")]
    Shape(String),
    /// Build tag not starting with a digit (PEP 427).
    #[error("wheel filename `{0}` has a build tag that does not start with a digit")]
    BuildTag(String),
}

impl WheelName {
    /// Parses a wheel filename (not a path: no `/`).
    pub fn parse(filename: &str) -> Result<Self, TagError> {
        let stem = filename.strip_suffix(".whl").ok_or_else(|| TagError::NotAWheel(filename.to_string()))?;
        let parts: Vec<&str> = stem.split('-').collect();
        let shape = || TagError::Shape(filename.to_string());
        if !(parts.len() == 5 || parts.len() == 6) || parts.iter().any(|p| p.is_empty()) {
            return Err(shape());
        }
        let build = if parts.len() == 6 {
            let b = parts[2];
            let digits = b.find(|c: char| !c.is_ascii_digit()).unwrap_or(b.len());
            let n = b[..digits].parse().map_err(|_| TagError::BuildTag(filename.to_string()))?;
            Some((n, b[digits..].to_string()))
        } else {
            None
        };
        let n = parts.len();
        let set = |s: &str| -> Vec<String> { s.split('.').map(str::to_ascii_lowercase).collect() };
        let (python, abi, platform) = (set(parts[n - 3]), set(parts[n - 2]), set(parts[n - 1]));
        if [&python, &abi, &platform].iter().any(|s| s.iter().any(String::is_empty)) {
            return Err(shape());
        }
        Ok(WheelName { name: parts[0].to_string(), version: parts[1].to_string(), build, python, abi, platform })
    }

    /// Every tag of the compressed set (PEP 425 §"Compressed Tag Sets"), in filename order.
    pub fn tags(&self) -> Vec<Tag> {
        let mut out = Vec::new();
        for py in &self.python {
            for abi in &self.abi {
                for plat in &self.platform {
                    out.push(Tag::new(py, abi, plat));
                }
            }
        }
        out
    }

    /// The tag part of the filename, e.g. `cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64`.
    pub fn tag_string(&self) -> String {
        format!("{}-{}-{}", self.python.join("."), self.abi.join("."), self.platform.join("."))
    }
}

/// Legacy manylinux names (PEP 600 §"Legacy manylinux tags"): glibc minor → alias.
fn legacy_manylinux(minor: u32, arch: &str) -> Option<&'static str> {
    match (minor, arch) {
        (17, _) => Some("manylinux2014"),
        (12, "x86_64") => Some("manylinux2010"),
        (5, "x86_64") => Some("manylinux1"),
        _ => None,
    }
}

/// Platform tags, best first, as `packaging.tags._linux_platforms` orders them: newest
/// `manylinux_2_Y` (each followed by its legacy alias) or `musllinux_1_Y`, then `linux_<arch>`.
pub fn platform_tags(platform: Platform, libc: Libc) -> Vec<String> {
    let arch = platform.machine();
    let mut out = Vec::new();
    match libc {
        // manylinux on x86_64 starts at glibc 2.5 (manylinux1); on aarch64 at 2.17.
        Libc::Glibc(2, minor) => {
            let oldest = if arch == "x86_64" { 5 } else { 17 };
            for m in (oldest..=minor).rev() {
                out.push(format!("manylinux_2_{m}_{arch}"));
                if let Some(legacy) = legacy_manylinux(m, arch) {
                    out.push(format!("{legacy}_{arch}"));
                }
            }
        }
        Libc::Glibc(..) => {}
        // PEP 656: musllinux_1_Y for every Y from the target's minor down to 0.
        Libc::Musl(major, minor) => {
            for m in (0..=minor).rev() {
                out.push(format!("musllinux_{major}_{m}_{arch}"));
            }
        }
    }
    out.push(format!("linux_{arch}"));
    out
}

/// All tags the target accepts, best first (`packaging.tags.cpython_tags` then
/// `compatible_tags`): `cp3Y-cp3Y-<plat>`, `cp3Y-abi3-<plat>`, `cp3Y-none-<plat>`,
/// `cp3X-abi3-<plat>` for X = Y-1..2, `py3Y/py3/py3X-none-<plat>`, `cp3Y-none-any`,
/// `py3Y/py3/py3X-none-any`. abi3 appears only from CPython 3.2 on (PEP 384).
pub fn compatible_tags(env: &TargetEnv) -> Vec<Tag> {
    let (major, minor) = env.python;
    let plats = platform_tags(env.platform, env.libc);
    let cp = format!("cp{major}{minor}");
    let abi3 = major == 3 && minor >= 2;
    let mut out = Vec::new();
    let each_plat = |py: &str, abi: &str, out: &mut Vec<Tag>| {
        out.extend(plats.iter().map(|p| Tag::new(py, abi, p.as_str())));
    };
    each_plat(&cp, &cp, &mut out);
    if abi3 {
        each_plat(&cp, "abi3", &mut out);
    }
    each_plat(&cp, "none", &mut out);
    if abi3 {
        for m in (2..minor).rev() {
            each_plat(&format!("cp{major}{m}"), "abi3", &mut out);
        }
    }
    // `_py_interpreter_range`: py3Y, py3, then py3X for X = Y-1 .. 0.
    let mut py_range = vec![format!("py{major}{minor}"), format!("py{major}")];
    py_range.extend((0..minor).rev().map(|m| format!("py{major}{m}")));
    for py in &py_range {
        each_plat(py, "none", &mut out);
    }
    out.push(Tag::new(&cp, "none", "any"));
    out.extend(py_range.iter().map(|py| Tag::new(py.as_str(), "none", "any")));
    out
}

/// Rank lookup for one target: tag → position in [`compatible_tags`].
#[derive(Clone, Debug)]
pub struct TagRanks {
    ranks: BTreeMap<Tag, usize>,
}

impl TagRanks {
    /// Builds the lookup for `env`.
    pub fn new(env: &TargetEnv) -> Self {
        let mut ranks = BTreeMap::new();
        for (i, t) in compatible_tags(env).into_iter().enumerate() {
            ranks.entry(t).or_insert(i);
        }
        TagRanks { ranks }
    }

    /// The best (lowest) rank of any tag of `wheel`, or `None` if the target cannot install it.
    pub fn rank(&self, wheel: &WheelName) -> Option<usize> {
        wheel.tags().iter().filter_map(|t| self.ranks.get(t).copied()).min()
    }
}
