//! One tweet as the plugin reads it from any format, and how it is written:
//! every format's reader ([`crate::formats`]) fills a [`Tweet`], and only
//! this module writes output fields, so every format lands in one shape.
//!
//! Values are kept only when they have the expected JSON type, so an odd
//! input can never give a field a second mapping type in the index.

use sluice_sdk::prelude::*;
use sluice_sdk::simd_json::cow::Cow;

use crate::fields::{self, TweetFields};

/// The searchable part of one tweet, its user, entities and place, the
/// context only a document's own tweet carries, and the tweets it retweets
/// and quotes.
#[derive(Default)]
pub struct Tweet<'doc> {
    pub id_str: Cow<'doc, str>,
    /// ISO-8601 UTC, whole seconds (`2014-08-31T00:29:13Z`).
    pub created_at: Option<String>,
    pub text: Option<Cow<'doc, str>>,
    pub lang: Option<Cow<'doc, str>>,
    pub user_id_str: Option<Cow<'doc, str>>,
    pub user_screen_name: Option<Cow<'doc, str>>,
    pub user_name: Option<Cow<'doc, str>>,
    pub user_followers_count: Option<i64>,
    pub user_verified: Option<bool>,
    pub retweet_count: Option<i64>,
    pub favorite_count: Option<i64>,
    pub hashtags: Vec<Cow<'doc, str>>,
    pub mentions: Vec<Cow<'doc, str>>,
    pub urls: Vec<Cow<'doc, str>>,
    pub media_urls: Vec<Cow<'doc, str>>,
    pub place_name: Option<Cow<'doc, str>>,
    pub place_country: Option<Cow<'doc, str>>,
    pub in_reply_to_status_id_str: Option<Cow<'doc, str>>,
    pub in_reply_to_screen_name: Option<Cow<'doc, str>>,
    /// The app's name (`Twitter for Android`).
    pub source: Option<Cow<'doc, str>>,
    /// The format says it quotes a tweet, also when the quoted tweet is not
    /// in the record (v1.1's `is_quote_status`).
    pub quotes: bool,
    pub retweeted: Option<Box<Tweet<'doc>>>,
    pub quoted: Option<Box<Tweet<'doc>>>,
    /// Which format it was read from: [`crate::formats::Format::name`].
    pub format: &'static str,
}

impl<'doc> Tweet<'doc> {
    /// Names the format of this tweet and of the tweets nested in it (each
    /// may become a document of its own in split mode).
    pub fn set_format(&mut self, format: &'static str) {
        self.format = format;
        for nested in [&mut self.retweeted, &mut self.quoted]
            .into_iter()
            .flatten()
        {
            nested.set_format(format);
        }
    }

    /// The tweet it quotes: its own quoted tweet, else the retweeted
    /// tweet's.
    pub fn quoted_tweet(&self) -> Option<&Tweet<'doc>> {
        self.quoted
            .as_deref()
            .or_else(|| self.retweeted.as_ref().and_then(|r| r.quoted.as_deref()))
    }

    pub fn is_quote(&self) -> bool {
        self.quotes || self.quoted_tweet().is_some()
    }

    /// Writes the fields every flattened tweet carries, under `names`.
    pub fn write(&self, names: &TweetFields, out: &mut Object<'doc>) {
        put_str(out, names.id_str, Some(&self.id_str));
        if let Some(date) = &self.created_at {
            out.insert(names.created_at.into(), Value::from(date.clone()));
        }
        put_str(out, names.text, self.text.as_ref());
        put_str(out, names.lang, self.lang.as_ref());
        put_str(out, names.user_id_str, self.user_id_str.as_ref());
        put_str(out, names.user_screen_name, self.user_screen_name.as_ref());
        put_str(out, names.user_name, self.user_name.as_ref());
        put_int(out, names.user_followers_count, self.user_followers_count);
        if let Some(verified) = self.user_verified {
            out.insert(names.user_verified.into(), Value::from(verified));
        }
        put_int(out, names.retweet_count, self.retweet_count);
        put_int(out, names.favorite_count, self.favorite_count);
        put_list(out, names.hashtags, &self.hashtags);
        put_list(out, names.mentions, &self.mentions);
        put_list(out, names.urls, &self.urls);
        put_list(out, names.media_urls, &self.media_urls);
        put_str(out, names.place_name, self.place_name.as_ref());
        put_str(out, names.place_country, self.place_country.as_ref());
    }

    /// Writes the fields only a document's own tweet carries.
    pub fn write_context(&self, out: &mut Object<'doc>) {
        put_str(
            out,
            fields::IN_REPLY_TO_STATUS_ID_STR,
            self.in_reply_to_status_id_str.as_ref(),
        );
        put_str(
            out,
            fields::IN_REPLY_TO_SCREEN_NAME,
            self.in_reply_to_screen_name.as_ref(),
        );
        put_str(out, fields::SOURCE, self.source.as_ref());
        out.insert(fields::FORMAT.into(), Value::from(self.format));
    }
}

fn put_str<'doc>(out: &mut Object<'doc>, name: &'static str, value: Option<&Cow<'doc, str>>) {
    if let Some(value) = value {
        out.insert(name.into(), Value::String(value.clone()));
    }
}

fn put_int(out: &mut Object<'_>, name: &'static str, value: Option<i64>) {
    if let Some(n) = value {
        out.insert(name.into(), Value::from(n));
    }
}

fn put_list<'doc>(out: &mut Object<'doc>, name: &'static str, values: &[Cow<'doc, str>]) {
    if !values.is_empty() {
        let list: Vec<Value<'doc>> = values.iter().cloned().map(Value::String).collect();
        out.insert(name.into(), Value::from(list));
    }
}
