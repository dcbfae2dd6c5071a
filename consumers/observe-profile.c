// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * observe-profile: where CPU time goes, from the profile collector's
 * samples. It switches sampling on for its window, counts what the window
 * added to the pinned tables, names the frames and writes folded stacks
 * and an SVG flame graph.
 *
 * Several may run at once: each holds a shared flock() on the profilers
 * directory while it runs. One that finds no other (an exclusive lock)
 * clears the tables first, so that stacks of old windows do not fill
 * them; the last one out switches sampling off.
 */
#include "events.h"
#include "flamegraph.h"
#include "parse.h"
#include "pins.h"
#include "profile.h"
#include "report.h"
#include "runloop.h"
#include "stats.h"
#include "symbolize.h"
#include "version.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <bpf/bpf.h>

static const char usage[] =
"Usage: observe-profile [OPTION...]\n"
"Sample what runs on every CPU for a while and show where the time went, as\n"
"folded stacks (the input of flame-graph tools) and as an SVG flame graph.\n"
"\n"
"  -d, --duration=SECS    how long to sample (default 10); Ctrl-C ends early\n"
"  -p, --pid=PID          only this process\n"
"  -c, --comm=COMM        only threads with this command name\n"
"  -f, --folded=FILE      write the folded stacks to FILE ('-': standard output;\n"
"                         the default when no --svg is given)\n"
"  -o, --svg=FILE         write an SVG flame graph to FILE\n"
"      --title=TEXT       the flame graph's title\n"
"      --pin-dir=DIR      where observe is pinned (default " OBSERVE_PIN_DIR_DEFAULT ")\n"
"  -h, --help             show this help\n"
"      --version          show the version\n"
"\n"
"User frames are named from the symbol tables of the files a process maps,\n"
"read from /proc/PID/maps while it runs: a process of another user (without\n"
"root) or one that ends before it is read shows [unknown]. Kernel frames carry\n"
"_[k] and are named from /proc/kallsyms where it shows addresses to you, else\n"
"[kernel]. Stacks are walked with frame pointers: code built without them\n"
"shows its leaf frame only.\n"
"\n"
"Examples:\n"
"  observe-profile -d 30 -o cpu.svg\n"
"  observe-profile -p 1234 -d 5 -f - | sort -k2 -n | tail\n";

enum { OPT_PIN_DIR = 256, OPT_TITLE };

static const struct option options[] = {
	{ "duration", required_argument, NULL, 'd' },
	{ "pid", required_argument, NULL, 'p' },
	{ "comm", required_argument, NULL, 'c' },
	{ "folded", required_argument, NULL, 'f' },
	{ "svg", required_argument, NULL, 'o' },
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
	{ "help", no_argument, NULL, 'h' },
	{},
};

#define SCAN_MS 250		/* how often new processes have their maps read */
#define FRAME_LEN 256

struct options {
	uint64_t duration_ms;
	uint32_t pid;
	char comm[OBSERVE_COMM_LEN];
	bool by_comm;
	const char *folded, *svg, *title;
};

struct maps {
	int ctl, counts, stacks, stats, filter;
};

struct count_row {
	struct observe_profile_key key;
	__u64 count;
};

struct counts {
	struct count_row *rows;
	size_t n, cap;
};

static int by_key(const void *a, const void *b)
{
	return memcmp(&((const struct count_row *)a)->key, &((const struct count_row *)b)->key,
		      sizeof(struct observe_profile_key));
}

/* Every row of observe_profile_counts, sorted by key. */
static int read_counts(int fd, struct counts *c)
{
	struct observe_profile_key key, next, *prev = NULL;

	c->n = 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 1024;
			struct count_row *rows = realloc(c->rows, cap * sizeof(*rows));

			if (!rows)
				return report_error("out of memory"), -1;
			c->rows = rows;
			c->cap = cap;
		}
		if (bpf_map_lookup_elem(fd, &key, &c->rows[c->n].count))
			continue;	/* cleared by another profiler meanwhile */
		c->rows[c->n++].key = key;
	}
	qsort(c->rows, c->n, sizeof(*c->rows), by_key);
	return 0;
}

static bool wanted(const struct options *o, const struct observe_profile_key *k)
{
	if (o->pid && k->pid != o->pid)
		return false;
	return !o->by_comm || !strncmp(k->comm, o->comm, OBSERVE_COMM_LEN);
}

/* Removes every key of a map: the profiler's tables start empty. */
static void clear_map(int fd)
{
	char key[64];	/* the largest key of the tables cleared */

	while (!bpf_map_get_next_key(fd, NULL, key))
		if (bpf_map_delete_elem(fd, key))
			break;
}

