/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* ABI of the block collector (block.bpf.c): I/O latency per disk. */
#ifndef OBSERVE_BLOCK_H
#define OBSERVE_BLOCK_H

#include "observe.h"

#define OBSERVE_BLOCK_DISKS 256		/* disks counted at once */
#define OBSERVE_BLOCK_INFLIGHT 16384	/* requests followed from issue to completion */

/* observe_block: per-CPU hash keyed by the disk's dev_t as the kernel packs
 * it (major << 20 | minor; /sys/dev/block/MAJOR:MINOR names it). */
struct observe_block_stats {
	__u64 bytes;		/* completed */
	__u64 errors;		/* completed with an error status */
	struct observe_hist latency_ns;	/* issue to the driver .. completion */
};

OBSERVE_ABI_LAYOUT(observe_block_stats, 352, 8);

#endif /* OBSERVE_BLOCK_H */
