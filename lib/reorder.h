/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Records from several rings put back in time order. Each ring is in the
 * order its records were reserved, not stamped, and two rings are read one
 * after the other: a record is held until it is older than the newest time
 * seen by 'window' (by its kernel stamp, then its cpu and that cpu's sequence number),
 * so that anything stamped before it has had time to be read.
 */
#ifndef OBSERVE_REORDER_H
#define OBSERVE_REORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct reorder_item {
	uint64_t ts_ns, seq;
	uint32_t cpu;
	unsigned source;	/* the caller's: which ring */
	size_t len;
	uint8_t data[];		/* a copy of the record, aligned for its header */
};

struct reorder {
	struct reorder_item **heap;	/* min-heap by (ts_ns, cpu, seq) */
	size_t n, cap;
	size_t bytes, max_bytes;	/* held; past max_bytes the oldest go out early */
	uint64_t window_ns;
};

void reorder_init(struct reorder *r, uint64_t window_ns, size_t max_bytes);
void reorder_free(struct reorder *r);

/* Copies a record (an observe_event_header first). 0, -EINVAL for a record
 * too short to have a header, -ENOMEM. */
int reorder_push(struct reorder *r, unsigned source, const void *rec, size_t len);

/*
 * The oldest record if it may go out at 'now_ns' (CLOCK_BOOTTIME: it is
 * older than now_ns - window, or more than max_bytes are held), or any
 * record with 'drain'; NULL otherwise. The caller frees it with free().
 */
struct reorder_item *reorder_pop(struct reorder *r, uint64_t now_ns, bool drain);

/* CLOCK_BOOTTIME in ns, the kernel's stamps' clock. */
uint64_t reorder_now_ns(void);

#endif /* OBSERVE_REORDER_H */
