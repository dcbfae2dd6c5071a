// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * observe-exporter: the pinned counters, tables and histograms in the
 * Prometheus text format over HTTP (libmicrohttpd). Every scrape opens the
 * pins afresh and reads them, so it follows a reload or an unload and needs
 * no ring slot: it runs beside any number of readers.
 *
 * One libmicrohttpd thread serves every request, so scrapes never overlap
 * and the scrape state needs no lock.
 */
#include "cgroup_names.h"
#include "container.h"
#include "details.h"
#include "events.h"
#include "parse.h"
#include "pins.h"
#include "profile.h"
#include "prom.h"
#include "report.h"
#include "runloop.h"
#include "snapshot.h"
#include "stats.h"
#include "syscall_names.h"
#include "tls.h"
#include "topn.h"
#include "version.h"
#include "sock_peer.h"
#include "web_auth.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <microhttpd.h>

static const char usage[] =
"Usage: observe-exporter [OPTION...]\n"
"Serve observe's counters, tables and histograms to Prometheus at\n"
"http://ADDRESS:PORT/metrics. Each scrape reads the pinned maps; no ring\n"
"slot is taken.\n"
"\n"
"  -l, --listen=ADDR:PORT numeric address and port (default 127.0.0.1:9477;\n"
"                         [::1]:9477 for IPv6)\n"
"  -N, --top=N            series per table: the N syscalls, commands and\n"
"                         cgroups with the most counts, the rest summed in\n"
"                         one \"other\" series (default 20)\n"
"      --pin-dir=DIR      where observe is pinned (default " OBSERVE_PIN_DIR_DEFAULT ")\n"
"      --syscall-latency  keep the syscall latency histograms and the\n"
"                         per-process table filled while the exporter runs\n"
"                         (they cost a second program on every syscall);\n"
"                         page faults per process and run-queue latency are\n"
"                         kept filled whenever it runs (observe_detail_on)\n"
"\n"
"Who may scrape (the metrics name commands; every local user can connect to\n"
"loopback): one of these is needed.\n"
"      --token-file=FILE  a bearer token (Prometheus: authorization:\n"
"                         credentials_file), one line of 16 or more characters\n"
"      --users-file=FILE  user:hash lines, the hash as crypt(3) makes it\n"
"                         (htpasswd -nB USER; Prometheus: basic_auth)\n"
"      --no-auth          let anyone who can connect read the metrics\n"
"  Secret files must not be readable by every user (e.g. 0640 root:observe).\n"
"      --tls-cert=FILE    serve HTTPS with this PEM certificate (chain) ...\n"
"      --tls-key=FILE     ... and this PEM key\n"
"      --max-per-client=N connections one client may hold open (default 4): a\n"
"                         local user (by the connecting socket's owner) or a\n"
"                         remote address\n"
"  -h, --help             show this help\n"
"      --version          show the version\n"
"\n"
"Examples:\n"
"  observe-exporter --token-file /etc/observe/exporter.token\n"
"  observe-exporter --listen 127.0.0.1:9100 --top 50 --users-file /etc/observe/exporter.users\n"
"  curl -s -H \"Authorization: Bearer $(cat /etc/observe/exporter.token)\" \\\n"
"       http://127.0.0.1:9477/metrics | grep observe_events_produced_total\n";

enum { OPT_PIN_DIR = 256, OPT_TOKEN_FILE, OPT_USERS_FILE, OPT_NO_AUTH, OPT_TLS_CERT, OPT_TLS_KEY,
       OPT_MAX_PER_CLIENT, OPT_SYSCALL_LATENCY };

static const struct option options[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "top", required_argument, NULL, 'N' },
	{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
	{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
	{ "users-file", required_argument, NULL, OPT_USERS_FILE },
	{ "no-auth", no_argument, NULL, OPT_NO_AUTH },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "max-per-client", required_argument, NULL, OPT_MAX_PER_CLIENT },
	{ "syscall-latency", no_argument, NULL, OPT_SYSCALL_LATENCY },
	{ "help", no_argument, NULL, 'h' },
	{},
};

#define DEFAULT_LISTEN "127.0.0.1:9477"
#define NS 1e-9			/* nanoseconds in the base unit, seconds */
#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#define LABEL_LEN TOPN_LABEL_LEN
#define MAX_CONNECTIONS 64
#define IDLE_TIMEOUT_S 10

/* Who holds a connection: a local user, or a remote address. */
struct client {
	bool in_use, local;
	uint32_t uid;
	struct sockaddr_storage addr;
};

struct exporter {
	const char *dir;
	unsigned top;
	struct prom_writer out;
	struct snapshot snap;
	struct topn syscalls, procs, faults, cgroups;	/* which rows have series */
	struct cgroup_names *cgroup_names;	/* made at the first per-cgroup row */
	uint64_t scrapes, errors;
	char error[512];	/* of this scrape */
	char last_error[512];	/* logged once until it changes */
	struct web_auth auth;
	bool no_auth;
	bool syscall_latency;	/* held on while running (details.h) */
	uint16_t port;
	unsigned max_per_client;
	struct client clients[MAX_CONNECTIONS];	/* one per open connection */
	struct client accepted;		/* the one just accepted, until it starts */
};

static int rows_by_label(const void *a, const void *b)
{
	return strcmp(((const struct topn_row *)a)->label, ((const struct topn_row *)b)->label);
}

/* Sums rows with the same label (rows without histograms); returns how
 * many rows are left. */
