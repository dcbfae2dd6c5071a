// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One probe on sys_exit. The process, files and net collectors report
 * exec failures, opens, connects and accepts at their syscalls' exits. On
 * those syscalls' trace events, the kernel would run its syscall-event
 * probe on the raw sys_exit tracepoint for every syscall of the machine,
 * beside the syscalls collector's program there, and a tracepoint with two
 * probes calls each through an indirect call. With the syscalls collector
 * loaded, their programs are instead tail-called by its sys_exit program,
 * from a table by syscall number that this load fills and pins: a syscall
 * none of them wants costs one failed lookup. Without it, each keeps its
 * own trace event.
 */
#include "load.h"
#include "pins.h"
#include "report.h"

#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>

static bool tail_called(const struct load_config *cfg)
{
	return cfg->collectors & (1ULL << OBSERVE_COLLECTOR_SYSCALLS);
}

void choose_syscall_exits(const struct load_config *cfg, const struct collector *c,
			  struct bpf_object *obj)
{
	for (const struct syscall_exit_program *p = c->syscall_exits; p && p->alone; p++) {
		struct bpf_program *alone = bpf_object__find_program_by_name(obj, p->alone);
		struct bpf_program *tail = bpf_object__find_program_by_name(obj, p->tail);
		/* configure() leaves out what this kernel cannot do. */
		bool wanted = alone && bpf_program__autoload(alone);

		if (!alone || !tail) {
			report_warn("collector %s has no program %s or %s", c->name, p->alone, p->tail);
			continue;
		}
		bpf_program__set_autoload(alone, wanted && !tail_called(cfg));
		bpf_program__set_autoload(tail, wanted && tail_called(cfg));
	}
}

bool is_tail_called(const struct collector *c, const char *prog)
{
	for (const struct syscall_exit_program *p = c->syscall_exits; p && p->alone; p++)
		if (!strcmp(p->tail, prog))
			return true;
	return false;
}

int stage_syscall_exits(struct load_state *s, struct bpf_object *syscalls)
{
	struct bpf_map *table = bpf_object__find_map_by_name(syscalls, "syscall_exits");
	char path[4096];

	if (!table)
		return report_error("the syscalls collector has no syscall_exits table"), -1;
	for (int i = 0; i < s->nr_loaded; i++) {
		const struct collector *c = s->loaded[i].c;

		for (const struct syscall_exit_program *p = c->syscall_exits; p && p->alone; p++) {
			struct bpf_program *tail =
				bpf_object__find_program_by_name(s->loaded[i].obj, p->tail);
			__u32 nr = p->nr;
			int fd;

			if (!tail || !bpf_program__autoload(tail))
				continue;
			fd = bpf_program__fd(tail);
			if (bpf_map_update_elem(bpf_map__fd(table), &nr, &fd, BPF_ANY))
				return report_error("cannot set %s-%s for syscall %u: %s", c->name,
						    p->tail, nr, strerror(errno)), -1;
		}
	}
	/* Its entries last as long as a pin or an fd holds the table. */
	if (!path_of(path, sizeof(path), s->cfg->pin_dir, PIN_SYSCALL_EXITS))
		return report_error("pin path too long"), -1;
	return load_stage_pin(s, bpf_map__fd(table), path, s->gid, 0600);
}
