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

/// What happens to records that are not tweets (stream control messages
/// such as `{"delete": ...}` or `{"limit": ...}`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NonTweets {
    #[default]
    Drop,
    Reject,
    Pass,
}