static size_t merge_by_label(struct topn_row *rows, size_t n)
{
	size_t out = 0;

	qsort(rows, n, sizeof(*rows), rows_by_label);
	for (size_t i = 0; i < n; i++) {
		if (out && !strcmp(rows[out - 1].label, rows[i].label)) {
			rows[out - 1].count += rows[i].count;
			rows[out - 1].errors += rows[i].errors;
			rows[out - 1].total_ns += rows[i].total_ns;
		} else {
			rows[out++] = rows[i];
		}
	}
	return out;
}

/* A command as a label: never empty, never "other", always UTF-8. */
static void comm_label(char *buf, const char comm[OBSERVE_COMM_LEN])
{
	char clean[LABEL_LEN];

	prom_clean_utf8(clean, sizeof(clean), comm, OBSERVE_COMM_LEN);
	if (!clean[0] || !strcmp(clean, "other"))
		snprintf(buf, LABEL_LEN, "[%.*s]", LABEL_LEN - 3, clean);
	else
		snprintf(buf, LABEL_LEN, "%s", clean);
}

enum column { COL_COUNT, COL_ERRORS, COL_SECONDS, COL_HIST };

struct family {
	const char *name, *type, *help;
	enum column column;
};

/* The families of one table: the rows with a place in 't', then "other". */
/* Labels a row has beside its key: name, value pairs, ended by NULL. */
struct row_labels {
	const char *kv[5];
};

static int write_table(struct exporter *e, struct topn *t, const char *label,
		       struct topn_row *rows, size_t n, const struct family *families, unsigned nf,
		       const struct row_labels *extra)
{
	struct observe_hist other_hist = {};
	struct topn_row other = { .label = "other", .hist = &other_hist };
	bool *own = calloc(n + 1, sizeof(*own));
	size_t others = 0;

	if (!own || topn_update(t, rows, n, own, &other)) {
		free(own);
		return report_error("out of memory"), -1;
	}
	for (size_t i = 0; i < n; i++)
		others += !own[i];
	for (unsigned f = 0; f < nf; f++) {
		const char *name = families[f].name;

		prom_family(&e->out, name, families[f].type, families[f].help);
		for (size_t i = 0; i <= n; i++) {
			const struct topn_row *r = i < n ? &rows[i] : &other;
			static const struct row_labels none;
			const char *const *x = (i < n && extra ? &extra[i] : &none)->kv;

			/* "other" once it has anything: it never goes away. */
			if (i < n ? !own[i] : !others && !other.count)
				continue;
			switch (families[f].column) {
			case COL_COUNT:
				prom_u64(&e->out, name, r->count, label, r->label, x[0], x[1], x[2], x[3], NULL);
				break;
			case COL_ERRORS:
				prom_u64(&e->out, name, r->errors, label, r->label, x[0], x[1], x[2], x[3], NULL);
				break;
			case COL_SECONDS:
				prom_double(&e->out, name, r->total_ns * NS, label, r->label, x[0], x[1], x[2],
					    x[3], NULL);
				break;
			case COL_HIST:
				prom_hist(&e->out, name, r->hist, NS, label, r->label, x[0], x[1], x[2], x[3],
					  NULL);
				break;
			}
		}
	}
	free(own);
	return 0;
}

/* The links of a detail's programs attached now (details/NAME/link-PROG). */
static unsigned detail_links(const char *dir, unsigned detail)
{
	const struct detail *dt = &observe_details[detail];
	char path[4096];
	unsigned n = 0;

	for (unsigned i = 0; i < DETAIL_MAX_PROGRAMS && dt->programs[i]; i++)
		if (details_link_path(path, sizeof(path), dir, detail, dt->programs[i]) &&
		    !access(path, F_OK))
			n++;
	return n;
}

/* Attached programs per collector: the link pins (links/<collector>-<program>),
 * whose names the group may list, and those of the details on. */
static void write_attached(struct exporter *e, const struct observe_info *info)
{
	unsigned counts[OBSERVE_COLLECTOR_COUNT] = {};
	char path[4096];
	struct dirent *de;
	DIR *d;

	if (!pins_path(path, sizeof(path), e->dir, OBSERVE_LINKS_SUBDIR) || !(d = opendir(path)))
		return;
	while ((de = readdir(d))) {
		for (unsigned c = 0; c < OBSERVE_COLLECTOR_COUNT; c++) {
			size_t n = strlen(collector_name(c));

			if (!strncmp(de->d_name, collector_name(c), n) && de->d_name[n] == '-')
				counts[c]++;
		}
	}
	closedir(d);
	for (unsigned dt = 0; dt < OBSERVE_DETAIL_COUNT; dt++)
		counts[observe_details[dt].collector] += detail_links(e->dir, dt);
	prom_family(&e->out, "observe_attached_programs", "gauge",
		    "Programs attached (pinned links) per collector, a detail's while it is on; "
		    "the profiler has one per CPU.");
	for (unsigned c = 0; c < OBSERVE_COLLECTOR_COUNT; c++)
		if (info->collectors & (1ULL << c))
			prom_u64(&e->out, "observe_attached_programs", counts[c],
				 "collector", collector_name(c), NULL);
}

