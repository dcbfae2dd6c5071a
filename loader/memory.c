// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The memory collector's load: OOM kills and page faults. Nothing to set. */
#include "collectors.h"
#include "memory.skel.h"

COLLECTOR_SKELETON(memory)

const struct collector collector_memory = {
	COLLECTOR_ROW(MEMORY, memory),
};
