// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* lib/httpflow: exchanges from a connection's bytes: an LLM stream fed in
 * pieces of any size gives the same llm_call; gzip inflated; pipelined
 * requests paired; bodies cut visibly; missing bytes and lost records make
 * the exchange say so; TLS records' continuations checked. */
#include "check.h"
#include "httpflow.h"
#include "tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <errno.h>

/* Every record emitted, one JSON line each, as a C string. */
struct out {
	char *text;
	size_t len;
	unsigned records;
};

static const struct event_clock zero_clock = { .realtime_minus_boottime_ns = 0 };

static void collect(void *ctx, const struct httpflow_record *r)
{
	struct out *o = ctx;
	struct json_writer w;
	char *grown;

	json_init(&w);
	httpflow_record_json(&w, r, &zero_clock);
	json_end_line(&w);
	grown = realloc(o->text, o->len + w.len + 1);
	if (grown) {
		memcpy(grown + o->len, w.buf, w.len);
		o->len += w.len;
		grown[o->len] = '\0';
		o->text = grown;
	}
	json_free(&w);
	o->records++;
}

static void out_init(struct out *o)
{
	memset(o, 0, sizeof(*o));
}

static const char *out_text(const struct out *o)
{
	return o->text ? o->text : "";
}

static void out_free(struct out *o)
{
	free(o->text);
}

static void feed(struct httpflow *t, uint64_t conn, enum httpflow_direction dir, const void *data,
		 size_t len, uint64_t ts)
{
	struct httpflow_data d = {
		.conn = conn, .direction = dir, .data = data, .len = len, .call_start = true,
		.ts_ns = ts, .pid = 42, .tid = 43, .comm = "agent",
	};

	httpflow_feed(t, &d);
}

static void feed_str(struct httpflow *t, enum httpflow_direction dir, const char *s, uint64_t ts)
{
	feed(t, 1, dir, s, strlen(s), ts);
}

/* An SSE event in one chunk of the chunked coding. */
static size_t chunk(char *buf, size_t len, const char *event, const char *data)
{
	char ev[1024];
	int n = snprintf(ev, sizeof(ev), "event: %s\ndata: %s\n\n", event, data);

	return snprintf(buf, len, "%x\r\n%s\r\n", n, ev);
}

#define MESSAGES_BODY \
	"{\"model\":\"claude-test\",\"max_tokens\":64,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"What is 2+2?\"}]}\n"
static char messages_request[512];

static void request_init(void)
{
	snprintf(messages_request, sizeof(messages_request),
		 "POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\nx-api-key: sk-ant-secret\r\n"
		 "content-type: application/json\r\nContent-Length: %zu\r\n\r\n%s", strlen(MESSAGES_BODY), MESSAGES_BODY);
}

/* The whole answer of the Messages API as the wire carries it. */
static size_t messages_answer(char *buf, size_t len)
{
	size_t n = snprintf(buf, len, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
				      "Transfer-Encoding: chunked\r\n\r\n");

	n += chunk(buf + n, len - n, "message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_9\","
		   "\"model\":\"claude-test\",\"usage\":{\"input_tokens\":14,\"output_tokens\":1}}}");
	n += chunk(buf + n, len - n, "content_block_start", "{\"type\":\"content_block_start\",\"index\":0,"
		   "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
	n += chunk(buf + n, len - n, "content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"
		   "\"delta\":{\"type\":\"text_delta\",\"text\":\"2+2 \"}}");
	n += chunk(buf + n, len - n, "content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"
		   "\"delta\":{\"type\":\"text_delta\",\"text\":\"is 4.\"}}");
	n += chunk(buf + n, len - n, "message_delta", "{\"type\":\"message_delta\",\"delta\":"
		   "{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":6}}");
	n += chunk(buf + n, len - n, "message_stop", "{\"type\":\"message_stop\"}");
	n += snprintf(buf + n, len - n, "0\r\n\r\n");
	return n;
}

static const char expected_call[] =
	"\"type\":\"llm_call\",\"ts_ns\":1000,\"pid\":42,\"tid\":43,\"comm\":\"agent\",\"conn\":\"0x1\","
	"\"method\":\"POST\",\"target\":\"/v1/messages\",\"host\":\"api.anthropic.com\",\"status\":200,"
	"\"reason\":\"OK\",\"request_model\":\"claude-test\",\"max_tokens\":64,\"stream\":true,"
	"\"messages_count\":1,\"messages\":[{\"role\":\"user\",\"content\":\"What is 2+2?\"}],"
	"\"provider\":\"anthropic\",\"api\":\"messages\",\"model\":\"claude-test\",\"id\":\"msg_9\","
	"\"answer\":\"2+2 is 4.\",\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":14,"
	"\"output_tokens\":6},\"events\":6,\"stream_ended\":true,";

