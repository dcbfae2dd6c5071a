// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The tracker: connections by key, each with a reader per direction
 * (http1.c) and a queue of exchanges in request order, so that pipelined
 * responses pair with their requests. A response's body is un-chunked by
 * the reader, inflated here (zlib), kept up to body_max, and for an event
 * stream parsed (sse.c) and merged (llm.c) as it comes.
 */
#include "httpflow.h"
#include "capbuf.h"
#include "decoders.h"
#include "http1.h"
#include "llm.h"
#include "sse.h"
#include "tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#define CONN_BUCKETS 1024
#define CONNS_MAX 4096			/* the least recently used one is let go beyond */
#define LLM_REQUEST_MAX (8u << 20)	/* a JSON request body kept whole to be read */
#define INFLATE_MAX (64u << 20)		/* inflated bytes read of one body */

enum coding { CODING_IDENTITY, CODING_GZIP, CODING_DEFLATE, CODING_OTHER };

/* One side of an exchange: a request or a response. */
struct message {
	char *head;			/* as it came; parsed again to be printed */
	size_t head_len;
	uint64_t first_ns, last_ns;	/* its first and last bytes */
	uint32_t pid, tid;
	char comm[16];
	struct capbuf body;		/* decoded (un-chunked, inflated) */
	uint64_t wire_len;		/* body bytes as sent, un-chunked */
	uint64_t missing;		/* body bytes not seen */
	const char *body_error;		/* why the body could not be decoded */
	enum coding coding;
	bool chunked, ended, zlib_on, zlib_started;
	uint64_t inflated;
	z_stream z;
};

struct httpflow_exchange {
	struct httpflow_exchange *next;
	struct message req, resp;
	bool has_req, has_resp;
	char method[16];
	unsigned status;
	const char *incomplete;		/* the first reason it is not whole */
	struct httpflow_options options;	/* the tracker's, for printing */
	bool event_stream;		/* the response is text/event-stream */
	bool server;			/* seen from the server's side */
	bool llm_on;
	struct sse_parser sse;
	struct llm_stream llm;
};

/* Where the records of one direction's call stand (httpflow_feed_tls). */
struct call_track {
	bool open;			/* more records of the call are due */
	uint32_t tid;
	uint64_t ts_ns, next_offset, call_len;
};

struct conn {
	uint64_t key;
	struct conn *hash_next, *lru_prev, *lru_next;
	struct http1_reader reader[2];	/* per enum httpflow_direction */
	struct httpflow_exchange *queue, *queue_tail;	/* oldest first */
	struct httpflow_exchange *sending, *receiving;	/* whose message is being read */
	struct call_track call[2];	/* per direction of the program's calls */
	bool role_known, server;	/* server: the program reads requests, writes responses */
	/* the first bytes of a message being read, before its head is whole */
	uint64_t start_ns[2];
	uint32_t start_pid[2], start_tid[2];
	char start_comm[2][16];
	struct httpflow *tracker;
};

struct httpflow {
	struct httpflow_options o;
	httpflow_emit_fn emit;
	void *ctx;
	struct conn *buckets[CONN_BUCKETS];
	struct conn lru;		/* list head: lru.lru_next is the most recent */
	uint64_t now_ns;		/* of the bytes being fed */
	bool closing;			/* ends come from a connection's end, not from bytes */
	const struct httpflow_data *now;	/* the bytes being fed */
	struct httpflow_stats stats;
};

/* ---- exchanges ---- */

static void message_init(struct message *m, size_t body_max)
{
	memset(m, 0, sizeof(*m));
	capbuf_init(&m->body, body_max);
}

static void message_free(struct message *m)
{
	free(m->head);
	capbuf_free(&m->body);
	if (m->zlib_on)
		inflateEnd(&m->z);
	m->zlib_on = false;
}

static struct httpflow_exchange *exchange_new(struct conn *c)
{
	struct httpflow *t = c->tracker;
	struct httpflow_exchange *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->options = t->o;
	x->server = c->server;
	message_init(&x->req, t->o.body_max);
	message_init(&x->resp, t->o.body_max);
	sse_init(&x->sse);
	return x;
}

static void exchange_free(struct httpflow_exchange *x)
{
	message_free(&x->req);
	message_free(&x->resp);
	sse_free(&x->sse);
	if (x->llm_on)
		llm_stream_free(&x->llm);
	free(x);
}

static void mark(struct httpflow_exchange *x, const char *why)
{
	if (!x->incomplete)
		x->incomplete = why;
}

