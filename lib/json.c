// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "json.h"

#include <resolv.h>
#include <stdlib.h>
#include <string.h>

void json_init(struct json_writer *w)
{
	memset(w, 0, sizeof(*w));
}

void json_free(struct json_writer *w)
{
	free(w->buf);
	json_init(w);
}

void json_reset(struct json_writer *w)
{
	w->len = 0;
	w->depth = 0;
	w->failed = false;
	w->after_key = false;
	w->need_comma[0] = false;
}

/* Grows the buffer; the caller has seen that it must. */
static __attribute__((noinline)) bool grow(struct json_writer *w, size_t more)
{
	size_t cap = w->cap ? w->cap : 256;
	char *buf;

	while (cap < w->len + more)
		cap *= 2;
	buf = realloc(w->buf, cap);
	if (!buf) {
		w->failed = true;
		return false;
	}
	w->buf = buf;
	w->cap = cap;
	return true;
}

/* The hot path of every append (millions a second in a reader): one compare. */
static inline bool reserve(struct json_writer *w, size_t more)
{
	return w->len + more <= w->cap || grow(w, more);
}

static inline void put(struct json_writer *w, const char *s, size_t n)
{
	if (!reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static inline void putch(struct json_writer *w, char c)
{
	if (!reserve(w, 1))
		return;
	w->buf[w->len++] = c;
}

/* Puts the comma a new value needs in the current container. */
static void before_value(struct json_writer *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->need_comma[w->depth])
		putch(w, ',');
	w->need_comma[w->depth] = true;
}

static void open_container(struct json_writer *w, char c)
{
	before_value(w);
	putch(w, c);
	if (w->depth + 1 >= JSON_MAX_DEPTH) {
		w->failed = true;
		return;
	}
	w->need_comma[++w->depth] = false;
}

static void close_container(struct json_writer *w, char c)
{
	if (w->depth > 0)
		w->depth--;
	putch(w, c);
}

void json_object_begin(struct json_writer *w) { open_container(w, '{'); }
void json_object_end(struct json_writer *w) { close_container(w, '}'); }
void json_array_begin(struct json_writer *w) { open_container(w, '['); }
void json_array_end(struct json_writer *w) { close_container(w, ']'); }

/* Bytes that can be copied as they are: printable ASCII but " and \. A
 * table: one load a byte where four compares were (every byte of every
 * string a reader prints passes here). */
static const bool plain_bytes[256] = {
	[0x20 ... '"' - 1] = true,
	['"' + 1 ... '\\' - 1] = true,
	['\\' + 1 ... 0x7e] = true,
};

static inline bool plain(unsigned char c)
{
	return plain_bytes[c];
}

size_t json_utf8_seq_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return avail >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		/* E0 needs A0..BF (no overlong), ED needs 80..9F (no surrogates) */
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;

		return avail >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		/* F0 needs 90..BF (no overlong), F4 needs 80..8F (<= U+10FFFF) */
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;

		return avail >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 &&
		       (s[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

static const char hex[] = "0123456789abcdef";

static void put_u_escape(struct json_writer *w, unsigned int code)
{
	char e[6] = { '\\', 'u', hex[(code >> 12) & 0xf], hex[(code >> 8) & 0xf],
		      hex[(code >> 4) & 0xf], hex[code & 0xf] };

	put(w, e, sizeof(e));
}

/* str as a JSON string, quotes included: the one place that escapes. */
static void quoted(struct json_writer *w, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	putch(w, '"');
	while (i < len) {
		size_t run = i, n;

		while (run < len && plain(s[run]))
			run++;
		if (run > i) {
			put(w, str + i, run - i);
			i = run;
			continue;
		}
		switch (s[i]) {
		case '"': put(w, "\\\"", 2); i++; continue;
		case '\\': put(w, "\\\\", 2); i++; continue;
		case '\n': put(w, "\\n", 2); i++; continue;
		case '\t': put(w, "\\t", 2); i++; continue;
		case '\r': put(w, "\\r", 2); i++; continue;
		}
		if (s[i] < 0x80) {		/* other control bytes and DEL */
			put_u_escape(w, s[i]);
			i++;
			continue;
		}
		n = json_utf8_seq_len(s + i, len - i);
		if (!n) {			/* invalid: keep the byte, losslessly */
			put_u_escape(w, 0xdc00 | s[i]);
			i++;
			continue;
		}
		/* U+2028/2029 are valid JSON but end lines in JavaScript. */
		if (n == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9))
			put_u_escape(w, 0x2000 | (s[i + 2] - 0x80));
		else
			put(w, str + i, n);
		i += n;
	}
	putch(w, '"');
}

void json_string(struct json_writer *w, const char *str, size_t len)
{
	before_value(w);
	quoted(w, str, len);
}

#define SHORT_KEY 32

void json_key(struct json_writer *w, const char *key)
{
	const unsigned char *k = (const unsigned char *)key;
	size_t n = 0;
	char *out;

	before_value(w);
	/* Keys are nearly always our own short plain names: copied as they
	 * are scanned, with no call. */
	if (!reserve(w, SHORT_KEY + 3))
		return;
	out = w->buf + w->len;
	out[0] = '"';
	while (n < SHORT_KEY && plain(k[n])) {
		out[n + 1] = k[n];
		n++;
	}
	if (k[n]) {
		quoted(w, key, strlen(key));
		putch(w, ':');
	} else {
		out[n + 1] = '"';
		out[n + 2] = ':';
		w->len += n + 3;
	}
	w->after_key = true;
}

void json_cstring(struct json_writer *w, const char *s)
{
	json_string(w, s, strlen(s));
}

void json_raw(struct json_writer *w, const char *text, size_t len)
{
	before_value(w);
	put(w, text, len);
}

void json_raw_members(struct json_writer *w, const char *text, size_t len)
{
	if (len)
		json_raw(w, text, len);	/* the comma before, as before a value */
}

void json_hex(struct json_writer *w, const void *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = data;

	before_value(w);
	if (!reserve(w, 2 * len + 2))
		return;
	w->buf[w->len++] = '"';
	for (size_t i = 0; i < len; i++) {
		w->buf[w->len++] = digits[p[i] >> 4];
		w->buf[w->len++] = digits[p[i] & 15];
	}
	w->buf[w->len++] = '"';
}

/* glibc's b64_ntop (libresolv) writes the text and its NUL in place. */
void json_base64(struct json_writer *w, const void *data, size_t len)
{
	size_t text = (len + 2) / 3 * 4;
	int n;

	before_value(w);
	if (!reserve(w, text + 3))
		return;
	w->buf[w->len++] = '"';
	n = b64_ntop(data, len, w->buf + w->len, text + 1);
	if (n < 0) {
		w->failed = true;
		return;
	}
	w->len += n;
	w->buf[w->len++] = '"';
}

void json_end_line(struct json_writer *w)
{
	putch(w, '\n');
	w->depth = 0;
	w->after_key = false;
	w->need_comma[0] = false;
}

/* "00" "01" .. "99": two digits a division. */
static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Writes v's decimal digits to end back to front; returns where they start. */
char *json_decimal(char *end, uint64_t v)
{
	while (v >= 100) {
		unsigned pair = v % 100;

		v /= 100;
		end -= 2;
		memcpy(end, &digit_pairs[2 * pair], 2);
	}
	if (v >= 10) {
		end -= 2;
		memcpy(end, &digit_pairs[2 * v], 2);
	} else {
		*--end = '0' + v;
	}
	return end;
}

void json_u64(struct json_writer *w, uint64_t v)
{
	char tmp[24], *start = json_decimal(tmp + sizeof(tmp), v);

	json_raw(w, start, tmp + sizeof(tmp) - start);
}

void json_i64(struct json_writer *w, int64_t v)
{
	char tmp[24], *start = json_decimal(tmp + sizeof(tmp), v < 0 ? -(uint64_t)v : (uint64_t)v);

	if (v < 0)
		*--start = '-';
	json_raw(w, start, tmp + sizeof(tmp) - start);
}

void json_bool(struct json_writer *w, bool v)
{
	json_raw(w, v ? "true" : "false", v ? 4 : 5);
}

void json_null(struct json_writer *w)
{
	json_raw(w, "null", 4);
}

void json_kv_u64(struct json_writer *w, const char *key, uint64_t v)
{
	json_key(w, key);
	json_u64(w, v);
}

void json_kv_i64(struct json_writer *w, const char *key, int64_t v)
{
	json_key(w, key);
	json_i64(w, v);
}

void json_kv_str(struct json_writer *w, const char *key, const char *s, size_t len)
{
	json_key(w, key);
	json_string(w, s, len);
}

void json_kv_cstr(struct json_writer *w, const char *key, const char *s)
{
	json_key(w, key);
	json_cstring(w, s);
}

void json_kv_bool(struct json_writer *w, const char *key, bool v)
{
	json_key(w, key);
	json_bool(w, v);
}
