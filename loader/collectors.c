// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "collectors.h"
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

	s->rodata->observe_nr_slots = cfg->nr_slots;
	s->rodata->argv_max = cfg->argv_max;
}

static void process_destroy(void *skel)
{
	process_bpf__destroy(skel);
}

const struct collector collectors[] = {
	{ "process", OBSERVE_COLLECTOR_PROCESS, process_open, process_configure, process_destroy },
};

const unsigned nr_collectors = sizeof(collectors) / sizeof(collectors[0]);
