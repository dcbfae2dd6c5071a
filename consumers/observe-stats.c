// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * observe-stats: the counters, per event type and per ring slot, summed or
 * per CPU, once or live. It reads pins only (no slot), so it runs beside any
 * number of readers. --dump shows every pinned map with its field names, the
 * view 'bpftool map dump' gives root, for members of the group.
 */
#include "events.h"
#include "filters.h"
#include "json.h"
#include "parse.h"
#include "pins.h"
#include "report.h"
#include "runloop.h"
#include "slot.h"
#include "stats.h"
#include "tls.h"
#include "version.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

static const char usage[] =
"Usage: observe-stats [OPTION...]\n"
"Show observe's counters: events per type, and per ring slot what was\n"
"delivered, dropped (ring full) and filtered.\n"
"\n"
"      --per-cpu          one row per CPU as well as the totals\n"
"  -j, --json             JSON instead of tables\n"
"  -w, --watch[=SECS]     print again every SECS seconds (default 1) until stopped\n"
"      --dump             every pinned map with its field names (as JSON)\n"
"      --pin-dir=DIR      where observe is pinned (default " OBSERVE_PIN_DIR_DEFAULT ")\n"
"  -h, --help             show this help\n"
"      --version          show the version\n"
"\n"
"Counters per type: seen (the event happened), filtered (global filters),\n"
"produced (offered to the readers), truncated, incomplete. Per slot:\n"
"delivered, dropped, filtered (by the reader's own filter), bytes, wakeups.\n"
"With TLS capture loaded: calls, bytes, captured, missing (not captured),\n"
"records, handshakes, lost_calls, server_names (SNI noted), and the counters\n"
"of each TLS slot.\n"
"\n"
"Examples:\n"
"  observe-stats\n"
"  observe-stats --watch=2 --per-cpu\n"
"  observe-stats --json | jq '.slots[].dropped'\n";

enum { OPT_DUMP = 256, OPT_PIN_DIR, OPT_PER_CPU };

