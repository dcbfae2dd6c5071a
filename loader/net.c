// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The net collector's load: connect, accept, the TCP lifecycle, and its
 * port and cidr filter sets. */
#include "load.h"
#include "net.skel.h"
#include "report.h"

#include <bpf/bpf.h>
#include <sys/syscall.h>

COLLECTOR_SKELETON(net)

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

/* A filter set created by this load (first load of the collector, or a new
 * layout) is empty: a mode kept in observe_filter from before would then
 * block every network event. */
static int net_reset(struct load_state *s, const struct collector *c, struct bpf_object *obj)
{
	struct shared_map *filter = load_find_map(s, PIN_FILTER);
	struct shared_map *ports = load_find_map(s, PIN_FILTER_PORTS);
	struct shared_map *cidrs = load_find_map(s, PIN_FILTER_CIDRS);
	struct observe_filter f;
	bool changed = false;
	__u32 zero = 0;

	if (!filter || (!filter->pinned && !filter->copied) ||
	    bpf_map_lookup_elem(filter->fd, &zero, &f))
		return 0;	/* a new observe_filter starts with everything off */
	if (ports && !ports->pinned && !ports->copied && f.port_mode) {
		f.port_mode = OBSERVE_FILTER_OFF;
		changed = true;
	}
	if (cidrs && !cidrs->pinned && !cidrs->copied && f.cidr_on) {
		f.cidr_on = 0;
		f.cidr_default = OBSERVE_FILTER_ALLOW;
		changed = true;
	}
	if (changed && !bpf_map_update_elem(filter->fd, &zero, &f, BPF_ANY))
		report_warn("the port and cidr filters were switched off: their sets are new and empty");
	return 0;
}

static const struct syscall_exit_program net_syscall_exits[] = {
	{ "connect_exit", "connect_exit_tail", __NR_connect },
	{ "accept_exit", "accept_exit_tail", __NR_accept },
	{ "accept4_exit", "accept4_exit_tail", __NR_accept4 },
	{ NULL, NULL, 0 },
};

const struct collector collector_net = {
	COLLECTOR_ROW(NET, net),
	.configure = net_configure,
	.reset = net_reset,
	.syscall_exits = net_syscall_exits,
};
