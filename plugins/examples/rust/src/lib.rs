//! The example filter, in Rust. The same filter is written in C, Python and
//! JavaScript next to this crate (plugins/examples/README.md); all four must
//! give the same output for every tweet.
//!
//! Keeps tweets in the configured languages (English and Korean by default)
//! and replaces each with a flat document of the fields a dashboard shows.

use sluice_sdk::prelude::*;

pub struct ExampleFilter {
    langs: Vec<String>,
}

impl Filter for ExampleFilter {
    fn init(config: Config) -> Result<Self, String> {
        let mut json = config.as_json().as_bytes().to_vec();
        let table = sluice_sdk::simd_json::to_borrowed_value(&mut json)
            .map_err(|e| format!("config is not valid JSON: {e}"))?;
        let table = table.as_object().ok_or("config must be a JSON object")?;
        let mut langs = vec!["en".to_string(), "ko".to_string()];
        for (key, value) in table.iter() {
            match key.as_ref() {
                "langs" => langs = string_list(value).ok_or("langs must be an array of strings")?,
                other => return Err(format!("unknown config key: {other}")),
            }
        }
        Ok(ExampleFilter { langs })
    }

    fn filter<'doc>(&self, doc: &mut Value<'doc>) -> Verdict<'doc> {
        let Some(tweet) = doc
            .as_object_mut()
            .filter(|tweet| tweet.get("id_str").is_some_and(|id| id.is_str()))
        else {
            return Verdict::Reject("missing id_str".to_string());
        };
        let lang = tweet.get("lang").and_then(|lang| lang.as_str());
        if !lang.is_some_and(|lang| self.langs.iter().any(|keep| keep == lang)) {
            return Verdict::Drop;
        }
        *doc = flatten(tweet).into_iter().collect();
        Verdict::Changed
    }
}

fn string_list(value: &Value<'_>) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|item| item.as_str().map(str::to_string))
        .collect()
}

/// The output fields in their documented order; a field that is missing or
/// null in the tweet is left out, except the last three.
fn flatten<'doc>(tweet: &mut Object<'doc>) -> Vec<(&'static str, Value<'doc>)> {
    let text = nested(tweet, "extended_tweet", "full_text")
        .or_else(|| present(tweet.remove("full_text")))
        .or_else(|| present(tweet.remove("text")));
    let hashtags: Vec<Value<'doc>> = match tweet
        .get_mut("entities")
        .and_then(|entities| entities.get_mut("hashtags"))
        .and_then(|hashtags| hashtags.as_array_mut())
    {
        Some(hashtags) => hashtags
            .iter_mut()
            .filter_map(|tag| tag.as_object_mut()?.remove("text"))
            .filter(|text| text.is_str())
            .collect(),
        None => Vec::new(),
    };
    let is_retweet = present(tweet.remove("retweeted_status")).is_some();

    let optional = [
        ("id_str", present(tweet.remove("id_str"))),
        ("created_at", present(tweet.remove("created_at"))),
        ("lang", present(tweet.remove("lang"))),
        ("text", text),
        ("user_screen_name", nested(tweet, "user", "screen_name")),
        ("user_name", nested(tweet, "user", "name")),
        (
            "user_followers_count",
            nested(tweet, "user", "followers_count"),
        ),
        ("retweet_count", present(tweet.remove("retweet_count"))),
        ("favorite_count", present(tweet.remove("favorite_count"))),
        (
            "in_reply_to_screen_name",
            present(tweet.remove("in_reply_to_screen_name")),
        ),
    ];
    let mut out: Vec<(&'static str, Value<'doc>)> = optional
        .into_iter()
        .filter_map(|(key, value)| Some((key, value?)))
        .collect();
    let hashtag_count = hashtags.len() as u64;
    out.push(("is_retweet", Value::from(is_retweet)));
    out.push(("hashtags", Value::from(hashtags)));
    out.push(("hashtag_count", Value::from(hashtag_count)));
    out
}

fn present(value: Option<Value<'_>>) -> Option<Value<'_>> {
    value.filter(|value| !value.is_null())
}

/// Moves `tweet[outer][inner]` out when `outer` is an object.
fn nested<'doc>(tweet: &mut Object<'doc>, outer: &str, inner: &str) -> Option<Value<'doc>> {
    present(tweet.get_mut(outer)?.as_object_mut()?.remove(inner))
}

sluice_sdk::export_filter!(ExampleFilter);