static bool exchange_complete(const struct httpflow_exchange *x)
{
	return !x->incomplete && x->has_req && x->has_resp && x->req.ended && x->resp.ended &&
	       !x->req.missing && !x->resp.missing && !x->req.body_error && !x->resp.body_error;
}

static void emit(struct httpflow *t, struct conn *c, struct httpflow_exchange *x)
{
	const struct message *first = x->has_req ? &x->req : &x->resp;
	struct httpflow_record r = {
		.type = x->llm_on && x->llm.api != LLM_API_UNKNOWN ? HTTPFLOW_LLM_CALL : HTTPFLOW_HTTP,
		.conn = c->key,
		.pid = first->pid,
		.tid = first->tid,
		.start_ns = first->first_ns,
		.end_ns = x->has_resp ? x->resp.last_ns : x->req.last_ns,
		.exchange = x,
	};

	if (!x->has_req && !x->has_resp) {
		/* a request lost before its head, and no response came: nothing to say */
		t->stats.unreadable++;
		return;
	}
	memcpy(r.comm, first->comm, sizeof(r.comm));
	if (!x->has_resp && !x->incomplete)
		mark(x, "no response");
	r.complete = exchange_complete(x);
	if (r.type == HTTPFLOW_LLM_CALL)
		t->stats.llm_calls++;
	else
		t->stats.http++;
	if (!r.complete)
		t->stats.incomplete++;
	t->emit(t->ctx, &r);
}

/* Emits the exchanges at the queue's head whose response ended. */
static void emit_ended(struct conn *c)
{
	struct httpflow_exchange *x;

	while ((x = c->queue) && x->has_resp && x->resp.ended && x != c->sending) {
		c->queue = x->next;
		if (!c->queue)
			c->queue_tail = NULL;
		if (c->receiving == x)
			c->receiving = NULL;
		emit(c->tracker, c, x);
		exchange_free(x);
	}
}

/* Emits every exchange of the connection, those in flight marked 'why'. */
static void emit_all(struct conn *c, const char *why)
{
	struct httpflow_exchange *x;

	while ((x = c->queue)) {
		c->queue = x->next;
		if (!(x->has_resp && x->resp.ended) || (x->has_req && !x->req.ended))
			mark(x, why);
		emit(c->tracker, c, x);
		exchange_free(x);
	}
	c->queue_tail = c->sending = c->receiving = NULL;
}

static void enqueue(struct conn *c, struct httpflow_exchange *x)
{
	if (c->queue_tail)
		c->queue_tail->next = x;
	else
		c->queue = x;
	c->queue_tail = x;
}

/* ---- bodies: inflated, kept, and for an event stream merged ---- */

static void sse_event(void *ctx, const char *name, size_t name_len, const char *data,
		      size_t data_len)
{
	struct httpflow_exchange *x = ctx;

	llm_stream_event(&x->llm, name, name_len, data, data_len, x->resp.last_ns);
}

/* Decoded body bytes of message m of exchange x. */
static void body_decoded(struct httpflow_exchange *x, struct message *m, const char *data, size_t len)
{
	capbuf_append(&m->body, data, len);
	if (m == &x->resp && x->llm_on)
		sse_feed(&x->sse, data, len, sse_event, x);
}

static enum coding coding_of(const struct http1_head *h)
{
	const struct http1_field *f = http1_field(h, "content-encoding");

	if (!f || !f->value_len || (f->value_len == 8 && !strncasecmp(f->value, "identity", 8)))
		return CODING_IDENTITY;
	if ((f->value_len == 4 && !strncasecmp(f->value, "gzip", 4)) ||
	    (f->value_len == 6 && !strncasecmp(f->value, "x-gzip", 6)))
		return CODING_GZIP;
	if (f->value_len == 7 && !strncasecmp(f->value, "deflate", 7))
		return CODING_DEFLATE;
	return CODING_OTHER;	/* br, zstd, or codings stacked: kept as they came */
}

/* "deflate" should be zlib-wrapped (RFC 9110 8.4.1.2); some servers send it raw. */
static int window_bits(const struct message *m, const unsigned char *first, size_t len)
{
	if (m->coding == CODING_GZIP)
		return 15 + 16;
	if (len >= 2 && (first[0] & 0x0f) == 8 && ((first[0] << 8) | first[1]) % 31 == 0)
		return 15;
	return -15;
}

