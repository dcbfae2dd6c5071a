// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * observe-load: the privileged one-shot loader. Probes the kernel, loads the
 * collectors, attaches them, pins links, maps and ring slots under the pin
 * directory for a group, and exits. Settings come from the command line,
 * then /etc/observe/observe.conf, then the defaults.
 */
#include "loader.h"
#include "collectors.h"
#include "details.h"
#include "profile.h"
#include "events.h"
#include "parse.h"
#include "pins.h"
#include "process.h"
#include "report.h"
#include "version.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_CONFIG "/etc/observe/observe.conf"
#define DEFAULT_GROUP "observe"
#define DEFAULT_TLS_GROUP "observe-tls"
#define DEFAULT_LOCK_WAIT 30	/* seconds: a load takes a few */

static const char usage[] =
"Usage: observe-load [OPTION...]\n"
"Load observe's collectors and pin them for the readers of a group.\n"
"\n"
"      --pin-dir=DIR      pin directory (default " OBSERVE_PIN_DIR_DEFAULT ")\n"
"  -g, --group=NAME       group that may read (created if missing; default " DEFAULT_GROUP ")\n"
"  -s, --slots=N          ring slots, one per concurrent reader (1-16, default 4)\n"
"  -r, --ring-size=SIZE   bytes per ring, a power of 2 (default 2M)\n"
"  -a, --argv-max=BYTES   argv bytes captured per exec (16-8192, default 1024)\n"
"      --runq-per-cgroup[=yes|no]  a run-queue latency histogram per cgroup v2\n"
"                         as well as the machine's (default no)\n"
"      --details=LIST     costly parts on for good: syscall-latency, page-faults,\n"
"                         runq-latency, block-latency, or none (default: as\n"
"                         they are; each is on anyway while a consumer that\n"
"                         shows it runs)\n"
"      --without-details=LIST  leave these details' programs out (they cost\n"
"                         nothing then, and cannot go on until a load without\n"
"                         this): the same names\n"
"      --profile-hz=HZ    samples per second per CPU of the profiler (1-1000,\n"
"                         default 49); it samples only while observe-profile runs\n"
"  -C, --collectors=LIST  comma-separated collectors to load (default: all that the\n"
"                         kernel supports but tls; 'all' includes tls; --probe lists them)\n"
"      --tls[=yes|no]     capture TLS plaintext: uprobes on the OpenSSL and GnuTLS\n"
"                         libraries of the loader's cache (default no)\n"
"      --tls-binary=PATH  probe this program too (OpenSSL or GnuTLS linked in\n"
"                         statically; needs its symbols); repeatable; implies --tls\n"
"      --tls-max=SIZE     plaintext bytes captured per call, the rest counted\n"
"                         (0-16M, default 16K)\n"
"      --tls-group=NAME   group that may read the plaintext (created if missing;\n"
"                         default " DEFAULT_TLS_GROUP ")\n"
"      --tls-slots=N      TLS ring slots (1-16, default 2)\n"
"      --tls-ring-size=SIZE  bytes per TLS ring, a power of 2 (default 8M)\n"
"      --config=FILE      settings file (default " DEFAULT_CONFIG ", if present)\n"
"      --lock-wait=SECS   wait at most this long for another observe-load working\n"
"                         on the same pin directory (0-3600, default 30)\n"
"      --unload           detach and remove everything pinned in the pin directory\n"
"      --probe            print what this kernel supports and what would load; load nothing\n"
"  -v, --verbose          show libbpf's messages\n"
"  -h, --help             show this help\n"
"      --version          show the version\n"
"\n"
"Settings file: one 'key = value' a line, keys as the long options\n"
"(pin-dir, group, slots, ring-size, argv-max, collectors, runq-per-cgroup, details,\n"
"profile-hz, tls, tls-binary (one line each), tls-max, tls-group, tls-slots,\n"
"tls-ring-size, lock-wait);\n"
"'#' starts a comment; a line holds at most 1023 bytes.\n"
"\n"
"Examples:\n"
"  observe-load                          load with the defaults\n"
"  observe-load --slots=8 --ring-size=16M\n"
"  observe-load --probe                  check a kernel before loading\n"
"  observe-load --tls --tls-binary=/opt/app/server   TLS plaintext as well\n"
"  observe-load --unload                 remove observe\n";