static int set_sampling(const struct maps *m, __u32 on)
{
	struct observe_profile_ctl ctl = {};
	__u32 zero = 0;

	if (bpf_map_lookup_elem(m->ctl, &zero, &ctl))
		return -1;
	ctl.sampling = on;
	return bpf_map_update_elem(m->ctl, &zero, &ctl, BPF_ANY);
}

struct line {
	char *text;
	size_t len, cap;
	bool failed;
};

/* ";frame": ';' separates frames, so one inside a name becomes ':'. */
static void append_frame(struct line *l, const char *frame)
{
	size_t n = strlen(frame);

	if (l->len + n + 2 > l->cap) {
		size_t cap = (l->len + n + 2) * 2;
		char *grown = realloc(l->text, cap);

		if (!grown) {
			l->failed = true;
			return;
		}
		l->text = grown;
		l->cap = cap;
	}
	l->text[l->len++] = ';';
	for (size_t k = 0; k <= n; k++)
		l->text[l->len + k] = frame[k] == ';' ? ':' : frame[k];
	l->len += n;
}

/* Appends the frames of stack 'id' (leaf first in the map) root first. */
static void append_stack(struct symbolizer *sym, const struct maps *m,
			 const struct observe_profile_key *key, __s32 id, bool kernel, struct line *l)
{
	static __u64 ips[OBSERVE_PROFILE_DEPTH];
	char name[FRAME_LEN], frame[FRAME_LEN + 8];
	bool last_unnamed = false;
	int depth = 0;

	if (id == -EFAULT)
		return;		/* no stack of this kind: a kernel thread, or user mode */
	if (id < 0 || bpf_map_lookup_elem(m->stacks, &id, ips)) {
		append_frame(l, kernel ? "[lost stack]_[k]" : "[lost stack]");
		return;
	}
	while (depth < OBSERVE_PROFILE_DEPTH && ips[depth])
		depth++;
	for (int i = depth - 1; i >= 0; i--) {
		/* Above the leaf, each address is where a call returns to: its
		 * call may be a function's last instruction (a noreturn call),
		 * so the byte before it names the caller. */
		__u64 ip = i ? ips[i] - 1 : ips[i];

		if (kernel)
			symbolizer_kernel(sym, ip, name, sizeof(name));
		else
			symbolizer_user(sym, key->pid, key->comm, ip, name, sizeof(name));
		/* Unnamed kernel frames in a row are one [kernel] frame. */
		if (kernel && !strcmp(name, "[kernel]")) {
			if (last_unnamed)
				continue;
			last_unnamed = true;
		} else {
			last_unnamed = false;
		}
		snprintf(frame, sizeof(frame), "%s%s", name, kernel ? "_[k]" : "");
		append_frame(l, frame);
	}
}

