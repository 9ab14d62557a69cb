/* The component's exports, written once on top of the generated bindings so
 * that a filter only implements sluice_filter_init and sluice_filter_record. */
#include "sluice_filter.h"

#include <stdlib.h>
#include <string.h>

void sluice_buf_append(sluice_buf *buf, const void *bytes, size_t len) {
  if (buf->len + len > buf->cap) {
    size_t cap = buf->cap ? buf->cap * 2 : 256;
    while (cap < buf->len + len) cap *= 2;
    uint8_t *grown = realloc(buf->ptr, cap);
    if (!grown) abort();
    buf->ptr = grown;
    buf->cap = cap;
  }
  memcpy(buf->ptr + buf->len, bytes, len);
  buf->len += len;
}

void sluice_buf_puts(sluice_buf *buf, const char *text) {
  sluice_buf_append(buf, text, strlen(text));
}

sluice_outcome sluice_pass(void) {
  return (sluice_outcome){.tag = SLUICE_FILTER_TYPES_OUTCOME_PASS};
}

sluice_outcome sluice_drop(void) {
  return (sluice_outcome){.tag = SLUICE_FILTER_TYPES_OUTCOME_DROP};
}

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
    out.val.split.ptr = malloc(count * sizeof(filter_list_u8_t));
    if (!out.val.split.ptr) abort();
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

bool exports_filter_init(filter_string_t *config, filter_string_t *err) {
  char *message = sluice_filter_init((const char *)config->ptr, config->len);
  filter_string_free(config);
  if (!message) return true;
  *err = (filter_string_t){(uint8_t *)message, strlen(message)};
  return false;
}

void exports_filter_process(filter_list_list_u8_t *batch, filter_list_outcome_t *ret) {
  *ret = (filter_list_outcome_t){NULL, batch->len};
  if (batch->len) {
    ret->ptr = malloc(batch->len * sizeof(filter_outcome_t));
    if (!ret->ptr) abort();
  }
  for (size_t i = 0; i < batch->len; i++) {
    ret->ptr[i] = sluice_filter_record(batch->ptr[i].ptr, batch->ptr[i].len);
  }
  filter_list_list_u8_free(batch);
}
