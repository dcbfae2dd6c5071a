/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * HTTP/1.1 exchanges from the plaintext of TLS connections: a tracker is fed
 * each connection's bytes per direction, in the order they were moved, and
 * calls back once per finished exchange (a request and its response, or what
 * came of them). A text/event-stream answer of an LLM API (Anthropic
 * Messages, OpenAI chat completions or responses) is merged into one
 * "llm_call" record (llm.h); anything else is an "http" record.
 *
 * Bytes that never came (not captured, records lost) are never guessed at:
 * the exchange they belonged to says "incomplete" and why, and the parser
 * waits for the start of a call that looks like a new message. Bodies and
 * merged texts are kept up to body_max bytes; what is cut is counted.
 *
 * Usage:
 *	t = httpflow_new(&opts, emit, ctx);
 *	for each TLS record: httpflow_feed_tls(t, rec, len);
 *	for each gap the ring reports: httpflow_lost(t, n);
 *	at the end: httpflow_flush(t); httpflow_free(t);
 * and in emit(ctx, r): httpflow_record_json(w, r, clock); json_end_line(w);
 */
#ifndef OBSERVE_HTTPFLOW_H
#define OBSERVE_HTTPFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "decode.h"
#include "json.h"

#define HTTPFLOW_BODY_MAX_DEFAULT 16384u	/* bytes of one body or merged text printed */
#define HTTPFLOW_BODY_MAX_LIMIT (64u << 20)	/* the largest --body-max accepted */

/* As the program moved the bytes. A client writes requests and reads
 * responses, a server the other way round: the tracker tells which from the
 * first bytes of a connection that start a message ("side":"server"). */
enum httpflow_direction {
	HTTPFLOW_SENT = 0,	/* written by the program */
	HTTPFLOW_RECEIVED = 1,	/* read by the program */
};

struct httpflow_options {
	size_t body_max;	/* 0: HTTPFLOW_BODY_MAX_DEFAULT */
	bool no_llm;		/* every exchange an "http" record, streams not merged */
	bool show_secrets;	/* Authorization, Cookie, API keys printed, not "[redacted]" */
};

/* Bytes one call of the program moved on a connection, in one direction. */
struct httpflow_data {
	uint64_t conn;		/* the connection's key (observe_tls_event.conn) */
	enum httpflow_direction direction;
	const void *data;
	size_t len;
	uint64_t missing_before;	/* bytes before data that were moved but not seen */
	uint64_t missing_after;		/* bytes after data that were moved but not seen */
	bool call_start;	/* data is the start of the call (a message may start here) */
	uint64_t ts_ns;		/* CLOCK_BOOTTIME when the call returned */
	uint32_t pid, tid;
	char comm[16];		/* not necessarily NUL-terminated */
};

enum httpflow_record_type {
	HTTPFLOW_HTTP = 0,	/* "http" */
	HTTPFLOW_LLM_CALL = 1,	/* "llm_call" */
};

/* What the callback is given: valid during the call only. */
struct httpflow_record {
	enum httpflow_record_type type;
	uint64_t conn;
	uint32_t pid, tid;	/* of the request's first call (else the response's) */
	char comm[16];
	uint64_t start_ns;	/* CLOCK_BOOTTIME: the request's first bytes were sent */
	uint64_t end_ns;	/* the response's last bytes came (or it was given up) */
	bool complete;		/* false: bytes missing, or cut short (the JSON says why) */
	const struct httpflow_exchange *exchange;	/* for httpflow_record_json() */
};

typedef void (*httpflow_emit_fn)(void *ctx, const struct httpflow_record *r);

struct httpflow;

/* NULL when out of memory. */
struct httpflow *httpflow_new(const struct httpflow_options *o, httpflow_emit_fn emit, void *ctx);
/* Without emitting what is in flight (httpflow_flush() does). */
void httpflow_free(struct httpflow *t);

/* Bytes of one connection in one direction; 0, or -ENOMEM. */
int httpflow_feed(struct httpflow *t, const struct httpflow_data *d);
/* One record of observe's TLS ring (struct observe_tls_event in tls.h):
 * data records are fed (a continuation lost is seen as missing bytes),
 * a handshake starts its connection over. 0 (other types are left out),
 * -EINVAL for a malformed record, or -ENOMEM. */
int httpflow_feed_tls(struct httpflow *t, const void *rec, size_t len);
/* The ring lost records, of connections unknown: every exchange in flight
 * may miss bytes and says so; each direction waits for a new message. */
void httpflow_lost(struct httpflow *t, uint64_t records);
/* Emits every exchange in flight, marked incomplete where it is (at exit). */
void httpflow_flush(struct httpflow *t);

/* Appends the record as one JSON object (no newline): time, type, pid, tid,
 * comm, conn, then the request, the response, and for an llm_call the
 * merged stream. */
void httpflow_record_json(struct json_writer *w, const struct httpflow_record *r,
			  const struct event_clock *clock);

struct httpflow_stats {
	uint64_t http, llm_calls;	/* records emitted */
	uint64_t incomplete;		/* of which not complete */
	uint64_t bytes;			/* fed */
	uint64_t connections;		/* tracked now */
	uint64_t unreadable;		/* messages lost before their head, never answered */
};
void httpflow_get_stats(const struct httpflow *t, struct httpflow_stats *s);

#endif /* OBSERVE_HTTPFLOW_H */
