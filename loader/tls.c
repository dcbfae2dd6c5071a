// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The TLS collector's load: uprobes on each TLS target, by symbol or by
 * signature (tls_targets.c finds them; Go's return instructions, tls_go.c), what each target's probes became for the
 * readers and observe-stats, and its own slots' summary.
 */
#include "load.h"
#include "decoders.h"
#include "report.h"
#include "tls.h"
#include "tls.skel.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

COLLECTOR_SKELETON(tls)

/* What this load probed: written to observe_tls_targets, printed. */
static struct observe_tls_target targets[OBSERVE_TLS_MAX_TARGETS];
static int nr_targets;

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

/* Where the return probes of a function go: its start for a uretprobe,
 * each of its return instructions (Go), or nowhere (entry only). */
static int return_sites(const struct observe_tls_target *target, const struct tls_function *f,
			const struct tls_symbol *sym, uint64_t *sites)
{
	if (!f->return_prog)
		return 0;
	if (!f->at_returns) {
		sites[0] = sym->offset;
		return 1;
	}
	return tls_return_offsets(target->path, sym, sites, OBSERVE_TLS_MAX_RETURNS);
}

static struct bpf_link *attach_probe(struct bpf_object *obj, const char *prog_name,
				     const char *path, uint64_t offset, bool retprobe, uint64_t cookie)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = retprobe, .bpf_cookie = cookie);
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, prog_name);

	if (!prog || !bpf_program__autoload(prog)) {
		errno = ENOENT;
		return NULL;
	}
	return bpf_program__attach_uprobe_opts(prog, -1, path, offset, &opts);
}

/* What the return probes of Go functions are told: where a *tls.Conn keeps
 * its server name (+1; 0: unknown, the records carry no name). */
static uint64_t return_cookie(const struct observe_tls_target *target, const struct tls_function *f)
{
	long offset;

	if (!f->at_returns)
		return 0;
	offset = tls_go_server_name_offset(target->path);
	return offset < 0 ? 0 : (uint64_t)offset + 1;
}

/* One function of one TLS target at 'sym' (found by symbol or signature):
 * its entry probe, and its return probe (a uretprobe, or one uprobe per
 * return instruction) if it has one. A refused probe is the target's
 * status, not a failure; a function is probed whole or not at all. */
static int attach_function(struct load_state *s, struct bpf_object *obj, int t, unsigned fn,
			   const struct tls_symbol *sym)
{
	struct observe_tls_target *target = &targets[t];
	const struct tls_function *f = &tls_functions[fn];
	struct bpf_link *links[1 + OBSERVE_TLS_MAX_RETURNS] = {};
	uint64_t sites[OBSERVE_TLS_MAX_RETURNS], cookie;
	int nr_sites, n = 0, err = 0;

	nr_sites = return_sites(target, f, sym, sites);
	if (nr_sites < 0)
		goto failed;
	cookie = return_cookie(target, f);
	links[n] = attach_probe(obj, f->entry_prog, target->path, sym->offset, false, 0);
	while (links[n] && n < nr_sites) {
		n++;
		links[n] = attach_probe(obj, f->return_prog, target->path, sites[n - 1],
					!f->at_returns, cookie);
	}
	if (!links[n])
		goto failed;
	/* load_add_link takes each link, or destroys it on failure. */
	for (int i = 0; i <= n; i++) {
		if (err)
			bpf_link__destroy(links[i]);
		else if (i && f->at_returns)
			err = load_add_link(s, links[i], "tls-t%d-%s-%d", t, f->return_prog, i);
		else
			err = load_add_link(s, links[i], "tls-t%d-%s", t,
					    i ? f->return_prog : f->entry_prog);
	}
	if (err)
		return -1;
	target->status[fn] = OBSERVE_TLS_ATTACHED;
	return 0;
failed:
	target->status[fn] = errno == ENOENT ? OBSERVE_TLS_MISSING : OBSERVE_TLS_FAILED;
	target->err[fn] = errno;
	while (n > 0)
		bpf_link__destroy(links[--n]);
	return 0;
}

