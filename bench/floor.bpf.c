// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Floors on the fork hook (tp_btf/sched_process_fork, observe's own): what
 * the least a collector does costs here, each step alone, to set observe's
 * program time against. All four run on every fork, in this order:
 *   f_empty     nothing: the denominator of the targets
 *   f_one_read  one array-map value read: the least "does anybody read?"
 *   f_clock     one bpf_ktime_get_boot_ns(): every event's timestamp
 *   f_ring      an 80-byte record (a fork event's size) reserved in a ring,
 *               stamped and submitted without a wake-up: the least delivery
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define RECORD_WORDS 10		/* 80 bytes */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} flag SEC(".maps");

/* Nobody reads it: 4 MiB holds ~47,000 records, more than a run makes. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} ring SEC(".maps");

SEC("tp_btf/sched_process_fork")
int f_empty(void *ctx)
{
	return 0;
}

SEC("tp_btf/sched_process_fork")
int f_one_read(void *ctx)
{
	__u32 zero = 0;
	__u64 *v = bpf_map_lookup_elem(&flag, &zero);

	return v && *v;
}

SEC("tp_btf/sched_process_fork")
int f_clock(void *ctx)
{
	return bpf_ktime_get_boot_ns() & 1;
}

SEC("tp_btf/sched_process_fork")
int f_ring(void *ctx)
{
	__u64 *rec = bpf_ringbuf_reserve(&ring, RECORD_WORDS * sizeof(__u64), 0);

	if (!rec)
		return 0;
	rec[0] = bpf_ktime_get_boot_ns();
	for (int i = 1; i < RECORD_WORDS; i++)
		rec[i] = 0;
	bpf_ringbuf_submit(rec, BPF_RB_NO_WAKEUP);
	return 0;
}
