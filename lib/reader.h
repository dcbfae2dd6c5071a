/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Consuming one BPF ring buffer, mapped by us, with bounded work per call.
 *
 * Not libbpf's ring_buffer: 1.1's ring_buffer__poll() keeps consuming while
 * data keeps arriving (a saturated reader stayed inside one call for
 * minutes), and it stores the consumer position after every record. The
 * producer reads that position on every reserve, so its cache line crossed
 * CPUs twice per event (measured here: a live reader added 0.1-0.25 us to
 * each open on the producer's CPU, against next to nothing now). Here the
 * position is released every 1/16th of the ring and at the end of a call.
 *
 * The consumer page is writable by every member of the group (the ring is
 * 0660, and the kernel lets any writer map that page), so the reader keeps
 * its position to itself: it reads the page once, when it opens the ring
 * after claiming the slot, and afterwards only writes it (and puts it back
 * when someone else moved it). Every header is checked against the producer
 * position before it is trusted; a ring that does not add up is skipped up
 * to the producer and counted as tampered, never looped on.
 */
#ifndef OBSERVE_READER_H
#define OBSERVE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Handles one record; a non-zero return stops reading and is returned. */
typedef int (*reader_record_fn)(void *ctx, const void *data, size_t len);

/* What the reader found done to its ring by someone else, so far. */
struct ring_tamper {
	uint64_t times;			/* incidents */
	uint64_t skipped_bytes;		/* of ring data passed over unread */
	const char *last;		/* what the last one was */
};

struct ring_reader {
	int epoll_fd;
	unsigned long *consumer;	/* page 0 of the ring: written, never trusted */
	const unsigned long *producer;	/* page 1, then the data, mapped twice */
	const uint8_t *data;
	size_t size;			/* of the data, a power of 2 */
	size_t page;
	size_t release_every;		/* bytes consumed between releases */
	unsigned long pos;		/* ours: where the next record starts */
	reader_record_fn fn;
	void *ctx;
	unsigned budget;		/* records per call, discarded ones included */
	bool more;			/* the last call stopped at its budget */
	bool moved;			/* the last call found the position moved */
	uint8_t *copy;			/* a record is handed over from here */
	size_t copy_cap;
	struct ring_tamper tamper;
};

int ring_reader_open(struct ring_reader *r, int ring_fd, unsigned budget,
		     reader_record_fn fn, void *ctx);
/*
 * Waits up to timeout_ms for a wake-up (not at all when data is known to
 * wait), then consumes up to 'budget' records. Producers mostly do not wake
 * us, so the timeout is the reader's polling period. Returns the number of
 * records handled (0 on a signal), a negative error, or what the callback
 * returned when it returned non-zero (that record counts as consumed).
 */
int ring_reader_poll(struct ring_reader *r, int timeout_ms);
/*
 * The same without waiting: up to 'budget' records of what is there now.
 * Records are handed over as private copies: the callback never reads memory
 * the kernel may write meanwhile (it can, once someone moved the position).
 */
int ring_reader_consume(struct ring_reader *r);
/* Sets the position to 'pos' when it is a valid one (8-aligned, at most the
 * ring's size behind the producer), else to the producer: true if it was. */
bool ring_reader_start_at(struct ring_reader *r, unsigned long pos);
void ring_reader_close(struct ring_reader *r);

#endif /* OBSERVE_READER_H */
