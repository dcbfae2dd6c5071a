// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "collectors.h"
#include "report.h"
#include "files.skel.h"
#include "net.skel.h"
#include "syscalls.skel.h"
#include "memory.skel.h"
#include "block.skel.h"
#include "cpu.skel.h"
#include "process.skel.h"
#include "profile.skel.h"
#include "tls.skel.h"

/* The open and destroy of a collector's skeleton <name>_bpf: the same for all. */
#define SKELETON_GLUE(name)								\
	static void *name##_open(struct bpf_object **obj,				\
				 const struct bpf_object_open_opts *opts)		\
	{										\
		struct name##_bpf *skel = name##_bpf__open_opts(opts);			\
											\
		if (skel)								\
			*obj = skel->obj;						\
		return skel;								\
	}										\
	static void name##_destroy(void *skel)						\
	{										\
		name##_bpf__destroy(skel);						\
	}

SKELETON_GLUE(process)
SKELETON_GLUE(files)
SKELETON_GLUE(net)
SKELETON_GLUE(syscalls)
SKELETON_GLUE(memory)
SKELETON_GLUE(block)
SKELETON_GLUE(cpu)
SKELETON_GLUE(profile)
SKELETON_GLUE(tls)

/* Syscall exit programs read the arguments from the saved registers (5.15+). */
static bool can_read_syscall_args(const char *lost)
{
	if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_task_pt_regs, NULL) == 1)
		return true;
	report_warn("this kernel has no bpf_task_pt_regs for tracepoints: %s", lost);
	return false;
}

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

static void files_configure(void *skel, const struct load_config *cfg)
{
	struct files_bpf *s = skel;

	if (!can_read_syscall_args("file opens will not be reported")) {
		bpf_program__set_autoload(s->progs.openat_exit, false);
		bpf_program__set_autoload(s->progs.openat2_exit, false);
	}
}

static void net_configure(void *skel, const struct load_config *cfg)
{
	struct net_bpf *s = skel;

	if (!can_read_syscall_args("connect and accept will not be reported "
				   "(the TCP lifecycle still is)")) {
		bpf_program__set_autoload(s->progs.connect_enter, false);
		bpf_program__set_autoload(s->progs.connect_exit, false);
		bpf_program__set_autoload(s->progs.accept_exit, false);
		bpf_program__set_autoload(s->progs.accept4_exit, false);
	}
}

static void no_settings(void *skel, const struct load_config *cfg)
{
}

static void cpu_configure(void *skel, const struct load_config *cfg)
{
	struct cpu_bpf *s = skel;

	s->rodata->per_cgroup = cfg->runq_per_cgroup;
}

/* A call's records come from a bpf_loop (5.17): without it, no program. */
static void tls_configure(void *skel, const struct load_config *cfg)
{
	struct tls_bpf *s = skel;
	struct bpf_program *prog;

	s->rodata->capture_max = cfg->tls_max;
	if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_loop, NULL) == 1)
		return;
	report_warn("this kernel has no bpf_loop (Linux 5.17): TLS plaintext cannot be captured");
	bpf_object__for_each_program(prog, s->obj)
		bpf_program__set_autoload(prog, false);
}

const struct collector collectors[] = {
	{ "process", OBSERVE_COLLECTOR_PROCESS, process_open, process_configure, process_destroy },
	{ "files", OBSERVE_COLLECTOR_FILES, files_open, files_configure, files_destroy },
	{ "net", OBSERVE_COLLECTOR_NET, net_open, net_configure, net_destroy },
	{ "syscalls", OBSERVE_COLLECTOR_SYSCALLS, syscalls_open, no_settings, syscalls_destroy },
	{ "memory", OBSERVE_COLLECTOR_MEMORY, memory_open, no_settings, memory_destroy },
	{ "block", OBSERVE_COLLECTOR_BLOCK, block_open, no_settings, block_destroy },
	{ "cpu", OBSERVE_COLLECTOR_CPU, cpu_open, cpu_configure, cpu_destroy },
	/* Attached per CPU at cfg->profile_hz (load.c: perf_event programs). */
	{ "profile", OBSERVE_COLLECTOR_PROFILE, profile_open, no_settings, profile_destroy },
	/* Attached by symbol to each TLS library and --tls-binary (load.c). */
	{ "tls", OBSERVE_COLLECTOR_TLS, tls_open, tls_configure, tls_destroy },
};

const unsigned nr_collectors = sizeof(collectors) / sizeof(collectors[0]);
