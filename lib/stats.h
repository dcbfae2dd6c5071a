/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reading the per-CPU counter maps, whose values are structs of __u64. */
#ifndef OBSERVE_STATS_H
#define OBSERVE_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Possible CPUs: the number of values a per-CPU map returns. */
int stats_ncpus(void);

/*
 * Reads key 'key' of a per-CPU map whose value is 'nfields' __u64 counters.
 * percpu (optional) receives ncpus * nfields values, CPU after CPU; sum
 * receives the totals. Returns 0 or -errno.
 */
int stats_read(int fd, uint32_t key, size_t nfields, uint64_t *percpu, uint64_t *sum);
/* The same for a per-CPU hash, whose key may be of any size. */
int stats_read_key(int fd, const void *key, size_t nfields, uint64_t *percpu, uint64_t *sum);

/* Keys 0 .. nkeys-1 of a per-CPU array, summed into sums[key * nfields ..],
 * in one batched read where the kernel has them. Returns 0 or -errno. */
int stats_read_array(int fd, uint32_t nkeys, size_t nfields, uint64_t *sums);

#endif /* OBSERVE_STATS_H */