/* What the window added: end minus start for each key, into the graph. */
static int build_graph(const struct options *o, const struct maps *m, struct symbolizer *sym,
		       const struct counts *start, const struct counts *end, struct flame *f,
		       size_t *processes, size_t *unreadable)
{
	struct line line = {};
	__u32 last_pid = 0, last_unreadable = 0;

	*processes = *unreadable = 0;
	for (size_t i = 0; i < end->n; i++) {
		const struct count_row *r = &end->rows[i];
		const struct count_row *was = bsearch(r, start->rows, start->n, sizeof(*r), by_key);
		__u64 n = r->count;
		char comm[OBSERVE_COMM_LEN + 1];

		if (was && was->count <= n)
			n -= was->count;
		if (!n || !wanted(o, &r->key))
			continue;
		if (r->key.pid != last_pid) {	/* rows are sorted by pid first */
			(*processes)++;
			last_pid = r->key.pid;
		}
		/* Kernel threads have no user stack, and no maps to miss. */
		if (r->key.user_stack >= 0 && !symbolizer_add_process(sym, r->key.pid, r->key.comm) &&
		    r->key.pid != last_unreadable) {
			(*unreadable)++;
			last_unreadable = r->key.pid;
		}
		memcpy(comm, r->key.comm, OBSERVE_COMM_LEN);
		comm[OBSERVE_COMM_LEN] = 0;
		/* ';' and ' ' separate a folded line's frames and count. */
		for (char *c = comm; *c; c++)
			if (*c == ';' || *c == ' ' || (unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '_';
		line.len = 0;
		append_frame(&line, comm[0] ? comm : "[unnamed]");
		append_stack(sym, m, &r->key, r->key.user_stack, false, &line);
		append_stack(sym, m, &r->key, r->key.kernel_stack, true, &line);
		/* Past the leading ';'. */
		if (line.failed || flame_add(f, line.text + 1, n)) {
			free(line.text);
			return report_error("out of memory"), -1;
		}
	}
	free(line.text);
	return 0;
}

static FILE *open_output(const char *path)
{
	FILE *f;

	if (!strcmp(path, "-"))
		return stdout;
	f = fopen(path, "we");
	if (!f)
		report_error("cannot write %s: %s", path, strerror(errno));
	return f;
}

static int write_outputs(const struct options *o, const struct flame *f)
{
	FILE *out;
	int err = 0;

	if (o->folded) {
		out = open_output(o->folded);
		if (!out)
			return -1;
		err |= flame_write_folded(f, out);
		err |= out == stdout ? fflush(out) : fclose(out);
		if (err)
			return report_error("cannot write the folded stacks to %s", o->folded), -1;
	}
	if (o->svg) {
		out = open_output(o->svg);
		if (!out)
			return -1;
		err |= flame_write_svg(f, out, o->title);
		err |= out == stdout ? fflush(out) : fclose(out);
		if (err)
			return report_error("cannot write the flame graph to %s", o->svg), -1;
	}
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o, const char **pin_dir)
{
	char err[PARSE_ERR_LEN];
	int opt;

	*o = (struct options){ .duration_ms = 10000, .title = "CPU flame graph (observe-profile)" };
	while ((opt = getopt_long(argc, argv, "d:p:c:f:o:h", options, NULL)) != -1) {
		err[0] = 0;
		switch (opt) {
		case 'd':
			parse_seconds(optarg, &o->duration_ms, err);
			break;
		case 'p':
			parse_pid(optarg, &o->pid, err);
			break;
		case 'c':
			if (!parse_comm(optarg, o->comm, err))
				o->by_comm = true;
			break;
		case 'f':
			o->folded = optarg;
			break;
		case 'o':
			o->svg = optarg;
			break;
		case OPT_TITLE:
			o->title = optarg;
			break;
		case OPT_PIN_DIR:
			*pin_dir = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fprintf(stderr, "Try 'observe-profile --help'.\n");
			return -1;
		}
		if (err[0]) {
			report_error("%s", err);
			return -1;
		}
	}
	if (parse_no_operands(argc, argv))
		return -1;
	if (!o->folded && !o->svg)
		o->folded = "-";
	if (o->folded && o->svg && !strcmp(o->folded, "-") && !strcmp(o->svg, "-")) {
		report_error("--folded and --svg cannot both go to standard output");
		return -1;
	}
	return 0;
}

static int open_maps(const char *dir, struct maps *m)
{
	m->ctl = pins_open_map(dir, "observe_profile_ctl", PIN_WRITE);
	m->counts = m->ctl < 0 ? -1 : pins_open_map(dir, "observe_profile_counts", PIN_WRITE);
	m->stacks = m->counts < 0 ? -1 : pins_open_map(dir, "observe_profile_stacks", PIN_WRITE);
	m->stats = m->stacks < 0 ? -1 : pins_open_map(dir, "observe_profile_stats", PIN_READ);
	m->filter = m->stats < 0 ? -1 : pins_open_map(dir, "observe_filter", PIN_READ);
	return m->filter < 0 ? -1 : 0;
}

static void close_maps(struct maps *m)
{
	int *fds[] = { &m->ctl, &m->counts, &m->stacks, &m->stats, &m->filter };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
}

/* Reads the maps of processes that appeared, while they still live. */
static void read_new_processes(const struct options *o, const struct maps *m,
			       struct symbolizer *sym, struct counts *scratch)
{
	const struct observe_profile_key *last = NULL;

	if (read_counts(m->counts, scratch))
		return;
	for (size_t i = 0; i < scratch->n; i++) {
		const struct observe_profile_key *k = &scratch->rows[i].key;

		if (k->user_stack < 0 || !wanted(o, k) ||
		    (last && last->pid == k->pid && !strncmp(last->comm, k->comm, OBSERVE_COMM_LEN)))
			continue;
		last = k;
		symbolizer_add_process(sym, k->pid, k->comm);	/* read once per image */
	}
}

int main(int argc, char **argv)
{
	exit_if_version_asked(argc, argv);
	struct maps m = { -1, -1, -1, -1, -1 };
	struct counts start = {}, end = {}, scratch = {};
	struct observe_profile_stats st0 = {}, st1 = {};
	struct observe_profile_ctl ctl = {};
	const char *pin_dir = NULL, *dir;
	struct symbolizer *sym = NULL;
	struct observe_filter filter = {};
	struct observe_info info;
	struct flame *graph = NULL;
	size_t processes = 0, unreadable = 0;
	uint64_t started, now, until;
	char lock_path[4096];
	int lock = -1, ret = 1;
	struct options o;
	__u32 zero = 0;
	bool alone;

	if (parse_options(argc, argv, &o, &pin_dir))
		return 2;
	dir = pins_dir(pin_dir);
	report_libbpf_setup(false);
	runloop_init();
	if (pins_read_info(dir, &info))
		return 1;
	if (!(info.collectors & (1ULL << OBSERVE_COLLECTOR_PROFILE))) {
		report_error("the profile collector is not loaded at %s (observe-load --collectors=...,profile)",
			     dir);
		return 1;
	}
	if (open_maps(dir, &m))
		goto out;
	bpf_map_lookup_elem(m.filter, &zero, &filter);
	if (filter.types_off & (1ULL << OBSERVE_AGG_PROFILE)) {
		report_error("profiling is switched off: observe-filter enable profile");
		goto out;
	}
	sym = symbolizer_new();
	graph = flame_new();
	if (!sym || !graph || !pins_path(lock_path, sizeof(lock_path), dir, OBSERVE_PROFILE_LOCK_DIR))
		goto out;
	lock = open(lock_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock < 0) {
		pins_explain_error(dir, lock_path, errno);
		goto out;
	}

	alone = flock(lock, LOCK_EX | LOCK_NB) == 0;
	if (alone) {
		clear_map(m.counts);
		clear_map(m.stacks);
	}
	/* Shared from now on; a profiler that held it exclusively lets others
	 * in. Sampling goes on only under the shared lock: a last profiler
	 * switching it off holds the lock exclusively until it has. */
	if (flock(lock, LOCK_SH)) {
		report_error("cannot lock %s: %s", lock_path, strerror(errno));
		goto out;
	}
	if (set_sampling(&m, 1)) {
		report_error("cannot switch sampling on: %s", strerror(errno));
		goto release;
	}
	bpf_map_lookup_elem(m.ctl, &zero, &ctl);
	if (read_counts(m.counts, &start) ||
	    stats_read(m.stats, 0, sizeof(st0) / sizeof(__u64), NULL, (uint64_t *)&st0))
		goto release;
	started = runloop_now_ms();
	until = started + o.duration_ms;
	for (now = started; now < until && !runloop_stopping(); now = runloop_now_ms()) {
		usleep((until - now < SCAN_MS ? until - now : SCAN_MS) * 1000);
		read_new_processes(&o, &m, sym, &scratch);
	}
	if (read_counts(m.counts, &end) ||
	    stats_read(m.stats, 0, sizeof(st1) / sizeof(__u64), NULL, (uint64_t *)&st1))
		goto release;
	ret = 0;
release:
	/* The last profiler out (no shared lock left but ours) stops sampling. */
	if (flock(lock, LOCK_EX | LOCK_NB) == 0 && set_sampling(&m, 0))
		report_warn("cannot switch sampling off: %s", strerror(errno));
	close(lock);
	lock = -1;
	if (ret)
		goto out;
	ret = 1;
	if (build_graph(&o, &m, sym, &start, &end, graph, &processes, &unreadable) ||
	    write_outputs(&o, graph))
		goto out;
	fprintf(stderr, "observe-profile: %llu samples in %.1f s at %u Hz per CPU, %zu processes",
		(unsigned long long)flame_total(graph), (runloop_now_ms() - started) / 1000.0, ctl.hz,
		processes);
	fprintf(stderr, "; %llu idle samples left out",
		(unsigned long long)(st1.idle - st0.idle));
	if (st1.lost_user_stacks - st0.lost_user_stacks + st1.lost_kernel_stacks - st0.lost_kernel_stacks)
		fprintf(stderr, "; stacks lost (table full or collided): %llu user, %llu kernel",
			(unsigned long long)(st1.lost_user_stacks - st0.lost_user_stacks),
			(unsigned long long)(st1.lost_kernel_stacks - st0.lost_kernel_stacks));
	if (st1.lost_full - st0.lost_full)
		fprintf(stderr, "; %llu samples lost (table full)",
			(unsigned long long)(st1.lost_full - st0.lost_full));
	if (unreadable)
		fprintf(stderr, "; user frames of %zu processes are [unknown] (ended, or not yours)",
			unreadable);
	if (!symbolizer_has_kernel(sym))
		fprintf(stderr, "; kernel frames are [kernel] (/proc/kallsyms hides addresses from you)");
	fprintf(stderr, "\n");
	if (st1.samples == st0.samples && runloop_now_ms() - started >= 2000 / (ctl.hz ? ctl.hz : 1))
		report_warn("the profiler took no sample at all: are its perf events attached "
			    "(observe-load again after CPUs went offline)?");
	ret = 0;
out:
	if (lock >= 0)
		close(lock);
	close_maps(&m);
	free(start.rows);
	free(end.rows);
	free(scratch.rows);
	flame_free(graph);
	symbolizer_free(sym);
	return ret;
}
