/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The collectors the loader knows. Each is a module, loader/<name>.c: one
 * BPF object (skeleton) and a row, collector_<name>, with its load-time
 * settings and optional hooks into the phases of load.c. The table comes
 * from observe.h's list of collectors: adding one adds its module, and
 * load.c only walks the table.
 */
#ifndef OBSERVE_COLLECTORS_H
#define OBSERVE_COLLECTORS_H

#include <bpf/libbpf.h>
#include "loader.h"

struct load_state;

/*
 * A program for one syscall's exit, in two forms: 'alone' on the syscall's
 * own trace event, or 'tail', tail-called by the syscalls collector's
 * sys_exit program when that collector is loaded: each trace event would
 * make the kernel run a second probe on sys_exit for every syscall of the
 * machine (loader/syscall_exits.c).
 */
struct syscall_exit_program {
	const char *alone, *tail;
	int nr;			/* its syscall number on this architecture */
};

struct collector {
	const char *name;
	unsigned id;		/* enum observe_collector */
	/* Opens the skeleton (not loaded) and sets *obj; NULL on failure. */
	void *(*open)(struct bpf_object **obj, const struct bpf_object_open_opts *opts);
	/* Writes the load-time settings into the skeleton's rodata and leaves
	 * out what this kernel lacks. Optional. */
	void (*configure)(void *skel, const struct load_config *cfg);
	void (*destroy)(void *skel);
	/* Optional hooks, each 0 or -1 (reported):
	 * attach: attaches the programs itself (by symbol, per CPU) instead of
	 *   bpf_program__attach() for each, recording links with load_add_link;
	 * commit: before the renames, prepares what its maps need from this
	 *   load; a failure leaves the pins as they were;
	 * reset: after the renames, called whether or not the collector was
	 *   loaded this time (obj NULL when not): brings what an earlier load
	 *   left in place in line with this one;
	 * describe: prints what the load did beyond the common summary. */
	int (*attach)(struct load_state *s, const struct collector *c, struct bpf_object *obj);
	int (*commit)(struct load_state *s, const struct collector *c);
	int (*reset)(struct load_state *s, const struct collector *c, struct bpf_object *obj);
	void (*describe)(struct load_state *s, const struct collector *c);
	/* Its programs for syscall exits, ended by a row of NULLs; or NULL. */
	const struct syscall_exit_program *syscall_exits;
};

/* The open and destroy of a collector's skeleton <name>_bpf: the same for all. */
#define COLLECTOR_SKELETON(name)							\
	static void *name##_open(struct bpf_object **obj,				\
				 const struct bpf_object_open_opts *opts)		\
	{										\
		struct name##_bpf *skel = name##_bpf__open_opts(opts);			\
											\
		if (skel)								\
			*obj = skel->obj;						\
		return skel;								\
	}										\
	static void name##_destroy(void *skel)						\
	{										\
		name##_bpf__destroy(skel);						\
	}

/* The fields every row has, for a module's row: { COLLECTOR_ROW(NET, net), ... } */
#define COLLECTOR_ROW(id_, name_) \
	.name = #name_, .id = OBSERVE_COLLECTOR_##id_, .open = name_##_open, .destroy = name_##_destroy

#define DECLARE_COLLECTOR(id, value, name) extern const struct collector collector_##name;
OBSERVE_COLLECTORS(DECLARE_COLLECTOR)
#undef DECLARE_COLLECTOR

/* Indexed by enum observe_collector. */
extern const struct collector *const collectors[OBSERVE_COLLECTOR_COUNT];
#define nr_collectors ((unsigned)OBSERVE_COLLECTOR_COUNT)

/* Syscall exit programs read the arguments from the saved registers (5.15+):
 * false, with 'lost' reported as what goes missing, on a kernel without. */
bool can_read_syscall_args(const char *lost);

#endif /* OBSERVE_COLLECTORS_H */