enum {
	OPT_UNLOAD = 256, OPT_PIN_DIR, OPT_CONFIG, OPT_PROBE, OPT_RUNQ_PER_CGROUP, OPT_PROFILE_HZ, OPT_TLS, OPT_TLS_BINARY,
	OPT_TLS_MAX, OPT_TLS_GROUP, OPT_TLS_SLOTS, OPT_TLS_RING_SIZE, OPT_LOCK_WAIT, OPT_DETAILS,
	OPT_WITHOUT_DETAILS,
};

#define LOADER_SHORT_OPTIONS "d:g:s:r:a:C:c:vh"

static const struct option options[] = {
	{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
	{ "group", required_argument, NULL, 'g' },
	{ "slots", required_argument, NULL, 's' },
	{ "ring-size", required_argument, NULL, 'r' },
	{ "argv-max", required_argument, NULL, 'a' },
	{ "runq-per-cgroup", optional_argument, NULL, OPT_RUNQ_PER_CGROUP },
	{ "profile-hz", required_argument, NULL, OPT_PROFILE_HZ },
	{ "details", required_argument, NULL, OPT_DETAILS },
	{ "without-details", required_argument, NULL, OPT_WITHOUT_DETAILS },
	{ "tls", optional_argument, NULL, OPT_TLS },
	{ "tls-binary", required_argument, NULL, OPT_TLS_BINARY },
	{ "tls-max", required_argument, NULL, OPT_TLS_MAX },
	{ "tls-group", required_argument, NULL, OPT_TLS_GROUP },
	{ "tls-slots", required_argument, NULL, OPT_TLS_SLOTS },
	{ "tls-ring-size", required_argument, NULL, OPT_TLS_RING_SIZE },
	{ "collectors", required_argument, NULL, 'C' },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "lock-wait", required_argument, NULL, OPT_LOCK_WAIT },
	{ "unload", no_argument, NULL, OPT_UNLOAD },
	{ "probe", no_argument, NULL, OPT_PROBE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

/* Strings set from the config file live as long as the program. */
static char *keep(const char *s)
{
	char *copy = strdup(s);

	if (!copy) {
		report_error("out of memory");
		exit(1);
	}
	return copy;
}

/* "all" is every collector the kernel supports; a named one must load. */
static int parse_collectors(const char *s, struct load_config *cfg, char *err)
{
	char buf[256], *save = NULL, *tok;
	uint64_t all = 0, named = 0;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int c = collector_by_name(tok);

		if (!strcmp(tok, "all")) {
			all = (1ULL << OBSERVE_COLLECTOR_COUNT) - 1;
		} else if (c >= 0) {
			named |= 1ULL << c;
		} else {
			char known[COLLECTOR_NAMES_LEN] = "";

			for (unsigned i = 0; i < OBSERVE_COLLECTOR_COUNT; i++) {
				strcat(known, collector_name(i));
				strcat(known, ", ");
			}
			snprintf(err, PARSE_ERR_LEN, "unknown collector '%s' (known: %sall)", tok, known);
			return -1;
		}
	}
	if (!(all | named)) {
		snprintf(err, PARSE_ERR_LEN, "no collector given");
		return -1;
	}
	cfg->collectors = all | named;
	cfg->required = named;
	return 0;
}

static int parse_yes_no(const char *key, const char *value, bool *out, char *err)
{
	if (!strcmp(value, "yes"))
		*out = true;
	else if (!strcmp(value, "no"))
		*out = false;
	else {
		snprintf(err, PARSE_ERR_LEN, "%s is yes or no, not '%s'", key, value);
		return -1;
	}
	return 0;
}

static int parse_ring_size(const char *key, const char *value, uint64_t *out, char *err)
{
	long page = sysconf(_SC_PAGESIZE);

	if (parse_size(value, page, 1ULL << 30, out, err))
		return -1;
	if (*out & (*out - 1)) {
		snprintf(err, PARSE_ERR_LEN, "%s must be a power of 2, not %s", key, value);
		return -1;
	}
	return 0;
}

static int add_tls_binary(struct load_config *cfg, const char *path, char *err)
{
	int fd;

	if (path[0] != '/') {
		snprintf(err, PARSE_ERR_LEN, "tls-binary must be an absolute path: '%s'", path);
		return -1;
	}
	/* Checked before the lock is taken: a FIFO would block its reader.
	 * A pattern's files are checked at each load, when it is expanded. */
	fd = tls_is_pattern(path) ? -2 : open_regular_file(path);
	if (fd == -1) {
		snprintf(err, PARSE_ERR_LEN, "tls-binary %s: %s", path, open_regular_error(errno));
		return -1;
	}
	if (fd >= 0)
		close(fd);
	if (cfg->nr_tls_binaries == OBSERVE_TLS_MAX_BINARIES) {
		snprintf(err, PARSE_ERR_LEN, "at most %d tls-binary", OBSERVE_TLS_MAX_BINARIES);
		return -1;
	}
	cfg->tls_binaries[cfg->nr_tls_binaries++] = keep(path);
	cfg->tls_wanted = 1;
	return 0;
}

/* The settings of the TLS collector; 1 when 'key' is not one of them. */
static int apply_tls_setting(struct load_config *cfg, const char *key, const char *value, char *err)
{
	uint64_t v;
	bool yes;

	if (!strcmp(key, "tls")) {
		if (parse_yes_no(key, value, &yes, err))
			return -1;
		cfg->tls_wanted = yes;
	} else if (!strcmp(key, "tls-binary")) {
		return add_tls_binary(cfg, value, err);
	} else if (!strcmp(key, "tls-max")) {
		if (parse_size(value, 0, OBSERVE_TLS_MAX_CAPTURE, &v, err))
			return -1;
		cfg->tls_max = v;
	} else if (!strcmp(key, "tls-group")) {
		if (!*value) {
			snprintf(err, PARSE_ERR_LEN, "tls-group must not be empty");
			return -1;
		}
		cfg->tls_group = keep(value);
	} else if (!strcmp(key, "tls-slots")) {
		if (parse_u64(value, 1, OBSERVE_MAX_SLOTS, "tls-slots", &v, err))
			return -1;
		cfg->nr_tls_slots = v;
	} else if (!strcmp(key, "tls-ring-size")) {
		if (parse_ring_size(key, value, &cfg->tls_ring_size, err))
			return -1;
		if (cfg->tls_ring_size < 4 * (sizeof(struct observe_tls_event) + OBSERVE_TLS_CHUNK)) {
			snprintf(err, PARSE_ERR_LEN, "tls-ring-size must hold a few full records "
				 "(at least 128K), not %s", value);
			return -1;
		}
	} else {
		return 1;
	}
	return 0;
}

/* "none" or a comma-separated list of detail names (details.h), for 'key'. */
static int parse_details(const char *key, const char *value, uint32_t *details, char *err)
{
	char list[256], *save = NULL;

	*details = 0;
	if (!strcmp(value, "none"))
		return 0;
	if (snprintf(list, sizeof(list), "%s", value) >= (int)sizeof(list)) {
		snprintf(err, PARSE_ERR_LEN, "%s: list too long", key);
		return -1;
	}
	for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		int d = detail_by_name(name);

		if (d < 0) {
			snprintf(err, PARSE_ERR_LEN, "%s: unknown detail '%.40s' (syscall-latency, "
				 "page-faults, runq-latency, block-latency, none)", key, name);
			return -1;
		}
		*details |= 1u << d;
	}
	return 0;
}

