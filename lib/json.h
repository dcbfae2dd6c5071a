/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A streaming JSON writer into a growing buffer. All escaping happens in
 * one function, quoted() in json.c (keys of plain bytes are copied as they
 * are): control bytes become \u00XX, and bytes that are not valid UTF-8
 * become lone surrogates \udc80..\udcff (as Python's surrogateescape), so
 * that any byte string gives valid JSON and the exact bytes can be
 * recovered. Commas are placed by the writer.
 */
#ifndef OBSERVE_JSON_H
#define OBSERVE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 16

struct json_writer {
	char *buf;
	size_t len, cap;
	int depth;
	bool failed;			/* out of memory or nesting too deep */
	bool need_comma[JSON_MAX_DEPTH];
	bool after_key;
};

void json_init(struct json_writer *w);
void json_free(struct json_writer *w);
/* Empties the buffer for the next document; keeps its memory. */
void json_reset(struct json_writer *w);

void json_object_begin(struct json_writer *w);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w);
void json_array_end(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);

void json_string(struct json_writer *w, const char *s, size_t len);
void json_cstring(struct json_writer *w, const char *s);
void json_u64(struct json_writer *w, uint64_t v);
void json_i64(struct json_writer *w, int64_t v);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);
/* Ends a top-level document with a newline (JSON lines). */
void json_end_line(struct json_writer *w);
/* Appends text that is already JSON (e.g. a number formatted elsewhere). */
void json_raw(struct json_writer *w, const char *text, size_t len);
/* Appends members already written as JSON ("\"a\":1,\"b\":\"x\"") to the
 * open object: a run of fields that repeats from line to line, built once. */
void json_raw_members(struct json_writer *w, const char *text, size_t len);
/* Writes v in decimal just before 'end'; returns where its digits start. */
char *json_decimal(char *end, uint64_t v);

/* Bytes as a JSON string of hex digits, or of base64 (RFC 4648). */
void json_hex(struct json_writer *w, const void *data, size_t len);
void json_base64(struct json_writer *w, const void *data, size_t len);

/* key: value shorthands */
void json_kv_u64(struct json_writer *w, const char *key, uint64_t v);
void json_kv_i64(struct json_writer *w, const char *key, int64_t v);
void json_kv_str(struct json_writer *w, const char *key, const char *s, size_t len);
void json_kv_cstr(struct json_writer *w, const char *key, const char *s);
void json_kv_bool(struct json_writer *w, const char *key, bool v);

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if s[0] starts none. */
size_t json_utf8_seq_len(const unsigned char *s, size_t avail);

#endif /* OBSERVE_JSON_H */
