//! The envelopes people save tweets in, opened into one record per tweet:
//! the v1.1 search API's `{"statuses": [...]}`, premium and enterprise
//! search's `{"results": [...], "next": ...}`, API v2 response pages
//! `{"data": [...], "includes": {...}}` (as twarc and tweepy write them),
//! and plain arrays.
//!
//! A tweet of a v2 page refers to its author, media, place and the tweets
//! it retweets or quotes by id; they are in the page's `includes`. Each
//! tweet becomes `{"data": TWEET, "includes": {...}}` holding the includes
//! it (and the tweets it refers to) uses, the shape of a v2 stream line, so
//! that a tweet's record is complete on its own and a page's includes are
//! not copied into every one of its tweets.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::value::RawValue;

/// The keys whose array is a list of tweets, in a search response.
const TWEET_LISTS: &[&str] = &["statuses", "results"];
/// The `includes` lists, and the key their items are referred to by.
const INCLUDE_LISTS: &[(&str, &str)] = &[
    ("users", "id"),
    ("tweets", "id"),
    ("media", "media_key"),
    ("places", "id"),
    ("polls", "id"),
];

/// What one JSON document holds.
pub enum Opened {
    /// The records cut out of an envelope or array.
    Records(Vec<Vec<u8>>),
    /// Not an envelope: the document is one record.
    Whole,
}

/// Whether a line of NDJSON may be an envelope object, judged from its
/// first key without parsing it, so that an ordinary tweet line costs no
/// second parse. A line holding an array is not opened: it stays one record
/// (and one dead letter), as any value that is no object.
pub fn may_be_envelope(bytes: &[u8]) -> bool {
    let Some(after_brace) = bytes.trim_ascii_start().strip_prefix(b"{") else {
        return false;
    };
    let rest = after_brace.trim_ascii_start();
    [&b"\"data\""[..], b"\"statuses\"", b"\"results\""]
        .iter()
        .filter_map(|key| rest.strip_prefix(*key))
        // A list of tweets, not a v2 stream line's single `data` object.
        .any(|value| {
            value
                .trim_ascii_start()
                .strip_prefix(b":")
                .is_some_and(|v| v.trim_ascii_start().starts_with(b"["))
        })
}

/// Opens one JSON document; `Err` when it is not JSON at all (decode will
/// dead-letter it whole, with the reason).
pub fn open(bytes: &[u8]) -> Result<Opened, serde_json::Error> {
    if bytes.trim_ascii_start().first() == Some(&b'[') {
        let elements: Vec<&RawValue> = serde_json::from_slice(bytes)?;
        return Ok(Opened::Records(
            elements.into_iter().map(raw_bytes).collect(),
        ));
    }
    let object: HashMap<&str, &RawValue> = serde_json::from_slice(bytes)?;
    for key in TWEET_LISTS {
        if let Some(list) = object.get(key)
            && let Ok(tweets) = serde_json::from_str::<Vec<&RawValue>>(list.get())
        {
            return Ok(Opened::Records(tweets.into_iter().map(raw_bytes).collect()));
        }
    }
    if let Some(data) = object.get("data")
        && let Ok(tweets) = serde_json::from_str::<Vec<&RawValue>>(data.get())
    {
        let includes = Includes::read(object.get("includes").copied());
        return Ok(Opened::Records(
            tweets.into_iter().map(|t| includes.record_for(t)).collect(),
        ));
    }
    Ok(Opened::Whole)
}

fn raw_bytes(raw: &RawValue) -> Vec<u8> {
    raw.get().as_bytes().to_vec()
}

/// A page's `includes`, by list and key.
struct Includes<'a> {
    lists: Vec<(&'static str, HashMap<String, &'a RawValue>)>,
}

