// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "collectors.h"
#include "report.h"
#include "process.skel.h"

static void *process_open(struct bpf_object **obj, const struct bpf_object_open_opts *opts)
{
	struct process_bpf *skel = process_bpf__open_opts(opts);

	if (skel)
		*obj = skel->obj;
	return skel;
}

static void process_configure(void *skel, const struct load_config *cfg)
{
	struct process_bpf *s = skel;

	s->rodata->argv_max = cfg->argv_max;
	/* Failed execs are read from the syscall's saved registers (5.15+). */
	if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_task_pt_regs, NULL) != 1) {
		bpf_program__set_autoload(s->progs.execve_exit, false);
		bpf_program__set_autoload(s->progs.execveat_exit, false);
		report_warn("this kernel has no bpf_task_pt_regs for tracepoints: "
			    "failed execs will not be reported");
	}
}

static void process_destroy(void *skel)
{
	process_bpf__destroy(skel);
}

const struct collector collectors[] = {
	{ "process", OBSERVE_COLLECTOR_PROCESS, process_open, process_configure, process_destroy },
};

const unsigned nr_collectors = sizeof(collectors) / sizeof(collectors[0]);
