//! flatten-retweets: turns a tweet in any of the formats Twitter delivered
//! (v1.1, Gnip activity streams, API v2) with its retweeted and quoted
//! tweets into one flat document with a fixed, small set of fields (see
//! README.md for the shape), or, in split mode, into one such document per
//! tweet that the record carries.
//!
//! [`formats`] recognises and reads each format into a [`tweet::Tweet`];
//! [`fields`] owns the output names and [`tweet`] writes them; this module
//! decides which documents come out. The plugin only reads the record, so
//! it answers from the SDK's view of it and never has the editable document
//! built ([`json`]).

mod date;
pub mod fields;
mod formats;
mod json;
mod settings;
mod tweet;

use sluice_sdk::prelude::*;

use json::Json;
pub use settings::{Mode, NonTweets, Settings};
use tweet::Tweet;

pub struct FlattenRetweets {
    settings: Settings,
}

impl Filter for FlattenRetweets {
    fn init(config: Config) -> Result<Self, String> {
        let settings = config.parse::<Settings>()?;
        Ok(FlattenRetweets { settings })
    }

    fn filter<'doc>(&self, doc: &mut Value<'doc>) -> Verdict<'doc> {
        self.flatten(&*doc)
    }

    fn filter_view<'doc>(&self, view: View<'_, 'doc>) -> Option<Verdict<'doc>> {
        Some(self.flatten(view))
    }
}

impl FlattenRetweets {
    fn flatten<'doc>(&self, doc: impl Json<'doc>) -> Verdict<'doc> {
        let Some(tweet) = formats::recognise(doc).and_then(|format| formats::read(doc, format))
        else {
            return self.non_tweet(doc);
        };
        let mut docs = match self.settings.mode {
            Mode::Embed => vec![embedded(&tweet)],
            Mode::Split => split(&tweet),
        };
        if docs.len() == 1 {
            Verdict::Replace(Value::from(docs.swap_remove(0)))
        } else {
            Verdict::Split(docs.into_iter().map(Value::from).collect())
        }
    }

    fn non_tweet<'doc>(&self, doc: impl Json<'doc>) -> Verdict<'doc> {
        match self.settings.non_tweets {
            NonTweets::Drop => Verdict::Drop,
            NonTweets::Pass => Verdict::Unchanged,
            NonTweets::Reject => Verdict::Reject(formats::looks_like(doc)),
        }
    }
}

/// The tweet's own fields, then the retweeted and quoted tweets' under
/// their prefixes.
fn embedded<'doc>(tweet: &Tweet<'doc>) -> Object<'doc> {
    let retweeted = tweet.retweeted.as_deref();
    let quoted = tweet.quoted_tweet();
    let nested = usize::from(retweeted.is_some()) + usize::from(quoted.is_some());
    let mut out = own_document(tweet, nested * fields::PER_TWEET);
    if let Some(retweeted) = retweeted {
        retweeted.write(&fields::RETWEETED, &mut out);
    }
    if let Some(quoted) = quoted {
        quoted.write(&fields::QUOTED, &mut out);
    }
    out
}

/// One document per distinct tweet in the record, the record's own first,
/// each referring to the tweets it retweets and quotes by id.
fn split<'doc>(tweet: &Tweet<'doc>) -> Vec<Object<'doc>> {
    // Both quoted tweets, should they differ: each document's reference
    // must lead to a document.
    let mut tweets = vec![tweet];
    tweets.extend(tweet.retweeted.as_deref());
    tweets.extend(tweet.quoted.as_deref());
    tweets.extend(tweet.retweeted.as_ref().and_then(|r| r.quoted.as_deref()));
    let mut seen: Vec<&str> = Vec::with_capacity(tweets.len());
    let mut docs = Vec::with_capacity(tweets.len());
    for tweet in tweets {
        if seen.contains(&tweet.id_str.as_ref()) {
            continue;
        }
        seen.push(&tweet.id_str);
        let mut out = own_document(tweet, 2);
        let references = [
            (fields::RETWEETED.id_str, tweet.retweeted.as_deref()),
            (fields::QUOTED.id_str, tweet.quoted_tweet()),
        ];
        for (name, referenced) in references {
            if let Some(referenced) = referenced {
                out.insert(name.into(), Value::String(referenced.id_str.clone()));
            }
        }
        docs.push(out);
    }
    docs
}

/// The fields of the tweet itself, without the tweets it refers to, with
/// room for `more` fields: sized once, the document neither grows nor moves
/// from a short list to a hash map while it is written.
fn own_document<'doc>(tweet: &Tweet<'doc>, more: usize) -> Object<'doc> {
    let mut out = Object::with_capacity(fields::PER_TWEET + fields::OWN_ONLY + more);
    tweet.write(&fields::OWN, &mut out);
    tweet.write_context(&mut out);
    out.insert(
        fields::IS_RETWEET.into(),
        Value::from(tweet.retweeted.is_some()),
    );
    out.insert(fields::IS_QUOTE.into(), Value::from(tweet.is_quote()));
    out
}

sluice_sdk::export_filter!(FlattenRetweets);
