// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * observe-events: claims a ring slot, sets its filter, and prints each event
 * as one JSON object per line. Lost events are never silent: a "gap" record
 * says how many the slot dropped.
 */
#include "decode.h"
#include "events.h"
#include "json.h"
#include "parse.h"
#include "pins.h"
#include "report.h"
#include "runloop.h"
#include "slot.h"
#include "slot_pids.h"
#include "stream.h"
#include "container.h"
#include "version.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const char usage[] =
"Usage: observe-events [OPTION...]\n"
"Stream observe's events as JSON lines, one object per event.\n"
"\n"
"  -p, --pid=PID          only this process\n"
"  -c, --comm=COMM        only tasks with this command name (at most 15 bytes)\n"
"  -u, --uid=USER         only this user (name or number)\n"
"  -t, --types=LIST       only these event types: exec, fork, exit, open, connect,\n"
"                         accept, tcp_close, oom_kill, or a collector: process,\n"
"                         files, net, memory; all (TLS plaintext: observe-tls)\n"
"      --cgroup=PATH      only this cgroup v2 (path, or relative to the cgroup2 mount)\n"
"      --container=ID     only this container (an id or its prefix), found now\n"
"      --exe=PATH         only processes whose image is this file (links\n"
"                         followed), as they exec, fork and exit\n"
"  -x, --failed           only failures (failed execs, non-zero exits)\n"
"  -n, --count=N          stop after N events\n"
STREAM_OUTPUT_HELP
"  -d, --duration=SECS    stop after SECS seconds\n"
"      --poll-ms=MS       how often to look for events (1-1000, default 50)\n"
"      --pin-dir=DIR      where observe is pinned (default " OBSERVE_PIN_DIR_DEFAULT ")\n"
"  -q, --quiet            no status line on stderr\n"
"  -v, --verbose          show libbpf's messages\n"
"  -h, --help             show this help\n"
"      --version          show the version\n"
"\n"
"Each line has time (UTC, ns), type, seq, pid, tid, ppid, uid, gid, comm,\n"
"cgroup_id, cgroup, start_ns, parent_start_ns, key, parent_key, host (and\n"
"container, container_runtime, pod_uid where the cgroup names them), and per\n"
"type: exec: filename, exe, prev_exe, argv, argc, ret (error); fork:\n"
"child_pid; exit: exit_code, signal, core_dumped, lifetime_ns; open: syscall,\n"
"path, flags, flag_names, mode (when creating), ret (the fd, or error);\n"
"connect, accept: family, protocol, local_addr, local_port, remote_addr,\n"
"remote_port, fd, ret, latency_ns (connect); tcp_close: the endpoints, origin,\n"
"last_state, duration_ns, bytes_sent, bytes_received; oom_kill: victim_pid,\n"
"victim_comm, victim_uid, its memory in kB, oom_score_adj. Bytes that are\n"
"not UTF-8 appear as \\udc80-\\udcff escapes (Python: surrogateescape).\n"
"A line {\"type\":\"gap\",\"lost\":N} reports N events this reader lost.\n"
"A line {\"type\":\"tamper\",...} says that someone meddled with its ring.\n"
"\n"
"Examples:\n"
"  observe-events                         every event\n"
"  observe-events -t exec -x              failed execs only\n"
"  observe-events -t open -x              failed opens only\n"
"  observe-events -c bash -n 10           the next 10 events of bash\n"
"  observe-events -d 5 | jq .argv         argv of 5 seconds of execs\n"
"  observe-events --exe /usr/bin/python3  what every python3 does\n";

enum { OPT_CGROUP = 256, OPT_CONTAINER, OPT_EXE };

