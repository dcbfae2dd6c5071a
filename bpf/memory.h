/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* ABI of the memory collector (memory.bpf.c): page faults, OOM kills. */
#ifndef OBSERVE_MEMORY_H
#define OBSERVE_MEMORY_H

#include "observe.h"

#define OBSERVE_FAULT_PROCS 10240	/* processes followed at once (LRU) */

/* observe_faults_by_pid: hash keyed by pid (tgid), least recently used
 * processes go first; the count is an atomic add. A row is one process, pid
 * and start_ns: when the pid's next process faults, its row starts over. */
struct observe_proc_faults {
	__u64 start_ns;		/* the process's, as observe_event_header's */
	__u64 faults;		/* user page faults, minor and major */
	char comm[OBSERVE_COMM_LEN];	/* at the first fault counted */
};

/*
 * type OBSERVE_EV_OOM_KILL: the OOM killer chose a victim. The header is
 * the task whose allocation set it off; the victim and its memory (kB, as
 * the kernel's oom:mark_victim reports them) are here.
 */
struct observe_oom_event {
	struct observe_event_header hdr;
	__u64 total_vm_kb;
	__u64 anon_rss_kb;
	__u64 file_rss_kb;
	__u64 shmem_rss_kb;
	__u64 pgtables_kb;
	__u32 victim_pid;
	__u32 victim_uid;
	__s16 oom_score_adj;
	__u16 pad[3];
	char victim_comm[OBSERVE_COMM_LEN];
};

OBSERVE_ABI_LAYOUT(observe_proc_faults, 32, 8);
_Static_assert(__builtin_offsetof(struct observe_proc_faults, start_ns) == 0,
	       "observe_process_row() finds the start first");
OBSERVE_ABI_LAYOUT(observe_oom_event, 160, 8);

#endif /* OBSERVE_MEMORY_H */
