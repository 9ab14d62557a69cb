//! flatten-retweets: turns a v1.1 tweet with its nested retweeted and quoted
//! tweets into one flat document with a fixed, small set of fields (see
//! README.md for the shape), or, in split mode, into one such document per
//! tweet that the record carries.
//!
//! [`shape`] knows the tweet's JSON; [`fields`] owns the output names; this
//! module decides which tweets a record holds and which documents come out.
//! The plugin only reads the record, so it answers from the SDK's view of
//! it and never has the editable document built ([`json`]).

mod date;
pub mod fields;
mod json;
mod settings;
mod shape;

use sluice_sdk::prelude::*;
use sluice_sdk::simd_json::cow::Cow;

use json::Json;
pub use settings::{Mode, NonTweets, Settings};
use shape::{object, string};

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
        if string(doc, "id_str").is_none() {
            return self.non_tweet(doc);
        }
        let chain = Chain::of(doc);
        let mut docs = match self.settings.mode {
            Mode::Embed => vec![embedded(&chain)],
            Mode::Split => split(&chain),
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
            NonTweets::Reject => Verdict::Reject(not_a_tweet(doc)),
        }
    }
}

/// The reason given for a record without `id_str`, naming what it holds
/// instead so that a stream control message is recognisable.
fn not_a_tweet<'doc>(doc: impl Json<'doc>) -> String {
    if !doc.is_object() {
        return format!("not a tweet: a JSON {:?}, not an object", doc.json_type());
    }
    let mut keys = doc.keys();
    keys.sort_unstable();
    format!(
        "not a tweet: no string `id_str` (top-level keys: {})",
        keys.join(", ")
    )
}

/// The tweets one record carries. Each is present only with an `id_str`.
struct Chain<J> {
    tweet: J,
    retweeted: Option<J>,
    /// The tweet's own quoted tweet, else the retweeted tweet's.
    quoted: Option<J>,
}

impl<'doc, J: Json<'doc>> Chain<J> {
    fn of(tweet: J) -> Self {
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
            || self.tweet.field("is_quote_status").and_then(Json::boolean) == Some(true)
    }
}

fn nested<'doc, J: Json<'doc>>(tweet: J, key: &str) -> Option<J> {
    object(tweet, key).filter(|t| string(*t, "id_str").is_some())
}

/// The tweet's own fields, then the retweeted and quoted tweets' under
/// their prefixes.
fn embedded<'doc, J: Json<'doc>>(chain: &Chain<J>) -> Object<'doc> {
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
fn split<'doc, J: Json<'doc>>(chain: &Chain<J>) -> Vec<Object<'doc>> {
    // Both quoted tweets, should they differ: each document's reference
    // must lead to a document.
    let mut tweets = vec![chain.tweet];
    tweets.extend(chain.retweeted);
    tweets.extend(nested(chain.tweet, "quoted_status"));
    tweets.extend(chain.retweeted.and_then(|r| nested(r, "quoted_status")));
    let mut seen: Vec<Cow<'doc, str>> = Vec::with_capacity(tweets.len());
    let mut docs = Vec::with_capacity(tweets.len());
    for tweet in tweets {
        let id = string(tweet, "id_str").unwrap_or_default();
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
            if let Some(id) = referenced.and_then(|t| string(t, "id_str")) {
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
fn own_document<'doc, J: Json<'doc>>(chain: &Chain<J>, more: usize) -> Object<'doc> {
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
