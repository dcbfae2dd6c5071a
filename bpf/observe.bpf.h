/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What every collector shares in the kernel: the pinned maps (same names in
 * every object, so the loader hands each object the one pinned instance), and
 * the path of an event: count it, bail out early when nobody reads, apply the
 * global filters, build it in per-CPU scratch, copy it into each slot that
 * wants it, and count every delivery and every loss.
 */
#ifndef OBSERVE_BPF_H
#define OBSERVE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "observe.h"

/* Room to build one event; larger than any record so that variable-offset
 * writes up to a field's limit stay inside it for the verifier. */
#define OBSERVE_SCRATCH_SIZE (2 * OBSERVE_MAX_EVENT_SIZE)

struct observe_scratch {
	__u8 data[OBSERVE_SCRATCH_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct observe_scratch);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct observe_filter);
} observe_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OBSERVE_PID_ENTRIES);
	__type(key, __u32);
	__type(value, struct observe_pid_entry);
} observe_filter_pids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OBSERVE_FILTER_ENTRIES);
	__type(key, struct observe_comm_key);
	__type(value, __u8);
} observe_filter_comms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OBSERVE_FILTER_ENTRIES);
	__type(key, __u32);
	__type(value, __u8);
} observe_filter_uids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OBSERVE_FILTER_ENTRIES);
	__type(key, __u64);
	__type(value, __u8);
} observe_filter_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OBSERVE_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct observe_slot_cfg);
} observe_slot_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct observe_readers);
} observe_readers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OBSERVE_SLOT_PID_ENTRIES);
	__type(key, __u32);
	__type(value, __u32);
} observe_slot_pids SEC(".maps");

/* The rings themselves are created and pinned one by one by the loader. */
struct observe_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, OBSERVE_DEFAULT_RING_SIZE);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, OBSERVE_MAX_SLOTS);
	__type(key, __u32);
	__array(values, struct observe_ring);
} observe_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OBSERVE_MAX_TYPES);
	__type(key, __u32);
	__type(value, struct observe_type_stats);
} observe_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OBSERVE_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct observe_slot_stats);
} observe_slot_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct observe_sequence);
} observe_sequence SEC(".maps");

/* Written by the loader only; declared here so that it has BTF. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct observe_info);
} observe_info SEC(".maps");

/* The registers the current task entered its syscall with: an exit
 * tracepoint reads the syscall's arguments there (PT_REGS_PARM*_CORE_SYSCALL)
 * instead of saving them at entry. Needs bpf_task_pt_regs (5.15); the loader
 * leaves such programs out where it is missing. */
static __always_inline struct pt_regs *observe_syscall_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

/* The log2 slot of v (see struct observe_hist), without loops. */
static __always_inline __u32 observe_log2_slot(__u64 v)
{
	__u32 r, shift;

	r = (v > 0xffffffffULL) << 5;
	v >>= r;
	shift = (v > 0xffff) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xff) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xf) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r < OBSERVE_HIST_SLOTS ? r : OBSERVE_HIST_SLOTS - 1;
}

/* Adds v to a histogram of a per-CPU map (no atomics needed). */
static __always_inline void observe_hist_add(struct observe_hist *h, __u64 v)
{
	__u64 slot = observe_log2_slot(v);

	/* A 64-bit bound the verifier keeps (6.1 loses a 32-bit one). */
	barrier_var(slot);
	if (slot >= OBSERVE_HIST_SLOTS)
		slot = OBSERVE_HIST_SLOTS - 1;
	h->count++;
	h->sum += v;
	h->slots[slot]++;
}

/* The state of one event on its way out. */
struct observe_event_ctx {
	struct observe_type_stats *stats;
	struct observe_event_header *hdr;	/* in per-CPU scratch */
};

/* The load these programs belong to (struct observe_readers), and the slots
 * it made (bit N: slot N): a reader's bit past them is never trusted. Set by
 * the loader before the object loads. */
const volatile __u32 observe_generation = 0;
const volatile __u64 observe_slot_bits = 0;

/* The one entry of a family's observe_readers-like map; NULL while another
 * load's programs are the ones that run. */
