// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "snapshot.h"
#include "hist.h"
#include "pins.h"
#include "report.h"
#include "stats.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#define SYSCALL_FIELDS (sizeof(struct observe_syscall_stats) / sizeof(__u64))
#define COUNT_FIELDS (sizeof(struct observe_syscall_count) / sizeof(__u64))

/* Every key of a per-CPU hash of histograms, its values summed. */
static int read_hist_rows(int fd, size_t key_size, size_t value_size, struct hist_rows *out)
{
	unsigned char key[8] = {}, next[8] = {};
	void *prev = NULL;
	size_t cap = out->n = 0;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		struct hist_row *row;
		int err;

		memcpy(key, next, key_size);
		prev = key;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 16;
			row = realloc(out->rows, cap * sizeof(*row));
			if (!row) {
				report_error("out of memory");
				return -1;
			}
			out->rows = row;
		}
		row = &out->rows[out->n];
		memset(row, 0, sizeof(*row));
		err = stats_read_key(fd, key, value_size / sizeof(__u64), NULL, (uint64_t *)&row->block);
		if (err == -ENOENT)
			continue;
		if (err) {
			report_error("cannot read a histogram map: %s", strerror(-err));
			return -1;
		}
		memcpy(&row->key, key, key_size);
		out->n++;
	}
	return 0;
}

#define BATCH 1024		/* rows per batched read */

/* Room for 'need' rows of 'row_size' in *rows (capacity *cap). */
static int reserve_rows(void **rows, size_t *cap, size_t need, size_t row_size)
{
	void *grown;

	if (need <= *cap)
		return 0;
	grown = realloc(*rows, (need + BATCH) * row_size);
	if (!grown) {
		report_error("out of memory");
		return -1;
	}
	*rows = grown;
	*cap = need + BATCH;
	return 0;
}

/*
 * The rows of a hash keyed by pid in batches of BATCH: one syscall per
 * batch, where a lookup per key costs two (the exporter reads the whole
 * table at every scrape). 1: the kernel cannot (no batch operations for
 * this map, or a bucket larger than a batch): read row by row instead.
 */
static int read_pid_rows_batched(int fd, size_t value_size, size_t row_size, size_t value_offset,
				 void **rows, size_t *n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 keys[BATCH], token = 0;
	size_t cap = *n = 0;
	char *values = malloc(BATCH * value_size);
	bool first = true;
	int ret = -1;

	if (!values)
		return report_error("out of memory"), -1;
	for (;;) {
		__u32 count = BATCH;
		int err = bpf_map_lookup_batch(fd, first ? NULL : &token, &token, keys, values,
					       &count, &opts);

		err = err ? errno : 0;
		if (err && err != ENOENT) {
			if (first) {
				ret = 1;	/* EINVAL, ENOTSUPP, ENOSPC...: one by one */
				goto out;
			}
			report_error("cannot read a table: %s", strerror(err));
			goto out;
		}
		if (reserve_rows(rows, &cap, *n + count, row_size))
			goto out;
		for (__u32 i = 0; i < count; i++) {
			char *row = (char *)*rows + (*n + i) * row_size;

			memcpy(row, &keys[i], sizeof(keys[i]));
			memcpy(row + value_offset, values + i * value_size, value_size);
		}
		*n += count;
		if (err == ENOENT)
			break;
		first = false;
	}
	ret = 0;
out:
	free(values);
	return ret;
}

/* Every row of a hash keyed by pid, values of 'value_size' after the key in
 * rows of 'row_size' (struct { __u32 pid; value }). */
static int read_pid_rows(int fd, size_t value_size, size_t row_size, size_t value_offset,
			 void **rows, size_t *n)
{
	__u32 key, next, *prev = NULL;
	size_t cap = 0;
	char *buf;
	int ret = read_pid_rows_batched(fd, value_size, row_size, value_offset, rows, n);

	if (ret <= 0)
		return ret;
	*n = 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (reserve_rows(rows, &cap, *n + 1, row_size))
			return -1;
		buf = *rows;
		/* A process may leave the LRU between the two calls: skip it. */
		if (bpf_map_lookup_elem(fd, &key, buf + *n * row_size + value_offset))
			continue;
		memcpy(buf + *n * row_size, &key, sizeof(key));
		(*n)++;
	}
	return 0;
}

void snapshot_free(struct snapshot *s)
{
	free(s->procs);
	free(s->faults);
	free(s->block.rows);
	free(s->runq.rows);
	memset(s, 0, sizeof(*s));
}

