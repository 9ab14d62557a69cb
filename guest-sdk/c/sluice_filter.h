/*
 * Write a Sluice filter in C: implement two functions, link this SDK.
 *
 * The SDK implements the component's exports (generated/, wit-bindgen's C
 * bindings of guest-sdk/wit) and parses each record before your filter sees
 * it, so a filter reads fields by path and answers with one call:
 *
 *   sluice_outcome sluice_filter(sluice_json tweet) {
 *     return sluice_string_is(sluice_get(tweet, "lang"), "en") ? sluice_pass() : sluice_drop();
 *   }
 *
 * Values (sluice_json) point into the SDK's parse of the record; they and
 * every string the SDK returns are valid until your function returns. Copy
 * (strdup) what you keep, such as settings read in sluice_filter_init.
 *
 * Memory handed to the SDK (a replace or split document, an init error)
 * must come from malloc: the SDK passes it to the host, and the generated
 * code frees it after the host has copied it out. Out of memory aborts; the
 * host isolates the trap.
 */
#ifndef SLUICE_FILTER_H
#define SLUICE_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filter.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A JSON value inside the record or the settings: a place in the SDK's
 * parse. Missing values are values too, so lookups chain without checks. */
typedef struct {
  const struct sluice_doc *doc;
  int index;  /* its token, or -1 when missing */
  int parent; /* the token of the array or object holding it, or -1 */
} sluice_json;

/* What the filter decides for one record (the WIT `outcome` variant). */
typedef filter_outcome_t sluice_outcome;

/* --- Implemented by the filter ------------------------------------------ */

/* Called once with the plugin's settings (the pipeline file's table, a JSON
 * object; `{}` when there is none). Returns NULL to accept them, or a
 * message that refuses the plugin (sluice_error or sluice_check_keys). */
char *sluice_filter_init(sluice_json config);

/* Called once per record, one parsed JSON value (an object, for tweets). */
sluice_outcome sluice_filter(sluice_json record);

/* --- Reading JSON -------------------------------------------------------- */

typedef enum {
  SLUICE_MISSING, /* no such key, index or value */
  SLUICE_NULL,
  SLUICE_BOOL,
  SLUICE_NUMBER,
  SLUICE_STRING,
  SLUICE_ARRAY,
  SLUICE_OBJECT,
} sluice_type;

sluice_type sluice_type_of(sluice_json value);
/* Neither missing nor null. */
bool sluice_present(sluice_json value);

/* The value at a dotted path of object keys ("user.screen_name"); missing
 * when a step is not an object or has no such key. */
sluice_json sluice_get(sluice_json object, const char *path);

/* The string, unescaped and NUL-terminated, or NULL when not a string. */
const char *sluice_string(sluice_json value);
/* Whether the value is the string `text` (escapes resolved). */
bool sluice_string_is(sluice_json value, const char *text);
/* Whether the value is one of the strings of a NULL-terminated list. */
bool sluice_string_in(sluice_json value, char *const list[]);
/* The number, or `otherwise` when not a number. */
double sluice_number(sluice_json value, double otherwise);
/* The boolean, or `otherwise` when not a boolean. */
bool sluice_bool(sluice_json value, bool otherwise);

/* Elements of an array, members of an object:
 *   for (sluice_json tag = sluice_first(tags); sluice_present(tag); tag = sluice_next(tag))
 * (a null element also ends `sluice_present`: test sluice_type_of against
 * SLUICE_MISSING to see nulls). */
sluice_json sluice_first(sluice_json array_or_object);
sluice_json sluice_next(sluice_json item);
/* The key of an object member from sluice_first/sluice_next, else NULL. */
const char *sluice_key(sluice_json member);
/* Number of elements or members; 0 for anything else. */
size_t sluice_length(sluice_json value);

/* The value's JSON text exactly as the record has it. */
const char *sluice_raw(sluice_json value, size_t *len);

/* --- Writing JSON -------------------------------------------------------- */

/* A growable byte buffer for an output document. Start from
 * `sluice_buf out = {0};`. Commas are written for you. */
typedef struct {
  uint8_t *ptr;
  size_t len;
  size_t cap;
} sluice_buf;

void sluice_begin_object(sluice_buf *out);
void sluice_end_object(sluice_buf *out);
/* `"key":` then `[`; close with sluice_end_array. */
void sluice_begin_array(sluice_buf *out, const char *key);
void sluice_end_array(sluice_buf *out);
/* `"key":value`, the value copied byte for byte from the record (numbers
 * keep their digits), when it is present; nothing when missing or null. */
void sluice_put(sluice_buf *out, const char *key, sluice_json value);
void sluice_put_string(sluice_buf *out, const char *key, const char *text);
void sluice_put_number(sluice_buf *out, const char *key, double number);
void sluice_put_bool(sluice_buf *out, const char *key, bool value);
/* An array element, copied byte for byte. */
void sluice_push(sluice_buf *out, sluice_json value);
/* Raw bytes, for anything else. */
void sluice_buf_append(sluice_buf *buf, const void *bytes, size_t len);

/* --- Answering ----------------------------------------------------------- */

/* Forward the record's original bytes. */
sluice_outcome sluice_pass(void);
/* Drop the record on purpose (counted as dropped). */
sluice_outcome sluice_drop(void);
/* Forward `doc` (one JSON object) instead; takes the buffer. */
sluice_outcome sluice_replace(sluice_buf *doc);
/* Forward `count` documents instead; takes the buffers, not the array. */
sluice_outcome sluice_split(sluice_buf *docs, size_t count);
/* Refuse the record with a reason (copied). */
sluice_outcome sluice_reject(const char *reason);

/* A malloc'd message, printf style, for sluice_filter_init to return. */
char *sluice_error(const char *format, ...) __attribute__((format(printf, 1, 2)));
/* NULL when every key of `config` is one of `known` (NULL-terminated), else
 * the message Rust's SDK gives for the first other one:
 * "invalid plugin config at `lnags`: unknown field `lnags`, expected `langs`". */
char *sluice_check_keys(sluice_json config, const char *const known[]);
/* Reads the setting `key`, a list of strings, as a NULL-terminated malloc'd
 * array of copies into *list; leaves *list alone when the key is missing.
 * NULL, or the message that names the key when it is not such a list. */
char *sluice_setting_strings(sluice_json config, const char *key, char ***list);

#ifdef __cplusplus
}
#endif

#endif
