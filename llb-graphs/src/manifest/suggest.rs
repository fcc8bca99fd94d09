//! "Did you mean" hints (BuildKit util/suggest: closest name by edit distance).

/// Candidates compared per hint: a hint costs at most this many edit distances, so a manifest
/// of many unknown names stays linear.
pub const MAX_CANDIDATES: usize = 256;

/// The candidate closest to `word` among the first [`MAX_CANDIDATES`], if it is close enough to
/// be a likely typo.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word_l = word.to_lowercase();
    candidates
        .into_iter()
        .take(MAX_CANDIDATES)
        .map(|c| (strsim::damerau_levenshtein(&word_l, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1) || c.starts_with(word) && word.len() >= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggests_close_names_only() {
        let keys = ["family", "source", "command", "ports", "health_path"];
        assert_eq!(did_you_mean("prots", keys), Some("ports"));
        assert_eq!(did_you_mean("famly", keys), Some("family"));
        assert_eq!(did_you_mean("healthpath", keys), Some("health_path"));
        assert_eq!(did_you_mean("zzzzzz", keys), None);
    }
}
