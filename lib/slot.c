// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "slot.h"
#include "flocks.h"
#include "pins.h"
#include "report.h"
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>

const struct slot_family slot_events = {
	.what = "ring slots",
	.slot_fmt = OBSERVE_SLOT_SUBDIR_FMT,
	.outer = PIN_SLOTS,
	.cfg = PIN_SLOT_CFG,
	.readers = PIN_READERS,
	.stats = PIN_SLOT_STATS,
};

const struct slot_family slot_tls = {
	.what = "TLS ring slots",
	.slot_fmt = OBSERVE_TLS_SLOT_SUBDIR_FMT,
	.outer = PIN_TLS_SLOTS,
	.cfg = OBSERVE_TLS_SUBDIR "/" PIN_TLS_SLOT_CFG,
	.readers = OBSERVE_TLS_SUBDIR "/" PIN_TLS_READERS,
	.stats = PIN_TLS_SLOT_STATS,
};

void slot_name(char *buf, size_t len, const struct slot_family *family, unsigned index,
	       const char *file)
{
	int n;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	n = snprintf(buf, len, family->slot_fmt, index);
#pragma GCC diagnostic pop
	if (file && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - n, "/%s", file);
}

/* The slot's directory; with 'explain', a failure says why in one line. */
static int open_slot_dir_as(const char *dir, const struct slot_family *family, unsigned index,
			    bool explain)
{
	char name[64], path[4096];
	int fd;

	slot_name(name, sizeof(name), family, index, NULL);
	if (!pins_path(path, sizeof(path), dir, name))
		return -1;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && explain)
		pins_explain_error(dir, path, errno);
	return fd;
}

static int open_slot_dir(const char *dir, const struct slot_family *family, unsigned index)
{
	return open_slot_dir_as(dir, family, index, true);
}

static int open_slot_ring(const char *dir, const struct slot_family *family, unsigned index)
{
	char name[64];

	slot_name(name, sizeof(name), family, index, OBSERVE_SLOT_RING);
	return pins_open_map(dir, name, PIN_WRITE);
}

int slot_reset_ring(int ring_fd)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long *consumer, *producer;

	/* The ring's first page is the consumer position (writable by the
	 * reader), the second the producer position (read-only). */
	consumer = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, ring_fd, 0);
	if (consumer == MAP_FAILED)
		return -errno;
	producer = mmap(NULL, page, PROT_READ, MAP_SHARED, ring_fd, page);
	if (producer == MAP_FAILED) {
		int err = -errno;

		munmap(consumer, page);
		return err;
	}
	__atomic_store_n(consumer, __atomic_load_n(producer, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
	munmap(producer, page);
	munmap(consumer, page);
	return 0;
}

static int write_cfg(const struct slot *slot, int cfg_fd, unsigned index,
		     const struct observe_slot_cfg *cfg)
{
	__u32 key = index;

	if (bpf_map_update_elem(cfg_fd, &key, cfg, BPF_ANY)) {
		if (errno == EPERM && pins_map_frozen(cfg_fd))
			pins_report_frozen(slot->family->cfg);
		else
			report_error("cannot write slot %u's configuration: %s", index, strerror(errno));
		return -1;
	}
	return 0;
}

/* Other readers change their own bits at the same time: atomic or/and on
 * the mapped words, never a rewrite of the whole value. A slot switched off
 * no longer follows a pid set either (its reader may have died). */
static void set_active(struct observe_readers *readers, unsigned index, bool on)
{
	if (on) {
		__atomic_fetch_or(&readers->mask, 1ULL << index, __ATOMIC_SEQ_CST);
		return;
	}
	__atomic_fetch_and(&readers->mask, ~(1ULL << index), __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&readers->slot_pid_sets, __ATOMIC_ACQUIRE) & (1u << index))
		__atomic_fetch_and(&readers->slot_pid_sets, ~(1u << index), __ATOMIC_SEQ_CST);
}

