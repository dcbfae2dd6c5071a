/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Top-N series for Prometheus tables (syscalls, commands, cgroups): at most
 * N rows have their own series, the rest are summed into one "other", and
 * every series only grows, as counters and histograms must.
 *
 * The places go to the rows that grew most since the last scrape. A row
 * that takes a place starts its series at zero: what it had counted before
 * stays in "other" as its baseline. A row that gives its place up (to one
 * that grows more than twice as fast) hands its whole count to "other".
 * So "other" never goes down, and a series that comes back starts from
 * zero, which Prometheus reads as a reset.
 */
#ifndef OBSERVE_TOPN_H
#define OBSERVE_TOPN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "observe.h"

#define TOPN_LABEL_LEN 64

struct topn_row {
	char label[TOPN_LABEL_LEN];
	uint64_t count, errors, total_ns;
	struct observe_hist *hist;	/* optional; changed in place */
};

struct topn_placed;
struct topn_seen;

struct topn {
	unsigned places;
	struct topn_placed *placed;	/* sorted by label */
	size_t nr_placed;
	struct topn_seen *seen;		/* last scrape's counts, sorted by label */
	size_t nr_seen;
};

void topn_init(struct topn *t, unsigned places);
void topn_free(struct topn *t);

/*
 * One scrape of a table whose labels are unique. Sets own[i] for the rows
 * with their own series and turns those rows into what to export (their
 * values minus their baselines); sums everything else into *other (whose
 * hist, when given, is filled too). Returns 0, or -1 out of memory.
 */
int topn_update(struct topn *t, struct topn_row *rows, size_t n, bool *own,
		struct topn_row *other);

#endif /* OBSERVE_TOPN_H */
