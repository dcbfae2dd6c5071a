// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * observe-filter: shows and changes the global kernel-side filters. They
 * apply before any ring slot, to every reader at once, from the next event.
 * Every value is checked before anything is written.
 */
#include "events.h"
#include "details.h"
#include "filters.h"
#include "net.h"
#include "json.h"
#include "parse.h"
#include "pins.h"
#include "report.h"
#include "container.h"
#include "version.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

static const char usage[] =
"Usage: observe-filter [OPTION...] COMMAND [ARG...]\n"
"Show or change observe's global filters (kernel-side, for every reader).\n"
"\n"
"Commands:\n"
"  show                       the filters (default)\n"
"  allow SET VALUE...         only events whose SET value is listed pass\n"
"  deny SET VALUE...          events whose SET value is listed are dropped\n"
"  remove SET VALUE...        take values out of a set\n"
"  clear [SET|types|all]      switch a filter off and empty it (default all)\n"
"  enable TYPES               switch event types on (exec, open, ...; process, files, net; all)\n"
"  enable DETAIL              switch a costly part on until disabled (off by\n"
"                             default): syscall-latency (latency histograms,\n"
"                             per-process table), page-faults (per process),\n"
"                             runq-latency, block-latency\n"
"  disable TYPES              switch event types off\n"
"  follow on|off              allowed pids pass their allowance to new children\n"
"SET is pid, comm, uid (name or number), cgroup (cgroup v2 path or id),\n"
"container (an id or its prefix: its cgroups as they are now, in the cgroup set),\n"
"and\n"
"for network events port (either end) and cidr (the remote address:\n"
"10.0.0.0/8, 2001:db8::/32, ::1). cidr entries each allow or deny, the longest\n"
"prefix wins; an address matching none passes unless some entry allows.\n"
"A set (cidr aside) is in one mode at a time: clear it to switch allow <-> deny.\n"
"\n"
"Options:\n"
"      --follow               with 'allow pid': also follow children\n"
"      --json                 'show' as JSON\n"
"      --pin-dir=DIR          where observe is pinned (default " OBSERVE_PIN_DIR_DEFAULT ")\n"
"  -h, --help                 show this help\n"
"      --version              show the version\n"
"\n"
"Examples:\n"
"  observe-filter allow pid 1234 --follow     one process tree only\n"
"  observe-filter deny comm sshd cron\n"
"  observe-filter allow port 443 8443\n"
"  observe-filter allow cidr 10.0.0.0/8; observe-filter deny cidr 10.1.0.0/16\n"
"  observe-filter disable fork\n"
"  observe-filter clear\n";

enum { OPT_FOLLOW = 256, OPT_JSON, OPT_PIN_DIR };

static const struct option options[] = {
	{ "follow", no_argument, NULL, OPT_FOLLOW },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
	{ "help", no_argument, NULL, 'h' },
	{},
};

#define MAX_VALUES 256

struct request {
	const char *pin_dir;
	bool follow, json;
	const char *command;
	char **args;
	int nargs;
};

union filter_key {
	unsigned char bytes[FILTER_KEY_MAX];
	uint64_t align;
};

/* "pid, comm, ...": the names of the sets, from their rows. */
static const char *set_names(void)
{
	static char names[FILTER_SET_COUNT * 16];
	size_t len = 0;

	for (int i = 0; i < FILTER_SET_COUNT && len < sizeof(names); i++)
		len += snprintf(names + len, sizeof(names) - len, "%s%s", i ? ", " : "",
				filter_sets[i].name);
	return names;
}

static int parse_set(const char *name)
{
	int set = filter_set_by_name(name ? name : "");

	if (set < 0)
		report_error("unknown filter set '%s' (sets: %s)", name ? name : "", set_names());
	return set;
}

/* A set of a collector that is not loaded cannot be used. */
static int check_set_loaded(const struct filters *f, enum filter_set set)
{
	if (f->set_fd[set] >= 0)
		return 0;
	report_error("the %s collector is not loaded: no %s filter (observe-load --collectors)",
		     filter_set_collector(set), filter_set_name(set));
	return -1;
}

