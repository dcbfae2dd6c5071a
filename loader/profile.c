// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The profiler's load: its perf_event program attached on every online CPU,
 * its lock directory, and its frequency for the readers.
 */
#include "load.h"
#include "profile.h"
#include "profile.skel.h"
#include "report.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

COLLECTOR_SKELETON(profile)

/*
 * One cpu-clock event and one link per CPU (pinned as
 * <collector>-<program>-cpu<N>). The link holds its event, so the event
 * lives as long as the pin. A CPU brought online later is not sampled until
 * observe-load runs again.
 */
static int attach_per_cpu(struct load_state *s, const struct collector *c,
			  struct bpf_program *prog)
{
	static int cpus[OBSERVE_PROFILE_MAX_CPUS];
	int n = online_cpus(cpus, OBSERVE_PROFILE_MAX_CPUS);

	if (n <= 0)
		return report_error("cannot read the online CPUs: %s", strerror(errno)), -1;
	if (n > OBSERVE_PROFILE_MAX_CPUS) {
		report_warn("%d CPUs are online: the profiler samples the first %d", n,
			    OBSERVE_PROFILE_MAX_CPUS);
		n = OBSERVE_PROFILE_MAX_CPUS;
	}
	for (int i = 0; i < n; i++) {
		struct bpf_link *link;
		int pfd = open_cpu_clock(cpus[i], s->cfg->profile_hz);

		if (pfd < 0) {
			report_error("cannot open a cpu-clock perf event on CPU %d at %u Hz: %s",
				     cpus[i], s->cfg->profile_hz, strerror(errno));
			return -1;
		}
		link = bpf_program__attach_perf_event(prog, pfd);
		if (!link) {
			report_error("cannot attach %s-%s to the perf event of CPU %d: %s", c->name,
				     bpf_program__name(prog), cpus[i], strerror(errno));
			close(pfd);
			return -1;
		}
		if (load_add_link(s, link, "%s-%s-cpu%d", c->name, bpf_program__name(prog), cpus[i]))
			return -1;
	}
	return 0;
}

static int profile_attach(struct load_state *s, const struct collector *c, struct bpf_object *obj)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj)
		if (bpf_program__autoload(prog) && attach_per_cpu(s, c, prog))
			return -1;
	return 0;
}

/* The lock directory, and the frequency for the readers; whether it samples
 * stays as it was (a new observe_profile_ctl starts off). */
static int profile_commit(struct load_state *s, const struct collector *c)
{
	struct shared_map *ctl_map = load_find_map(s, PIN_PROFILE_CTL);
	struct observe_profile_ctl ctl = {};
	char dir[4096];
	__u32 zero = 0;

	if (!ctl_map)
		return 0;	/* not loaded this time */
	if (!path_of(dir, sizeof(dir), s->cfg->pin_dir, OBSERVE_PROFILE_LOCK_DIR))
		return report_error("pin path too long"), -1;
	if (load_make_dir(s, dir, s->gid, 0750))
		return -1;
	bpf_map_lookup_elem(ctl_map->fd, &zero, &ctl);
	ctl.hz = s->cfg->profile_hz;
	if (bpf_map_update_elem(ctl_map->fd, &zero, &ctl, BPF_ANY))
		return report_error("cannot write observe_profile_ctl: %s", strerror(errno)), -1;
	return 0;
}

const struct collector collector_profile = {
	COLLECTOR_ROW(PROFILE, profile),
	.attach = profile_attach,
	.commit = profile_commit,
};