static void write_info(struct exporter *e, const struct observe_info *info)
{
	struct prom_writer *w = &e->out;
	char abi[16], release[OBSERVE_RELEASE_LEN];

	snprintf(abi, sizeof(abi), "%u", info->abi_version);
	snprintf(release, sizeof(release), "%s", info->kernel_release);
	prom_family(w, "observe_build_info", "gauge", "The exporter's own version (observe-exporter --version).");
	prom_u64(w, "observe_build_info", 1, "version", observe_version, NULL);
	prom_family(w, "observe_info", "gauge", "What observe-load set up: kernel release and ABI.");
	prom_u64(w, "observe_info", 1, "kernel_release", release, "abi_version", abi, NULL);
	prom_family(w, "observe_collector_loaded", "gauge",
		    "1 if observe-load attached the collector, else 0.");
	for (unsigned c = 0; c < OBSERVE_COLLECTOR_COUNT; c++)
		prom_u64(w, "observe_collector_loaded", !!(info->collectors & (1ULL << c)),
			 "collector", collector_name(c), NULL);
	write_attached(e, info);
	prom_family(w, "observe_ring_slots", "gauge", "Ring slots for readers.");
	prom_u64(w, "observe_ring_slots", info->nr_slots, NULL);
	prom_family(w, "observe_ring_slot_size_bytes", "gauge", "Size of each slot's ring.");
	prom_u64(w, "observe_ring_slot_size_bytes", info->ring_size, NULL);
	prom_family(w, "observe_loads_total", "counter",
		    "Runs of observe-load since the maps were created.");
	prom_u64(w, "observe_loads_total", info->load_count, NULL);
	prom_family(w, "observe_last_load_timestamp_seconds", "gauge",
		    "When observe-load last ran (Unix time).");
	prom_u64(w, "observe_last_load_timestamp_seconds", info->loaded_at, NULL);
}

/* One metric per field of a counter struct, in the struct's order. */
struct counter_metric {
	const char *name, *help;
};

static const struct counter_metric type_counters[] = {
	{ "observe_events_seen_total", "Events that happened while a reader was attached." },
	{ "observe_events_filtered_total", "Events dropped by a global filter or a type switched off." },
	{ "observe_events_produced_total", "Events built and offered to the ring slots (aggregates: counted into their maps)." },
	{ "observe_events_truncated_total", "Events with a field cut at its limit." },
	{ "observe_events_incomplete_total", "Events with a kernel read that failed." },
};
_Static_assert(sizeof(type_counters) / sizeof(type_counters[0]) ==
	       sizeof(struct observe_type_stats) / sizeof(__u64), "one metric per type counter");

static const struct counter_metric slot_counters[] = {
	{ "observe_slot_events_delivered_total", "Events written into the slot's ring." },
	{ "observe_slot_events_dropped_total", "Events lost by the slot, by reason." },
	{ "observe_slot_events_filtered_total", "Events the slot's reader did not ask for." },
	{ "observe_slot_delivered_bytes_total", "Bytes written into the slot's ring." },
	{ "observe_slot_wakeups_total", "Times the kernel woke the slot's reader." },
};
_Static_assert(sizeof(slot_counters) / sizeof(slot_counters[0]) ==
	       sizeof(struct observe_slot_stats) / sizeof(__u64), "one metric per slot counter");

static int write_counters(struct exporter *e, const struct observe_info *info)
{
	struct prom_writer *w = &e->out;
	struct observe_type_stats ts[OBSERVE_EV_COUNT] = {};
	struct observe_slot_stats ss[OBSERVE_MAX_SLOTS] = {};
	struct observe_readers readers = {};
	int stats_fd, slot_fd, readers_fd, ret = -1;
	__u32 zero = 0;

	stats_fd = pins_open_map(e->dir, PIN_STATS, PIN_READ);
	slot_fd = stats_fd < 0 ? -1 : pins_open_map(e->dir, PIN_SLOT_STATS, PIN_READ);
	readers_fd = slot_fd < 0 ? -1 : pins_open_map(e->dir, PIN_READERS, PIN_READ);
	if (readers_fd < 0)
		goto out;
	for (unsigned t = 1; t < OBSERVE_EV_COUNT; t++)
		if (stats_read(stats_fd, t, sizeof(ts[t]) / sizeof(__u64), NULL, (uint64_t *)&ts[t]))
			goto read_failed;
	for (unsigned i = 0; i < info->nr_slots; i++)
		if (stats_read(slot_fd, i, sizeof(ss[i]) / sizeof(__u64), NULL, (uint64_t *)&ss[i]))
			goto read_failed;
	if (bpf_map_lookup_elem(readers_fd, &zero, &readers))
		goto read_failed;

	for (unsigned f = 0; f < sizeof(type_counters) / sizeof(type_counters[0]); f++) {
		prom_family(w, type_counters[f].name, "counter", type_counters[f].help);
		for (unsigned t = 1; t < OBSERVE_EV_COUNT; t++) {
			const struct event_kind *k = event_kind_of(t);

			if (k && (info->collectors & (1ULL << k->collector)))
				prom_u64(w, type_counters[f].name, ((__u64 *)&ts[t])[f],
					 "collector", collector_name(k->collector), "type", k->name, NULL);
		}
	}
	for (unsigned f = 0; f < sizeof(slot_counters) / sizeof(slot_counters[0]); f++) {
		prom_family(w, slot_counters[f].name, "counter", slot_counters[f].help);
		for (unsigned i = 0; i < info->nr_slots; i++) {
			char slot[12];

			snprintf(slot, sizeof(slot), "%u", i);
			if (f == 1)	/* the ring is the one reason a slot drops */
				prom_u64(w, slot_counters[f].name, ((__u64 *)&ss[i])[f],
					 "slot", slot, "reason", "ring_full", NULL);
			else
				prom_u64(w, slot_counters[f].name, ((__u64 *)&ss[i])[f],
					 "slot", slot, NULL);
		}
	}
	prom_family(w, "observe_slot_reader_attached", "gauge",
		    "1 while a reader consumes the slot's ring.");
	for (unsigned i = 0; i < info->nr_slots; i++) {
		char slot[12];

		snprintf(slot, sizeof(slot), "%u", i);
		prom_u64(w, "observe_slot_reader_attached", !!(readers.mask & (1ULL << i)),
			 "slot", slot, NULL);
	}
	ret = 0;
	goto out;
read_failed:
	report_error("cannot read the counters: %s", strerror(errno));
out:
	if (stats_fd >= 0)
		close(stats_fd);
	if (slot_fd >= 0)
		close(slot_fd);
	if (readers_fd >= 0)
		close(readers_fd);
	return ret;
}