static const struct option options[] = {
	STREAM_LONG_OPTIONS,
	{ "types", required_argument, NULL, 't' },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "container", required_argument, NULL, OPT_CONTAINER },
	{ "exe", required_argument, NULL, OPT_EXE },
	{ "failed", no_argument, NULL, 'x' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

/*
 * A slot matches one cgroup: the container's own, or, where its processes
 * live in a nested cgroup (podman's "container"), the deepest one found.
 */
static int container_slot_cgroup(const char *id, uint64_t *cgroup_id, char *err)
{
	uint64_t ids[64];
	const char *root = cgroup2_mount();
	int n;

	if (!root) {
		snprintf(err, PARSE_ERR_LEN, "no cgroup2 file system is mounted: no container to find");
		return -1;
	}
	n = container_cgroup_ids(root, id, ids, 64, err, PARSE_ERR_LEN);
	if (n < 0)
		return -1;
	if (n > 1)
		report_warn("container %s has %d cgroups: reading the last, %llu (observe-filter "
			    "allow container takes them all)", id, n, (unsigned long long)ids[n - 1]);
	*cgroup_id = ids[n - 1];
	return 0;
}

static struct stat exe_stat;	/* --exe's file */
static struct slot_exe exe_wanted;	/* the same, as the kernel names it */
static const char *exe_path;	/* --exe, or NULL */

/* --exe: the file the kernel will name, links followed. */
static int parse_exe(const char *path, char *err)
{
	struct stat st;

	if (stat(path, &st)) {
		snprintf(err, PARSE_ERR_LEN, "--exe '%s': %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, PARSE_ERR_LEN, "--exe '%s': not a regular file", path);
		return -1;
	}
	exe_stat = st;
	exe_wanted.kernel_dev = major(st.st_dev) << 20 | minor(st.st_dev);
	exe_wanted.ino = st.st_ino;
	return 0;
}

static int parse_options(int argc, char **argv, struct stream_options *o)
{
	char err[PARSE_ERR_LEN];
	int opt;

	stream_options_init(o, EVENT_TYPES_ALL);
	while ((opt = getopt_long(argc, argv, STREAM_SHORT_OPTIONS "t:xh", options, NULL)) != -1) {
		int shared = stream_parse_option(opt, optarg, o, err), bad = 0;

		if (shared > 0)
			continue;
		switch (shared < 0 ? 0 : opt) {
		case 0:
			bad = -1;	/* a bad value of a shared option: err says which */
			break;
		case 't':
			bad = parse_types(optarg, &o->filter.types, err);
			/* "all" means every type this reader may stream; TLS named
			 * on its own is another reader's. */
			if (!bad && strstr(optarg, "tls")) {
				snprintf(err, sizeof(err), "'%s': TLS plaintext is read with observe-tls "
					 "(group observe-tls)", optarg);
				bad = -1;
			}
			o->filter.types &= ~event_types_tls();
			if (!bad && !(o->filter.types & event_types_streamed())) {
				snprintf(err, sizeof(err), "'%s' is counted in maps, not streamed: "
					 "observe-hist shows it", optarg);
				bad = -1;
			}
			break;
		case OPT_CGROUP:
			bad = parse_cgroup(optarg, &o->filter.cgroup_id, err);
			o->filter.match |= OBSERVE_SLOT_MATCH_CGROUP;
			break;
		case OPT_CONTAINER:
			bad = container_slot_cgroup(optarg, &o->filter.cgroup_id, err);
			o->filter.match |= OBSERVE_SLOT_MATCH_CGROUP;
			break;
		case OPT_EXE:
			bad = parse_exe(optarg, err);
			exe_path = optarg;
			break;
		case 'x':
			o->filter.match |= OBSERVE_SLOT_FAILED_ONLY;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fprintf(stderr, "Try 'observe-events --help'.\n");
			return -1;
		}
		if (bad) {
			report_error("%s", err);
			return -1;
		}
	}
	return stream_options_end(argc, argv, o);
}

/* One event, one line. */
static int format_event(struct stream *st, const void *data, size_t len)
{
	if (decode_event_json(&st->json, data, len, &st->clock))
		return -EINVAL;
	json_end_line(&st->json);
	return 1;
}

/*
 * --exe: this slot's own pid set (observe_slot_pids), which the kernel keeps
 * as the processes of the file exec, fork and exit; armed first, then seeded
 * with those that run it now, so that none starting meanwhile is missed.
 */
static int follow_exe(const char *pin_dir, struct slot *slot, struct slot_pids *pids)
{
	uint32_t bit = 1u << slot->index;
	struct exe_holders found;

	if (slot_pids_open(pin_dir, bit, pids))
		return -1;
	slot_pids_purge(pids);
	if (slot_set_exe_pid_set(slot, bit, &exe_wanted)) {
		slot_pids_close(pids);
		return -1;
	}
	slot_follow_pid_set(slot, true);
	found = slot_pids_add_exe_holders(pids, exe_stat.st_dev, exe_stat.st_ino);
	if (found.unchecked)
		report_warn("--exe %s: %u running processes of other users could not be checked; "
			    "they are read once they exec it", exe_path, found.unchecked);
	return 0;
}

int main(int argc, char **argv)
{
	exit_if_version_asked(argc, argv);
	struct slot_pids exe_pids = {};
	struct stream st = {};
	struct observe_info info;
	struct stream_options o;
	int err;

	if (parse_options(argc, argv, &o))
		return 2;
	report_libbpf_setup(o.verbose);
	runloop_init();
	if (pins_read_info(o.pin_dir, &info))
		return 1;
	if (slot_claim(o.pin_dir, &slot_events, info.nr_slots, info.ring_size, &o.filter, &st.slot))
		return 1;
	if (exe_path && follow_exe(o.pin_dir, &st.slot, &exe_pids)) {
		slot_release(&st.slot);
		return 1;
	}
	stream_init(&st, "observe-events", format_event, NULL, o.count);
	err = stream_run(&st, &o);
	if (exe_path) {
		slot_follow_pid_set(&st.slot, false);
		slot_pids_purge(&exe_pids);
		slot_pids_close(&exe_pids);
	}
	slot_release(&st.slot);
	stream_free(&st);
	/* A reader whose pipe closed (| head) has done its job. */
	return err;
}
