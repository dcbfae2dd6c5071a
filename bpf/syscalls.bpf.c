// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The syscalls collector: every syscall counted per syscall number (with
 * errors and a log2 latency histogram) and per process, into pinned maps.
 * Nothing goes to the rings. Runs on every syscall, so it is lean: a
 * per-task slot for the entry time (task storage: no hash lookup), per-CPU
 * counters, and one read of the global filter while switched off
 * ('observe-filter disable syscalls').
 */
#include "observe.bpf.h"
#include "syscalls.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OBSERVE_SYSCALL_NR_MAX);
	__type(key, __u32);
	__type(value, struct observe_syscall_stats);
} observe_syscalls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, OBSERVE_SYSCALL_PROCS);
	__type(key, __u32);
	__type(value, struct observe_proc_syscalls);
} observe_syscalls_by_pid SEC(".maps");

/* A successful exec renames the process: its row takes the new name. */
#if defined(__TARGET_ARCH_x86)
#define NR_EXECVE 59
#define NR_EXECVEAT 322
#elif defined(__TARGET_ARCH_arm64)
#define NR_EXECVE 221
#define NR_EXECVEAT 281
#endif

struct syscall_entry {
	__u64 ts;	/* 0: not in a syscall we saw begin */
	__u32 nr;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct syscall_entry);
} syscall_entries SEC(".maps");

SEC("tp_btf/sys_enter")
int BPF_PROG(syscall_enter, struct pt_regs *regs, long nr)
{
	struct syscall_entry *entry;

	if (observe_type_off(OBSERVE_AGG_SYSCALLS))
		return 0;
	entry = bpf_task_storage_get(&syscall_entries, bpf_get_current_task_btf(), 0,
				     BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!entry)
		return 0;
	entry->nr = nr;
	entry->ts = bpf_ktime_get_ns();
	return 0;
}

static __always_inline void count_for_process(__u32 nr, long ret, bool failed, __u64 ns)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct observe_proc_syscalls *p, fresh = {};

	p = bpf_map_lookup_elem(&observe_syscalls_by_pid, &pid);
	if (!p) {
		bpf_get_current_comm(fresh.comm, sizeof(fresh.comm));
		p = observe_lookup_or_init(&observe_syscalls_by_pid, &pid, &fresh);
		if (!p)
			return;
	}
	__sync_fetch_and_add(&p->count, 1);
	__sync_fetch_and_add(&p->total_ns, ns);
	if (failed)
		__sync_fetch_and_add(&p->errors, 1);
	if ((nr == NR_EXECVE || nr == NR_EXECVEAT) && ret == 0)
		bpf_get_current_comm(p->comm, sizeof(p->comm));
}

SEC("tp_btf/sys_exit")
int BPF_PROG(syscall_exit, struct pt_regs *regs, long ret)
{
	struct observe_syscall_stats *st;
	struct syscall_entry *entry;
	bool failed = ret < 0 && ret >= -4095;
	__u64 ns;
	__u32 nr;

	entry = bpf_task_storage_get(&syscall_entries, bpf_get_current_task_btf(), 0, 0);
	if (!entry || !entry->ts)
		return 0;	/* began while switched off, or before the load */
	ns = bpf_ktime_get_ns() - entry->ts;
	nr = entry->nr;
	entry->ts = 0;
	st = bpf_map_lookup_elem(&observe_syscalls, &nr);
	if (!st)
		return 0;	/* a number past OBSERVE_SYSCALL_NR_MAX */
	st->count++;
	if (failed)
		st->errors++;
	observe_hist_add(&st->latency_ns, ns);
	count_for_process(nr, ret, failed, ns);
	return 0;
}
