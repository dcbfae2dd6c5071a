// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * observe-hist: what the aggregating collectors count in their pinned maps,
 * as top-N tables and log2 histograms, once or as deltas per interval. It
 * reads pins only (no slot), so it runs beside any number of readers.
 */
#include "events.h"
#include "block.h"
#include "cpu.h"
#include "hist.h"
#include "memory.h"
#include "json.h"
#include "parse.h"
#include "pins.h"
#include "report.h"
#include "runloop.h"
#include "stats.h"
#include "syscall_names.h"
#include "syscalls.h"

#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

static const char usage[] =
"Usage: observe-hist [OPTION...]\n"
"Show what observe counts in the kernel: syscalls per syscall and per\n"
"process, with log2 latency histograms; user page faults per process;\n"
"block I/O latency per disk; run-queue latency (per cgroup with\n"
"observe-load --runq-per-cgroup). Each part shows when its collector\n"
"(syscalls, memory, block, cpu) is loaded.\n"
"\n"
"  -n, --top=N            rows per table (default 10)\n"
"  -s, --syscall=NAME     the latency histogram of this syscall (repeatable;\n"
"                         default: the 3 syscalls with the most time)\n"
"  -i, --interval=SECS    print what changed every SECS seconds until stopped\n"
"  -c, --count=N          with --interval: stop after N intervals\n"
"  -j, --json             JSON instead of tables and bars\n"
"      --pin-dir=DIR      where observe is pinned (default " OBSERVE_PIN_DIR_DEFAULT ")\n"
"  -h, --help             show this help\n"
"\n"
"Counting is switched off and on with 'observe-filter disable syscalls' (or\n"
"faults, block, runq).\n"
"\n"
"Examples:\n"
"  observe-hist\n"
"  observe-hist -s read -s write -i 1\n"
"  observe-hist --json | jq '.syscalls[0]'\n";

enum { OPT_PIN_DIR = 256 };

static const struct option options[] = {
	{ "top", required_argument, NULL, 'n' },
	{ "syscall", required_argument, NULL, 's' },
	{ "interval", required_argument, NULL, 'i' },
	{ "count", required_argument, NULL, 'c' },
	{ "json", no_argument, NULL, 'j' },
	{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
	{ "help", no_argument, NULL, 'h' },
	{},
};

#define MAX_CHOSEN 16
#define DEFAULT_HISTS 3
#define SYSCALL_FIELDS (sizeof(struct observe_syscall_stats) / sizeof(__u64))

struct options {
	unsigned top;
	int chosen[MAX_CHOSEN];	/* syscall numbers given with -s */
	unsigned nr_chosen;
	uint64_t interval_ms;
	uint64_t count;		/* intervals; 0: until stopped */
	bool json;
};

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
	struct observe_syscall_stats sys[OBSERVE_SYSCALL_NR_MAX];
	struct proc_row *procs;
	size_t nr_procs;
	struct fault_row *faults;
	size_t nr_faults;
	struct hist_rows block, runq;
};

struct maps {
	int syscalls_fd, by_pid_fd;	/* -1: the syscalls collector is not loaded */
	int faults_fd;			/* -1: the memory collector is not loaded */
	int block_fd;			/* -1: the block collector is not loaded */
	int runq_fd;			/* -1: the cpu collector is not loaded */
};

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

/* Every row of a hash keyed by pid, values of 'value_size' after the key in
 * rows of 'row_size' (struct { __u32 pid; value }). */
static int read_pid_rows(int fd, size_t row_size, size_t value_offset, void **rows, size_t *n)
{
	__u32 key, next, *prev = NULL;
	size_t cap = *n = 0;
	char *buf = *rows;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			buf = realloc(*rows, cap * row_size);
			if (!buf) {
				report_error("out of memory");
				return -1;
			}
			*rows = buf;
		}
		/* A process may leave the LRU between the two calls: skip it. */
		if (bpf_map_lookup_elem(fd, &key, buf + *n * row_size + value_offset))
			continue;
		memcpy(buf + *n * row_size, &key, sizeof(key));
		(*n)++;
	}
	return 0;
}

static void snapshot_free(struct snapshot *s)
{
	free(s->procs);
	free(s->faults);
	free(s->block.rows);
	free(s->runq.rows);
	memset(s, 0, sizeof(*s));
}

