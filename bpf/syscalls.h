/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* ABI of the syscalls collector (syscalls.bpf.c): counts, errors, latency. */
#ifndef OBSERVE_SYSCALLS_H
#define OBSERVE_SYSCALLS_H

#include "observe.h"

#define OBSERVE_SYSCALL_NR_MAX 512	/* syscall numbers counted: 0 .. 511 */
#define OBSERVE_SYSCALL_PROCS 10240	/* processes followed at once (LRU) */

/* observe_syscall_counts: per-CPU array keyed by syscall number, counted
 * on every syscall exit while the collector is on: all its default costs. */
struct observe_syscall_count {
	__u64 count;
	__u64 errors;		/* returned -1 .. -4095 */
};

/* observe_syscalls: per-CPU array keyed by syscall number, filled only while
 * OBSERVE_DETAIL_SYSCALL_LATENCY is on (observe-filter enable
 * syscall-latency). count and errors stay 0: the counts are in
 * observe_syscall_counts; latency_ns.count is the calls timed. */
struct observe_syscall_stats {
	__u64 count;
	__u64 errors;
	struct observe_hist latency_ns;	/* entry to exit */
};

/* observe_syscalls_by_pid: hash keyed by pid (tgid), least recently used
 * processes go first; counters are atomic adds. Filled only while
 * OBSERVE_DETAIL_SYSCALL_LATENCY is on. A row is one process, pid and
 * start_ns: when the pid's next process makes a syscall, its row starts
 * over. */
struct observe_proc_syscalls {
	__u64 start_ns;		/* the process's, as observe_event_header's */
	__u64 count;
	__u64 errors;
	__u64 total_ns;		/* time spent in syscalls */
	char comm[OBSERVE_COMM_LEN];	/* of the thread that made the first one */
};

OBSERVE_ABI_LAYOUT(observe_syscall_count, 16, 8);
OBSERVE_ABI_LAYOUT(observe_syscall_stats, 352, 8);
OBSERVE_ABI_LAYOUT(observe_proc_syscalls, 48, 8);
_Static_assert(__builtin_offsetof(struct observe_proc_syscalls, start_ns) == 0,
	       "observe_process_row() finds the start first");

#endif /* OBSERVE_SYSCALLS_H */