TEST(httpflow_merges_an_sse_answer_split_into_pieces_of_any_size)
{
	char answer[4096];
	size_t len = messages_answer(answer, sizeof(answer));

	request_init();
	for (size_t piece = 1; piece <= len; piece += piece < 16 ? 1 : 37) {
		struct httpflow *t;
		struct out o;

		out_init(&o);
		t = httpflow_new(NULL, collect, &o);
		feed_str(t, HTTPFLOW_SENT, messages_request, 1000);
		for (size_t off = 0; off < len; off += piece)
			feed(t, 1, HTTPFLOW_RECEIVED, answer + off, len - off < piece ? len - off : piece,
			     2000 + off);
		if (!CHECK_EQ_U64(1, o.records) || !CHECK_STR_CONTAINS(out_text(&o), expected_call) ||
		    !CHECK_STR_CONTAINS(out_text(&o), "\"complete\":true}")) {
			check_note("fed in pieces of %zu bytes", piece);
			piece = len;
		}
		httpflow_free(t);
		out_free(&o);
	}
}

TEST(httpflow_times_the_first_byte_and_token_and_the_end_from_the_request)
{
	char answer[4096];
	size_t len = messages_answer(answer, sizeof(answer)), delta;
	struct httpflow *t;
	struct out o;

	request_init();
	out_init(&o);
	t = httpflow_new(NULL, collect, &o);
	feed_str(t, HTTPFLOW_SENT, messages_request, 1000);
	/* the head at 5000, the events up to the first text at 7000, the rest at 9000 */
	delta = strstr(answer, "text_delta") - answer;
	feed(t, 1, HTTPFLOW_RECEIVED, answer, 100, 5000);
	feed(t, 1, HTTPFLOW_RECEIVED, answer + 100, delta - 100, 6000);
	feed(t, 1, HTTPFLOW_RECEIVED, answer + delta, 200, 7000);
	feed(t, 1, HTTPFLOW_RECEIVED, answer + delta + 200, len - delta - 200, 9000);
	CHECK_STR_CONTAINS(out_text(&o), "\"request_ns\":0,\"ttfb_ns\":4000,\"ttft_ns\":6000,\"total_ns\":8000,");
	httpflow_free(t);
	out_free(&o);
}

