// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* lib/json: escaping (control bytes, invalid UTF-8), commas, numbers. */
#include "check.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_JSON(w, expected) CHECK_MEMEQ((expected), strlen(expected), (w)->buf, (w)->len)

/* json_string() of in[0..len) is exactly the JSON text expected, quotes included. */
static bool check_string_json(const char *file, int line, const void *in, size_t len,
			      const char *expected)
{
	struct json_writer w;
	bool ok;

	json_init(&w);
	json_string(&w, in, len);
	ok = check_memeq(file, line, "json_string()", expected, strlen(expected), w.buf, w.len) &&
	     check_true(file, line, "!w.failed", !w.failed);
	json_free(&w);
	return ok;
}

#define CHECK_STRING_JSON(in, len, expected) \
	check_string_json(__FILE__, __LINE__, (in), (len), (expected))

TEST(json_escapes_every_control_byte)
{
	for (unsigned c = 0; c < 0x20; c++) {
		char in = (char)c, expected[16];

		switch (c) {
		case '\n': strcpy(expected, "\"\\n\""); break;
		case '\t': strcpy(expected, "\"\\t\""); break;
		case '\r': strcpy(expected, "\"\\r\""); break;
		default: snprintf(expected, sizeof(expected), "\"\\u%04x\"", c); break;
		}
		if (!CHECK_STRING_JSON(&in, 1, expected))
			return;
	}
}

TEST(json_escapes_control_bytes_between_text)
{
	CHECK_STRING_JSON("a\0b\x1f" "c\bd\fe", 9, "\"a\\u0000b\\u001fc\\u0008d\\u000ce\"");
	CHECK_STRING_JSON("line1\nline2\r\n\tx", 15, "\"line1\\nline2\\r\\n\\tx\"");
}

TEST(json_escapes_del_quote_and_backslash)
{
	CHECK_STRING_JSON("\x7f", 1, "\"\\u007f\"");
	CHECK_STRING_JSON("\"", 1, "\"\\\"\"");
	CHECK_STRING_JSON("\\", 1, "\"\\\\\"");
	CHECK_STRING_JSON("say \"hi\\\"", 9, "\"say \\\"hi\\\\\\\"\"");
}

TEST(json_copies_printable_ascii_unchanged)
{
	char in[0x7f - 0x20], expected[sizeof(in) + 8];
	size_t n = 0, e = 0;

	expected[e++] = '"';
	for (unsigned c = 0x20; c < 0x7f; c++) {
		if (c == '"' || c == '\\')
			continue;
		in[n++] = (char)c;
		expected[e++] = (char)c;
	}
	expected[e++] = '"';
	expected[e] = '\0';
	CHECK_STRING_JSON(in, n, expected);
	CHECK_STRING_JSON("", 0, "\"\"");
}

TEST(json_copies_valid_utf8_of_2_3_4_bytes_unchanged)
{
	static const char *const valid[] = {
		"\xc2\x80",		/* U+0080, the first 2-byte */
		"\xc3\xa9",		/* é */
		"\xdf\xbf",		/* U+07FF, the last 2-byte */
		"\xe0\xa0\x80",		/* U+0800, the first 3-byte */
		"\xe2\x82\xac",		/* € */
		"\xed\x9f\xbf",		/* U+D7FF, just below the surrogates */
		"\xee\x80\x80",		/* U+E000, just above them */
		"\xef\xbf\xbf",		/* U+FFFF */
		"\xf0\x90\x80\x80",	/* U+10000, the first 4-byte */
		"\xf0\x9f\x98\x80",	/* 😀 */
		"\xf4\x8f\xbf\xbf",	/* U+10FFFF, the last code point */
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80!",
	};

	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		char expected[64];

		snprintf(expected, sizeof(expected), "\"%s\"", valid[i]);
		CHECK_STRING_JSON(valid[i], strlen(valid[i]), expected);
	}
}

