// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The details of the loaded collectors (lib/details.h): their lock
 * directories; a held bit that no holder holds cleared (one killed before
 * it could); with --details, which are on for good; and with
 * --without-details, whose programs are not loaded at all. Their programs
 * are pinned, not attached: attached while the detail is on
 * (lib/detail_hooks.c), by whoever switches it on.
 */
#include "collectors.h"
#include "details.h"
#include "filters.h"
#include "load.h"
#include "report.h"

#include <stdio.h>
#include <unistd.h>

/* The detail's program 'name' as loaded now, or NULL (left out). */
static struct bpf_program *detail_program(struct load_state *s, unsigned d, const char *name)
{
	struct bpf_object *obj = load_object_of(s, observe_details[d].collector);
	struct bpf_program *prog = obj ? bpf_object__find_program_by_name(obj, name) : NULL;

	return prog && bpf_program__autoload(prog) ? prog : NULL;
}

/* Each program pinned for the group to attach (read is enough). */
static int stage_detail_programs(struct load_state *s, unsigned d)
{
	char path[4096];

	for (unsigned i = 0; i < DETAIL_MAX_PROGRAMS && observe_details[d].programs[i]; i++) {
		const char *name = observe_details[d].programs[i];
		struct bpf_program *prog = detail_program(s, d, name);

		if (!prog)
			continue;
		if (!details_prog_path(path, sizeof(path), s->cfg->pin_dir, name))
			return report_error("pin path too long"), -1;
		if (load_stage_pin(s, bpf_program__fd(prog), path, s->gid, 0640))
			return -1;
	}
	return 0;
}

static int prepare_detail(struct load_state *s, unsigned d, int readers_fd)
{
	char dir[4096], path[4096];

	if (!path_of(dir, sizeof(dir), s->cfg->pin_dir, OBSERVE_DETAILS_LOCK_DIR) ||
	    !details_lock_path(path, sizeof(path), s->cfg->pin_dir, d))
		return report_error("pin path too long"), -1;
	/* The group pins and removes the links of the detail's programs. */
	if (load_make_dir(s, dir, s->gid, 0750) || load_make_dir(s, path, s->gid, 0770) ||
	    stage_detail_programs(s, d))
		return -1;
	if (details_reap_one(readers_fd, s->cfg->pin_dir, d))
		report_warn("cannot clear the held bit of %s", observe_details[d].name);
	/* Left out: no program would fill it, so no bit says it is on. */
	if ((s->cfg->details_left_out & (1u << d)) &&
	    filters_switch_detail(readers_fd, d, false, false))
		return -1;
	if (s->cfg->details_given &&
	    filters_switch_detail(readers_fd, d, false, s->cfg->details & (1u << d)))
		return -1;
	return 0;
}

int load_details(struct load_state *s)
{
	struct shared_map *readers = load_find_map(s, PIN_READERS);

	if (!readers)
		return 0;
	for (unsigned d = 0; d < OBSERVE_DETAIL_COUNT; d++)
		if (load_object_of(s, observe_details[d].collector) &&
		    prepare_detail(s, d, readers->fd))
			return -1;
	return 0;
}

void settle_detail_hooks(struct load_state *s)
{
	struct shared_map *readers = load_find_map(s, PIN_READERS);
	uint32_t loaded = 0;
	char path[4096];

	for (unsigned d = 0; d < OBSERVE_DETAIL_COUNT; d++) {
		for (unsigned i = 0; i < DETAIL_MAX_PROGRAMS && observe_details[d].programs[i]; i++) {
			const char *name = observe_details[d].programs[i];

			if (detail_program(s, d, name)) {
				loaded |= 1u << d;
				continue;
			}
			details_detach_hook(s->cfg->pin_dir, d, name);
			if (details_prog_path(path, sizeof(path), s->cfg->pin_dir, name))
				unlink(path);
		}
	}
	/* One lock for all: a member holding it costs the load one wait. */
	if (loaded && readers && details_sync_hooks(s->cfg->pin_dir, readers->fd, loaded))
		report_warn("the details' programs may not be attached as they are switched");
}

int leave_out_details(const struct load_config *cfg, const struct collector *c,
		      struct bpf_object *obj)
{
	int left = 0;

	for (unsigned d = 0; d < OBSERVE_DETAIL_COUNT; d++) {
		if (!(cfg->details_left_out & (1u << d)) || observe_details[d].collector != c->id)
			continue;
		for (unsigned i = 0; i < DETAIL_MAX_PROGRAMS && observe_details[d].programs[i]; i++) {
			struct bpf_program *prog =
				bpf_object__find_program_by_name(obj, observe_details[d].programs[i]);

			if (!prog) {
				report_warn("collector %s has no program %s (detail %s)", c->name,
					    observe_details[d].programs[i], observe_details[d].name);
				continue;
			}
			if (bpf_program__autoload(prog)) {
				bpf_program__set_autoload(prog, false);
				left++;
			}
		}
	}
	return left;
}
