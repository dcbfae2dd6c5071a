// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The profile collector (profile.h): one program on a cpu-clock perf event
 * per CPU, attached by the loader at its --profile-hz. While sampling is
 * off it reads one word and returns, at that frequency only.
 */
#include "observe.bpf.h"
#include "profile.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct observe_profile_ctl);
} observe_profile_ctl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, OBSERVE_PROFILE_STACKS);
	__type(key, __u32);
	__type(value, __u64[OBSERVE_PROFILE_DEPTH]);
} observe_profile_stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OBSERVE_PROFILE_KEYS);
	__type(key, struct observe_profile_key);
	__type(value, __u64);
} observe_profile_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct observe_profile_stats);
} observe_profile_stats SEC(".maps");

/* bpf_get_stackid() reports a stack it could not keep as -EEXIST (its
 * bucket holds another) or -ENOMEM; -EFAULT means there is none to take. */
static __always_inline bool stack_lost(long id)
{
	return id < 0 && id != -14 /* EFAULT */;
}

SEC("perf_event")
int profile_sample(struct bpf_perf_event_data *ctx)
{
	struct observe_profile_key key = {};
	const struct observe_profile_ctl *ctl;
	struct observe_profile_stats *st;
	__u64 one = 1, *count;
	__u32 zero = 0;

	ctl = bpf_map_lookup_elem(&observe_profile_ctl, &zero);
	if (!ctl || !ctl->sampling || observe_type_off(OBSERVE_AGG_PROFILE))
		return 0;
	st = bpf_map_lookup_elem(&observe_profile_stats, &zero);
	if (!st)
		return 0;
	st->samples++;
	key.pid = bpf_get_current_pid_tgid() >> 32;
	if (!key.pid) {
		st->idle++;
		return 0;
	}
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	key.kernel_stack = bpf_get_stackid(ctx, &observe_profile_stacks, 0);
	key.user_stack = bpf_get_stackid(ctx, &observe_profile_stacks, BPF_F_USER_STACK);
	if (stack_lost(key.kernel_stack))
		st->lost_kernel_stacks++;
	if (stack_lost(key.user_stack))
		st->lost_user_stacks++;
	count = bpf_map_lookup_elem(&observe_profile_counts, &key);
	if (count) {
		__sync_fetch_and_add(count, 1);
	} else if (bpf_map_update_elem(&observe_profile_counts, &key, &one, BPF_NOEXIST)) {
		/* Another CPU added it first, or the table is full. */
		count = bpf_map_lookup_elem(&observe_profile_counts, &key);
		if (!count) {
			st->lost_full++;
			return 0;
		}
		__sync_fetch_and_add(count, 1);
	}
	st->counted++;
	return 0;
}
