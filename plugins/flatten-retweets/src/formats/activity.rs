//! Gnip activity streams (PowerTrack, Historical PowerTrack, 30-day and
//! full-archive search in `activity-streams` format): a tweet is an
//! activity with verb `post`, a retweet one with verb `share` whose
//! `object` is the retweeted activity.
//!
//! The fields map one to one onto v1.1's (`body` is `text`, `actor` is
//! `user`, `twitter_entities` are v1.1 `entities`, `location` is `place`),
//! so the same tweet gives the same document in both formats.

use sluice_sdk::simd_json::cow::Cow;

use super::{MAX_DEPTH, int, media_urls, write_entities};
use crate::date;
use crate::json::{Json, object, string};
use crate::tweet::Tweet;

pub fn is_tweet<'doc, J: Json<'doc>>(doc: J) -> bool {
    string(doc, "objectType").as_deref() == Some("activity")
        && matches!(string(doc, "verb").as_deref(), Some("post" | "share"))
        && tweet_id(doc).is_some()
}

/// The tweet id at the end of an activity's id,
/// `tag:search.twitter.com,2005:887453193294282752`.
fn tweet_id<'doc, J: Json<'doc>>(doc: J) -> Option<Cow<'doc, str>> {
    last_segment(string(doc, "id")?, ':').filter(|id| id.bytes().all(|b| b.is_ascii_digit()))
}

/// What follows the last `separator`, borrowing the record when it can.
fn last_segment<'doc>(text: Cow<'doc, str>, separator: char) -> Option<Cow<'doc, str>> {
    let start = text.rfind(separator)? + 1;
    if start == text.len() {
        return None;
    }
    Some(match text {
        Cow::Borrowed(b) => Cow::Borrowed(&b[start..]),
        Cow::Owned(o) => Cow::Owned(o[start..].to_owned()),
    })
}

pub fn read<'doc, J: Json<'doc>>(doc: J, depth: usize) -> Option<Tweet<'doc>> {
    let long = object(doc, "long_object");
    // A tweet over 140 characters has its whole text in `long_object`.
    let text = long
        .and_then(|l| string(l, "body"))
        .or_else(|| string(doc, "body"));
    let mut tweet = Tweet {
        id_str: tweet_id(doc)?,
        created_at: string(doc, "postedTime").and_then(|d| date::iso_from_rfc3339(&d)),
        text,
        lang: string(doc, "twitter_lang"),
        retweet_count: int(doc.field("retweetCount")),
        favorite_count: int(doc.field("favoritesCount")),
        source: object(doc, "generator").and_then(|g| string(g, "displayName")),
        ..Tweet::default()
    };
    if let Some(actor) = object(doc, "actor") {
        tweet.user_id_str = string(actor, "id").and_then(|id| last_segment(id, ':'));
        tweet.user_screen_name = string(actor, "preferredUsername");
        tweet.user_name = string(actor, "displayName");
        tweet.user_followers_count = actor.field("followersCount").and_then(Json::int);
        tweet.user_verified = actor.field("verified").and_then(Json::boolean);
    }
    let entities = long
        .and_then(|l| object(l, "twitter_entities"))
        .or_else(|| object(doc, "twitter_entities"));
    write_entities(entities, &mut tweet);
    tweet.media_urls = media_urls(&[
        long.and_then(|l| object(l, "twitter_extended_entities")),
        object(doc, "twitter_extended_entities"),
        long.and_then(|l| object(l, "twitter_entities")),
        object(doc, "twitter_entities"),
    ]);
    if let Some(location) = object(doc, "location") {
        tweet.place_name = string(location, "displayName");
        // Gnip's `country_code` holds the country's name, as v1.1's
        // `place.country` does (the code is `twitter_country_code`).
        tweet.place_country = string(location, "country_code");
    }
    // `inReplyTo.link` is `http://twitter.com/USER/statuses/ID`.
    if let Some(link) = object(doc, "inReplyTo").and_then(|r| string(r, "link")) {
        let mut parts = link.rsplit('/');
        let id = parts.next().filter(|id| !id.is_empty()).map(str::to_owned);
        let user = parts
            .next()
            .filter(|s| *s == "statuses")
            .and_then(|_| parts.next())
            .map(str::to_owned);
        tweet.in_reply_to_status_id_str = id.map(Cow::from);
        tweet.in_reply_to_screen_name = user.map(Cow::from);
    }
    let quoted = object(doc, "twitter_quoted_status");
    tweet.quotes = quoted.is_some();
    if depth < MAX_DEPTH {
        if string(doc, "verb").as_deref() == Some("share") {
            tweet.retweeted = object(doc, "object")
                .and_then(|o| read(o, depth + 1))
                .map(Box::new);
        }
        tweet.quoted = quoted.and_then(|q| read(q, depth + 1)).map(Box::new);
    }
    Some(tweet)
}
