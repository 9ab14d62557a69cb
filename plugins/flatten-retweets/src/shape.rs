//! Reads one v1.1 tweet object and writes its flat fields: the searchable
//! part of the tweet, its user, its entities and its place.
//!
//! Values are copied only when they have the expected JSON type, so an odd
//! input can never give a field a second mapping type in the index.

use sluice_sdk::prelude::*;
use sluice_sdk::simd_json::cow::Cow;

use crate::date;
use crate::fields::{self, TweetFields};
use crate::json::Json;

/// Writes the fields that every flattened tweet carries, under `names`.
pub fn write_tweet<'doc>(tweet: impl Json<'doc>, names: &TweetFields, out: &mut Object<'doc>) {
    let extended = object(tweet, "extended_tweet");
    let user = object(tweet, "user");
    let place = object(tweet, "place");

    put_str(out, names.id_str, string(tweet, "id_str"));
    if let Some(iso) = string(tweet, "created_at").and_then(|d| date::iso_utc(&d)) {
        out.insert(names.created_at.into(), Value::from(iso));
    }
    // A tweet over 140 characters arrives truncated, with the whole text in
    // `extended_tweet` (streaming) or `full_text` (REST, extended mode).
    let text = extended
        .and_then(|e| string(e, "full_text"))
        .or_else(|| string(tweet, "full_text"))
        .or_else(|| string(tweet, "text"));
    put_str(out, names.text, text);
    put_str(out, names.lang, string(tweet, "lang"));

    if let Some(user) = user {
        put_str(out, names.user_id_str, string(user, "id_str"));
        put_str(out, names.user_screen_name, string(user, "screen_name"));
        put_str(out, names.user_name, string(user, "name"));
        put_int(
            out,
            names.user_followers_count,
            user.field("followers_count"),
        );
        put_bool(out, names.user_verified, user.field("verified"));
    }
    put_int(out, names.retweet_count, tweet.field("retweet_count"));
    put_int(out, names.favorite_count, tweet.field("favorite_count"));

    // The truncated tweet's entities miss those past the cut.
    let entities = extended
        .and_then(|e| object(e, "entities"))
        .or_else(|| object(tweet, "entities"));
    if let Some(entities) = entities {
        put_list(out, names.hashtags, texts(entities, "hashtags", "text"));
        put_list(
            out,
            names.mentions,
            texts(entities, "user_mentions", "screen_name"),
        );
        put_list(out, names.urls, texts(entities, "urls", "expanded_url"));
    }
    put_list(out, names.media_urls, media_urls(tweet, extended));

    if let Some(place) = place {
        put_str(out, names.place_name, string(place, "full_name"));
        put_str(out, names.place_country, string(place, "country"));
    }
}

/// Writes the fields that only a document's own tweet carries: where it was
/// posted from and what it replies to.
pub fn write_context<'doc>(tweet: impl Json<'doc>, out: &mut Object<'doc>) {
    put_str(
        out,
        fields::IN_REPLY_TO_STATUS_ID_STR,
        string(tweet, "in_reply_to_status_id_str"),
    );
    put_str(
        out,
        fields::IN_REPLY_TO_SCREEN_NAME,
        string(tweet, "in_reply_to_screen_name"),
    );
    put_str(
        out,
        fields::SOURCE,
        string(tweet, "source").map(|s| app_name(&s)),
    );
}

/// The object under `key`, if there is one (`null` counts as none).
pub fn object<'doc, J: Json<'doc>>(obj: J, key: &str) -> Option<J> {
    obj.field(key).filter(|v| v.is_object())
}

/// The string under `key`; it shares the record's bytes.
pub fn string<'doc>(obj: impl Json<'doc>, key: &str) -> Option<Cow<'doc, str>> {
    obj.field(key).and_then(Json::string)
}

/// The app name in `source`, which the API gives as an HTML link:
/// `<a href="http://twitter.com" rel="nofollow">Twitter Web Client</a>`.
fn app_name(source: &str) -> Cow<'static, str> {
    let mut name = String::with_capacity(source.len());
    let mut in_tag = false;
    for c in source.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => name.push(c),
            _ => {}
        }
    }
    let trimmed = name.trim();
    if trimmed.len() != name.len() {
        name = trimmed.to_owned();
    }
    Cow::from(name)
}

/// `key` of every object in the entity list `list`, e.g. each hashtag's text.
fn texts<'doc>(entities: impl Json<'doc>, list: &str, key: &str) -> Vec<Value<'doc>> {
    entities
        .field(list)
        .into_iter()
        .flat_map(Json::elements)
        .filter_map(|item| string(item, key))
        .map(Value::String)
        .collect()
}

/// The https URL of every photo, video or GIF. `extended_entities` lists
/// all of a tweet's media where `entities` lists only the first, and a
/// truncated tweet keeps its media inside `extended_tweet`.
fn media_urls<'doc, J: Json<'doc>>(tweet: J, extended: Option<J>) -> Vec<Value<'doc>> {
    let candidates = [
        extended.and_then(|e| object(e, "extended_entities")),
        object(tweet, "extended_entities"),
        extended.and_then(|e| object(e, "entities")),
        object(tweet, "entities"),
    ];
    for entities in candidates.into_iter().flatten() {
        let urls = texts(entities, "media", "media_url_https");
        if !urls.is_empty() {
            return urls;
        }
    }
    Vec::new()
}

fn put_str<'doc>(out: &mut Object<'doc>, name: &'static str, value: Option<Cow<'doc, str>>) {
    if let Some(value) = value {
        out.insert(name.into(), Value::String(value));
    }
}

fn put_int<'doc>(out: &mut Object<'doc>, name: &'static str, value: Option<impl Json<'doc>>) {
    if let Some(n) = value.and_then(Json::int) {
        out.insert(name.into(), Value::from(n));
    }
}

fn put_bool<'doc>(out: &mut Object<'doc>, name: &'static str, value: Option<impl Json<'doc>>) {
    if let Some(b) = value.and_then(Json::boolean) {
        out.insert(name.into(), Value::from(b));
    }
}

fn put_list<'doc>(out: &mut Object<'doc>, name: &'static str, values: Vec<Value<'doc>>) {
    if !values.is_empty() {
        out.insert(name.into(), Value::from(values));
    }
}
