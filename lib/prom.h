/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The Prometheus text exposition format (version 0.0.4), written into a
 * growing buffer: metric families with HELP and TYPE, samples with escaped
 * labels, and log2 histograms (struct observe_hist) as cumulative buckets.
 *
 * Labels are given as name, value pairs ending with NULL:
 *   prom_u64(w, "observe_syscalls_total", n, "syscall", "read", NULL);
 */
#ifndef OBSERVE_PROM_H
#define OBSERVE_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "observe.h"

#define PROM_MAX_LABELS 6

struct prom_writer {
	char *buf;
	size_t len, cap;
	bool failed;		/* out of memory: the text is incomplete */
};

void prom_init(struct prom_writer *w);
void prom_free(struct prom_writer *w);
void prom_reset(struct prom_writer *w);

/* # HELP and # TYPE lines; type is "counter", "gauge" or "histogram". */
void prom_family(struct prom_writer *w, const char *name, const char *type, const char *help);

void prom_u64(struct prom_writer *w, const char *name, uint64_t v, ...)
	__attribute__((sentinel));
void prom_double(struct prom_writer *w, const char *name, double v, ...)
	__attribute__((sentinel));

/*
 * The series of a histogram 'name' (its family written before): name_bucket
 * with le = each slot's upper bound times 'scale' (1e-9: ns to seconds), the
 * last as +Inf, then name_sum (times 'scale') and name_count. Every slot has
 * its bucket, empty or not, so that a series keeps its buckets over time.
 * A value equal to a slot's upper bound counts in the next slot: le is off
 * by one base unit at most.
 */
void prom_hist(struct prom_writer *w, const char *name, const struct observe_hist *h,
	       double scale, ...) __attribute__((sentinel));

/* A label value as the format wants it, into buf: \\, \" and \n escaped,
 * bytes that are not UTF-8 replaced by U+FFFD. Cut to fit; always ends. */
void prom_escape_label(char *buf, size_t len, const char *s, size_t slen);

/* s (up to slen bytes or a NUL) into buf with every byte that is not
 * UTF-8 replaced by U+FFFD, nothing escaped: two different results escape
 * to two different label values. Cut on a character; always ends. */
void prom_clean_utf8(char *buf, size_t len, const char *s, size_t slen);

#endif /* OBSERVE_PROM_H */
