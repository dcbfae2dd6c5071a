// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The block collector's load: block I/O latency per disk. Nothing to set. */
#include "collectors.h"
#include "block.skel.h"

COLLECTOR_SKELETON(block)

const struct collector collector_block = {
	COLLECTOR_ROW(BLOCK, block),
};
