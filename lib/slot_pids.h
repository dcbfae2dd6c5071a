/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A reader's own pid set in observe_slot_pids (observe.h): the processes one
 * observe-agent follows, each with its descendants. The kernel adds children
 * at fork and removes pids at exit; user space seeds the set from /proc for a
 * process that already runs, and takes its bit out of every entry when done.
 */
#ifndef OBSERVE_SLOT_PIDS_H
#define OBSERVE_SLOT_PIDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct slot_pids {
	int fd;			/* observe_slot_pids */
	uint32_t bit;		/* this reader's: 1 << its event slot */
};

/* Opens the pinned set; prints why and returns -1 on failure. */
int slot_pids_open(const char *dir, uint32_t bit, struct slot_pids *sp);
void slot_pids_close(struct slot_pids *sp);

/* Takes this reader's bit out of every entry (a dead reader of the same
 * slot may have left some), deleting entries left with no bit. */
void slot_pids_purge(struct slot_pids *sp);

/* Adds one pid: 0, or -errno. */
int slot_pids_add(struct slot_pids *sp, uint32_t pid);

/*
 * Adds 'root' and every live descendant (from /proc). Forks after a parent
 * was added are the kernel's; the walk repeats until it finds nothing new,
 * so a fork from a process not yet added is not missed. Returns the number
 * of pids added, or -errno when root could not be added.
 */
int slot_pids_add_tree(struct slot_pids *sp, uint32_t root);

/* The live processes whose comm is 'comm' (16 bytes, NUL-padded) and whose
 * parent's is not: up to 'max' into pids; returns how many. */
size_t proc_find_comm_roots(const char comm[16], uint32_t *pids, size_t max);

struct exe_holders {
	unsigned added;		/* processes running the file, added */
	unsigned unchecked;	/* processes whose image this user may not see */
};

/* Adds the live processes whose image is the file dev:ino (as stat(2) gives
 * them), from /proc/PID/exe: a process of another user cannot be checked
 * unless the reader may trace it, and is counted as unchecked. */
struct exe_holders slot_pids_add_exe_holders(struct slot_pids *sp, dev_t dev, ino_t ino);

/* The comm of a live process ("" if gone), 16 bytes. */
void proc_comm_of(uint32_t pid, char comm[16]);

#endif /* OBSERVE_SLOT_PIDS_H */