static const struct counter_metric tls_counters[] = {
	{ "observe_tls_calls_total", "TLS data calls that returned plaintext while a TLS reader was attached." },
	{ "observe_tls_bytes_total", "Plaintext bytes those calls moved." },
	{ "observe_tls_captured_bytes_total", "Plaintext bytes captured into records." },
	{ "observe_tls_missing_bytes_total", "Plaintext bytes not captured (beyond --tls-max, failed reads)." },
	{ "observe_tls_records_total", "TLS data records built, continuations included." },
	{ "observe_tls_handshakes_total", "TLS handshake calls seen." },
	{ "observe_tls_lost_calls_total", "TLS calls not followed: the table of calls in flight was full." },
	{ "observe_tls_server_names_total", "Server names (SNI) that TLS clients set, noted per connection." },
};
_Static_assert(sizeof(tls_counters) / sizeof(tls_counters[0]) ==
	       sizeof(struct observe_tls_stats) / sizeof(__u64), "one metric per TLS counter");

/* The TLS collector's counters and its slots' drops: readable by the readers'
 * group, while the plaintext is not. */
static int write_tls(struct exporter *e)
{
	struct prom_writer *w = &e->out;
	struct observe_tls_stats ts = {};
	struct observe_slot_stats ss = {};
	struct observe_tls_info info;
	int stats_fd, slot_fd = -1, ret = -1;

	if (pins_read_tls_info(e->dir, &info))
		return -1;
	stats_fd = pins_open_map(e->dir, PIN_TLS_STATS, PIN_READ);
	if (stats_fd < 0)
		return -1;
	if (stats_read(stats_fd, 0, sizeof(ts) / sizeof(__u64), NULL, (uint64_t *)&ts))
		goto read_failed;
	for (unsigned f = 0; f < sizeof(tls_counters) / sizeof(tls_counters[0]); f++) {
		prom_family(w, tls_counters[f].name, "counter", tls_counters[f].help);
		prom_u64(w, tls_counters[f].name, ((__u64 *)&ts)[f], NULL);
	}
	slot_fd = pins_open_map(e->dir, PIN_TLS_SLOT_STATS, PIN_READ);
	if (slot_fd < 0)
		goto out;
	prom_family(w, "observe_tls_slot_events_dropped_total", "counter",
		    "TLS records lost by the TLS slot, by reason.");
	for (unsigned i = 0; i < info.nr_slots; i++) {
		char slot[12];

		if (stats_read(slot_fd, i, sizeof(ss) / sizeof(__u64), NULL, (uint64_t *)&ss))
			goto read_failed;
		snprintf(slot, sizeof(slot), "%u", i);
		prom_u64(w, "observe_tls_slot_events_dropped_total", ss.dropped, "slot", slot,
			 "reason", "ring_full", NULL);
	}
	ret = 0;
	goto out;
read_failed:
	report_error("cannot read the TLS counters: %s", strerror(errno));
out:
	close(stats_fd);
	if (slot_fd >= 0)
		close(slot_fd);
	return ret;
}

static int write_syscalls(struct exporter *e, const struct snapshot *s)
{
	static const struct family families[] = {
		{ "observe_syscalls_total", "counter", "System calls made, by syscall (top N, then \"other\").", COL_COUNT },
		{ "observe_syscall_errors_total", "counter", "System calls that returned an error, by syscall.", COL_ERRORS },
		{ "observe_syscall_duration_seconds", "histogram", "Time from entry to exit of system calls, by syscall.", COL_HIST },
	};
	struct topn_row *rows = calloc(OBSERVE_SYSCALL_NR_MAX, sizeof(*rows));
	struct observe_hist *hists = calloc(OBSERVE_SYSCALL_NR_MAX, sizeof(*hists));
	size_t n = 0;
	int ret;

	if (!rows || !hists) {
		free(rows);
		free(hists);
		return report_error("out of memory"), -1;
	}
	for (unsigned nr = 0; nr < OBSERVE_SYSCALL_NR_MAX; nr++) {
		const char *name = syscall_name(nr);

		if (!s->sys[nr].count)
			continue;
		if (name)
			snprintf(rows[n].label, LABEL_LEN, "%s", name);
		else
			snprintf(rows[n].label, LABEL_LEN, "syscall_%u", nr);
		rows[n].count = s->sys[nr].count;
		rows[n].errors = s->sys[nr].errors;
		hists[n] = s->sys[nr].latency_ns;
		rows[n].hist = &hists[n];
		n++;
	}
	ret = write_table(e, &e->syscalls, "syscall", rows, n, families, 3, NULL);
	free(rows);
	free(hists);
	return ret;
}

static int write_processes(struct exporter *e, const struct snapshot *s)
{
	static const struct family families[] = {
		{ "observe_process_syscalls_total", "counter", "System calls made by the processes of a command (top N, then \"other\").", COL_COUNT },
		{ "observe_process_syscall_errors_total", "counter", "System calls that failed, by command.", COL_ERRORS },
		{ "observe_process_syscall_seconds_total", "counter", "Time spent in system calls, by command.", COL_SECONDS },
	};
	struct topn_row *rows = calloc(s->nr_procs + 1, sizeof(*rows));
	int ret;

	if (!rows)
		return report_error("out of memory"), -1;
	for (size_t i = 0; i < s->nr_procs; i++) {
		comm_label(rows[i].label, s->procs[i].v.comm);
		rows[i].count = s->procs[i].v.count;
		rows[i].errors = s->procs[i].v.errors;
		rows[i].total_ns = s->procs[i].v.total_ns;
	}
	ret = write_table(e, &e->procs, "comm", rows, merge_by_label(rows, s->nr_procs), families, 3,
			  NULL);
	free(rows);
	return ret;
}

