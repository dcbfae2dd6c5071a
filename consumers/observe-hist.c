// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * observe-hist: what the aggregating collectors count in their pinned maps,
 * as top-N tables and log2 histograms, once or as deltas per interval. It
 * reads pins only (no slot), so it runs beside any number of readers.
 */
#include "cgroup_names.h"
#include "container.h"
#include "events.h"
#include "snapshot.h"
#include "block.h"
#include "cpu.h"
#include "hist.h"
#include "identity.h"
#include "memory.h"
#include "json.h"
#include "parse.h"
#include "pins.h"
#include "report.h"
#include "runloop.h"
#include "stats.h"
#include "syscall_names.h"
#include "syscalls.h"
#include "decode.h"
#include "details.h"
#include "version.h"

#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
"  -N, --top=N            rows per table (default 10)\n"
"  -s, --syscall=NAME     the latency histogram of this syscall (repeatable;\n"
"                         default: the 3 syscalls with the most time)\n"
"      --by-process       the syscalls of each process\n"
"  -i, --interval=SECS    print what changed every SECS seconds until stopped\n"
"      --count=N          with --interval: stop after N intervals\n"
"  -j, --json             JSON instead of tables and bars\n"
"      --pin-dir=DIR      where observe is pinned (default " OBSERVE_PIN_DIR_DEFAULT ")\n"
"  -h, --help             show this help\n"
"      --version          show the version\n"
"\n"
"Counting is switched off and on with 'observe-filter disable syscalls' (or\n"
"faults, block, runq). Syscalls are counted by default; the costly parts\n"
"are filled only while switched on, for good ('observe-filter enable\n"
"DETAIL') or while a consumer that shows them runs: with --interval,\n"
"observe-hist holds page-faults, runq-latency and block-latency on, and\n"
"syscall-latency (latency histograms, per-process table) with -s or\n"
"--by-process; so does observe-exporter. The output says whether each was\n"
"on, and since when.\n"
"\n"
"Examples:\n"
"  observe-hist\n"
"  observe-hist -s read -s write -i 1\n"
"  observe-hist --by-process -i 5 --count 1\n"
"  observe-hist --json | jq '.syscalls[0]'\n";

enum { OPT_PIN_DIR = 256, OPT_COUNT, OPT_BY_PROCESS };

static const struct option options[] = {
	{ "top", required_argument, NULL, 'N' },
	{ "syscall", required_argument, NULL, 's' },
	{ "by-process", no_argument, NULL, OPT_BY_PROCESS },
	{ "interval", required_argument, NULL, 'i' },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "json", no_argument, NULL, 'j' },
	{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
	{ "help", no_argument, NULL, 'h' },
	{},
};

#define MAX_CHOSEN 16
#define DEFAULT_HISTS 3

struct options {
	unsigned top;
	int chosen[MAX_CHOSEN];	/* syscall numbers given with -s */
	unsigned nr_chosen;
	uint64_t interval_ms;
	uint64_t count;		/* intervals; 0: until stopped */
	bool json;
	bool by_process;
};

static const struct snapshot *sort_base;

/* For the process keys of the per-process rows; boot[0] 0: no keys. */
static struct identity identity;

/* A process's key as its events carry it ("boot-pid-start"), or "-". */
static const char *process_key(__u32 pid, __u64 start_ns, char *buf, size_t len)
{
	if (!identity.boot[0])
		return "-";
	identity_process_key(&identity, pid, start_ns, buf, len);
	return buf;
}

/* The members that name a row's process: pid, start_ns, key, comm. */
static void process_json(struct json_writer *w, __u32 pid, __u64 start_ns,
			 const char comm[OBSERVE_COMM_LEN])
{
	char key[IDENTITY_KEY_LEN];

	json_kv_u64(w, "pid", pid);
	json_kv_u64(w, "start_ns", start_ns);
	if (identity.boot[0])
		json_kv_cstr(w, "key", process_key(pid, start_ns, key, sizeof(key)));
	json_kv_str(w, "comm", comm, strnlen(comm, OBSERVE_COMM_LEN));
}

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