/* Applies one setting by its long option name; 0, or -1 with err set. */
static int apply_setting(struct load_config *cfg, const char *key, const char *value, char *err)
{
	uint64_t v;
	int res;

	if (!strcmp(key, "pin-dir")) {
		char *dir;
		size_t n;

		if (value[0] != '/') {
			snprintf(err, PARSE_ERR_LEN, "pin directory must be an absolute path: '%s'", value);
			return -1;
		}
		dir = keep(value);
		n = strlen(dir);
		while (n > 1 && dir[n - 1] == '/')
			dir[--n] = 0;
		cfg->pin_dir = dir;
	} else if (!strcmp(key, "group")) {
		if (!*value) {
			snprintf(err, PARSE_ERR_LEN, "group must not be empty");
			return -1;
		}
		cfg->group = keep(value);
	} else if (!strcmp(key, "slots")) {
		if (parse_u64(value, 1, OBSERVE_MAX_SLOTS, "slots", &v, err))
			return -1;
		cfg->nr_slots = v;
	} else if (!strcmp(key, "ring-size")) {
		return parse_ring_size(key, value, &cfg->ring_size, err);
	} else if (!strcmp(key, "runq-per-cgroup")) {
		return parse_yes_no(key, value, &cfg->runq_per_cgroup, err);
	} else if (!strcmp(key, "details")) {
		cfg->details_given = true;
		return parse_details(key, value, &cfg->details, err);
	} else if (!strcmp(key, "without-details")) {
		return parse_details(key, value, &cfg->details_left_out, err);
	} else if (!strcmp(key, "argv-max")) {
		if (parse_u64(value, 16, OBSERVE_ARGV_LIMIT, "argv-max", &v, err))
			return -1;
		cfg->argv_max = v;
	} else if (!strcmp(key, "profile-hz")) {
		if (parse_u64(value, 1, OBSERVE_PROFILE_MAX_HZ, "profile-hz", &v, err))
			return -1;
		cfg->profile_hz = v;
	} else if (!strcmp(key, "collectors")) {
		return parse_collectors(value, cfg, err);
	} else if (!strcmp(key, "lock-wait")) {
		if (parse_u64(value, 0, 3600, "lock-wait", &v, err))
			return -1;
		cfg->lock_wait = v;
	} else if ((res = apply_tls_setting(cfg, key, value, err)) <= 0) {
		return res;
	} else {
		snprintf(err, PARSE_ERR_LEN, "unknown setting '%s'", key);
		return -1;
	}
	return 0;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		*--end = 0;
	return s;
}

