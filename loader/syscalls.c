// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The syscalls collector's load: counts of system calls. Nothing to set. */
#include "collectors.h"
#include "syscalls.skel.h"

COLLECTOR_SKELETON(syscalls)

const struct collector collector_syscalls = {
	COLLECTOR_ROW(SYSCALLS, syscalls),
};
