//! flatten-retweets: turns a v1.1 tweet with its nested retweeted and quoted
//! tweets into one flat document with a fixed, small set of fields (see
//! README.md for the shape), or, in split mode, into one such document per
//! tweet that the record carries.
//!
//! [`shape`] knows the tweet's JSON; [`fields`] owns the output names; this
//! module decides which tweets a record holds and which documents come out.

mod date;
pub mod fields;
mod settings;
mod shape;

use sluice_sdk::prelude::*;

pub use settings::{Mode, NonTweets, Settings};
use shape::{object, text_of};

pub struct FlattenRetweets {
    settings: Settings,
}

impl Filter for FlattenRetweets {
    fn init(config: Config) -> Result<Self, String> {
        let settings = config.parse::<Settings>()?;
        Ok(FlattenRetweets { settings })
    }

    fn filter<'doc>(&self, doc: &mut Value<'doc>) -> Verdict<'doc> {
        let Some(tweet) = doc.as_object().filter(|t| text_of(t, "id_str").is_some()) else {
            return self.non_tweet(doc);
        };
        let chain = Chain::of(tweet);
        let mut docs = match self.settings.mode {
            Mode::Embed => vec![embedded(&chain)],
            Mode::Split => split(&chain),
        };
        if docs.len() == 1 {
            *doc = Value::from(docs.swap_remove(0));
            Verdict::Changed
        } else {
            Verdict::Split(docs.into_iter().map(Value::from).collect())
        }
    }
}

impl FlattenRetweets {
    fn non_tweet<'doc>(&self, doc: &Value<'doc>) -> Verdict<'doc> {
        match self.settings.non_tweets {
            NonTweets::Drop => Verdict::Drop,
            NonTweets::Pass => Verdict::Unchanged,
            NonTweets::Reject => Verdict::Reject(not_a_tweet(doc)),
        }
    }
}

/// The reason given for a record without `id_str`, naming what it holds
/// instead so that a stream control message is recognisable.
fn not_a_tweet(doc: &Value<'_>) -> String {
    match doc.as_object() {
        Some(obj) => {
            let mut keys: Vec<&str> = obj.keys().map(|k| &**k).collect();
            keys.sort_unstable();
            format!(
                "not a tweet: no string `id_str` (top-level keys: {})",
                keys.join(", ")
            )
        }
        None => format!("not a tweet: a JSON {:?}, not an object", doc.value_type()),
    }
}

/// The tweets one record carries. Each is present only with an `id_str`.
struct Chain<'a, 'doc> {
    tweet: &'a Object<'doc>,
    retweeted: Option<&'a Object<'doc>>,
    /// The tweet's own quoted tweet, else the retweeted tweet's.
    quoted: Option<&'a Object<'doc>>,
}

impl<'a, 'doc> Chain<'a, 'doc> {
    fn of(tweet: &'a Object<'doc>) -> Self {
        let retweeted = nested(tweet, "retweeted_status");
        let quoted = nested(tweet, "quoted_status")
            .or_else(|| retweeted.and_then(|r| nested(r, "quoted_status")));
        Chain {
            tweet,
            retweeted,
            quoted,
        }
    }

    fn is_quote(&self) -> bool {
        self.quoted.is_some()
            || self.tweet.get("is_quote_status").and_then(|v| v.as_bool()) == Some(true)
    }
}

fn nested<'a, 'doc>(tweet: &'a Object<'doc>, key: &str) -> Option<&'a Object<'doc>> {
    object(tweet, key).filter(|t| text_of(t, "id_str").is_some())
}

/// The tweet's own fields, then the retweeted and quoted tweets' under
/// their prefixes.
fn embedded<'doc>(chain: &Chain<'_, 'doc>) -> Object<'doc> {
    let nested = usize::from(chain.retweeted.is_some()) + usize::from(chain.quoted.is_some());
    let mut out = own_document(chain, nested * fields::PER_TWEET);
    if let Some(retweeted) = chain.retweeted {
        shape::write_tweet(retweeted, &fields::RETWEETED, &mut out);
    }
    if let Some(quoted) = chain.quoted {
        shape::write_tweet(quoted, &fields::QUOTED, &mut out);
    }
    out
}

/// One document per distinct tweet in the record, the record's own first,
/// each referring to the tweets it retweets and quotes by id.
fn split<'doc>(chain: &Chain<'_, 'doc>) -> Vec<Object<'doc>> {
    // Both quoted tweets, should they differ: each document's reference
    // must lead to a document.
    let mut tweets = vec![chain.tweet];
    tweets.extend(chain.retweeted);
    tweets.extend(nested(chain.tweet, "quoted_status"));
    tweets.extend(chain.retweeted.and_then(|r| nested(r, "quoted_status")));
    let mut seen: Vec<&str> = Vec::with_capacity(tweets.len());
    let mut docs = Vec::with_capacity(tweets.len());
    for tweet in tweets {
        let id = text_of(tweet, "id_str").unwrap_or_default();
        if seen.contains(&id) {
            continue;
        }
        seen.push(id);
        let chain = Chain::of(tweet);
        let mut out = own_document(&chain, 2);
        let references = [
            (fields::RETWEETED.id_str, chain.retweeted),
            (fields::QUOTED.id_str, chain.quoted),
        ];
        for (name, referenced) in references {
            if let Some(id) = referenced.and_then(|t| shape::string(t, "id_str")) {
                out.insert(name.into(), Value::String(id));
            }
        }
        docs.push(out);
    }
    docs
}

/// The fields of the chain's own tweet, without the tweets it refers to,
/// with room for `more` fields: sized once, the document neither grows nor
/// moves from a short list to a hash map while it is written.
fn own_document<'doc>(chain: &Chain<'_, 'doc>, more: usize) -> Object<'doc> {
    let mut out = Object::with_capacity(fields::PER_TWEET + fields::OWN_ONLY + more);
    shape::write_tweet(chain.tweet, &fields::OWN, &mut out);
    shape::write_context(chain.tweet, &mut out);
    out.insert(
        fields::IS_RETWEET.into(),
        Value::from(chain.retweeted.is_some()),
    );
    out.insert(fields::IS_QUOTE.into(), Value::from(chain.is_quote()));
    out
}

sluice_sdk::export_filter!(FlattenRetweets);
