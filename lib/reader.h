/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Consuming one ring with bounded work per call. libbpf 1.1's
 * ring_buffer__poll() keeps consuming while data keeps arriving (a saturated
 * reader stayed inside one call for minutes), so the callback stops it after
 * 'budget' records and the next call goes on without waiting.
 */
#ifndef OBSERVE_READER_H
#define OBSERVE_READER_H

#include <stdbool.h>
#include <stddef.h>

/* Handles one record; a non-zero return stops reading and is returned. */
typedef int (*reader_record_fn)(void *ctx, const void *data, size_t len);

struct ring_reader {
	struct ring_buffer *rb;
	reader_record_fn fn;
	void *ctx;
	unsigned budget;
	unsigned count;		/* records in the current call */
	bool more;		/* the last call stopped at its budget */
	int fn_err;
};

int ring_reader_open(struct ring_reader *r, int ring_fd, unsigned budget,
		     reader_record_fn fn, void *ctx);
/*
 * Waits up to timeout_ms for a wake-up (not at all when data is known to
 * wait), then consumes up to 'budget' records. Producers mostly do not wake
 * us, so the timeout is the reader's polling period. Returns the number of
 * records handled (0 on a signal), or a negative error.
 */
int ring_reader_poll(struct ring_reader *r, int timeout_ms);
void ring_reader_close(struct ring_reader *r);

#endif /* OBSERVE_READER_H */
