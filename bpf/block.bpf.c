// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The block collector: the latency of each block request from its issue to
 * the driver until its completion, as a log2 histogram per disk, in a
 * pinned per-CPU map. It runs while OBSERVE_DETAIL_BLOCK_LATENCY is on (a
 * consumer asks, or it is switched on for good); until then its programs
 * are not attached (lib/detail_hooks.c). 'observe-filter disable block'
 * switches it off.
 */
#include "observe.bpf.h"
#include "block.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define MINORBITS 20	/* the kernel's dev_t: major << 20 | minor */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, OBSERVE_BLOCK_DISKS);
	__type(key, __u32);
	__type(value, struct observe_block_stats);
} observe_block SEC(".maps");

/* When each request in flight was issued. A request issued while on and
 * completed while off leaves its entry: least recently used ones go, so
 * such leftovers never keep new requests out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, OBSERVE_BLOCK_INFLIGHT);
	__type(key, __u64);	/* struct request address */
	__type(value, __u64);	/* ktime ns */
} issued SEC(".maps");

static __always_inline const struct observe_readers *block_on(void)
{
	return observe_detail_readers(OBSERVE_AGG_BLOCK, OBSERVE_DETAIL_BLOCK_LATENCY);
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(block_issue, struct request *rq)
{
	__u64 key = (__u64)rq, now;

	if (!block_on())
		return 0;
	now = bpf_ktime_get_ns();
	bpf_map_update_elem(&issued, &key, &now, BPF_ANY);
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(block_complete, struct request *rq, blk_status_t error, unsigned int nr_bytes)
{
	const struct observe_readers *readers = block_on();
	struct observe_block_stats *st, fresh = {};
	__u64 key = (__u64)rq, *issued_at, start, ns;
	struct gendisk *disk;
	__u32 dev;

	if (!readers)
		return 0;
	issued_at = bpf_map_lookup_elem(&issued, &key);
	if (!issued_at)
		return 0;	/* issued while switched off, or before the load */
	start = *issued_at;
	bpf_map_delete_elem(&issued, &key);
	/* Issued before the last switch-on, its completion missed while off
	 * (its entry stayed): unknown. */
	if (start < readers->details_since[OBSERVE_DETAIL_BLOCK_LATENCY])
		return 0;
	ns = bpf_ktime_get_ns() - start;
	disk = BPF_CORE_READ(rq, q, disk);
	if (!disk)
		return 0;
	dev = (BPF_CORE_READ(disk, major) << MINORBITS) | BPF_CORE_READ(disk, first_minor);
	st = observe_lookup_or_init(&observe_block, &dev, &fresh);
	if (!st)
		return 0;
	st->bytes += nr_bytes;
	if (error)
		st->errors++;
	observe_hist_add(&st->latency_ns, ns);
	return 0;
}
