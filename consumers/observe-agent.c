// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * observe-agent: one process and all its descendants, as one timeline. The
 * kernel follows them for this reader alone: its event slot (and its TLS
 * slot) pass only pids whose entry in observe_slot_pids has this reader's
 * bit, which the fork hook gives to children and the exit hook takes away.
 * Other readers and the global filters never see the set. The two rings are
 * merged by kernel time stamp within a small reorder window.
 */
#include "decode.h"
#include "decoders.h"
#include "events.h"
#include "json.h"
#include "parse.h"
#include "pins.h"
#include "reader.h"
#include "reorder.h"
#include "report.h"
#include "runloop.h"
#include "slot.h"
#include "slot_pids.h"
#include "stats.h"
#include "stream.h"
#include "timeline.h"
#include "tls.h"
#include "version.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

static const char usage[] =
"Usage: observe-agent (-p PID | -c COMM) [OPTION...]\n"
"Follow a process and every descendant, in the kernel for this reader alone,\n"
"and print what they do in time order: execs, forks, exits, file opens,\n"
"connects, and their HTTP exchanges and LLM calls, decoded from the plaintext\n"
"of their TLS calls (for members of the TLS group).\n"
"\n"
"  -p, --pid=PID          follow this running process and its descendants\n"
"  -c, --comm=COMM        follow the first process to exec COMM (at most 15 bytes),\n"
"                         or, if some already run, each of them\n"
"  -o, --output=FORMAT    json (default): one object per line; text: one line of\n"
"                         time, pid, comm, event and what happened (as observe-events)\n"
"  -t, --types=LIST       event types (default exec,fork,exit,open,connect)\n"
"      --no-tls           leave the TLS plaintext out\n"
"      --raw-tls          print the TLS records as they are, not decoded into\n"
"                         \"http\" and \"llm_call\" records\n"
"      --body-max=BYTES   bytes of a body or an LLM text printed (default 16K)\n"
"      --reorder-ms=MS    how long a record waits for older ones from the other\n"
"                         ring (1-10000, default 100)\n"
"  -n, --count=N          stop after N lines\n"
"  -d, --duration=SECS    stop after SECS seconds\n"
"      --poll-ms=MS       how often to look for events (1-1000, default 50)\n"
"      --pin-dir=DIR      where observe is pinned (default " OBSERVE_PIN_DIR_DEFAULT ")\n"
"  -q, --quiet            no status lines on stderr\n"
"  -v, --verbose          show libbpf's messages\n"
"  -h, --help             show this help\n"
"      --version          show the version\n"
"\n"
"An \"http\" or \"llm_call\" line comes when its exchange ended; its time is\n"
"when the request started. It stops when every followed process has exited.\n"
"A process followed after it started is announced by a line of type \"note\":\n"
"what it did before is not seen.\n"
"A line {\"type\":\"gap\",\"lost\":N} reports N records this reader lost.\n"
"\n"
"Examples:\n"
"  observe-agent -c claude -o text        wait for claude, then follow it\n"
"  observe-agent -p 4242 | jq 'select(.type == \"connect\")'\n";

enum { OPT_NO_TLS = 256, OPT_RAW_TLS, OPT_BODY_MAX, OPT_REORDER_MS };

static const struct option options[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "comm", required_argument, NULL, 'c' },
	{ "output", required_argument, NULL, 'o' },
	{ "types", required_argument, NULL, 't' },
	{ "no-tls", no_argument, NULL, OPT_NO_TLS },
	{ "raw-tls", no_argument, NULL, OPT_RAW_TLS },
	{ "body-max", required_argument, NULL, OPT_BODY_MAX },
	{ "reorder-ms", required_argument, NULL, OPT_REORDER_MS },
	{ "count", required_argument, NULL, 'n' },
	{ "duration", required_argument, NULL, 'd' },
	{ "poll-ms", required_argument, NULL, STREAM_OPT_POLL_MS },
	{ "pin-dir", required_argument, NULL, STREAM_OPT_PIN_DIR },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

