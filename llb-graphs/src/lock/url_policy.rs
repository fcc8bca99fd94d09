//! The artifact URL policy, in one place: lock file URLs, package index URLs and the artifact
//! mirror all pass [`url_problem`] before they reach an HTTP source, a pip argv or a generated
//! file. `https://` only; `http://` only for loopback or the configured mirror; no userinfo
//! and no credential-looking query (they would be recorded in build history and provenance:
//! `[fleet] index_secret` keeps them in a BuildKit secret); no link-local, unspecified or cloud
//! metadata address; and so never a scheme BuildKit maps to another source type
//! (`docker-image://`, `git://`, `local://`, `oci-layout://`: buildkit `source/types`).

use std::net::{Ipv4Addr, Ipv6Addr};

/// What a URL is used for; only an explicitly configured mirror may be plain `http://` off
/// loopback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlUse {
    /// A locked file's download URL.
    Artifact,
    /// A package index (`--index-url`, `[[package]] source.registry`, PEP 751 `index`).
    Index,
    /// `[fleet] artifact_mirror` / `FLEET_ARTIFACT_MIRROR`.
    Mirror,
}

/// Longest URL accepted.
pub const MAX_URL: usize = 4096;

/// Host names of cloud metadata services (AWS, GCP, Azure, OpenStack, Alibaba).
const METADATA_HOSTS: &[&str] =
    &["metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal"];

/// Query keys that carry credentials (substrings, lowercase).
const SECRET_KEYS: &[&str] = &["token", "secret", "passw", "signature", "credential", "auth", "session", "jwt"];

/// Query keys that carry credentials (exact, lowercase).
const SECRET_KEYS_EXACT: &[&str] = &["key", "api_key", "apikey", "sig", "pass", "pwd"];

/// A refused URL: what is wrong and what to do instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlProblem {
    /// Lowercase, names the part at fault.
    pub message: String,
    /// A hint.
    pub help: &'static str,
}

const HELP_HTTPS: &str =
    "lock files from an https:// index (http:// only for 127.0.0.1/localhost or a configured mirror)";
const HELP_SECRET: &str =
    "keep index credentials out of manifests and locks: put the index URL in a BuildKit secret named by `[fleet] index_secret`";

fn problem(message: impl Into<String>, help: &'static str) -> Option<UrlProblem> {
    Some(UrlProblem { message: message.into(), help })
}

/// Why `url` may not be used as `what`, if it may not.
pub fn url_problem(url: &str, what: UrlUse) -> Option<UrlProblem> {
    if url.len() > MAX_URL {
        return problem(format!("is {} bytes; the limit is {MAX_URL}", url.len()), HELP_HTTPS);
    }
    if let Some(c) = url.chars().find(|c| c.is_whitespace() || c.is_control() || !c.is_ascii() || *c == '\\') {
        return problem(format!("contains the character U+{:04X}", u32::from(c)), HELP_HTTPS);
    }
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) if s == "https" || s == "http" => (s, r),
        Some((s, _)) => return problem(format!("has scheme `{s}`; only https:// is fetched"), HELP_HTTPS),
        None => return problem("is not an absolute https:// URL", HELP_HTTPS),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if authority.contains('@') {
        return problem("has userinfo (`user:password@`)", HELP_SECRET);
    }
    let host = match host_of(authority) {
        Ok(h) => h,
        Err(p) => return Some(p),
    };
    if let Some(why) = forbidden_host(&host) {
        return problem(format!("points at {why} `{host}`"), HELP_HTTPS);
    }
    if scheme == "http" && what != UrlUse::Mirror && !is_loopback(&host) {
        return problem(format!("uses plain http:// to `{host}`"), HELP_HTTPS);
    }
    let query = tail.split('#').next().unwrap_or("").split_once('?').map_or("", |(_, q)| q);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let key = pair.split('=').next().unwrap_or(pair).to_ascii_lowercase();
        if SECRET_KEYS.iter().any(|k| key.contains(k)) || SECRET_KEYS_EXACT.contains(&key.as_str()) {
            return problem(format!("has a credential-looking query parameter `{key}`"), HELP_SECRET);
        }
    }
    None
}

/// The host of `authority` (lowercase, IPv6 without brackets), or why it is malformed.
fn host_of(authority: &str) -> Result<String, UrlProblem> {
    let bad = |m: &str| Err(UrlProblem { message: m.into(), help: HELP_HTTPS });
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, p)) => (h, p.strip_prefix(':')),
            None => return bad("has an unclosed `[` in its host"),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if port.is_some_and(|p| p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit())) {
        return bad("has a malformed port");
    }
    if host.is_empty() {
        return bad("has no host");
    }
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '_');
    if !host.chars().all(ok) {
        return bad("has a malformed host");
    }
    Ok(host.trim_end_matches('.').to_ascii_lowercase())
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<Ipv4Addr>().is_ok_and(|a| a.is_loopback()) || host == "::1"
}

