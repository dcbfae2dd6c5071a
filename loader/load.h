/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The state of one run of load_and_pin (load.c), and what a collector's
 * hooks (collectors.h) may do with it.
 */
#ifndef OBSERVE_LOAD_H
#define OBSERVE_LOAD_H

#include <bpf/libbpf.h>
#include "collectors.h"
#include "slot.h"

struct shared_map {		/* one map pinned under its own name */
	/* A copy: libbpf 1.1's bpf_map__reuse_fd() frees the map's name and
	 * puts the kernel's, cut to 15 bytes, in its place. */
	char name[64];
	int fd;
	bool pinned;		/* found pinned and reused */
	bool replace;		/* pinned with another layout: replace the pin */
	int frozen_fd;		/* the pinned one, frozen: its entries go into the new one */
	bool copied;		/* a new instance holding the old one's entries */
};

struct attached {
	struct bpf_link *link;
	char pin_name[128];	/* <collector>-<program> */
};

/* The rings of one slot family (lib/slot.h). */
struct ring_family {
	const struct slot_family *family;
	const char *slot_bits_var;	/* its programs' const volatile slot mask */
	__u64 slot_bits;		/* the slots its programs may write */
	unsigned nr_slots;
	uint64_t ring_size;
	gid_t gid;
	int ring_fd[OBSERVE_MAX_SLOTS];
	bool ring_new[OBSERVE_MAX_SLOTS];
	int slot_lock[OBSERVE_MAX_SLOTS];	/* slots being replaced or retired */
};

#define MAX_SHARED_MAPS 48
#define MAX_NEW_PATHS 128

struct load_state {
	const struct load_config *cfg;
	gid_t gid, tls_gid;
	__u32 generation;	/* this load's programs' */
	struct shared_map maps[MAX_SHARED_MAPS];
	int nr_maps;
	struct {
		const struct collector *c;
		void *skel;
		struct bpf_object *obj;
	} loaded[OBSERVE_COLLECTOR_COUNT];
	int nr_loaded;
	struct attached *links;	/* grown by load_add_link */
	int nr_links, links_room;
	struct {
		struct ring_family events;	/* every reader's */
		struct ring_family tls;		/* plaintext, for the TLS group */
	} rings;
	char *new_paths[MAX_NEW_PATHS];	/* directories created by this run */
	int nr_new_paths;
	struct {
		char *tmp, *final;	/* pinned at tmp, renamed to final at the end */
	} *staged;
	int nr_staged, staged_room;
	char *log;
};

/* The families of ring slots, for the phases that treat them all alike. */
#define FOR_EACH_FAMILY(s, r)							\
	for (struct ring_family *r = &(s)->rings.events; r;			\
	     r = r == &(s)->rings.events ? &(s)->rings.tls : NULL)

/* The object of collector 'id' (enum observe_collector) if this run loaded
 * it, else NULL. */
struct bpf_object *load_object_of(struct load_state *s, unsigned id);
/* The map of this load called 'name', or NULL if no loaded collector has it. */
struct shared_map *load_find_map(struct load_state *s, const char *name);
/* dir/name into buf; false if it does not fit. */
bool path_of(char *buf, size_t len, const char *dir, const char *name);
/* Creates a directory (mode 0750, group gid) unless it exists; one this run
 * made is removed again if the load fails. */
int load_make_dir(struct load_state *s, const char *path, gid_t gid, mode_t mode);
/* Pins fd at a temporary name beside path, put in place (renamed over
 * path) at the commit's point of no return. */
int load_stage_pin(struct load_state *s, int fd, const char *path, gid_t gid, mode_t mode);
/* Keeps the link, pinned at commit as links/<pin name>; on failure (reported)
 * destroys it. */
int load_add_link(struct load_state *s, struct bpf_link *link, const char *pin_fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* details.c: the loaded collectors' details (lock directories, held bits
 * left by killed holders, --details); at commit. */
int load_details(struct load_state *s);
/* After the renames: each detail's programs attached if it is on, else
 * detached; those of collectors or details not loaded now unpinned. */
void settle_detail_hooks(struct load_state *s);
/* Before the load: leaves out the programs of collector c that serve only
 * details of --without-details. Returns how many it left out. */
struct collector;
int leave_out_details(const struct load_config *cfg, const struct collector *c,
		      struct bpf_object *obj);

/* syscall_exits.c: the collectors' programs for syscall exits, on their
 * own trace events or tail-called by the syscalls collector's sys_exit. */
/* Before the load: which of each pair of c's programs is loaded. */
void choose_syscall_exits(const struct load_config *cfg, const struct collector *c,
			  struct bpf_object *obj);
/* Whether c's program 'prog' is tail-called (not attached). */
bool is_tail_called(const struct collector *c, const char *prog);
/* At commit: the syscalls collector's table filled and staged for pinning. */
int stage_syscall_exits(struct load_state *s, struct bpf_object *syscalls);

#endif /* OBSERVE_LOAD_H */
