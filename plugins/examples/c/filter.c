/*
 * The example filter, in C (see plugins/examples/README.md for what it does;
 * the Rust, Python and JavaScript versions must give the same output).
 *
 * Reads fields by path with the SDK's accessors and copies the kept values
 * byte for byte into the output: numbers and strings are never re-encoded,
 * so integers stay integers and escapes stay valid.
 */
#include "sluice_filter.h"

static char *english_and_korean[] = {"en", "ko", NULL};
static char **langs = english_and_korean;

char *sluice_filter_init(sluice_json config) {
  char *error = sluice_check_keys(config, (const char *const[]){"langs", NULL});
  return error ? error : sluice_setting_strings(config, "langs", &langs);
}

sluice_outcome sluice_filter(sluice_json tweet) {
  if (sluice_type_of(sluice_get(tweet, "id_str")) != SLUICE_STRING) return sluice_reject("missing id_str");
  if (!sluice_string_in(sluice_get(tweet, "lang"), langs)) return sluice_drop();

  sluice_json text = sluice_get(tweet, "extended_tweet.full_text");
  if (!sluice_present(text)) text = sluice_get(tweet, "full_text");
  if (!sluice_present(text)) text = sluice_get(tweet, "text");

  sluice_buf out = {0};
  sluice_begin_object(&out);
  sluice_put(&out, "id_str", sluice_get(tweet, "id_str"));
  sluice_put(&out, "created_at", sluice_get(tweet, "created_at"));
  sluice_put(&out, "lang", sluice_get(tweet, "lang"));
  sluice_put(&out, "text", text);
  sluice_put(&out, "user_screen_name", sluice_get(tweet, "user.screen_name"));
  sluice_put(&out, "user_name", sluice_get(tweet, "user.name"));
  sluice_put(&out, "user_followers_count", sluice_get(tweet, "user.followers_count"));
  sluice_put(&out, "retweet_count", sluice_get(tweet, "retweet_count"));
  sluice_put(&out, "favorite_count", sluice_get(tweet, "favorite_count"));
  sluice_put(&out, "in_reply_to_screen_name", sluice_get(tweet, "in_reply_to_screen_name"));
  sluice_put_bool(&out, "is_retweet", sluice_present(sluice_get(tweet, "retweeted_status")));

  int count = 0;
  sluice_begin_array(&out, "hashtags");
  sluice_json hashtags = sluice_get(tweet, "entities.hashtags");
  if (sluice_type_of(hashtags) == SLUICE_ARRAY) {
    for (sluice_json tag = sluice_first(hashtags); sluice_type_of(tag) != SLUICE_MISSING; tag = sluice_next(tag)) {
      sluice_json name = sluice_get(tag, "text");
      if (sluice_type_of(name) == SLUICE_STRING) {
        sluice_push(&out, name);
        count++;
      }
    }
  }
  sluice_end_array(&out);
  sluice_put_number(&out, "hashtag_count", count);
  sluice_end_object(&out);
  return sluice_replace(&out);
}