/* The slot's filter: its own pid set, seeded as 'seed' says. */
static int set_pid_set(struct slot *slot, uint32_t pid_set, const char *seed_comm,
		       const struct slot_exe *seed_exe)
{
	struct observe_slot_cfg cfg;
	__u32 key = slot->index;

	if (bpf_map_lookup_elem(slot->cfg_fd, &key, &cfg)) {
		report_error("cannot read slot %u's configuration: %s", slot->index, strerror(errno));
		return -1;
	}
	cfg.pid_set = pid_set;
	cfg.match |= OBSERVE_SLOT_MATCH_PID_SET;
	cfg.match &= ~(OBSERVE_SLOT_SEED_COMM | OBSERVE_SLOT_SEED_EXE);
	if (seed_comm) {
		memcpy(cfg.comm, seed_comm, sizeof(cfg.comm));
		cfg.match |= OBSERVE_SLOT_SEED_COMM;
	}
	if (seed_exe) {
		cfg.exe_dev = seed_exe->kernel_dev;
		cfg.exe_ino = seed_exe->ino;
		cfg.match |= OBSERVE_SLOT_SEED_EXE;
	}
	return write_cfg(slot, slot->cfg_fd, slot->index, &cfg);
}

int slot_set_pid_set(struct slot *slot, uint32_t pid_set, const char *seed_comm)
{
	return set_pid_set(slot, pid_set, seed_comm, NULL);
}

int slot_set_exe_pid_set(struct slot *slot, uint32_t pid_set, const struct slot_exe *exe)
{
	return set_pid_set(slot, pid_set, NULL, exe);
}

bool slot_waits_for_comm(const struct slot *slot)
{
	struct observe_slot_cfg cfg;
	__u32 key = slot->index;

	return !bpf_map_lookup_elem(slot->cfg_fd, &key, &cfg) &&
	       (cfg.match & OBSERVE_SLOT_SEED_COMM);
}

void slot_follow_pid_set(struct slot *slot, bool on)
{
	if (on)
		__atomic_fetch_or(&slot->readers->slot_pid_sets, 1u << slot->index,
				  __ATOMIC_SEQ_CST);
	else
		__atomic_fetch_and(&slot->readers->slot_pid_sets, ~(1u << slot->index),
				   __ATOMIC_SEQ_CST);
}

bool slot_is_active(int readers_fd, unsigned index)
{
	struct observe_readers value = {};
	__u32 zero = 0;

	return !bpf_map_lookup_elem(readers_fd, &zero, &value) && (value.mask & (1ULL << index));
}

const char *slot_state_name(enum slot_state state)
{
	switch (state) {
	case SLOT_IN_USE: return "in-use";
	case SLOT_STALE: return "stale";
	case SLOT_BLOCKED: return "blocked";
	default: return "free";
	}
}

/* The state of the slot whose directory is open as fd, tested with a lock
 * where the lock table cannot be read. */
static enum slot_state lock_state(int fd, int readers_fd, unsigned index, uint32_t *holder)
{
	bool exclusive;
	int known = flock_holder(fd, holder, &exclusive);

	if (known > 0)
		return exclusive ? SLOT_IN_USE : SLOT_BLOCKED;
	*holder = 0;
	/* A shared lock only tests: readers hold an exclusive one. */
	if (known < 0 && flock(fd, LOCK_SH | LOCK_NB))
		return SLOT_IN_USE;
	return slot_is_active(readers_fd, index) ? SLOT_STALE : SLOT_FREE;
}

enum slot_state slot_state_of(const char *dir, const struct slot_family *family, unsigned index,
			      int cfg_fd, int readers_fd, struct observe_slot_cfg *cfg,
			      uint32_t *holder)
{
	enum slot_state state;
	__u32 key = index;
	int fd;

	memset(cfg, 0, sizeof(*cfg));
	*holder = 0;
	bpf_map_lookup_elem(cfg_fd, &key, cfg);
	fd = open_slot_dir(dir, family, index);
	if (fd < 0)
		return SLOT_FREE;
	state = lock_state(fd, readers_fd, index, holder);
	close(fd);
	return state;
}

/* "slot 0: pid 123 (observe-events)": who holds each slot, for the message
 * that says none is free. */
