//! Index names from a pattern over the document's time, as in Logstash:
//! `twitter-%{+YYYY.MM.dd}` gives `twitter-2016.08.30`.
//!
//! Inside `%{+...}` the Joda-style letters `yyyy`/`YYYY` (year), `yy`, `MM`,
//! `dd` and `HH` are supported; anything else is refused when the config is
//! loaded rather than producing odd index names at run time.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexPattern {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    /// A chrono format string translated from the Joda pattern.
    Time(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("unclosed `%{{` in index pattern `{0}`")]
    Unclosed(String),
    #[error("`%{{{0}}}`: only time formats such as `%{{+YYYY.MM.dd}}` are supported")]
    NotATime(String),
    #[error("unsupported letters `{0}` in time format (use yyyy, yy, MM, dd, HH)")]
    Letters(String),
    #[error("index names must be lowercase without spaces or any of \\/*?\"<>|,# (found `{0}`)")]
    IllegalName(String),
}

impl IndexPattern {
    pub fn parse(pattern: &str) -> Result<Self, PatternError> {
        let mut parts = Vec::new();
        let mut rest = pattern;
        while let Some(start) = rest.find("%{") {
            push_literal(&mut parts, &rest[..start])?;
            let end = rest[start..]
                .find('}')
                .ok_or_else(|| PatternError::Unclosed(pattern.to_owned()))?;
            let inner = &rest[start + 2..start + end];
            let format = inner
                .strip_prefix('+')
                .ok_or_else(|| PatternError::NotATime(inner.to_owned()))?;
            parts.push(Part::Time(joda_to_chrono(format)?));
            rest = &rest[start + end + 1..];
        }
        push_literal(&mut parts, rest)?;
        Ok(IndexPattern { parts })
    }

    /// Whether the name depends on the document's time.
    pub fn needs_timestamp(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Time(_)))
    }

    /// Every name the pattern can render, as an index expression
    /// (`twitter-*`), for index templates and for reading mappings.
    pub fn wildcard(&self) -> String {
        let mut expression = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => expression.push_str(text),
                Part::Time(_) if expression.ends_with('*') => {}
                Part::Time(_) => expression.push('*'),
            }
        }
        expression
    }

    pub fn render(&self, time: Option<DateTime<Utc>>) -> Option<String> {
        let mut name = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => name.push_str(text),
                Part::Time(format) => name.push_str(&time?.format(format).to_string()),
            }
        }
        Some(name)
    }
}

fn push_literal(parts: &mut Vec<Part>, text: &str) -> Result<(), PatternError> {
    let illegal = |c: char| c.is_uppercase() || c.is_whitespace() || "\\/*?\"<>|,#".contains(c);
    if text.chars().any(illegal) {
        return Err(PatternError::IllegalName(text.to_owned()));
    }
    if !text.is_empty() {
        parts.push(Part::Literal(text.to_owned()));
    }
    Ok(())
}

fn joda_to_chrono(format: &str) -> Result<String, PatternError> {
    let mut out = String::new();
    let mut rest = format;
    while !rest.is_empty() {
        let (token, chrono) = [
            ("yyyy", "%Y"),
            ("YYYY", "%Y"),
            ("yy", "%y"),
            ("MM", "%m"),
            ("dd", "%d"),
            ("HH", "%H"),
        ]
        .into_iter()
        .find(|(token, _)| rest.starts_with(token))
        .unwrap_or(("", ""));
        if !token.is_empty() {
            out.push_str(chrono);
            rest = &rest[token.len()..];
            continue;
        }
        let c = rest.chars().next().expect("rest is not empty");
        if c.is_ascii_alphabetic() {
            return Err(PatternError::Letters(rest.to_owned()));
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    Ok(out)
}

/// Reads a tweet time: Twitter's `Wed Aug 27 13:08:45 +0000 2008` or RFC 3339.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(text, "%a %b %d %H:%M:%S %z %Y")
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_logstash_style_daily_names() {
        let pattern = IndexPattern::parse("twitter-%{+YYYY.MM.dd}").unwrap();
        let time = parse_timestamp("Wed Aug 27 13:08:45 +0000 2008");
        assert_eq!(pattern.render(time).as_deref(), Some("twitter-2008.08.27"));
        let iso = parse_timestamp("2016-08-30T23:59:59+02:00");
        assert_eq!(pattern.render(iso).as_deref(), Some("twitter-2016.08.30"));
        assert_eq!(pattern.render(None), None);
        assert_eq!(pattern.wildcard(), "twitter-*");
    }

    #[test]
    fn fixed_names_need_no_time() {
        let pattern = IndexPattern::parse("tweets").unwrap();
        assert!(!pattern.needs_timestamp());
        assert_eq!(pattern.render(None).as_deref(), Some("tweets"));
        assert_eq!(pattern.wildcard(), "tweets");
    }

    #[test]
    fn refuses_what_would_make_bad_index_names() {
        assert!(matches!(
            IndexPattern::parse("Twitter"),
            Err(PatternError::IllegalName(_))
        ));
        assert!(matches!(
            IndexPattern::parse("t-%{+YYYY"),
            Err(PatternError::Unclosed(_))
        ));
        assert!(matches!(
            IndexPattern::parse("t-%{user}"),
            Err(PatternError::NotATime(_))
        ));
        assert!(matches!(
            IndexPattern::parse("t-%{+EEE}"),
            Err(PatternError::Letters(_))
        ));
    }
}
