// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * observe-profile: where CPU time goes, from the profile collector's
 * samples. It switches sampling on for its window, counts what the window
 * added to the pinned tables, names the frames and writes folded stacks
 * and an SVG flame graph.
 *
 * With --diff it compares two folded profiles instead, in an SVG.
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
#include "pprof.h"
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
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

static const char usage[] =
"Usage: observe-profile [OPTION...]\n"
"  or:  observe-profile --diff BEFORE.folded AFTER.folded [-o FILE.svg]\n"
"Sample what runs on every CPU for a while and show where the time went, as\n"
"folded stacks (the input of flame-graph tools), an SVG flame graph or a pprof\n"
"profile.\n"
"\n"
"  -d, --duration=SECS    how long to sample (default 10); Ctrl-C ends early\n"
"  -p, --pid=PID          only this process\n"
"  -c, --comm=COMM        only threads with this command name\n"
"  -f, --folded=FILE      write the folded stacks to FILE ('-': standard output;\n"
"                         the default when no other output is given)\n"
"  -o FILE                write FILE: a pprof profile when it ends in .pb.gz or\n"
"                         .pprof (go tool pprof reads it), else an SVG flame graph\n"
"      --svg=FILE         write an SVG flame graph to FILE\n"
"      --pprof=FILE       write a gzipped pprof profile to FILE\n"
"      --lines            name source files and lines: \"func (file.c:42)\"\n"
"      --diff             compare two folded profiles: the SVG draws AFTER, red\n"
"                         where a frame's share of all samples grew since BEFORE,\n"
"                         blue where it shrank\n"
"      --title=TEXT       the flame graph's title\n"
"      --pin-dir=DIR      where observe is pinned (default " OBSERVE_PIN_DIR_DEFAULT ")\n"
"  -h, --help             show this help\n"
"      --version          show the version\n"
"\n"
"User frames are named from the files a process maps, read from /proc/PID/maps\n"
"while it runs, with their debug information where installed (Debian's -dbg\n"
"and -dbgsym packages under /usr/lib/debug; a debuginfod server only when\n"
"DEBUGINFOD_URLS is set): functions inlined at an address show as\n"
"\"func [inlined]\" above the function they are in; C++ and Rust names are\n"
"demangled. Code made by a JIT compiler is named from /tmp/perf-PID.map (node\n"
"--perf-basic-prof, the JVM's perf-map agent). A process of another user\n"
"(without root) or one that ends before it is read shows [unknown]. Kernel\n"
"frames carry _[k] and are named from /proc/kallsyms where it shows addresses\n"
"to you, else [kernel]. Stacks are walked with frame pointers: code built\n"
"without them cuts a stack short, and the summary names the files where\n"
"stacks end after one frame of theirs.\n"
"\n"
"In an SVG, click a frame to zoom into it and \"Reset zoom\" to go back; a URL\n"
"ending in #zoom=NAME opens zoomed into the widest frame named NAME.\n"
"\n"
"Examples:\n"
"  observe-profile -d 30 -o cpu.svg\n"
"  observe-profile -p 1234 -d 5 -f - | sort -k2 -n | tail\n"
"  observe-profile -d 10 --lines -o cpu.pb.gz && go tool pprof -top cpu.pb.gz\n"
"  observe-profile --diff before.folded after.folded -o diff.svg\n";

enum { OPT_PIN_DIR = 256, OPT_TITLE, OPT_SVG, OPT_PPROF, OPT_LINES, OPT_DIFF };

static const struct option options[] = {
	{ "duration", required_argument, NULL, 'd' },
	{ "pid", required_argument, NULL, 'p' },
	{ "comm", required_argument, NULL, 'c' },
	{ "folded", required_argument, NULL, 'f' },
	{ "svg", required_argument, NULL, OPT_SVG },
	{ "pprof", required_argument, NULL, OPT_PPROF },
	{ "lines", no_argument, NULL, OPT_LINES },
	{ "diff", no_argument, NULL, OPT_DIFF },
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
	{ "help", no_argument, NULL, 'h' },
	{},
};

#define SCAN_MS 250		/* how often new processes have their maps read */
#define FRAME_LEN 1024	/* demangled C++ templates run long */

