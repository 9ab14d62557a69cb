// The example filter, in JavaScript (see plugins/examples/README.md for what
// it does; the Rust, C and Python versions must give the same output).

import { DROP, filter, reject, replace } from "sluice-filter";

// table[key] when table is an object and the value is not null.
function present(table, key) {
  if (table === null || typeof table !== "object" || Array.isArray(table)) return undefined;
  return table[key] ?? undefined;
}

function exampleFilter(tweet, settings) {
  if (typeof present(tweet, "id_str") !== "string") return reject("missing id_str");
  if (!settings.langs.includes(tweet.lang)) return DROP;

  const text =
    present(tweet.extended_tweet, "full_text") ?? present(tweet, "full_text") ?? present(tweet, "text");
  const fields = {
    id_str: tweet.id_str,
    created_at: present(tweet, "created_at"),
    lang: tweet.lang,
    text,
    user_screen_name: present(tweet.user, "screen_name"),
    user_name: present(tweet.user, "name"),
    user_followers_count: present(tweet.user, "followers_count"),
    retweet_count: present(tweet, "retweet_count"),
    favorite_count: present(tweet, "favorite_count"),
    in_reply_to_screen_name: present(tweet, "in_reply_to_screen_name"),
  };
  const out = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));

  const hashtags = present(present(tweet, "entities"), "hashtags");
  out.is_retweet = present(tweet, "retweeted_status") !== undefined;
  out.hashtags = (Array.isArray(hashtags) ? hashtags : [])
    .map((tag) => present(tag, "text"))
    .filter((text) => typeof text === "string");
  out.hashtag_count = out.hashtags.length;
  return replace(out);
}

export const { init, process } = filter(exampleFilter, { settings: { langs: ["en", "ko"] } });