/* Whether a detail was on at the read, and since when: a table or
 * histogram holds what happened while it was. */
static void print_detail(const struct snapshot *s, unsigned d, const char *label, const char *how)
{
	char state[96];

	details_describe(&s->details, d, state, sizeof(state));
	if ((s->details.on | s->details.left_out) & (1u << d))
		printf("%s: %s\n", label, state);
	else
		printf("%s: off (observe-filter enable %s; or %s)\n", label, observe_details[d].name,
		       how);
}

/* The details of the maps this snapshot read. */
static uint32_t details_shown(const struct snapshot_maps *m)
{
	return (m->syscalls_fd >= 0 ? 1u << OBSERVE_DETAIL_SYSCALL_LATENCY : 0) |
	       (m->faults_fd >= 0 ? 1u << OBSERVE_DETAIL_PAGE_FAULTS : 0) |
	       (m->runq_fd >= 0 ? 1u << OBSERVE_DETAIL_RUNQ_LATENCY : 0) |
	       (m->block_fd >= 0 ? 1u << OBSERVE_DETAIL_BLOCK_LATENCY : 0);
}

static void print_faults_text(const struct options *o, struct snapshot *s)
{
	unsigned long long total = 0;
	char key[IDENTITY_KEY_LEN];

	for (size_t i = 0; i < s->nr_faults; i++)
		total += s->faults[i].v.faults;
	qsort(s->faults, s->nr_faults, sizeof(*s->faults), faults_desc);
	printf("page faults (user): %llu in %zu processes (top %u)\n", total, s->nr_faults, o->top);
	print_detail(s, OBSERVE_DETAIL_PAGE_FAULTS, "counted", "-i SECS");
	printf("  %-8s %-16s %12s  %s\n", "PID", "COMM", "FAULTS", "KEY");
	for (size_t i = 0; i < s->nr_faults && i < o->top && s->faults[i].v.faults; i++) {
		const struct fault_row *f = &s->faults[i];

		printf("  %-8u %-16.16s %12llu  %s\n", f->pid, f->v.comm,
		       (unsigned long long)f->v.faults,
		       process_key(f->pid, f->v.start_ns, key, sizeof(key)));
	}
}


