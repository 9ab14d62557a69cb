"""The example filter, in Python (see plugins/examples/README.md for what it
does; the Rust, C and JavaScript versions must give the same output)."""

import sluice_filter as sluice


def present(table, key):
    """table[key] when table is an object and the value is not null."""
    return table.get(key) if isinstance(table, dict) else None


@sluice.filter(settings={"langs": ["en", "ko"]})
def example_filter(tweet, settings):
    if not isinstance(present(tweet, "id_str"), str):
        return sluice.Reject("missing id_str")
    if tweet.get("lang") not in settings.langs:
        return sluice.DROP

    user = tweet.get("user")
    text = present(tweet.get("extended_tweet"), "full_text")
    if text is None:
        text = tweet.get("full_text")
    if text is None:
        text = tweet.get("text")
    fields = {
        "id_str": tweet["id_str"],
        "created_at": tweet.get("created_at"),
        "lang": tweet["lang"],
        "text": text,
        "user_screen_name": present(user, "screen_name"),
        "user_name": present(user, "name"),
        "user_followers_count": present(user, "followers_count"),
        "retweet_count": tweet.get("retweet_count"),
        "favorite_count": tweet.get("favorite_count"),
        "in_reply_to_screen_name": tweet.get("in_reply_to_screen_name"),
    }
    out = {key: value for key, value in fields.items() if value is not None}

    hashtags = present(present(tweet, "entities"), "hashtags")
    tags = [present(tag, "text") for tag in hashtags] if isinstance(hashtags, list) else []
    out["is_retweet"] = tweet.get("retweeted_status") is not None
    out["hashtags"] = [tag for tag in tags if isinstance(tag, str)]
    out["hashtag_count"] = len(out["hashtags"])
    return sluice.Replace(out)
