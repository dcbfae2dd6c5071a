/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A byte buffer that keeps at most 'max' bytes and counts those it did not
 * keep, so that what is cut can be said (a body, a merged answer).
 */
#ifndef OBSERVE_CAPBUF_H
#define OBSERVE_CAPBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct capbuf {
	char *data;
	size_t len, cap, max;
	uint64_t cut;		/* bytes appended beyond max */
	bool failed;		/* out of memory: what came after was counted in cut */
};

void capbuf_init(struct capbuf *b, size_t max);
void capbuf_free(struct capbuf *b);
/* Empties it; keeps its memory and its max. */
void capbuf_reset(struct capbuf *b);
void capbuf_append(struct capbuf *b, const void *data, size_t len);
/* Bytes appended in all: kept and cut. */
static inline uint64_t capbuf_total(const struct capbuf *b)
{
	return b->len + b->cut;
}

#endif /* OBSERVE_CAPBUF_H */