TEST(json_escapes_each_invalid_utf8_byte_as_a_low_surrogate)
{
	static const struct {
		const char *in, *expected;
	} cases[] = {
		{ "\x80", "\"\\udc80\"" },				/* lone continuation */
		{ "\xbf", "\"\\udcbf\"" },
		{ "\xff", "\"\\udcff\"" },
		{ "\xfe", "\"\\udcfe\"" },
		{ "\xc0\xaf", "\"\\udcc0\\udcaf\"" },			/* overlong '/' */
		{ "\xc1\xbf", "\"\\udcc1\\udcbf\"" },			/* overlong */
		{ "\xe0\x80\x80", "\"\\udce0\\udc80\\udc80\"" },	/* overlong NUL */
		{ "\xe0\x9f\xbf", "\"\\udce0\\udc9f\\udcbf\"" },	/* overlong U+07FF */
		{ "\xed\xa0\x80", "\"\\udced\\udca0\\udc80\"" },	/* surrogate U+D800 */
		{ "\xed\xbf\xbf", "\"\\udced\\udcbf\\udcbf\"" },	/* surrogate U+DFFF */
		{ "\xf0\x8f\xbf\xbf", "\"\\udcf0\\udc8f\\udcbf\\udcbf\"" }, /* overlong */
		{ "\xf4\x90\x80\x80", "\"\\udcf4\\udc90\\udc80\\udc80\"" }, /* above U+10FFFF */
		{ "\xf5\x80\x80\x80", "\"\\udcf5\\udc80\\udc80\\udc80\"" },
		{ "\xc3(", "\"\\udcc3(\"" },				/* lead, then no continuation */
		{ "\xe2\x82(", "\"\\udce2\\udc82(\"" },
		{ "a\x80" "b", "\"a\\udc80b\"" },
		{ "\xc3\xa9\x80\xc3\xa9", "\"\xc3\xa9\\udc80\xc3\xa9\"" }, /* valid around invalid */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_STRING_JSON(cases[i].in, strlen(cases[i].in), cases[i].expected);
}

TEST(json_escapes_sequences_truncated_at_end_of_string)
{
	CHECK_STRING_JSON("\xc3", 1, "\"\\udcc3\"");
	CHECK_STRING_JSON("\xe2\x82", 2, "\"\\udce2\\udc82\"");
	CHECK_STRING_JSON("x\xf0\x9f\x98", 4, "\"x\\udcf0\\udc9f\\udc98\"");
	/* the length given, not a NUL, ends the string: a valid sequence cut by it */
	CHECK_STRING_JSON("\xe2\x82\xac", 2, "\"\\udce2\\udc82\"");
}

TEST(json_escapes_line_and_paragraph_separators)
{
	CHECK_STRING_JSON("\xe2\x80\xa8", 3, "\"\\u2028\"");
	CHECK_STRING_JSON("a\xe2\x80\xa9" "b", 5, "\"a\\u2029b\"");
	/* the neighbours are ordinary characters */
	CHECK_STRING_JSON("\xe2\x80\xa7\xe2\x80\xaa", 6, "\"\xe2\x80\xa7\xe2\x80\xaa\"");
}

TEST(json_utf8_seq_len_measures_valid_sequences_only)
{
	static const struct {
		const char *s;
		size_t avail, expected;
	} cases[] = {
		{ "A", 1, 1 }, { "\x7f", 1, 1 },
		{ "\xc3\xa9", 2, 2 }, { "\xc3\xa9", 1, 0 }, { "\xc3" "A", 2, 0 },
		{ "\xe2\x82\xac", 3, 3 }, { "\xe2\x82\xac", 2, 0 },
		{ "\xf0\x9f\x98\x80", 4, 4 }, { "\xf0\x9f\x98\x80", 3, 0 },
		{ "\x80", 1, 0 }, { "\xc0\xaf", 2, 0 }, { "\xc1\xbf", 2, 0 },
		{ "\xe0\x80\x80", 3, 0 }, { "\xed\xa0\x80", 3, 0 },
		{ "\xf4\x90\x80\x80", 4, 0 }, { "\xf8\x88\x80\x80", 4, 0 }, { "\xff", 1, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!CHECK_EQ_U64(cases[i].expected,
				  json_utf8_seq_len((const unsigned char *)cases[i].s, cases[i].avail)))
			check_note("case %zu", i);
}

TEST(json_places_commas_in_nested_objects_and_arrays)
{
	struct json_writer w;

	json_init(&w);
	json_object_begin(&w);
	json_kv_u64(&w, "a", 1);
	json_key(&w, "b");
	json_array_begin(&w);
	json_u64(&w, 1);
	json_cstring(&w, "x");
	json_object_begin(&w);
	json_kv_bool(&w, "c", true);
	json_key(&w, "d");
	json_null(&w);
	json_object_end(&w);
	json_array_begin(&w);
	json_array_end(&w);
	json_array_begin(&w);
	json_array_begin(&w);
	json_i64(&w, -1);
	json_array_end(&w);
	json_array_end(&w);
	json_array_end(&w);
	json_key(&w, "e");
	json_object_begin(&w);
	json_object_end(&w);
	json_kv_cstr(&w, "f", "g");
	json_object_end(&w);
	CHECK_JSON(&w, "{\"a\":1,\"b\":[1,\"x\",{\"c\":true,\"d\":null},[],[[-1]]],\"e\":{},\"f\":\"g\"}");
	CHECK_FALSE(w.failed);
	json_free(&w);
}

TEST(json_escapes_keys_like_values)
{
	struct json_writer w;

	json_init(&w);
	json_object_begin(&w);
	json_kv_cstr(&w, "k\"\n\x01", "v");
	json_object_end(&w);
	CHECK_JSON(&w, "{\"k\\\"\\n\\u0001\":\"v\"}");
	json_free(&w);
}

TEST(json_kv_shorthands_write_key_then_value)
{
	struct json_writer w;

	json_init(&w);
	json_object_begin(&w);
	json_kv_u64(&w, "u", 42);
	json_kv_i64(&w, "i", -42);
	json_kv_str(&w, "s", "ab\0c", 4);
	json_kv_cstr(&w, "c", "cd");
	json_kv_bool(&w, "t", true);
	json_kv_bool(&w, "f", false);
	json_key(&w, "r");
	json_raw(&w, "1.5", 3);
	json_object_end(&w);
	CHECK_JSON(&w, "{\"u\":42,\"i\":-42,\"s\":\"ab\\u0000c\",\"c\":\"cd\",\"t\":true,"
		       "\"f\":false,\"r\":1.5}");
	json_free(&w);
}

TEST(json_end_line_starts_the_next_line_without_a_comma)
{
	struct json_writer w;

	json_init(&w);
	json_object_begin(&w);
	json_kv_u64(&w, "a", 1);
	json_object_end(&w);
	json_end_line(&w);
	json_object_begin(&w);
	json_kv_u64(&w, "b", 2);
	json_object_end(&w);
	json_end_line(&w);
	CHECK_JSON(&w, "{\"a\":1}\n{\"b\":2}\n");

	/* a line abandoned inside a container or after a key does not leak either */
	json_reset(&w);
	json_object_begin(&w);
	json_key(&w, "x");
	json_array_begin(&w);
	json_u64(&w, 1);
	json_end_line(&w);
	json_object_begin(&w);
	json_kv_u64(&w, "y", 2);
	json_object_end(&w);
	json_end_line(&w);
	CHECK_JSON(&w, "{\"x\":[1\n{\"y\":2}\n");
	CHECK_EQ_I64(0, w.depth);

	json_reset(&w);
	json_object_begin(&w);
	json_key(&w, "x");
	json_end_line(&w);
	json_u64(&w, 1);
	CHECK_JSON(&w, "{\"x\":\n1");
	json_free(&w);
}

TEST(json_reset_empties_the_buffer_and_clears_failed)
{
	struct json_writer w;

	json_init(&w);
	json_array_begin(&w);
	json_u64(&w, 1);
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		json_array_begin(&w);
	CHECK_TRUE(w.failed);
	json_reset(&w);
	CHECK_EQ_U64(0, w.len);
	CHECK_FALSE(w.failed);
	CHECK_EQ_I64(0, w.depth);
	json_object_begin(&w);
	json_kv_u64(&w, "a", 1);
	json_object_end(&w);
	CHECK_JSON(&w, "{\"a\":1}");
	json_free(&w);
}

TEST(json_nesting_beyond_max_depth_sets_failed)
{
	struct json_writer w;

	json_init(&w);
	for (int i = 1; i < JSON_MAX_DEPTH; i++)
		json_array_begin(&w);
	CHECK_FALSE(w.failed);
	CHECK_EQ_I64(JSON_MAX_DEPTH - 1, w.depth);
	json_array_begin(&w);
	CHECK_TRUE(w.failed);
	json_free(&w);
}

TEST(json_formats_integers_at_their_limits)
{
	static const struct {
		uint64_t v;
		const char *text;
	} u[] = {
		{ 0, "0" }, { 1, "1" }, { 9, "9" }, { 10, "10" },
		{ 4294967296ULL, "4294967296" },
		{ UINT64_MAX, "18446744073709551615" },
	};
	static const struct {
		int64_t v;
		const char *text;
	} s[] = {
		{ 0, "0" }, { -1, "-1" }, { -42, "-42" }, { 42, "42" },
		{ INT64_MAX, "9223372036854775807" },
		{ INT64_MIN, "-9223372036854775808" },
	};
	struct json_writer w;

	json_init(&w);
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		json_reset(&w);
		json_u64(&w, u[i].v);
		CHECK_JSON(&w, u[i].text);
	}
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		json_reset(&w);
		json_i64(&w, s[i].v);
		CHECK_JSON(&w, s[i].text);
	}
	json_reset(&w);
	json_array_begin(&w);
	json_u64(&w, UINT64_MAX);
	json_i64(&w, INT64_MIN);
	json_u64(&w, 0);
	json_array_end(&w);
	CHECK_JSON(&w, "[18446744073709551615,-9223372036854775808,0]");
	json_free(&w);
}

