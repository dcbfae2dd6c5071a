// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* lib/http1: heads, framing by RFC 9112, chunked coding in pieces of any
 * size, missing bytes skipped inside a body and fatal elsewhere. */
#include "check.h"
#include "http1.h"

#include <stdio.h>
#include <string.h>

/* What the reader called back, as text: "H<status or method> B<body> M<n> E L<why>". */
struct calls {
	char text[8192];
	size_t len;
	bool in_body;		/* the last call was body(): the next piece joins it */
};

static void add(struct calls *c, const char *fmt, const char *s, size_t n)
{
	int k;

	c->in_body = false;
	k = snprintf(c->text + c->len, sizeof(c->text) - c->len, fmt, (int)n, s);

	if (k > 0 && (size_t)k < sizeof(c->text) - c->len)
		c->len += k;
}

static enum http1_framing on_head(void *ctx, const struct http1_head *h, uint64_t *length)
{
	struct calls *c = ctx;
	char s[32];

	if (h->response)
		snprintf(s, sizeof(s), "%u", h->status);
	else
		snprintf(s, sizeof(s), "%.*s", (int)h->method_len, h->method);
	add(c, "H%.*s ", s, strlen(s));
	return http1_framing(h, NULL, length);
}

/* Pieces of a body joined: the calls do not depend on how the input was cut. */
static void on_body(void *ctx, const char *data, size_t len)
{
	struct calls *c = ctx;

	if (c->in_body && c->len) {
		c->len--;	/* its space */
		add(c, "%.*s ", data, len);
	} else {
		add(c, "B%.*s ", data, len);
	}
	c->in_body = true;
}
static void on_end(void *ctx) { add(ctx, "E%.*s ", "", 0); }
static void on_lost(void *ctx, const char *why) { add(ctx, "L%.*s ", why, strlen(why)); }
static void on_missing(void *ctx, uint64_t len)
{
	char s[24];

	snprintf(s, sizeof(s), "%llu", (unsigned long long)len);
	add(ctx, "M%.*s ", s, strlen(s));
}

static const struct http1_callbacks cb = {
	.head = on_head, .body = on_body, .body_missing = on_missing, .end = on_end, .lost = on_lost,
};

static bool check_reads(const char *file, int line, bool response, const char *in, size_t piece,
			const char *expected)
{
	struct http1_reader r;
	struct calls c = { .len = 0 };
	size_t len = strlen(in);

	http1_init(&r, response);
	for (size_t off = 0; off < len; off += piece)
		http1_feed(&r, in + off, len - off < piece ? len - off : piece, &cb, &c);
	http1_close(&r, &cb, &c);
	http1_free(&r);
	c.text[c.len] = '\0';
	if (!check_streq(file, line, "calls", expected, c.text)) {
		check_note("fed in pieces of %zu bytes", piece);
		return false;
	}
	return true;
}

TEST(http1_reads_pipelined_requests_in_pieces_of_any_size)
{
	static const char in[] =
		"\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n"
		"POST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
		"PUT /c HTTP/1.0\nTransfer-Encoding: chunked\n\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-T: 1\r\n\r\n";

	for (size_t piece = 1; piece <= sizeof(in); piece++)
		if (!check_reads(__FILE__, __LINE__, false, in, piece,
				 "HGET E HPOST Bhello E HPUT Babcde E "))
			return;
}

TEST(http1_reads_a_response_until_the_connection_closes)
{
	check_reads(__FILE__, __LINE__, true, "HTTP/1.1 200 OK\r\n\r\nall of it", 3,
		    "H200 Ball of it E ");
	check_reads(__FILE__, __LINE__, true, "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 \r\n\r\n", 7,
		    "H204 E H304 E ");
}

