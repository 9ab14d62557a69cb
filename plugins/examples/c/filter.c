/*
 * The example filter, in C (see plugins/examples/README.md for what it does;
 * the Rust, Python and JavaScript versions must give the same output).
 *
 * JSON comes from jsmn (Debian's libjsmn-dev, one MIT header): a tokenizer
 * that only records where each value starts and ends. The output copies the
 * kept values byte for byte from the input, so numbers and strings are never
 * decoded and re-encoded: integers stay integers, escapes stay valid. jsmn
 * does not fully validate JSON; the host does that before any filter runs.
 */
#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice_filter.h"

typedef struct {
  const char *json;
  jsmntok_t *tok;
  int count;
} doc;

/* At most this many languages in the config; more is refused at init. */
#define MAX_LANGS 64

static char *langs[MAX_LANGS] = {"en", "ko"};
static size_t lang_count = 2;

static bool tokenize(doc *d, const char *json, size_t len) {
  jsmn_parser parser;
  jsmn_init(&parser);
  int count = jsmn_parse(&parser, json, len, NULL, 0);
  if (count <= 0) return false;
  d->json = json;
  d->tok = malloc((size_t)count * sizeof(jsmntok_t));
  if (!d->tok) abort();
  jsmn_init(&parser);
  d->count = jsmn_parse(&parser, json, len, d->tok, (unsigned)count);
  return d->count == count;
}

/* The token after token i and everything nested in it. */
static int skip(const doc *d, int i) {
  int end = d->tok[i].end;
  int next = i + 1;
  while (next < d->count && d->tok[next].start < end) next++;
  return next;
}

/* Decodes JSON string token i (escapes included) into a NUL-terminated
 * malloc'd string. */
static char *decode_string(const doc *d, int i) {
  const char *s = d->json + d->tok[i].start;
  size_t n = (size_t)(d->tok[i].end - d->tok[i].start);
  char *out = malloc(n + 1);
  if (!out) abort();
  size_t o = 0;
  for (size_t k = 0; k < n; k++) {
    if (s[k] != '\\') {
      out[o++] = s[k];
      continue;
    }
    char e = s[++k];
    const char *plain = strchr("\"\"\\\\//b\bf\fn\nr\rt\t", e);
    if (e != 'u') {
      out[o++] = plain ? plain[1] : e;
      continue;
    }
    unsigned cp = (unsigned)strtoul((char[5]){s[k + 1], s[k + 2], s[k + 3], s[k + 4], 0}, NULL, 16);
    k += 4;
    if (cp >= 0xD800 && cp < 0xDC00 && k + 6 < n && s[k + 1] == '\\' && s[k + 2] == 'u') {
      unsigned lo = (unsigned)strtoul((char[5]){s[k + 3], s[k + 4], s[k + 5], s[k + 6], 0}, NULL, 16);
      if (lo >= 0xDC00 && lo < 0xE000) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        k += 6;
      }
    }
    if (cp < 0x80) {
      out[o++] = (char)cp;
    } else if (cp < 0x800) {
      out[o++] = (char)(0xC0 | cp >> 6);
      out[o++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out[o++] = (char)(0xE0 | cp >> 12);
      out[o++] = (char)(0x80 | (cp >> 6 & 0x3F));
      out[o++] = (char)(0x80 | (cp & 0x3F));
    } else {
      out[o++] = (char)(0xF0 | cp >> 18);
      out[o++] = (char)(0x80 | (cp >> 12 & 0x3F));
      out[o++] = (char)(0x80 | (cp >> 6 & 0x3F));
      out[o++] = (char)(0x80 | (cp & 0x3F));
    }
  }
  out[o] = 0;
  return out;
}

static bool string_equals(const doc *d, int i, const char *text) {
  if (d->tok[i].type != JSMN_STRING) return false;
  const char *raw = d->json + d->tok[i].start;
  size_t n = (size_t)(d->tok[i].end - d->tok[i].start);
  if (!memchr(raw, '\\', n)) return n == strlen(text) && memcmp(raw, text, n) == 0;
  char *decoded = decode_string(d, i);
  bool equal = strcmp(decoded, text) == 0;
  free(decoded);
  return equal;
}

static bool is_null(const doc *d, int i) {
  return d->tok[i].type == JSMN_PRIMITIVE && d->json[d->tok[i].start] == 'n';
}

/* The value of `key` in the object at token obj, or -1 when obj is not an
 * object, the key is missing, or its value is null. The last of duplicate
 * keys wins, as in Python's and JavaScript's parsers. */
static int get(const doc *d, int obj, const char *key) {
  if (obj < 0 || d->tok[obj].type != JSMN_OBJECT) return -1;
  int found = -1;
  int k = obj + 1;
  for (int pair = 0; pair < d->tok[obj].size; pair++) {
    if (string_equals(d, k, key)) found = k + 1;
    k = skip(d, k + 1);
  }
  return found >= 0 && !is_null(d, found) ? found : -1;
}