/*
 * Probes every TLS target: a system library for the functions of its kind
 * by symbol, a --tls-binary for all kinds by symbol, or by signature when it
 * has no symbol at all (tls_locate). A --tls-binary where nothing trustworthy
 * is found is probed nowhere and says so; the others load.
 */
static int tls_attach(struct load_state *s, const struct collector *c, struct bpf_object *obj)
{
	int n = tls_find_targets(s->cfg, targets), probed = 0;

	if (n < 0)
		return -1;
	nr_targets = n;
	for (int t = 0; t < n; t++) {
		struct observe_tls_target *target = &targets[t];
		unsigned found = 0;	/* bit per enum observe_tls_library */
		struct tls_location loc;

		tls_locate(target, &loc);
		for (unsigned fn = 0; fn < OBSERVE_TLS_FUNC_COUNT; fn++) {
			if (!loc.wanted[fn])
				continue;
			if (attach_function(s, obj, t, fn, &loc.at[fn]))
				return -1;
			if (target->status[fn] == OBSERVE_TLS_ATTACHED)
				found |= 1u << tls_function_library(fn);
		}
		/* A binary's library by symbol: the first found in enum order. */
		if (target->from_user && target->found_by == OBSERVE_TLS_BY_SYMBOL && found)
			target->library = __builtin_ctz(found);
		probed += found != 0;
	}
	if (!probed)
		report_warn("tls: no OpenSSL, GnuTLS, BoringSSL or Go crypto/tls code was found to "
			    "probe (give programs with --tls-binary)");
	return 0;
}

/* Not loaded this time: readers must not claim the retired slots. */
static void forget_tls_info(struct load_state *s)
{
	struct observe_tls_info none = {};
	char path[4096];
	__u32 zero = 0;
	int fd;

	if (!path_of(path, sizeof(path), s->cfg->pin_dir, PIN_TLS_INFO))
		return;
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		bpf_map_update_elem(fd, &zero, &none, BPF_ANY);
		close(fd);
	}
}

/* What the TLS readers and observe-stats need to know: the TLS slots and
 * what each target's probes became. */
static int tls_reset(struct load_state *s, const struct collector *c, struct bpf_object *obj)
{
	struct shared_map *info_map = load_find_map(s, PIN_TLS_INFO);
	struct shared_map *targets_map = load_find_map(s, PIN_TLS_TARGETS);
	struct observe_tls_info info = {
		.nr_slots = s->rings.tls.nr_slots,
		.capture_max = s->cfg->tls_max,
		.ring_size = s->rings.tls.ring_size,
		.nr_targets = nr_targets,
	};
	__u32 zero = 0;

	if (!obj || !info_map || !targets_map) {
		forget_tls_info(s);
		return 0;
	}
	for (__u32 i = 0; i < OBSERVE_TLS_MAX_TARGETS; i++) {
		struct observe_tls_target none = {};

		if (bpf_map_update_elem(targets_map->fd, &i, i < (__u32)nr_targets ?
					&targets[i] : &none, BPF_ANY))
			return report_error("cannot write observe_tls_targets: %s", strerror(errno)), -1;
	}
	if (bpf_map_update_elem(info_map->fd, &zero, &info, BPF_ANY))
		return report_error("cannot write observe_tls_info: %s", strerror(errno)), -1;
	return 0;
}

static void tls_describe(struct load_state *s, const struct collector *c)
{
	const struct ring_family *r = &s->rings.tls;

	for (int t = 0; t < nr_targets; t++)
		tls_print_target(&targets[t], NULL);
	if (r->nr_slots)
		printf("observe-load: tls: %u TLS ring slots of %llu KiB for group %s, %u bytes "
		       "captured per call\n", r->nr_slots, (unsigned long long)r->ring_size >> 10,
		       s->cfg->tls_group, s->cfg->tls_max);
}

const struct collector collector_tls = {
	COLLECTOR_ROW(TLS, tls),
	.configure = tls_configure,
	.attach = tls_attach,
	.reset = tls_reset,
	.describe = tls_describe,
};