#define DEFAULT_TYPES ((1ULL << OBSERVE_EV_EXEC) | (1ULL << OBSERVE_EV_FORK) |		\
		       (1ULL << OBSERVE_EV_EXIT) | (1ULL << OBSERVE_EV_OPEN) |		\
		       (1ULL << OBSERVE_EV_CONNECT))
#define RECORDS_PER_POLL 4096
#define DRAIN_ROUNDS 16			/* budgets read per ring before merging */
#define REORDER_MAX_BYTES (64u << 20)	/* held past this, the oldest go out early */
#define CHECK_MS 250			/* is the set empty, is observe still loaded */

struct agent_options {
	struct stream_options stream;	/* what every streaming reader takes */
	uint32_t pid;
	char comm[OBSERVE_COMM_LEN];
	bool by_comm, no_tls, raw_tls;
	uint64_t body_max;
	uint64_t types, reorder_ms;
};

enum { SOURCE_EVENTS, SOURCE_TLS, NR_SOURCES };

struct agent {
	const struct agent_options *o;
	struct slot slots[NR_SOURCES];
	bool have[NR_SOURCES];
	const char *no_tls_reason;	/* said after what was missed */
	struct ring_reader readers[NR_SOURCES];
	uint64_t dropped_seen[NR_SOURCES];
	struct ring_tamper tamper_seen[NR_SOURCES];
	struct slot_pids pids;
	struct reorder order;
	struct timeline timeline;
	int push_err;
};

static int parse_options(int argc, char **argv, struct agent_options *o)
{
	char err[PARSE_ERR_LEN] = "";
	int opt;

	memset(o, 0, sizeof(*o));
	stream_options_init(&o->stream, 0);
	o->types = DEFAULT_TYPES;
	o->reorder_ms = 100;
	while ((opt = getopt_long(argc, argv, "p:c:o:t:n:d:qvh", options, NULL)) != -1) {
		int bad = 0;

		switch (opt) {
		case 'p':
			bad = parse_pid(optarg, &o->pid, err);
			break;
		case 'c':
			bad = parse_comm(optarg, o->comm, err);
			o->by_comm = true;
			break;
		case 't':
			bad = parse_types(optarg, &o->types, err);
			o->types &= event_types_streamed();
			if (!bad && !o->types) {
				snprintf(err, sizeof(err), "'%s': no streamed event type", optarg);
				bad = -1;
			}
			break;
		case OPT_NO_TLS:
			o->no_tls = true;
			break;
		case OPT_RAW_TLS:
			o->raw_tls = true;
			break;
		case OPT_BODY_MAX:
			bad = parse_size(optarg, 0, HTTPFLOW_BODY_MAX_LIMIT, &o->body_max, err);
			break;
		case OPT_REORDER_MS:
			bad = parse_u64(optarg, 1, 10000, "reorder-ms", &o->reorder_ms, err);
			break;
		case 'n':
		case 'd':
		case 'o':
		case STREAM_OPT_POLL_MS:
		case STREAM_OPT_PIN_DIR:
		case 'q':
		case 'v':
			/* As every streaming reader has them (lib/stream.c). */
			bad = stream_parse_option(opt, optarg, &o->stream, err) < 0;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fprintf(stderr, "Try 'observe-agent --help'.\n");
			return -1;
		}
		if (bad) {
			report_error("%s", err);
			return -1;
		}
	}
	if (parse_no_operands(argc, argv))
		return -1;
	if (!o->pid == !o->by_comm) {
		report_error("say which process to follow: -p PID or -c COMM (one of them)");
		return -1;
	}
	o->stream.pin_dir = pins_dir(o->stream.pin_dir);
	return 0;
}

static int on_record(void *ctx, const void *data, size_t len, unsigned source)
{
	struct agent *a = ctx;
	int err = reorder_push(&a->order, source, data, len);

	if (err == -ENOMEM) {
		a->push_err = err;
		return err;
	}
	if (err)
		a->timeline.malformed++;
	return 0;
}