/* Appends token i exactly as it is written in the input. */
static void copy(sluice_buf *out, const doc *d, int i) {
  bool quoted = d->tok[i].type == JSMN_STRING;
  int start = d->tok[i].start - quoted;
  int end = d->tok[i].end + quoted;
  sluice_buf_append(out, d->json + start, (size_t)(end - start));
}

/* Writes `"key":value` when the value is there (i >= 0). */
static void field(sluice_buf *out, const char *key, const doc *d, int i) {
  if (i < 0) return;
  sluice_buf_puts(out, out->len > 1 ? ",\"" : "\"");
  sluice_buf_puts(out, key);
  sluice_buf_puts(out, "\":");
  copy(out, d, i);
}

static sluice_outcome flatten(const doc *d) {
  sluice_buf out = {0};
  sluice_buf_puts(&out, "{");
  field(&out, "id_str", d, get(d, 0, "id_str"));
  field(&out, "created_at", d, get(d, 0, "created_at"));
  field(&out, "lang", d, get(d, 0, "lang"));
  int text = get(d, get(d, 0, "extended_tweet"), "full_text");
  if (text < 0) text = get(d, 0, "full_text");
  if (text < 0) text = get(d, 0, "text");
  field(&out, "text", d, text);
  int user = get(d, 0, "user");
  field(&out, "user_screen_name", d, get(d, user, "screen_name"));
  field(&out, "user_name", d, get(d, user, "name"));
  field(&out, "user_followers_count", d, get(d, user, "followers_count"));
  field(&out, "retweet_count", d, get(d, 0, "retweet_count"));
  field(&out, "favorite_count", d, get(d, 0, "favorite_count"));
  field(&out, "in_reply_to_screen_name", d, get(d, 0, "in_reply_to_screen_name"));
  sluice_buf_puts(&out, get(d, 0, "retweeted_status") >= 0 ? ",\"is_retweet\":true" : ",\"is_retweet\":false");

  sluice_buf_puts(&out, ",\"hashtags\":[");
  int count = 0;
  int hashtags = get(d, get(d, 0, "entities"), "hashtags");
  if (hashtags >= 0 && d->tok[hashtags].type == JSMN_ARRAY) {
    int item = hashtags + 1;
    for (int n = 0; n < d->tok[hashtags].size; n++) {
      int tag = get(d, item, "text");
      if (tag >= 0 && d->tok[tag].type == JSMN_STRING) {
        if (count++) sluice_buf_puts(&out, ",");
        copy(&out, d, tag);
      }
      item = skip(d, item);
    }
  }
  char tail[32];
  size_t tail_len = (size_t)snprintf(tail, sizeof tail, "],\"hashtag_count\":%d}", count);
  sluice_buf_append(&out, tail, tail_len);
  return sluice_replace(&out);
}

sluice_outcome sluice_filter_record(const uint8_t *record, size_t len) {
  doc d = {0};
  if (!tokenize(&d, (const char *)record, len) || d.tok[0].type != JSMN_OBJECT) {
    free(d.tok);
    return sluice_reject("missing id_str");
  }
  sluice_outcome result;
  int id = get(&d, 0, "id_str");
  int lang = get(&d, 0, "lang");
  bool keep = false;
  for (size_t i = 0; lang >= 0 && i < lang_count && !keep; i++) keep = string_equals(&d, lang, langs[i]);
  if (id < 0 || d.tok[id].type != JSMN_STRING) {
    result = sluice_reject("missing id_str");
  } else if (!keep) {
    result = sluice_drop();
  } else {
    result = flatten(&d);
  }
  free(d.tok);
  return result;
}

static char *error(const char *prefix, const doc *d, int key) {
  char *name = key >= 0 ? decode_string(d, key) : NULL;
  size_t len = strlen(prefix) + (name ? strlen(name) : 0) + 1;
  char *message = malloc(len);
  if (!message) abort();
  snprintf(message, len, "%s%s", prefix, name ? name : "");
  free(name);
  return message;
}

char *sluice_filter_init(const char *config, size_t len) {
  doc d = {0};
  char *message = NULL;
  if (!tokenize(&d, config, len) || d.tok[0].type != JSMN_OBJECT) {
    message = error("config must be a JSON object", &d, -1);
  }
  int k = 1;
  for (int pair = 0; !message && pair < d.tok[0].size; pair++) {
    int value = k + 1;
    if (!string_equals(&d, k, "langs")) {
      message = error("unknown config key: ", &d, k);
    } else if (d.tok[value].type != JSMN_ARRAY || d.tok[value].size > MAX_LANGS) {
      message = error("langs must be an array of strings", &d, -1);
    } else {
      lang_count = 0;
      for (int item = value + 1; item < skip(&d, value); item = skip(&d, item)) {
        if (d.tok[item].type != JSMN_STRING) {
          message = error("langs must be an array of strings", &d, -1);
          break;
        }
        langs[lang_count++] = decode_string(&d, item);
      }
    }
    k = skip(&d, value);
  }
  free(d.tok);
  return message;
}
