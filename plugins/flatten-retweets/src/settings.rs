//! What the user writes in the pipeline config for this plugin.

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub mode: Mode,
    pub non_tweets: NonTweets,
}

/// Where the retweeted and quoted tweets go.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Into the tweet's own document, as `retweeted_*` and `quoted_*` fields.
    #[default]
    Embed,
    /// Into documents of their own; the tweet keeps their ids as references.
    Split,
}

/// What happens to records that are not a tweet in any format the plugin
/// reads. Sluice's host takes stream control messages (`{"delete": ...}`,
/// `{"limit": ...}`) out before the plugins, so these are records a user
/// would want to hear about: by default they are rejected to the
/// dead-letter sink with a reason that says what they look like.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NonTweets {
    Drop,
    #[default]
    Reject,
    Pass,
}
