//! `created_at` as Elasticsearch's date detection recognises it.

use std::sync::LazyLock;

use chrono::format::{Item, Parsed, StrftimeItems, parse};
use chrono::{SecondsFormat, Utc};

/// The v1.1 API's format, e.g. `Wed Aug 27 13:08:45 +0000 2008`.
const TWITTER_FORMAT: &str = "%a %b %d %H:%M:%S %z %Y";

/// The format compiled once: `DateTime::parse_from_str` would parse the
/// format string again for every date.
static TWITTER_ITEMS: LazyLock<Vec<Item<'static>>> = LazyLock::new(|| {
    StrftimeItems::new(TWITTER_FORMAT)
        .parse_to_owned()
        .expect("the format is valid strftime")
});

/// Converts an RFC 3339 time, as activity streams and API v2 write it
/// (`2017-07-18T23:25:04.000Z`), to the shape [`iso_utc`] gives, so that
/// every format's dates look alike.
pub fn iso_from_rfc3339(time: &str) -> Option<String> {
    let date = chrono::DateTime::parse_from_rfc3339(time).ok()?;
    Some(
        date.with_timezone(&Utc)
            .to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

/// Converts a v1.1 `created_at` to ISO-8601 UTC (`2008-08-27T13:08:45Z`),
/// or `None` when it is not in the API's format.
pub fn iso_utc(created_at: &str) -> Option<String> {
    let mut parsed = Parsed::new();
    parse(&mut parsed, created_at, TWITTER_ITEMS.iter()).ok()?;
    let date = parsed.to_datetime().ok()?;
    Some(
        date.with_timezone(&Utc)
            .to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

#[cfg(test)]
mod tests {
    use super::{iso_from_rfc3339, iso_utc};

    #[test]
    fn converts_the_api_format_to_utc() {
        assert_eq!(
            iso_utc("Wed Aug 27 13:08:45 +0000 2008").as_deref(),
            Some("2008-08-27T13:08:45Z")
        );
        // An offset other than +0000 is moved to UTC, across midnight here.
        assert_eq!(
            iso_utc("Sun Aug 31 00:29:13 +0200 2014").as_deref(),
            Some("2014-08-30T22:29:13Z")
        );
    }

    #[test]
    fn rfc3339_times_lose_their_fraction() {
        assert_eq!(
            iso_from_rfc3339("2017-07-18T23:25:04.000Z").as_deref(),
            Some("2017-07-18T23:25:04Z")
        );
        assert_eq!(iso_from_rfc3339("Wed Aug 27 13:08:45 +0000 2008"), None);
    }

    #[test]
    fn refuses_other_formats() {
        assert_eq!(iso_utc("2014-08-31T00:29:13Z"), None);
        assert_eq!(iso_utc(""), None);
    }
}
