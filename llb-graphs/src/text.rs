//! The writers of generated text. Values from manifests and lockfiles reach generated programs
//! only as argv or env, or through these two functions, which first prove that the value
//! matches a strict grammar: [`requirement_line`] (one pip requirements line) and [`sh_quote`]
//! (one sh word). Either returns an error rather than text that could mean something else.

use crate::lock::normalize_name;
use crate::lock::version::Version;

/// Why a value cannot be written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// Not a PEP 508 name.
    #[error("`{0}` is not a valid package name")]
    Name(String),
    /// Not a PEP 440 version (or it has whitespace or control characters).
    #[error("`{0}` is not a PEP 440 version")]
    Version(String),
    /// Not 64 lowercase hex digits.
    #[error("`{0}` is not a sha256 digest (64 lowercase hex digits)")]
    Hash(String),
    /// No hash at all: pip's `--require-hashes` would refuse the file anyway.
    #[error("requirement `{0}` has no hash")]
    NoHash(String),
    /// A NUL byte, which no sh word (nor C string) can carry.
    #[error("the value contains a NUL byte")]
    Nul,
}

/// `version` in PEP 440 normal form, if it is a version written without whitespace or control
/// characters (`packaging` strips surrounding whitespace; a lock never needs it, so it is refused).
pub fn normalized_version(version: &str) -> Result<String, TextError> {
    let bad = || TextError::Version(version.chars().flat_map(char::escape_default).collect());
    if version.is_empty() || version.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    version.parse::<Version>().map(|v| v.to_string()).map_err(|_| bad())
}

/// A PEP 503 name, if `name` is a PEP 508 name.
fn checked_name(name: &str) -> Result<String, TextError> {
    if crate::lock::is_valid_name(name) {
        Ok(normalize_name(name))
    } else {
        Err(TextError::Name(name.chars().flat_map(char::escape_default).collect()))
    }
}

/// `name==version --hash=sha256:H ...\n`, the only requirement form pip's `--require-hashes`
/// mode accepts (pip `req_file.py`): the name normalised, the version in PEP 440 normal form,
/// every hash 64 lowercase hex digits. Nothing else can reach the line.
pub fn requirement_line(name: &str, version: &str, hashes: &[String]) -> Result<String, TextError> {
    let name = checked_name(name)?;
    let version = normalized_version(version)?;
    if hashes.is_empty() {
        return Err(TextError::NoHash(name));
    }
    let mut line = format!("{name}=={version}");
    for h in hashes {
        if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(TextError::Hash(h.chars().flat_map(char::escape_default).collect()));
        }
        line.push_str(" --hash=sha256:");
        line.push_str(h);
    }
    line.push('\n');
    Ok(line)
}

/// `s` as one sh word: single-quoted, each `'` written as `'\''` (POSIX sh §2.2.3: nothing is
/// special inside single quotes). Words of only safe characters stay bare.
pub fn sh_quote(s: &str) -> Result<String, TextError> {
    if s.contains('\0') {
        return Err(TextError::Nul);
    }
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        return Ok(s.to_string());
    }
    Ok(format!("'{}'", s.replace('\'', r"'\''")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /// `packaging` is the oracle: `hack/oracles/pep440.py` wrote the expected normal forms.
    #[test]
    fn versions_normalise_as_packaging_does() {
        let table = include_str!("../tests/fixtures/pep440.tsv");
        let mut n = 0;
        let mut bad = vec![];
        for line in table.lines().filter(|l| !l.starts_with('#')) {
            let (input, want) = line.split_once('\t').expect("two columns");
            let input: String = serde_json::from_str(input).expect("JSON string");
            let got = normalized_version(&input);
            // Whitespace is refused here even where packaging strips it.
            let ok = if input.trim() != input || want == "INVALID" { got.is_err() } else { got.as_deref() == Ok(want) };
            if !ok {
                bad.push(format!("{input:?}: packaging {want}, here {got:?}"));
            }
            n += 1;
        }
        assert!(bad.is_empty(), "{bad:#?}");
        assert!(n > 40);
    }

    #[test]
    fn requirement_lines_are_one_pinned_hashed_line() {
        let l = requirement_line("Typing_Extensions", "4.12.2", &[H.into()]).unwrap();
        assert_eq!(l, format!("typing-extensions==4.12.2 --hash=sha256:{H}\n"));
        assert_eq!(
            requirement_line("six", "1.0-post1", &[H.into()]).unwrap(),
            format!("six==1.0.post1 --hash=sha256:{H}\n")
        );
        let injected = "1.0\n--extra-index-url https://evil.example/simple";
        assert!(matches!(requirement_line("six", injected, &[H.into()]), Err(TextError::Version(_))));
        assert!(matches!(requirement_line("six", "1.0 ", &[H.into()]), Err(TextError::Version(_))));
        assert!(matches!(requirement_line("six @ https://x", "1", &[H.into()]), Err(TextError::Name(_))));
        assert!(matches!(requirement_line("six", "1", &[format!("{H}\n-e .")]), Err(TextError::Hash(_))));
        assert!(matches!(requirement_line("six", "1", &[]), Err(TextError::NoHash(_))));
    }

    #[test]
    fn sh_words_are_single_quoted() {
        assert_eq!(sh_quote("/opt/fleet/site").unwrap(), "/opt/fleet/site");
        assert_eq!(sh_quote("").unwrap(), "''");
        assert_eq!(sh_quote("a b").unwrap(), "'a b'");
        assert_eq!(sh_quote("it's $(id)`x`").unwrap(), r"'it'\''s $(id)`x`'");
        assert_eq!(sh_quote("a\0b"), Err(TextError::Nul));
    }
}
