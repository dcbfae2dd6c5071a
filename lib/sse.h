/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A text/event-stream parser (the WHATWG "server-sent events" format), fed
 * the body in pieces of any size: lines end in CRLF, LF or CR; "event:" names
 * the event, "data:" lines are joined with newlines, a blank line dispatches,
 * ":" lines are comments. An event larger than SSE_EVENT_MAX is dropped and
 * counted, and so is the event that missing bytes fell into.
 */
#ifndef OBSERVE_SSE_H
#define OBSERVE_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "capbuf.h"

#define SSE_EVENT_MAX (1u << 20)

/* name is "" when the event had no "event:" line ("message" by the spec). */
typedef void (*sse_event_fn)(void *ctx, const char *name, size_t name_len, const char *data,
			     size_t data_len);

struct sse_parser {
	struct capbuf line;	/* the line being read */
	struct capbuf data;	/* the event's data lines so far, joined */
	char name[64];
	size_t name_len;
	bool has_data, after_cr, skipping;	/* skipping: to the next blank line */
	bool mid_line;		/* the line began in an earlier piece */
	bool started;		/* a byte came: a BOM is dropped only before */
	uint64_t events, dropped;
};

void sse_init(struct sse_parser *p);
void sse_free(struct sse_parser *p);
void sse_feed(struct sse_parser *p, const char *buf, size_t len, sse_event_fn fn, void *ctx);
/* Bytes are missing here: the event they fall into is dropped. */
void sse_gap(struct sse_parser *p);

#endif /* OBSERVE_SSE_H */