struct options {
	uint64_t duration_ms;
	uint32_t pid;
	char comm[OBSERVE_COMM_LEN];
	bool by_comm, lines, diff;
	const char *folded, *svg, *pprof, *title, *pin_dir;
	const char *diff_before, *diff_after;
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
	if (c->n)		/* qsort wants a valid pointer even for none */
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

/* Images whose stacks end after one frame of theirs, short of an entry
 * point: a sign of code built without frame pointers. */
struct cut_image {
	const char *image;
	uint64_t samples;
};

struct cut_images {
	struct cut_image *rows;
	size_t n, cap;
};

/* Where a whole stack starts: the walk ends there without a cut. */
static bool entry_point(const char *name)
{
	static const char *const entries[] = {
		"_start", "__libc_start_main", "__libc_start_call_main", "start_thread",
		"clone", "clone3", "__clone", "__clone3", "thread_start", "_dl_start_user",
	};

	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
		if (!strcmp(name, entries[i]))
			return true;
	return name[0] == '[';	/* unnamed: cannot tell */
}

static void count_cut(struct cut_images *c, const char *image, uint64_t samples)
{
	size_t i = 0;

	while (i < c->n && strcmp(c->rows[i].image, image))
		i++;
	if (i == c->n) {
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 8;
			struct cut_image *rows = realloc(c->rows, cap * sizeof(*rows));

			if (!rows)
				return;	/* a hint less */
			c->rows = rows;
			c->cap = cap;
		}
		c->rows[c->n++] = (struct cut_image){ image, 0 };
	}
	c->rows[i].samples += samples;
}

/* What a stack is made of, for building its line. */
struct stack_walk {
	struct symbolizer *sym;
	const struct maps *maps;
	const struct observe_profile_key *key;
	bool lines;
	struct cut_images *cut;
	uint64_t samples;
	struct line *line;
};

/* The addresses of stack 'id' (leaf first, as the map keeps them) into
 * ips; their number, or -1 when the stack is lost. */
static int stack_ips(const struct maps *m, __s32 id, __u64 *ips)
{
	int depth = 0;

	if (id < 0 || bpf_map_lookup_elem(m->stacks, &id, ips))
		return -1;
	while (depth < OBSERVE_PROFILE_DEPTH && ips[depth])
		depth++;
	return depth;
}

/* Above the leaf, each address is where a call returns to: its call may be
 * a function's last instruction (a noreturn call), so the byte before it
 * names the caller. */
static __u64 call_address(const __u64 *ips, int i)
{
	return i ? ips[i] - 1 : ips[i];
}

static void format_frame(const struct symbolizer_frame *f, bool lines, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%s", f->name, f->inlined ? " [inlined]" : "");

	if (lines && f->source && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - n, " (%s:%u)", f->source, f->line);
}

/* A stack that ends (at its root side) in a single frame of one image,
 * not at an entry point and not at the depth limit, was cut there. */
static void note_cut(struct stack_walk *w, const __u64 *ips, int depth)
{
	const struct symbolizer_frame *outer, *next;

	if (depth >= OBSERVE_PROFILE_DEPTH ||
	    !symbolizer_user(w->sym, w->key->pid, w->key->comm, call_address(ips, depth - 1), &outer) ||
	    !outer[0].image || entry_point(outer[0].name))
		return;
	if (depth > 1 && symbolizer_user(w->sym, w->key->pid, w->key->comm,
					 call_address(ips, depth - 2), &next) &&
	    next[0].image && !strcmp(next[0].image, outer[0].image))
		return;
	count_cut(w->cut, outer[0].image, w->samples);
}

/* Appends the user frames of the stack, root first, inlined calls after
 * the function they are in. */
static void append_user_stack(struct stack_walk *w)
{
	static __u64 ips[OBSERVE_PROFILE_DEPTH];
	char frame[FRAME_LEN];
	int depth;

	if (w->key->user_stack == -EFAULT)
		return;		/* a kernel thread */
	depth = stack_ips(w->maps, w->key->user_stack, ips);
	if (depth < 0) {
		append_frame(w->line, "[lost stack]");
		return;
	}
	if (depth)
		note_cut(w, ips, depth);
	for (int i = depth - 1; i >= 0; i--) {
		const struct symbolizer_frame *frames;
		size_t n = symbolizer_user(w->sym, w->key->pid, w->key->comm, call_address(ips, i),
					   &frames);

		for (size_t k = 0; k < n; k++) {
			format_frame(&frames[k], w->lines, frame, sizeof(frame));
			append_frame(w->line, frame);
		}
	}
}

