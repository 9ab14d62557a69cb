/*
 * The example filter, in C (see plugins/examples/README.md for what it does;
 * the Rust, Python and JavaScript versions must give the same output).
 *
 * Reads fields by path with the SDK's accessors and copies the kept values
 * byte for byte into the output: numbers and strings are never re-encoded,
 * so integers stay integers and escapes stay valid.
 */
#include <stdbool.h>
#include <string.h>

#include "sluice_filter.h"

#define MAX_LANGS 64

static char *langs[MAX_LANGS] = {"en", "ko"};
static size_t lang_count = 2;

char *sluice_filter_init(sluice_json config) {
  char *unknown = sluice_check_keys(config, (const char *const[]){"langs", NULL});
  if (unknown) return unknown;
  sluice_json list = sluice_get(config, "langs");
  if (sluice_type_of(list) == SLUICE_MISSING) return NULL;
  if (sluice_type_of(list) != SLUICE_ARRAY || sluice_length(list) > MAX_LANGS) {
    return sluice_error("invalid plugin config at `langs`: expected a list of at most %d strings", MAX_LANGS);
  }
  lang_count = 0;
  for (sluice_json lang = sluice_first(list); sluice_type_of(lang) != SLUICE_MISSING; lang = sluice_next(lang)) {
    if (!sluice_string(lang)) return sluice_error("invalid plugin config at `langs`: expected a list of strings");
    langs[lang_count++] = strdup(sluice_string(lang));
  }
  return NULL;
}

static bool wanted(sluice_json lang) {
  for (size_t i = 0; i < lang_count; i++) {
    if (sluice_string_is(lang, langs[i])) return true;
  }
  return false;
}

sluice_outcome sluice_filter(sluice_json tweet) {
  if (sluice_type_of(sluice_get(tweet, "id_str")) != SLUICE_STRING) return sluice_reject("missing id_str");
  if (!wanted(sluice_get(tweet, "lang"))) return sluice_drop();

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
