/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A flame graph's stacks as a pprof profile (profile.proto, gzipped), the
 * format of go tool pprof, Parca and Pyroscope. The protobuf is written by
 * hand: the few message types it needs are varints and nested lengths, less
 * code than a generated protobuf-c binding and its build steps.
 *
 * Frames are taken as observe-profile names them: "func [inlined]" joins
 * the location of the frame before it (one address, several lines), and a
 * "(file.c:42)" suffix becomes the function's file and the line.
 */
#ifndef OBSERVE_PPROF_H
#define OBSERVE_PPROF_H

#include "flamegraph.h"

#include <stdint.h>
#include <stdio.h>

struct pprof_meta {
	uint64_t period_ns;	/* CPU time one sample stands for */
	uint64_t duration_ns;	/* of the window */
	uint64_t time_ns;	/* its start, since the epoch */
};

/* Two values a sample: "samples" (count) and "cpu" (nanoseconds). */
int pprof_write(const struct flame *f, const struct pprof_meta *meta, FILE *out);

#endif /* OBSERVE_PPROF_H */