/* The cidr set's entries each allow or deny; the filter is on while it has
 * any, and an address that matches none passes only if no entry allows. */
static int update_cidr_state(const struct filters *f, struct observe_filter *filter)
{
	unsigned char key[FILTER_KEY_MAX], next[FILTER_KEY_MAX];
	bool any = false, allows = false;
	void *prev = NULL;
	__u8 action;

	while (!bpf_map_get_next_key(f->set_fd[FILTER_CIDR], prev, next)) {
		memcpy(key, next, sizeof(key));
		prev = key;
		any = true;
		if (!bpf_map_lookup_elem(f->set_fd[FILTER_CIDR], key, &action) &&
		    action == OBSERVE_FILTER_ALLOW)
			allows = true;
	}
	filter->cidr_on = any;
	filter->cidr_default = allows ? OBSERVE_FILTER_DENY : OBSERVE_FILTER_ALLOW;
	return 0;
}

/* Parses every value first: nothing is written if one is bad. */
static int parse_keys(enum filter_set set, char **args, int n, union filter_key *keys)
{
	char err[PARSE_ERR_LEN];

	if (n == 0) {
		report_error("no %s given", filter_set_name(set));
		return -1;
	}
	if (n > MAX_VALUES) {
		report_error("at most %d values at a time", MAX_VALUES);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		memset(&keys[i], 0, sizeof(keys[i]));
		if (filter_sets[set].parse(args[i], &keys[i], err)) {
			report_error("%s", err);
			return -1;
		}
	}
	return 0;
}

static unsigned count_entries(int fd)
{
	unsigned char key[FILTER_KEY_MAX], next[FILTER_KEY_MAX];
	void *prev = NULL;
	unsigned n = 0;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, sizeof(key));
		prev = key;
		n++;
	}
	return n;
}

static int add_to_set(const struct filters *f, const struct request *r, unsigned mode)
{
	union filter_key keys[MAX_VALUES];
	struct observe_filter filter;
	struct observe_pid_entry user_added = {};
	__u8 one = 1, action = mode, *cur;
	unsigned capacity;
	int set;

	set = parse_set(r->nargs ? r->args[0] : NULL);
	if (set < 0 || check_set_loaded(f, set) ||
	    parse_keys(set, r->args + 1, r->nargs - 1, keys) || filters_read(f, &filter))
		return -1;
	if (r->follow && !(set == FILTER_PID && mode == OBSERVE_FILTER_ALLOW)) {
		report_error("--follow goes with 'allow pid' only");
		return -1;
	}
	cur = filter_mode_of(&filter, set);
	if (set != FILTER_CIDR && *cur != OBSERVE_FILTER_OFF && *cur != mode) {
		report_error("the %s filter is in %s mode: 'observe-filter clear %s' first",
			     filter_set_name(set), filter_mode_name(*cur), filter_set_name(set));
		return -1;
	}
	capacity = filter_sets[set].capacity;
	if (count_entries(f->set_fd[set]) + (r->nargs - 1) > capacity) {
		report_error("the %s set would hold more than %u entries", filter_set_name(set), capacity);
		return -1;
	}
	/* Entries before the mode: an allow filter never passes through a
	 * moment where it is on but still empty. */
	for (int i = 0; i < r->nargs - 1; i++) {
		const void *value = set == FILTER_PID ? (const void *)&user_added :
				    set == FILTER_CIDR ? (const void *)&action : &one;

		if (bpf_map_update_elem(f->set_fd[set], &keys[i], value, BPF_ANY)) {
			report_error("cannot add %s to the %s set: %s", r->args[i + 1],
				     filter_set_name(set), strerror(errno));
			return -1;
		}
	}
	if (set == FILTER_CIDR)
		update_cidr_state(f, &filter);
	else
		*cur = mode;
	if (r->follow)
		filter.follow_children = 1;
	return filters_write(f, &filter);
}

