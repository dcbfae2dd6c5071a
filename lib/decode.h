/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Turns ring records into JSON objects (one per line for observe-events). */
#ifndef OBSERVE_DECODE_H
#define OBSERVE_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include "json.h"

struct identity;

/* Converts the kernel's CLOCK_BOOTTIME stamps to wall-clock time; with an
 * identity, the header also says the host, the process keys, the cgroup's
 * path and its container (lib/identity.h). */
struct event_clock {
	int64_t realtime_minus_boottime_ns;
	struct identity *identity;	/* NULL: ids only */
};

void event_clock_init(struct event_clock *clock);

/* "2026-11-23T09:30:53.123456789Z" for a CLOCK_REALTIME time in ns. */
void format_iso8601(char *buf, size_t len, int64_t realtime_ns);

/*
 * Appends one record as a JSON object. Returns 0, or -EINVAL for a record that
 * is malformed (too short, sizes that do not add up, an unknown type); then
 * nothing is appended.
 */
int decode_event_json(struct json_writer *w, const void *rec, size_t len,
		      const struct event_clock *clock);

/* The first record of a stream that says the host once (--host-once). */
void decode_stream_json(struct json_writer *w, const struct identity *id, unsigned slot);

/* The record a reader prints when its slot lost events. */
void decode_gap_json(struct json_writer *w, unsigned slot, uint64_t lost);

/* The record a reader prints when someone tampered with its ring: what was
 * done, how often since the last such record, how many bytes it skipped. */
void decode_tamper_json(struct json_writer *w, unsigned slot, const char *what,
			uint64_t times, uint64_t skipped_bytes);

/* "ENOENT" for 2; "E<n>" when the number has no name. */
const char *errno_name(int err, char *buf, size_t len);

#endif /* OBSERVE_DECODE_H */
