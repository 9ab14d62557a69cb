"""The example filter, in Python (see plugins/examples/README.md for what it
does; the Rust, C and JavaScript versions must give the same output)."""

import sluice_filter as sluice


def present(table, key):
    """The value under key, or None when the key is missing (or null)."""
    return table.get(key) if isinstance(table, dict) else None


class ExampleFilter:
    def __init__(self, config: dict):
        self.langs = ["en", "ko"]
        for key, value in config.items():
            if key != "langs":
                raise ValueError(f"unknown config key: {key}")
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError("langs must be an array of strings")
            self.langs = value

    def filter(self, tweet):
        if not isinstance(present(tweet, "id_str"), str):
            return sluice.Reject("missing id_str")
        lang = tweet.get("lang")
        if not isinstance(lang, str) or lang not in self.langs:
            return sluice.DROP

        user = tweet.get("user")
        text = present(tweet.get("extended_tweet"), "full_text")
        if text is None:
            text = tweet.get("full_text")
        if text is None:
            text = tweet.get("text")
        fields = [
            ("id_str", tweet["id_str"]),
            ("created_at", tweet.get("created_at")),
            ("lang", lang),
            ("text", text),
            ("user_screen_name", present(user, "screen_name")),
            ("user_name", present(user, "name")),
            ("user_followers_count", present(user, "followers_count")),
            ("retweet_count", tweet.get("retweet_count")),
            ("favorite_count", tweet.get("favorite_count")),
            ("in_reply_to_screen_name", tweet.get("in_reply_to_screen_name")),
        ]
        out = {key: value for key, value in fields if value is not None}

        hashtags = present(present(tweet, "entities"), "hashtags")
        tags = [
            tag["text"]
            for tag in (hashtags if isinstance(hashtags, list) else [])
            if isinstance(present(tag, "text"), str)
        ]
        out["is_retweet"] = tweet.get("retweeted_status") is not None
        out["hashtags"] = tags
        out["hashtag_count"] = len(tags)
        return sluice.Replace(out)


WitWorld = sluice.export_filter(ExampleFilter)