static int on_event(void *ctx, const void *data, size_t len)
{
	return on_record(ctx, data, len, SOURCE_EVENTS);
}

static int on_tls(void *ctx, const void *data, size_t len)
{
	return on_record(ctx, data, len, SOURCE_TLS);
}

/* Everything both rings hold now, into the reorder buffer. */
static int read_rings(struct agent *a)
{
	for (unsigned s = 0; s < NR_SOURCES; s++) {
		if (!a->have[s])
			continue;
		for (int round = 0; round < DRAIN_ROUNDS; round++) {
			int res = ring_reader_consume(&a->readers[s]);

			if (res < 0)
				return res;
			if (res < RECORDS_PER_POLL)
				break;
		}
	}
	return 0;
}

/* A gap line when a slot's drop counter moved ('quiet': only note where
 * the counters start). */
static void report_drops(struct agent *a, bool quiet)
{
	for (unsigned s = 0; s < NR_SOURCES; s++) {
		struct observe_slot_stats sum;

		if (!a->have[s] || stats_read(a->slots[s].stats_fd, a->slots[s].index,
					      sizeof(sum) / sizeof(__u64), NULL, (uint64_t *)&sum))
			continue;
		if (!quiet && sum.dropped > a->dropped_seen[s])
			timeline_gap(&a->timeline, s == SOURCE_TLS ? "tls" : "events",
				     a->slots[s].index, sum.dropped - a->dropped_seen[s]);
		a->dropped_seen[s] = sum.dropped;
	}
}

/* A tamper line when a ring was meddled with since the last look. */
static void report_tamper(struct agent *a)
{
	for (unsigned s = 0; s < NR_SOURCES; s++) {
		const struct ring_tamper *t = &a->readers[s].tamper;

		if (!a->have[s] || t->times == a->tamper_seen[s].times)
			continue;
		timeline_tamper(&a->timeline, a->slots[s].index, t->last,
				t->times - a->tamper_seen[s].times,
				t->skipped_bytes - a->tamper_seen[s].skipped_bytes);
		a->tamper_seen[s] = *t;
	}
}

/* The records old enough to be in order (all of them with 'drain'). */
static void emit_ready(struct agent *a, uint64_t now_ns, bool drain)
{
	struct reorder_item *item;

	while (!timeline_done(&a->timeline) && (item = reorder_pop(&a->order, now_ns, drain))) {
		timeline_record(&a->timeline, item->data, item->len);
		free(item);
	}
}

/* Whether any process still carries this reader's bit. */
static bool set_empty(struct agent *a)
{
	__u32 key, next, bits;
	void *prev = NULL;

	while (!bpf_map_get_next_key(a->pids.fd, prev, &next)) {
		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(a->pids.fd, &key, &bits) && (bits & a->pids.bit))
			return false;
	}
	return true;
}

/* Claims the TLS slot beside the event slot, or says why there is none. */
static void claim_tls(struct agent *a)
{
	const struct agent_options *o = a->o;
	struct observe_tls_info info = {};
	struct slot_filter filter = {
		.types = event_types_tls(),
		.match = OBSERVE_SLOT_MATCH_PID_SET,
		.pid_set = a->pids.bit,
	};
	char path[4096];

	if (o->no_tls)
		return;
	if (pins_read_tls_info(o->stream.pin_dir, &info) || !info.nr_slots) {
		a->no_tls_reason = "no TLS plaintext: TLS capture is not loaded (observe-load --tls)";
		return;
	}
	if (pins_path(path, sizeof(path), o->stream.pin_dir, OBSERVE_TLS_SUBDIR) && access(path, X_OK)) {
		a->no_tls_reason = "no TLS plaintext: this user is not in the TLS group";
		return;
	}
	if (slot_claim(o->stream.pin_dir, &slot_tls, info.nr_slots, info.ring_size, &filter,
		       &a->slots[SOURCE_TLS])) {
		a->no_tls_reason = "no TLS plaintext: no TLS slot could be had";
		return;
	}
	a->have[SOURCE_TLS] = true;
	if (!o->raw_tls) {
		struct httpflow_options http = { .body_max = o->body_max };

		if (timeline_decode_http(&a->timeline, &http))
			a->no_tls_reason = "TLS records printed as they are: no memory to decode HTTP";
	}
}

