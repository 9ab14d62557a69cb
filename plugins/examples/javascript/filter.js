// The example filter, in JavaScript (see plugins/examples/README.md for what
// it does; the Rust, C and Python versions must give the same output).

import { DROP, exportFilter, reject, replace } from "../../../guest-sdk/javascript/sluice-filter.js";

// The value under key when table is an object and the value is not null.
function present(table, key) {
  if (table === null || typeof table !== "object" || Array.isArray(table)) return undefined;
  return table[key] ?? undefined;
}

class ExampleFilter {
  constructor(config) {
    this.langs = ["en", "ko"];
    for (const [key, value] of Object.entries(config)) {
      if (key !== "langs") throw new Error(`unknown config key: ${key}`);
      if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
        throw new Error("langs must be an array of strings");
      }
      this.langs = value;
    }
  }

  filter(tweet) {
    if (typeof present(tweet, "id_str") !== "string") return reject("missing id_str");
    const lang = tweet.lang;
    if (typeof lang !== "string" || !this.langs.includes(lang)) return DROP;

    const text =
      present(tweet.extended_tweet, "full_text") ??
      present(tweet, "full_text") ??
      present(tweet, "text");
    const fields = [
      ["id_str", tweet.id_str],
      ["created_at", present(tweet, "created_at")],
      ["lang", lang],
      ["text", text],
      ["user_screen_name", present(tweet.user, "screen_name")],
      ["user_name", present(tweet.user, "name")],
      ["user_followers_count", present(tweet.user, "followers_count")],
      ["retweet_count", present(tweet, "retweet_count")],
      ["favorite_count", present(tweet, "favorite_count")],
      ["in_reply_to_screen_name", present(tweet, "in_reply_to_screen_name")],
    ];
    const out = Object.fromEntries(fields.filter(([, value]) => value !== undefined));

    const hashtags = present(present(tweet, "entities"), "hashtags");
    const tags = (Array.isArray(hashtags) ? hashtags : [])
      .map((tag) => present(tag, "text"))
      .filter((text) => typeof text === "string");
    out.is_retweet = present(tweet, "retweeted_status") !== undefined;
    out.hashtags = tags;
    out.hashtag_count = tags.length;
    return replace(out);
  }
}

export const { init, process } = exportFilter(ExampleFilter);
