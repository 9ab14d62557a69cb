/* The component's exports, written once on top of the generated bindings,
 * and the JSON a filter reads and writes: each record is tokenized with jsmn
 * (Debian's libjsmn-dev, one MIT header), which records where each value
 * starts and ends, so values are copied to the output byte for byte and
 * strings are unescaped only when asked for. jsmn does not fully validate
 * JSON; the host validates every record before any filter runs. */
#include "sluice_filter.h"

#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One parsed JSON text and the strings unescaped from it, all freed when the
 * filter's call returns. */
struct sluice_doc {
  const char *json;
  jsmntok_t *tok;
  int count;
  char **strings;
  size_t string_count;
  size_t string_cap;
};

static void *checked(void *pointer) {
  if (!pointer) abort();
  return pointer;
}

/* Tokenizes `json`; returns jsmn's error (< 0) when it is not JSON. */
static int doc_parse(struct sluice_doc *doc, const char *json, size_t len) {
  *doc = (struct sluice_doc){.json = json};
  jsmn_parser parser;
  jsmn_init(&parser);
  int count = jsmn_parse(&parser, json, len, NULL, 0);
  if (count <= 0) return count < 0 ? count : JSMN_ERROR_PART;
  doc->tok = checked(malloc((size_t)count * sizeof(jsmntok_t)));
  jsmn_init(&parser);
  doc->count = jsmn_parse(&parser, json, len, doc->tok, (unsigned)count);
  return doc->count;
}

static void doc_free(struct sluice_doc *doc) {
  for (size_t i = 0; i < doc->string_count; i++) free(doc->strings[i]);
  free(doc->strings);
  free(doc->tok);
}

static const jsmntok_t *token(sluice_json value) {
  return value.index >= 0 ? &value.doc->tok[value.index] : NULL;
}

static sluice_json missing(sluice_json from) {
  return (sluice_json){from.doc, -1, -1};
}

/* The token after token i and everything nested in it. */
static int skip(const struct sluice_doc *doc, int i) {
  int end = doc->tok[i].end;
  int next = i + 1;
  while (next < doc->count && doc->tok[next].start < end) next++;
  return next;
}

sluice_type sluice_type_of(sluice_json value) {
  const jsmntok_t *tok = token(value);
  if (!tok) return SLUICE_MISSING;
  switch (tok->type) {
    case JSMN_OBJECT:
      return SLUICE_OBJECT;
    case JSMN_ARRAY:
      return SLUICE_ARRAY;
    case JSMN_STRING:
      return SLUICE_STRING;
    default:
      switch (value.doc->json[tok->start]) {
        case 'n':
          return SLUICE_NULL;
        case 't':
        case 'f':
          return SLUICE_BOOL;
        default:
          return SLUICE_NUMBER;
      }
  }
}

bool sluice_present(sluice_json value) {
  sluice_type type = sluice_type_of(value);
  return type != SLUICE_MISSING && type != SLUICE_NULL;
}

/* Appends the UTF-8 encoding of code point cp. */
static size_t utf8(char *out, unsigned cp) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | cp >> 6);
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | cp >> 12);
    out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | cp >> 18);
  out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
  out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

static unsigned hex4(const char *s) {
  return (unsigned)strtoul((char[5]){s[0], s[1], s[2], s[3], 0}, NULL, 16);
}

/* Unescapes string token tok into a NUL-terminated malloc'd string. */
static char *unescape(const char *json, const jsmntok_t *tok) {
  const char *s = json + tok->start;
  size_t n = (size_t)(tok->end - tok->start);
  char *out = checked(malloc(n + 1));
  size_t o = 0;
  for (size_t k = 0; k < n; k++) {
    if (s[k] != '\\') {
      out[o++] = s[k];
      continue;
    }
    char e = s[++k];
    if (e != 'u') {
      const char *plain = strchr("\"\"\\\\//b\bf\fn\nr\rt\t", e);
      out[o++] = plain ? plain[1] : e;
      continue;
    }
    unsigned cp = hex4(s + k + 1);
    k += 4;
    if (cp >= 0xD800 && cp < 0xDC00 && k + 6 < n && s[k + 1] == '\\' && s[k + 2] == 'u') {
      unsigned lo = hex4(s + k + 3);
      if (lo >= 0xDC00 && lo < 0xE000) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        k += 6;
      }
    }
    o += utf8(out + o, cp);
  }
  out[o] = 0;
  return out;
}

