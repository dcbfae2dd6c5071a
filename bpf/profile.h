/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The profile collector: a software cpu-clock perf event per CPU samples
 * whatever runs there; each sample counts one (process, user stack, kernel
 * stack) in observe_profile_counts, the stacks themselves kept in
 * observe_profile_stacks. Sampling runs only while observe_profile_ctl says
 * so: observe-profile switches it on for its window.
 */
#ifndef OBSERVE_PROFILE_H
#define OBSERVE_PROFILE_H

#include "observe.h"

#define OBSERVE_PROFILE_DEFAULT_HZ 49	/* off the beat of 50 and 100 Hz timers */
#define OBSERVE_PROFILE_MAX_HZ 1000
#define OBSERVE_PROFILE_DEPTH 127	/* frames a stack keeps: the kernel's PERF_MAX_STACK_DEPTH */
#define OBSERVE_PROFILE_STACKS 8192	/* distinct stacks kept (a hash without chains) */
#define OBSERVE_PROFILE_KEYS 16384	/* (process, stacks) pairs counted */
#define OBSERVE_PROFILE_MAX_CPUS 1024	/* CPUs sampled */

/* OBSERVE_PROFILE_LOCK_DIR (lib/pins.h): a directory under the pin
 * directory that each observe-profile flock()s shared while it runs; the
 * last one out (an exclusive lock) switches sampling off, and the first one
 * in clears the stacks. */

struct observe_profile_ctl {	/* observe_profile_ctl, one entry */
	__u32 sampling;		/* 1: count samples; 0: the program returns at once */
	__u32 hz;		/* the loader's sampling frequency, for readers */
};

struct observe_profile_key {	/* key of observe_profile_counts */
	__u32 pid;		/* process (tgid) */
	__s32 user_stack;	/* id in observe_profile_stacks, or -errno */
	__s32 kernel_stack;	/* the same; -EFAULT: none (a sample in user mode) */
	__u32 pad;
	char comm[OBSERVE_COMM_LEN];	/* of the sampled thread */
};

struct observe_profile_stats {	/* observe_profile_stats, per CPU, one entry */
	__u64 samples;		/* taken while sampling was on */
	__u64 idle;		/* the CPU was idle: not counted */
	__u64 counted;		/* added to observe_profile_counts */
	__u64 lost_user_stacks;	/* a user stack could not be kept (table full, collision) */
	__u64 lost_kernel_stacks;
	__u64 lost_full;	/* observe_profile_counts was full: the sample is lost */
};

OBSERVE_ABI_LAYOUT(observe_profile_ctl, 8, 4);
OBSERVE_ABI_LAYOUT(observe_profile_key, 32, 4);
OBSERVE_ABI_LAYOUT(observe_profile_stats, 48, 8);

#endif /* OBSERVE_PROFILE_H */