static int write_faults(struct exporter *e, const struct snapshot *s)
{
	static const struct family families[] = {
		{ "observe_page_faults_total", "counter", "User page faults of the processes of a command (top N, then \"other\").", COL_COUNT },
	};
	struct topn_row *rows = calloc(s->nr_faults + 1, sizeof(*rows));
	int ret;

	if (!rows)
		return report_error("out of memory"), -1;
	for (size_t i = 0; i < s->nr_faults; i++) {
		comm_label(rows[i].label, s->faults[i].v.comm);
		rows[i].count = s->faults[i].v.faults;
	}
	ret = write_table(e, &e->faults, "comm", rows, merge_by_label(rows, s->nr_faults), families, 1,
			  NULL);
	free(rows);
	return ret;
}

static void write_block(struct exporter *e, const struct snapshot *s)
{
	static const char *const families[][3] = {
		{ "observe_block_io_duration_seconds", "histogram", "Block I/O requests from issue to the driver to completion, by disk." },
		{ "observe_block_io_bytes_total", "counter", "Bytes of completed block I/O, by disk." },
		{ "observe_block_io_errors_total", "counter", "Block I/O requests completed with an error, by disk." },
	};
	char (*disks)[64] = calloc(s->block.n + 1, sizeof(*disks));

	if (!disks) {
		e->out.failed = true;
		return;
	}
	for (size_t i = 0; i < s->block.n; i++)
		disk_name(s->block.rows[i].key, disks[i], sizeof(disks[i]));
	for (unsigned f = 0; f < 3; f++) {
		prom_family(&e->out, families[f][0], families[f][1], families[f][2]);
		for (size_t i = 0; i < s->block.n; i++) {
			const struct observe_block_stats *b = &s->block.rows[i].block;

			if (f == 0)
				prom_hist(&e->out, families[f][0], &b->latency_ns, NS, "device", disks[i], NULL);
			else
				prom_u64(&e->out, families[f][0], f == 1 ? b->bytes : b->errors,
					 "device", disks[i], NULL);
		}
	}
	free(disks);
}

struct cgroup_label {
	char path[LABEL_LEN];
	char container[CONTAINER_ID_LEN];
};

/* A cgroup id's path and the container it names, as labels: bounded by the
 * table's top N, unlike pids. A cgroup that is gone has its id alone. */
static void cgroup_labels(struct exporter *e, uint64_t id, struct cgroup_label *buf,
			  struct row_labels *labels)
{
	const char *path;
	struct container c;
	size_t k = 0;

	if (!e->cgroup_names)
		e->cgroup_names = cgroup_names_new(NULL);
	path = e->cgroup_names ? cgroup_names_path(e->cgroup_names, id) : NULL;
	if (!path)
		return;
	prom_clean_utf8(buf->path, sizeof(buf->path), path, strlen(path));
	labels->kv[k++] = "cgroup";
	labels->kv[k++] = buf->path;
	if (container_from_cgroup(path, &c)) {
		snprintf(buf->container, sizeof(buf->container), "%s", c.id);
		labels->kv[k++] = "container";
		labels->kv[k++] = buf->container;
	}
}

/* Key 0 is the whole machine; other keys are cgroups (--runq-per-cgroup). */
static int write_runq(struct exporter *e, const struct snapshot *s)
{
	static const struct family families[] = {
		{ "observe_cgroup_runqueue_latency_seconds", "histogram", "Run-queue latency by cgroup v2 id (top N by count, then \"other\").", COL_HIST },
	};
	struct topn_row *rows = calloc(s->runq.n + 1, sizeof(*rows));
	struct observe_hist *hists = calloc(s->runq.n + 1, sizeof(*hists));
	struct row_labels *labels = calloc(s->runq.n + 1, sizeof(*labels));
	struct cgroup_label *names = calloc(s->runq.n + 1, sizeof(*names));
	size_t n = 0;
	int ret;

	if (!rows || !hists || !labels || !names) {
		free(rows);
		free(hists);
		free(labels);
		free(names);
		return report_error("out of memory"), -1;
	}
	prom_family(&e->out, "observe_runqueue_latency_seconds", "histogram",
		    "Time tasks waited on a run queue, woken or preempted until running.");
	for (size_t i = 0; i < s->runq.n; i++) {
		const struct observe_hist *h = &s->runq.rows[i].runq.latency_ns;

		if (!s->runq.rows[i].key) {
			prom_hist(&e->out, "observe_runqueue_latency_seconds", h, NS, NULL);
			continue;
		}
		snprintf(rows[n].label, LABEL_LEN, "%llu", (unsigned long long)s->runq.rows[i].key);
		rows[n].count = h->count;
		hists[n] = *h;
		rows[n].hist = &hists[n];
		cgroup_labels(e, s->runq.rows[i].key, &names[n], &labels[n]);
		n++;
	}
	ret = n ? write_table(e, &e->cgroups, "cgroup_id", rows, n, families, 1, labels) : 0;
	free(rows);
	free(hists);
	free(labels);
	free(names);
	return ret;
}

/* Which details were on, and since when: a histogram or table holds what
 * happened while its detail was. */