TEST(json_grows_its_buffer_for_long_strings)
{
	enum { N = 100000 };
	char *in = malloc(N);
	struct json_writer w;

	if (!CHECK_TRUE(in != NULL))
		return;
	memset(in, 0x01, N);
	json_init(&w);
	json_string(&w, in, N);
	CHECK_FALSE(w.failed);
	/* "\u0001" is 6 bytes, plus two quotes */
	if (CHECK_EQ_U64(6 * N + 2, w.len)) {
		CHECK_MEMEQ("\"\\u0001", 7, w.buf, 7);
		CHECK_MEMEQ("\\u0001\"", 7, w.buf + w.len - 7, 7);
	}
	json_free(&w);
	free(in);
}

/*
 * The inverse of json_string() for what it writes: \uDC80..\uDCFF gives the
 * byte back, any other \u escape its UTF-8. Returns the number of bytes
 * written to out, or -1 if the text is not one well-formed JSON string.
 */
static long unescape(const char *text, size_t len, unsigned char *out, size_t cap)
{
	size_t i = 1, o = 0;

	if (len < 2 || text[0] != '"' || text[len - 1] != '"')
		return -1;
	while (i < len - 1) {
		unsigned char c = text[i++];
		unsigned code = 0;

		if (o + 4 > cap || c == '"')
			return -1;
		if (c != '\\') {
			out[o++] = c;
			continue;
		}
		if (i >= len - 1)
			return -1;
		switch (text[i++]) {
		case '"': out[o++] = '"'; continue;
		case '\\': out[o++] = '\\'; continue;
		case '/': out[o++] = '/'; continue;
		case 'b': out[o++] = '\b'; continue;
		case 'f': out[o++] = '\f'; continue;
		case 'n': out[o++] = '\n'; continue;
		case 'r': out[o++] = '\r'; continue;
		case 't': out[o++] = '\t'; continue;
		case 'u': break;
		default: return -1;
		}
		if (i + 4 > len - 1)
			return -1;
		for (int k = 0; k < 4; k++) {
			char h = text[i++];

			code <<= 4;
			if (h >= '0' && h <= '9')
				code |= h - '0';
			else if (h >= 'a' && h <= 'f')
				code |= h - 'a' + 10;
			else if (h >= 'A' && h <= 'F')
				code |= h - 'A' + 10;
			else
				return -1;
		}
		if (code >= 0xdc80 && code <= 0xdcff) {
			out[o++] = code & 0xff;
		} else if (code >= 0xd800 && code <= 0xdfff) {
			return -1;	/* the writer never makes pairs or other lone ones */
		} else if (code < 0x80) {
			out[o++] = code;
		} else if (code < 0x800) {
			out[o++] = 0xc0 | code >> 6;
			out[o++] = 0x80 | (code & 0x3f);
		} else {
			out[o++] = 0xe0 | code >> 12;
			out[o++] = 0x80 | ((code >> 6) & 0x3f);
			out[o++] = 0x80 | (code & 0x3f);
		}
	}
	return o;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state >> 32;
}

