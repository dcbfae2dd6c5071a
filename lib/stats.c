// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "stats.h"

#include <errno.h>
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

int stats_read_array(int fd, uint32_t nkeys, size_t nfields, uint64_t *sums)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int ncpus = stats_ncpus();
	size_t per_key = (size_t)ncpus * nfields;
	uint64_t *values = calloc((size_t)nkeys * per_key, sizeof(*values));
	uint32_t *keys = calloc(nkeys, sizeof(*keys)), token = 0, count = nkeys;
	int err = 0;

	if (!values || !keys) {
		err = -ENOMEM;
		goto out;
	}
	memset(sums, 0, (size_t)nkeys * nfields * sizeof(*sums));
	if (bpf_map_lookup_batch(fd, NULL, &token, keys, values, &count, &opts) && errno != ENOENT)
		count = 0;	/* no batch operations here: key by key below */
	for (uint32_t i = 0; i < count; i++) {
		if (keys[i] >= nkeys)
			continue;
		for (int cpu = 0; cpu < ncpus; cpu++)
			for (size_t f = 0; f < nfields; f++)
				sums[keys[i] * nfields + f] += values[i * per_key + cpu * nfields + f];
	}
	if (count == nkeys)
		goto out;
	for (uint32_t key = 0; key < nkeys; key++) {
		err = stats_read(fd, key, nfields, values, sums + (size_t)key * nfields);
		if (err)
			break;
	}
out:
	free(values);
	free(keys);
	return err;
}