const char *sluice_string(sluice_json value) {
  const jsmntok_t *tok = token(value);
  if (!tok || tok->type != JSMN_STRING) return NULL;
  struct sluice_doc *doc = (struct sluice_doc *)value.doc;
  if (doc->string_count == doc->string_cap) {
    doc->string_cap = doc->string_cap ? doc->string_cap * 2 : 8;
    doc->strings = checked(realloc(doc->strings, doc->string_cap * sizeof(char *)));
  }
  char *text = unescape(doc->json, tok);
  doc->strings[doc->string_count++] = text;
  return text;
}

/* Compares string token tok with `text` (length n), without allocating when
 * the token has no escapes. */
static bool token_equals(const char *json, const jsmntok_t *tok, const char *text, size_t n) {
  if (tok->type != JSMN_STRING) return false;
  const char *raw = json + tok->start;
  size_t len = (size_t)(tok->end - tok->start);
  if (!memchr(raw, '\\', len)) return len == n && memcmp(raw, text, n) == 0;
  char *decoded = unescape(json, tok);
  bool equal = strlen(decoded) == n && memcmp(decoded, text, n) == 0;
  free(decoded);
  return equal;
}

bool sluice_string_is(sluice_json value, const char *text) {
  const jsmntok_t *tok = token(value);
  return tok && token_equals(value.doc->json, tok, text, strlen(text));
}

bool sluice_string_in(sluice_json value, char *const list[]) {
  for (size_t i = 0; list[i]; i++) {
    if (sluice_string_is(value, list[i])) return true;
  }
  return false;
}

double sluice_number(sluice_json value, double otherwise) {
  if (sluice_type_of(value) != SLUICE_NUMBER) return otherwise;
  const jsmntok_t *tok = token(value);
  char digits[64];
  size_t n = (size_t)(tok->end - tok->start);
  if (n >= sizeof digits) return otherwise;
  memcpy(digits, value.doc->json + tok->start, n);
  digits[n] = 0;
  return strtod(digits, NULL);
}

bool sluice_bool(sluice_json value, bool otherwise) {
  if (sluice_type_of(value) != SLUICE_BOOL) return otherwise;
  return value.doc->json[token(value)->start] == 't';
}

/* The member `key` (length n) of object token obj; the last of duplicate
 * keys wins, as in Python's and JavaScript's parsers. */
static sluice_json member(sluice_json object, const char *key, size_t n) {
  const jsmntok_t *tok = token(object);
  if (!tok || tok->type != JSMN_OBJECT) return missing(object);
  sluice_json found = missing(object);
  int k = object.index + 1;
  for (int pair = 0; pair < tok->size; pair++) {
    if (token_equals(object.doc->json, &object.doc->tok[k], key, n)) {
      found = (sluice_json){object.doc, k + 1, object.index};
    }
    k = skip(object.doc, k + 1);
  }
  return found;
}

sluice_json sluice_get(sluice_json object, const char *path) {
  sluice_json at = object;
  for (;;) {
    const char *dot = strchr(path, '.');
    size_t n = dot ? (size_t)(dot - path) : strlen(path);
    at = member(at, path, n);
    if (!dot || at.index < 0) return at;
    path = dot + 1;
  }
}

sluice_json sluice_first(sluice_json container) {
  const jsmntok_t *tok = token(container);
  if (!tok || tok->size == 0) return missing(container);
  if (tok->type == JSMN_ARRAY) return (sluice_json){container.doc, container.index + 1, container.index};
  if (tok->type == JSMN_OBJECT) return (sluice_json){container.doc, container.index + 2, container.index};
  return missing(container);
}

sluice_json sluice_next(sluice_json item) {
  if (item.index < 0 || item.parent < 0) return missing(item);
  int next = skip(item.doc, item.index);
  const jsmntok_t *parent = &item.doc->tok[item.parent];
  if (next >= item.doc->count || item.doc->tok[next].start >= parent->end) return missing(item);
  if (parent->type == JSMN_OBJECT) next++; /* past the key */
  return (sluice_json){item.doc, next, item.parent};
}

const char *sluice_key(sluice_json item) {
  if (item.index < 1 || item.parent < 0 || item.doc->tok[item.parent].type != JSMN_OBJECT) return NULL;
  return sluice_string((sluice_json){item.doc, item.index - 1, item.parent});
}

size_t sluice_length(sluice_json value) {
  const jsmntok_t *tok = token(value);
  return tok && (tok->type == JSMN_ARRAY || tok->type == JSMN_OBJECT) ? (size_t)tok->size : 0;
}

