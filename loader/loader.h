/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the parts of observe-load share. */
#ifndef OBSERVE_LOADER_H
#define OBSERVE_LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "observe.h"

struct load_config {
	const char *pin_dir;
	const char *group;
	unsigned nr_slots;
	uint64_t ring_size;
	unsigned argv_max;
	bool runq_per_cgroup;	/* a run-queue histogram per cgroup as well */
	unsigned profile_hz;	/* samples per second per CPU of the profiler */
	uint64_t collectors;	/* bit per enum observe_collector */
	uint64_t required;	/* named by the user: fail rather than leave out */
	bool verbose;
};

/* system.c: the machine around the loader */
int check_capabilities(void);
int ensure_bpffs(const char *pin_dir);
int ensure_tracefs(void);
int resolve_group(const char *name, bool create, gid_t *gid);
/* Waits until no other observe-load works below the pin directory's parent;
 * the lock holds until this process exits. */
int lock_out_other_loaders(const char *pin_dir);

/* probe.c: what the kernel supports */
struct kernel_features {
	char release[OBSERVE_RELEASE_LEN];
	bool btf;
	bool ringbuf;
	bool ringbuf_in_map_array;
	bool tracefs;
};
void probe_kernel(struct kernel_features *f);
/* Whether the hook of a program's section ("tp/cat/name", "raw_tp/name") exists. */
bool probe_hook(const char *section, const char **why);
int print_probe(const struct load_config *cfg);

/* perf_event.c: the profiler's sampling events */
/* A cpu-clock perf event on 'cpu' sampling at 'hz', or -1 (errno set). */
int open_cpu_clock(int cpu, unsigned hz);
/* The CPUs online now, from /sys/devices/system/cpu/online: the first max
 * into cpus; returns how many are online (maybe more than max), or -1. */
int online_cpus(int *cpus, int max);

/* load.c: load, attach and pin */
int load_and_pin(const struct load_config *cfg, const struct kernel_features *f, gid_t gid);

/* pins.c in loader: layout, modes and removal */
mode_t pin_mode(const char *name);
int unload_pins(const char *pin_dir);

#endif /* OBSERVE_LOADER_H */
