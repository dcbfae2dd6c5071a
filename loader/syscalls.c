// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The syscalls collector's load: counts of system calls, and the table of
 * the other collectors' programs its sys_exit program tail-calls. */
#include "load.h"
#include "syscalls.skel.h"

COLLECTOR_SKELETON(syscalls)

static int syscalls_commit(struct load_state *s, const struct collector *c)
{
	struct bpf_object *obj = load_object_of(s, c->id);

	return obj ? stage_syscall_exits(s, obj) : 0;
}

const struct collector collector_syscalls = {
	COLLECTOR_ROW(SYSCALLS, syscalls),
	.commit = syscalls_commit,
};