const char *sluice_raw(sluice_json value, size_t *len) {
  const jsmntok_t *tok = token(value);
  if (!tok) {
    *len = 0;
    return NULL;
  }
  bool quoted = tok->type == JSMN_STRING;
  *len = (size_t)(tok->end - tok->start) + (quoted ? 2 : 0);
  return value.doc->json + tok->start - quoted;
}

/* --- Writing ------------------------------------------------------------- */

void sluice_buf_append(sluice_buf *buf, const void *bytes, size_t len) {
  if (buf->len + len > buf->cap) {
    size_t cap = buf->cap ? buf->cap * 2 : 256;
    while (cap < buf->len + len) cap *= 2;
    buf->ptr = checked(realloc(buf->ptr, cap));
    buf->cap = cap;
  }
  memcpy(buf->ptr + buf->len, bytes, len);
  buf->len += len;
}

static void append_text(sluice_buf *buf, const char *text) {
  sluice_buf_append(buf, text, strlen(text));
}

/* A comma unless the value opens its container or follows its key. */
static void separate(sluice_buf *out) {
  if (out->len == 0) return;
  uint8_t last = out->ptr[out->len - 1];
  if (last != '{' && last != '[' && last != ':') sluice_buf_append(out, ",", 1);
}

static void append_quoted(sluice_buf *out, const char *text) {
  sluice_buf_append(out, "\"", 1);
  for (const char *c = text; *c; c++) {
    unsigned char ch = (unsigned char)*c;
    if (ch == '"' || ch == '\\') {
      sluice_buf_append(out, "\\", 1);
      sluice_buf_append(out, c, 1);
    } else if (ch < 0x20) {
      char escaped[8];
      snprintf(escaped, sizeof escaped, "\\u%04x", ch);
      append_text(out, escaped);
    } else {
      sluice_buf_append(out, c, 1);
    }
  }
  sluice_buf_append(out, "\"", 1);
}

static void key(sluice_buf *out, const char *name) {
  separate(out);
  append_quoted(out, name);
  sluice_buf_append(out, ":", 1);
}

void sluice_begin_object(sluice_buf *out) {
  separate(out);
  sluice_buf_append(out, "{", 1);
}

void sluice_end_object(sluice_buf *out) { sluice_buf_append(out, "}", 1); }

void sluice_begin_array(sluice_buf *out, const char *name) {
  key(out, name);
  sluice_buf_append(out, "[", 1);
}

void sluice_end_array(sluice_buf *out) { sluice_buf_append(out, "]", 1); }

void sluice_put(sluice_buf *out, const char *name, sluice_json value) {
  if (!sluice_present(value)) return;
  size_t len;
  const char *raw = sluice_raw(value, &len);
  key(out, name);
  sluice_buf_append(out, raw, len);
}

void sluice_put_string(sluice_buf *out, const char *name, const char *text) {
  key(out, name);
  append_quoted(out, text);
}

void sluice_put_number(sluice_buf *out, const char *name, double number) {
  char digits[32];
  /* %.17g round-trips a double and writes whole numbers without a point. */
  int n = snprintf(digits, sizeof digits, "%.17g", number);
  key(out, name);
  sluice_buf_append(out, digits, (size_t)n);
}

void sluice_put_bool(sluice_buf *out, const char *name, bool value) {
  key(out, name);
  append_text(out, value ? "true" : "false");
}

void sluice_push(sluice_buf *out, sluice_json value) {
  size_t len;
  const char *raw = sluice_raw(value, &len);
  if (!raw) return;
  separate(out);
  sluice_buf_append(out, raw, len);
}

/* --- Answering ----------------------------------------------------------- */

sluice_outcome sluice_pass(void) { return (sluice_outcome){.tag = SLUICE_FILTER_TYPES_OUTCOME_PASS}; }

sluice_outcome sluice_drop(void) { return (sluice_outcome){.tag = SLUICE_FILTER_TYPES_OUTCOME_DROP}; }

/* The post-return code frees a list only when it is not empty, so an empty
 * one must not hold an allocation. */
static filter_list_u8_t take(sluice_buf *buf) {
  filter_list_u8_t list = {buf->ptr, buf->len};
  if (list.len == 0) {
    free(list.ptr);
    list.ptr = NULL;
  }
  *buf = (sluice_buf){0};
  return list;
}

sluice_outcome sluice_replace(sluice_buf *doc) {
  sluice_outcome out = {.tag = SLUICE_FILTER_TYPES_OUTCOME_REPLACE};
  out.val.replace = take(doc);
  return out;
}

