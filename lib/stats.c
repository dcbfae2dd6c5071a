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
