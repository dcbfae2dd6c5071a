// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The process collector's load: exec, fork and exit. */
#include "collectors.h"
#include "process.skel.h"

#include <sys/syscall.h>

COLLECTOR_SKELETON(process)

static void process_configure(void *skel, const struct load_config *cfg)
{
	struct process_bpf *s = skel;

	s->rodata->argv_max = cfg->argv_max;
	if (exit_has_group_dead()) {
		bpf_program__set_autoload(s->progs.sched_exit_live, false);
		bpf_map__set_max_entries(s->maps.exits_reported, 1);	/* unused */
	} else {
		bpf_program__set_autoload(s->progs.sched_exit, false);
	}
	if (!can_read_syscall_args("failed execs will not be reported")) {
		bpf_program__set_autoload(s->progs.execve_exit, false);
		bpf_program__set_autoload(s->progs.execveat_exit, false);
	}
}

static const struct syscall_exit_program process_syscall_exits[] = {
	{ "execve_exit", "execve_exit_tail", __NR_execve },
	{ "execveat_exit", "execveat_exit_tail", __NR_execveat },
	{ NULL, NULL, 0 },
};

const struct collector collector_process = {
	COLLECTOR_ROW(PROCESS, process),
	.configure = process_configure,
	.syscall_exits = process_syscall_exits,
};
