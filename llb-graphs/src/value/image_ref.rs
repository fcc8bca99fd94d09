//! Image references: parsed once, normalised the way BuildKit's `docker-image://` source expects
//! (`docker.io/library/` for short names, `:latest` when untagged; distribution/reference rules).

use std::fmt;

/// A parsed image reference.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ImageRef {
    /// Registry host (with port), e.g. `docker.io`, `localhost:5000`.
    pub domain: String,
    /// Repository path, e.g. `library/python`.
    pub path: String,
    /// Tag, if any.
    pub tag: Option<String>,
    /// `sha256:<hex>`, if any.
    pub digest: Option<String>,
}

impl ImageRef {
    /// Parses `[domain/]path[:tag][@digest]`.
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if s.is_empty() {
            return Err("is empty");
        }
        if s.len() > 512 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("is not a valid image reference (whitespace or too long)");
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => {
                let hex = d.strip_prefix("sha256:").ok_or("has a digest that is not sha256:<64 hex>")?;
                if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()) {
                    return Err("has a digest that is not sha256:<64 hex>");
                }
                (r, Some(d.to_string()))
            }
            None => (s, None),
        };
        let (name, tag) = match rest.rfind(':') {
            Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(rest[i + 1..].to_string())),
            _ => (rest, None),
        };
        if let Some(t) = &tag {
            let ok =
                !t.is_empty() && t.len() <= 128 && t.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
            if !ok {
                return Err("has an invalid tag");
            }
        }
        let (domain, path) = match name.split_once('/') {
            // Docker Hub's official images live under `library/` (distribution/reference).
            Some(("docker.io" | "index.docker.io", p)) if !p.contains('/') => {
                ("docker.io".to_string(), format!("library/{p}"))
            }
            Some((d, p)) if d.contains('.') || d.contains(':') || d == "localhost" => (d.to_string(), p.to_string()),
            Some(_) => ("docker.io".to_string(), name.to_string()),
            None => ("docker.io".to_string(), format!("library/{name}")),
        };
        let path_ok = !path.is_empty()
            && path.split('/').all(|c| {
                !c.is_empty()
                    && c.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || "._-".contains(ch))
            });
        if !path_ok {
            return Err("is not a valid image reference (repository names are lowercase)");
        }
        Ok(Self { domain, path, tag, digest })
    }

    /// True when pinned by digest.
    pub fn is_pinned(&self) -> bool {
        self.digest.is_some()
    }

    /// The same reference pinned to `digest`.
    pub fn pinned(&self, digest: &str) -> Self {
        Self { digest: Some(digest.to_string()), ..self.clone() }
    }
}

impl fmt::Display for ImageRef {
    /// The fully normalised form; `:latest` is added only when there is neither tag nor digest.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.domain, self.path)?;
        match (&self.tag, &self.digest) {
            (Some(t), _) => write!(f, ":{t}")?,
            (None, None) => write!(f, ":latest")?,
            _ => {}
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::ImageRef;

    #[test]
    fn normalises_like_docker() {
        let n = |s: &str| ImageRef::parse(s).map(|r| r.to_string());
        assert_eq!(n("python:3.11-slim").as_deref(), Ok("docker.io/library/python:3.11-slim"));
        assert_eq!(
            n("nvidia/cuda:12.1.1-runtime-ubuntu22.04").as_deref(),
            Ok("docker.io/nvidia/cuda:12.1.1-runtime-ubuntu22.04")
        );
        assert_eq!(n("localhost:5000/python:3.11-slim").as_deref(), Ok("localhost:5000/python:3.11-slim"));
        assert_eq!(n("ghcr.io/org/x").as_deref(), Ok("ghcr.io/org/x:latest"));
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(n(&format!("localhost:5000/p@{d}")), Ok(format!("localhost:5000/p@{d}")));
    }

    #[test]
    fn rejects_bad_references() {
        for bad in ["", "Python:3", "a b", "x@sha256:zz", "x:", "x:bad tag", "//x"] {
            assert!(ImageRef::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