static int config_error(FILE *f, const char *path, int lineno, const char *what)
{
	if (lineno)
		report_error("%s:%d: %s", path, lineno, what);
	else
		report_error("cannot read %s: %s", path, what);
	fclose(f);
	return -1;
}

static int read_config(struct load_config *cfg, const char *path, bool must_exist)
{
	char line[1023 + 2], err[PARSE_ERR_LEN];	/* the newline and the NUL */
	int lineno = 0, fd = open_regular_file(path);
	FILE *f;

	if (fd < 0) {
		if (!must_exist && errno == ENOENT)
			return 0;
		report_error("cannot read %s: %s", path, open_regular_error(errno));
		return -1;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		report_error("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *eq, *hash;
		size_t len = strlen(line);

		lineno++;
		/* The rest of a long line would read as a line of its own. */
		if (len == sizeof(line) - 1 && line[len - 1] != '\n' && !feof(f))
			return config_error(f, path, lineno, "line longer than 1023 bytes");
		hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		s = trim(s);
		if (!*s)
			continue;
		eq = strchr(s, '=');
		if (!eq)
			return config_error(f, path, lineno, "expected 'key = value'");
		*eq = 0;
		if (apply_setting(cfg, trim(s), trim(eq + 1), err))
			return config_error(f, path, lineno, err);
	}
	if (ferror(f))
		return config_error(f, path, 0, strerror(errno));
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	exit_if_version_asked(argc, argv);
	struct load_config cfg = {
		.pin_dir = NULL,
		.group = DEFAULT_GROUP,
		.nr_slots = OBSERVE_DEFAULT_SLOTS,
		.ring_size = OBSERVE_DEFAULT_RING_SIZE,
		.argv_max = OBSERVE_ARGV_DEFAULT,
		.collectors = ((1ULL << OBSERVE_COLLECTOR_COUNT) - 1) & ~(1ULL << OBSERVE_COLLECTOR_TLS),
		.profile_hz = OBSERVE_PROFILE_DEFAULT_HZ,
		.tls_wanted = -1,
		.tls_group = DEFAULT_TLS_GROUP,
		.nr_tls_slots = OBSERVE_TLS_DEFAULT_SLOTS,
		.tls_ring_size = OBSERVE_TLS_DEFAULT_RING_SIZE,
		.tls_max = OBSERVE_TLS_DEFAULT_CAPTURE,
		.lock_wait = DEFAULT_LOCK_WAIT,
	};
	const uint64_t tls_bit = 1ULL << OBSERVE_COLLECTOR_TLS;
	const char *config_path = NULL;
	bool unload = false, probe = false;
	char err[PARSE_ERR_LEN];
	struct kernel_features f;
	gid_t gid, tls_gid = 0;
	int opt;

	/*
	 * The config file is read first so that options override it. getopt
	 * itself finds it, so that every spelling works (-c FILE, -cFILE,
	 * -vcFILE, --config=FILE, --conf=FILE); errors wait for the second pass.
	 */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, LOADER_SHORT_OPTIONS, options, NULL)) != -1)
		if (opt == 'c' || opt == OPT_CONFIG)
			config_path = optarg;
	opterr = 1;
	optind = 0;
	if (read_config(&cfg, config_path ? config_path : DEFAULT_CONFIG, config_path != NULL))
		return 1;

	while ((opt = getopt_long(argc, argv, LOADER_SHORT_OPTIONS, options, NULL)) != -1) {
		const char *key = NULL;

		switch (opt) {
		case 'd': parse_warn_old_letter('d', "--pin-dir"); /* fall through */
		case OPT_PIN_DIR: key = "pin-dir"; break;
		case 'g': key = "group"; break;
		case 's': key = "slots"; break;
		case 'r': key = "ring-size"; break;
		case 'a': key = "argv-max"; break;
		case 'C': key = "collectors"; break;
		case OPT_RUNQ_PER_CGROUP: key = "runq-per-cgroup"; optarg = optarg ? optarg : "yes"; break;
		case OPT_PROFILE_HZ: key = "profile-hz"; break;
		case OPT_DETAILS: key = "details"; break;
		case OPT_WITHOUT_DETAILS: key = "without-details"; break;
		case OPT_TLS: key = "tls"; optarg = optarg ? optarg : "yes"; break;
		case OPT_TLS_BINARY: key = "tls-binary"; break;
		case OPT_TLS_MAX: key = "tls-max"; break;
		case OPT_TLS_GROUP: key = "tls-group"; break;
		case OPT_TLS_SLOTS: key = "tls-slots"; break;
		case OPT_TLS_RING_SIZE: key = "tls-ring-size"; break;
		case OPT_LOCK_WAIT: key = "lock-wait"; break;
		case 'c': parse_warn_old_letter('c', "--config"); break;
		case OPT_CONFIG: break;
		case OPT_UNLOAD: unload = true; break;
		case OPT_PROBE: probe = true; break;
		case 'v': cfg.verbose = true; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			fprintf(stderr, "Try 'observe-load --help'.\n");
			return 2;
		}
		if (key && apply_setting(&cfg, key, optarg, err)) {
			report_error("%s", err);
			return 2;
		}
	}
	if (parse_no_operands(argc, argv))
		return 2;
	if (cfg.tls_wanted == 1) {
		cfg.collectors |= tls_bit;
		cfg.required |= tls_bit;
	} else if (cfg.tls_wanted == 0) {
		cfg.collectors &= ~tls_bit;
		cfg.required &= ~tls_bit;
	}
	if (cfg.details & cfg.details_left_out) {
		report_error("details: %s cannot be both on for good and left out (without-details)",
			     observe_details[__builtin_ctz(cfg.details & cfg.details_left_out)].name);
		return 2;
	}
	if (cfg.tls_wanted == 0 && cfg.nr_tls_binaries) {
		report_error("--tls-binary needs the TLS collector, switched off by tls = no");
		return 2;
	}
	cfg.pin_dir = pins_dir(cfg.pin_dir);
	report_libbpf_setup(cfg.verbose);

	if (probe)
		return print_probe(&cfg);
	if (check_capabilities())
		return 1;
	if (unload)
		return lock_out_other_loaders(cfg.pin_dir, cfg.lock_wait) ? 1 : unload_pins(cfg.pin_dir);

	if (ensure_bpffs(cfg.pin_dir) || lock_out_other_loaders(cfg.pin_dir, cfg.lock_wait))
		return 1;
	ensure_tracefs();
	probe_kernel(&f);
	if (!f.btf) {
		report_error("this kernel has no BTF (/sys/kernel/btf/vmlinux): observe needs "
			     "CONFIG_DEBUG_INFO_BTF=y");
		return 1;
	}
	if (!f.ringbuf || !f.ringbuf_in_map_array) {
		report_error("this kernel has no BPF ring buffer%s: observe needs Linux 5.8 or later",
			     f.ringbuf ? " inside map arrays" : "");
		return 1;
	}
	if (resolve_group(cfg.group, true, &gid))
		return 1;
	if ((cfg.collectors & tls_bit) && resolve_group(cfg.tls_group, true, &tls_gid))
		return 1;
	if (!strcmp(cfg.group, cfg.tls_group) && (cfg.collectors & tls_bit))
		report_warn("the TLS group is the readers' group '%s': every reader may read "
			    "TLS plaintext", cfg.group);
	return load_and_pin(&cfg, &f, gid, tls_gid);
}
