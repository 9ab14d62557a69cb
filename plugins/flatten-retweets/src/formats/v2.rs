//! Twitter API v2 tweets. A tweet refers to its author, media, place and
//! the tweets it retweets, quotes or replies to by id, and the response
//! carries them in `includes`. Three layouts are read:
//!
//! - `{"data": TWEET, "includes": {...}}`: a stream line, a single-tweet
//!   lookup, or a tweet the file source cut out of a response page;
//! - a bare tweet (`id`, `text`, `edit_history_tweet_ids`, ...) without
//!   includes: only the fields it holds itself;
//! - a tweet flattened by twarc (`twarc2 flatten`, twarc-csv's input), with
//!   its expansions inline: `author`, `referenced_tweets[].text ...`,
//!   `attachments.media`, `geo` with the place's fields.

use sluice_sdk::simd_json::cow::Cow;

use super::{MAX_DEPTH, int, texts};
use crate::date;
use crate::json::{Json, object, string};
use crate::tweet::Tweet;

/// A bare or flattened v2 tweet: a string `id`, a `text` and no v1.1
/// `id_str`, with something only v2 has.
pub fn is_tweet<'doc, J: Json<'doc>>(doc: J) -> bool {
    doc.field("id").and_then(Json::string).is_some()
        && string(doc, "id_str").is_none()
        && string(doc, "text").is_some()
        && [
            "edit_history_tweet_ids",
            "author_id",
            "public_metrics",
            "conversation_id",
        ]
        .iter()
        .any(|key| doc.field(key).is_some())
}

pub fn read<'doc, J: Json<'doc>>(doc: J) -> Option<Tweet<'doc>> {
    let (tweet, includes) = match object(doc, "data") {
        Some(data) => (data, object(doc, "includes")),
        None => (doc, None),
    };
    Expansions { includes }.tweet(tweet, 0)
}

/// Where a tweet's references are resolved: inline (twarc's flattening),
/// else in the response's `includes`.
#[derive(Clone, Copy)]
struct Expansions<J> {
    includes: Option<J>,
}

impl<'doc, J: Json<'doc>> Expansions<J> {
    /// The item of `includes.list` whose `key` is `value`.
    fn included(self, list: &str, key: &str, value: &str) -> Option<J> {
        self.includes?
            .field(list)?
            .elements()
            .find(|item| string(*item, key).as_deref() == Some(value))
    }

    fn tweet(self, doc: J, depth: usize) -> Option<Tweet<'doc>> {
        let id_str = string(doc, "id")?;
        // A tweet over 280 characters has its whole text in `note_tweet`.
        let text = object(doc, "note_tweet")
            .and_then(|n| string(n, "text"))
            .or_else(|| string(doc, "text"));
        let metrics = object(doc, "public_metrics");
        let mut tweet = Tweet {
            id_str,
            created_at: string(doc, "created_at").and_then(|d| date::iso_from_rfc3339(&d)),
            text,
            lang: string(doc, "lang"),
            user_id_str: string(doc, "author_id"),
            retweet_count: metrics.and_then(|m| int(m.field("retweet_count"))),
            favorite_count: metrics.and_then(|m| int(m.field("like_count"))),
            source: string(doc, "source"),
            ..Tweet::default()
        };
        let author = object(doc, "author").or_else(|| {
            let id = tweet.user_id_str.as_deref()?;
            self.included("users", "id", id)
        });
        if let Some(author) = author {
            tweet.user_id_str = tweet.user_id_str.or_else(|| string(author, "id"));
            tweet.user_screen_name = string(author, "username");
            tweet.user_name = string(author, "name");
            tweet.user_followers_count = object(author, "public_metrics")
                .and_then(|m| m.field("followers_count"))
                .and_then(Json::int);
            tweet.user_verified = author.field("verified").and_then(Json::boolean);
        }
        if let Some(entities) = object(doc, "entities") {
            tweet.hashtags = texts(entities, "hashtags", "tag");
            tweet.mentions = texts(entities, "mentions", "username");
            // v2 lists a media item's t.co link among the URLs; v1.1 keeps
            // media apart, and so does the flat shape.
            tweet.urls = entities
                .field("urls")
                .into_iter()
                .flat_map(Json::elements)
                .filter(|url| url.field("media_key").is_none())
                .filter_map(|url| string(url, "expanded_url"))
                .collect();
        }
        tweet.media_urls = self.media(doc);
        if let Some(geo) = object(doc, "geo") {
            let place = match string(geo, "full_name") {
                Some(_) => Some(geo),
                None => string(geo, "place_id").and_then(|id| self.included("places", "id", &id)),
            };
            if let Some(place) = place {
                tweet.place_name = string(place, "full_name");
                tweet.place_country = string(place, "country");
            }
        }
        if let Some(user) = string(doc, "in_reply_to_user_id") {
            tweet.in_reply_to_screen_name = object(doc, "in_reply_to_user")
                .or_else(|| self.included("users", "id", &user))
                .and_then(|u| string(u, "username"));
        }
        for referenced in doc
            .field("referenced_tweets")
            .into_iter()
            .flat_map(Json::elements)
        {
            let Some(kind) = string(referenced, "type") else {
                continue;
            };
            match kind.as_ref() {
                "replied_to" => tweet.in_reply_to_status_id_str = string(referenced, "id"),
                "quoted" => tweet.quotes = true,
                _ => {}
            }
            if depth >= MAX_DEPTH || !matches!(kind.as_ref(), "retweeted" | "quoted") {
                continue;
            }
            // twarc puts the referenced tweet's fields inline; the API
            // puts the tweet in `includes.tweets`.
            let body = match referenced.field("text") {
                Some(_) => Some(referenced),
                None => string(referenced, "id").and_then(|id| self.included("tweets", "id", &id)),
            };
            let nested = body.and_then(|b| self.tweet(b, depth + 1)).map(Box::new);
            match kind.as_ref() {
                "retweeted" => tweet.retweeted = nested,
                _ => tweet.quoted = nested,
            }
        }
        Some(tweet)
    }

    /// A photo's `url`, a video's or GIF's `preview_image_url` (what v1.1
    /// gives as `media_url_https`), in the order of `media_keys`.
    fn media(self, doc: J) -> Vec<Cow<'doc, str>> {
        let attachments = object(doc, "attachments");
        let url = |media: J| string(media, "url").or_else(|| string(media, "preview_image_url"));
        let inline: Vec<_> = attachments
            .and_then(|a| a.field("media"))
            .into_iter()
            .flat_map(Json::elements)
            .filter_map(url)
            .collect();
        if !inline.is_empty() {
            return inline;
        }
        attachments
            .and_then(|a| a.field("media_keys"))
            .into_iter()
            .flat_map(Json::elements)
            .filter_map(Json::string)
            .filter_map(|key| self.included("media", "media_key", &key))
            .filter_map(url)
            .collect()
    }
}