static void inflate_body(struct httpflow_exchange *x, struct message *m, const char *data, size_t len)
{
	unsigned char out[16384];

	if (!m->zlib_started) {
		m->zlib_started = true;
		memset(&m->z, 0, sizeof(m->z));
		if (inflateInit2(&m->z, window_bits(m, (const unsigned char *)data, len)) != Z_OK) {
			m->body_error = "cannot inflate: out of memory";
			return;
		}
		m->zlib_on = true;
	}
	if (!m->zlib_on)
		return;
	m->z.next_in = (unsigned char *)data;
	m->z.avail_in = len;
	while (m->z.avail_in) {
		int ret;

		m->z.next_out = out;
		m->z.avail_out = sizeof(out);
		ret = inflate(&m->z, Z_NO_FLUSH);
		m->inflated += sizeof(out) - m->z.avail_out;
		body_decoded(x, m, (const char *)out, sizeof(out) - m->z.avail_out);
		if (ret == Z_STREAM_END && m->z.avail_in) {
			inflateReset(&m->z);	/* gzip members one after another */
			continue;
		}
		if (ret == Z_STREAM_END || (ret == Z_BUF_ERROR && m->z.avail_out))
			break;
		if (ret != Z_OK && ret != Z_BUF_ERROR) {
			m->body_error = "cannot inflate: corrupt data";
			break;
		}
		if (m->inflated > INFLATE_MAX) {
			m->body_error = "inflated past 64 MiB: the rest was not read";
			break;
		}
	}
	if (m->body_error) {
		inflateEnd(&m->z);
		m->zlib_on = false;
	}
}

static void body_bytes(struct httpflow_exchange *x, struct message *m, const char *data, size_t len)
{
	m->wire_len += len;
	if (m->coding == CODING_GZIP || m->coding == CODING_DEFLATE)
		inflate_body(x, m, data, len);
	else
		body_decoded(x, m, data, len);
}

/* ---- the readers' callbacks: requests ---- */

static struct httpflow_exchange *current(struct conn *c, enum httpflow_direction dir)
{
	return dir == HTTPFLOW_SENT ? c->sending : c->receiving;
}

static void message_start(struct conn *c, enum httpflow_direction dir, struct message *m,
			  const struct http1_head *h)
{
	m->head = malloc(h->raw_len);
	if (m->head) {
		memcpy(m->head, h->raw, h->raw_len);
		m->head_len = h->raw_len;
	}
	m->first_ns = c->start_ns[dir];
	m->last_ns = c->tracker->now_ns;
	m->pid = c->start_pid[dir];
	m->tid = c->start_tid[dir];
	memcpy(m->comm, c->start_comm[dir], sizeof(m->comm));
	m->coding = coding_of(h);
	m->chunked = http1_field_has_token(h, "transfer-encoding", "chunked");
}

static bool json_content(const struct http1_head *h)
{
	const struct http1_field *f = http1_field(h, "content-type");

	return f && memmem(f->value, f->value_len, "json", 4);
}

static enum http1_framing request_head(void *ctx, const struct http1_head *h, uint64_t *length)
{
	struct conn *c = ctx;
	struct httpflow *t = c->tracker;
	struct httpflow_exchange *x = exchange_new(c);

	if (!x)
		return HTTP1_BAD;
	x->has_req = true;
	message_start(c, HTTPFLOW_SENT, &x->req, h);
	snprintf(x->method, sizeof(x->method), "%.*s", (int)h->method_len, h->method);
	/* an LLM request is read whole, whatever is printed of it */
	if (!t->o.no_llm && json_content(h) && t->o.body_max < LLM_REQUEST_MAX)
		x->req.body.max = LLM_REQUEST_MAX;
	enqueue(c, x);
	c->sending = x;
	return http1_framing(h, NULL, length);
}

static void sent_body(void *ctx, const char *data, size_t len)
{
	struct conn *c = ctx;

	if (c->sending) {
		c->sending->req.last_ns = c->tracker->now_ns;
		body_bytes(c->sending, &c->sending->req, data, len);
	}
}

static void body_missing(struct conn *c, enum httpflow_direction dir, uint64_t len)
{
	struct httpflow_exchange *x = current(c, dir);
	struct message *m;

	if (!x)
		return;
	m = dir == HTTPFLOW_SENT ? &x->req : &x->resp;
	m->missing += len;
	m->wire_len += len;
	if (m->coding == CODING_GZIP || m->coding == CODING_DEFLATE) {
		if (!m->body_error)
			m->body_error = "cannot inflate past missing bytes";
		if (m->zlib_on)
			inflateEnd(&m->z);
		m->zlib_on = false;
		m->zlib_started = true;
	} else if (dir == HTTPFLOW_RECEIVED && x->llm_on) {
		sse_gap(&x->sse);
	}
}