/// A host no build step may fetch from: link-local and metadata addresses (cloud credentials
/// live there), unspecified and broadcast addresses, and numeric forms a resolver might read as
/// one of them (`2852039166`, `0xa9.0xfe.0xa9.0xfe`).
fn forbidden_host(host: &str) -> Option<&'static str> {
    if METADATA_HOSTS.contains(&host) {
        return Some("the cloud metadata host");
    }
    if host.contains(':') {
        let Ok(a) = host.parse::<Ipv6Addr>() else { return Some("a malformed IPv6 address") };
        if let Some(v4) = a.to_ipv4_mapped() {
            return forbidden_v4(v4);
        }
        let seg = a.segments();
        return if a.is_unspecified() || a.is_multicast() {
            Some("the unspecified or multicast address")
        } else if seg[0] & 0xffc0 == 0xfe80 {
            Some("the link-local address")
        } else if seg[0] == 0xfd00 && seg[1] == 0x0ec2 {
            Some("the cloud metadata address")
        } else {
            None
        };
    }
    let last = host.rsplit('.').next().unwrap_or(host);
    if last.starts_with(|c: char| c.is_ascii_digit()) {
        return match host.parse::<Ipv4Addr>() {
            Ok(a) => forbidden_v4(a),
            Err(_) => Some("a non-standard numeric address"),
        };
    }
    None
}

fn forbidden_v4(a: Ipv4Addr) -> Option<&'static str> {
    if a.is_link_local() {
        Some("the link-local (cloud metadata) address")
    } else if a.octets() == [100, 100, 100, 200] {
        Some("the cloud metadata address")
    } else if a.is_unspecified() || a.octets()[0] == 0 || a.is_broadcast() || a.is_multicast() {
        Some("the unspecified, broadcast or multicast address")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str, what: UrlUse) -> String {
        url_problem(url, what).map(|p| p.message).unwrap_or_else(|| panic!("{url} was accepted"))
    }

    #[test]
    fn https_and_loopback_http_pass() {
        for ok in [
            "https://files.pythonhosted.org/packages/aa/bb/six-1.16.0-py2.py3-none-any.whl",
            "https://pypi.org/simple",
            "http://127.0.0.1:8099/six-1.16.0-py2.py3-none-any.whl",
            "http://localhost:5000/x.whl",
            "http://[::1]:80/x.whl",
            "https://download.pytorch.org/whl/cu121/torch-2.2.2%2Bcu121-cp311-cp311-linux_x86_64.whl#sha256=ab",
            "https://example.com/x.whl?raw=1",
        ] {
            assert_eq!(url_problem(ok, UrlUse::Artifact), None, "{ok}");
        }
        assert_eq!(url_problem("http://mirror.lan:8080/", UrlUse::Mirror), None);
    }

    #[test]
    fn other_schemes_credentials_and_metadata_are_refused() {
        let a = UrlUse::Artifact;
        assert!(refused("file:///etc/passwd", a).contains("scheme `file`"));
        assert!(refused("docker-image://alpine", a).contains("scheme `docker-image`"));
        assert!(refused("git://github.com/x/y", a).contains("scheme `git`"));
        assert!(refused("ftp://h/x.whl", a).contains("scheme `ftp`"));
        assert!(refused("../x.whl", a).contains("not an absolute"));
        assert!(refused("HTTPS://h/x.whl", a).contains("scheme `HTTPS`"));
        assert!(refused("http://pypi.org/x.whl", a).contains("plain http://"));
        assert!(refused("https://user:tok@h/x.whl", a).contains("userinfo"));
        assert!(refused("https://h/x.whl?token=abc", a).contains("`token`"));
        assert!(refused("https://h/x.whl?X-Amz-Signature=abc", a).contains("`x-amz-signature`"));
        assert!(refused("http://169.254.169.254/latest/meta-data/", UrlUse::Mirror).contains("link-local"));
        assert!(refused("https://[fe80::1]/x", a).contains("link-local"));
        assert!(refused("https://[fd00:ec2::254]/x", a).contains("metadata"));
        assert!(refused("https://[::ffff:169.254.169.254]/x", a).contains("link-local"));
        assert!(refused("https://metadata.google.internal/x", a).contains("metadata host"));
        assert!(refused("https://2852039166/x", a).contains("numeric"));
        assert!(refused("https://0xa9.0xfe.0xa9.0xfe/x", a).contains("numeric"));
        assert!(refused("https://0.0.0.0/x", a).contains("unspecified"));
        assert!(refused("https://h/a b.whl", a).contains("U+0020"));
        assert!(refused("https:///x.whl", a).contains("no host"));
        assert!(refused("https://h:99999999/x", a).contains("port"));
    }
}