static int snapshot_read(const struct maps *m, struct snapshot *s)
{
	if (m->syscalls_fd >= 0) {
		for (__u32 nr = 0; nr < OBSERVE_SYSCALL_NR_MAX; nr++) {
			int err = stats_read(m->syscalls_fd, nr, SYSCALL_FIELDS, NULL,
					     (uint64_t *)&s->sys[nr]);

			if (err) {
				report_error("cannot read observe_syscalls: %s", strerror(-err));
				return -1;
			}
		}
		if (read_pid_rows(m->by_pid_fd, sizeof(struct proc_row),
				  offsetof(struct proc_row, v), (void **)&s->procs, &s->nr_procs))
			return -1;
	}
	if (m->faults_fd >= 0 &&
	    read_pid_rows(m->faults_fd, sizeof(struct fault_row), offsetof(struct fault_row, v),
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

static int snapshot_copy(struct snapshot *dst, const struct snapshot *src)
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
	memcpy(procs, src->procs, src->nr_procs * sizeof(*procs));
	memcpy(faults, src->faults, src->nr_faults * sizeof(*faults));
	dst->nr_procs = src->nr_procs;
	dst->nr_faults = src->nr_faults;
	return 0;
}

/* Rows of both per-pid tables begin with the pid. */
static int by_pid(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* cur -= prev: what happened in the interval. prev's per-pid rows are
 * sorted by pid, so that each of cur's finds its twin in log time. */
static void snapshot_subtract(struct snapshot *cur, struct snapshot *prev)
{
	for (unsigned nr = 0; nr < OBSERVE_SYSCALL_NR_MAX; nr++) {
		cur->sys[nr].count -= prev->sys[nr].count;
		cur->sys[nr].errors -= prev->sys[nr].errors;
		hist_subtract(&cur->sys[nr].latency_ns, &prev->sys[nr].latency_ns);
	}
	qsort(prev->procs, prev->nr_procs, sizeof(*prev->procs), by_pid);
	for (size_t i = 0; i < cur->nr_procs; i++) {
		const struct proc_row *was = bsearch(&cur->procs[i], prev->procs, prev->nr_procs,
						     sizeof(*prev->procs), by_pid);

		/* The same pid with fewer calls is a new process. */
		if (was && was->v.count <= cur->procs[i].v.count) {
			cur->procs[i].v.count -= was->v.count;
			cur->procs[i].v.errors -= was->v.errors;
			cur->procs[i].v.total_ns -= was->v.total_ns;
		}
	}
	qsort(prev->faults, prev->nr_faults, sizeof(*prev->faults), by_pid);
	for (size_t i = 0; i < cur->nr_faults; i++) {
		const struct fault_row *was = bsearch(&cur->faults[i], prev->faults, prev->nr_faults,
						      sizeof(*prev->faults), by_pid);

		if (was && was->v.faults <= cur->faults[i].v.faults)
			cur->faults[i].v.faults -= was->v.faults;
	}
	subtract_hist_rows(&cur->block, &prev->block, true);
	subtract_hist_rows(&cur->runq, &prev->runq, false);
}

static const struct snapshot *sort_base;

static int by_count_desc(const void *a, const void *b)
{
	__u64 x = sort_base->sys[*(const unsigned *)a].count;
	__u64 y = sort_base->sys[*(const unsigned *)b].count;

	return x < y ? 1 : x > y ? -1 : 0;
}

static int by_time_desc(const void *a, const void *b)
{
	__u64 x = sort_base->sys[*(const unsigned *)a].latency_ns.sum;
	__u64 y = sort_base->sys[*(const unsigned *)b].latency_ns.sum;

	return x < y ? 1 : x > y ? -1 : 0;
}

static int procs_by_count_desc(const void *a, const void *b)
{
	__u64 x = ((const struct proc_row *)a)->v.count, y = ((const struct proc_row *)b)->v.count;

	return x < y ? 1 : x > y ? -1 : 0;
}

static int faults_desc(const void *a, const void *b)
{
	__u64 x = ((const struct fault_row *)a)->v.faults, y = ((const struct fault_row *)b)->v.faults;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* Syscall numbers with calls, sorted by 'cmp'; returns how many. */
static unsigned ranked(const struct snapshot *s, unsigned *order,
		       int (*cmp)(const void *, const void *))
{
	unsigned n = 0;

	for (unsigned nr = 0; nr < OBSERVE_SYSCALL_NR_MAX; nr++)
		if (s->sys[nr].count)
			order[n++] = nr;
	sort_base = s;
	qsort(order, n, sizeof(*order), cmp);
	return n;
}

static const char *name_of(unsigned nr, char *buf, size_t len)
{
	const char *name = syscall_name(nr);

	if (name)
		return name;
	snprintf(buf, len, "syscall_%u", nr);
	return buf;
}

/* The syscalls whose histograms are shown: -s, or the most time. */
static unsigned histogram_choice(const struct options *o, const struct snapshot *s,
				 unsigned *chosen)
{
	unsigned order[OBSERVE_SYSCALL_NR_MAX], n;

	if (o->nr_chosen) {
		for (unsigned i = 0; i < o->nr_chosen; i++)
			chosen[i] = o->chosen[i];
		return o->nr_chosen;
	}
	n = ranked(s, order, by_time_desc);
	n = n < DEFAULT_HISTS ? n : DEFAULT_HISTS;
	memcpy(chosen, order, n * sizeof(*order));
	return n;
}

static void print_faults_text(const struct options *o, struct snapshot *s)
{
	unsigned long long total = 0;

	for (size_t i = 0; i < s->nr_faults; i++)
		total += s->faults[i].v.faults;
	qsort(s->faults, s->nr_faults, sizeof(*s->faults), faults_desc);
	printf("page faults (user): %llu in %zu processes (top %u)\n", total, s->nr_faults, o->top);
	printf("  %-8s %-16s %12s\n", "PID", "COMM", "FAULTS");
	for (size_t i = 0; i < s->nr_faults && i < o->top && s->faults[i].v.faults; i++)
		printf("  %-8u %-16.16s %12llu\n", s->faults[i].pid, s->faults[i].v.comm,
		       (unsigned long long)s->faults[i].v.faults);
}

/* "vda" for the disk whose dev_t (major << 20 | minor) is 'dev'. */
static const char *disk_name(__u64 dev, char *buf, size_t len)
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

static void print_block_text(const struct snapshot *s)
{
	char name[64];

	printf("block I/O latency (issue to completion, ns): %zu disks\n", s->block.n);
	for (size_t i = 0; i < s->block.n; i++) {
		const struct observe_block_stats *b = &s->block.rows[i].block;

		printf("\n%s: %llu requests, %llu bytes, %llu errors, average %llu ns\n",
		       disk_name(s->block.rows[i].key, name, sizeof(name)),
		       (unsigned long long)b->latency_ns.count, (unsigned long long)b->bytes,
		       (unsigned long long)b->errors,
		       (unsigned long long)(b->latency_ns.count ? b->latency_ns.sum / b->latency_ns.count : 0));
		hist_print(stdout, &b->latency_ns);
	}
}

static int by_key(const void *a, const void *b)
{
	__u64 x = ((const struct hist_row *)a)->key, y = ((const struct hist_row *)b)->key;

	return x < y ? -1 : x > y;
}

static void print_runq_text(const struct options *o, struct snapshot *s)
{
	unsigned shown = 0;

	qsort(s->runq.rows, s->runq.n, sizeof(*s->runq.rows), by_key);	/* the machine's first */
	for (size_t i = 0; i < s->runq.n; i++) {
		const struct observe_hist *h = &s->runq.rows[i].runq.latency_ns;

		if (s->runq.rows[i].key) {
			if (shown++ >= o->top)
				continue;
			printf("\nrun-queue latency of cgroup %llu (ns): %llu waits, average %llu ns\n",
			       (unsigned long long)s->runq.rows[i].key, (unsigned long long)h->count,
			       (unsigned long long)(h->count ? h->sum / h->count : 0));
		} else {
			printf("run-queue latency (ns): %llu waits, average %llu ns\n",
			       (unsigned long long)h->count,
			       (unsigned long long)(h->count ? h->sum / h->count : 0));
		}
		hist_print(stdout, h);
	}
}

static void hist_rows_json(struct json_writer *w, const struct snapshot *s, bool block)
{
	const struct hist_rows *rows = block ? &s->block : &s->runq;
	char name[64];

	json_key(w, block ? "block" : "runq");
	json_array_begin(w);
	for (size_t i = 0; i < rows->n; i++) {
		const struct hist_row *r = &rows->rows[i];

		json_object_begin(w);
		if (block) {
			json_kv_cstr(w, "disk", disk_name(r->key, name, sizeof(name)));
			json_kv_u64(w, "major", r->key >> 20);
			json_kv_u64(w, "minor", r->key & 0xfffff);
			json_kv_u64(w, "bytes", r->block.bytes);
			json_kv_u64(w, "errors", r->block.errors);
			json_key(w, "latency_ns");
			hist_json(w, &r->block.latency_ns);
		} else {
			json_kv_u64(w, "cgroup_id", r->key);	/* 0: every task */
			json_key(w, "latency_ns");
			hist_json(w, &r->runq.latency_ns);
		}
		json_object_end(w);
	}
	json_array_end(w);
}

static void print_syscalls_text(const struct options *o, struct snapshot *s)
{
	unsigned order[OBSERVE_SYSCALL_NR_MAX], chosen[MAX_CHOSEN], n, nh;
	unsigned long long calls = 0, errors = 0;
	char buf[32];

	for (unsigned nr = 0; nr < OBSERVE_SYSCALL_NR_MAX; nr++) {
		calls += s->sys[nr].count;
		errors += s->sys[nr].errors;
	}
	n = ranked(s, order, by_count_desc);
	printf("syscalls: %llu calls, %llu errors, %u different (top %u by count)\n",
	       calls, errors, n, o->top);
	printf("  %-22s %12s %10s %12s %12s\n", "SYSCALL", "COUNT", "ERRORS", "AVG_NS", "TOTAL_MS");
	for (unsigned i = 0; i < n && i < o->top; i++) {
		const struct observe_syscall_stats *st = &s->sys[order[i]];

		printf("  %-22s %12llu %10llu %12llu %12.3f\n", name_of(order[i], buf, sizeof(buf)),
		       (unsigned long long)st->count, (unsigned long long)st->errors,
		       (unsigned long long)(st->count ? st->latency_ns.sum / st->count : 0),
		       st->latency_ns.sum / 1e6);
	}

	qsort(s->procs, s->nr_procs, sizeof(*s->procs), procs_by_count_desc);
	printf("\nprocesses: %zu (top %u by syscalls)\n", s->nr_procs, o->top);
	printf("  %-8s %-16s %12s %10s %12s\n", "PID", "COMM", "COUNT", "ERRORS", "TOTAL_MS");
	for (size_t i = 0; i < s->nr_procs && i < o->top; i++) {
		const struct proc_row *p = &s->procs[i];

		if (!p->v.count)
			break;
		printf("  %-8u %-16.16s %12llu %10llu %12.3f\n", p->pid, p->v.comm,
		       (unsigned long long)p->v.count, (unsigned long long)p->v.errors,
		       p->v.total_ns / 1e6);
	}

	nh = histogram_choice(o, s, chosen);
	for (unsigned i = 0; i < nh; i++) {
		const struct observe_hist *h = &s->sys[chosen[i]].latency_ns;

		printf("\nlatency of %s (ns): %llu calls, average %llu ns\n",
		       name_of(chosen[i], buf, sizeof(buf)), (unsigned long long)h->count,
		       (unsigned long long)(h->count ? h->sum / h->count : 0));
		hist_print(stdout, h);
	}
}

static void print_faults_json(const struct options *o, struct snapshot *s, struct json_writer *w)
{
	qsort(s->faults, s->nr_faults, sizeof(*s->faults), faults_desc);
	json_key(w, "faults");
	json_array_begin(w);
	for (size_t i = 0; i < s->nr_faults && i < o->top && s->faults[i].v.faults; i++) {
		json_object_begin(w);
		json_kv_u64(w, "pid", s->faults[i].pid);
		json_kv_str(w, "comm", s->faults[i].v.comm,
			    strnlen(s->faults[i].v.comm, sizeof(s->faults[i].v.comm)));
		json_kv_u64(w, "faults", s->faults[i].v.faults);
		json_object_end(w);
	}
	json_array_end(w);
}

static void print_syscalls_json(const struct options *o, struct snapshot *s, struct json_writer *w)
{
	unsigned order[OBSERVE_SYSCALL_NR_MAX], n = ranked(s, order, by_count_desc);
	char buf[32];

	json_key(w, "syscalls");
	json_array_begin(w);
	for (unsigned i = 0; i < n; i++) {
		const struct observe_syscall_stats *st = &s->sys[order[i]];

		json_object_begin(w);
		json_kv_cstr(w, "name", name_of(order[i], buf, sizeof(buf)));
		json_kv_u64(w, "nr", order[i]);
		json_kv_u64(w, "count", st->count);
		json_kv_u64(w, "errors", st->errors);
		json_key(w, "latency_ns");
		hist_json(w, &st->latency_ns);
		json_object_end(w);
	}
	json_array_end(w);
	qsort(s->procs, s->nr_procs, sizeof(*s->procs), procs_by_count_desc);
	json_key(w, "processes");
	json_array_begin(w);
	for (size_t i = 0; i < s->nr_procs && i < o->top; i++) {
		const struct proc_row *p = &s->procs[i];

		if (!p->v.count)
			break;
		json_object_begin(w);
		json_kv_u64(w, "pid", p->pid);
		json_kv_str(w, "comm", p->v.comm, strnlen(p->v.comm, sizeof(p->v.comm)));
		json_kv_u64(w, "count", p->v.count);
		json_kv_u64(w, "errors", p->v.errors);
		json_kv_u64(w, "total_ns", p->v.total_ns);
		json_object_end(w);
	}
	json_array_end(w);
}

static int parse_options(int argc, char **argv, struct options *o, const char **pin_dir)
{
	char err[PARSE_ERR_LEN];
	uint64_t v;
	int opt, nr;

	*o = (struct options){ .top = 10 };
	while ((opt = getopt_long(argc, argv, "n:s:i:c:jh", options, NULL)) != -1) {
		err[0] = 0;
		switch (opt) {
		case 'n':
			if (!parse_u64(optarg, 1, 100000, "top", &v, err))
				o->top = v;
			break;
		case 's':
			nr = syscall_by_name(optarg);
			if (nr < 0 || nr >= OBSERVE_SYSCALL_NR_MAX)
				snprintf(err, sizeof(err), "unknown syscall '%s'", optarg);
			else if (o->nr_chosen == MAX_CHOSEN)
				snprintf(err, sizeof(err), "at most %d syscalls with -s", MAX_CHOSEN);
			else
				o->chosen[o->nr_chosen++] = nr;
			break;
		case 'i':
			parse_seconds(optarg, &o->interval_ms, err);
			break;
		case 'c':
			if (!parse_u64(optarg, 1, UINT64_MAX, "count", &v, err))
				o->count = v;
			break;
		case 'j':
			o->json = true;
			break;
		case OPT_PIN_DIR:
			*pin_dir = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fprintf(stderr, "Try 'observe-hist --help'.\n");
			return -1;
		}
		if (err[0]) {
			report_error("%s", err);
			return -1;
		}
	}
	if (optind < argc) {
		report_error("unexpected argument '%s' (try --help)", argv[optind]);
		return -1;
	}
	if (o->count && !o->interval_ms) {
		report_error("--count goes with --interval");
		return -1;
	}
	return 0;
}

/* The map of each collector that is loaded; -1 for the others. */
static int open_maps(const char *dir, const struct observe_info *info, struct maps *m)
{
	static const struct {
		unsigned collector;
		const char *map;
		size_t offset;
	} wanted[] = {
		{ OBSERVE_COLLECTOR_SYSCALLS, "observe_syscalls", offsetof(struct maps, syscalls_fd) },
		{ OBSERVE_COLLECTOR_SYSCALLS, "observe_syscalls_by_pid", offsetof(struct maps, by_pid_fd) },
		{ OBSERVE_COLLECTOR_MEMORY, "observe_faults_by_pid", offsetof(struct maps, faults_fd) },
		{ OBSERVE_COLLECTOR_BLOCK, "observe_block", offsetof(struct maps, block_fd) },
		{ OBSERVE_COLLECTOR_CPU, "observe_runq", offsetof(struct maps, runq_fd) },
	};
	bool any = false;

	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		int *fd = (int *)((char *)m + wanted[i].offset);

		if (!(info->collectors & (1ULL << wanted[i].collector)))
			continue;
		*fd = pins_open_map(dir, wanted[i].map, PIN_READ);
		if (*fd < 0)
			return -1;
		any = true;
	}
	if (!any) {
		report_error("none of the collectors that count (syscalls, memory, block, cpu) is "
			     "loaded at %s (observe-load --collectors)", dir);
		return -1;
	}
	return 0;
}

/* Prints one snapshot (or the change since 'prev'); false on a write error. */
static bool print_one(const struct options *o, const struct maps *m, struct snapshot *s,
		      struct json_writer *w)
{
	if (o->json) {
		json_reset(w);
		json_object_begin(w);
		if (m->syscalls_fd >= 0)
			print_syscalls_json(o, s, w);
		if (m->faults_fd >= 0)
			print_faults_json(o, s, w);
		if (m->block_fd >= 0)
			hist_rows_json(w, s, true);
		if (m->runq_fd >= 0)
			hist_rows_json(w, s, false);
		json_object_end(w);
		printf("%.*s\n", (int)w->len, w->buf);
	} else {
		bool first = true;

		if (m->syscalls_fd >= 0) {
			print_syscalls_text(o, s);
			first = false;
		}
		if (m->faults_fd >= 0) {
			printf(first ? "" : "\n");
			print_faults_text(o, s);
			first = false;
		}
		if (m->block_fd >= 0) {
			printf(first ? "" : "\n");
			print_block_text(s);
			first = false;
		}
		if (m->runq_fd >= 0) {
			printf(first ? "" : "\n");
			print_runq_text(o, s);
		}
		if (o->interval_ms)
			printf("\n");
	}
	return !fflush(stdout) && !ferror(stdout);
}

int main(int argc, char **argv)
{
	struct snapshot *cur = NULL, *prev = NULL, *delta = NULL;
	const char *pin_dir = NULL, *dir;
	struct observe_info info;
	struct json_writer w;
	struct options o;
	struct maps m;
	int ret = 1;

	if (parse_options(argc, argv, &o, &pin_dir))
		return 2;
	dir = pins_dir(pin_dir);
	report_libbpf_setup(false);
	runloop_init();
	json_init(&w);
	m.syscalls_fd = m.by_pid_fd = m.faults_fd = m.block_fd = m.runq_fd = -1;
	if (pins_read_info(dir, &info) || open_maps(dir, &info, &m))
		goto out;
	cur = calloc(1, sizeof(*cur));
	prev = calloc(1, sizeof(*prev));
	delta = calloc(1, sizeof(*delta));
	if (!cur || !prev || !delta) {
		report_error("out of memory");
		goto out;
	}
	if (snapshot_read(&m, cur))
		goto out;
	if (!o.interval_ms) {
		ret = print_one(&o, &m, cur, &w) ? 0 : 1;
		goto out;
	}
	for (uint64_t n = 0; !o.count || n < o.count; n++) {
		struct snapshot *t = prev;

		prev = cur;
		cur = t;
		for (uint64_t until = runloop_now_ms() + o.interval_ms;
		     !runloop_stopping() && runloop_now_ms() < until;)
			usleep(20000);
		if (runloop_stopping())
			break;
		if (snapshot_read(&m, cur))
			goto out;
		/* The interval's changes are printed; the full values are kept. */
		if (snapshot_copy(delta, cur))
			goto out;
		snapshot_subtract(delta, prev);
		if (!print_one(&o, &m, delta, &w))
			goto out;
	}
	ret = 0;
out:
	json_free(&w);
	if (cur)
		snapshot_free(cur);
	if (prev)
		snapshot_free(prev);
	if (delta)
		snapshot_free(delta);
	free(cur);
	free(prev);
	free(delta);
	if (m.syscalls_fd >= 0)
		close(m.syscalls_fd);
	if (m.by_pid_fd >= 0)
		close(m.by_pid_fd);
	if (m.faults_fd >= 0)
		close(m.faults_fd);
	if (m.block_fd >= 0)
		close(m.block_fd);
	if (m.runq_fd >= 0)
		close(m.runq_fd);
	return ret;
}
