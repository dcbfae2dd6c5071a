// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * observe-hist: what the aggregating collectors count in their pinned maps,
 * as top-N tables and log2 histograms, once or as deltas per interval. It
 * reads pins only (no slot), so it runs beside any number of readers.
 */
#include "events.h"
#include "hist.h"
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

static const char usage[] =
"Usage: observe-hist [OPTION...]\n"
"Show what observe counts in the kernel: syscalls per syscall and per\n"
"process, with log2 latency histograms.\n"
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
"Counting is switched off and on with 'observe-filter disable syscalls'.\n"
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

/* One read of the maps. */
struct snapshot {
	struct observe_syscall_stats sys[OBSERVE_SYSCALL_NR_MAX];
	struct proc_row *procs;
	size_t nr_procs;
};

struct maps {
	int syscalls_fd, by_pid_fd;
};

static void snapshot_free(struct snapshot *s)
{
	free(s->procs);
	s->procs = NULL;
	s->nr_procs = 0;
}

static int snapshot_read(const struct maps *m, struct snapshot *s)
{
	__u32 key, next, *prev = NULL;
	size_t cap = 0;

	for (__u32 nr = 0; nr < OBSERVE_SYSCALL_NR_MAX; nr++) {
		int err = stats_read(m->syscalls_fd, nr, SYSCALL_FIELDS, NULL, (uint64_t *)&s->sys[nr]);

		if (err) {
			report_error("cannot read observe_syscalls: %s", strerror(-err));
			return -1;
		}
	}
	s->nr_procs = 0;
	while (!bpf_map_get_next_key(m->by_pid_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (s->nr_procs == cap) {
			struct proc_row *more;

			cap = cap ? cap * 2 : 256;
			more = realloc(s->procs, cap * sizeof(*more));
			if (!more) {
				report_error("out of memory");
				return -1;
			}
			s->procs = more;
		}
		/* A process may leave the LRU between the two calls: skip it. */
		if (bpf_map_lookup_elem(m->by_pid_fd, &key, &s->procs[s->nr_procs].v))
			continue;
		s->procs[s->nr_procs++].pid = key;
	}
	return 0;
}

static int snapshot_copy(struct snapshot *dst, const struct snapshot *src)
{
	struct proc_row *procs = realloc(dst->procs, (src->nr_procs + 1) * sizeof(*procs));

	if (!procs) {
		report_error("out of memory");
		return -1;
	}
	memcpy(dst->sys, src->sys, sizeof(dst->sys));
	memcpy(procs, src->procs, src->nr_procs * sizeof(*procs));
	dst->procs = procs;
	dst->nr_procs = src->nr_procs;
	return 0;
}

/* cur -= prev: what happened in the interval. */
static void snapshot_subtract(struct snapshot *cur, const struct snapshot *prev)
{
	for (unsigned nr = 0; nr < OBSERVE_SYSCALL_NR_MAX; nr++) {
		cur->sys[nr].count -= prev->sys[nr].count;
		cur->sys[nr].errors -= prev->sys[nr].errors;
		hist_subtract(&cur->sys[nr].latency_ns, &prev->sys[nr].latency_ns);
	}
	for (size_t i = 0; i < cur->nr_procs; i++) {
		for (size_t j = 0; j < prev->nr_procs; j++) {
			if (prev->procs[j].pid != cur->procs[i].pid)
				continue;
			/* The same pid with fewer calls is a new process. */
			if (prev->procs[j].v.count <= cur->procs[i].v.count) {
				cur->procs[i].v.count -= prev->procs[j].v.count;
				cur->procs[i].v.errors -= prev->procs[j].v.errors;
				cur->procs[i].v.total_ns -= prev->procs[j].v.total_ns;
			}
			break;
		}
	}
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

static void print_text(const struct options *o, struct snapshot *s)
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

static void print_json(const struct options *o, struct snapshot *s, struct json_writer *w)
{
	unsigned order[OBSERVE_SYSCALL_NR_MAX], n = ranked(s, order, by_count_desc);
	char buf[32];

	json_object_begin(w);
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
	json_object_end(w);
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

static int open_maps(const char *dir, const struct observe_info *info, struct maps *m)
{
	if (!(info->collectors & (1ULL << OBSERVE_COLLECTOR_SYSCALLS))) {
		report_error("the syscalls collector is not loaded at %s (observe-load --collectors)",
			     dir);
		return -1;
	}
	m->syscalls_fd = pins_open_map(dir, "observe_syscalls", PIN_READ);
	if (m->syscalls_fd < 0)
		return -1;
	m->by_pid_fd = pins_open_map(dir, "observe_syscalls_by_pid", PIN_READ);
	if (m->by_pid_fd < 0) {
		close(m->syscalls_fd);
		return -1;
	}
	return 0;
}

/* Prints one snapshot (or the change since 'prev'); false on a write error. */
static bool print_one(const struct options *o, struct snapshot *s, struct json_writer *w)
{
	if (o->json) {
		json_reset(w);
		print_json(o, s, w);
		printf("%.*s\n", (int)w->len, w->buf);
	} else {
		print_text(o, s);
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
	if (pins_read_info(dir, &info) || open_maps(dir, &info, &m))
		return 1;
	cur = calloc(1, sizeof(*cur));
	prev = calloc(1, sizeof(*prev));
	delta = calloc(1, sizeof(*delta));
	json_init(&w);
	if (!cur || !prev || !delta) {
		report_error("out of memory");
		goto out;
	}
	if (snapshot_read(&m, cur))
		goto out;
	if (!o.interval_ms) {
		ret = print_one(&o, cur, &w) ? 0 : 1;
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
		if (!print_one(&o, delta, &w))
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
	close(m.syscalls_fd);
	close(m.by_pid_fd);
	return ret;
}
