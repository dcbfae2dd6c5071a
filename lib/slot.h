/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Ring slots from the reader's side. A reader owns a slot while it holds an
 * flock() on the slot's directory: the kernel drops the lock when the reader
 * dies, however it dies, so no slot is kept forever.
 */
#ifndef OBSERVE_SLOT_H
#define OBSERVE_SLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "observe.h"

/*
 * A family of slots: the event slots, or the TLS slots that only group
 * observe-tls may read (tls.h). Names are relative to the pin directory.
 */
struct slot_family {
	const char *what;	/* "ring slots", for messages */
	const char *slot_fmt;	/* the directory of slot N */
	const char *outer;	/* the array of rings the kernel writes into (loader only) */
	const char *cfg;	/* struct observe_slot_cfg per slot */
	const char *readers;	/* struct observe_readers: the active slots */
	const char *stats;	/* struct observe_slot_stats per slot, per CPU */
};

extern const struct slot_family slot_events, slot_tls;

/* "slot3", or "tls/slot3/ring" with file: slot index's name under the pin directory. */
void slot_name(char *buf, size_t len, const struct slot_family *family, unsigned index,
	       const char *file);

struct slot_filter {
	uint64_t types;		/* bit (1 << type) per wanted type */
	uint32_t match;		/* OBSERVE_SLOT_* */
	uint32_t pid;
	uint32_t uid;
	uint64_t cgroup_id;
	char comm[OBSERVE_COMM_LEN];
	uint32_t pid_set;	/* OBSERVE_SLOT_MATCH_PID_SET: the bit of observe_slot_pids */
};

struct slot {
	const struct slot_family *family;
	unsigned index;
	int dir_fd;		/* holds the flock */
	int ring_fd;
	int cfg_fd;		/* observe_slot_cfg */
	int readers_fd;		/* observe_readers */
	struct observe_readers *readers;	/* its value, mapped: the active slots */
	int stats_fd;		/* observe_slot_stats */
};

enum slot_state {
	SLOT_FREE,
	SLOT_IN_USE,
	SLOT_STALE,		/* marked active, but no reader holds it */
	SLOT_BLOCKED,		/* someone holds a shared lock: no reader can claim it */
};

/* "in-use", "stale", "blocked", "free". */
const char *slot_state_name(enum slot_state state);

/*
 * Claims the first free slot, empties its ring (a slot its last reader left
 * full or jammed is usable again), sets its filter and activates it; also
 * deactivates slots whose readers died. Prints the reason and returns -1 when
 * no slot can be had.
 */
int slot_claim(const char *dir, const struct slot_family *family, unsigned nr_slots,
	       __u64 ring_size, const struct slot_filter *filter, struct slot *slot);

/*
 * Whether the pins still lead to this slot's objects: false once observe was
 * unloaded, or reloaded in a way that replaced them (then the reader would
 * wait forever on a ring nobody writes).
 */
bool slot_still_current(const char *dir, const struct slot *slot);

/* Asks the kernel to stop writing into the slot's ring; the slot stays held. */
void slot_deactivate(struct slot *slot);

/* Sets the slot's filter to the pid set bits 'pid_set' of observe_slot_pids
 * and, with seed_comm (16 bytes), arms the kernel to add the next exec of
 * that comm to the set; without, disarms it. */
int slot_set_pid_set(struct slot *slot, uint32_t pid_set, const char *seed_comm);

/* An executable file as the kernel names it. */
struct slot_exe {
	uint32_t kernel_dev;	/* the kernel's dev_t: major << 20 | minor */
	uint64_t ino;
};

/* The same, for the processes whose image is 'exe' (OBSERVE_SLOT_SEED_EXE):
 * the kernel keeps them in the set as they exec, fork and exit. */
int slot_set_exe_pid_set(struct slot *slot, uint32_t pid_set, const struct slot_exe *exe);

/* Whether the kernel still waits for the exec that seeds the set (it
 * clears OBSERVE_SLOT_SEED_COMM as it adds that pid). */
bool slot_waits_for_comm(const struct slot *slot);

/* Sets or clears slot_pid_sets' bit of this (event) slot: whether the fork,
 * exit and exec hooks keep observe_slot_pids for it (observe-agent). */
void slot_follow_pid_set(struct slot *slot, bool on);

/* Deactivates the slot and gives it up. Safe to call twice. */
void slot_release(struct slot *slot);

/* Whether slot 'index' has its bit in observe_readers (open as readers_fd). */
bool slot_is_active(int readers_fd, unsigned index);

/*
 * The state of slot 'index', its config (cfg_fd: observe_slot_cfg), and the
 * pid holding its lock (0 if none or unknown), as the kernel's lock table
 * says: no lock is taken to find out, so looking never gets in a claim's way,
 * and the pid is the holder's even when the config names an earlier reader.
 */
enum slot_state slot_state_of(const char *dir, const struct slot_family *family, unsigned index,
			      int cfg_fd, int readers_fd, struct observe_slot_cfg *cfg,
			      uint32_t *holder);

/* Moves the ring's consumer position to its producer position: the ring is empty. */
int slot_reset_ring(int ring_fd);

#endif /* OBSERVE_SLOT_H */
