// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What the running kernel supports, asked of the kernel itself. */
#include "loader.h"
#include "collectors.h"
#include "profile.h"
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

static bool ringbuf_fits_in_map_array(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	int inner, outer;

	inner = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "observe_probe", 0, 0, 4096, NULL);
	if (inner < 0)
		return false;
	opts.inner_map_fd = inner;
	outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "observe_probe", 4, 4, 1, &opts);
	close(inner);
	if (outer < 0)
		return false;
	close(outer);
	return true;
}

static const char *tracefs_root(void)
{
	if (access("/sys/kernel/tracing/events", F_OK) == 0)
		return "/sys/kernel/tracing";
	if (access("/sys/kernel/debug/tracing/events", F_OK) == 0)
		return "/sys/kernel/debug/tracing";
	return NULL;
}

void probe_kernel(struct kernel_features *f)
{
	struct utsname u;

	memset(f, 0, sizeof(*f));
	if (!uname(&u))
		snprintf(f->release, sizeof(f->release), "%s", u.release);
	f->btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	f->ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1;
	f->ringbuf_in_map_array = f->ringbuf && ringbuf_fits_in_map_array();
	f->tracefs = tracefs_root() != NULL;
}

static struct btf *vmlinux_btf(void)
{
	static struct btf *btf;
	static bool tried;

	if (!tried) {
		tried = true;
		btf = btf__load_vmlinux_btf();	/* NULL when the kernel has none */
	}
	return btf;
}

bool probe_hook(const char *section, const char **why)
{
	char path[512], type[256];
	const char *root;

	if (!strncmp(section, "raw_tp/", 7) || !strncmp(section, "tp_btf/", 7)) {
		/* Every raw tracepoint has a btf_trace_<name> typedef in vmlinux BTF. */
		struct btf *btf = vmlinux_btf();

		snprintf(type, sizeof(type), "btf_trace_%s", section + 7);
		if (!btf) {
			*why = "kernel BTF cannot be read";
			return false;
		}
		if (btf__find_by_name_kind(btf, type, BTF_KIND_TYPEDEF) < 0) {
			*why = "no such tracepoint in this kernel";
			return false;
		}
		return true;
	}
	if (!strncmp(section, "tp/", 3) || !strncmp(section, "tracepoint/", 11)) {
		const char *name = strchr(section, '/') + 1;

		root = tracefs_root();
		if (!root) {
			*why = "tracefs is not mounted";
			return false;
		}
		snprintf(path, sizeof(path), "%s/events/%s", root, name);
		if (access(path, F_OK)) {
			*why = "no such tracepoint in this kernel";
			return false;
		}
		return true;
	}
	if (!strcmp(section, "perf_event")) {
		int cpu, fd;

		/* The first online CPU: CPU 0 may be offline. */
		if (online_cpus(&cpu, 1) < 1) {
			*why = "cannot read the online CPUs";
			return false;
		}
		fd = open_cpu_clock(cpu, OBSERVE_PROFILE_DEFAULT_HZ);
		if (fd < 0) {
			*why = errno == ENOENT || errno == EOPNOTSUPP ?
				"no software cpu-clock perf event" : "perf_event_open failed";
			return false;
		}
		close(fd);
		return true;
	}
	if (!strcmp(section, "uprobe") || !strcmp(section, "uretprobe")) {
		if (access("/sys/bus/event_source/devices/uprobe/type", F_OK)) {
			*why = "no uprobe perf events (CONFIG_UPROBE_EVENTS)";
			return false;
		}
		return true;
	}
	*why = "unknown kind of hook";
	return false;
}

bool exit_has_group_dead(void)
{
	/* typedef void (*btf_trace_sched_process_exit)(void *, struct
	 * task_struct *, bool group_dead) where the kernel has it. */
	struct btf *btf = vmlinux_btf();
	const struct btf_type *t;
	const struct btf_param *params;
	int id;

	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, "btf_trace_sched_process_exit", BTF_KIND_TYPEDEF);
	if (id < 0)
		return false;
	t = btf__type_by_id(btf, btf__resolve_type(btf, id));
	if (!t || !btf_is_ptr(t))
		return false;
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 3)
		return false;
	params = btf_params(t);
	t = btf__type_by_id(btf, btf__resolve_type(btf, params[2].type));
	return t && btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_BOOL);
}

static const char *yes(bool v)
{
	return v ? "yes" : "no";
}

/* What the TLS collector would probe, and how each function was found. */
static void print_tls_targets(const struct load_config *cfg)
{
	struct observe_tls_target targets[OBSERVE_TLS_MAX_TARGETS];
	int n = tls_find_targets(cfg, targets);

	if (n < 0) {
		printf("tls targets: cannot be listed (see above)\n");
		return;
	}
	for (int i = 0; i < n; i++) {
		struct tls_location loc;

		tls_locate(&targets[i], &loc);
		tls_print_target(&targets[i], &loc);
	}
}

int print_probe(const struct load_config *cfg)
{
	struct kernel_features f;
	int usable = 0;

	probe_kernel(&f);
	printf("kernel: %s\n", f.release);
	printf("btf: %s (/sys/kernel/btf/vmlinux)\n", yes(f.btf));
	printf("ring buffer maps: %s\n", yes(f.ringbuf));
	printf("ring buffers in a map array (ring slots): %s\n", yes(f.ringbuf_in_map_array));
	printf("tracefs: %s\n", f.tracefs ? tracefs_root() : "not mounted (observe-load mounts it)");
	printf("process exit: read from task_struct through CO-RE "
	       "(no tracepoint context struct, whose layout changed in 6.x); %s\n",
	       exit_has_group_dead() ? "the tracepoint's group_dead marks the last thread" :
	       "no group_dead: signal->live and a set of processes reported");
	for (unsigned i = 0; i < nr_collectors; i++) {
		const struct collector *c = collectors[i];
		struct bpf_object *obj = NULL;
		void *skel = c->open(&obj, NULL);
		struct bpf_program *prog;
		int found = 0, total = 0;

		if (!skel) {
			printf("collector %s: cannot open its BPF object\n", c->name);
			continue;
		}
		printf("collector %s%s:\n", c->name,
		       cfg->collectors & (1ULL << c->id) ? "" : " (not selected)");
		if (c->configure)
			c->configure(skel, cfg);	/* what this kernel leaves out */
		bpf_object__for_each_program(prog, obj) {
			const char *sec = bpf_program__section_name(prog), *why = NULL;
			bool ok;

			if (!bpf_program__autoload(prog)) {
				/* an alternative (sched_exit_live) or a missing helper */
				printf("  %-36s left out on this kernel (%s)\n", sec,
				       bpf_program__name(prog));
				continue;
			}
			ok = probe_hook(sec, &why);
			printf("  %-36s %s%s%s\n", sec, ok ? "yes" : "no", ok ? "" : ": ", ok ? "" : why);
			found += ok;
			total++;
		}
		c->destroy(skel);
		if (found && (cfg->collectors & (1ULL << c->id)))
			usable++;
		printf("  would load: %d of %d programs\n", found, total);
	}
	if (cfg->collectors & (1ULL << OBSERVE_COLLECTOR_TLS))
		print_tls_targets(cfg);
	if (!f.btf || !f.ringbuf || !f.ringbuf_in_map_array || !usable) {
		printf("verdict: observe cannot load on this kernel\n");
		return 1;
	}
	printf("verdict: observe can load (%u slots of %llu bytes)\n", cfg->nr_slots,
	       (unsigned long long)cfg->ring_size);
	return 0;
}