/* One process already running, and its descendants, into the set. */
static int follow_running(struct agent *a, uint32_t pid)
{
	char comm[OBSERVE_COMM_LEN], text[256];
	uint64_t since = reorder_now_ns();	/* events from here on are seen */
	int added = slot_pids_add_tree(&a->pids, pid);

	if (added < 0) {
		report_error("cannot follow pid %u: %s", pid, strerror(-added));
		return -1;
	}
	proc_comm_of(pid, comm);
	snprintf(text, sizeof(text), "started after pid %u (%s): its earlier execs, opens and "
		 "connections are not seen; following it and %d descendants", pid, comm,
		 added - 1);
	timeline_note(&a->timeline, since, pid, comm, text);
	return 0;
}

/* -p: the process and its descendants. -c: those already running, or the
 * kernel waits for the first exec of the name. */
static int seed(struct agent *a)
{
	const struct agent_options *o = a->o;
	uint32_t roots[64];
	size_t n;

	if (!o->by_comm) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%u", o->pid);
		if (access(path, F_OK)) {
			report_error("no process %u", o->pid);
			return -1;
		}
		if (slot_set_pid_set(&a->slots[SOURCE_EVENTS], a->pids.bit, NULL))
			return -1;
		slot_follow_pid_set(&a->slots[SOURCE_EVENTS], true);
		return follow_running(a, o->pid);
	}
	/* Armed first: one that starts while /proc is read is caught either way. */
	if (slot_set_pid_set(&a->slots[SOURCE_EVENTS], a->pids.bit, o->comm))
		return -1;
	slot_follow_pid_set(&a->slots[SOURCE_EVENTS], true);
	n = proc_find_comm_roots(o->comm, roots, sizeof(roots) / sizeof(roots[0]));
	if (!n) {
		if (!o->stream.quiet)
			fprintf(stderr, "observe-agent: waiting for the first exec of %.16s\n", o->comm);
		return 0;
	}
	if (slot_set_pid_set(&a->slots[SOURCE_EVENTS], a->pids.bit, NULL))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (follow_running(a, roots[i]))
			return -1;
	return 0;
}

static int open_readers(struct agent *a)
{
	reader_record_fn fns[NR_SOURCES] = { on_event, on_tls };

	for (unsigned s = 0; s < NR_SOURCES; s++) {
		int res;

		if (!a->have[s])
			continue;
		res = ring_reader_open(&a->readers[s], a->slots[s].ring_fd, RECORDS_PER_POLL, fns[s], a);
		if (res) {
			report_error("cannot read the ring of slot %u: %s", a->slots[s].index,
				     strerror(-res));
			return -1;
		}
	}
	return 0;
}

static bool still_loaded(struct agent *a)
{
	for (unsigned s = 0; s < NR_SOURCES; s++)
		if (a->have[s] && !slot_still_current(a->o->stream.pin_dir, &a->slots[s]))
			return false;
	return true;
}

