// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The syscalls collector: every syscall counted per syscall number, with
 * its errors, into a pinned per-CPU array. Nothing goes to the rings. It
 * runs on every syscall of the machine, so by default it does what syscount
 * does and no more: one program on sys_exit, which has the number (in the
 * registers) and the return value, one read of observe_readers and one
 * per-CPU add. The latency histograms and the per-process table need the
 * entry time (task storage, two clock reads, an LRU row with atomics): they
 * run only while OBSERVE_DETAIL_SYSCALL_LATENCY is on; until then the
 * sys_enter program is not even attached (lib/detail_hooks.c), and its
 * check of that word covers the moments around a switch.
 * 'observe-filter disable syscalls' switches it all off.
 */
#include "observe.bpf.h"
#include "syscalls.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OBSERVE_SYSCALL_NR_MAX);
	__type(key, __u32);
	__type(value, struct observe_syscall_count);
} observe_syscall_counts SEC(".maps");

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
#define SYSCALL_NR(regs) ((regs)->orig_ax)
#elif defined(__TARGET_ARCH_arm64)
#define NR_EXECVE 221
#define NR_EXECVEAT 281
#define SYSCALL_NR(regs) ((regs)->syscallno)
#endif

/* The other collectors' programs for one syscall's exit, by syscall
 * number, filled by the loader: tail-called here, they need no syscall
 * trace event of their own, whose probe the kernel would run beside this
 * program on every syscall. Not shared: a new load's programs come with a
 * new one (the loader pins it, PIN_SYSCALL_EXITS, as its entries go when no
 * pin or fd holds it). */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, OBSERVE_SYSCALL_NR_MAX);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} syscall_exits SEC(".maps");

struct syscall_entry {
	__u64 ts;	/* 0: not in a syscall we saw begin */
	__u32 nr;	/* an exit of another number: latency was off at its entry */
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

	if (!observe_detail_on(observe_readers_of(&observe_readers), OBSERVE_AGG_SYSCALLS,
			       OBSERVE_DETAIL_SYSCALL_LATENCY))
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
	__u64 start = observe_current_start_ns();

	p = bpf_map_lookup_elem(&observe_syscalls_by_pid, &pid);
	if (!p || p->start_ns != start) {
		bpf_get_current_comm(fresh.comm, sizeof(fresh.comm));
		p = observe_process_row(&observe_syscalls_by_pid, &pid, start, p, &fresh);
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

/* The entry time of this syscall, or 0 when latency was off at its entry:
 * a slot left set by a syscall whose exit came while latency was off began
 * before latency last went on ('since'), or is overwritten by the next
 * entry. */
static __always_inline __u64 entry_time(__u32 nr, __u64 since)
{
	struct syscall_entry *entry;
	__u64 ts;

	entry = bpf_task_storage_get(&syscall_entries, bpf_get_current_task_btf(), 0, 0);
	if (!entry || !entry->ts)
		return 0;	/* began while switched off, or before the load */
	ts = entry->ts;
	entry->ts = 0;
	return entry->nr == nr && ts >= since ? ts : 0;
}

/* Latency histogram and per-process row: only while switched on. */
static __always_inline void time_syscall(__u32 nr, long ret, bool failed, __u64 since)
{
	struct observe_syscall_stats *st;
	__u64 ts = entry_time(nr, since), ns;

	if (!ts)
		return;
	ns = bpf_ktime_get_ns() - ts;
	st = bpf_map_lookup_elem(&observe_syscalls, &nr);
	if (!st)
		return;
	observe_hist_add(&st->latency_ns, ns);
	count_for_process(nr, ret, failed, ns);
}

/* tp_btf is the raw tracepoint with BTF: regs is read with a plain load
 * (CO-RE relocated), not a bpf_probe_read_kernel() call. */
static __always_inline void count_syscall(__u32 nr, long ret)
{
	const struct observe_readers *readers = observe_readers_of(&observe_readers);
	struct observe_syscall_count *c;
	bool failed = ret < 0 && ret >= -4095;

	if (!readers || (readers->types_off & (1ULL << OBSERVE_AGG_SYSCALLS)))
		return;
	c = bpf_map_lookup_elem(&observe_syscall_counts, &nr);
	if (!c)
		return;	/* a number past OBSERVE_SYSCALL_NR_MAX, or -1 */
	c->count++;
	if (failed)
		c->errors++;
	if (readers->details_on & OBSERVE_DETAIL_ON(OBSERVE_DETAIL_SYSCALL_LATENCY))
		time_syscall(nr, ret, failed,
			     readers->details_since[OBSERVE_DETAIL_SYSCALL_LATENCY]);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(syscall_exit, struct pt_regs *regs, long ret)
{
	__u32 nr = SYSCALL_NR(regs);

	count_syscall(nr, ret);
	/* Returns only where no collector's program is set for nr. */
	bpf_tail_call(ctx, &syscall_exits, nr);
	return 0;
}
