// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Who may do what with each pin, and removing them all (--unload). */
#include "loader.h"
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
	const char *name;
	struct pin_place place;
} map_places[] = {
	/* changed at run time by consumers */
	{ "observe_filter", { NULL, 0660, false } },
	{ "observe_filter_pids", { NULL, 0660, false } },
	{ "observe_filter_comms", { NULL, 0660, false } },
	{ "observe_filter_uids", { NULL, 0660, false } },
	{ "observe_filter_cgroups", { NULL, 0660, false } },
	{ "observe_filter_ports", { NULL, 0660, false } },
	{ "observe_filter_cidrs", { NULL, 0660, false } },
	{ "observe_slot_cfg", { NULL, 0660, false } },
	{ "observe_readers", { NULL, 0660, false } },
	/* sampling switched on, stacks cleared by observe-profile */
	{ "observe_profile_ctl", { NULL, 0660, false } },
	{ "observe_profile_counts", { NULL, 0660, false } },
	{ "observe_profile_stacks", { NULL, 0660, false } },
	/* read by consumers, written by the kernel or the loader */
	{ "observe_stats", { NULL, 0640, false } },
	{ "observe_slot_stats", { NULL, 0640, false } },
	{ "observe_info", { NULL, 0640, false } },
	{ "observe_sequence", { NULL, 0640, false } },
	{ "observe_profile_stats", { NULL, 0640, false } },
	/* the loader's own: readers open their ring by its pin instead */
	{ "observe_slots", { NULL, 0600, false } },
	/* TLS: plaintext only for group observe-tls, in its own directory;
	 * the counters and the probed targets stay readable by observe */
	{ "observe_tls_slot_cfg", { OBSERVE_TLS_SUBDIR, 0660, true } },
	{ "observe_tls_readers", { OBSERVE_TLS_SUBDIR, 0660, true } },
	{ "observe_tls_slots", { NULL, 0600, false } },
	{ "observe_tls_slot_stats", { NULL, 0640, false } },
	{ "observe_tls_stats", { NULL, 0640, false } },
	{ "observe_tls_targets", { NULL, 0640, false } },
	{ "observe_tls_info", { NULL, 0640, false } },
};

struct pin_place pin_place(const char *name)
{
	struct pin_place unlisted = { NULL, 0640, false };	/* at most readable */

	for (size_t i = 0; i < sizeof(map_places) / sizeof(map_places[0]); i++)
		if (!strcmp(map_places[i].name, name))
			return map_places[i].place;
	return unlisted;
}

/* Removes every entry of dir (one level), then dir; returns entries removed. */
static int remove_dir(const char *dir, int *failed)
{
	char path[4096];
	struct dirent *de;
	int removed = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_type == DT_DIR) {
			removed += remove_dir(path, failed);
			continue;
		}
		if (unlink(path)) {
			report_error("cannot remove %s: %s", path, strerror(errno));
			(*failed)++;
		} else {
			removed++;
		}
	}
	closedir(d);
	if (rmdir(dir)) {
		report_error("cannot remove %s: %s", dir, strerror(errno));
		(*failed)++;
	}
	return removed;
}

int unload_pins(const char *pin_dir)
{
	char path[4096];
	int failed = 0, links, pins;

	if (access(pin_dir, F_OK)) {
		printf("observe-load: nothing loaded at %s\n", pin_dir);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/observe_info", pin_dir);
	if (access(path, F_OK)) {
		snprintf(path, sizeof(path), "%s/" OBSERVE_LINKS_SUBDIR, pin_dir);
		if (access(path, F_OK)) {
			report_error("%s does not look like observe's pin directory: not touching it",
				     pin_dir);
			return 1;
		}
	}
	/* Links first: the programs stop before their maps go. */
	snprintf(path, sizeof(path), "%s/" OBSERVE_LINKS_SUBDIR, pin_dir);
	links = remove_dir(path, &failed);
	pins = remove_dir(pin_dir, &failed);
	if (failed) {
		report_error("%d pins could not be removed from %s", failed, pin_dir);
		return 1;
	}
	printf("observe-load: unloaded: %d links detached, %d pins removed from %s\n", links, pins,
	       pin_dir);
	return 0;
}
