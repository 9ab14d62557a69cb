//! The example filter, in Rust. The same filter is written in C, Python and
//! JavaScript next to this crate (plugins/examples/README.md); all four must
//! give the same output for every tweet.
//!
//! Keeps tweets in the configured languages (English and Korean by default)
//! and replaces each with a flat document of the fields a dashboard shows,
//! read from the record's view: no tree of the tweet is built.

use serde::Deserialize;
use sluice_sdk::prelude::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default = "english_and_korean")]
    langs: Vec<String>,
}

fn english_and_korean() -> Vec<String> {
    vec!["en".into(), "ko".into()]
}

#[sluice_sdk::filter]
fn example_filter(tweet: &View, settings: &Settings) -> Verdict {
    if tweet.get_str("id_str").is_none() {
        return Verdict::Reject("missing id_str".into());
    }
    match tweet.get_str("lang") {
        Some(lang) if settings.langs.iter().any(|keep| keep == lang) => {
            Verdict::Replace(flatten(tweet))
        }
        _ => Verdict::Drop,
    }
}

/// The output fields in their documented order; a field that is missing or
/// null in the tweet is left out, except the last three.
fn flatten<'doc>(tweet: &View<'_, 'doc>) -> Value<'doc> {
    let user = tweet.get("user");
    let text = field(tweet.get("extended_tweet"), "full_text")
        .or_else(|| field(Some(*tweet), "full_text"))
        .or_else(|| field(Some(*tweet), "text"));
    let optional = [
        ("id_str", field(Some(*tweet), "id_str")),
        ("created_at", field(Some(*tweet), "created_at")),
        ("lang", field(Some(*tweet), "lang")),
        ("text", text),
        ("user_screen_name", field(user, "screen_name")),
        ("user_name", field(user, "name")),
        ("user_followers_count", field(user, "followers_count")),
        ("retweet_count", field(Some(*tweet), "retweet_count")),
        ("favorite_count", field(Some(*tweet), "favorite_count")),
        (
            "in_reply_to_screen_name",
            field(Some(*tweet), "in_reply_to_screen_name"),
        ),
    ];
    let hashtags: Vec<Value<'doc>> = field(field(Some(*tweet), "entities"), "hashtags")
        .and_then(|hashtags| hashtags.into_array())
        .map(|hashtags| {
            hashtags
                .iter()
                .filter_map(|tag| tag.get("text")?.into_string())
                .map(Value::from)
                .collect()
        })
        .unwrap_or_default();

    let mut out = Object::with_capacity(optional.len() + 3);
    for (key, value) in optional {
        if let Some(value) = value {
            out.insert(key.into(), sluice_sdk::to_value(value));
        }
    }
    let is_retweet = field(Some(*tweet), "retweeted_status").is_some();
    out.insert("is_retweet".into(), Value::from(is_retweet));
    let hashtag_count = hashtags.len() as u64;
    out.insert("hashtags".into(), Value::from(hashtags));
    out.insert("hashtag_count".into(), Value::from(hashtag_count));
    Value::from(out)
}

/// `object[key]` when `object` is an object and the value is not null.
fn field<'tape, 'doc>(object: Option<View<'tape, 'doc>>, key: &str) -> Option<View<'tape, 'doc>> {
    object?.get(key).filter(|value| !value.is_null())
}