static int remove_from_set(const struct filters *f, const struct request *r)
{
	union filter_key keys[MAX_VALUES];
	struct observe_filter filter;
	int set, missing = 0;

	set = parse_set(r->nargs ? r->args[0] : NULL);
	if (set < 0 || check_set_loaded(f, set) ||
	    parse_keys(set, r->args + 1, r->nargs - 1, keys) || filters_read(f, &filter))
		return -1;
	for (int i = 0; i < r->nargs - 1; i++) {
		if (bpf_map_delete_elem(f->set_fd[set], &keys[i])) {
			report_warn("%s is not in the %s set", r->args[i + 1], filter_set_name(set));
			missing++;
		}
	}
	if (set == FILTER_CIDR && (update_cidr_state(f, &filter) || filters_write(f, &filter)))
		return -1;
	if (*filter_mode_of(&filter, set) == OBSERVE_FILTER_ALLOW && !count_entries(f->set_fd[set]))
		report_warn("the %s allow set is now empty: no event passes until you add one "
			    "or 'observe-filter clear %s'", filter_set_name(set), filter_set_name(set));
	return missing == r->nargs - 1 ? -1 : 0;
}

static int empty_set(const struct filters *f, enum filter_set set)
{
	unsigned char key[FILTER_KEY_MAX];

	while (!bpf_map_get_next_key(f->set_fd[set], NULL, key))
		if (bpf_map_delete_elem(f->set_fd[set], key) && errno != ENOENT) {
			report_error("cannot empty the %s set: %s", filter_set_name(set), strerror(errno));
			return -1;
		}
	return 0;
}

static int clear(const struct filters *f, const struct request *r)
{
	const char *what = r->nargs ? r->args[0] : "all";
	struct observe_filter filter;
	bool all = !strcmp(what, "all");
	int set = -1;

	if (r->nargs > 1) {
		report_error("clear takes one of %s, types, all", set_names());
		return -1;
	}
	/* A set whose map is gone can still have its mode switched off. */
	if (!all && strcmp(what, "types") && (set = parse_set(what)) < 0)
		return -1;
	if (filters_read(f, &filter))
		return -1;
	/* Mode off first, so that a half-emptied allow set never blocks. */
	if (all || !strcmp(what, "types"))
		filter.types_off = 0;
	for (int s = 0; s < FILTER_SET_COUNT; s++)
		if (all || s == set)
			*filter_mode_of(&filter, s) = OBSERVE_FILTER_OFF;
	if (all || set == FILTER_PID)
		filter.follow_children = 0;
	if (filters_write(f, &filter))
		return -1;
	for (int s = 0; s < FILTER_SET_COUNT; s++)
		if ((all || s == set) && f->set_fd[s] >= 0 && empty_set(f, s))
			return -1;
	return 0;
}

/* On or off for good, its programs attached or detached to match; an
 * enable whose programs could not be attached is taken back. */
static int switch_detail(const struct filters *f, const struct request *r, unsigned detail, bool on)
{
	struct details_state before;

	details_read(f->readers_fd, &before);	/* all off if unreadable */
	if (filters_switch_detail(f->readers_fd, detail, false, on))
		return -1;
	if (!details_sync_hooks(r->pin_dir, f->readers_fd, 1u << detail))
		return 0;
	if (on && !(before.for_good & (1u << detail)))
		filters_switch_detail(f->readers_fd, detail, false, false);
	return -1;
}

static int switch_types(const struct filters *f, const struct request *r, bool on)
{
	struct observe_filter filter;
	int detail;
	char err[PARSE_ERR_LEN];
	uint64_t mask;

	if (r->nargs != 1) {
		report_error("%s takes one list of event types, like exec,exit",
			     on ? "enable" : "disable");
		return -1;
	}
	/* Not an event type: a costly part of an aggregate, off by default. */
	detail = detail_by_name(r->args[0]);
	if (detail >= 0 && on && details_check_loaded(r->pin_dir, detail))
		return -1;
	if (detail >= 0)
		return switch_detail(f, r, detail, on);
	if (parse_types(r->args[0], &mask, err)) {
		report_error("%s", err);
		return -1;
	}
	if (filters_read(f, &filter))
		return -1;
	filter.types_off = on ? filter.types_off & ~mask : filter.types_off | mask;
	return filters_write(f, &filter);
}

