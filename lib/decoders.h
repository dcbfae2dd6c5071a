/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Each collector's decoder: appends the fields of its own event types to a
 * JSON object whose header fields are already written (decode.c), and
 * returns 0 or -EINVAL when the record does not hold together. One file per
 * collector (decode_<collector>.c), named in observe.h's list of types.
 */
#ifndef OBSERVE_DECODERS_H
#define OBSERVE_DECODERS_H

#include <stddef.h>
#include "json.h"
#include "observe.h"

typedef int (*event_decoder)(struct json_writer *w, const void *rec, size_t size);

/* decode_exec, ...: one per record type of observe.h's list. */
#define OBSERVE_DECLARE_DECODER(id, value, name, collector, record, decoder, slots) \
	int decoder(struct json_writer *w, const void *rec, size_t size);
#define OBSERVE_NO_DECODER(...)
OBSERVE_EVENT_TYPES(OBSERVE_DECLARE_DECODER, OBSERVE_NO_DECODER)

/* How decode_tls_data writes the plaintext: a JSON string (bytes that are
 * not UTF-8 escaped as \udcXX), hex, or base64. */
enum tls_data_encoding {
	TLS_DATA_TEXT,
	TLS_DATA_HEX,
	TLS_DATA_BASE64,
};
void decode_tls_set_encoding(enum tls_data_encoding encoding);
/* "data" (or "data_hex", "data_base64"): the bytes, as set above. */
void tls_data_json(struct json_writer *w, const void *data, size_t len);
/* "SSL_write", ... for enum observe_tls_func; NULL if unknown. */
const char *tls_function_name(unsigned func);
/* The plaintext of a data record: after the server name. */
struct observe_tls_event;
const void *tls_event_data(const struct observe_tls_event *e);
/* Its enum observe_tls_library, or OBSERVE_TLS_LIBRARY_COUNT if unknown. */
unsigned tls_function_library(unsigned func);
/* "openssl", "gnutls", "go", "boringssl" for enum observe_tls_library; "?" if unknown. */
const char *tls_library_name(unsigned library);

/* "O_WRONLY|O_CREAT|O_TRUNC" (decode_files.c). */
void format_open_flags(char *buf, size_t len, unsigned long long flags);

/* Shared by the decoders. */

/* The length of a string of at most 'max' bytes that may lack its NUL. */
size_t strnlen_bytes(const char *s, size_t max);
/* "<key>": ret, and "error": "ENOENT" when ret is a -errno. */
void json_kv_result(struct json_writer *w, const char *key, long long ret);

#endif /* OBSERVE_DECODERS_H */