static void sent_missing(void *ctx, uint64_t len)
{
	body_missing(ctx, HTTPFLOW_SENT, len);
}

static void sent_end(void *ctx)
{
	struct conn *c = ctx;

	if (c->sending) {
		c->sending->req.ended = true;
		c->sending->req.last_ns = c->tracker->now_ns;
	}
	c->sending = NULL;
	emit_ended(c);
}

/* The reader lost its place in a request. If it had not read the head, a
 * request nobody will know is in the queue: its response must not be paired
 * with the next one, so it stands in for it. */
static void sent_lost(void *ctx, const char *why)
{
	struct conn *c = ctx;
	struct httpflow_exchange *x = c->sending;

	if (!x && (x = exchange_new(c))) {
		x->req.first_ns = x->req.last_ns = c->start_ns[HTTPFLOW_SENT];
		enqueue(c, x);
	}
	if (x)
		mark(x, why);
	c->sending = NULL;
	emit_ended(c);
}

/* Who moved a message's first bytes, and when. */
static void begin(struct conn *c, enum httpflow_direction dir)
{
	const struct httpflow_data *d = c->tracker->now;

	if (!d)
		return;
	c->start_ns[dir] = d->ts_ns;
	c->start_pid[dir] = d->pid;
	c->start_tid[dir] = d->tid;
	memcpy(c->start_comm[dir], d->comm, sizeof(d->comm));
}

static void sent_begin(void *ctx)
{
	begin(ctx, HTTPFLOW_SENT);
}

static const struct http1_callbacks request_callbacks = {
	.begin = sent_begin,
	.head = request_head,
	.body = sent_body,
	.body_missing = sent_missing,
	.end = sent_end,
	.lost = sent_lost,
};

/* ---- the readers' callbacks: responses ---- */

/* The oldest exchange still waiting for its response. */
static struct httpflow_exchange *waiting(struct conn *c)
{
	for (struct httpflow_exchange *x = c->queue; x; x = x->next)
		if (!x->has_resp)
			return x;
	return NULL;
}

static bool event_stream(const struct http1_head *h)
{
	const struct http1_field *f = http1_field(h, "content-type");

	return f && f->value_len >= 17 && !strncasecmp(f->value, "text/event-stream", 17);
}

static enum http1_framing response_head(void *ctx, const struct http1_head *h, uint64_t *length)
{
	struct conn *c = ctx;
	struct httpflow *t = c->tracker;
	struct httpflow_exchange *x;

	if (h->status / 100 == 1 && h->status != 101) {
		c->receiving = NULL;
		return HTTP1_NO_BODY;	/* interim (100 Continue): the final response follows */
	}
	x = waiting(c);
	if (!x) {
		x = exchange_new(c);
		if (!x)
			return HTTP1_BAD;
		mark(x, "request not seen");
		enqueue(c, x);
	}
	x->has_resp = true;
	x->status = h->status;
	message_start(c, HTTPFLOW_RECEIVED, &x->resp, h);
	x->event_stream = event_stream(h);
	if (x->event_stream && !t->o.no_llm) {
		x->llm_on = true;
		llm_stream_init(&x->llm, t->o.body_max);
	}
	c->receiving = x;
	if (h->status == 101) {
		mark(x, "switched protocols");
		return HTTP1_BAD;	/* no longer HTTP/1.1 on this connection */
	}
	return http1_framing(h, x->has_req ? x->method : NULL, length);
}

static void received_body(void *ctx, const char *data, size_t len)
{
	struct conn *c = ctx;

	if (c->receiving) {
		c->receiving->resp.last_ns = c->tracker->now_ns;
		body_bytes(c->receiving, &c->receiving->resp, data, len);
	}
}

static void received_missing(void *ctx, uint64_t len)
{
	body_missing(ctx, HTTPFLOW_RECEIVED, len);
}

static void received_end(void *ctx)
{
	struct conn *c = ctx;

	if (c->receiving) {
		c->receiving->resp.ended = true;
		if (!c->tracker->closing)
			c->receiving->resp.last_ns = c->tracker->now_ns;
	}
	emit_ended(c);
}

/* A response the reader lost its place in is given up: nothing better will
 * come. Responses come in the order of the requests: one lost before its
 * head was read is the answer to the oldest request waiting. */
