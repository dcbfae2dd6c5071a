/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A claimed slot streamed as JSON lines to stdout: the loop that
 * observe-events and observe-tls share. It polls with bounded work, flushes
 * in large writes, prints a gap record whenever the slot drops records,
 * stops on a signal, --count, --duration, a closed pipe, or when observe is
 * unloaded, and drains what the ring holds before it returns.
 */
#ifndef OBSERVE_STREAM_H
#define OBSERVE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "decode.h"
#include "json.h"
#include "slot.h"

struct stream;

/* Appends what one record shows to st->json: returns the number of JSON
 * lines it added (0 for a record left out), or -EINVAL for a malformed one. */
typedef int (*stream_format_fn)(struct stream *st, const void *data, size_t len);

struct stream {
	const char *name;		/* of the program, for its status line */
	struct json_writer json;
	struct event_clock clock;
	struct slot slot;		/* claimed by the caller */
	stream_format_fn format;
	void *ctx;			/* the caller's, for format */
	uint64_t printed, limit, malformed, dropped_seen;
	bool output_failed;
	int output_errno;
};

struct stream_limits {
	uint64_t duration_ms;		/* 0: none */
	unsigned poll_ms;
	const char *pin_dir;
	bool quiet;
};

/* Before the loop: the writer, the clock, the slot's drops so far. */
void stream_init(struct stream *st, const char *name, stream_format_fn format, void *ctx,
		 uint64_t limit);
/* The loop; 0 when it ended normally (a closed pipe included), 1 on an error. */
int stream_run(struct stream *st, const struct stream_limits *limits);
void stream_free(struct stream *st);
/* Writes out what st->json holds: 0, or -1 once output failed. */
int stream_flush(struct stream *st);

#endif /* OBSERVE_STREAM_H */
