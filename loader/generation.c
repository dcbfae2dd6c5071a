// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The switch from one load's programs to the next (struct observe_readers,
 * generation): every object carries its load's generation and the slots it
 * may write (const volatile globals, observe.bpf.h), and the loader stores
 * the new generation in the readers maps at one point, after everything is
 * attached and staged. Until then the new programs do nothing; from then on
 * the old ones do nothing, so no event is doubled or lost across a reload.
 */
#include "loader.h"
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

int set_rodata(struct bpf_object *obj, const char *name, const void *value, size_t size)
{
	const struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *var;
	const struct btf_type *sec;
	struct bpf_map *map, *rodata = NULL;
	const void *data;
	size_t data_size;
	int id;

	bpf_object__for_each_map(map, obj) {
		const char *n = bpf_map__name(map);
		size_t len = strlen(n);

		if (bpf_map__is_internal(map) && len >= 7 && !strcmp(n + len - 7, ".rodata"))
			rodata = map;
	}
	id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -1;
	data = rodata ? bpf_map__initial_value(rodata, &data_size) : NULL;
	if (id < 0 || !data)
		return -ENOENT;
	sec = btf__type_by_id(btf, id);
	var = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++, var++) {
		const struct btf_type *t = btf__type_by_id(btf, var->type);

		if (strcmp(btf__name_by_offset(btf, t->name_off), name))
			continue;
		char *copy;	/* libbpf 1.1 gives the initial value read-only */
		int err;

		if (var->size != size || var->offset + size > data_size)
			return -EINVAL;
		copy = malloc(data_size);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, data, data_size);
		memcpy(copy + var->offset, value, size);
		err = bpf_map__set_initial_value(rodata, copy, data_size);
		free(copy);
		return err;
	}
	return -ENOENT;
}

/* The generation stored in the readers map pinned at path; 0 if none. */
static __u32 pinned_generation(const char *path)
{
	struct observe_readers readers = {};
	__u32 zero = 0;
	int fd = bpf_obj_get(path);

	if (fd < 0)
		return 0;
	if (bpf_map_lookup_elem(fd, &zero, &readers))
		readers.generation = 0;
	close(fd);
	return readers.generation;
}

__u32 next_generation(const char *const *readers_paths, int n)
{
	__u32 highest = 0;

	for (int i = 0; i < n; i++) {
		__u32 g = pinned_generation(readers_paths[i]);

		if (g > highest)
			highest = g;
	}
	/* 0 is what a new map holds: never a load's. */
	return highest + 1 ? highest + 1 : 1;
}

int switch_generation(int readers_fd, __u32 generation, __u64 keep_bits)
{
	long page = sysconf(_SC_PAGESIZE);
	struct observe_readers *readers;

	readers = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, readers_fd, 0);
	if (readers == MAP_FAILED)
		return -1;
	/* Readers set and clear their own bits meanwhile: and, not a store. */
	__atomic_fetch_and(&readers->mask, keep_bits, __ATOMIC_SEQ_CST);
	/* A dead reader's pid set no longer costs the fork and exit hooks. */
	__atomic_fetch_and(&readers->slot_pid_sets, (__u32)keep_bits, __ATOMIC_SEQ_CST);
	__atomic_store_n(&readers->generation, generation, __ATOMIC_SEQ_CST);
	munmap(readers, page);
	return 0;
}
