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
	mode_t mode;
} map_modes[] = {
	/* changed at run time by consumers */
	{ "observe_filter", 0660 },
	{ "observe_filter_pids", 0660 },
	{ "observe_filter_comms", 0660 },
	{ "observe_filter_uids", 0660 },
	{ "observe_filter_cgroups", 0660 },
	{ "observe_filter_ports", 0660 },
	{ "observe_filter_cidrs", 0660 },
	{ "observe_slot_cfg", 0660 },
	{ "observe_readers", 0660 },
	/* sampling switched on, stacks cleared by observe-profile */
	{ "observe_profile_ctl", 0660 },
	{ "observe_profile_counts", 0660 },
	{ "observe_profile_stacks", 0660 },
	/* read by consumers, written by the kernel or the loader */
	{ "observe_stats", 0640 },
	{ "observe_slot_stats", 0640 },
	{ "observe_info", 0640 },
	{ "observe_sequence", 0640 },
	{ "observe_profile_stats", 0640 },
	/* the loader's own: readers open their ring by its pin instead */
	{ "observe_slots", 0600 },
};

mode_t pin_mode(const char *name)
{
	for (size_t i = 0; i < sizeof(map_modes) / sizeof(map_modes[0]); i++)
		if (!strcmp(map_modes[i].name, name))
			return map_modes[i].mode;
	return 0640;	/* a map not listed is at most readable */
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
