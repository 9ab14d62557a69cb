//! Path patterns: dotted paths where `*` matches any run of characters,
//! dots included (`user.profile_*`, `*.indices`, `*_str`).

/// One pattern, checked when the plugin starts.
#[derive(Debug, Clone)]
pub struct Pattern(Box<str>);

impl Pattern {
    /// Parses `pattern`, refusing one that no dotted path could match.
    pub fn parse(pattern: &str) -> Result<Self, String> {
        if pattern.is_empty() {
            return Err("a pattern is empty".to_owned());
        }
        if pattern.split('.').any(str::is_empty) {
            return Err(format!(
                "pattern `{pattern}` has an empty path segment (a leading, trailing or double dot)"
            ));
        }
        Ok(Pattern(pattern.into()))
    }

    /// Whether the whole of `path` matches.
    pub fn matches(&self, path: &str) -> bool {
        wildcard(self.0.as_bytes(), path.as_bytes(), false)
    }

    /// Whether some path below `path` (`path.x`, `path.x.y`, ...) could match,
    /// so a walk can skip subtrees where nothing can.
    pub fn may_match_below(&self, path: &str) -> bool {
        let mut prefix = String::with_capacity(path.len() + 1);
        prefix.push_str(path);
        prefix.push('.');
        wildcard(self.0.as_bytes(), prefix.as_bytes(), true)
    }
}

/// A list of patterns from one config key.
#[derive(Debug, Clone, Default)]
pub struct Patterns(Vec<Pattern>);

impl Patterns {
    /// Parses every pattern of the config key `key`; an error names the key.
    pub fn parse(key: &str, patterns: &[String]) -> Result<Self, String> {
        patterns
            .iter()
            .map(|p| Pattern::parse(p).map_err(|e| format!("invalid `{key}`: {e}")))
            .collect::<Result<_, _>>()
            .map(Patterns)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn matches(&self, path: &str) -> bool {
        self.0.iter().any(|p| p.matches(path))
    }

    pub fn may_match_below(&self, path: &str) -> bool {
        self.0.iter().any(|p| p.may_match_below(path))
    }
}

/// Glob matching with `*` as the only wildcard, in linear time for the
/// usual patterns: on a mismatch only the last `*` seen takes one more
/// character, because a later `*` can absorb anything an earlier one could.
/// With `prefix_only`, running out of text before the pattern ends is a
/// match: the rest of the pattern could still match what follows.
fn wildcard(pattern: &[u8], text: &[u8], prefix_only: bool) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut last_star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                last_star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match last_star {
                Some((star, from)) => {
                    p = star + 1;
                    t = from + 1;
                    last_star = Some((star, from + 1));
                }
                None => return false,
            },
        }
    }
    prefix_only || pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    fn pattern(p: &str) -> Pattern {
        Pattern::parse(p).unwrap()
    }

    #[test]
    fn literal_patterns_match_only_their_path() {
        let p = pattern("user.screen_name");
        assert!(p.matches("user.screen_name"));
        assert!(!p.matches("user.screen_name_x"));
        assert!(!p.matches("retweeted_status.user.screen_name"));
    }

    #[test]
    fn star_matches_any_run_including_dots() {
        assert!(pattern("user.profile_*").matches("user.profile_image_url"));
        assert!(!pattern("user.profile_*").matches("user.name"));
        assert!(pattern("*.indices").matches("entities.hashtags.indices"));
        assert!(!pattern("*.indices").matches("indices"));
        assert!(pattern("*_str").matches("id_str"));
        assert!(pattern("*_str").matches("retweeted_status.user.id_str"));
        assert!(!pattern("*_str").matches("id_string"));
        assert!(pattern("*user*name").matches("retweeted_status.user.screen_name"));
        assert!(pattern("a*b*c").matches("aXbYbZc"));
        assert!(!pattern("a*b*c").matches("aXbYc_"));
    }

    #[test]
    fn below_tells_whether_a_subtree_can_hold_a_match() {
        assert!(pattern("user.screen_name").may_match_below("user"));
        assert!(!pattern("user.screen_name").may_match_below("entities"));
        assert!(!pattern("user.screen_name").may_match_below("user.entities"));
        assert!(pattern("*_str").may_match_below("entities"));
        assert!(pattern("entities.*.text").may_match_below("entities.hashtags"));
        assert!(!pattern("id_str").may_match_below("id_str"));
    }

    #[test]
    fn malformed_patterns_are_refused() {
        assert!(Pattern::parse("").is_err());
        let err = Pattern::parse("user..name").unwrap_err();
        assert!(err.contains("user..name"), "{err}");
        assert!(Pattern::parse("user.").is_err());
    }
}