static void print_block_text(const struct snapshot *s)
{
	char name[64];

	printf("block I/O latency (issue to completion, ns): %zu disks\n", s->block.n);
	print_detail(s, OBSERVE_DETAIL_BLOCK_LATENCY, "counted", "-i SECS");
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

	print_detail(s, OBSERVE_DETAIL_RUNQ_LATENCY, "run-queue latency", "-i SECS");
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

/* The cgroup's path and the container it names, when it still exists. */
static void cgroup_json(struct json_writer *w, uint64_t id)
{
	static struct cgroup_names *names;
	struct container c;
	const char *path;

	if (!names)
		names = cgroup_names_new(NULL);
	path = names ? cgroup_names_path(names, id) : NULL;
	if (!path)
		return;
	json_kv_cstr(w, "cgroup", path);
	if (container_from_cgroup(path, &c)) {
		json_kv_cstr(w, "container", c.id);
		json_kv_cstr(w, "container_runtime", c.runtime);
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
			if (r->key)
				cgroup_json(w, r->key);
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
	char buf[32], key[IDENTITY_KEY_LEN];

	for (unsigned nr = 0; nr < OBSERVE_SYSCALL_NR_MAX; nr++) {
		calls += s->sys[nr].count;
		errors += s->sys[nr].errors;
	}
	n = ranked(s, order, by_count_desc);
	printf("syscalls: %llu calls, %llu errors, %u different (top %u by count)\n",
	       calls, errors, n, o->top);
	print_detail(s, OBSERVE_DETAIL_SYSCALL_LATENCY, "latency and processes",
		     "-i SECS with -s or --by-process");
	printf("  %-22s %12s %10s %12s %12s\n", "SYSCALL", "COUNT", "ERRORS", "AVG_NS", "TOTAL_MS");
	for (unsigned i = 0; i < n && i < o->top; i++) {
		const struct observe_syscall_stats *st = &s->sys[order[i]];

		printf("  %-22s %12llu %10llu %12llu %12.3f\n", name_of(order[i], buf, sizeof(buf)),
		       (unsigned long long)st->count, (unsigned long long)st->errors,
		       (unsigned long long)(st->latency_ns.count ?
					    st->latency_ns.sum / st->latency_ns.count : 0),
		       st->latency_ns.sum / 1e6);
	}

	qsort(s->procs, s->nr_procs, sizeof(*s->procs), procs_by_count_desc);
	printf("\nprocesses: %zu (top %u by syscalls)\n", s->nr_procs, o->top);
	printf("  %-8s %-16s %12s %10s %12s  %s\n", "PID", "COMM", "COUNT", "ERRORS", "TOTAL_MS",
	       "KEY");
	for (size_t i = 0; i < s->nr_procs && i < o->top; i++) {
		const struct proc_row *p = &s->procs[i];

		if (!p->v.count)
			break;
		printf("  %-8u %-16.16s %12llu %10llu %12.3f  %s\n", p->pid, p->v.comm,
		       (unsigned long long)p->v.count, (unsigned long long)p->v.errors,
		       p->v.total_ns / 1e6, process_key(p->pid, p->v.start_ns, key, sizeof(key)));
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
		process_json(w, s->faults[i].pid, s->faults[i].v.start_ns, s->faults[i].v.comm);
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
		process_json(w, p->pid, p->v.start_ns, p->v.comm);
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
	while ((opt = getopt_long(argc, argv, "N:n:s:i:c:jh", options, NULL)) != -1) {
		err[0] = 0;
		switch (opt) {
		case 'n':
			parse_warn_old_letter('n', "-N or --top");
			/* fall through */
		case 'N':
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
			parse_warn_old_letter('c', "--count");
			/* fall through */
		case OPT_COUNT:
			if (!parse_u64(optarg, 1, UINT64_MAX, "count", &v, err))
				o->count = v;
			break;
		case 'j':
			o->json = true;
			break;
		case OPT_BY_PROCESS:
			o->by_process = true;
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
	if (parse_no_operands(argc, argv))
		return -1;
	if (o->count && !o->interval_ms) {
		report_error("--count goes with --interval");
		return -1;
	}
	return 0;
}

/* Prints one snapshot (or the change since 'prev'); false on a write error. */
static bool print_one(const struct options *o, const struct snapshot_maps *m, struct snapshot *s,
		      struct json_writer *w)
{
	char now[48] = "";
	struct timespec ts;

	/* With --interval, each print says when it was taken and over how long. */
	if (o->interval_ms && !clock_gettime(CLOCK_REALTIME, &ts))
		format_iso8601(now, sizeof(now), (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
	if (o->json) {
		json_reset(w);
		json_object_begin(w);
		if (now[0]) {
			json_kv_cstr(w, "time", now);
			json_kv_u64(w, "interval_ms", o->interval_ms);
		}
		details_json(w, &s->details, details_shown(m));
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

		if (now[0])
			printf("--- %s, the last %.3g s ---\n", now, o->interval_ms / 1000.0);
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

/*
 * With --interval, across an unload or a reload that replaced the tables:
 * the maps held here then count nothing, so the intervals follow the ones
 * pinned now, counted anew. 0: the same maps; 1: this interval is not
 * printed (unloaded, or its read is the new maps' baseline); -1: failed.
 */
static int follow_reload(const char *dir, struct snapshot_maps *m, bool *waiting)
{
	struct observe_info info;

	if (snapshot_maps_current(dir, m))
		return 0;
	if (!pins_loaded(dir)) {
		if (!*waiting)
			report_warn("observe was unloaded from %s: waiting for it to be loaded again", dir);
		*waiting = true;
		return 1;
	}
	snapshot_close_maps(m);
	if (pins_read_info(dir, &info))
		return -1;
	switch (snapshot_open_maps(dir, &info, m)) {
	case -1:
		return -1;
	case 0:
		report_error("observe was loaded again at %s without the collectors that count", dir);
		return -1;
	}
	report_warn("observe was loaded again at %s: its counters are followed from here", dir);
	*waiting = false;
	return 1;
}

/* The details that the intervals show are filled while they run: the
 * page-fault table, run-queue and block I/O histograms (unless left out at
 * load), and syscall latency when asked for (-s, --by-process: refused if
 * left out). */
static int hold_details(const struct options *o, const struct snapshot_maps *m, const char *dir,
			struct detail_hold *holds)
{
	bool wanted[OBSERVE_DETAIL_COUNT] = {
		[OBSERVE_DETAIL_SYSCALL_LATENCY] = m->syscalls_fd >= 0 && (o->nr_chosen || o->by_process),
		[OBSERVE_DETAIL_PAGE_FAULTS] = m->faults_fd >= 0,
		[OBSERVE_DETAIL_RUNQ_LATENCY] = m->runq_fd >= 0,
		[OBSERVE_DETAIL_BLOCK_LATENCY] = m->block_fd >= 0,
	};

	for (unsigned d = 0; d < OBSERVE_DETAIL_COUNT; d++)
		if (d != OBSERVE_DETAIL_SYSCALL_LATENCY && (m->details_left_out & (1u << d)))
			wanted[d] = false;
	for (unsigned d = 0; d < OBSERVE_DETAIL_COUNT; d++)
		if (wanted[d] && details_hold(dir, d, &holds[d]))
			return -1;
	return 0;
}

int main(int argc, char **argv)
{
	exit_if_version_asked(argc, argv);
	struct snapshot *cur = NULL, *prev = NULL, *delta = NULL;
	const char *pin_dir = NULL, *dir;
	struct observe_info info;
	struct json_writer w;
	struct options o;
	struct detail_hold holds[OBSERVE_DETAIL_COUNT];
	struct snapshot_maps m;
	int ret = 1, opened, reloaded;
	bool waiting = false;

	if (parse_options(argc, argv, &o, &pin_dir))
		return 2;
	/* Without the boot id, rows have no keys; everything else stands. */
	if (identity_init(&identity))
		identity.boot[0] = 0;
	dir = pins_dir(pin_dir);
	report_libbpf_setup(false);
	runloop_init();
	json_init(&w);
	snapshot_maps_init(&m);
	for (unsigned d = 0; d < OBSERVE_DETAIL_COUNT; d++)
		holds[d] = (struct detail_hold)DETAIL_HOLD_NONE;
	if (pins_read_info(dir, &info))
		goto out;
	opened = snapshot_open_maps(dir, &info, &m);
	if (opened < 0)
		goto out;
	if (!opened) {
		report_error("none of the collectors that count (syscalls, memory, block, cpu) is "
			     "loaded at %s (observe-load --collectors)", dir);
		goto out;
	}
	cur = calloc(1, sizeof(*cur));
	prev = calloc(1, sizeof(*prev));
	delta = calloc(1, sizeof(*delta));
	if (!cur || !prev || !delta) {
		report_error("out of memory");
		goto out;
	}
	if (o.interval_ms && hold_details(&o, &m, dir, holds))
		goto out;
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
		reloaded = follow_reload(dir, &m, &waiting);
		/* A new load: its details, its lock directories. */
		if (reloaded > 0 && !waiting) {
			for (unsigned d = 0; d < OBSERVE_DETAIL_COUNT; d++)
				details_release(&holds[d]);
			if (hold_details(&o, &m, dir, holds))
				goto out;
		}
		if (reloaded < 0 || snapshot_read(&m, cur))
			goto out;
		if (reloaded)
			continue;
		/* The interval's changes are printed; the full values are kept. */
		if (snapshot_copy(delta, cur))
			goto out;
		snapshot_subtract(delta, prev);
		if (!print_one(&o, &m, delta, &w))
			goto out;
	}
	ret = 0;
out:
	for (unsigned d = 0; d < OBSERVE_DETAIL_COUNT; d++)
		details_release(&holds[d]);
	identity_free(&identity);
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
	snapshot_close_maps(&m);
	return ret;
}