static void received_lost(void *ctx, const char *why)
{
	struct conn *c = ctx;
	struct httpflow_exchange *x = c->receiving;

	if (!x && (x = waiting(c))) {
		x->has_resp = true;
		x->resp.first_ns = c->start_ns[HTTPFLOW_RECEIVED];
		c->receiving = x;
	}
	if (!x)
		return;
	x->resp.last_ns = c->tracker->now_ns;
	mark(x, why);
	x->resp.ended = true;	/* as far as it will go */
	emit_ended(c);
}

static void received_begin(void *ctx)
{
	begin(ctx, HTTPFLOW_RECEIVED);
}

static const struct http1_callbacks response_callbacks = {
	.begin = received_begin,
	.head = response_head,
	.body = received_body,
	.body_missing = received_missing,
	.end = received_end,
	.lost = received_lost,
};

static const struct http1_callbacks *callbacks[2] = { &request_callbacks, &response_callbacks };

/* ---- connections ---- */

static unsigned bucket_of(uint64_t key)
{
	return (unsigned)((key * 0x9e3779b97f4a7c15ULL) >> 54) % CONN_BUCKETS;
}

static void lru_unlink(struct conn *c)
{
	c->lru_prev->lru_next = c->lru_next;
	c->lru_next->lru_prev = c->lru_prev;
}

static void lru_push(struct httpflow *t, struct conn *c)
{
	c->lru_next = t->lru.lru_next;
	c->lru_prev = &t->lru;
	t->lru.lru_next->lru_prev = c;
	t->lru.lru_next = c;
}

static void conn_free(struct httpflow *t, struct conn *c, const char *why)
{
	struct conn **p = &t->buckets[bucket_of(c->key)];

	t->closing = true;
	http1_close(&c->reader[HTTPFLOW_RECEIVED], &response_callbacks, c);
	t->closing = false;
	emit_all(c, why);
	while (*p != c)
		p = &(*p)->hash_next;
	*p = c->hash_next;
	lru_unlink(c);
	http1_free(&c->reader[0]);
	http1_free(&c->reader[1]);
	free(c);
	t->stats.connections--;
}

static struct conn *conn_get(struct httpflow *t, uint64_t key)
{
	struct conn **b = &t->buckets[bucket_of(key)], *c;

	for (c = *b; c; c = c->hash_next) {
		if (c->key == key) {
			lru_unlink(c);
			lru_push(t, c);
			return c;
		}
	}
	if (t->stats.connections >= CONNS_MAX)
		conn_free(t, t->lru.lru_prev, "connection let go: too many tracked");
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->key = key;
	c->tracker = t;
	http1_init(&c->reader[HTTPFLOW_SENT], false);
	http1_init(&c->reader[HTTPFLOW_RECEIVED], true);
	c->hash_next = *b;
	*b = c;
	lru_push(t, c);
	t->stats.connections++;
	return c;
}

/* ---- feeding ---- */

struct httpflow *httpflow_new(const struct httpflow_options *o, httpflow_emit_fn emit_fn, void *ctx)
{
	struct httpflow *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	if (o)
		t->o = *o;
	if (!t->o.body_max)
		t->o.body_max = HTTPFLOW_BODY_MAX_DEFAULT;
	t->emit = emit_fn;
	t->ctx = ctx;
	t->lru.lru_next = t->lru.lru_prev = &t->lru;
	return t;
}

static void forget_all(struct httpflow *t, bool emit_them)
{
	while (t->lru.lru_next != &t->lru) {
		struct conn *c = t->lru.lru_next;

		if (!emit_them) {
			struct httpflow_exchange *x;

			while ((x = c->queue)) {
				c->queue = x->next;
				exchange_free(x);
			}
			c->queue_tail = c->sending = c->receiving = NULL;
			c->reader[HTTPFLOW_RECEIVED].state = HTTP1_LOST;	/* no end called */
		}
		conn_free(t, c, "still in flight at the end");
	}
}

void httpflow_free(struct httpflow *t)
{
	if (!t)
		return;
	forget_all(t, false);
	free(t);
}

void httpflow_flush(struct httpflow *t)
{
	forget_all(t, true);
}

/* Bytes were seen missing in direction dir of c: between messages, they
 * are the start of one (http1_skip says the reader is lost). */
static void skip(struct conn *c, enum httpflow_direction dir, uint64_t len)
{
	struct http1_reader *r = &c->reader[dir];

	if (!len || r->state == HTTP1_LOST)
		return;
	if (http1_idle(r))
		begin(c, dir);
	http1_skip(r, len, callbacks[dir], c);
}