static void write_details(struct exporter *e, const struct snapshot *s, const struct observe_info *info)
{
	prom_family(&e->out, "observe_detail_on", "gauge",
		    "1 while a costly part is filled: syscall-latency (syscall duration histograms, "
		    "per-process syscalls), page-faults (per command), runq-latency, block-latency.");
	for (unsigned d = 0; d < OBSERVE_DETAIL_COUNT; d++)
		if (info->collectors & (1ULL << observe_details[d].collector))
			prom_u64(&e->out, "observe_detail_on", (s->details.on >> d) & 1, "detail",
				 observe_details[d].name, NULL);
	prom_family(&e->out, "observe_detail_on_since_timestamp_seconds", "gauge",
		    "When a costly part that is on went on.");
	for (unsigned d = 0; d < OBSERVE_DETAIL_COUNT; d++)
		if (((s->details.on >> d) & 1) && s->details.since_ns[d])
			prom_double(&e->out, "observe_detail_on_since_timestamp_seconds",
				    s->details.since_ns[d] * NS, "detail", observe_details[d].name, NULL);
}

static int write_aggregates(struct exporter *e, const struct observe_info *info)
{
	struct snapshot_maps m;
	int ret = -1;

	snapshot_maps_init(&m);
	if (snapshot_open_maps(e->dir, info, &m) < 0 || snapshot_read(&m, &e->snap))
		goto out;
	write_details(e, &e->snap, info);
	if (m.syscalls_fd >= 0 && (write_syscalls(e, &e->snap) || write_processes(e, &e->snap)))
		goto out;
	if (m.faults_fd >= 0 && write_faults(e, &e->snap))
		goto out;
	if (m.block_fd >= 0)
		write_block(e, &e->snap);
	if (m.runq_fd >= 0 && write_runq(e, &e->snap))
		goto out;
	ret = 0;
out:
	snapshot_close_maps(&m);
	return ret;
}

/* The profiler's own counters; its stacks are observe-profile's business. */
static int write_profiler(struct exporter *e)
{
	struct prom_writer *w = &e->out;
	struct observe_profile_stats st;
	struct observe_profile_ctl ctl;
	int ctl_fd, stats_fd, ret = -1;
	__u32 zero = 0;

	ctl_fd = pins_open_map(e->dir, PIN_PROFILE_CTL, PIN_READ);
	stats_fd = ctl_fd < 0 ? -1 : pins_open_map(e->dir, PIN_PROFILE_STATS, PIN_READ);
	if (stats_fd < 0)
		goto out;
	if (bpf_map_lookup_elem(ctl_fd, &zero, &ctl) ||
	    stats_read(stats_fd, 0, sizeof(st) / sizeof(__u64), NULL, (uint64_t *)&st)) {
		report_error("cannot read the profiler's maps: %s", strerror(errno));
		goto out;
	}
	prom_family(w, "observe_profile_sampling", "gauge", "1 while an observe-profile samples.");
	prom_u64(w, "observe_profile_sampling", ctl.sampling, NULL);
	prom_family(w, "observe_profile_frequency_hertz", "gauge", "Samples per second per CPU while sampling.");
	prom_u64(w, "observe_profile_frequency_hertz", ctl.hz, NULL);
	prom_family(w, "observe_profile_samples_total", "counter",
		    "CPU samples taken, by what became of them.");
	prom_u64(w, "observe_profile_samples_total", st.counted, "outcome", "counted", NULL);
	prom_u64(w, "observe_profile_samples_total", st.idle, "outcome", "idle", NULL);
	prom_u64(w, "observe_profile_samples_total", st.lost_full, "outcome", "lost_table_full", NULL);
	prom_family(w, "observe_profile_lost_stacks_total", "counter",
		    "Stacks of counted samples that could not be kept (table full or collision).");
	prom_u64(w, "observe_profile_lost_stacks_total", st.lost_user_stacks, "stack", "user", NULL);
	prom_u64(w, "observe_profile_lost_stacks_total", st.lost_kernel_stacks, "stack", "kernel", NULL);
	ret = 0;
out:
	if (ctl_fd >= 0)
		close(ctl_fd);
	if (stats_fd >= 0)
		close(stats_fd);
	return ret;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) * 1e-9;
}

/* The whole exposition, into e->out. */
static void scrape(struct exporter *e)
{
	struct prom_writer *w = &e->out;
	struct observe_info info;
	struct timespec t0;
	bool up;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	prom_reset(w);
	e->scrapes++;
	report_capture(e->error, sizeof(e->error));
	up = !pins_read_info(e->dir, &info);
	if (up) {
		write_info(e, &info);
		up = !write_counters(e, &info) && !write_aggregates(e, &info) &&
		     (!(info.collectors & (1ULL << OBSERVE_COLLECTOR_PROFILE)) || !write_profiler(e)) &&
		     (!(info.collectors & (1ULL << OBSERVE_COLLECTOR_TLS)) || !write_tls(e));
	}
	report_capture(NULL, 0);
	if (!up) {
		e->errors++;
		if (strcmp(e->error, e->last_error))
			report_error("%s", e->error);
		memcpy(e->last_error, e->error, sizeof(e->last_error));
	} else if (e->last_error[0]) {
		fprintf(stderr, "observe-exporter: reading %s again\n", e->dir);
		e->last_error[0] = 0;
	}
	prom_family(w, "observe_up", "gauge", "1 if the last scrape read every pinned map, else 0.");
	prom_u64(w, "observe_up", up, NULL);
	prom_family(w, "observe_exporter_scrapes_total", "counter", "Scrapes served.");
	prom_u64(w, "observe_exporter_scrapes_total", e->scrapes, NULL);
	prom_family(w, "observe_exporter_scrape_errors_total", "counter",
		    "Scrapes that could not read every pinned map.");
	prom_u64(w, "observe_exporter_scrape_errors_total", e->errors, NULL);
	prom_family(w, "observe_exporter_scrape_duration_seconds", "gauge",
		    "Time this scrape took until this line.");
	prom_double(w, "observe_exporter_scrape_duration_seconds", seconds_since(&t0), NULL);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
			     const char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result refuse(struct MHD_Connection *c, const struct web_auth *auth)
{
	static const char body[] = "authentication required\n";
	struct MHD_Response *r = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body,
								 MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
	MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
				auth->nr_users ? "Basic realm=\"observe\"" : "Bearer");
	ret = MHD_queue_response(c, MHD_HTTP_UNAUTHORIZED, r);
	MHD_destroy_response(r);
	return ret;
}

