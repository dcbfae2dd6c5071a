/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One read of the maps the aggregating collectors count into (syscalls,
 * processes, page faults, block I/O, run queue), summed over the CPUs, and
 * the difference between two reads. Shared by observe-hist and
 * observe-exporter.
 */
#ifndef OBSERVE_SNAPSHOT_H
#define OBSERVE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include "observe.h"
#include "details.h"
#include "block.h"
#include "cpu.h"
#include "memory.h"
#include "syscalls.h"

struct proc_row {
	__u32 pid;
	struct observe_proc_syscalls v;
};

struct fault_row {
	__u32 pid;
	struct observe_proc_faults v;
};

/* A row of a per-CPU hash of histograms (block: per disk; runq: per cgroup),
 * summed over the CPUs. */
struct hist_row {
	__u64 key;
	union {
		struct observe_block_stats block;
		struct observe_runq_stats runq;
	};
};

struct hist_rows {
	struct hist_row *rows;
	size_t n;
};

/* One read of the maps. */
struct snapshot {
	/* count and errors from observe_syscall_counts, latency_ns from
	 * observe_syscalls (filled while syscall_latency_on) */
	struct observe_syscall_stats sys[OBSERVE_SYSCALL_NR_MAX];
	struct observe_syscall_count counts[OBSERVE_SYSCALL_NR_MAX];	/* read buffer */
	struct details_state details;	/* which details were on at the read */
	struct proc_row *procs;
	size_t nr_procs;
	struct fault_row *faults;
	size_t nr_faults;
	struct hist_rows block, runq;
};

struct snapshot_maps {
	int syscalls_fd, by_pid_fd;	/* -1: the syscalls collector is not loaded */
	int syscall_counts_fd;
	int readers_fd;			/* the details' switches */
	int faults_fd;			/* -1: the memory collector is not loaded */
	int block_fd;			/* -1: the block collector is not loaded */
	int runq_fd;			/* -1: the cpu collector is not loaded */
	uint32_t details_left_out;	/* observe_info's: details that cannot go on */
};

/*
 * Opens the map of each collector that is loaded (per 'info'), -1 in the
 * others. Returns how many were opened, or -1 after printing why one failed.
 */
void snapshot_maps_init(struct snapshot_maps *m);	/* every fd -1 */
int snapshot_open_maps(const char *dir, const struct observe_info *info, struct snapshot_maps *m);
void snapshot_close_maps(struct snapshot_maps *m);
/* Whether each map open in m is still the one pinned in dir. */
bool snapshot_maps_current(const char *dir, const struct snapshot_maps *m);

/* Fills 's' (its arrays are reallocated as needed); 0 or -1 after an error line. */
int snapshot_read(const struct snapshot_maps *m, struct snapshot *s);
/* dst = src, reusing dst's arrays. */
int snapshot_copy(struct snapshot *dst, const struct snapshot *src);
/* cur -= prev: what happened in between (prev's rows are sorted). */
void snapshot_subtract(struct snapshot *cur, struct snapshot *prev);
void snapshot_free(struct snapshot *s);

/* "vda" for the disk whose dev_t (major << 20 | minor) is 'dev'. */
const char *disk_name(__u64 dev, char *buf, size_t len);

#endif /* OBSERVE_SNAPSHOT_H */