static size_t gzip_of(const char *in, size_t len, unsigned char *out, size_t out_len, int bits)
{
	z_stream z = { 0 };

	deflateInit2(&z, 6, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (unsigned char *)in;
	z.avail_in = len;
	z.next_out = out;
	z.avail_out = out_len;
	deflate(&z, Z_FINISH);
	deflateEnd(&z);
	return out_len - z.avail_out;
}

TEST(httpflow_inflates_gzip_and_deflate_bodies_chunked_or_not)
{
	static const char text[] = "{\"hello\":\"world world world world world world\"}";
	static const int bits[] = { 15 + 16, 15, -15 };
	static const char *const names[] = { "gzip", "deflate", "deflate" };

	for (int i = 0; i < 3; i++) {
		unsigned char z[256];
		char wire[1024];
		size_t zlen = gzip_of(text, strlen(text), z, sizeof(z), bits[i]), n;
		struct httpflow *t;
		struct out o;

		out_init(&o);
		t = httpflow_new(NULL, collect, &o);
		feed_str(t, HTTPFLOW_SENT, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n", 1);
		n = snprintf(wire, sizeof(wire), "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\n%s\r\n", names[i],
			     i ? "Transfer-Encoding: chunked\r\n" : "");
		if (i) {
			n += snprintf(wire + n, sizeof(wire) - n, "%zx\r\n", zlen);
			memcpy(wire + n, z, zlen);
			n += zlen;
			n += snprintf(wire + n, sizeof(wire) - n, "\r\n0\r\n\r\n");
		} else {
			n = snprintf(wire, sizeof(wire), "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
				     "Content-Length: %zu\r\n\r\n", zlen);
			memcpy(wire + n, z, zlen);
			n += zlen;
		}
		for (size_t off = 0; off < n; off += 7)
			feed(t, 1, HTTPFLOW_RECEIVED, wire + off, n - off < 7 ? n - off : 7, 2);
		if (!CHECK_STR_CONTAINS(out_text(&o), "\"body\":\"{\\\"hello\\\":\\\"world world world world world world\\\"}\"") ||
		    !CHECK_STR_CONTAINS(out_text(&o), "\"complete\":true"))
			check_note("coding %s, window bits %d", names[i], bits[i]);
		httpflow_free(t);
		out_free(&o);
	}
}

TEST(httpflow_cuts_a_body_past_body_max_and_says_how_much)
{
	struct httpflow_options opts = { .body_max = 8 };
	struct httpflow *t;
	struct out o;

	out_init(&o);
	t = httpflow_new(&opts, collect, &o);
	feed_str(t, HTTPFLOW_SENT, "POST /up HTTP/1.1\r\nContent-Length: 20\r\n\r\n0123456789abcdefghij", 1);
	feed_str(t, HTTPFLOW_RECEIVED, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nABCDEFGHIJ", 2);
	CHECK_STR_CONTAINS(out_text(&o), "\"body_len\":20,\"body\":\"01234567\",\"body_truncated\":12}");
	CHECK_STR_CONTAINS(out_text(&o), "\"body_len\":10,\"body\":\"ABCDEFGH\",\"body_truncated\":2}");
	httpflow_free(t);
	out_free(&o);
}

TEST(httpflow_pairs_pipelined_requests_with_their_responses_in_order)
{
	struct httpflow *t;
	struct out o;
	const char *text, *a, *b, *c;

	out_init(&o);
	t = httpflow_new(NULL, collect, &o);
	feed_str(t, HTTPFLOW_SENT, "GET /one HTTP/1.1\r\n\r\nHEAD /two HTTP/1.1\r\n\r\nGET /three HTTP/1.1\r\n\r\n", 1);
	feed_str(t, HTTPFLOW_RECEIVED, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"
		 "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"	/* HEAD: no body follows */
		 "HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\nthree", 2);
	text = out_text(&o);
	CHECK_EQ_U64(3, o.records);
	a = strstr(text, "\"target\":\"/one\",\"status\":200");
	b = strstr(text, "\"target\":\"/two\",\"status\":200");
	c = strstr(text, "\"target\":\"/three\",\"status\":404");
	CHECK_TRUE(a && b && c && a < b && b < c);
	CHECK_STR_CONTAINS(text, "\"body_len\":3,\"body\":\"one\"");
	CHECK_STR_CONTAINS(text, "\"body_len\":5,\"body\":\"three\"");
	httpflow_free(t);
	out_free(&o);
}

TEST(httpflow_says_when_body_bytes_are_missing_and_keeps_its_place)
{
	struct httpflow *t;
	struct out o;
	struct httpflow_data d = { .conn = 1, .direction = HTTPFLOW_RECEIVED, .call_start = true, .ts_ns = 3 };
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";

	out_init(&o);
	t = httpflow_new(NULL, collect, &o);
	feed_str(t, HTTPFLOW_SENT, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 1);
	d.data = head;
	d.len = strlen(head);
	d.missing_after = 5;
	httpflow_feed(t, &d);
	feed_str(t, HTTPFLOW_RECEIVED, "hiHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 4);
	CHECK_EQ_U64(2, o.records);
	CHECK_STR_CONTAINS(out_text(&o), "\"body_len\":10,\"body\":\"abchi\",\"body_missing\":5},");
	CHECK_STR_CONTAINS(out_text(&o), "\"complete\":false,\"incomplete\":\"bytes missing\"}");
	CHECK_STR_CONTAINS(out_text(&o), "\"target\":\"/b\",\"status\":200");
	CHECK_STR_CONTAINS(out_text(&o), "\"body\":\"ok\"},\"request_ns\":0,\"ttfb_ns\":3,\"total_ns\":3,\"complete\":true}");
	httpflow_free(t);
	out_free(&o);
}

TEST(httpflow_waits_for_a_new_message_after_bytes_lost_in_a_head)
{
	struct httpflow *t;
	struct out o;
	struct httpflow_data d = { .conn = 1, .direction = HTTPFLOW_RECEIVED, .call_start = true, .ts_ns = 2 };
	static const char part[] = "HTTP/1.1 200 OK\r\nContent-Le";

	out_init(&o);
	t = httpflow_new(NULL, collect, &o);
	feed_str(t, HTTPFLOW_SENT, "GET /a HTTP/1.1\r\n\r\n", 1);
	d.data = part;
	d.len = strlen(part);
	d.missing_after = 100;
	httpflow_feed(t, &d);
	CHECK_EQ_U64(1, o.records);
	CHECK_STR_CONTAINS(out_text(&o), "\"target\":\"/a\"");
	CHECK_STR_CONTAINS(out_text(&o), "\"incomplete\":\"bytes missing\"");
	/* bytes of the lost response that go on in the next call are no message */
	feed_str(t, HTTPFLOW_RECEIVED, "ngth: 5\r\n\r\nhello", 3);
	CHECK_EQ_U64(1, o.records);
	feed_str(t, HTTPFLOW_SENT, "GET /b HTTP/1.1\r\n\r\n", 4);
	feed_str(t, HTTPFLOW_RECEIVED, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 5);
	CHECK_EQ_U64(2, o.records);
	CHECK_STR_CONTAINS(out_text(&o), "\"target\":\"/b\",\"status\":200,\"reason\":\"OK\"");
	httpflow_free(t);
	out_free(&o);
}

TEST(httpflow_marks_exchanges_in_flight_when_records_are_lost)
{
	struct httpflow *t;
	struct out o;
	struct httpflow_stats s;

	out_init(&o);
	t = httpflow_new(NULL, collect, &o);
	feed_str(t, HTTPFLOW_SENT, "GET /a HTTP/1.1\r\n\r\n", 1);
	feed_str(t, HTTPFLOW_RECEIVED, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 2);
	httpflow_lost(t, 3);
	CHECK_EQ_U64(1, o.records);
	CHECK_STR_CONTAINS(out_text(&o), "\"complete\":false,\"incomplete\":\"records lost\"}");
	feed_str(t, HTTPFLOW_RECEIVED, "defghij", 3);	/* the rest of the lost body: dropped */
	feed_str(t, HTTPFLOW_SENT, "GET /b HTTP/1.1\r\n\r\n", 4);
	feed_str(t, HTTPFLOW_RECEIVED, "HTTP/1.1 204 No Content\r\n\r\n", 5);
	CHECK_EQ_U64(2, o.records);
	CHECK_STR_CONTAINS(out_text(&o), "\"target\":\"/b\",\"status\":204");
	httpflow_get_stats(t, &s);
	CHECK_EQ_U64(2, s.http);
	CHECK_EQ_U64(1, s.incomplete);
	httpflow_free(t);
	out_free(&o);
}

TEST(httpflow_flush_prints_what_is_in_flight_as_incomplete)
{
	struct httpflow *t;
	struct out o;

	out_init(&o);
	t = httpflow_new(NULL, collect, &o);
	feed_str(t, HTTPFLOW_SENT, "GET /slow HTTP/1.1\r\n\r\n", 1);
	feed_str(t, HTTPFLOW_RECEIVED, "HTTP/1.0 200 OK\r\n\r\nuntil close", 2);
	feed(t, 2, HTTPFLOW_SENT, "GET /none HTTP/1.1\r\n\r\n", 22, 3);
	CHECK_EQ_U64(0, o.records);
	httpflow_flush(t);
	CHECK_EQ_U64(2, o.records);
	/* a body that runs to the connection's end is whole at the end */
	CHECK_STR_CONTAINS(out_text(&o), "\"body\":\"until close\"},\"request_ns\":0,\"ttfb_ns\":1,\"total_ns\":1,"
			   "\"complete\":true}");
	CHECK_STR_CONTAINS(out_text(&o), "\"target\":\"/none\",\"request\":");
	CHECK_STR_CONTAINS(out_text(&o), "\"complete\":false,\"incomplete\":\"still in flight at the end\"}");
	httpflow_free(t);
	out_free(&o);
}

TEST(httpflow_redacts_secrets_unless_asked)
{
	struct httpflow_options opts = { .show_secrets = true };
	struct httpflow *t;
	struct out o;

	for (int show = 0; show < 2; show++) {
		out_init(&o);
		t = httpflow_new(show ? &opts : NULL, collect, &o);
		feed_str(t, HTTPFLOW_SENT, "GET / HTTP/1.1\r\nAuthorization: Bearer abc\r\nCookie: a=1\r\n"
			 "Accept: x\r\naccept: y\r\n\r\n", 1);
		feed_str(t, HTTPFLOW_RECEIVED, "HTTP/1.1 204 OK\r\n\r\n", 2);
		CHECK_STR_CONTAINS(out_text(&o), show ? "\"headers\":{\"authorization\":\"Bearer abc\",\"cookie\":\"a=1\","
							"\"accept\":\"x, y\"}" :
							"\"headers\":{\"authorization\":\"[redacted: 10 bytes]\","
							"\"cookie\":\"[redacted: 3 bytes]\",\"accept\":\"x, y\"}");
		httpflow_free(t);
		out_free(&o);
	}
}

TEST(httpflow_passes_an_event_stream_that_is_no_llm_as_http)
{
	struct httpflow *t;
	struct out o;

	out_init(&o);
	t = httpflow_new(NULL, collect, &o);
	feed_str(t, HTTPFLOW_SENT, "GET /events HTTP/1.1\r\n\r\n", 1);
	feed_str(t, HTTPFLOW_RECEIVED, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 22\r\n\r\n"
		 "data: {\"tick\":1}\n\n\n\n\n\n", 2);
	CHECK_STR_CONTAINS(out_text(&o), "\"type\":\"http\"");
	CHECK_STR_CONTAINS(out_text(&o), "\"body\":\"data: {\\\"tick\\\":1}\\n\\n\\n\\n\\n\\n\"");
	httpflow_free(t);
	out_free(&o);
}

/* A TLS data record of a call: bytes [offset, offset + len) of call_len. */
static void tls_record(struct httpflow *t, uint8_t direction, uint64_t ts, const char *data, size_t len,
		       uint64_t offset, uint64_t call_len, uint64_t missing, bool more)
{
	static union {
		uint64_t align;
		unsigned char bytes[sizeof(struct observe_tls_event) + 512];
	} r;
	struct observe_tls_event *e = (void *)r.bytes;

	memset(&r, 0, sizeof(r));
	e->hdr.type = OBSERVE_EV_TLS_DATA;
	e->hdr.ts_ns = ts;
	e->hdr.pid = e->hdr.tid = 7;
	memcpy(e->hdr.comm, "node", 4);
	e->conn = 0xabc;
	e->direction = direction;
	e->call_len = call_len;
	e->offset = offset;
	e->data_len = len;
	e->missing = missing;
	e->more = more;
	memcpy(e->data, data, len);
	CHECK_EQ_I64(0, httpflow_feed_tls(t, r.bytes, sizeof(*e) + len));
}

TEST(httpflow_feed_tls_sees_a_lost_continuation_as_missing_bytes)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n";
	struct httpflow *t;
	struct out o;
	size_t h = strlen(head);
	char first[64];

	out_init(&o);
	t = httpflow_new(NULL, collect, &o);
	tls_record(t, OBSERVE_TLS_SENT, 1, "GET / HTTP/1.1\r\n\r\n", 18, 0, 18, 0, false);
	/* one read of head + 12 bytes in three records; the second never came */
	snprintf(first, sizeof(first), "%sabcd", head);
	tls_record(t, OBSERVE_TLS_RECEIVED, 2, first, h + 4, 0, h + 12, 0, true);
	tls_record(t, OBSERVE_TLS_RECEIVED, 2, "ijkl", 4, h + 8, h + 12, 0, false);
	CHECK_EQ_U64(1, o.records);
	CHECK_STR_CONTAINS(out_text(&o), "\"body_len\":12,\"body\":\"abcdijkl\",\"body_missing\":4}");
	CHECK_STR_CONTAINS(out_text(&o), "\"comm\":\"node\",\"conn\":\"0xabc\"");
	httpflow_free(t);
	out_free(&o);
}

TEST(httpflow_feed_tls_refuses_malformed_records)
{
	struct observe_tls_event e;
	struct httpflow *t = httpflow_new(NULL, collect, NULL);

	memset(&e, 0, sizeof(e));
	e.hdr.type = OBSERVE_EV_TLS_DATA;
	e.data_len = 10;	/* more than the record holds */
	e.call_len = 10;
	CHECK_EQ_I64(-EINVAL, httpflow_feed_tls(t, &e, sizeof(e)));
	e.data_len = 0;
	e.offset = 5;		/* past the call's end */
	e.call_len = 4;
	CHECK_EQ_I64(-EINVAL, httpflow_feed_tls(t, &e, sizeof(e)));
	CHECK_EQ_I64(-EINVAL, httpflow_feed_tls(t, &e, 8));
	httpflow_free(t);
}

TEST(httpflow_tells_a_server_from_its_first_bytes_and_pairs_its_side_too)
{
	struct httpflow *t;
	struct out o;

	out_init(&o);
	t = httpflow_new(NULL, collect, &o);
	/* a server reads the requests and writes the responses */
	feed_str(t, HTTPFLOW_RECEIVED, "GET /s HTTP/1.1\r\nHost: me\r\n\r\n", 1);
	feed_str(t, HTTPFLOW_SENT, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", 2);
	CHECK_EQ_U64(1, o.records);
	CHECK_STR_CONTAINS(out_text(&o), "\"conn\":\"0x1\",\"side\":\"server\",\"method\":\"GET\",\"target\":\"/s\","
			   "\"host\":\"me\",\"status\":200");
	CHECK_STR_CONTAINS(out_text(&o), "\"body\":\"hi\"},\"request_ns\":0,\"ttfb_ns\":1,\"total_ns\":1,"
			   "\"complete\":true}");
	httpflow_free(t);
	out_free(&o);
}
