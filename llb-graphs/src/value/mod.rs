//! Typed values of a manifest, parsed once at the boundary: image references, paths inside the
//! build context, Python versions, the service UID. A leaf: `manifest` (validation) and `plan`
//! both import it, so the arrow manifest → plan never has to point back.

mod image_ref;

use std::fmt;

pub use image_ref::ImageRef;

/// UID and GID every service runs as.
pub const APP_UID: u32 = 10001;

/// A path that stays inside the build context: relative, no `..`, `./` and `//` folded; `.`
/// is the context root.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContextPath(String);

impl ContextPath {
    /// Parses `p`; the error says why it would leave the context.
    pub fn parse(p: &str) -> Result<Self, &'static str> {
        if p.starts_with('/') || p.starts_with('\\') || p.contains(':') && p.len() > 1 && p.as_bytes()[1] == b':' {
            return Err("is absolute; it must be relative to the build context");
        }
        let mut parts = vec![];
        for c in p.split('/') {
            match c {
                "" | "." => {}
                ".." => return Err("escapes the build context (`..`)"),
                c if c.chars().any(|ch| ch.is_control()) => return Err("contains control characters"),
                c => parts.push(c),
            }
        }
        Ok(Self(if parts.is_empty() { ".".into() } else { parts.join("/") }))
    }

    /// The normalised path.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The normalised path, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for ContextPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A CPython `3.N` version (`major.minor`), as `python = "3.11"` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PythonVersion(u32, u32);

impl PythonVersion {
    /// Python of a family when neither it nor `[fleet]` says.
    pub const DEFAULT: Self = Self(3, 11);

    /// `"3.11"` (surrounding space allowed) → 3.11; anything but `3.N` is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        let (a, b) = s.trim().split_once('.')?;
        let v = Self(a.parse().ok()?, b.parse().ok()?);
        (v.0 == 3).then_some(v)
    }

    /// `(major, minor)`.
    pub fn pair(self) -> (u32, u32) {
        (self.0, self.1)
    }
}

impl fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_paths_fold_and_refuse_escapes() {
        assert_eq!(ContextPath::parse("./app//src/").unwrap().as_str(), "app/src");
        assert_eq!(ContextPath::parse(".").unwrap().as_str(), ".");
        assert!(ContextPath::parse("../x").is_err());
        assert!(ContextPath::parse("/abs").is_err());
        assert!(ContextPath::parse("C:x").is_err());
        assert!(ContextPath::parse("a\u{7}").is_err());
    }

    #[test]
    fn python_versions_are_3_n() {
        assert_eq!(PythonVersion::parse(" 3.12 ").map(PythonVersion::pair), Some((3, 12)));
        assert_eq!(PythonVersion::parse("3.11").unwrap().to_string(), "3.11");
        assert!(PythonVersion::parse("2.7").is_none() && PythonVersion::parse("3").is_none());
    }
}
