// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The table of collectors, from observe.h's list; each row is in its module. */
#include "collectors.h"
#include "report.h"

#define COLLECTOR_ENTRY(id, value, name) [OBSERVE_COLLECTOR_##id] = &collector_##name,

const struct collector *const collectors[OBSERVE_COLLECTOR_COUNT] = {
	OBSERVE_COLLECTORS(COLLECTOR_ENTRY)
};

bool can_read_syscall_args(const char *lost)
{
	if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_task_pt_regs, NULL) == 1)
		return true;
	report_warn("this kernel has no bpf_task_pt_regs for tracepoints: %s", lost);
	return false;
}
