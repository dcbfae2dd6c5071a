// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The cpu collector: run-queue latency, the time a task waits to run once
 * it is runnable (woken, new, or preempted while still runnable), as a log2
 * histogram for the whole machine and, with --runq-per-cgroup, per cgroup v2.
 * It runs while OBSERVE_DETAIL_RUNQ_LATENCY is on (a consumer asks, or it is
 * switched on for good); until then its programs are not attached
 * (lib/detail_hooks.c). 'observe-filter disable runq' switches it off.
 */
#include "observe.bpf.h"
#include "cpu.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TASK_RUNNING 0

const volatile bool per_cgroup = false;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, OBSERVE_RUNQ_CGROUPS);
	__type(key, __u64);
	__type(value, struct observe_runq_stats);
} observe_runq SEC(".maps");

/* When each runnable task began to wait. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OBSERVE_RUNQ_WAITING);
	__type(key, __u32);	/* tid */
	__type(value, __u64);	/* ktime ns */
} waiting SEC(".maps");

static __always_inline void starts_waiting(__u32 tid)
{
	__u64 now = bpf_ktime_get_ns();

	if (tid)	/* the idle task never waits */
		bpf_map_update_elem(&waiting, &tid, &now, BPF_ANY);
}

static __always_inline const struct observe_readers *runq_on(void)
{
	return observe_detail_readers(OBSERVE_AGG_RUNQ, OBSERVE_DETAIL_RUNQ_LATENCY);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(runq_wakeup, struct task_struct *p)
{
	if (runq_on())
		starts_waiting(p->pid);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(runq_wakeup_new, struct task_struct *p)
{
	if (runq_on())
		starts_waiting(p->pid);
	return 0;
}

static __always_inline void add_to(__u64 cgroup, __u64 ns)
{
	struct observe_runq_stats *st, fresh = {};

	st = observe_lookup_or_init(&observe_runq, &cgroup, &fresh);
	if (!st)
		return;
	observe_hist_add(&st->latency_ns, ns);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(runq_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	const struct observe_readers *readers = runq_on();
	__u32 tid = next->pid;
	__u64 *since, ns, start;

	if (!readers)
		return 0;
	/* Preempted but still runnable: it waits again from now. */
	if (prev_state == TASK_RUNNING)
		starts_waiting(prev->pid);
	since = bpf_map_lookup_elem(&waiting, &tid);
	if (!since)
		return 0;
	start = *since;
	bpf_map_delete_elem(&waiting, &tid);
	/* A wait noted before the last switch-on ended while off: unknown. */
	if (start < readers->details_since[OBSERVE_DETAIL_RUNQ_LATENCY])
		return 0;
	ns = bpf_ktime_get_ns() - start;
	add_to(0, ns);
	if (per_cgroup)
		add_to(BPF_CORE_READ(next, cgroups, dfl_cgrp, kn, id), ns);
	return 0;
}
