/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* log2 histograms (struct observe_hist): sums, deltas, text bars and JSON. */
#ifndef OBSERVE_HIST_H
#define OBSERVE_HIST_H

#include <stdio.h>
#include "json.h"
#include "observe.h"

/* The bounds of slot k: [low, high) ("high" 0 for the last, open slot). */
void hist_slot_bounds(unsigned k, unsigned long long *low, unsigned long long *high);

/* "[1K, 2K)": bpftrace's labels, powers of 1024 as K, M, G, T. */
void hist_slot_label(char *buf, size_t len, unsigned k);

/* a += b, field by field (sums of histograms). */
void hist_add(struct observe_hist *a, const struct observe_hist *b);

/* a -= b, field by field (deltas between two reads). */
void hist_subtract(struct observe_hist *a, const struct observe_hist *b);

/* Bars from the first to the last non-empty slot, 40 columns at most;
 * nothing when the histogram is empty. */
void hist_print(FILE *out, const struct observe_hist *h);

/* {"count":..,"sum":..,"buckets":[{"low":..,"high":..,"count":..}, ...]}:
 * non-empty slots only; the last slot has no "high". */
void hist_json(struct json_writer *w, const struct observe_hist *h);

#endif /* OBSERVE_HIST_H */