/* Whether the program is the connection's client or its server, from the
 * first bytes that start a message (a client, until then). */
static void learn_role(struct conn *c, const struct httpflow_data *d)
{
	if (c->role_known || !d->call_start || !d->len)
		return;
	if (http1_looks_like_start(d->data, d->len, true)) {
		c->server = d->direction == HTTPFLOW_SENT;	/* it writes responses */
		c->role_known = true;
	} else if (http1_looks_like_start(d->data, d->len, false)) {
		c->server = d->direction == HTTPFLOW_RECEIVED;	/* it reads requests */
		c->role_known = true;
	}
}

int httpflow_feed(struct httpflow *t, const struct httpflow_data *d)
{
	struct conn *c = conn_get(t, d->conn);
	enum httpflow_direction dir;	/* from here on: of the requests, or of the responses */
	struct http1_reader *r;

	if (!c)
		return -ENOMEM;
	learn_role(c, d);
	dir = (d->direction == HTTPFLOW_SENT) != c->server ? HTTPFLOW_SENT : HTTPFLOW_RECEIVED;
	r = &c->reader[dir];
	t->now_ns = d->ts_ns;
	t->now = d;
	t->stats.bytes += d->len;
	skip(c, dir, d->missing_before);
	if (d->len && r->state == HTTP1_LOST && d->call_start &&
	    http1_looks_like_start(d->data, d->len, dir == HTTPFLOW_RECEIVED))
		http1_restart(r);
	/* a request on a connection whose response runs to its close: it closed,
	 * and its key (an SSL *) was taken by a new connection */
	if (dir == HTTPFLOW_SENT && d->call_start && c->reader[HTTPFLOW_RECEIVED].state == HTTP1_BODY_CLOSE &&
	    http1_looks_like_start(d->data, d->len, false))
		http1_close(&c->reader[HTTPFLOW_RECEIVED], &response_callbacks, c);
	http1_feed(r, d->data, d->len, callbacks[dir], c);
	skip(c, dir, d->missing_after);
	t->now = NULL;
	return 0;
}

void httpflow_lost(struct httpflow *t, uint64_t records)
{
	(void)records;
	for (struct conn *c = t->lru.lru_next; c != &t->lru; c = c->lru_next) {
		for (int dir = 0; dir < 2; dir++) {
			if (!http1_idle(&c->reader[dir]))
				c->reader[dir].state = HTTP1_LOST;
			c->call[dir].open = false;
		}
		/* a whole message may have been lost: pairing after it would be a guess */
		emit_all(c, "records lost");
	}
}

/* A TLS data record: where it stands in its call says what is missing. */
static int feed_tls_data(struct httpflow *t, const struct observe_tls_event *e)
{
	enum httpflow_direction dir = e->direction == OBSERVE_TLS_SENT ? HTTPFLOW_SENT : HTTPFLOW_RECEIVED;
	struct httpflow_data d = {
		.conn = e->conn,
		.direction = dir,
		.data = tls_event_data(e),	/* after the server name */
		.len = e->data_len,
		.missing_after = e->missing,
		.call_start = e->offset == 0,
		.ts_ns = e->hdr.ts_ns,
		.pid = e->hdr.pid,
		.tid = e->hdr.tid,
	};
	struct conn *c = conn_get(t, e->conn);
	struct call_track *call;

	if (!c)
		return -ENOMEM;
	call = &c->call[dir];
	memcpy(d.comm, e->hdr.comm, sizeof(d.comm));
	if (call->open && !(call->tid == e->hdr.tid && call->ts_ns == e->hdr.ts_ns)) {
		/* the last records of the previous call never came */
		d.missing_before += call->call_len - call->next_offset;
		call->open = false;
	}
	if (call->open)
		d.missing_before += e->offset - call->next_offset;
	else
		d.missing_before += e->offset;	/* its call's first records never came */
	call->open = e->more;
	call->tid = e->hdr.tid;
	call->ts_ns = e->hdr.ts_ns;
	call->call_len = e->call_len;
	call->next_offset = e->offset + e->data_len + e->missing;
	if (!e->more && call->next_offset < e->call_len)
		d.missing_after += e->call_len - call->next_offset;
	return httpflow_feed(t, &d);
}