static void describe_holders(char *buf, size_t len, const char *dir,
			     const struct slot_family *family, unsigned nr_slots)
{
	size_t n = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < nr_slots && n < len; i++) {
		char path[64], comm[32] = "?";
		uint32_t pid = 0;
		bool exclusive = true;
		int fd = open_slot_dir(dir, family, i), w;
		FILE *f;

		if (fd < 0)
			continue;
		if (flock_holder(fd, &pid, &exclusive) <= 0)
			pid = 0;
		close(fd);
		snprintf(path, sizeof(path), "/proc/%u/comm", pid);
		f = pid ? fopen(path, "re") : NULL;
		if (f) {
			if (fgets(comm, sizeof(comm), f))
				comm[strcspn(comm, "\n")] = 0;
			fclose(f);
		}
		if (pid)
			w = snprintf(buf + n, len - n, "%sslot %u: pid %u (%s)%s", n ? ", " : "", i,
				     pid, comm, exclusive ? "" : " holding a shared lock");
		else
			w = snprintf(buf + n, len - n, "%sslot %u: taken meanwhile", n ? ", " : "", i);
		if (w < 0)
			break;
		n += w;
	}
}

/* Deactivates slots marked active whose reader died without releasing them. */
static void sweep_stale(const char *dir, const struct slot_family *family, unsigned mine,
			struct observe_readers *readers)
{
	/* No slot has these bits: a member's, never a reader's. */
	__atomic_fetch_and(&readers->mask, (1ULL << OBSERVE_MAX_SLOTS) - 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_and(&readers->slot_pid_sets, (1u << OBSERVE_MAX_SLOTS) - 1, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < OBSERVE_MAX_SLOTS; i++) {
		int fd;

		if (i == mine || !(__atomic_load_n(&readers->mask, __ATOMIC_ACQUIRE) & (1ULL << i)))
			continue;
		/* A bit past the slots is a member's: nothing is missing. */
		fd = open_slot_dir_as(dir, family, i, false);
		if (fd < 0 || !flock(fd, LOCK_EX | LOCK_NB))
			set_active(readers, i, false);	/* no reader, or no slot any more */
		if (fd >= 0)
			close(fd);
	}
}

static void init_slot(struct slot *slot)
{
	slot->family = &slot_events;
	slot->index = 0;
	slot->dir_fd = slot->ring_fd = slot->cfg_fd = slot->readers_fd = slot->stats_fd = -1;
	slot->readers = NULL;
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* Whether the map pinned at dir/name is the one open as fd. */
static bool pin_is(const char *dir, const char *name, int fd)
{
	LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = BPF_F_RDONLY);
	char path[4096];
	bool same;
	int pinned;

	if (!pins_path(path, sizeof(path), dir, name))
		return false;
	pinned = bpf_obj_get_opts(path, &opts);
	if (pinned < 0)
		return false;
	same = map_id(pinned) == map_id(fd);
	close(pinned);
	return same;
}

/* A TLS slot lives while the TLS collector is loaded with at least index + 1
 * slots: a reload without it leaves a held slot's pins, but nobody writes. */
static bool tls_slot_loaded(const char *dir, unsigned index)
{
	struct observe_tls_info info;

	return !pins_read_tls_info(dir, &info) && index < info.nr_slots;
}

bool slot_still_current(const char *dir, const struct slot *slot)
{
	char ring[64];

	if (slot->family == &slot_tls && !tls_slot_loaded(dir, slot->index))
		return false;
	slot_name(ring, sizeof(ring), slot->family, slot->index, OBSERVE_SLOT_RING);
	return pin_is(dir, ring, slot->ring_fd) &&
	       pin_is(dir, slot->family->readers, slot->readers_fd) &&
	       pin_is(dir, slot->family->cfg, slot->cfg_fd);
}

/* One pass over the slots; the index of the one locked, or nr_slots. */
static unsigned lock_free_slot(const char *dir, unsigned nr_slots, struct slot *slot)
{
	unsigned i;

	for (i = 0; i < nr_slots; i++) {
		slot->dir_fd = open_slot_dir(dir, slot->family, i);
		if (slot->dir_fd < 0)
			return nr_slots + 1;	/* reported */
		if (!flock(slot->dir_fd, LOCK_EX | LOCK_NB))
			break;
		close(slot->dir_fd);
		slot->dir_fd = -1;
	}
	return i;
}

int slot_claim(const char *dir, const struct slot_family *family, unsigned nr_slots,
	       __u64 ring_size, const struct slot_filter *filter, struct slot *slot)
{
	struct observe_slot_cfg cfg;
	unsigned i;
	__u32 key;
	int err;

	init_slot(slot);
	slot->family = family;
	if (nr_slots > OBSERVE_MAX_SLOTS)
		nr_slots = OBSERVE_MAX_SLOTS;
	slot->cfg_fd = pins_open_map(dir, family->cfg, PIN_WRITE);
	if (slot->cfg_fd < 0)
		goto fail;
	slot->readers_fd = pins_open_map(dir, family->readers, PIN_WRITE);
	if (slot->readers_fd < 0)
		goto fail;
	slot->readers = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED,
			     slot->readers_fd, 0);
	if (slot->readers == MAP_FAILED) {
		slot->readers = NULL;
		if (errno == EPERM && pins_map_frozen(slot->readers_fd))
			pins_report_frozen(family->readers);
		else
			report_error("cannot map %s/%s: %s", dir, family->readers, strerror(errno));
		goto fail;
	}
	slot->stats_fd = pins_open_map(dir, family->stats, PIN_READ);
	if (slot->stats_fd < 0)
		goto fail;

