/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * observe-agent's output: records in time order written as JSON lines, or
 * through the text view (textview.h) that reads them, with notes (what was
 * missed) and gaps (what was lost), a line limit, and writes in large
 * blocks.
 */
#ifndef OBSERVE_TIMELINE_H
#define OBSERVE_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "decode.h"
#include "json.h"
#include "httpflow.h"
#include "textview.h"

struct timeline {
	struct json_writer out;
	struct event_clock clock;
	bool text;
	struct textview view;
	uint64_t printed, limit;	/* lines; limit 0: none */
	uint64_t malformed;
	bool output_failed;
	int output_errno;
	struct httpflow *http;		/* NULL: TLS records printed as they are */
	bool http_failed;		/* out of memory: exchanges were lost */
};

void timeline_init(struct timeline *t, bool text, uint64_t limit);
void timeline_free(struct timeline *t);
/* TLS data records are decoded into "http" and "llm_call" records, each
 * printed when its exchange ends; 0 or -ENOMEM. */
int timeline_decode_http(struct timeline *t, const struct httpflow_options *o);

/* One record of either ring (TLS data into the decoder, if on). */
void timeline_record(struct timeline *t, const void *rec, size_t len);
/* A line of type "note" about pid (0: about the reader), stamped ts_ns
 * (CLOCK_BOOTTIME; 0: now). */
void timeline_note(struct timeline *t, uint64_t ts_ns, uint32_t pid, const char *comm,
		   const char *text);
/* Records lost by the slot of a ring ("events", "tls"). */
void timeline_gap(struct timeline *t, const char *ring, unsigned slot, uint64_t lost);

/* Someone meddled with a ring of ours (struct ring_tamper): as observe-events says it. */
void timeline_tamper(struct timeline *t, unsigned slot, const char *what, uint64_t times,
		     uint64_t skipped_bytes);

/* The line limit reached, or the output closed. */
bool timeline_done(const struct timeline *t);
/* Writes out what is buffered: 0, or -1 once output failed. */
int timeline_flush(struct timeline *t);
/* The last flush; 1 when output failed other than by a closed pipe. */
int timeline_finish(struct timeline *t);

#endif /* OBSERVE_TIMELINE_H */