int httpflow_feed_tls(struct httpflow *t, const void *rec, size_t len)
{
	const struct observe_event_header *h = rec;

	if (len < sizeof(*h))
		return -EINVAL;
	if (h->type == OBSERVE_EV_TLS_DATA) {
		const struct observe_tls_event *e = rec;

		if (len < sizeof(*e) || sizeof(*e) + e->sni_len + e->data_len > len ||
		    e->direction > OBSERVE_TLS_RECEIVED ||
		    e->offset + e->data_len + e->missing > e->call_len)
			return -EINVAL;
		return feed_tls_data(t, e);
	}
	if (h->type == OBSERVE_EV_TLS_HANDSHAKE) {
		const struct observe_tls_handshake_event *e = rec;
		struct conn **b;

		if (len < sizeof(*e))
			return -EINVAL;
		/* a handshake starts a connection: what its key had before is over */
		for (b = &t->buckets[bucket_of(e->conn)]; *b; b = &(*b)->hash_next) {
			if ((*b)->key == e->conn) {
				conn_free(t, *b, "connection ended");
				break;
			}
		}
	}
	return 0;
}

void httpflow_get_stats(const struct httpflow *t, struct httpflow_stats *s)
{
	*s = t->stats;
}

/* ---- JSON ---- */

static const char *const secret_fields[] = {
	"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key",
	"x-goog-api-key",
};

static bool secret(const struct http1_field *f)
{
	for (size_t i = 0; i < sizeof(secret_fields) / sizeof(secret_fields[0]); i++)
		if (f->name_len == strlen(secret_fields[i]) &&
		    !strncasecmp(f->name, secret_fields[i], f->name_len))
			return true;
	return false;
}

static bool same_name(const struct http1_field *a, const struct http1_field *b)
{
	return a->name_len == b->name_len && !strncasecmp(a->name, b->name, a->name_len);
}

/* The fields as an object with lower-case names; repeated fields joined
 * with ", " (RFC 9110 5.3); secrets replaced by their length. */
static void fields_json(struct json_writer *w, const struct http1_head *h, bool show_secrets)
{
	json_key(w, "headers");
	json_object_begin(w);
	for (unsigned i = 0; i < h->nr_fields; i++) {
		const struct http1_field *f = &h->fields[i];
		struct capbuf value;
		char *name;
		unsigned k;

		for (k = 0; k < i && !same_name(&h->fields[k], f); k++)
			;
		if (k < i)
			continue;	/* joined to the first of its name */
		name = strndup(f->name, f->name_len);
		if (!name)
			continue;
		for (char *p = name; *p; p++)
			*p = (*p >= 'A' && *p <= 'Z') ? *p + 32 : *p;
		capbuf_init(&value, HTTP1_HEAD_MAX);
		for (k = i; k < h->nr_fields; k++) {
			if (!same_name(&h->fields[k], f))
				continue;
			if (value.len)
				capbuf_append(&value, ", ", 2);
			capbuf_append(&value, h->fields[k].value, h->fields[k].value_len);
		}
		if (secret(f) && !show_secrets) {
			char note[64];

			snprintf(note, sizeof(note), "[redacted: %zu bytes]", value.len);
			json_kv_cstr(w, name, note);
		} else {
			json_kv_str(w, name, value.data ? value.data : "", value.len);
		}
		capbuf_free(&value);
		free(name);
	}
	json_object_end(w);
}

static void body_json(struct json_writer *w, const struct message *m, size_t body_max)
{
	size_t shown = m->body.len < body_max ? m->body.len : body_max;

	/* what the body held: seen or not (once decoded, the missing part's size is unknown) */
	json_kv_u64(w, "body_len", capbuf_total(&m->body) + (m->coding == CODING_IDENTITY ? m->missing : 0));
	if (m->coding != CODING_IDENTITY)
		json_kv_u64(w, "wire_len", m->wire_len);
	json_kv_str(w, "body", m->body.data ? m->body.data : "", shown);
	if (capbuf_total(&m->body) > shown)
		json_kv_u64(w, "body_truncated", capbuf_total(&m->body) - shown);
	if (m->missing)
		json_kv_u64(w, "body_missing", m->missing);
	if (m->body_error)
		json_kv_cstr(w, "body_error", m->body_error);
}

static void message_json(struct json_writer *w, const char *key, const struct message *m,
			 const struct http1_head *h, const struct httpflow_options *o)
{
	json_key(w, key);
	json_object_begin(w);
	json_kv_cstr(w, "version", h->version == 10 ? "HTTP/1.0" : "HTTP/1.1");
	fields_json(w, h, o->show_secrets);
	body_json(w, m, o->body_max);
	json_object_end(w);
}