static void append_kernel_stack(struct stack_walk *w)
{
	static __u64 ips[OBSERVE_PROFILE_DEPTH];
	char name[FRAME_LEN], frame[FRAME_LEN + 8];
	bool last_unnamed = false;
	int depth;

	if (w->key->kernel_stack == -EFAULT)
		return;		/* a sample in user mode */
	depth = stack_ips(w->maps, w->key->kernel_stack, ips);
	if (depth < 0) {
		append_frame(w->line, "[lost stack]_[k]");
		return;
	}
	for (int i = depth - 1; i >= 0; i--) {
		symbolizer_kernel(w->sym, call_address(ips, i), name, sizeof(name));
		/* Unnamed kernel frames in a row are one [kernel] frame. */
		if (!strcmp(name, "[kernel]")) {
			if (last_unnamed)
				continue;
			last_unnamed = true;
		} else {
			last_unnamed = false;
		}
		snprintf(frame, sizeof(frame), "%s_[k]", name);
		append_frame(w->line, frame);
	}
}

/* The command as a folded line's first frame: ';' and ' ' separate a
 * folded line's frames and count. */
static void append_comm(struct line *l, const char *key_comm)
{
	char comm[OBSERVE_COMM_LEN + 1];

	memcpy(comm, key_comm, OBSERVE_COMM_LEN);
	comm[OBSERVE_COMM_LEN] = 0;
	for (char *c = comm; *c; c++)
		if (*c == ';' || *c == ' ' || (unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '_';
	append_frame(l, comm[0] ? comm : "[unnamed]");
}

/* What the window added to each key, by the graph's and the summary's
 * means. */
struct window {
	const struct options *opts;
	const struct maps *maps;
	struct symbolizer *sym;
	struct flame *graph;
	struct cut_images cut;
	size_t processes, unreadable;
	__u32 last_pid, last_unreadable;
};

static int add_row(struct window *win, const struct count_row *r, __u64 samples, struct line *line)
{
	struct stack_walk walk = { win->sym, win->maps, &r->key, win->opts->lines, &win->cut,
				   samples, line };

	if (r->key.pid != win->last_pid) {	/* rows are sorted by pid first */
		win->processes++;
		win->last_pid = r->key.pid;
	}
	/* Kernel threads have no user stack, and no maps to miss. */
	if (r->key.user_stack >= 0 && !symbolizer_add_process(win->sym, r->key.pid, r->key.comm) &&
	    r->key.pid != win->last_unreadable) {
		win->unreadable++;
		win->last_unreadable = r->key.pid;
	}
	line->len = 0;
	append_comm(line, r->key.comm);
	append_user_stack(&walk);
	append_kernel_stack(&walk);
	/* Past the leading ';'. */
	if (line->failed || flame_add(win->graph, line->text + 1, samples))
		return report_error("out of memory"), -1;
	return 0;
}

/* What the window added: end minus start for each key, into the graph. */
static int build_graph(struct window *win, const struct counts *start, const struct counts *end)
{
	struct line line = {};
	int err = 0;

	for (size_t i = 0; i < end->n && !err; i++) {
		const struct count_row *r = &end->rows[i];
		const struct count_row *was = start->n ?
			bsearch(r, start->rows, start->n, sizeof(*r), by_key) : NULL;
		__u64 n = r->count;

		if (was && was->count <= n)
			n -= was->count;
		if (n && wanted(win->opts, &r->key))
			err = add_row(win, r, n, &line);
	}
	free(line.text);
	return err;
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

struct output {
	const char *path, *what;
	int (*write)(const struct output *o, FILE *out);
	const struct flame *graph;
	const char *title;
	const struct pprof_meta *meta;
};

static int write_folded(const struct output *o, FILE *out)
{
	return flame_write_folded(o->graph, out);
}

static int write_svg(const struct output *o, FILE *out)
{
	return flame_write_svg(o->graph, out, o->title);
}

static int write_pprof(const struct output *o, FILE *out)
{
	return pprof_write(o->graph, o->meta, out);
}

static int write_output(const struct output *o)
{
	FILE *out;
	int err;

	if (!o->path)
		return 0;
	out = open_output(o->path);
	if (!out)
		return -1;
	err = o->write(o, out);
	err |= out == stdout ? fflush(out) : fclose(out);
	if (err)
		return report_error("cannot write %s to %s", o->what, o->path), -1;
	return 0;
}

static int write_outputs(const struct options *opts, const struct flame *graph,
			 const struct pprof_meta *meta)
{
	const struct output outputs[] = {
		{ opts->folded, "the folded stacks", write_folded, graph, NULL, NULL },
		{ opts->svg, "the flame graph", write_svg, graph, opts->title, NULL },
		{ opts->pprof, "the pprof profile", write_pprof, graph, NULL, meta },
	};

	for (size_t i = 0; i < sizeof(outputs) / sizeof(outputs[0]); i++)
		if (write_output(&outputs[i]))
			return -1;
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* -o FILE: a pprof profile when its name says so, else an SVG. */
static void set_output(struct options *o, const char *path)
{
	if (ends_with(path, ".pb.gz") || ends_with(path, ".pprof"))
		o->pprof = path;
	else
		o->svg = path;
}

static int check_outputs(struct options *o, int argc, char **argv)
{
	int to_stdout = 0;

	if (o->diff) {
		if (argc - optind != 2)
			return report_error("--diff takes two folded files: BEFORE AFTER"), -1;
		o->diff_before = argv[optind];
		o->diff_after = argv[optind + 1];
		if (o->folded || o->pprof)
			return report_error("--diff writes an SVG flame graph only (-o FILE.svg)"), -1;
		if (!o->svg)
			o->svg = "-";
		return 0;
	}
	if (parse_no_operands(argc, argv))
		return -1;
	if (!o->folded && !o->svg && !o->pprof)
		o->folded = "-";
	to_stdout = (o->folded && !strcmp(o->folded, "-")) + (o->svg && !strcmp(o->svg, "-")) +
		    (o->pprof && !strcmp(o->pprof, "-"));
	if (to_stdout > 1)
		return report_error("only one of --folded, --svg and --pprof can go to standard output"), -1;
	return 0;
}

static int parse_option(int opt, struct options *o, char *err)
{
	switch (opt) {
	case 'd':
		return parse_seconds(optarg, &o->duration_ms, err);
	case 'p':
		return parse_pid(optarg, &o->pid, err);
	case 'c':
		if (!parse_comm(optarg, o->comm, err))
			o->by_comm = true;
		return 0;
	case 'f':
		o->folded = optarg;
		return 0;
	case 'o':
		set_output(o, optarg);
		return 0;
	case OPT_SVG:
		o->svg = optarg;
		return 0;
	case OPT_PPROF:
		o->pprof = optarg;
		return 0;
	case OPT_LINES:
		o->lines = true;
		return 0;
	case OPT_DIFF:
		o->diff = true;
		return 0;
	case OPT_TITLE:
		o->title = optarg;
		return 0;
	case OPT_PIN_DIR:
		o->pin_dir = optarg;
		return 0;
	case 'h':
		fputs(usage, stdout);
		exit(0);
	default:
		fprintf(stderr, "Try 'observe-profile --help'.\n");
		return -1;
	}
}

static int parse_options(int argc, char **argv, struct options *o)
{
	char err[PARSE_ERR_LEN];
	int opt;

	*o = (struct options){ .duration_ms = 10000 };
	while ((opt = getopt_long(argc, argv, "d:p:c:f:o:h", options, NULL)) != -1) {
		err[0] = 0;
		if (parse_option(opt, o, err)) {
			if (err[0])
				report_error("%s", err);
			return -1;
		}
	}
	if (!o->title)
		o->title = o->diff ? "Differential flame graph (observe-profile): red grew, blue shrank"
				   : "CPU flame graph (observe-profile)";
	return check_outputs(o, argc, argv);
}

static int open_maps(const char *dir, struct maps *m)
{
	m->ctl = pins_open_map(dir, PIN_PROFILE_CTL, PIN_WRITE);
	m->counts = m->ctl < 0 ? -1 : pins_open_map(dir, PIN_PROFILE_COUNTS, PIN_WRITE);
	m->stacks = m->counts < 0 ? -1 : pins_open_map(dir, PIN_PROFILE_STACKS, PIN_WRITE);
	m->stats = m->stacks < 0 ? -1 : pins_open_map(dir, PIN_PROFILE_STATS, PIN_READ);
	m->filter = m->stats < 0 ? -1 : pins_open_map(dir, PIN_FILTER, PIN_READ);
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

/* One profile: the pinned tables, the lock, what the window counted. */
struct session {
	struct options opts;
	const char *dir;
	struct maps maps;
	int lock;
	struct counts start, end, scratch;
	struct observe_profile_stats st0, st1;
	struct observe_profile_ctl ctl;
	uint64_t started, ended;	/* ms, monotonic */
	uint64_t wall_ns;	/* when the window started, for pprof */
	struct window win;
};

static int check_collector(const char *dir, const struct maps *m)
{
	struct observe_filter filter = {};
	struct observe_info info;
	__u32 zero = 0;

	if (pins_read_info(dir, &info))
		return -1;
	if (!(info.collectors & (1ULL << OBSERVE_COLLECTOR_PROFILE))) {
		report_error("the profile collector is not loaded at %s (observe-load --collectors=...,profile)",
			     dir);
		return -1;
	}
	if (open_maps(dir, (struct maps *)m))
		return -1;
	bpf_map_lookup_elem(m->filter, &zero, &filter);
	if (filter.types_off & (1ULL << OBSERVE_AGG_PROFILE)) {
		report_error("profiling is switched off: observe-filter enable profile");
		return -1;
	}
	return 0;
}

static int open_session(struct session *s)
{
	char lock_path[4096];

	s->dir = pins_dir(s->opts.pin_dir);
	if (check_collector(s->dir, &s->maps))
		return -1;
	s->win = (struct window){ .opts = &s->opts, .maps = &s->maps };
	s->win.sym = symbolizer_new();
	s->win.graph = flame_new();
	if (!s->win.sym || !s->win.graph)
		return report_error("out of memory"), -1;
	symbolizer_set_lines(s->win.sym, s->opts.lines);
	if (!pins_path(lock_path, sizeof(lock_path), s->dir, OBSERVE_PROFILE_LOCK_DIR))
		return -1;
	s->lock = open(lock_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->lock < 0)
		return pins_explain_error(s->dir, lock_path, errno), -1;
	/* The first one in clears the tables; shared from then on, so that a
	 * profiler that held it exclusively lets others in. Sampling goes on
	 * only under the shared lock: a last profiler switching it off holds
	 * the lock exclusively until it has. */
	if (flock(s->lock, LOCK_EX | LOCK_NB) == 0) {
		clear_map(s->maps.counts);
		clear_map(s->maps.stacks);
	}
	if (flock(s->lock, LOCK_SH))
		return report_error("cannot lock %s: %s", lock_path, strerror(errno)), -1;
	return 0;
}

static int read_window_edge(struct session *s, struct counts *c, struct observe_profile_stats *st)
{
	return read_counts(s->maps.counts, c) ||
	       stats_read(s->maps.stats, 0, sizeof(*st) / sizeof(__u64), NULL, (uint64_t *)st) ? -1 : 0;
}

/* An unload (or a reload that replaced the tables) leaves the counts held
 * here counting nothing more: the window ends there, and says so. */
static bool window_cut_short(const struct session *s)
{
	double secs = (runloop_now_ms() - s->started) / 1000.0;

	if (pins_still_pinned(s->dir, PIN_PROFILE_COUNTS, s->maps.counts))
		return false;
	report_warn("observe was unloaded from %s, or its profile tables replaced, %.1f s into the "
		    "window: the profile covers those %.1f s", s->dir, secs, secs);
	return true;
}

/* Sampling on, the window, sampling off when this is the last profiler. */
static int sample_window(struct session *s)
{
	uint64_t until, now;
	struct timespec wall;
	__u32 zero = 0;
	int ret = -1;

	if (set_sampling(&s->maps, 1)) {
		report_error("cannot switch sampling on: %s", strerror(errno));
		goto release;
	}
	bpf_map_lookup_elem(s->maps.ctl, &zero, &s->ctl);
	if (read_window_edge(s, &s->start, &s->st0))
		goto release;
	s->started = runloop_now_ms();
	clock_gettime(CLOCK_REALTIME, &wall);
	s->wall_ns = wall.tv_sec * 1000000000ULL + wall.tv_nsec;
	until = s->started + s->opts.duration_ms;
	for (now = s->started; now < until && !runloop_stopping(); now = runloop_now_ms()) {
		usleep((until - now < SCAN_MS ? until - now : SCAN_MS) * 1000);
		read_new_processes(&s->opts, &s->maps, s->win.sym, &s->scratch);
		if (window_cut_short(s))
			break;
	}
	s->ended = runloop_now_ms();
	ret = read_window_edge(s, &s->end, &s->st1);
release:
	/* The last profiler out (no shared lock left but ours) stops sampling. */
	if (flock(s->lock, LOCK_EX | LOCK_NB) == 0 && set_sampling(&s->maps, 0))
		report_warn("cannot switch sampling off: %s", strerror(errno));
	close(s->lock);
	s->lock = -1;
	return ret;
}

static int by_samples_desc(const void *a, const void *b)
{
	const struct cut_image *x = a, *y = b;

	return x->samples < y->samples ? 1 : x->samples > y->samples ? -1 : 0;
}

static void summarize_cut(struct cut_images *cut)
{
	if (!cut->n)
		return;
	qsort(cut->rows, cut->n, sizeof(*cut->rows), by_samples_desc);
	fprintf(stderr, "; stacks end after one frame, as in code built without frame pointers, in");
	for (size_t i = 0; i < cut->n && i < 5; i++)
		fprintf(stderr, "%s %s (%llu samples)", i ? "," : "", cut->rows[i].image,
			(unsigned long long)cut->rows[i].samples);
	if (cut->n > 5)
		fprintf(stderr, " and %zu more", cut->n - 5);
}

static void summarize(const struct session *s)
{
	const struct observe_profile_stats *st0 = &s->st0, *st1 = &s->st1;
	__u64 lost_user = st1->lost_user_stacks - st0->lost_user_stacks;
	__u64 lost_kernel = st1->lost_kernel_stacks - st0->lost_kernel_stacks;

	fprintf(stderr, "observe-profile: %llu samples in %.1f s at %u Hz per CPU, %zu processes",
		(unsigned long long)flame_total(s->win.graph), (s->ended - s->started) / 1000.0,
		s->ctl.hz, s->win.processes);
	fprintf(stderr, "; %llu idle samples left out", (unsigned long long)(st1->idle - st0->idle));
	if (lost_user + lost_kernel)
		fprintf(stderr, "; stacks lost (table full or collided): %llu user, %llu kernel",
			(unsigned long long)lost_user, (unsigned long long)lost_kernel);
	if (st1->lost_full - st0->lost_full)
		fprintf(stderr, "; %llu samples lost (table full)",
			(unsigned long long)(st1->lost_full - st0->lost_full));
	if (s->win.unreadable)
		fprintf(stderr, "; user frames of %zu processes are [unknown] (ended, or not yours)",
			s->win.unreadable);
	if (!symbolizer_has_kernel(s->win.sym))
		fprintf(stderr, "; kernel frames are [kernel] (/proc/kallsyms hides addresses from you)");
	summarize_cut((struct cut_images *)&s->win.cut);
	fprintf(stderr, "\n");
	if (st1->samples == st0->samples &&
	    s->ended - s->started >= 2000 / (s->ctl.hz ? s->ctl.hz : 1))
		report_warn("the profiler took no sample at all: are its perf events attached "
			    "(observe-load again after CPUs went offline)?");
}

static void close_session(struct session *s)
{
	if (s->lock >= 0)
		close(s->lock);
	close_maps(&s->maps);
	free(s->start.rows);
	free(s->end.rows);
	free(s->scratch.rows);
	free(s->win.cut.rows);
	flame_free(s->win.graph);
	symbolizer_free(s->win.sym);
}

static int profile(struct session *s)
{
	struct pprof_meta meta;

	if (open_session(s) || sample_window(s) || build_graph(&s->win, &s->start, &s->end))
		return -1;
	meta = (struct pprof_meta){
		.period_ns = 1000000000ULL / (s->ctl.hz ? s->ctl.hz : OBSERVE_PROFILE_DEFAULT_HZ),
		.duration_ns = (s->ended - s->started) * 1000000ULL,
		.time_ns = s->wall_ns,
	};
	if (write_outputs(&s->opts, s->win.graph, &meta))
		return -1;
	summarize(s);
	return 0;
}

/* --diff: the AFTER profile drawn, coloured by how each frame's share of
 * the samples changed since BEFORE. */
static int diff(const struct options *o)
{
	struct flame *graph = flame_new();
	int ret = -1;

	if (!graph)
		return report_error("out of memory"), -1;
	if (!flame_read_folded(graph, o->diff_before, FLAME_BEFORE) &&
	    !flame_read_folded(graph, o->diff_after, FLAME_AFTER))
		ret = write_outputs(o, graph, NULL);
	flame_free(graph);
	return ret;
}

int main(int argc, char **argv)
{
	struct session s = { .maps = { -1, -1, -1, -1, -1 }, .lock = -1 };
	int ret;

	exit_if_version_asked(argc, argv);
	if (parse_options(argc, argv, &s.opts))
		return 2;
	if (s.opts.diff)
		return diff(&s.opts) ? 1 : 0;
	report_libbpf_setup(false);
	runloop_init();
	ret = profile(&s) ? 1 : 0;
	close_session(&s);
	return ret;
}
