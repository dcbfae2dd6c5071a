// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The memory collector: user page faults counted per process (a pinned map)
 * while OBSERVE_DETAIL_PAGE_FAULTS is on (a consumer asks, or it is switched
 * on for good; until then its program is not attached), and OOM
 * kills as events. 'observe-filter disable faults' switches counting off.
 *
 * The OOM event comes from the classic oom:mark_victim tracepoint, whose
 * record the kernel fills with the victim's memory in kB; its layout is
 * read through CO-RE, and fields a kernel lacks stay 0. page_fault_user
 * exists on x86 only: elsewhere the loader leaves that program out.
 */
#include "observe.bpf.h"
#include "memory.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, OBSERVE_FAULT_PROCS);
	__type(key, __u32);
	__type(value, struct observe_proc_faults);
} observe_faults_by_pid SEC(".maps");

SEC("tp_btf/page_fault_user")
int BPF_PROG(page_fault_user, unsigned long address, struct pt_regs *regs, unsigned long error)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct observe_proc_faults *p, fresh = {};
	__u64 start;

	if (!observe_detail_on(observe_readers_of(&observe_readers), OBSERVE_AGG_FAULTS,
			       OBSERVE_DETAIL_PAGE_FAULTS))
		return 0;
	start = observe_current_start_ns();
	p = bpf_map_lookup_elem(&observe_faults_by_pid, &pid);
	if (!p || p->start_ns != start) {
		bpf_get_current_comm(fresh.comm, sizeof(fresh.comm));
		p = observe_process_row(&observe_faults_by_pid, &pid, start, p, &fresh);
		if (!p)
			return 0;
	}
	__sync_fetch_and_add(&p->faults, 1);
	return 0;
}

SEC("tp/oom/mark_victim")
int mark_victim(struct trace_event_raw_mark_victim *ctx)
{
	struct observe_event_ctx ev = {};
	struct observe_oom_event *e;

	e = (struct observe_oom_event *)observe_event_begin(&ev, OBSERVE_EV_OOM_KILL);
	if (!e)
		return 0;
	e->victim_pid = ctx->pid;
	e->victim_uid = 0;
	e->total_vm_kb = e->anon_rss_kb = e->file_rss_kb = e->shmem_rss_kb = e->pgtables_kb = 0;
	e->oom_score_adj = 0;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	__builtin_memset(e->victim_comm, 0, sizeof(e->victim_comm));
	if (bpf_core_field_exists(ctx->total_vm)) {
		e->total_vm_kb = BPF_CORE_READ(ctx, total_vm);
		e->anon_rss_kb = BPF_CORE_READ(ctx, anon_rss);
		e->file_rss_kb = BPF_CORE_READ(ctx, file_rss);
		e->shmem_rss_kb = BPF_CORE_READ(ctx, shmem_rss);
	}
	if (bpf_core_field_exists(ctx->uid))
		e->victim_uid = BPF_CORE_READ(ctx, uid);
	if (bpf_core_field_exists(ctx->pgtables))
		e->pgtables_kb = BPF_CORE_READ(ctx, pgtables);
	if (bpf_core_field_exists(ctx->oom_score_adj))
		e->oom_score_adj = BPF_CORE_READ(ctx, oom_score_adj);
	if (bpf_core_field_exists(ctx->__data_loc_comm)) {
		/* A dynamic string: low 16 bits its offset in the record. */
		__u32 loc = BPF_CORE_READ(ctx, __data_loc_comm);

		bpf_probe_read_kernel_str(e->victim_comm, sizeof(e->victim_comm),
					  (void *)ctx + (loc & 0xffff));
	}
	observe_event_submit(&ev, sizeof(*e));
	return 0;
}
