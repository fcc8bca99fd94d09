//! Checks that keep the runtime contract the frontend's: the health path is URL path text (it
//! reaches the HEALTHCHECK probe, as argv), the workdir is not a system tree, `writable`
//! entries are plain relative paths (they become exclude patterns), and manifest labels and env
//! cannot replace the keys the frontend sets. Values come from untrusted pull requests.

use std::collections::BTreeMap;

use super::types::SString;
use crate::diag::{Diagnostic, SourceFile};
use crate::rules;

/// Longest health path accepted (a probe URL, not a document).
pub const MAX_HEALTH_PATH: usize = 1024;

/// Labels the frontend sets on every service image; a manifest may not replace them.
pub const RESERVED_LABELS: &[&str] =
    &["health_check_port", "fleet.machine", "fleet.family", "org.opencontainers.image.title"];

/// Env vars of the runtime contract (the app binds PORT and HEALTH_PORT, the probe reads
/// HEALTH_PATH, PATH finds the locked packages' scripts); a manifest may not replace them.
pub const RESERVED_ENV: &[&str] =
    &["PORT", "HEALTH_PORT", "HEALTH_PATH", "SERVICE_NAME", "PATH", "PYTHONPATH", "FLEET_MACHINE"];

/// Workdir prefixes that hold the system: an app copied there (with `writable` directories
/// owned by the service user) could replace system files or shadow programs on PATH.
const SYSTEM_TREES: &[&str] = &[
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/proc",
    "/root",
    "/run",
    "/sbin",
    "/sys",
    "/usr",
    "/var",
    "/tmp",
    "/opt/fleet",
];

/// Characters of a health path besides letters, digits and `%HH`: RFC 3986 `pchar` and `/`
/// without quotes and parentheses, plus `?` for a query. Nothing that means anything to a shell
/// or to Python string syntax.
const PATH_PUNCT: &str = "-._~!$&*+,;=:@/?";

/// Why `p` is not a health path, if it is not one. The probe gets the URL as `sys.argv[1]`; the
/// grammar keeps it a plain URL path as well.
pub fn health_path_problem(p: &str) -> Option<String> {
    if !p.starts_with('/') {
        return Some("must start with `/`".into());
    }
    if p.len() > MAX_HEALTH_PATH {
        return Some(format!("is {} bytes; the limit is {MAX_HEALTH_PATH}", p.len()));
    }
    let b = p.as_bytes();
    for (i, c) in p.char_indices() {
        if c == '%' {
            let hex = b.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
            if !hex {
                return Some("has a `%` that is not followed by two hex digits".into());
            }
        } else if !(c.is_ascii_alphanumeric() || PATH_PUNCT.contains(c)) {
            return Some(format!("contains {}; it may use only letters, digits, `%HH` and `{PATH_PUNCT}`", show(c)));
        }
    }
    None
}

/// `s` for a message: control characters escaped (`\n`, `\u{7}`), the rest as written.
pub fn printable(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { c.escape_debug().to_string() } else { c.to_string() }).collect()
}

/// A character for a message: printable ones quoted, others as a code point.
fn show(c: char) -> String {
    if c.is_whitespace() {
        format!("whitespace (U+{:04X})", u32::from(c))
    } else if c.is_control() || !c.is_ascii() {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("`{c}`")
    }
}

/// Why `wd` is not a workdir, if it is not one.
pub fn workdir_problem(wd: &str) -> Option<String> {
    if let Some(c) = wd.chars().find(|c| c.is_control()) {
        return Some(format!("contains the control character {}", show(c)));
    }
    if !wd.starts_with('/') || wd.split('/').any(|c| c == ".." || c == ".") || wd.trim_end_matches('/').is_empty() {
        return Some("must be an absolute path below `/` without `.` or `..`".into());
    }
    let norm: String = wd.split('/').filter(|c| !c.is_empty()).fold(String::new(), |acc, c| acc + "/" + c);
    let sys = SYSTEM_TREES.iter().find(|t| norm == **t || norm.starts_with(&format!("{t}/")));
    sys.map(|t| format!("is inside the system tree `{t}`; use a path such as `/app` or `/srv/NAME`"))
}