static int follow(const struct filters *f, const struct request *r)
{
	struct observe_filter filter;

	if (r->nargs != 1 || (strcmp(r->args[0], "on") && strcmp(r->args[0], "off"))) {
		report_error("follow takes on or off");
		return -1;
	}
	if (filters_read(f, &filter))
		return -1;
	filter.follow_children = !strcmp(r->args[0], "on");
	return filters_write(f, &filter);
}

static void show_set_text(const struct filters *f, const struct observe_filter *filter,
			  enum filter_set set)
{
	unsigned char key[FILTER_KEY_MAX], next[FILTER_KEY_MAX];
	struct json_writer w;
	void *prev = NULL;
	unsigned n = 0;

	__u8 action;

	if (set == FILTER_CIDR)
		printf("%-7s %s", filter_set_name(set), filter->cidr_on ? "on" : "off");
	else
		printf("%-7s %s", filter_set_name(set),
		       filter_mode_name(*filter_mode_of((struct observe_filter *)filter, set)));
	json_init(&w);
	while (!bpf_map_get_next_key(f->set_fd[set], prev, next)) {
		memcpy(key, next, sizeof(key));
		prev = key;
		json_reset(&w);
		filter_key_json(&w, set, key);
		printf("%s%.*s", n++ ? ", " : ": ", (int)w.len, w.buf);
		if (set == FILTER_CIDR && !bpf_map_lookup_elem(f->set_fd[set], key, &action))
			printf(" %s", filter_mode_name(action));
	}
	json_free(&w);
	printf("\n");
}

/* The details of the loaded collectors, and whether each is on: the
 * other half of what enable and disable change. A detail still held by a
 * consumer killed outright is switched off first. */