static const struct option options[] = {
	{ "per-cpu", no_argument, NULL, OPT_PER_CPU },
	{ "json", no_argument, NULL, 'j' },
	{ "watch", optional_argument, NULL, 'w' },
	{ "dump", no_argument, NULL, OPT_DUMP },
	{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
	{ "help", no_argument, NULL, 'h' },
	{},
};

/* The counters' names, from their structs' lists; every field a __u64. */
static const char *const type_fields[] = { OBSERVE_TYPE_COUNTERS(OBSERVE_COUNTER_NAME) };
static const char *const slot_fields[] = { OBSERVE_SLOT_COUNTERS(OBSERVE_COUNTER_NAME) };
static const char *const tls_fields[] = { OBSERVE_TLS_COUNTERS(OBSERVE_COUNTER_NAME) };
#define NR_TYPE_FIELDS (sizeof(type_fields) / sizeof(type_fields[0]))
#define NR_SLOT_FIELDS (sizeof(slot_fields) / sizeof(slot_fields[0]))
#define NR_TLS_FIELDS (sizeof(tls_fields) / sizeof(tls_fields[0]))
_Static_assert(NR_TYPE_FIELDS * sizeof(__u64) == sizeof(struct observe_type_stats), "type fields");
_Static_assert(NR_SLOT_FIELDS * sizeof(__u64) == sizeof(struct observe_slot_stats), "slot fields");
_Static_assert(NR_TLS_FIELDS * sizeof(__u64) == sizeof(struct observe_tls_stats), "TLS fields");

/* Room for the counters of the largest of them. */
union any_counters {
	struct observe_type_stats type;
	struct observe_slot_stats slot;
	struct observe_tls_stats tls;
};
#define MAX_FIELDS (sizeof(union any_counters) / sizeof(__u64))

struct pins {
	const char *dir;
	struct observe_info info;
	int stats_fd, slot_stats_fd, slot_cfg_fd, readers_fd;
	/* TLS capture, when loaded: its counters are readable by group observe. */
	struct observe_tls_info tls_info;
	int tls_stats_fd, tls_slot_stats_fd;
};

struct options {
	bool per_cpu, json, dump;
	uint64_t watch_ms;
};

/* Counters of one key: totals and, per CPU, ncpus * nfields values. */
struct counters {
	uint64_t sum[MAX_FIELDS];
	uint64_t *percpu;
};

static int read_counters(int fd, uint32_t key, size_t nfields, struct counters *c)
{
	int err = stats_read(fd, key, nfields, c->percpu, c->sum);

	if (err)
		report_error("cannot read counters: %s", strerror(-err));
	return err;
}

static void counters_json(struct json_writer *w, const char *const *names, size_t nfields,
			  const struct counters *c, bool per_cpu)
{
	for (size_t f = 0; f < nfields; f++)
		json_kv_u64(w, names[f], c->sum[f]);
	if (!per_cpu)
		return;
	json_key(w, "per_cpu");
	json_array_begin(w);
	for (int cpu = 0; cpu < stats_ncpus(); cpu++) {
		json_object_begin(w);
		json_kv_u64(w, "cpu", cpu);
		for (size_t f = 0; f < nfields; f++)
			json_kv_u64(w, names[f], c->percpu[cpu * nfields + f]);
		json_object_end(w);
	}
	json_array_end(w);
}

static void print_row(const char *label, const uint64_t *v, size_t n)
{
	printf("  %-14s", label);
	for (size_t f = 0; f < n; f++)
		printf(" %12llu", (unsigned long long)v[f]);
	printf("\n");
}

static void print_header(const char *first, const char *const *names, size_t n)
{
	printf("  %-14s", first);
	for (size_t f = 0; f < n; f++)
		printf(" %12s", names[f]);
	printf("\n");
}

static void print_per_cpu(const struct counters *c, size_t nfields)
{
	char label[32];

	for (int cpu = 0; cpu < stats_ncpus(); cpu++) {
		snprintf(label, sizeof(label), "  cpu%d", cpu);
		print_row(label, c->percpu + cpu * nfields, nfields);
	}
}

/* TLS capture's counters and its slots' (their readers are group observe-tls's). */
static int show_tls(const struct pins *p, const struct options *o, struct json_writer *w,
		    struct counters *c)
{
	char label[32];

	if (read_counters(p->tls_stats_fd, 0, NR_TLS_FIELDS, c))
		return -1;
	if (o->json) {
		json_key(w, "tls");
		json_object_begin(w);
		counters_json(w, tls_fields, NR_TLS_FIELDS, c, o->per_cpu);
		json_key(w, "slots");
		json_array_begin(w);
	} else {
		print_header("tls", tls_fields, NR_TLS_FIELDS);
		print_row("", c->sum, NR_TLS_FIELDS);
		if (o->per_cpu)
			print_per_cpu(c, NR_TLS_FIELDS);
		print_header("TLS slot", slot_fields, NR_SLOT_FIELDS);
	}
	for (unsigned s = 0; s < p->tls_info.nr_slots && s < OBSERVE_MAX_SLOTS; s++) {
		if (read_counters(p->tls_slot_stats_fd, s, NR_SLOT_FIELDS, c))
			return -1;
		if (o->json) {
			json_object_begin(w);
			json_kv_u64(w, "slot", s);
			counters_json(w, slot_fields, NR_SLOT_FIELDS, c, o->per_cpu);
			json_object_end(w);
			continue;
		}
		snprintf(label, sizeof(label), "%u", s);
		print_row(label, c->sum, NR_SLOT_FIELDS);
		if (o->per_cpu)
			print_per_cpu(c, NR_SLOT_FIELDS);
	}
	if (o->json) {
		json_array_end(w);
		json_object_end(w);
	}
	return 0;
}

static int show(const struct pins *p, const struct options *o, struct json_writer *w)
{
	struct counters c = { .percpu = calloc((size_t)stats_ncpus() * MAX_FIELDS, sizeof(uint64_t)) };
	char loaded[64], label[64];
	time_t at = p->info.loaded_at;
	int err = -1;

	if (!c.percpu)
		return report_error("out of memory"), -1;
	strftime(loaded, sizeof(loaded), "%Y-%m-%dT%H:%M:%SZ", gmtime(&at));
	if (o->json) {
		json_object_begin(w);
		json_kv_cstr(w, "pin_dir", p->dir);
		json_kv_cstr(w, "loaded_at", loaded);
		json_kv_u64(w, "slots_total", p->info.nr_slots);
		json_kv_u64(w, "ring_size", p->info.ring_size);
		json_key(w, "types");
		json_array_begin(w);
	} else {
		printf("observe at %s: loaded %s on %s, %u slots of %llu KiB\n", p->dir, loaded,
		       p->info.kernel_release, p->info.nr_slots,
		       (unsigned long long)p->info.ring_size >> 10);
		print_header("type", type_fields, NR_TYPE_FIELDS);
	}
	for (unsigned t = 1; t < OBSERVE_EV_COUNT; t++) {
		uint64_t shown = event_types_streamed() |
				 (p->tls_info.nr_slots ? event_types_tls() : 0);

		if (!(shown & (1ULL << t)))
			continue;	/* an aggregate: observe-hist shows it */
		if (read_counters(p->stats_fd, t, NR_TYPE_FIELDS, &c))
			goto out;
		if (o->json) {
			json_object_begin(w);
			json_kv_cstr(w, "type", event_type_name(t));
			counters_json(w, type_fields, NR_TYPE_FIELDS, &c, o->per_cpu);
			json_object_end(w);
		} else {
			print_row(event_type_name(t), c.sum, NR_TYPE_FIELDS);
			if (o->per_cpu)
				print_per_cpu(&c, NR_TYPE_FIELDS);
		}
	}
	if (o->json) {
		json_array_end(w);
		json_key(w, "slots");
		json_array_begin(w);
	} else {
		print_header("slot", slot_fields, NR_SLOT_FIELDS);
	}
	for (unsigned s = 0; s < p->info.nr_slots; s++) {
		struct observe_slot_cfg cfg;
		uint32_t holder;
		enum slot_state state = slot_state_of(p->dir, &slot_events, s, p->slot_cfg_fd,
						      p->readers_fd, &cfg, &holder);

		if (read_counters(p->slot_stats_fd, s, NR_SLOT_FIELDS, &c))
			goto out;
		if (o->json) {
			json_object_begin(w);
			json_kv_u64(w, "slot", s);
			json_kv_cstr(w, "state", slot_state_name(state));
			if (holder)
				json_kv_u64(w, "reader_pid", holder);
			counters_json(w, slot_fields, NR_SLOT_FIELDS, &c, o->per_cpu);
			json_object_end(w);
			continue;
		}
		if (holder)
			snprintf(label, sizeof(label), "%u %s %u", s, slot_state_name(state), holder);
		else
			snprintf(label, sizeof(label), "%u %s", s, slot_state_name(state));
		print_row(label, c.sum, NR_SLOT_FIELDS);
		if (o->per_cpu)
			print_per_cpu(&c, NR_SLOT_FIELDS);
	}
	if (o->json)
		json_array_end(w);
	if (p->tls_info.nr_slots && show_tls(p, o, w, &c))
		goto out;
	if (o->json)
		json_object_end(w);
	err = 0;
out:
	free(c.percpu);
	return err;
}

/* Every pinned map, with field names, as one JSON object. */
static int dump(const struct pins *p, struct json_writer *w)
{
	struct options all = { .json = true, .per_cpu = true };
	struct filters f;
	__u32 zero = 0;
	struct observe_sequence seq = {};
	uint64_t *percpu;
	int fd;

	json_object_begin(w);
	json_key(w, "observe_info");
	json_object_begin(w);
	json_kv_u64(w, "abi_version", p->info.abi_version);
	json_kv_u64(w, "nr_slots", p->info.nr_slots);
	json_kv_u64(w, "ring_size", p->info.ring_size);
	json_kv_u64(w, "loaded_at", p->info.loaded_at);
	json_kv_u64(w, "collectors", p->info.collectors);
	json_kv_u64(w, "argv_max", p->info.argv_max);
	json_kv_u64(w, "load_count", p->info.load_count);
	json_kv_str(w, "kernel_release", p->info.kernel_release,
		    strnlen(p->info.kernel_release, sizeof(p->info.kernel_release)));
	json_object_end(w);

	fd = pins_open_map(p->dir, PIN_SEQUENCE, PIN_READ);
	if (fd < 0)
		return -1;
	percpu = calloc(stats_ncpus(), sizeof(*percpu));
	if (!percpu || stats_read(fd, zero, 1, percpu, (uint64_t *)&seq.next)) {
		free(percpu);
		close(fd);
		return report_error("cannot read %s/%s", p->dir, PIN_SEQUENCE), -1;
	}
	close(fd);
	/* The sum: events numbered on all CPUs; then each CPU's next. */
	json_key(w, "observe_sequence");
	json_object_begin(w);
	json_kv_u64(w, "next", seq.next);
	json_key(w, "per_cpu");
	json_array_begin(w);
	for (int cpu = 0; cpu < stats_ncpus(); cpu++)
		json_u64(w, percpu[cpu]);
	json_array_end(w);
	json_object_end(w);
	free(percpu);

	if (filters_open(&f, p->dir, PIN_READ))
		return -1;
	json_key(w, "observe_filter");
	if (filters_json(&f, w)) {
		filters_close(&f);
		return -1;
	}
	filters_close(&f);

	json_key(w, "observe_slot_cfg");
	json_array_begin(w);
	for (unsigned s = 0; s < p->info.nr_slots; s++) {
		struct observe_slot_cfg cfg = {};
		__u32 key = s;

		bpf_map_lookup_elem(p->slot_cfg_fd, &key, &cfg);
		json_object_begin(w);
		json_kv_u64(w, "slot", s);
		json_kv_bool(w, "active", slot_is_active(p->readers_fd, s));
		json_kv_u64(w, "owner_pid", cfg.owner_pid);
		json_kv_u64(w, "generation", cfg.generation);
		json_kv_u64(w, "types", cfg.types);
		json_kv_u64(w, "wakeup_bytes", cfg.wakeup_bytes);
		json_kv_u64(w, "cgroup_id", cfg.cgroup_id);
		json_kv_u64(w, "match", cfg.match);
		json_kv_u64(w, "pid", cfg.pid);
		json_kv_u64(w, "uid", cfg.uid);
		json_kv_str(w, "comm", cfg.comm, strnlen(cfg.comm, sizeof(cfg.comm)));
		json_object_end(w);
	}
	json_array_end(w);
	json_key(w, "counters");
	if (show(p, &all, w))
		return -1;
	json_object_end(w);
	return 0;
}

/* TLS counters, when TLS capture is loaded (tls_info.nr_slots stays 0 if not). */
static int open_tls(struct pins *p)
{
	if (pins_read_tls_info(p->dir, &p->tls_info))
		return -1;
	if (!p->tls_info.nr_slots)
		return 0;
	p->tls_stats_fd = pins_open_map(p->dir, PIN_TLS_STATS, PIN_READ);
	if (p->tls_stats_fd < 0)
		return -1;
	p->tls_slot_stats_fd = pins_open_map(p->dir, PIN_TLS_SLOT_STATS, PIN_READ);
	return p->tls_slot_stats_fd < 0 ? -1 : 0;
}

static int parse_options(int argc, char **argv, struct options *o, const char **pin_dir)
{
	char err[PARSE_ERR_LEN];
	int opt;

	memset(o, 0, sizeof(*o));
	while ((opt = getopt_long(argc, argv, "Cjw::h", options, NULL)) != -1) {
		switch (opt) {
		case 'C': parse_warn_old_letter('C', "--per-cpu"); /* fall through */
		case OPT_PER_CPU: o->per_cpu = true; break;
		case 'j': o->json = true; break;
		case 'w':
			o->watch_ms = 1000;
			if (optarg && parse_seconds(optarg, &o->watch_ms, err)) {
				report_error("%s", err);
				return -1;
			}
			break;
		case OPT_DUMP: o->dump = true; break;
		case OPT_PIN_DIR: *pin_dir = optarg; break;
		case 'h': fputs(usage, stdout); exit(0);
		default:
			fprintf(stderr, "Try 'observe-stats --help'.\n");
			return -1;
		}
	}
	if (parse_no_operands(argc, argv))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	exit_if_version_asked(argc, argv);
	struct pins p = { .stats_fd = -1, .slot_stats_fd = -1, .slot_cfg_fd = -1,
			  .readers_fd = -1, .tls_stats_fd = -1, .tls_slot_stats_fd = -1 };
	const char *pin_dir = NULL;
	struct json_writer w;
	struct options o;
	int err = 1;

	if (parse_options(argc, argv, &o, &pin_dir))
		return 2;
	p.dir = pins_dir(pin_dir);
	report_libbpf_setup(false);
	runloop_init();
	if (pins_read_info(p.dir, &p.info))
		return 1;
	p.stats_fd = pins_open_map(p.dir, PIN_STATS, PIN_READ);
	p.slot_stats_fd = p.stats_fd < 0 ? -1 : pins_open_map(p.dir, PIN_SLOT_STATS, PIN_READ);
	p.slot_cfg_fd = p.slot_stats_fd < 0 ? -1 : pins_open_map(p.dir, PIN_SLOT_CFG, PIN_READ);
	p.readers_fd = p.slot_cfg_fd < 0 ? -1 : pins_open_map(p.dir, PIN_READERS, PIN_READ);
	if (p.readers_fd < 0)
		goto out;
	if (open_tls(&p))
		goto out;
	pins_warn_frozen(p.dir);

	json_init(&w);
	for (;;) {
		bool tty = isatty(STDOUT_FILENO);

		json_reset(&w);
		if (o.watch_ms && tty && !o.json && !o.dump)
			printf("\033[H\033[J");	/* redraw in place */
		if (o.dump ? dump(&p, &w) : show(&p, &o, &w))
			break;
		if (w.len)
			printf("%.*s\n", (int)w.len, w.buf);
		if (fflush(stdout) || !o.watch_ms) {
			err = ferror(stdout) ? 1 : 0;
			break;
		}
		for (uint64_t until = runloop_now_ms() + o.watch_ms;
		     !runloop_stopping() && runloop_now_ms() < until;)
			usleep(20000);
		if (runloop_stopping()) {
			err = 0;
			break;
		}
	}
	json_free(&w);
out:
	if (p.stats_fd >= 0)
		close(p.stats_fd);
	if (p.slot_stats_fd >= 0)
		close(p.slot_stats_fd);
	if (p.slot_cfg_fd >= 0)
		close(p.slot_cfg_fd);
	if (p.readers_fd >= 0)
		close(p.readers_fd);
	if (p.tls_stats_fd >= 0)
		close(p.tls_stats_fd);
	if (p.tls_slot_stats_fd >= 0)
		close(p.tls_slot_stats_fd);
	return err;
}