/* A local user is known by the socket's owner: all of them share loopback. */
static void identify(struct exporter *e, const struct sockaddr *addr, socklen_t len,
		     struct client *who)
{
	memset(who, 0, sizeof(*who));
	who->in_use = true;
	if (len > sizeof(who->addr))
		len = sizeof(who->addr);
	if (sock_is_loopback(addr) && !sock_peer_uid(addr, e->port, &who->uid)) {
		who->local = true;
		return;
	}
	memcpy(&who->addr, addr, len);
	/* the port differs per connection: the address alone is the client */
	if (addr->sa_family == AF_INET)
		((struct sockaddr_in *)&who->addr)->sin_port = 0;
	else if (addr->sa_family == AF_INET6)
		((struct sockaddr_in6 *)&who->addr)->sin6_port = 0;
}

static bool same_client(const struct client *a, const struct client *b)
{
	return a->local == b->local &&
	       (a->local ? a->uid == b->uid : !memcmp(&a->addr, &b->addr, sizeof(a->addr)));
}

/* Holding many idle connections must not lock others out: a client gets
 * max_per_client of them. */
static enum MHD_Result accept_client(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct exporter *e = cls;
	unsigned held = 0;

	identify(e, addr, len, &e->accepted);
	for (unsigned i = 0; i < MAX_CONNECTIONS; i++)
		held += e->clients[i].in_use && same_client(&e->clients[i], &e->accepted);
	return held < e->max_per_client ? MHD_YES : MHD_NO;
}

static void track_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			     enum MHD_ConnectionNotificationCode code)
{
	struct exporter *e = cls;
	struct client *slot = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (slot)
			slot->in_use = false;
		return;
	}
	for (unsigned i = 0; i < MAX_CONNECTIONS; i++) {
		if (!e->clients[i].in_use) {
			e->clients[i] = e->accepted;
			*socket_context = &e->clients[i];
			return;
		}
	}
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **state)
{
	static const char index[] =
		"<html><head><title>observe exporter</title></head><body>"
		"<h1>observe exporter</h1><p><a href=\"/metrics\">Metrics</a></p></body></html>\n";
	static const char not_found[] = "not found: the metrics are at /metrics\n";
	struct exporter *e = cls;

	if (!web_auth_allows(&e->auth, MHD_lookup_connection_value(c, MHD_HEADER_KIND,
								      MHD_HTTP_HEADER_AUTHORIZATION)))
		return refuse(c, &e->auth);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "only GET\n", 9);
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, "text/html", index, sizeof(index) - 1);
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", not_found, sizeof(not_found) - 1);
	scrape(e);
	if (e->out.failed)
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", "out of memory\n", 14);
	return reply(c, MHD_HTTP_OK, CONTENT_TYPE, e->out.buf, e->out.len);
}

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
	fprintf(stderr, "observe-exporter: http: ");
	vfprintf(stderr, fmt, ap);
}

struct tls_files {
	const char *cert, *key;
};

static int parse_options(int argc, char **argv, struct exporter *e, const char **listen,
			 const char **pin_dir, struct tls_files *tls)
{
	char err[PARSE_ERR_LEN];
	uint64_t v;
	int opt;

	while ((opt = getopt_long(argc, argv, "l:N:n:h", options, NULL)) != -1) {
		err[0] = 0;
		switch (opt) {
		case 'l':
			*listen = optarg;
			break;
		case 'n':
			parse_warn_old_letter('n', "-N or --top");
			/* fall through */
		case 'N':
			if (!parse_u64(optarg, 1, 1000, "top", &v, err))
				e->top = v;
			break;
		case OPT_PIN_DIR:
			*pin_dir = optarg;
			break;
		case OPT_TOKEN_FILE:
			if (web_auth_load_token(&e->auth, optarg))
				return -1;
			break;
		case OPT_USERS_FILE:
			if (web_auth_load_users(&e->auth, optarg))
				return -1;
			break;
		case OPT_NO_AUTH:
			e->no_auth = true;
			break;
		case OPT_SYSCALL_LATENCY:
			e->syscall_latency = true;
			break;
		case OPT_TLS_CERT:
			tls->cert = optarg;
			break;
		case OPT_TLS_KEY:
			tls->key = optarg;
			break;
		case OPT_MAX_PER_CLIENT:
			if (!parse_u64(optarg, 1, MAX_CONNECTIONS, "max-per-client", &v, err))
				e->max_per_client = v;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fprintf(stderr, "Try 'observe-exporter --help'.\n");
			return -1;
		}
		if (err[0]) {
			report_error("%s", err);
			return -1;
		}
	}
	if (parse_no_operands(argc, argv))
		return -1;
	if (e->no_auth == web_auth_enabled(&e->auth)) {
		report_error(e->no_auth ? "--no-auth with a token or users file: choose one" :
			     "who may scrape? give --token-file or --users-file (every local user "
			     "can connect, and the metrics name commands), or --no-auth");
		return -1;
	}
	if (!tls->cert != !tls->key) {
		report_error("--tls-cert and --tls-key go together");
		return -1;
	}
	return 0;
}

