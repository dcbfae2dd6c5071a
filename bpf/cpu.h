/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* ABI of the cpu collector (cpu.bpf.c): run-queue latency. */
#ifndef OBSERVE_CPU_H
#define OBSERVE_CPU_H

#include "observe.h"

#define OBSERVE_RUNQ_CGROUPS 1024	/* cgroups with their own histogram */
#define OBSERVE_RUNQ_WAITING 16384	/* tasks followed from wake-up to run */

/* observe_runq: per-CPU hash keyed by cgroup v2 id; key 0 is every task.
 * Other keys appear with observe-load --runq-per-cgroup. */
struct observe_runq_stats {
	struct observe_hist latency_ns;	/* woken or preempted .. running */
};

OBSERVE_ABI_LAYOUT(observe_runq_stats, 336, 8);

#endif /* OBSERVE_CPU_H */
