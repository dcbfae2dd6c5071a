// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "pins.h"
#include "report.h"
#include "slot.h"
#include "tls.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>

const char *pins_dir(const char *override)
{
	const char *env;

	if (override && *override)
		return override;
	env = getenv("OBSERVE_PIN_DIR");
	return env && *env ? env : OBSERVE_PIN_DIR_DEFAULT;
}

bool pins_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len) {
		report_error("path too long: %s/%s", dir, name);
		return false;
	}
	return true;
}

/* The group of the deepest directory on the way to 'path' that we can
 * stat: the one whose members may go further (tls/ belongs to observe-tls). */
static const char *group_of(const char *path, char *buf, size_t len)
{
	char dir[4096];
	struct group *gr;
	struct stat st;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	for (;;) {
		slash = strrchr(dir, '/');
		if (!slash || slash == dir) {
			snprintf(buf, len, "observe");
			return buf;
		}
		*slash = 0;
		if (!stat(dir, &st))
			break;
	}
	gr = getgrgid(st.st_gid);
	if (gr)
		snprintf(buf, len, "%s", gr->gr_name);
	else
		snprintf(buf, len, "%u", (unsigned)st.st_gid);
	return buf;
}

void pins_explain_error(const char *dir, const char *path, int err)
{
	char group[64];
	struct statfs fs;

	if (err == ENOENT || err == ENOTDIR) {
		if (access(dir, F_OK) == 0)
			report_error("%s is missing: observe is loaded only in part; run observe-load again", path);
		else if (statfs("/sys/fs/bpf", &fs) || fs.f_type != BPF_FS_MAGIC)
			report_error("observe is not loaded (no bpffs at /sys/fs/bpf): run observe-load");
		else
			report_error("observe is not loaded (no %s): run observe-load", dir);
		return;
	}
	if (err == EACCES) {
		report_error("permission denied on %s: add yourself to group '%s' "
			     "(usermod -aG %s $USER) and log in again",
			     path, group_of(path, group, sizeof(group)), group);
		return;
	}
	if (err == EPERM) {
		report_error("the kernel refused bpf() on %s (EPERM): this kernel may forbid "
			     "unprivileged bpf (sysctl kernel.unprivileged_bpf_disabled), "
			     "or you are not in group '%s'",
			     path, group_of(path, group, sizeof(group)));
		return;
	}
	if (err == EINVAL) {
		report_error("%s is not a pinned BPF object (is %s on bpffs?)", path, dir);
		return;
	}
	report_error("cannot open %s: %s", path, strerror(err));
}

bool pins_map_frozen(int fd)
{
	char path[64], line[128];
	bool frozen = false;
	FILE *f;

	/* bpf_map_info has no such field: the kernel says it in fdinfo (5.2). */
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "frozen:", 7))
			frozen = atoi(line + 7) != 0;
	fclose(f);
	return frozen;
}

#define FROZEN_FMT "%s was frozen by a group member (BPF_MAP_FREEZE): nobody can change it " \
	"now; running observe-load again (as root) replaces it"

void pins_report_frozen(const char *name)
{
	report_error(FROZEN_FMT, name);
}

void pins_explain_write_error(int fd, const char *name, int err)
{
	if (err == EPERM && pins_map_frozen(fd))
		pins_report_frozen(name);
	else
		report_error("cannot write %s: %s", name, strerror(err));
}

static const struct {
	const char *name;
	struct pin_place place;
} pin_places[] = {
	/* changed at run time by consumers */
	{ PIN_FILTER, { NULL, 0660, false } },
	{ PIN_FILTER_PIDS, { NULL, 0660, false } },
	{ PIN_FILTER_COMMS, { NULL, 0660, false } },
	{ PIN_FILTER_UIDS, { NULL, 0660, false } },
	{ PIN_FILTER_CGROUPS, { NULL, 0660, false } },
	{ PIN_FILTER_PORTS, { NULL, 0660, false } },
	{ PIN_FILTER_CIDRS, { NULL, 0660, false } },
	{ PIN_SLOT_CFG, { NULL, 0660, false } },
	{ PIN_READERS, { NULL, 0660, false } },
	{ PIN_SLOT_PIDS, { NULL, 0660, false } },	/* observe-agent's followed pids */
	/* sampling switched on, stacks cleared by observe-profile */
	{ PIN_PROFILE_CTL, { NULL, 0660, false } },
	{ PIN_PROFILE_COUNTS, { NULL, 0660, false } },
	{ PIN_PROFILE_STACKS, { NULL, 0660, false } },
	/* read by consumers, written by the kernel or the loader */
	{ PIN_STATS, { NULL, 0640, false } },
	{ PIN_SLOT_STATS, { NULL, 0640, false } },
	{ PIN_INFO, { NULL, 0640, false } },
	{ PIN_SEQUENCE, { NULL, 0640, false } },
	{ PIN_PROFILE_STATS, { NULL, 0640, false } },
	/* the loader's own: readers open their ring by its pin instead */
	{ PIN_SLOTS, { NULL, 0600, false } },
	/* TLS: plaintext only for group observe-tls, in its own directory;
	 * the counters and the probed targets stay readable by observe */
	{ PIN_TLS_SLOT_CFG, { OBSERVE_TLS_SUBDIR, 0660, true } },
	{ PIN_TLS_READERS, { OBSERVE_TLS_SUBDIR, 0660, true } },
	{ PIN_TLS_SLOTS, { NULL, 0600, false } },
	{ PIN_TLS_SLOT_STATS, { NULL, 0640, false } },
	{ PIN_TLS_STATS, { NULL, 0640, false } },
	{ PIN_TLS_TARGETS, { NULL, 0640, false } },
	{ PIN_TLS_INFO, { NULL, 0640, false } },
};