sluice_outcome sluice_split(sluice_buf *docs, size_t count) {
  sluice_outcome out = {.tag = SLUICE_FILTER_TYPES_OUTCOME_SPLIT};
  out.val.split = (filter_list_list_u8_t){NULL, count};
  if (count) {
    out.val.split.ptr = checked(malloc(count * sizeof(filter_list_u8_t)));
    for (size_t i = 0; i < count; i++) out.val.split.ptr[i] = take(&docs[i]);
  }
  return out;
}

sluice_outcome sluice_reject(const char *reason) {
  sluice_outcome out = {.tag = SLUICE_FILTER_TYPES_OUTCOME_REJECT};
  size_t len = strlen(reason);
  out.val.reject = (filter_string_t){NULL, len};
  if (len) filter_string_dup_n(&out.val.reject, reason, len);
  return out;
}

char *sluice_error(const char *format, ...) {
  va_list args;
  va_start(args, format);
  int len = vsnprintf(NULL, 0, format, args);
  va_end(args);
  char *message = checked(malloc((size_t)len + 1));
  va_start(args, format);
  vsnprintf(message, (size_t)len + 1, format, args);
  va_end(args);
  return message;
}

/* serde's wording, so that every language's SDK refuses a key alike. */
char *sluice_check_keys(sluice_json config, const char *const known[]) {
  for (sluice_json value = sluice_first(config); sluice_type_of(value) != SLUICE_MISSING;
       value = sluice_next(value)) {
    const char *name = sluice_key(value);
    bool listed = false;
    size_t count = 0;
    for (; known[count]; count++) listed = listed || strcmp(name, known[count]) == 0;
    if (listed) continue;
    sluice_buf expected = {0};
    append_text(&expected, count == 0 ? "there are no fields" : count == 1 ? "expected " : "expected one of ");
    for (size_t i = 0; i < count; i++) {
      if (i) append_text(&expected, ", ");
      append_text(&expected, "`");
      append_text(&expected, known[i]);
      append_text(&expected, "`");
    }
    sluice_buf_append(&expected, "", 1);
    char *message = sluice_error("invalid plugin config at `%s`: unknown field `%s`, %s", name, name,
                                 (const char *)expected.ptr);
    free(expected.ptr);
    return message;
  }
  return NULL;
}

char *sluice_setting_strings(sluice_json config, const char *key, char ***list) {
  sluice_json value = sluice_get(config, key);
  if (sluice_type_of(value) == SLUICE_MISSING) return NULL;
  if (sluice_type_of(value) != SLUICE_ARRAY) {
    return sluice_error("invalid plugin config at `%s`: expected a list of strings", key);
  }
  char **strings = checked(calloc(sluice_length(value) + 1, sizeof(char *)));
  size_t count = 0;
  for (sluice_json item = sluice_first(value); sluice_type_of(item) != SLUICE_MISSING; item = sluice_next(item)) {
    const char *text = sluice_string(item);
    if (!text) {
      for (size_t i = 0; i < count; i++) free(strings[i]);
      free(strings);
      return sluice_error("invalid plugin config at `%s`: expected a list of strings", key);
    }
    strings[count++] = checked(strdup(text));
  }
  *list = strings;
  return NULL;
}

/* --- The component's exports --------------------------------------------- */

bool exports_filter_init(filter_string_t *config, filter_string_t *err) {
  struct sluice_doc doc;
  char *message = NULL;
  if (doc_parse(&doc, (const char *)config->ptr, config->len) < 0 || doc.tok[0].type != JSMN_OBJECT) {
    message = sluice_error("invalid plugin config: not a JSON object");
  } else {
    message = sluice_filter_init((sluice_json){&doc, 0, -1});
  }
  doc_free(&doc);
  filter_string_free(config);
  if (!message) return true;
  *err = (filter_string_t){(uint8_t *)message, strlen(message)};
  return false;
}

static sluice_outcome run_record(const filter_list_u8_t *record) {
  struct sluice_doc doc;
  int parsed = doc_parse(&doc, (const char *)record->ptr, record->len);
  sluice_outcome outcome = parsed < 0 ? sluice_reject("plugin could not parse record: not JSON")
                                      : sluice_filter((sluice_json){&doc, 0, -1});
  doc_free(&doc);
  return outcome;
}

void exports_filter_process(filter_list_list_u8_t *batch, filter_list_outcome_t *ret) {
  *ret = (filter_list_outcome_t){NULL, batch->len};
  if (batch->len) ret->ptr = checked(malloc(batch->len * sizeof(filter_outcome_t)));
  for (size_t i = 0; i < batch->len; i++) ret->ptr[i] = run_record(&batch->ptr[i]);
  filter_list_list_u8_free(batch);
}
