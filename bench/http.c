// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * http: the HTTP/LLM decoder's own speed (lib/httpflow.c), without a kernel
 * or a ring.
 *
 *   http gen FILE CALLS     writes a stream of TLS records as observe's ring
 *                           carries them: CALLS Messages API calls, each a
 *                           request of 20 messages (~20 KB, in one write: a
 *                           record and its continuation) and a streamed
 *                           answer of 300 text deltas, chunked, an event a
 *                           read (a record each), on 8 connections in turn
 *   http run FILE ROUNDS    feeds the records to a tracker ROUNDS times, the
 *                           llm_call lines written into the JSON writer as
 *                           observe-tls --http does (to /dev/null)
 *
 * The file: records one after another, each preceded by its length (u64)
 * and padded to 8 bytes, so that each is aligned as in the ring.
 * run prints "SECONDS_PER_ROUND PLAINTEXT_BYTES CALLS" on stderr.
 */
#include "httpflow.h"
#include "tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CONNS 8
#define MESSAGES 20
#define DELTAS 300

static FILE *out;
static uint64_t ts = 1000000000;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* One call's plaintext as records of at most OBSERVE_TLS_CHUNK bytes. */
static void put_call(uint64_t conn, int direction, const char *data, size_t len)
{
	static union {
		uint64_t align;
		unsigned char bytes[sizeof(struct observe_tls_event) + OBSERVE_TLS_CHUNK];
	} r;
	struct observe_tls_event *e = (void *)r.bytes;
	size_t off = 0;
	uint16_t chunk = 0;

	ts += 20000;
	do {
		size_t n = len - off < OBSERVE_TLS_CHUNK ? len - off : OBSERVE_TLS_CHUNK;
		uint64_t size = sizeof(*e) + n, pad = 0;

		memset(e, 0, sizeof(*e));
		e->hdr.ts_ns = ts;
		e->hdr.size = size;
		e->hdr.type = OBSERVE_EV_TLS_DATA;
		e->hdr.pid = e->hdr.tid = 4242;
		memcpy(e->hdr.comm, "agent", 5);
		e->conn = conn;
		e->call_len = len;
		e->offset = off;
		e->data_len = n;
		e->chunk = chunk++;
		e->func = direction == OBSERVE_TLS_SENT ? OBSERVE_TLS_SSL_WRITE : OBSERVE_TLS_SSL_READ;
		e->direction = direction;
		e->more = off + n < len;
		memcpy(e->data, data + off, n);
		if (fwrite(&size, sizeof(size), 1, out) != 1 || fwrite(r.bytes, size, 1, out) != 1 ||
		    fwrite(&pad, (8 - size % 8) % 8, 1, out) > 1)
			die("write");
		off += n;
	} while (off < len);
}

static void put_str(uint64_t conn, int direction, const char *s)
{
	put_call(conn, direction, s, strlen(s));
}

static void put_event_chunk(uint64_t conn, const char *event)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "%zx\r\n%s\r\n", strlen(event), event);

	put_call(conn, OBSERVE_TLS_RECEIVED, buf, n);
}