/* A PEM file for libmicrohttpd, in memory. */
static char *read_pem(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (f) {
		FILE *mem = open_memstream(&buf, &len);
		char chunk[4096];
		size_t n;

		while (mem && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			fwrite(chunk, 1, n, mem);
		if (mem)
			fclose(mem);
		fclose(f);
	}
	if (!buf || !len || !strstr(buf, "-----BEGIN ")) {
		report_error("cannot read a PEM file from %s: %s", path,
			     buf || !errno ? "no PEM block in it" : strerror(errno));
		free(buf);
		return NULL;
	}
	return buf;
}

/* What the exporter serves is filled while it runs: the page-fault table,
 * run-queue and block I/O histograms, and syscall latency with
 * --syscall-latency. */
static int hold_details(const struct exporter *e, const struct observe_info *info,
			struct detail_hold *holds)
{
	for (unsigned d = 0; d < OBSERVE_DETAIL_COUNT; d++)
		holds[d] = (struct detail_hold)DETAIL_HOLD_NONE;
	for (unsigned d = 0; d < OBSERVE_DETAIL_COUNT; d++) {
		bool loaded = info->collectors & (1ULL << observe_details[d].collector) &&
			      !(info->details_left_out & (1u << d));

		if (d == OBSERVE_DETAIL_SYSCALL_LATENCY && !e->syscall_latency)
			continue;
		if (d == OBSERVE_DETAIL_SYSCALL_LATENCY && !loaded)
			return details_check_loaded(e->dir, d);
		if (!loaded || !details_hold(e->dir, d, &holds[d]))
			continue;
		/* Asked for by name: fail; else serve what is there. */
		if (d == OBSERVE_DETAIL_SYSCALL_LATENCY)
			return -1;
		report_warn("%s are filled only while switched on (observe-filter enable %s)",
			    observe_details[d].what, observe_details[d].name);
		details_release(&holds[d]);
	}
	return 0;
}

static void release_details(struct detail_hold *holds)
{
	for (unsigned d = 0; d < OBSERVE_DETAIL_COUNT; d++)
		details_release(&holds[d]);
}

int main(int argc, char **argv)
{
	exit_if_version_asked(argc, argv);
	struct exporter e = { .top = 20, .max_per_client = 4 };
	struct detail_hold holds[OBSERVE_DETAIL_COUNT];
	struct tls_files tls = {};
	char *cert = NULL, *key = NULL;
	const char *listen = DEFAULT_LISTEN, *pin_dir = NULL;
	struct sockaddr_storage addr;
	struct observe_info info;
	struct MHD_Daemon *d;
	char err[PARSE_ERR_LEN];
	socklen_t addr_len;
	sigset_t mask, old;

	if (parse_options(argc, argv, &e, &listen, &pin_dir, &tls))
		return 2;
	if (tls.cert) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			report_error("this libmicrohttpd has no TLS");
			return 2;
		}
		cert = read_pem(tls.cert);
		key = cert ? read_pem(tls.key) : NULL;
		if (!key)
			return 2;
	}
	if (parse_listen(listen, &addr, &addr_len, err)) {
		report_error("%s", err);
		return 2;
	}
	e.port = ntohs(addr.ss_family == AF_INET ? ((struct sockaddr_in *)&addr)->sin_port :
		       ((struct sockaddr_in6 *)&addr)->sin6_port);
	e.dir = pins_dir(pin_dir);
	topn_init(&e.syscalls, e.top);
	topn_init(&e.procs, e.top);
	topn_init(&e.faults, e.top);
	topn_init(&e.cgroups, e.top);
	report_libbpf_setup(false);
	runloop_init();
	if (pins_read_info(e.dir, &info))
		return 1;
	if (e.syscall_latency && !(info.collectors & (1ULL << OBSERVE_COLLECTOR_SYSCALLS))) {
		report_error("--syscall-latency: the syscalls collector is not loaded at %s", e.dir);
		return 1;
	}
	if (hold_details(&e, &info, holds)) {
		release_details(holds);
		return 1;
	}
	prom_init(&e.out);

	/* The HTTP thread must not take the signals: the main thread waits
	 * for them. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, &old);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
			     (addr.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0) |
			     (cert ? MHD_USE_TLS : 0),
			     0, accept_client, &e, handle, &e,
			     MHD_OPTION_EXTERNAL_LOGGER, log_mhd, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
			     MHD_OPTION_NOTIFY_CONNECTION, track_connection, &e,
			     cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
			     MHD_OPTION_HTTPS_MEM_KEY, key,
			     MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!d) {
		report_error("cannot listen on %s: %s", listen, strerror(errno));
		release_details(holds);
		prom_free(&e.out);
		return 1;
	}
	fprintf(stderr, "observe-exporter: serving http%s://%s/metrics from %s%s\n", cert ? "s" : "",
		listen, e.dir, e.no_auth ? " to anyone who can connect (--no-auth)" : "");
	while (!runloop_stopping())
		usleep(200000);
	MHD_stop_daemon(d);
	release_details(holds);
	snapshot_free(&e.snap);
	prom_free(&e.out);
	topn_free(&e.syscalls);
	topn_free(&e.procs);
	topn_free(&e.faults);
	topn_free(&e.cgroups);
	cgroup_names_free(e.cgroup_names);
	web_auth_free(&e.auth);
	free(cert);
	free(key);
	return 0;
}