/* Code point cp as UTF-8 into out; returns its length. */
static size_t utf8_encode(uint32_t cp, unsigned char *out)
{
	if (cp < 0x80) {
		out[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = 0xc0 | cp >> 6;
		out[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = 0xe0 | cp >> 12;
		out[1] = 0x80 | ((cp >> 6) & 0x3f);
		out[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	out[0] = 0xf0 | cp >> 18;
	out[1] = 0x80 | ((cp >> 12) & 0x3f);
	out[2] = 0x80 | ((cp >> 6) & 0x3f);
	out[3] = 0x80 | (cp & 0x3f);
	return 4;
}

/*
 * A random byte string of 0..64 bytes mixing what breaks escapers: any byte,
 * control bytes, quotes and backslashes, valid code points of every length,
 * U+2028, surrogates and sequences cut short (also by the end of the string).
 */
static size_t random_bytes(unsigned char *out)
{
	size_t len = rng() % 65, n = 0;

	while (n < len) {
		unsigned char piece[4];
		size_t plen;
		uint32_t cp;

		switch (rng() % 6) {
		case 0:
		case 1:
			piece[0] = rng();
			plen = 1;
			break;
		case 2:
			piece[0] = "\"\\\n\t\r\x01\x1f\x7f a/"[rng() % 12];
			plen = 1;
			break;
		case 3:
			do
				cp = rng() % 0x110000;
			while (cp >= 0xd800 && cp <= 0xdfff);
			plen = utf8_encode(cp, piece);
			break;
		case 4:		/* a surrogate, U+2028/9 or something above U+10FFFF */
			cp = (uint32_t[]){ 0xd800, 0xdc80, 0xdfff, 0x2028, 0x2029,
					   0x110000 }[rng() % 6];
			plen = utf8_encode(cp, piece);
			break;
		default:	/* a valid sequence cut short */
			cp = 0x80 + rng() % (0x110000 - 0x80);
			plen = utf8_encode(cp, piece);
			plen = 1 + rng() % (plen - 1);
			break;
		}
		for (size_t k = 0; k < plen && n < len; k++)
			out[n++] = piece[k];
	}
	return len;
}

/*
 * Length of the valid UTF-8 sequence at s, or 0: worked out from the code
 * point rather than byte ranges, so as not to repeat json_utf8_seq_len().
 */
static size_t strict_utf8_len(const unsigned char *s, size_t avail)
{
	static const uint32_t min_cp[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > avail)
		return 0;
	for (size_t k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if (cp < min_cp[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

enum { ROUND_TRIP_STRINGS = 2000 };

TEST(json_random_bytes_round_trip_through_escapes)
{
	struct json_writer w;

	rng_state = 0x9e3779b97f4a7c15ULL;
	json_init(&w);
	for (int i = 0; i < ROUND_TRIP_STRINGS; i++) {
		unsigned char in[64], back[256];
		size_t len = random_bytes(in);
		long n;

		json_reset(&w);
		json_string(&w, (const char *)in, len);
		n = unescape(w.buf, w.len, back, sizeof(back));
		if (!CHECK_TRUE(n >= 0) || !CHECK_MEMEQ(in, len, back, (size_t)n)) {
			check_note("string %d of the fixed seed", i);
			break;
		}
	}
	json_free(&w);
}

TEST(json_output_is_valid_utf8_without_raw_control_bytes)
{
	struct json_writer w;

	rng_state = 0x2545f4914f6cdd1dULL;
	json_init(&w);
	for (int i = 0; i < ROUND_TRIP_STRINGS; i++) {
		const unsigned char *out;
		unsigned char in[64];
		size_t len = random_bytes(in), j = 0, n = 1;
		bool ok = true;

		json_reset(&w);
		json_string(&w, (const char *)in, len);
		out = (const unsigned char *)w.buf;
		for (; j < w.len; j += n) {
			n = strict_utf8_len(out + j, w.len - j);
			ok = n > 0 && out[j] >= 0x20 && out[j] != 0x7f;
			/* U+2028/9 must not appear raw either */
			ok = ok && !(n == 3 && out[j] == 0xe2 && out[j + 1] == 0x80 &&
				     (out[j + 2] == 0xa8 || out[j + 2] == 0xa9));
			if (!ok)
				break;
		}
		if (!CHECK_TRUE(ok)) {
			check_note("string %d of the fixed seed: byte 0x%02x at %zu", i, out[j], j);
			break;
		}
	}
	json_free(&w);
}