static void gen_call(uint64_t conn, unsigned call)
{
	static char body[64 * 1024], head[512], ev[768];
	size_t n = 0;
	int h;

	n += sprintf(body + n, "{\"model\":\"claude-bench\",\"max_tokens\":4096,\"stream\":true,"
			       "\"system\":\"You are a benchmark.\",\"messages\":[");
	for (int m = 0; m < MESSAGES; m++) {
		n += sprintf(body + n, "%s{\"role\":\"%s\",\"content\":[{\"type\":\"text\",\"text\":\"", m ? "," : "",
			     m % 2 ? "assistant" : "user");
		for (int k = 0; k < 20; k++)
			n += sprintf(body + n, "message %u.%d says something rather ordinary. ", call, m);
		n += sprintf(body + n, "\"}]}");
	}
	n += sprintf(body + n, "]}");
	h = snprintf(head, sizeof(head), "POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\n"
		     "content-type: application/json\r\nx-api-key: sk-bench\r\nanthropic-version: 2023-06-01\r\n"
		     "content-length: %zu\r\n\r\n", n);
	memmove(body + h, body, n);
	memcpy(body, head, h);
	put_call(conn, OBSERVE_TLS_SENT, body, n + h);

	put_str(conn, OBSERVE_TLS_RECEIVED, "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
		"transfer-encoding: chunked\r\nrequest-id: req_bench\r\n\r\n");
	snprintf(ev, sizeof(ev), "event: message_start\ndata: {\"type\":\"message_start\",\"message\":"
		 "{\"id\":\"msg_%u\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-bench\","
		 "\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":2000,\"output_tokens\":1}}}\n\n",
		 call);
	put_event_chunk(conn, ev);
	put_event_chunk(conn, "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
			      "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
	for (int d = 0; d < DELTAS; d++) {
		snprintf(ev, sizeof(ev), "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
			 "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"word%d and more \"}}\n\n", d);
		put_event_chunk(conn, ev);
	}
	put_event_chunk(conn, "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
	put_event_chunk(conn, "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
			      "\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":900}}\n\n");
	put_event_chunk(conn, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
	put_str(conn, OBSERVE_TLS_RECEIVED, "0\r\n\r\n");
}

static int gen(const char *path, unsigned calls)
{
	out = fopen(path, "wb");
	if (!out)
		die(path);
	for (unsigned c = 0; c < calls; c++)
		gen_call(0x5500000000ULL + (c % CONNS) * 0x1000, c);
	if (fclose(out))
		die(path);
	return 0;
}

struct sink {
	struct json_writer w;
	struct event_clock clock;
	uint64_t calls;
	FILE *devnull;
};

static void emit(void *ctx, const struct httpflow_record *r)
{
	struct sink *s = ctx;

	httpflow_record_json(&s->w, r, &s->clock);
	json_end_line(&s->w);
	s->calls += r->type == HTTPFLOW_LLM_CALL;
	if (s->w.len >= 256 * 1024) {
		fwrite(s->w.buf, 1, s->w.len, s->devnull);
		json_reset(&s->w);
	}
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int run(const char *path, int rounds)
{
	FILE *in = fopen(path, "rb");
	struct sink s = { .clock = { 0 } };
	unsigned char *buf;	/* malloc's alignment: the records' too */
	long size;
	uint64_t plaintext = 0;
	double best = 1e9;

	if (!in || fseek(in, 0, SEEK_END) || (size = ftell(in)) < 0 || fseek(in, 0, SEEK_SET))
		die(path);
	buf = malloc(size);
	if (!buf || fread(buf, 1, size, in) != (size_t)size)
		die(path);
	fclose(in);
	s.devnull = fopen("/dev/null", "w");
	json_init(&s.w);
	for (int r = 0; r < rounds; r++) {
		struct httpflow *t = httpflow_new(NULL, emit, &s);
		double start = now(), took;

		plaintext = 0;
		s.calls = 0;
		for (long off = 0; off + 8 <= size;) {
			uint64_t len;

			memcpy(&len, buf + off, 8);
			off += 8;
			if (httpflow_feed_tls(t, buf + off, len))
				die("a record the tracker refused");
			plaintext += ((struct observe_tls_event *)(buf + off))->data_len;
			off += (len + 7) / 8 * 8;
		}
		httpflow_flush(t);
		httpflow_free(t);
		took = now() - start;
		if (took < best)
			best = took;
	}
	fprintf(stderr, "%.6f %llu %llu\n", best, (unsigned long long)plaintext, (unsigned long long)s.calls);
	json_free(&s.w);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "gen"))
		return gen(argv[2], atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "run"))
		return run(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: http gen FILE CALLS | http run FILE ROUNDS\n");
	return 2;
}