/* 0 when it ended normally, 1 on an error. */
static int run(struct agent *a)
{
	const struct agent_options *o = a->o;
	uint64_t start = runloop_now_ms(), next_check = start;
	bool followed = !o->by_comm;	/* -c: the set may still wait for its first pid */
	int res = 0, err = 0;

	while (!runloop_stopping() && !timeline_done(&a->timeline)) {
		uint64_t now;

		res = ring_reader_poll(&a->readers[SOURCE_EVENTS], o->stream.poll_ms);
		/* Stamped before this, committed: read below. */
		now = reorder_now_ns();
		if (res >= 0)
			res = read_rings(a);
		if (res < 0) {
			report_error("reading the rings failed: %s", strerror(-res));
			err = 1;
			break;
		}
		report_drops(a, false);
		emit_ready(a, now, false);
		if (timeline_flush(&a->timeline))
			break;
		if (o->stream.duration_ms && runloop_now_ms() - start >= o->stream.duration_ms)
			break;
		if (runloop_now_ms() < next_check)
			continue;
		next_check = runloop_now_ms() + CHECK_MS;
		report_tamper(a);
		if (!still_loaded(a)) {
			report_error("observe was unloaded or reloaded with new objects at %s: "
				     "start the reader again", o->stream.pin_dir);
			err = 1;
			break;
		}
		/* -c: the set has had its first pid once the kernel stopped waiting.
		 * The exit event goes out before the exit hook deletes the pid. */
		if (!followed)
			followed = !slot_waits_for_comm(&a->slots[SOURCE_EVENTS]);
		if (followed && set_empty(a)) {
			if (!o->stream.quiet)
				fprintf(stderr, "observe-agent: every followed process has exited\n");
			break;
		}
	}
	/* What the rings hold goes out, in order, however it ended: the kernel
	 * stops writing first, so that nothing comes after the last read. */
	for (unsigned s = 0; s < NR_SOURCES; s++)
		if (a->have[s])
			slot_deactivate(&a->slots[s]);
	read_rings(a);
	emit_ready(a, 0, true);
	report_drops(a, false);
	report_tamper(a);
	if (a->push_err) {
		report_error("out of memory holding records in order");
		err = 1;
	}
	return timeline_finish(&a->timeline) || err;
}

int main(int argc, char **argv)
{
	struct agent_options o;
	struct observe_info info;
	struct slot_filter filter = {};
	struct agent a = { .o = &o, .pids = { .fd = -1 } };
	int err = 1;

	exit_if_version_asked(argc, argv);
	if (parse_options(argc, argv, &o))
		return 2;
	report_libbpf_setup(o.stream.verbose);
	runloop_init();
	if (pins_read_info(o.stream.pin_dir, &info))
		return 1;
	timeline_init(&a.timeline, o.stream.text, o.stream.count);
	/* Nothing passes until the set is ours: a bit of 0 matches no pid. */
	filter.types = o.types;
	filter.match = OBSERVE_SLOT_MATCH_PID_SET;
	if (slot_claim(o.stream.pin_dir, &slot_events, info.nr_slots, info.ring_size, &filter,
		       &a.slots[SOURCE_EVENTS]))
		goto out;
	a.have[SOURCE_EVENTS] = true;
	if (slot_pids_open(o.stream.pin_dir, 1u << a.slots[SOURCE_EVENTS].index, &a.pids))
		goto out;
	/* A reader of this slot that died may have left its bit behind. */
	slot_pids_purge(&a.pids);
	reorder_init(&a.order, o.reorder_ms * 1000000ull, REORDER_MAX_BYTES);
	claim_tls(&a);
	report_drops(&a, true);
	if (open_readers(&a) || seed(&a))
		goto out;
	if (a.no_tls_reason)
		timeline_note(&a.timeline, 0, 0, "", a.no_tls_reason);
	if (!o.stream.quiet) {
		fprintf(stderr, "observe-agent: streaming from slot %u", a.slots[SOURCE_EVENTS].index);
		if (a.have[SOURCE_TLS])
			fprintf(stderr, " and TLS slot %u", a.slots[SOURCE_TLS].index);
		fprintf(stderr, " of %s (Ctrl-C to stop)\n", o.stream.pin_dir);
	}
	err = run(&a);
out:
	if (a.have[SOURCE_EVENTS])
		slot_follow_pid_set(&a.slots[SOURCE_EVENTS], false);
	if (a.pids.fd >= 0) {
		slot_pids_purge(&a.pids);
		slot_pids_close(&a.pids);
	}
	for (unsigned s = 0; s < NR_SOURCES; s++) {
		if (!a.have[s])
			continue;
		if (a.readers[s].consumer)
			ring_reader_close(&a.readers[s]);
		slot_release(&a.slots[s]);
	}
	reorder_free(&a.order);
	timeline_free(&a.timeline);
	return err;
}