static void kv_latency(struct json_writer *w, const char *key, uint64_t from, uint64_t to)
{
	if (from && to)
		json_kv_i64(w, key, (int64_t)(to - from));
}

/* Parses a kept head again; false if there is none. */
static bool head_of(const struct message *m, struct http1_head *h, bool response)
{
	return m->head && !http1_parse_head(h, m->head, m->head_len, response);
}

static void timings_json(struct json_writer *w, const struct httpflow_exchange *x)
{
	if (!x->has_req || !x->has_resp)
		return;
	/* from the request's last byte: what the server and the network took */
	kv_latency(w, "request_ns", x->req.first_ns, x->req.last_ns);
	kv_latency(w, "ttfb_ns", x->req.last_ns, x->resp.first_ns);
	if (x->llm_on && x->llm.first_token_ns)
		kv_latency(w, "ttft_ns", x->req.last_ns, x->llm.first_token_ns);
	kv_latency(w, "total_ns", x->req.last_ns, x->resp.last_ns);
}

/* An llm_call's request: what its body says, or why it could not be read. */
static void llm_request(struct json_writer *w, const struct httpflow_exchange *x, size_t text_max)
{
	const struct message *m = &x->req;

	if (!x->has_req)
		return;
	if (!m->ended || m->missing || m->body.cut || m->body_error) {
		json_kv_u64(w, "request_body_len", capbuf_total(&m->body) + m->missing);
		if (m->missing)
			json_kv_u64(w, "request_body_missing", m->missing);
		json_kv_cstr(w, "request_unread", m->body.cut ? "body larger than the tracker reads" :
						  "body not whole");
		return;
	}
	if (llm_request_json(w, m->body.data ? m->body.data : "", m->body.len, text_max)) {
		json_kv_u64(w, "request_body_len", m->body.len);
		json_kv_cstr(w, "request_unread", "body is not the JSON of an LLM request");
	}
}

static void end_json(struct json_writer *w, const struct httpflow_record *r,
		     const struct httpflow_exchange *x)
{
	timings_json(w, x);
	json_kv_bool(w, "complete", r->complete);
	if (!r->complete) {
		const char *why = x->incomplete;

		if (!why)
			why = x->req.missing || x->resp.missing ? "bytes missing" :
			      x->req.body_error ? x->req.body_error :
			      x->resp.body_error ? x->resp.body_error : "cut short";
		json_kv_cstr(w, "incomplete", why);
	}
}

void httpflow_record_json(struct json_writer *w, const struct httpflow_record *r,
			  const struct event_clock *clock)
{
	const struct httpflow_exchange *x = r->exchange;
	const struct httpflow_options *o = &x->options;
	struct http1_head req, resp;
	bool has_req = x->has_req && head_of(&x->req, &req, false);
	bool has_resp = x->has_resp && head_of(&x->resp, &resp, true);
	const struct http1_field *host;
	char when[48], conn[24];

	format_iso8601(when, sizeof(when), (int64_t)r->start_ns + clock->realtime_minus_boottime_ns);
	snprintf(conn, sizeof(conn), "0x%llx", (unsigned long long)r->conn);
	json_object_begin(w);
	json_kv_cstr(w, "time", when);
	json_kv_cstr(w, "type", r->type == HTTPFLOW_LLM_CALL ? "llm_call" : "http");
	json_kv_u64(w, "ts_ns", r->start_ns);
	json_kv_u64(w, "pid", r->pid);
	json_kv_u64(w, "tid", r->tid);
	json_kv_str(w, "comm", r->comm, strnlen(r->comm, sizeof(r->comm)));
	json_kv_cstr(w, "conn", conn);
	if (x->server)
		json_kv_cstr(w, "side", "server");
	if (has_req) {
		json_kv_str(w, "method", req.method, req.method_len);
		json_kv_str(w, "target", req.target, req.target_len);
		if ((host = http1_field(&req, "host")))
			json_kv_str(w, "host", host->value, host->value_len);
	}
	if (has_resp) {
		json_kv_u64(w, "status", resp.status);
		json_kv_str(w, "reason", resp.reason, resp.reason_len);
	}
	if (r->type == HTTPFLOW_LLM_CALL) {
		llm_request(w, x, o->body_max);
		llm_stream_json(w, &x->llm);
	} else {
		if (has_req)
			message_json(w, "request", &x->req, &req, o);
		if (has_resp)
			message_json(w, "response", &x->resp, &resp, o);
	}
	end_json(w, r, x);
	json_object_end(w);
}
