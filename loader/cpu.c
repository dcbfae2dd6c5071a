// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The cpu collector's load: run-queue latency, per cgroup if asked. */
#include "collectors.h"
#include "cpu.skel.h"

COLLECTOR_SKELETON(cpu)

static void cpu_configure(void *skel, const struct load_config *cfg)
{
	struct cpu_bpf *s = skel;

	s->rodata->per_cgroup = cfg->runq_per_cgroup;
}

const struct collector collector_cpu = {
	COLLECTOR_ROW(CPU, cpu),
	.configure = cpu_configure,
};