/// Why a `writable` entry is not a plain relative path, if it is not one (they become the
/// exclude patterns of the app copy, where `*`, `?`, `[` and a leading `!` are pattern syntax).
pub fn writable_problem(w: &str) -> Option<String> {
    if w.starts_with('!') {
        return Some("starts with `!` (a negated pattern)".into());
    }
    if let Some(c) = w.chars().find(|c| matches!(c, '*' | '?' | '[' | ']' | '\\' | '{' | '}')) {
        return Some(format!("contains the pattern character `{c}`; name plain directories"));
    }
    None
}

/// Manifest labels: keys non-empty and printable, not one of [`RESERVED_LABELS`].
pub fn check_labels(file: &SourceFile, n: &str, labels: &BTreeMap<SString, SString>, out: &mut Vec<Diagnostic>) {
    for k in labels.keys() {
        let key = k.get_ref();
        let msg = if key.trim().is_empty() {
            format!("service `{n}`: label key is empty")
        } else if let Some(c) = key.chars().find(|c| c.is_control() || c.is_whitespace()) {
            format!("service `{n}`: label key `{}` contains {}", printable(key), show(c))
        } else if RESERVED_LABELS.contains(&key.as_str()) {
            let d = Diagnostic::error(file, k.span(), format!("service `{n}`: label `{key}` is set by the frontend"))
                .with_help("the runtime contract owns this key; remove it from labels");
            out.push(d.rule(&rules::RESERVED_CONTRACT_KEY));
            continue;
        } else {
            continue;
        };
        out.push(Diagnostic::error(file, k.span(), msg).rule(&rules::INVALID_LABEL));
    }
}

/// Manifest env (of a service or a family): not one of [`RESERVED_ENV`].
pub fn check_reserved_env(file: &SourceFile, owner: &str, env: &BTreeMap<SString, SString>, out: &mut Vec<Diagnostic>) {
    for k in env.keys().filter(|k| RESERVED_ENV.contains(&k.get_ref().as_str())) {
        let msg = format!("{owner}: environment variable `{}` is set by the frontend", k.get_ref());
        let d =
            Diagnostic::error(file, k.span(), msg).with_help("the runtime contract owns this key; remove it from env");
        out.push(d.rule(&rules::RESERVED_CONTRACT_KEY));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_paths_are_url_path_text() {
        for ok in ["/health", "/v1/health?verbose=1", "/a%2Fb", "/~x/y.json", "/a:b@c"] {
            assert_eq!(health_path_problem(ok), None, "{ok}");
        }
        let injection = "/x',timeout=3);import os;os.system('id');u.urlopen('http://h/";
        assert!(health_path_problem(injection).unwrap().contains("`'`"));
        for bad in ["health", "/a b", "/a\nb", "/a\"b", "/a\\b", "/%zz", "/%4", "/a#b", "/a`b", "/é"] {
            assert!(health_path_problem(bad).is_some(), "{bad:?}");
        }
        assert!(health_path_problem(&format!("/{}", "a".repeat(MAX_HEALTH_PATH))).is_some());
    }

    #[test]
    fn workdirs_stay_out_of_system_trees() {
        for ok in ["/app", "/srv/hello", "/opt/app", "/home/app", "/application", "/usr-app"] {
            assert_eq!(workdir_problem(ok), None, "{ok}");
        }
        for bad in ["/etc", "/usr/local", "//usr/local/", "/opt/fleet/site", "/app\n", "/tmp/x", "/", "/a/../etc"] {
            assert!(workdir_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn writable_entries_are_not_patterns() {
        assert_eq!(writable_problem("data/cache"), None);
        for bad in ["*", "!x", "da?a", "[ab]", "a\\b", "{a,b}"] {
            assert!(writable_problem(bad).is_some(), "{bad}");
        }
    }
}