static uint32_t read_details(const struct request *r, struct details_state *st)
{
	struct observe_info info;
	int fd;

	details_reap(r->pin_dir);
	fd = pins_open_map(r->pin_dir, PIN_READERS, PIN_READ);
	if (fd < 0 || pins_read_info(r->pin_dir, &info) || details_read(fd, st)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	close(fd);
	st->left_out = info.details_left_out;
	return details_of(&info);
}

static int show(const struct filters *f, const struct request *r)
{
	struct observe_filter filter;
	struct details_state details;
	uint32_t loaded = read_details(r, &details);
	struct json_writer w;
	char state[96];

	if (r->json) {
		json_init(&w);
		json_object_begin(&w);
		if (filters_json_members(f, &w)) {
			json_free(&w);
			return -1;
		}
		details_json(&w, &details, loaded);
		json_object_end(&w);
		printf("%.*s\n", (int)w.len, w.buf);
		json_free(&w);
		return 0;
	}
	if (filters_read(f, &filter))
		return -1;
	printf("types  ");
	for (unsigned t = 1; t < OBSERVE_EV_COUNT; t++)
		printf(" %s %s%s", event_type_name(t), filter.types_off & (1ULL << t) ? "off" : "on",
		       t + 1 < OBSERVE_EV_COUNT ? "," : "\n");
	printf("follow  %s\n", filter.follow_children ? "on" : "off");
	for (int s = 0; s < FILTER_SET_COUNT; s++)
		if (f->set_fd[s] >= 0)
			show_set_text(f, &filter, s);
	for (unsigned d = 0; d < OBSERVE_DETAIL_COUNT; d++) {
		if (!(loaded & (1u << d)))
			continue;
		details_describe(&details, d, state, sizeof(state));
		printf("detail  %s %s\n", observe_details[d].name, state);
	}
	return 0;
}

static int allow(const struct filters *f, const struct request *r)
{
	return add_to_set(f, r, OBSERVE_FILTER_ALLOW);
}

static int deny(const struct filters *f, const struct request *r)
{
	return add_to_set(f, r, OBSERVE_FILTER_DENY);
}

static int enable(const struct filters *f, const struct request *r)
{
	return switch_types(f, r, true);
}

static int disable(const struct filters *f, const struct request *r)
{
	return switch_types(f, r, false);
}

/* The subcommands, as bpftool dispatches its own. */
static const struct command {
	const char *name;
	bool writes;		/* opens the maps for writing */
	int (*run)(const struct filters *f, const struct request *r);
} commands[] = {
	{ "show", false, show },
	{ "allow", true, allow },
	{ "deny", true, deny },
	{ "remove", true, remove_from_set },
	{ "clear", true, clear },
	{ "enable", true, enable },
	{ "disable", true, disable },
	{ "follow", true, follow },
};

/*
 * "container ID..." is the cgroup set at the time the filter is set: each
 * id becomes the cgroup ids of that container (nested ones too), so the
 * kernel's filter stays one set lookup. A container started later is not
 * in it: set the filter again.
 */
static int expand_containers(struct request *r)
{
	static char numbers[MAX_VALUES][24];
	static char *args[MAX_VALUES + 1];
	char err[PARSE_ERR_LEN];
	const char *root = cgroup2_mount();
	int n = 0;

	if (!r->nargs || strcmp(r->args[0], "container"))
		return 0;
	if (!root) {
		report_error("no cgroup2 file system is mounted: no container can be found");
		return -1;
	}
	args[0] = "cgroup";
	for (int i = 1; i < r->nargs; i++) {
		uint64_t ids[MAX_VALUES];
		int found = container_cgroup_ids(root, r->args[i], ids, MAX_VALUES, err, sizeof(err));

		if (found < 0) {
			report_error("%s", err);
			return -1;
		}
		for (int k = 0; k < found; k++) {
			if (n == MAX_VALUES) {
				report_error("at most %d cgroups at a time", MAX_VALUES);
				return -1;
			}
			snprintf(numbers[n], sizeof(numbers[n]), "%llu", (unsigned long long)ids[k]);
			args[1 + n] = numbers[n];
			n++;
		}
	}
	if (!n) {
		report_error("no container given");
		return -1;
	}
	r->args = args;
	r->nargs = n + 1;
	return 0;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/*
 * Options may also follow the command ('allow pid 1 --follow', 'show
 * --pin-dir=DIR'). Only '--' ones: a value may start with '-' (the comm of
 * a login shell, '-bash'). argv[*i] is an option, or a value kept in r.
 */
static int trailing_option(struct request *r, int argc, char **argv, int *i)
{
	const char *arg = argv[*i];

	if (!strcmp(arg, "--follow"))
		r->follow = true;
	else if (!strcmp(arg, "--json"))
		r->json = true;
	else if (!strncmp(arg, "--pin-dir=", 10))
		r->pin_dir = arg + 10;
	else if (!strcmp(arg, "--pin-dir") && *i + 1 < argc)
		r->pin_dir = argv[++*i];
	else if (!strcmp(arg, "--pin-dir"))
		return report_error("option '--pin-dir' requires an argument"), -1;
	else if (arg[0] == '-' && arg[1] == '-')
		return report_error("unknown option '%s' (try --help)", arg), -1;
	else
		r->args[r->nargs++] = argv[*i];
	return 0;
}

int main(int argc, char **argv)
{
	exit_if_version_asked(argc, argv);
	struct request r = { .command = "show" };
	const struct command *cmd;
	struct filters f;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
		switch (opt) {
		case OPT_FOLLOW: r.follow = true; break;
		case OPT_JSON: r.json = true; break;
		case OPT_PIN_DIR: r.pin_dir = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			fprintf(stderr, "Try 'observe-filter --help'.\n");
			return 2;
		}
	}
	if (optind < argc)
		r.command = argv[optind++];
	r.args = argv + optind;
	for (int i = optind; i < argc; i++)
		if (trailing_option(&r, argc, argv, &i))
			return 2;
	r.pin_dir = pins_dir(r.pin_dir);
	report_libbpf_setup(false);

	cmd = find_command(r.command);
	if (!cmd) {
		report_error("unknown command '%s' (try --help)", r.command);
		return 2;
	}
	if (!cmd->writes && r.nargs) {
		report_error("%s takes no arguments", cmd->name);
		return 2;
	}
	if (cmd->run != clear && expand_containers(&r))
		return 1;
	if (filters_open(&f, r.pin_dir, cmd->writes ? PIN_WRITE : PIN_READ))
		return 1;
	err = cmd->run(&f, &r);
	filters_close(&f);
	return err ? 1 : 0;
}