struct pin_place pin_place(const char *name)
{
	struct pin_place unlisted = { NULL, 0640, false };	/* at most readable */

	for (size_t i = 0; i < sizeof(pin_places) / sizeof(pin_places[0]); i++)
		if (!strcmp(pin_places[i].name, name))
			return pin_places[i].place;
	return unlisted;
}

static int warn_if_frozen(const char *dir, const char *name)
{
	LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = BPF_F_RDONLY);
	char path[4096];
	bool frozen;
	int fd;

	if (!pins_path(path, sizeof(path), dir, name))
		return 0;
	fd = bpf_obj_get_opts(path, &opts);
	if (fd < 0)
		return 0;
	frozen = pins_map_frozen(fd);
	close(fd);
	if (frozen)
		report_warn(FROZEN_FMT, name);
	return frozen;
}

int pins_warn_frozen(const char *dir)
{
	const struct slot_family *families[] = { &slot_events, &slot_tls };
	char name[64];
	int frozen = 0;

	/* The maps the group may open for writing, hence freeze. */
	for (size_t i = 0; i < sizeof(pin_places) / sizeof(pin_places[0]); i++) {
		const struct pin_place *p = &pin_places[i].place;

		if (!(p->mode & S_IWGRP))
			continue;
		snprintf(name, sizeof(name), "%s%s%s", p->subdir ? p->subdir : "",
			 p->subdir ? "/" : "", pin_places[i].name);
		frozen += warn_if_frozen(dir, name);
	}
	for (size_t f = 0; f < 2; f++)
		for (unsigned i = 0; i < OBSERVE_MAX_SLOTS; i++) {
			slot_name(name, sizeof(name), families[f], i, OBSERVE_SLOT_RING);
			frozen += warn_if_frozen(dir, name);
		}
	return frozen;
}

int pins_open_map(const char *dir, const char *name, enum pin_access access)
{
	LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = access == PIN_READ ? BPF_F_RDONLY : 0);
	char path[4096];
	int fd;

	if (!pins_path(path, sizeof(path), dir, name))
		return -1;
	fd = bpf_obj_get_opts(path, &opts);
	if (fd < 0) {
		pins_explain_error(dir, path, errno);
		return -1;
	}
	if (access == PIN_WRITE && pins_map_frozen(fd)) {
		pins_report_frozen(path);
		close(fd);
		return -1;
	}
	return fd;
}

/* The pin dir/name opened read-only, quietly; -1 if it is not there. */
static int open_quietly(const char *dir, const char *name)
{
	LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = BPF_F_RDONLY);
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);

	return n > 0 && (size_t)n < sizeof(path) ? bpf_obj_get_opts(path, &opts) : -1;
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

bool pins_still_pinned(const char *dir, const char *name, int fd)
{
	int pinned = open_quietly(dir, name);
	bool same;

	if (pinned < 0)
		return false;
	same = map_id(pinned) && map_id(pinned) == map_id(fd);
	close(pinned);
	return same;
}

bool pins_loaded(const char *dir)
{
	struct observe_info info = {};
	int fd = open_quietly(dir, PIN_INFO);
	__u32 zero = 0;
	bool done;

	if (fd < 0)
		return false;
	/* A first load renames its pins, then writes observe_info. */
	done = !bpf_map_lookup_elem(fd, &zero, &info) && info.load_count &&
	       info.abi_version == OBSERVE_ABI_VERSION;
	close(fd);
	return done;
}

int pins_read_info(const char *dir, struct observe_info *info)
{
	__u32 zero = 0;
	int fd, err;

	fd = pins_open_map(dir, PIN_INFO, PIN_READ);
	if (fd < 0)
		return -1;
	err = bpf_map_lookup_elem(fd, &zero, info);
	close(fd);
	if (err) {
		report_error("cannot read %s/observe_info: %s", dir, strerror(errno));
		return -1;
	}
	if (info->abi_version != OBSERVE_ABI_VERSION) {
		report_error("%s was loaded with ABI %u, this program speaks ABI %u: "
			     "run the observe-load of this version", dir, info->abi_version,
			     OBSERVE_ABI_VERSION);
		return -1;
	}
	if (info->nr_slots > OBSERVE_MAX_SLOTS)
		info->nr_slots = OBSERVE_MAX_SLOTS;
	return 0;
}

int pins_read_tls_info(const char *dir, struct observe_tls_info *info)
{
	char path[4096];
	__u32 zero = 0;
	int fd, err;

	memset(info, 0, sizeof(*info));
	if (!pins_path(path, sizeof(path), dir, PIN_TLS_INFO))
		return -1;
	if (access(path, F_OK) && errno == ENOENT)
		return 0;
	fd = pins_open_map(dir, PIN_TLS_INFO, PIN_READ);
	if (fd < 0)
		return -1;
	err = bpf_map_lookup_elem(fd, &zero, info);
	close(fd);
	if (err) {
		report_error("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
