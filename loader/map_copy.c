// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Copying a map's entries into its replacement: a map frozen by a group
 * member (BPF_MAP_FREEZE; the group may open it for writing) can still be
 * read, so a reload replaces it and keeps what it held.
 */
#include "loader.h"

#include <errno.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

int copy_map_entries(int from, int to)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	void *key, *next, *value;
	size_t value_size;
	int copied = 0, err = 0;
	bool first = true;

	if (bpf_obj_get_info_by_fd(from, &info, &len))
		return -1;
	value_size = info.value_size;
	if (info.type == BPF_MAP_TYPE_PERCPU_ARRAY || info.type == BPF_MAP_TYPE_PERCPU_HASH ||
	    info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH) {
		int cpus = libbpf_num_possible_cpus();

		if (cpus <= 0)
			return -1;
		value_size = ((value_size + 7) & ~7u) * cpus;
	}
	key = calloc(1, info.key_size + 1);
	next = calloc(1, info.key_size + 1);
	value = calloc(1, value_size + 1);
	while (key && next && value && !bpf_map_get_next_key(from, first ? NULL : key, next)) {
		void *swap = key;

		key = next;
		next = swap;
		first = false;
		if (bpf_map_lookup_elem(from, key, value))
			continue;	/* deleted meanwhile */
		if (bpf_map_update_elem(to, key, value, BPF_ANY)) {
			err = errno;
			break;
		}
		copied++;
	}
	if (!key || !next || !value)
		err = ENOMEM;
	free(key);
	free(next);
	free(value);
	if (err) {
		errno = err;
		return -1;
	}
	return copied;
}
