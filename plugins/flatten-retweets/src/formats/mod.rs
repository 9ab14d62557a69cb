//! Which tweet format a record is in, and the readers that turn each format
//! into a [`Tweet`]: v1.1 ([`v1`]: REST, streaming with `extended_tweet`,
//! premium and enterprise search with `matching_rules`, tweets with only a
//! numeric `id`), Gnip activity streams ([`activity`]) and API v2 ([`v2`]:
//! a stream line or page tweet with its `includes`, a bare tweet, or a
//! tweet flattened by twarc with its expansions inline).
//!
//! A record in none of them is described by what it looks like, so that
//! the dead letter says what it is ([`looks_like`]).

mod activity;
mod v1;
mod v2;

use sluice_sdk::simd_json::cow::Cow;

use crate::json::{Json, object, string};
use crate::tweet::Tweet;

/// The formats the plugin reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    V1,
    ActivityStreams,
    V2,
}

impl Format {
    /// The value of the output's `tweet_format` field.
    pub fn name(self) -> &'static str {
        match self {
            Format::V1 => "v1.1",
            Format::ActivityStreams => "activity_streams",
            Format::V2 => "v2",
        }
    }
}

/// The record's format, if it is a tweet in one the plugin reads.
pub fn recognise<'doc, J: Json<'doc>>(doc: J) -> Option<Format> {
    if !doc.is_object() {
        return None;
    }
    if object(doc, "data").is_some() || v2::is_tweet(doc) {
        return Some(Format::V2);
    }
    if v1::is_tweet(doc) {
        return Some(Format::V1);
    }
    if activity::is_tweet(doc) {
        return Some(Format::ActivityStreams);
    }
    None
}

/// Reads the record as a tweet in `format`; `None` when it lacks what
/// every tweet of that format has (an id).
pub fn read<'doc, J: Json<'doc>>(doc: J, format: Format) -> Option<Tweet<'doc>> {
    let mut tweet = match format {
        Format::V1 => v1::read(doc, 0)?,
        Format::ActivityStreams => activity::read(doc, 0)?,
        Format::V2 => v2::read(doc)?,
    };
    tweet.set_format(format.name());
    Some(tweet)
}

/// What a record that is not a tweet looks like, for its dead letter.
pub fn looks_like<'doc, J: Json<'doc>>(doc: J) -> String {
    if !doc.is_object() {
        return format!("a JSON {:?}, not an object", doc.json_type());
    }
    let has = |key: &str| doc.field(key).is_some();
    let what = if doc
        .field("data")
        .is_some_and(|d| d.elements().next().is_some())
    {
        "an API v2 response page (`data` is a list): read it with the file source, which opens \
         pages into one record per tweet"
            .to_owned()
    } else if has("statuses") || has("results") {
        "a search API response envelope: read it with the file source, which opens it into one \
         record per tweet"
            .to_owned()
    } else if has("screen_name") && has("followers_count") {
        "a v1.1 user object, not a tweet".to_owned()
    } else if has("username") && !has("text") {
        "an API v2 user object, not a tweet".to_owned()
    } else if has("errors") && !has("data") {
        "an API error response".to_owned()
    } else if let Some(verb) = string(doc, "verb") {
        format!("an activity-streams activity with verb `{verb}` but no tweet id")
    } else if has("text") || has("full_text") {
        "a tweet-like object without an `id_str` or numeric `id`".to_owned()
    } else {
        "no tweet format the plugin reads".to_owned()
    };
    let mut keys = doc.keys();
    keys.sort_unstable();
    keys.truncate(12);
    format!("not a tweet: {what} (top-level keys: {})", keys.join(", "))
}

/// The https URL of every media item of a v1.1-style `entities` object.
fn media_urls<'doc, J: Json<'doc>>(candidates: &[Option<J>]) -> Vec<Cow<'doc, str>> {
    for entities in candidates.iter().flatten() {
        let urls = texts(*entities, "media", "media_url_https");
        if !urls.is_empty() {
            return urls;
        }
    }
    Vec::new()
}

/// `key` of every object in the list `list`, e.g. each hashtag's text.
fn texts<'doc, J: Json<'doc>>(obj: J, list: &str, key: &str) -> Vec<Cow<'doc, str>> {
    obj.field(list)
        .into_iter()
        .flat_map(Json::elements)
        .filter_map(|item| string(item, key))
        .collect()
}

/// v1.1-style `entities`: hashtags, mentions and URLs (shared by v1.1 and
/// activity streams, whose `twitter_entities` are the same objects).
fn write_entities<'doc, J: Json<'doc>>(entities: Option<J>, tweet: &mut Tweet<'doc>) {
    if let Some(entities) = entities {
        tweet.hashtags = texts(entities, "hashtags", "text");
        tweet.mentions = texts(entities, "user_mentions", "screen_name");
        tweet.urls = texts(entities, "urls", "expanded_url");
    }
}

/// An integer, also when the format writes it as a string.
fn int<'doc, J: Json<'doc>>(value: Option<J>) -> Option<i64> {
    let value = value?;
    value.int().or_else(|| value.string()?.parse().ok())
}

/// The id under `key`: a string, or a number written as its digits.
fn id<'doc, J: Json<'doc>>(obj: J, key: &str) -> Option<Cow<'doc, str>> {
    let value = obj.field(key)?;
    value
        .string()
        .or_else(|| value.int().map(|n| Cow::from(n.to_string())))
}

/// How many levels of nested tweets are read: a tweet, the tweet it
/// retweets and the tweet that one quotes. Deeper nesting is not in any
/// format and is not followed.
const MAX_DEPTH: usize = 2;