int snapshot_read(const struct snapshot_maps *m, struct snapshot *s)
{
	details_read(m->readers_fd, &s->details);
	s->details.left_out = m->details_left_out;
	if (m->syscalls_fd >= 0) {
		int err = stats_read_array(m->syscalls_fd, OBSERVE_SYSCALL_NR_MAX, SYSCALL_FIELDS,
					   (uint64_t *)s->sys);

		if (err) {
			report_error("cannot read observe_syscalls: %s", strerror(-err));
			return -1;
		}
		err = stats_read_array(m->syscall_counts_fd, OBSERVE_SYSCALL_NR_MAX, COUNT_FIELDS,
				       (uint64_t *)s->counts);
		if (err) {
			report_error("cannot read observe_syscall_counts: %s", strerror(-err));
			return -1;
		}
		for (unsigned nr = 0; nr < OBSERVE_SYSCALL_NR_MAX; nr++) {
			s->sys[nr].count = s->counts[nr].count;
			s->sys[nr].errors = s->counts[nr].errors;
		}
		if (read_pid_rows(m->by_pid_fd, sizeof(struct observe_proc_syscalls), sizeof(struct proc_row),
				  offsetof(struct proc_row, v), (void **)&s->procs, &s->nr_procs))
			return -1;
	}
	if (m->faults_fd >= 0 &&
	    read_pid_rows(m->faults_fd, sizeof(struct observe_proc_faults), sizeof(struct fault_row),
			  offsetof(struct fault_row, v),
			  (void **)&s->faults, &s->nr_faults))
		return -1;
	if (m->block_fd >= 0 &&
	    read_hist_rows(m->block_fd, sizeof(__u32), sizeof(struct observe_block_stats), &s->block))
		return -1;
	if (m->runq_fd >= 0 &&
	    read_hist_rows(m->runq_fd, sizeof(__u64), sizeof(struct observe_runq_stats), &s->runq))
		return -1;
	return 0;
}

static int copy_hist_rows(struct hist_rows *dst, const struct hist_rows *src)
{
	struct hist_row *rows = realloc(dst->rows, (src->n + 1) * sizeof(*rows));

	if (!rows) {
		report_error("out of memory");
		return -1;
	}
	memcpy(rows, src->rows, src->n * sizeof(*rows));
	dst->rows = rows;
	dst->n = src->n;
	return 0;
}

/* cur -= prev for each key in both; the histogram is at 'offset' in a row. */
static void subtract_hist_rows(struct hist_rows *cur, const struct hist_rows *prev, bool block)
{
	for (size_t i = 0; i < cur->n; i++) {
		for (size_t j = 0; j < prev->n; j++) {
			if (prev->rows[j].key != cur->rows[i].key)
				continue;
			if (block) {
				cur->rows[i].block.bytes -= prev->rows[j].block.bytes;
				cur->rows[i].block.errors -= prev->rows[j].block.errors;
				hist_subtract(&cur->rows[i].block.latency_ns,
					      &prev->rows[j].block.latency_ns);
			} else {
				hist_subtract(&cur->rows[i].runq.latency_ns,
					      &prev->rows[j].runq.latency_ns);
			}
			break;
		}
	}
}

int snapshot_copy(struct snapshot *dst, const struct snapshot *src)
{
	struct proc_row *procs = realloc(dst->procs, (src->nr_procs + 1) * sizeof(*procs));
	struct fault_row *faults;

	if (procs)
		dst->procs = procs;
	faults = realloc(dst->faults, (src->nr_faults + 1) * sizeof(*faults));
	if (faults)
		dst->faults = faults;
	if (!procs || !faults) {
		report_error("out of memory");
		return -1;
	}
	if (copy_hist_rows(&dst->block, &src->block) || copy_hist_rows(&dst->runq, &src->runq))
		return -1;
	memcpy(dst->sys, src->sys, sizeof(dst->sys));
	dst->details = src->details;
	memcpy(procs, src->procs, src->nr_procs * sizeof(*procs));
	memcpy(faults, src->faults, src->nr_faults * sizeof(*faults));
	dst->nr_procs = src->nr_procs;
	dst->nr_faults = src->nr_faults;
	return 0;
}

/* Rows of both per-process tables begin with the pid, and their values
 * with the process's start: a process is both. */
_Static_assert(offsetof(struct proc_row, v.start_ns) == offsetof(struct fault_row, v.start_ns),
	       "by_process reads both tables");

static int by_process(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;
	__u64 xs, ys;

	if (x != y)
		return x < y ? -1 : 1;
	memcpy(&xs, (const char *)a + offsetof(struct proc_row, v.start_ns), sizeof(xs));
	memcpy(&ys, (const char *)b + offsetof(struct proc_row, v.start_ns), sizeof(ys));
	return xs < ys ? -1 : xs > ys;
}

/* cur -= prev: what happened in the interval. prev's per-process rows are
 * sorted by pid and start, so that each of cur's finds its twin in log time;
 * a row without one is a process new in the interval (perhaps on an old
 * pid), all of it counted there. */