	/* observe-stats and other claimants hold slot locks for an instant:
	 * look again before saying that every slot is taken. */
	for (int pass = 0; pass < 5; pass++) {
		i = lock_free_slot(dir, nr_slots, slot);
		if (i != nr_slots)
			break;
		usleep(20000);
	}
	if (i > nr_slots)
		goto fail;
	if (i == nr_slots) {
		char holders[1024];

		describe_holders(holders, sizeof(holders), dir, family, nr_slots);
		report_error("all %u %s are in use (%s): stop a reader, or reload with more "
			     "(observe-load --help)", nr_slots, family->what, holders);
		goto fail;
	}
	slot->index = key = i;

	slot->ring_fd = open_slot_ring(dir, family, i);
	if (slot->ring_fd < 0)
		goto fail;
	set_active(slot->readers, i, false);	/* quiet while the ring is emptied */
	err = slot_reset_ring(slot->ring_fd);
	if (err) {
		report_error("cannot map the ring of slot %u: %s", i, strerror(-err));
		goto fail;
	}
	memset(&cfg, 0, sizeof(cfg));
	bpf_map_lookup_elem(slot->cfg_fd, &key, &cfg);
	cfg.generation++;
	cfg.owner_pid = getpid();
	cfg.types = filter->types;
	cfg.match = filter->match;
	cfg.pid = filter->pid;
	cfg.uid = filter->uid;
	cfg.cgroup_id = filter->cgroup_id;
	memcpy(cfg.comm, filter->comm, sizeof(cfg.comm));
	cfg.pid_set = filter->pid_set;
	/* Wake-ups are costly for the producer: one when a quarter is full.
	 * The ring's own size: a busy slot keeps its ring across a reload. */
	{
		struct bpf_map_info ring = {};
		__u32 len = sizeof(ring);

		cfg.wakeup_bytes = (bpf_obj_get_info_by_fd(slot->ring_fd, &ring, &len) ?
				    ring_size : ring.max_entries) / 4;
	}
	if (write_cfg(slot, slot->cfg_fd, i, &cfg))
		goto fail;
	set_active(slot->readers, i, true);
	sweep_stale(dir, family, i, slot->readers);
	return 0;
fail:
	slot_release(slot);
	return -1;
}

void slot_deactivate(struct slot *slot)
{
	/* Only the holder of the lock deactivates: it is the slot's owner. */
	if (slot->dir_fd >= 0 && slot->readers)
		set_active(slot->readers, slot->index, false);
}

void slot_release(struct slot *slot)
{
	slot_deactivate(slot);
	if (slot->readers)
		munmap(slot->readers, sysconf(_SC_PAGESIZE));
	if (slot->readers_fd >= 0)
		close(slot->readers_fd);
	if (slot->ring_fd >= 0)
		close(slot->ring_fd);
	if (slot->stats_fd >= 0)
		close(slot->stats_fd);
	if (slot->cfg_fd >= 0)
		close(slot->cfg_fd);
	if (slot->dir_fd >= 0)
		close(slot->dir_fd);	/* drops the flock last */
	init_slot(slot);
}
