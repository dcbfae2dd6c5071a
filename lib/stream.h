/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A claimed slot streamed as JSON lines to stdout: the loop that
 * observe-events and observe-tls share. It polls with bounded work, flushes
 * in large writes, prints a gap record whenever the slot drops records and a
 * tamper record (at most one a second) when someone meddles with its ring,
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
#include "reader.h"
#include "slot.h"
#include "textview.h"
#include "identity.h"

struct stream;

/* Appends what one record shows to st->json: returns the number of JSON
 * lines it added (0 for a record left out), or -EINVAL for a malformed one. */
typedef int (*stream_format_fn)(struct stream *st, const void *data, size_t len);
/* The slot lost 'lost' records since the last call (somewhere in or after
 * the records formatted since); appends what that costs, as format does. */
typedef int (*stream_gap_fn)(struct stream *st, uint64_t lost);

struct stream {
	const char *name;		/* of the program, for its status line */
	struct json_writer json;
	struct event_clock clock;
	struct slot slot;		/* claimed by the caller */
	stream_format_fn format;
	stream_gap_fn gap;		/* NULL, or set by the caller after stream_init */
	void *ctx;			/* the caller's, for format and gap */
	uint64_t printed, limit, malformed, dropped_seen;
	uint64_t received, delivered_at_start;	/* records; the slot's counter */
	struct ring_tamper tamper_seen;	/* as of the last tamper record */
	uint64_t tamper_printed_ms;
	bool output_failed;
	int output_errno;
	bool text;			/* -o text: the human view of each line */
	struct identity identity;	/* host, keys, cgroup paths (lib/identity.h) */
	struct textview view;
};

/* What every streaming reader is told on its command line (getopt_long):
 * -p, -c, -u set the slot's filter; -n, -d, -o, --poll-ms, --pin-dir, -q, -v. */
struct stream_options {
	struct slot_filter filter;
	uint64_t count;			/* 0: no limit */
	uint64_t duration_ms;		/* 0: no limit */
	unsigned poll_ms;
	const char *pin_dir;
	bool quiet, verbose;
	bool text;			/* -o text instead of -o json */
	bool host_once;			/* the host in a first line, not in every line */
};

/* Their long-only option values, above any other option's. */
enum { STREAM_OPT_POLL_MS = 0x1000, STREAM_OPT_PIN_DIR, STREAM_OPT_HOST_ONCE };

#define STREAM_SHORT_OPTIONS "p:c:u:n:d:o:qv"
#define STREAM_LONG_OPTIONS							\
	{ "pid", required_argument, NULL, 'p' },				\
	{ "comm", required_argument, NULL, 'c' },				\
	{ "uid", required_argument, NULL, 'u' },				\
	{ "count", required_argument, NULL, 'n' },				\
	{ "duration", required_argument, NULL, 'd' },				\
	{ "output", required_argument, NULL, 'o' },				\
	{ "poll-ms", required_argument, NULL, STREAM_OPT_POLL_MS },		\
	{ "pin-dir", required_argument, NULL, STREAM_OPT_PIN_DIR },		\
	{ "host-once", no_argument, NULL, STREAM_OPT_HOST_ONCE },		\
	{ "quiet", no_argument, NULL, 'q' },					\
	{ "verbose", no_argument, NULL, 'v' }

/* The defaults, before the options are read. */
void stream_options_init(struct stream_options *o, uint64_t types);
/* Applies option 'opt' if it is one of the shared ones: 1 when applied,
 * 0 when it is not one of them, -1 (err set) for a bad value. */
int stream_parse_option(int opt, const char *arg, struct stream_options *o, char *err);
/* After getopt_long: no operand is left; the pin directory is resolved. */
int stream_options_end(int argc, char **argv, struct stream_options *o);

/* The help text of the options above, for each reader's --help. */
#define STREAM_OUTPUT_HELP \
"  -o, --output=FORMAT    json (default: one JSON object a line) or text (one\n" \
"                         line a record: time, pid, comm, event, detail)\n" \
"      --host-once        the host in a first line, not in every line\n"

/* Before the loop: the writer, the clock, the slot's drops so far. */
void stream_init(struct stream *st, const char *name, stream_format_fn format, void *ctx,
		 uint64_t limit);
/* The loop; 0 when it ended normally (a closed pipe included), 1 on an error. */
int stream_run(struct stream *st, const struct stream_options *o);
void stream_free(struct stream *st);
/* Writes out what st->json holds: 0, or -1 once output failed. */
int stream_flush(struct stream *st);

#endif /* OBSERVE_STREAM_H */