void snapshot_subtract(struct snapshot *cur, struct snapshot *prev)
{
	for (unsigned nr = 0; nr < OBSERVE_SYSCALL_NR_MAX; nr++) {
		cur->sys[nr].count -= prev->sys[nr].count;
		cur->sys[nr].errors -= prev->sys[nr].errors;
		hist_subtract(&cur->sys[nr].latency_ns, &prev->sys[nr].latency_ns);
	}
	qsort(prev->procs, prev->nr_procs, sizeof(*prev->procs), by_process);
	for (size_t i = 0; i < cur->nr_procs; i++) {
		const struct proc_row *was = bsearch(&cur->procs[i], prev->procs, prev->nr_procs,
						     sizeof(*prev->procs), by_process);

		/* Fewer calls: its row left the LRU and came back. */
		if (was && was->v.count <= cur->procs[i].v.count) {
			cur->procs[i].v.count -= was->v.count;
			cur->procs[i].v.errors -= was->v.errors;
			cur->procs[i].v.total_ns -= was->v.total_ns;
		}
	}
	qsort(prev->faults, prev->nr_faults, sizeof(*prev->faults), by_process);
	for (size_t i = 0; i < cur->nr_faults; i++) {
		const struct fault_row *was = bsearch(&cur->faults[i], prev->faults, prev->nr_faults,
						      sizeof(*prev->faults), by_process);

		if (was && was->v.faults <= cur->faults[i].v.faults)
			cur->faults[i].v.faults -= was->v.faults;
	}
	subtract_hist_rows(&cur->block, &prev->block, true);
	subtract_hist_rows(&cur->runq, &prev->runq, false);
}

const char *disk_name(__u64 dev, char *buf, size_t len)
{
	char link[64], target[256];
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/dev/block/%llu:%llu", (unsigned long long)(dev >> 20),
		 (unsigned long long)(dev & 0xfffff));
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0) {
		snprintf(buf, len, "%llu:%llu", (unsigned long long)(dev >> 20),
			 (unsigned long long)(dev & 0xfffff));
		return buf;
	}
	target[n] = 0;
	/* The name is the link's last component (a disk name is short). */
	snprintf(buf, len, "%.40s", strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
	return buf;
}

/* Each map of struct snapshot_maps: its collector and its pin. */
static const struct {
	unsigned collector;
	const char *map;
	size_t offset;
} wanted[] = {
	{ OBSERVE_COLLECTOR_SYSCALLS, PIN_SYSCALLS, offsetof(struct snapshot_maps, syscalls_fd) },
	{ OBSERVE_COLLECTOR_SYSCALLS, PIN_SYSCALL_COUNTS, offsetof(struct snapshot_maps, syscall_counts_fd) },
	{ OBSERVE_COLLECTOR_SYSCALLS, PIN_SYSCALLS_BY_PID, offsetof(struct snapshot_maps, by_pid_fd) },
	{ OBSERVE_COLLECTOR_MEMORY, PIN_FAULTS_BY_PID, offsetof(struct snapshot_maps, faults_fd) },
	{ OBSERVE_COLLECTOR_BLOCK, PIN_BLOCK, offsetof(struct snapshot_maps, block_fd) },
	{ OBSERVE_COLLECTOR_CPU, PIN_RUNQ, offsetof(struct snapshot_maps, runq_fd) },
};

bool snapshot_maps_current(const char *dir, const struct snapshot_maps *m)
{
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		int fd = *(const int *)((const char *)m + wanted[i].offset);

		if (fd >= 0 && !pins_still_pinned(dir, wanted[i].map, fd))
			return false;
	}
	return true;
}

int snapshot_open_maps(const char *dir, const struct observe_info *info, struct snapshot_maps *m)
{
	int opened = 0;

	m->details_left_out = info->details_left_out;
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		int *fd = (int *)((char *)m + wanted[i].offset);

		if (!(info->collectors & (1ULL << wanted[i].collector)))
			continue;
		*fd = pins_open_map(dir, wanted[i].map, PIN_READ);
		if (*fd < 0)
			return -1;
		opened++;
	}
	/* Which details are on: the core's map, there whenever one is. */
	if (opened && (m->readers_fd = pins_open_map(dir, PIN_READERS, PIN_READ)) < 0)
		return -1;
	return opened;
}

#define SNAPSHOT_FDS(m) { &(m)->syscalls_fd, &(m)->by_pid_fd, &(m)->syscall_counts_fd, \
			  &(m)->readers_fd, &(m)->faults_fd, &(m)->block_fd, &(m)->runq_fd }

void snapshot_maps_init(struct snapshot_maps *m)
{
	int *fds[] = SNAPSHOT_FDS(m);

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		*fds[i] = -1;
	m->details_left_out = 0;
}

void snapshot_close_maps(struct snapshot_maps *m)
{
	int *fds[] = SNAPSHOT_FDS(m);

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}
