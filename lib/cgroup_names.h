/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cgroup v2 ids as paths ("/system.slice/cron.service"), for people: an id
 * is the inode number of the cgroup's directory, so a walk of the cgroup2
 * mount (readable by everyone) finds it. Paths are cached; an id not in
 * the cache makes a new walk, at most one a second, so a stream of events
 * from a cgroup that is gone costs one failed lookup each.
 */
#ifndef OBSERVE_CGROUP_NAMES_H
#define OBSERVE_CGROUP_NAMES_H

#include <stdint.h>

struct cgroup_names;

/* 'root': the cgroup2 mount to walk; NULL finds it (/proc/self/mounts).
 * NULL when there is none or no memory. */
struct cgroup_names *cgroup_names_new(const char *root);
/* The path of cgroup 'id' below the mount ("/" for the root), or NULL when
 * no such cgroup exists (any more). Valid until the next call. */
const char *cgroup_names_path(struct cgroup_names *names, uint64_t id);
void cgroup_names_free(struct cgroup_names *names);

#endif /* OBSERVE_CGROUP_NAMES_H */