/// What a v2 tweet refers to.
#[derive(Deserialize, Default)]
#[serde(default)]
struct References {
    author_id: Option<String>,
    in_reply_to_user_id: Option<String>,
    referenced_tweets: Vec<Referenced>,
    attachments: Attachments,
    geo: Geo,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Referenced {
    id: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Attachments {
    media_keys: Vec<String>,
    poll_ids: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Geo {
    place_id: Option<String>,
}

impl<'a> Includes<'a> {
    fn read(includes: Option<&'a RawValue>) -> Self {
        let lists: HashMap<&str, Vec<&RawValue>> = includes
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
            .unwrap_or_default();
        let lists = INCLUDE_LISTS
            .iter()
            .map(|(name, key)| {
                let items = lists.get(name).into_iter().flatten().filter_map(|item| {
                    let keys: HashMap<&str, &RawValue> = serde_json::from_str(item.get()).ok()?;
                    let id: String = serde_json::from_str(keys.get(key)?.get()).ok()?;
                    Some((id, *item))
                });
                (*name, items.collect())
            })
            .collect();
        Includes { lists }
    }

    fn get(&self, list: &str, key: &str) -> Option<&'a RawValue> {
        let (_, items) = self.lists.iter().find(|(name, _)| *name == list)?;
        items.get(key).copied()
    }

    /// `{"data": tweet, "includes": {...}}` with what the tweet uses.
    fn record_for(&self, tweet: &RawValue) -> Vec<u8> {
        let mut used: Vec<(&'static str, Vec<&'a RawValue>)> = INCLUDE_LISTS
            .iter()
            .map(|(name, _)| (*name, Vec::new()))
            .collect();
        let mut pending = vec![tweet.get().to_owned()];
        let mut seen_tweets = Vec::new();
        while let Some(text) = pending.pop() {
            let refs: References = serde_json::from_str(&text).unwrap_or_default();
            let mut take = |list: &'static str, key: &str| {
                let item = self.get(list, key)?;
                let (_, items) = used.iter_mut().find(|(name, _)| *name == list)?;
                let is_new = !items.iter().any(|i| std::ptr::eq(*i, item));
                if is_new {
                    items.push(item);
                }
                Some((item, is_new))
            };
            for user in refs.author_id.iter().chain(&refs.in_reply_to_user_id) {
                take("users", user);
            }
            for key in &refs.attachments.media_keys {
                take("media", key);
            }
            for key in &refs.attachments.poll_ids {
                take("polls", key);
            }
            if let Some(place) = &refs.geo.place_id {
                take("places", place);
            }
            for referenced in &refs.referenced_tweets {
                if seen_tweets.contains(&referenced.id) {
                    continue;
                }
                seen_tweets.push(referenced.id.clone());
                if let Some((item, true)) = take("tweets", &referenced.id) {
                    pending.push(item.get().to_owned());
                }
            }
        }
        let mut out = Vec::with_capacity(tweet.get().len() * 2);
        out.extend_from_slice(b"{\"data\":");
        out.extend_from_slice(tweet.get().as_bytes());
        out.extend_from_slice(b",\"includes\":{");
        let mut first = true;
        for (name, items) in used.iter().filter(|(_, items)| !items.is_empty()) {
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(format!("\"{name}\":[").as_bytes());
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(item.get().as_bytes());
            }
            out.push(b']');
        }
        out.extend_from_slice(b"}}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{Opened, may_be_envelope, open};

    fn records(text: &str) -> Vec<String> {
        match open(text.as_bytes()).unwrap() {
            Opened::Records(records) => records
                .into_iter()
                .map(|r| String::from_utf8(r).unwrap())
                .collect(),
            Opened::Whole => vec!["WHOLE".into()],
        }
    }

    #[test]
    fn search_responses_and_arrays_give_their_tweets() {
        assert_eq!(
            records(r#"{"statuses":[{"id_str":"1"},{"id_str":"2"}],"search_metadata":{}}"#),
            [r#"{"id_str":"1"}"#, r#"{"id_str":"2"}"#]
        );
        assert_eq!(
            records(r#"{"results":[{"id_str":"3"}],"next":"abc","requestParameters":{}}"#),
            [r#"{"id_str":"3"}"#]
        );
        assert_eq!(
            records(r#"[{"a":1}, {"b":2}]"#),
            [r#"{"a":1}"#, r#"{"b":2}"#]
        );
        assert_eq!(records(r#"{"id_str":"1","data":{"x":1}}"#), ["WHOLE"]);
    }

    #[test]
    fn a_v2_page_gives_each_tweet_the_includes_it_uses() {
        let page = r#"{"data":[
            {"id":"10","author_id":"1","referenced_tweets":[{"type":"quoted","id":"20"}]},
            {"id":"11","author_id":"3","attachments":{"media_keys":["3_9"]}}],
          "includes":{"users":[{"id":"1","username":"a"},{"id":"2","username":"b"},{"id":"3","username":"c"}],
            "tweets":[{"id":"20","author_id":"2"}],
            "media":[{"media_key":"3_9","type":"photo"}]},
          "meta":{"result_count":2}}"#;
        assert_eq!(
            records(page),
            [
                r#"{"data":{"id":"10","author_id":"1","referenced_tweets":[{"type":"quoted","id":"20"}]},"includes":{"users":[{"id":"1","username":"a"},{"id":"2","username":"b"}],"tweets":[{"id":"20","author_id":"2"}]}}"#,
                r#"{"data":{"id":"11","author_id":"3","attachments":{"media_keys":["3_9"]}},"includes":{"users":[{"id":"3","username":"c"}],"media":[{"media_key":"3_9","type":"photo"}]}}"#,
            ]
        );
    }

    #[test]
    fn only_envelope_keys_first_are_candidates() {
        assert!(may_be_envelope(br#" {"data": [1]}"#));
        assert!(may_be_envelope(br#"{"results":[]}"#));
        assert!(!may_be_envelope(
            br#"{"data": {"id": "1"}, "includes": {}}"#
        ));
        assert!(!may_be_envelope(b"[1]"));
        assert!(!may_be_envelope(br#"{"created_at":"x","data":[]}"#));
    }
}
