// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "cgroup_names.h"
#include "parse.h"

#include <fts.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define RESCAN_MIN_NS 1000000000ULL	/* one walk a second at most */
#define MAX_CGROUPS 65536		/* beyond: paths of the rest unknown */

struct cgroup_entry {
	uint64_t id;
	char *path;
};

struct cgroup_names {
	char *root;
	size_t root_len;
	struct cgroup_entry *slots;	/* open addressing, id 0 = empty */
	size_t cap, used;
	uint64_t last_scan_ns;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static size_t slot_of(const struct cgroup_names *n, uint64_t id)
{
	size_t i = (size_t)(id * 0x9e3779b97f4a7c15ULL) & (n->cap - 1);

	while (n->slots[i].id && n->slots[i].id != id)
		i = (i + 1) & (n->cap - 1);
	return i;
}

static void clear(struct cgroup_names *n)
{
	for (size_t i = 0; i < n->cap; i++) {
		free(n->slots[i].path);
		n->slots[i] = (struct cgroup_entry){ 0 };
	}
	n->used = 0;
}

static void add(struct cgroup_names *n, uint64_t id, const char *path)
{
	size_t i;

	if (!id || n->used >= n->cap / 2)
		return;
	i = slot_of(n, id);
	if (n->slots[i].id)
		return;
	n->slots[i].path = strdup(*path ? path : "/");
	if (n->slots[i].path) {
		n->slots[i].id = id;
		n->used++;
	}
}

/* Every directory below the mount: its inode is its cgroup's id. */
static void scan(struct cgroup_names *n)
{
	char *const roots[] = { n->root, NULL };
	FTS *fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR | FTS_XDEV, NULL);
	FTSENT *e;

	n->last_scan_ns = now_ns();
	if (!fts)
		return;
	clear(n);
	while ((e = fts_read(fts))) {
		if (e->fts_info != FTS_D)
			continue;
		add(n, e->fts_statp->st_ino, e->fts_path + n->root_len);
	}
	fts_close(fts);
}

struct cgroup_names *cgroup_names_new(const char *root)
{
	struct cgroup_names *n;

	if (!root)
		root = cgroup2_mount();
	if (!root)
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->root = strdup(root);
	n->cap = 2 * MAX_CGROUPS;
	n->slots = calloc(n->cap, sizeof(*n->slots));
	if (!n->root || !n->slots) {
		cgroup_names_free(n);
		return NULL;
	}
	/* "/sys/fs/cgroup/" as the root: paths keep their leading '/'. */
	n->root_len = strlen(n->root);
	while (n->root_len > 1 && n->root[n->root_len - 1] == '/')
		n->root[--n->root_len] = 0;
	return n;
}

const char *cgroup_names_path(struct cgroup_names *n, uint64_t id)
{
	size_t i;

	if (!n || !id)
		return NULL;
	i = slot_of(n, id);
	if (n->slots[i].id == id)
		return n->slots[i].path;
	if (n->last_scan_ns && now_ns() - n->last_scan_ns < RESCAN_MIN_NS)
		return NULL;
	scan(n);
	i = slot_of(n, id);
	return n->slots[i].id == id ? n->slots[i].path : NULL;
}

void cgroup_names_free(struct cgroup_names *n)
{
	if (!n)
		return;
	if (n->slots)
		clear(n);
	free(n->slots);
	free(n->root);
	free(n);
}