TEST(http1_refuses_heads_that_are_not_http)
{
	check_reads(__FILE__, __LINE__, false, "\x16\x03\x01 binary\r\n\r\n", 100,
		    "Lmalformed request head ");
	check_reads(__FILE__, __LINE__, true, "HTTP/1.1 20 OK\r\n\r\n", 100, "Lmalformed response head ");
	check_reads(__FILE__, __LINE__, false, "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 100,
		    "Lmalformed request head ");
	check_reads(__FILE__, __LINE__, false, "GET / HTTP/1.1\r\n folded\r\n\r\n", 100,
		    "Lmalformed request head ");
	check_reads(__FILE__, __LINE__, false, "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		    100, "HPOST Lbody framing cannot be trusted ");
	check_reads(__FILE__, __LINE__, true, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		    100, "H200 Lmalformed chunked coding ");
}

TEST(http1_refuses_a_head_longer_than_its_limit)
{
	static char in[HTTP1_HEAD_MAX + 100];
	struct http1_reader r;
	struct calls c = { .len = 0 };

	memcpy(in, "GET / HTTP/1.1\r\nX: ", 19);
	memset(in + 19, 'a', sizeof(in) - 19);
	http1_init(&r, false);
	http1_feed(&r, in, sizeof(in), &cb, &c);
	c.text[c.len] = '\0';
	CHECK_STREQ("Lrequest head too long ", c.text);
	http1_free(&r);
}

TEST(http1_skips_missing_bytes_inside_a_body_of_known_length)
{
	struct http1_reader r;
	struct calls c = { .len = 0 };

	http1_init(&r, true);
	http1_feed(&r, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab", 41, &cb, &c);
	http1_skip(&r, 6, &cb, &c);
	http1_feed(&r, "cdHTTP/1.1 404 NF\r\nContent-Length: 0\r\n\r\n", 41, &cb, &c);
	http1_skip(&r, 3, &cb, &c);	/* between messages: the reader's place is lost */
	c.text[c.len] = '\0';
	CHECK_STREQ("H200 Bab M6 Bcd E H404 E Lbytes missing ", c.text);
	CHECK_EQ_U64(HTTP1_LOST, r.state);
	http1_feed(&r, "HTTP/1.1 200 OK\r\n\r\n", 19, &cb, &c);
	CHECK_EQ_U64(HTTP1_LOST, r.state);
	http1_restart(&r);
	CHECK_TRUE(http1_idle(&r));
	http1_free(&r);
}

static enum http1_framing framing_of(const char *head, bool response, const char *method,
				     uint64_t *length)
{
	struct http1_head h;
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", head);
	if (http1_parse_head(&h, buf, strlen(buf), response))
		return (enum http1_framing)-1;
	return http1_framing(&h, method, length);
}

TEST(http1_frames_bodies_as_rfc_9112_says)
{
	uint64_t len = 0;

	CHECK_EQ_U64(HTTP1_NO_BODY, framing_of("GET / HTTP/1.1\r\n\r\n", false, NULL, &len));
	CHECK_EQ_U64(HTTP1_LENGTH, framing_of("POST / HTTP/1.1\r\ncontent-length: 12\r\n\r\n", false, NULL, &len));
	CHECK_EQ_U64(12, len);
	CHECK_EQ_U64(HTTP1_CHUNKED, framing_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n"
					       "Content-Length: 3\r\n\r\n", true, "GET", &len));
	CHECK_EQ_U64(HTTP1_NO_BODY, framing_of("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", true, "HEAD", &len));
	CHECK_EQ_U64(HTTP1_NO_BODY, framing_of("HTTP/1.1 100 Continue\r\n\r\n", true, "POST", &len));
	CHECK_EQ_U64(HTTP1_UNTIL_CLOSE, framing_of("HTTP/1.0 200 OK\r\n\r\n", true, "GET", &len));
	CHECK_EQ_U64(HTTP1_BAD, framing_of("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", false, NULL, &len));
	CHECK_EQ_U64(HTTP1_BAD, framing_of("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", false, NULL, &len));
}

TEST(http1_tells_a_message_start_from_other_bytes)
{
	CHECK_TRUE(http1_looks_like_start("GET / HTTP/1.1", 14, false));
	CHECK_TRUE(http1_looks_like_start("HTTP/1.1 200", 12, true));
	CHECK_FALSE(http1_looks_like_start("HTTP/2 200", 10, true));
	CHECK_FALSE(http1_looks_like_start("{\"a\": 1}", 8, false));
	CHECK_FALSE(http1_looks_like_start("GET", 3, false));
}
