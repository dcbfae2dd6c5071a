// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "slot_pids.h"
#include "pins.h"
#include "report.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>

#define SEED_PASSES 8		/* walks of /proc until one finds nothing new */

int slot_pids_open(const char *dir, uint32_t bit, struct slot_pids *sp)
{
	sp->bit = bit;
	sp->fd = pins_open_map(dir, PIN_SLOT_PIDS, PIN_WRITE);
	return sp->fd < 0 ? -1 : 0;
}

void slot_pids_close(struct slot_pids *sp)
{
	if (sp->fd >= 0)
		close(sp->fd);
	sp->fd = -1;
}

/* Takes pid out of this slot's set (other slots' bits stay). */
static void slot_pids_remove(struct slot_pids *sp, uint32_t pid)
{
	__u32 bits = 0;

	if (bpf_map_lookup_elem(sp->fd, &pid, &bits) || !(bits & sp->bit))
		return;
	bits &= ~sp->bit;
	if (bits)
		bpf_map_update_elem(sp->fd, &pid, &bits, BPF_EXIST);
	else
		bpf_map_delete_elem(sp->fd, &pid);
}

void slot_pids_purge(struct slot_pids *sp)
{
	__u32 key, next;
	void *prev = NULL;

	/* Deleting the current key would restart the walk: step first. */
	while (!bpf_map_get_next_key(sp->fd, prev, &next)) {
		key = next;
		prev = &key;
		slot_pids_remove(sp, key);
	}
}

static uint32_t proc_ppid_of(uint32_t pid);

int slot_pids_add(struct slot_pids *sp, uint32_t pid)
{
	__u32 bits = 0;

	bpf_map_lookup_elem(sp->fd, &pid, &bits);
	if (bits & sp->bit)
		return 0;
	bits |= sp->bit;
	if (bpf_map_update_elem(sp->fd, &pid, &bits, BPF_ANY))
		return -errno;
	/* A process that exited between the caller's look and the add went
	 * through the kernel's exit hook before its bit was set: nobody would
	 * take it out, and a reader waiting for its set to empty would wait
	 * for good. Once the bit is set, an exit is the kernel's to see. */
	if (!proc_ppid_of(pid) && pid != 1) {
		slot_pids_remove(sp, pid);
		return -ESRCH;
	}
	return 0;
}

static bool member(struct slot_pids *sp, uint32_t pid)
{
	__u32 bits = 0;

	return !bpf_map_lookup_elem(sp->fd, &pid, &bits) && (bits & sp->bit);
}

/* The parent of a running process, from /proc/PID/stat; 0 if it is gone
 * or has exited (a zombie: the kernel's exit hook has run for it). */
static uint32_t proc_ppid_of(uint32_t pid)
{
	char path[64], buf[512], *close_paren, state;
	unsigned ppid = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* comm may hold spaces and parentheses: the state follows the last ')'. */
	close_paren = strrchr(buf, ')');
	if (!close_paren || sscanf(close_paren + 1, " %c %u", &state, &ppid) != 2 ||
	    state == 'Z' || state == 'X')
		return 0;
	return ppid;
}

void proc_comm_of(uint32_t pid, char comm[16])
{
	char path[64];
	ssize_t n = 0;
	int fd;

	memset(comm, 0, 16);
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, comm, 15);
	close(fd);
	if (n > 0 && comm[n - 1] == '\n')
		comm[n - 1] = 0;
}

/* Calls fn for each live process with its parent. */
static void for_each_process(void (*fn)(void *ctx, uint32_t pid, uint32_t ppid), void *ctx)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		uint32_t pid, ppid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = strtoul(de->d_name, NULL, 10);
		ppid = proc_ppid_of(pid);
		if (ppid)
			fn(ctx, pid, ppid);
	}
	closedir(d);
}

struct tree_walk {
	struct slot_pids *sp;
	int added;
};

/* Adds a process whose parent is in the set. Parents listed after their
 * children are caught by the next pass. */
static void add_if_child(void *ctx, uint32_t pid, uint32_t ppid)
{
	struct tree_walk *w = ctx;

	if (member(w->sp, ppid) && !member(w->sp, pid) && !slot_pids_add(w->sp, pid))
		w->added++;
}

int slot_pids_add_tree(struct slot_pids *sp, uint32_t root)
{
	struct tree_walk w = { .sp = sp };
	int err = slot_pids_add(sp, root);

	if (err)
		return err;
	for (int pass = 0; pass < SEED_PASSES; pass++) {
		int before = w.added;

		for_each_process(add_if_child, &w);
		if (w.added == before)
			break;
	}
	return 1 + w.added;
}

struct comm_search {
	const char *comm;
	uint32_t *pids;
	size_t n, max;
};

static void match_comm(void *ctx, uint32_t pid, uint32_t ppid)
{
	struct comm_search *s = ctx;
	char comm[16], parent[16];

	if (s->n == s->max)
		return;
	proc_comm_of(pid, comm);
	if (memcmp(comm, s->comm, sizeof(comm)))
		return;
	proc_comm_of(ppid, parent);
	if (!memcmp(parent, s->comm, sizeof(parent)))
		return;		/* a descendant of another match: followed with it */
	s->pids[s->n++] = pid;
}

size_t proc_find_comm_roots(const char comm[16], uint32_t *pids, size_t max)
{
	struct comm_search s = { .comm = comm, .pids = pids, .max = max };

	for_each_process(match_comm, &s);
	return s.n;
}

struct exe_search {
	struct slot_pids *sp;
	dev_t dev;
	ino_t ino;
	struct exe_holders found;
	unsigned passes, added_this_pass;
};

/* 1: pid runs the file now; 0: it does not, or is gone; -errno from stat. */
static int runs_exe(const struct exe_search *s, uint32_t pid)
{
	char path[32];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	if (stat(path, &st))
		return errno == ENOENT || errno == ESRCH ? 0 : -errno;
	return st.st_dev == s->dev && st.st_ino == s->ino;
}

static void add_if_runs_exe(void *ctx, uint32_t pid, uint32_t ppid)
{
	struct exe_search *s = ctx;
	int runs = runs_exe(s, pid);

	(void)ppid;
	/* Another user's process (EACCES) is not ours to check; a kernel
	 * thread has no image (ENOENT), nor has one that left. */
	if (runs == -EACCES || runs == -EPERM) {
		if (!s->passes)
			s->found.unchecked++;
		return;
	}
	if (runs != 1 || member(s->sp, pid) || slot_pids_add(s->sp, pid))
		return;
	/* An exec between the look and the add left the file before the
	 * kernel could see it in the set: look again now that it is. An exec
	 * from here on is the kernel's to see. */
	if (runs_exe(s, pid) != 1) {
		slot_pids_remove(s->sp, pid);
		return;
	}
	s->found.added++;
	s->added_this_pass++;
}

struct exe_holders slot_pids_add_exe_holders(struct slot_pids *sp, dev_t dev, ino_t ino)
{
	struct exe_search s = { .sp = sp, .dev = dev, .ino = ino };

	/* Again while a walk adds some: a child forked before its parent was
	 * in the set, at a pid the walk had passed, is found by the next. */
	for (s.passes = 0; s.passes < SEED_PASSES; s.passes++) {
		s.added_this_pass = 0;
		for_each_process(add_if_runs_exe, &s);
		if (!s.added_this_pass)
			break;
	}
	return s.found;
}