static __always_inline const struct observe_readers *observe_readers_of(void *readers_map)
{
	const struct observe_readers *readers;
	__u32 zero = 0;

	readers = bpf_map_lookup_elem(readers_map, &zero);
	return readers && readers->generation == observe_generation ? readers : NULL;
}

/* Bit N set: slot N of the family whose observe_readers-like map this is
 * has a reader; only the family's slots ('slots'). 0 when nobody reads. */
static __always_inline __u64 observe_readers_in(void *readers_map, __u64 slots)
{
	const struct observe_readers *readers = observe_readers_of(readers_map);

	return readers ? readers->mask & slots : 0;
}

/* The same for the event slots. */
static __always_inline __u64 observe_reader_mask(void)
{
	return observe_readers_in(&observe_readers, observe_slot_bits);
}

static __always_inline const struct observe_filter *observe_global_filter(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&observe_filter, &zero);
}

/* The value of 'key' in a hash of counters, inserted as 'init' when it is
 * not there yet (another CPU may insert it first: then that one is used).
 * NULL only when the map is full and cannot evict. */
static __always_inline void *observe_lookup_or_init(void *map, const void *key, const void *init)
{
	void *value = bpf_map_lookup_elem(map, key);

	if (value)
		return value;
	bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

/* Whether an aggregate type (OBSERVE_AGG_*) is switched off, or these
 * programs are not the current load's: one read of observe_readers (its copy
 * of types_off), the whole cost of an aggregating collector then. */
static __always_inline bool observe_type_off(__u32 type)
{
	const struct observe_readers *readers = observe_readers_of(&observe_readers);

	return !readers || (readers->types_off & (1ULL << (type & 63)));
}

/* Whether the costly part 'detail' of aggregate 'type' runs: the type is on
 * and the detail switched or held on, read from the observe_readers line
 * the hook reads anyway (NULL readers: not the current load's). */
static __always_inline bool observe_detail_on(const struct observe_readers *readers, __u32 type,
					      __u32 detail)
{
	return readers && !(readers->types_off & (1ULL << (type & 63))) &&
	       (readers->details_on & OBSERVE_DETAIL_ON(detail));
}

/* observe_readers while 'detail' of aggregate 'type' runs, else NULL: for
 * a hook that goes on to read when the detail went on. */
static __always_inline const struct observe_readers *observe_detail_readers(__u32 type, __u32 detail)
{
	const struct observe_readers *readers = observe_readers_of(&observe_readers);

	return observe_detail_on(readers, type, detail) ? readers : NULL;
}

/* Whether a set in mode 'mode' lets through a key that is in it or not. */
static __always_inline bool observe_set_passes(__u8 mode, bool member)
{
	if (mode == OBSERVE_FILTER_ALLOW)
		return member;
	if (mode == OBSERVE_FILTER_DENY)
		return !member;
	return true;
}

static __always_inline bool observe_identity_passes(const struct observe_filter *f,
						    struct observe_event_header *h)
{
	if (f->pid_mode &&
	    !observe_set_passes(f->pid_mode, bpf_map_lookup_elem(&observe_filter_pids, &h->pid)))
		return false;
	if (f->uid_mode &&
	    !observe_set_passes(f->uid_mode, bpf_map_lookup_elem(&observe_filter_uids, &h->uid)))
		return false;
	if (f->comm_mode &&
	    !observe_set_passes(f->comm_mode, bpf_map_lookup_elem(&observe_filter_comms, h->comm)))
		return false;
	if (f->cgroup_mode &&
	    !observe_set_passes(f->cgroup_mode,
				bpf_map_lookup_elem(&observe_filter_cgroups, &h->cgroup_id)))
		return false;
	return true;
}

/*
 * The first half of starting an event of 'type' in 'h', a buffer of the
 * caller's, for the slots whose readers are 'readers': fills in type, time
 * and CPU, returns h and the global filter in *fp, or NULL when nobody reads
 * or the type is off. Counted from here on, only while a reader is attached.
 */
static __always_inline struct observe_event_header *
observe_event_start_for(struct observe_event_ctx *ev, __u32 type, const struct observe_filter **fp,
			struct observe_event_header *h, __u64 readers)
{
	const struct observe_filter *f;

	/* Nobody reads: not even a counter is touched. Between sparse events
	 * its per-CPU line is cold, and the miss alone costs about as much as
	 * running an empty program (bench/run.sh). */
	if (!h || !readers)
		return NULL;
	ev->stats = bpf_map_lookup_elem(&observe_stats, &type);
	if (!ev->stats)
		return NULL;
	ev->stats->seen++;
	f = observe_global_filter();
	if (f && (f->types_off & (1ULL << (type & 63)))) {
		ev->stats->filtered++;
		return NULL;
	}
	h->type = type;
	h->flags = 0;
	h->ts_ns = bpf_ktime_get_boot_ns();
	h->cpu = bpf_get_smp_processor_id();
	*fp = f;
	return h;
}

/* The same for the event slots. */
static __always_inline struct observe_event_header *
observe_event_start_in(struct observe_event_ctx *ev, __u32 type, const struct observe_filter **fp,
		       struct observe_event_header *h)
{
	return observe_event_start_for(ev, type, fp, h, observe_reader_mask());
}

/* The same in the per-CPU scratch, for programs in process context only: a
 * program that runs in softirq could interrupt one building its event there
 * and must bring its own buffer. */
static __always_inline struct observe_event_header *
observe_event_start(struct observe_event_ctx *ev, __u32 type, const struct observe_filter **fp)
{
	__u32 zero = 0;

	return observe_event_start_in(ev, type, fp, bpf_map_lookup_elem(&scratch, &zero));
}

/* When the current process started (CLOCK_BOOTTIME ns): its thread group
 * leader's, which an exec by another thread inherits, so with the pid it
 * names one process across pid reuse. */
static __always_inline __u64 observe_current_start_ns(void)
{
	return bpf_get_current_task_btf()->group_leader->start_boottime;
}

/*
 * The row of the current process, 'pid' started at 'start', in a map keyed
 * by pid whose values begin with the start_ns of the row's process; 'fresh'
 * (its start_ns set here) makes it when there is none, or replaces the row
 * of the pid's earlier process: counts start over, not merged. 'row' is the
 * row found already, or NULL.
 */
static __always_inline void *observe_process_row(void *map, const __u32 *pid, __u64 start,
						 void *row, void *fresh)
{
	*(__u64 *)fresh = start;
	if (row)
		bpf_map_update_elem(map, pid, fresh, BPF_ANY);
	return observe_lookup_or_init(map, pid, fresh);
}

/* Who the current task is: pid, tid, ppid, uid, gid, cgroup, comm, and
 * when its process and its parent process started. */
static __always_inline void observe_identity_of_current(struct observe_event_header *h)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();

	h->cgroup_id = bpf_get_current_cgroup_id();
	h->pid = pid_tgid >> 32;
	h->tid = (__u32)pid_tgid;
	h->ppid = task->real_parent->tgid;
#ifndef OBSERVE_BENCH_NO_IDENTITY
	h->start_ns = observe_current_start_ns();
	h->parent_start_ns = task->real_parent->group_leader->start_boottime;
#else
	/* Only bench/identity.sh's second build: what these reads cost. */
	h->start_ns = h->parent_start_ns = 0;
#endif
	h->uid = (__u32)uid_gid;
	h->gid = uid_gid >> 32;
	/* Before 6.2 (strscpy, not strscpy_pad) the helper leaves the bytes
	 * after the NUL as they were: the scratch's last event. Comm filters
	 * compare all 16 bytes. */
	*(__u64 *)&h->comm[0] = 0;
	*(__u64 *)&h->comm[8] = 0;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/* The second half: the identity in 'h' against the global filters. */
static __always_inline struct observe_event_header *
observe_event_admit(struct observe_event_ctx *ev, const struct observe_filter *f,
		    struct observe_event_header *h)
{
	if (f && !observe_identity_passes(f, h)) {
		ev->stats->filtered++;
		return NULL;
	}
	ev->hdr = h;
	return h;
}

/*
 * Starts an event of 'type' for the current task: returns its header in
 * scratch (identity filled in, body left to the caller), or NULL when nobody
 * reads, the type is off or a global filter rejects it.
 */
static __always_inline struct observe_event_header *
observe_event_begin(struct observe_event_ctx *ev, __u32 type)
{
	const struct observe_filter *f = NULL;
	struct observe_event_header *h = observe_event_start(ev, type, &f);

	if (!h)
		return NULL;
	observe_identity_of_current(h);
	return observe_event_admit(ev, f, h);
}

static __always_inline bool observe_slot_wants(const struct observe_slot_cfg *cfg,
					       const struct observe_event_header *h)
{
	if (!(cfg->types & (1ULL << (h->type & 63))))
		return false;
	if ((cfg->match & OBSERVE_SLOT_MATCH_PID) && cfg->pid != h->pid)
		return false;
	if ((cfg->match & OBSERVE_SLOT_MATCH_UID) && cfg->uid != h->uid)
		return false;
	if ((cfg->match & OBSERVE_SLOT_MATCH_CGROUP) && cfg->cgroup_id != h->cgroup_id)
		return false;
	if ((cfg->match & OBSERVE_SLOT_FAILED_ONLY) && !(h->flags & OBSERVE_F_FAILED))
		return false;
	if (cfg->match & OBSERVE_SLOT_MATCH_COMM) {
		const __u64 *a = (const __u64 *)cfg->comm, *b = (const __u64 *)h->comm;

		if (a[0] != b[0] || a[1] != b[1])
			return false;
	}
	/* Last: the one check here that costs a lookup, paid by this slot only. */
	if (cfg->match & OBSERVE_SLOT_MATCH_PID_SET) {
		const __u32 *bits = bpf_map_lookup_elem(&observe_slot_pids, &h->pid);

		if (!bits || !(*bits & cfg->pid_set))
			return false;
	}
	return true;
}

/*
 * Numbers the event and copies it into every slot of a family that has a
 * reader (bit N of 'readers', read by the caller just before) and wants it:
 * the family is its outer ring array, its configs and its counters.
 */
static __always_inline void observe_submit_to(struct observe_event_ctx *ev, __u64 size,
					      __u64 max_size, __u64 readers, void *slots,
					      void *slot_cfgs, void *slot_stats)
{
	struct observe_event_header *h = ev->hdr;
	struct observe_sequence *seq;
	__u32 zero = 0;

	if (size < sizeof(*h) || size > max_size)
		return;
	h->size = size;
	seq = bpf_map_lookup_elem(&observe_sequence, &zero);
	h->seq = seq ? __sync_fetch_and_add(&seq->next, 1) : 0;
	ev->stats->produced++;
	if (h->flags & OBSERVE_F_TRUNCATED)
		ev->stats->truncated++;
	if (h->flags & OBSERVE_F_INCOMPLETE)
		ev->stats->incomplete++;

	/* Unrolled over the constant cap: a counter that is also a lookup key
	 * lives on the stack, where the verifier loses its bound. */
#pragma unroll
	for (__u32 i = 0; i < OBSERVE_MAX_SLOTS; i++) {
		__u64 flags = BPF_RB_NO_WAKEUP, avail;
		struct observe_slot_cfg *cfg;
		struct observe_slot_stats *st;
		__u32 key = i;
		void *ring;

		if (!(readers & (1ULL << i)))
			continue;
		cfg = bpf_map_lookup_elem(slot_cfgs, &key);
		if (!cfg)
			continue;
		st = bpf_map_lookup_elem(slot_stats, &key);
		if (!st)
			continue;
		if (!observe_slot_wants(cfg, h)) {
			st->filtered++;
			continue;
		}
		ring = bpf_map_lookup_elem(slots, &key);
		if (!ring) {
			st->dropped++;
			continue;
		}
		/* A cross-CPU wake-up costs ~10x the copy: wake the reader only
		 * when its ring crosses the threshold; its poll timer does the rest. */
		avail = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);
		if (avail < cfg->wakeup_bytes && avail + size >= cfg->wakeup_bytes) {
			flags = BPF_RB_FORCE_WAKEUP;
			st->wakeups++;
		}
		if (bpf_ringbuf_output(ring, h, size, flags)) {
			st->dropped++;
			continue;
		}
		st->delivered++;
		st->bytes += size;
	}
}

/* Numbers the event and copies it into every event slot that wants it. */
static __always_inline void observe_event_submit(struct observe_event_ctx *ev, __u64 size)
{
	observe_submit_to(ev, size, OBSERVE_MAX_EVENT_SIZE, observe_reader_mask(), &observe_slots,
			  &observe_slot_cfg, &observe_slot_stats);
}

#endif /* OBSERVE_BPF_H */
