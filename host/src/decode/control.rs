//! Stream control messages: the objects a Twitter stream sends between
//! tweets (`{"delete": ...}`, `{"limit": ...}`, `{"scrub_geo": ...}`, ...),
//! recognised at decode so that they never reach the plugins as if they
//! were tweets.
//!
//! A `delete` notice becomes a delete [`Document`](crate::record::Document)
//! for the tweet it names (Twitter's terms require honouring deletions);
//! every other notice is counted by kind in the run summary.

use crate::json::{Json, ValueType};

/// The single top-level keys of the v1.1 streams' control messages.
const KINDS: &[&str] = &[
    "delete",
    "scrub_geo",
    "limit",
    "status_withheld",
    "user_withheld",
    "disconnect",
    "warning",
];

/// A control message, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Delete the tweet with this id; `None` when the notice names none.
    Delete(Option<String>),
    /// Any other kind: counted, not written.
    Other(&'static str),
}

impl Notice {
    pub fn kind(&self) -> &'static str {
        match self {
            Notice::Delete(_) => "delete",
            Notice::Other(kind) => kind,
        }
    }
}

/// The notice `value` is, if it is one: an object with one key that names a
/// v1.1 control message, or an activity-streams activity whose verb is
/// `delete` (Gnip's compliance stream).
pub fn recognise(value: Json) -> Option<Notice> {
    let mut entries = value.entries();
    let (key, body) = entries.next()?;
    if let Some(kind) = KINDS.iter().find(|k| **k == key) {
        if entries.next().is_some() {
            return None;
        }
        return Some(match *kind {
            "delete" => Notice::Delete(body.get("status").and_then(tweet_id)),
            other => Notice::Other(other),
        });
    }
    if value.get("verb").and_then(Json::text) == Some("delete") {
        let id = value
            .get("object")
            .and_then(|object| object.get("id"))
            .and_then(Json::text)
            .and_then(activity_tweet_id);
        return Some(Notice::Delete(id));
    }
    None
}

/// `id_str`, else the numeric `id`, of the deleted status.
fn tweet_id(status: Json) -> Option<String> {
    if let Some(id) = status.get("id_str").and_then(Json::text) {
        return Some(id.to_owned());
    }
    status
        .get("id")
        .filter(|id| matches!(id.value_type(), ValueType::I64 | ValueType::U64))
        .and_then(Json::integer_text)
}

/// The tweet id at the end of an activity's id,
/// `tag:search.twitter.com,2005:887453193294282752`.
fn activity_tweet_id(id: &str) -> Option<String> {
    let digits = id.rsplit(':').next()?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.to_owned())
}

#[cfg(test)]
mod tests {
    use super::{Notice, recognise};
    use crate::json::{Json, Parser};

    fn notice(text: &str) -> Option<Notice> {
        let mut parser = Parser::default();
        let tape = parser.parse(text.as_bytes()).unwrap();
        recognise(Json::root(&tape))
    }

    #[test]
    fn delete_notices_name_their_tweet() {
        assert_eq!(
            notice(
                r#"{"delete":{"status":{"id":1234,"id_str":"1234","user_id":3,"user_id_str":"3"}}}"#
            ),
            Some(Notice::Delete(Some("1234".into())))
        );
        assert_eq!(
            notice(r#"{"delete":{"status":{"id":303747490128207873,"user_id":74558989}}}"#),
            Some(Notice::Delete(Some("303747490128207873".into())))
        );
        assert_eq!(
            notice(
                r#"{"verb":"delete","object":{"id":"tag:search.twitter.com,2005:887453193294282752"}}"#
            ),
            Some(Notice::Delete(Some("887453193294282752".into())))
        );
        assert_eq!(notice(r#"{"delete":{}}"#), Some(Notice::Delete(None)));
    }

    #[test]
    fn other_notices_by_kind_and_tweets_are_none() {
        assert_eq!(
            notice(r#"{"limit":{"track":1234}}"#),
            Some(Notice::Other("limit"))
        );
        assert_eq!(notice(r#"{"delete":{},"text":"a tweet"}"#), None);
        assert_eq!(notice(r#"{"created_at":"x","id_str":"1"}"#), None);
        assert_eq!(notice(r#"{}"#), None);
    }
}
