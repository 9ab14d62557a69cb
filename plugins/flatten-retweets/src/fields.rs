//! The fixed set of output field names. Every key the plugin writes is one
//! of these constants, so an index of its output has a known, small mapping
//! whatever the input carries.

/// The fields written for one tweet, under one prefix.
pub struct TweetFields {
    pub id_str: &'static str,
    pub created_at: &'static str,
    pub text: &'static str,
    pub lang: &'static str,
    pub user_id_str: &'static str,
    pub user_screen_name: &'static str,
    pub user_name: &'static str,
    pub user_followers_count: &'static str,
    pub user_verified: &'static str,
    pub retweet_count: &'static str,
    pub favorite_count: &'static str,
    pub hashtags: &'static str,
    pub mentions: &'static str,
    pub urls: &'static str,
    pub media_urls: &'static str,
    pub place_name: &'static str,
    pub place_country: &'static str,
}

/// The most fields [`crate::tweet::Tweet::write`] writes for one tweet: one
/// per name in [`TweetFields`].
pub const PER_TWEET: usize = size_of::<TweetFields>() / size_of::<&str>();
/// How many fields only the document's own tweet carries: the six names at
/// the end of this module.
pub const OWN_ONLY: usize = 6;

// The names are built at compile time so that writing a prefixed field
// allocates nothing.
macro_rules! tweet_fields {
    ($prefix:literal) => {
        TweetFields {
            id_str: concat!($prefix, "id_str"),
            created_at: concat!($prefix, "created_at"),
            text: concat!($prefix, "text"),
            lang: concat!($prefix, "lang"),
            user_id_str: concat!($prefix, "user_id_str"),
            user_screen_name: concat!($prefix, "user_screen_name"),
            user_name: concat!($prefix, "user_name"),
            user_followers_count: concat!($prefix, "user_followers_count"),
            user_verified: concat!($prefix, "user_verified"),
            retweet_count: concat!($prefix, "retweet_count"),
            favorite_count: concat!($prefix, "favorite_count"),
            hashtags: concat!($prefix, "hashtags"),
            mentions: concat!($prefix, "mentions"),
            urls: concat!($prefix, "urls"),
            media_urls: concat!($prefix, "media_urls"),
            place_name: concat!($prefix, "place_name"),
            place_country: concat!($prefix, "place_country"),
        }
    };
}

/// The document's own tweet.
pub const OWN: TweetFields = tweet_fields!("");
/// The retweeted tweet, embedded. In split mode only `retweeted_id_str` is
/// written, as the reference to the retweeted tweet's own document.
pub const RETWEETED: TweetFields = tweet_fields!("retweeted_");
/// The quoted tweet, embedded. In split mode only `quoted_id_str` is written.
pub const QUOTED: TweetFields = tweet_fields!("quoted_");

/// Fields written only for the document's own tweet.
pub const IS_RETWEET: &str = "is_retweet";
pub const IS_QUOTE: &str = "is_quote";
pub const IN_REPLY_TO_STATUS_ID_STR: &str = "in_reply_to_status_id_str";
pub const IN_REPLY_TO_SCREEN_NAME: &str = "in_reply_to_screen_name";
pub const SOURCE: &str = "source";
/// The format the record was read in: `v1.1`, `activity_streams` or `v2`.
pub const FORMAT: &str = "tweet_format";
