//! Twitter API v1.1 tweets: REST and streaming (with `extended_tweet`),
//! premium and enterprise search (with `matching_rules`), and the oldest
//! tweets, which carry only a numeric `id`.

use sluice_sdk::simd_json::cow::Cow;

use super::{MAX_DEPTH, id, int, media_urls, write_entities};
use crate::date;
use crate::json::{Json, object, string};
use crate::tweet::Tweet;

/// A v1.1 tweet has a string `id_str`; the oldest have only a numeric
/// `id`, and then a `user` or a `created_at` in the API's format.
pub fn is_tweet<'doc, J: Json<'doc>>(doc: J) -> bool {
    if string(doc, "id_str").is_some() {
        return true;
    }
    doc.field("id").and_then(Json::int).is_some()
        && (object(doc, "user").is_some()
            || string(doc, "created_at").is_some_and(|d| date::iso_utc(&d).is_some()))
}

pub fn read<'doc, J: Json<'doc>>(doc: J, depth: usize) -> Option<Tweet<'doc>> {
    let id_str = string(doc, "id_str").or_else(|| id(doc, "id"))?;
    let extended = object(doc, "extended_tweet");
    // A tweet over 140 characters arrives truncated, with the whole text in
    // `extended_tweet` (streaming) or `full_text` (REST, extended mode).
    let text = extended
        .and_then(|e| string(e, "full_text"))
        .or_else(|| string(doc, "full_text"))
        .or_else(|| string(doc, "text"));
    let mut tweet = Tweet {
        id_str,
        created_at: string(doc, "created_at").and_then(|d| date::iso_utc(&d)),
        text,
        lang: string(doc, "lang"),
        retweet_count: int(doc.field("retweet_count")),
        favorite_count: int(doc.field("favorite_count")),
        in_reply_to_status_id_str: string(doc, "in_reply_to_status_id_str")
            .or_else(|| id(doc, "in_reply_to_status_id")),
        in_reply_to_screen_name: string(doc, "in_reply_to_screen_name"),
        source: string(doc, "source").map(|s| app_name(&s)),
        quotes: doc.field("is_quote_status").and_then(Json::boolean) == Some(true),
        ..Tweet::default()
    };
    if let Some(user) = object(doc, "user") {
        tweet.user_id_str = string(user, "id_str").or_else(|| id(user, "id"));
        tweet.user_screen_name = string(user, "screen_name");
        tweet.user_name = string(user, "name");
        tweet.user_followers_count = user.field("followers_count").and_then(Json::int);
        tweet.user_verified = user.field("verified").and_then(Json::boolean);
    }
    // The truncated tweet's entities miss those past the cut.
    let entities = extended
        .and_then(|e| object(e, "entities"))
        .or_else(|| object(doc, "entities"));
    write_entities(entities, &mut tweet);
    // `extended_entities` lists all of a tweet's media where `entities`
    // lists only the first, and a truncated tweet keeps its media inside
    // `extended_tweet`.
    tweet.media_urls = media_urls(&[
        extended.and_then(|e| object(e, "extended_entities")),
        object(doc, "extended_entities"),
        extended.and_then(|e| object(e, "entities")),
        object(doc, "entities"),
    ]);
    if let Some(place) = object(doc, "place") {
        tweet.place_name = string(place, "full_name");
        tweet.place_country = string(place, "country");
    }
    if depth < MAX_DEPTH {
        tweet.retweeted = nested(doc, "retweeted_status", depth);
        tweet.quoted = nested(doc, "quoted_status", depth);
    }
    Some(tweet)
}

fn nested<'doc, J: Json<'doc>>(doc: J, key: &str, depth: usize) -> Option<Box<Tweet<'doc>>> {
    object(doc, key)
        .and_then(|t| read(t, depth + 1))
        .map(Box::new)
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
    Cow::from(name.trim().to_owned())
}
