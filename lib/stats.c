// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "stats.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

int stats_ncpus(void)
{
	static int ncpus;

	if (!ncpus) {
		ncpus = libbpf_num_possible_cpus();
		if (ncpus < 1)
			ncpus = 1;
	}
	return ncpus;
}

int stats_read(int fd, uint32_t key, size_t nfields, uint64_t *percpu, uint64_t *sum)
{
	return stats_read_key(fd, &key, nfields, percpu, sum);
}

int stats_read_key(int fd, const void *key, size_t nfields, uint64_t *percpu, uint64_t *sum)
{
	int ncpus = stats_ncpus();
	uint64_t *values = percpu;

	if (!values) {
		values = calloc((size_t)ncpus * nfields, sizeof(*values));
		if (!values)
			return -ENOMEM;
	}
	if (bpf_map_lookup_elem(fd, key, values)) {
		int err = -errno;

		if (values != percpu)
			free(values);
		return err;
	}
	memset(sum, 0, nfields * sizeof(*sum));
	for (int cpu = 0; cpu < ncpus; cpu++)
		for (size_t f = 0; f < nfields; f++)
			sum[f] += values[cpu * nfields + f];
	if (values != percpu)
		free(values);
	return 0;
}

#define ARRAY_BATCH 64	/* keys per batched read: values are ncpus times larger */

int stats_read_array(int fd, uint32_t nkeys, size_t nfields, uint64_t *sums)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int ncpus = stats_ncpus();
	size_t per_key = (size_t)ncpus * nfields;
	uint64_t *values = calloc((size_t)ARRAY_BATCH * per_key, sizeof(*values));
	uint32_t keys[ARRAY_BATCH], token = 0, done = 0;
	bool first = true;
	int err = 0;

	if (!values)
		return -ENOMEM;
	memset(sums, 0, (size_t)nkeys * nfields * sizeof(*sums));
	while (done < nkeys) {
		uint32_t count = ARRAY_BATCH;
		int last = bpf_map_lookup_batch(fd, first ? NULL : &token, &token, keys, values,
						&count, &opts);

		if (last && errno != ENOENT) {
			if (first)
				goto key_by_key;	/* no batch operations here */
			err = -errno;
			goto out;
		}
		for (uint32_t i = 0; i < count; i++) {
			if (keys[i] >= nkeys)
				continue;
			for (int cpu = 0; cpu < ncpus; cpu++)
				for (size_t f = 0; f < nfields; f++)
					sums[keys[i] * nfields + f] += values[i * per_key + cpu * nfields + f];
		}
		done += count;
		first = false;
		if (last)
			break;		/* ENOENT: the end of the array */
	}
	goto out;
key_by_key:
	for (uint32_t key = 0; key < nkeys && !err; key++)
		err = stats_read(fd, key, nfields, values, sums + (size_t)key * nfields);
out:
	free(values);
	return err;
}
