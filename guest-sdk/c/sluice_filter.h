/*
 * Write a Sluice filter in C: implement two functions, link this SDK.
 *
 * The generated bindings in generated/ (wit-bindgen's C generator, from
 * guest-sdk/wit) define the component's exports with the WIT types and the
 * component model's ownership rules. sluice_filter.c implements those exports
 * once; a filter author implements the two functions declared at the end of
 * this header and sees one record at a time as plain bytes.
 *
 * Memory: every buffer handed to the SDK (a replace or split document, a
 * reject reason copied by sluice_reject, an init error) must come from
 * malloc: the SDK passes it to the host, and the generated post-return code
 * frees it after the host has copied it out.
 */
#ifndef SLUICE_FILTER_H
#define SLUICE_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "filter.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the filter decides for one record (the WIT `outcome` variant). */
typedef filter_outcome_t sluice_outcome;

/* A growable byte buffer for building an output document. Start from
 * `sluice_buf b = {0};`. Out of memory aborts: the host isolates the trap. */
typedef struct {
  uint8_t *ptr;
  size_t len;
  size_t cap;
} sluice_buf;

void sluice_buf_append(sluice_buf *buf, const void *bytes, size_t len);
void sluice_buf_puts(sluice_buf *buf, const char *text);

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

/* --- Implemented by the filter ------------------------------------------ */

/* Called once with the plugin's config table as JSON (not NUL-terminated).
 * Returns NULL to accept it, or a malloc'd message that refuses the plugin. */
char *sluice_filter_init(const char *config, size_t len);

/* Called once per record: one JSON object, UTF-8, not NUL-terminated. The
 * bytes belong to the SDK and are freed after the call. */
sluice_outcome sluice_filter_record(const uint8_t *record, size_t len);

#ifdef __cplusplus
}
#endif

#endif
