// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Loading, attaching and pinning, in three phases so that a failure leaves
 * the pin directory as it was:
 *   1. load: open each collector, hand it the pinned maps that exist (their
 *      counters and filters survive a reload), load it into the kernel;
 *   2. attach: attach every program; nothing is pinned yet;
 *   3. commit: pin every new map, ring and link under a temporary name
 *      (tmp-<pid>-<name>; bpffs reserves dots), switch from the old programs
 *      to the new ones with one store (generation.c), then rename them all
 *      over the old pins, maps first and links last. Until the switch
 *      nothing visible has changed, and a failure removes the temporary
 *      pins. Renaming a link over the old one detaches the old program,
 *      idle since the switch: no event is doubled or missed. tmp- pins that
 *      a killed run left are removed at the end.
 * A slot whose ring is replaced or retired is flock()ed by the loader from
 * the moment it decides until the end, so no reader claims it in between.
 */
#include "load.h"
#include "details.h"
#include "filters.h"
#include "layout.h"
#include "pins.h"
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define PIN_PREFIX "observe_"
#define VERIFIER_LOG_SIZE (16u << 20)
#define VERIFIER_LOG_LINES 25

struct shared_map *load_find_map(struct load_state *s, const char *name)
{
	for (int i = 0; i < s->nr_maps; i++)
		if (!strcmp(s->maps[i].name, name))
			return &s->maps[i];
	return NULL;
}

bool path_of(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n > 0 && (size_t)n < len;
}

/* Where a shared map is pinned: the pin directory, or its place's subdirectory. */
static bool map_path(struct load_state *s, char *buf, size_t len, const char *name)
{
	struct pin_place place = pin_place(name);
	char dir[4096];

	if (!place.subdir)
		return path_of(buf, len, s->cfg->pin_dir, name);
	return path_of(dir, sizeof(dir), s->cfg->pin_dir, place.subdir) &&
	       path_of(buf, len, dir, name);
}

/*
 * Whether the pinned map at fd can serve as this version's 'map': the same
 * type, sizes and flags, and, where both carry BTF, keys and values of the
 * same field names, offsets and sizes; a same-size value whose fields moved or
 * changed meaning must not keep its old entries. False with 'why' set.
 */
static bool same_layout(int fd, const struct bpf_map *map, struct bpf_object *obj, char *why,
			size_t why_len)
{
	const struct btf *new_btf = bpf_object__btf(obj);
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct btf *old_btf;
	bool same;

	snprintf(why, why_len, "its type, sizes or flags changed");
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return false;
	if (info.type != bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
	    info.value_size != bpf_map__value_size(map) ||
	    info.max_entries != bpf_map__max_entries(map) || info.map_flags != bpf_map__map_flags(map))
		return false;
	if (!info.btf_id || !new_btf || !info.btf_value_type_id || !bpf_map__btf_value_type_id(map))
		return true;	/* no BTF to compare (rings, arrays of maps) */
	old_btf = btf__load_from_kernel_by_id(info.btf_id);
	if (!old_btf)
		return true;	/* unreadable: the sizes matched, as before BTF was checked */
	same = (!info.btf_key_type_id || !bpf_map__btf_key_type_id(map) ||
		layout_same(old_btf, info.btf_key_type_id, new_btf, bpf_map__btf_key_type_id(map),
			    why, why_len)) &&
	       layout_same(old_btf, info.btf_value_type_id, new_btf,
			   bpf_map__btf_value_type_id(map), why, why_len);
	btf__free(old_btf);
	return same;
}

/* Gives the object the pinned (or already loaded) instance of each shared map. */
static int reuse_shared_maps(struct load_state *s, struct bpf_object *obj)
{
	struct bpf_map *map;
	char path[4096];

	bpf_object__for_each_map(map, obj) {
		char name[64], why[256];
		struct shared_map *sm;
		int fd;

		snprintf(name, sizeof(name), "%s", bpf_map__name(map));

		if (strncmp(name, PIN_PREFIX, strlen(PIN_PREFIX)))
			continue;
		sm = load_find_map(s, name);
		if (sm) {
			if (sm->fd >= 0 && bpf_map__reuse_fd(map, sm->fd))
				return report_error("cannot share map %s between collectors", name), -1;
			continue;
		}
		if (s->nr_maps == MAX_SHARED_MAPS)
			return report_error("too many shared maps"), -1;
		sm = &s->maps[s->nr_maps++];
		snprintf(sm->name, sizeof(sm->name), "%s", name);
		sm->fd = -1;
		sm->frozen_fd = -1;
		if (!map_path(s, path, sizeof(path), name))
			return report_error("pin path too long"), -1;
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;	/* a first load: created by libbpf, pinned at commit */
		if (!same_layout(fd, map, obj, why, sizeof(why))) {
			report_warn("%s has a new layout in this version (%s): replacing it (its "
				    "values start again from zero)", path, why);
			close(fd);
			sm->replace = true;
			continue;
		}
		/* A member may freeze what the group may write: no one could
		 * change it again. A new instance takes its place and entries. */
		if (pins_map_frozen(fd)) {
			report_warn("%s was frozen by a group member: replacing it (its entries are "
				    "kept)", path);
			sm->frozen_fd = fd;
			sm->replace = true;
			continue;
		}
		if (bpf_map__reuse_fd(map, fd)) {
			close(fd);
			return report_error("cannot reuse pinned map %s", path), -1;
		}
		sm->fd = fd;
		sm->pinned = true;
	}
	return 0;
}

/* After a load, the maps the object created are the ones later objects share. */
static void remember_created_maps(struct load_state *s, struct bpf_object *obj)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		struct shared_map *sm = load_find_map(s, bpf_map__name(map));

		if (sm && sm->fd < 0)
			sm->fd = dup(bpf_map__fd(map));
		if (sm && sm->fd >= 0 && sm->frozen_fd >= 0) {
			if (copy_map_entries(sm->frozen_fd, sm->fd) < 0)
				report_warn("%s: the entries of the frozen map could not be kept: %s",
					    sm->name, strerror(errno));
			else
				sm->copied = true;
			close(sm->frozen_fd);
			sm->frozen_fd = -1;
		}
	}
}

static void print_verifier_failure(struct load_state *s, const char *collector, int err)
{
	const char *line = report_libbpf_find("BPF program load failed");
	char prog[128] = "?";
	const char *end;
	int lines = 0;

	if (line && sscanf(strstr(line, "prog '") ? strstr(line, "prog '") : "", "prog '%127[^']'", prog) != 1)
		snprintf(prog, sizeof(prog), "?");
	if (!s->log[0]) {
		report_error("cannot load collector %s: %s", collector, strerror(-err));
		report_libbpf_tail();
		return;
	}
	report_error("the verifier rejected program '%s' of collector %s; end of its log:",
		     prog, collector);
	end = s->log + strlen(s->log);
	while (end > s->log && end[-1] == '\n')
		end--;
	for (line = end; line > s->log && lines <= VERIFIER_LOG_LINES; line--)
		if (line[-1] == '\n')
			lines++;
	fprintf(stderr, "%.*s\n", (int)(end - line), line);
}

/* The slots a family's programs may write, into the object's const volatile
 * mask; an object with none writes no slot of that family (required: every
 * object has the events' mask). */
static int set_family_bits(struct bpf_object *obj, const struct ring_family *r, bool required)
{
	int err = set_rodata(obj, r->slot_bits_var, &r->slot_bits, sizeof(r->slot_bits));

	return err == -ENOENT && !required ? 0 : err;
}

static int load_collector(struct load_state *s, const struct collector *c)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .kernel_log_buf = s->log,
		    .kernel_log_size = VERIFIER_LOG_SIZE, .kernel_log_level = 0);
	struct bpf_program *prog;
	struct bpf_object *obj = NULL;
	int usable = 0, left_out, err;
	void *skel;

	skel = c->open(&obj, &opts);
	if (!skel) {
		report_error("cannot open the BPF object of collector %s: %s", c->name,
			     strerror(errno));
		return -1;
	}
	s->loaded[s->nr_loaded].c = c;
	s->loaded[s->nr_loaded].skel = skel;
	s->loaded[s->nr_loaded].obj = obj;
	s->nr_loaded++;
	if (c->configure)
		c->configure(skel, s->cfg);
	choose_syscall_exits(s->cfg, c, obj);
	if (set_rodata(obj, "observe_generation", &s->generation, sizeof(s->generation)) ||
	    set_family_bits(obj, &s->rings.events, true) || set_family_bits(obj, &s->rings.tls, false)) {
		report_error("collector %s: its object lacks observe_generation or its slot mask",
			     c->name);
		return -1;
	}

	left_out = leave_out_details(s->cfg, c, obj);
	bpf_object__for_each_program(prog, obj) {
		const char *sec = bpf_program__section_name(prog), *why = NULL;

		if (!bpf_program__autoload(prog))
			continue;	/* left out by configure(): a lack it reported, or an alternative */
		if (probe_hook(sec, &why)) {
			usable++;
			continue;
		}
		bpf_program__set_autoload(prog, false);
		report_warn("collector %s: %s is not available (%s): program %s is left out",
			    c->name, sec, why, bpf_program__name(prog));
	}
	if (!usable && left_out) {
		report_warn("collector %s: its programs all serve details left out "
			    "(--without-details): it is left out", c->name);
		s->nr_loaded--;
		c->destroy(skel);
		return 0;
	}
	if (!usable && !(s->cfg->required & (1ULL << c->id))) {
		report_warn("collector %s: none of its programs can run on this kernel: it is left out",
			    c->name);
		s->nr_loaded--;
		c->destroy(skel);
		return 0;
	}
	if (!usable) {
		report_error("collector %s: none of its programs can run on this kernel", c->name);
		return -1;
	}
	if (reuse_shared_maps(s, obj))
		return -1;
	s->log[0] = 0;
	err = bpf_object__load(obj);
	if (err) {
		print_verifier_failure(s, c->name, err);
		return -1;
	}
	remember_created_maps(s, obj);
	return 0;
}

struct bpf_object *load_object_of(struct load_state *s, unsigned id)
{
	for (int i = 0; i < s->nr_loaded; i++)
		if (s->loaded[i].c->id == id)
			return s->loaded[i].obj;
	return NULL;
}

int load_add_link(struct load_state *s, struct bpf_link *link, const char *pin_fmt, ...)
{
	struct attached *a;
	va_list ap;

	if (s->nr_links == s->links_room) {
		int room = s->links_room ? 2 * s->links_room : 64;
		struct attached *more = realloc(s->links, room * sizeof(*more));

		if (!more) {
			bpf_link__destroy(link);
			return report_error("out of memory"), -1;
		}
		s->links = more;
		s->links_room = room;
	}
	a = &s->links[s->nr_links++];
	a->link = link;
	va_start(ap, pin_fmt);
	vsnprintf(a->pin_name, sizeof(a->pin_name), pin_fmt, ap);
	va_end(ap);
	return 0;
}

/* Each program to its own hook, unless the collector attaches them itself. */
static int attach_collector(struct load_state *s, const struct collector *c, struct bpf_object *obj)
{
	struct bpf_program *prog;

	if (c->attach)
		return c->attach(s, c, obj);
	bpf_object__for_each_program(prog, obj) {
		struct bpf_link *link;

		if (!bpf_program__autoload(prog))
			continue;
		if (detail_of_program(c->id, bpf_program__name(prog)) >= 0)
			continue;	/* attached while its detail is on: details.c */
		if (is_tail_called(c, bpf_program__name(prog)))
			continue;	/* by the syscalls collector: syscall_exits.c */
		link = bpf_program__attach(prog);
		if (!link) {
			report_error("cannot attach %s-%s to %s: %s", c->name, bpf_program__name(prog),
				     bpf_program__section_name(prog), strerror(errno));
			return -1;
		}
		if (load_add_link(s, link, "%s-%s", c->name, bpf_program__name(prog)))
			return -1;
	}
	return 0;
}

/* The directory of slot i of a family, and optionally a file in it. */
static void slot_path(struct load_state *s, char *buf, size_t len, const struct ring_family *r,
		      unsigned i, const char *file)
{
	char name[64];

	slot_name(name, sizeof(name), r->family, i, file);
	snprintf(buf, len, "%s/%s", s->cfg->pin_dir, name);
}

/*
 * Takes the slot as a reader would, so that no reader claims it while its
 * ring is replaced or it is retired: true if the slot is ours (or has no
 * directory yet), false if a reader holds it.
 */
static bool lock_slot(struct load_state *s, struct ring_family *r, unsigned i)
{
	char path[4096];
	int fd;

	slot_path(s, path, sizeof(path), r, i, NULL);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return true;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		return false;
	}
	r->slot_lock[i] = fd;
	return true;
}

static int prepare_rings(struct load_state *s, struct ring_family *r)
{
	char path[4096];

	for (unsigned i = 0; i < OBSERVE_MAX_SLOTS; i++) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int fd;

		if (i >= r->nr_slots) {
			lock_slot(s, r, i);	/* retired at commit if we hold it */
			continue;
		}
		slot_path(s, path, sizeof(path), r, i, OBSERVE_SLOT_RING);
		fd = bpf_obj_get(path);
		/* A frozen ring cannot be mapped writable: no reader could
		 * consume it. It is replaced like a ring of another size. */
		if (fd >= 0 && pins_map_frozen(fd))
			report_warn("%s: slot %u's ring was frozen by a group member: replacing it",
				    r->family->what, i);
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    info.type == BPF_MAP_TYPE_RINGBUF &&
		    ((info.max_entries == r->ring_size && !pins_map_frozen(fd)) || !lock_slot(s, r, i))) {
			if (info.max_entries != r->ring_size)
				report_warn("%s: slot %u is in use: its ring keeps %u bytes until it is "
					    "free and observe-load runs again", r->family->what, i,
					    info.max_entries);
			r->ring_fd[i] = fd;
			continue;
		}
		if (fd >= 0)
			close(fd);
		fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "observe_ring", 0, 0, r->ring_size, NULL);
		if (fd < 0) {
			report_error("cannot create a ring of %llu bytes: %s",
				     (unsigned long long)r->ring_size, strerror(errno));
			return -1;
		}
		r->ring_fd[i] = fd;
		r->ring_new[i] = true;
	}
	return 0;
}

static int track_new_path(struct load_state *s, const char *path)
{
	if (s->nr_new_paths == MAX_NEW_PATHS)
		return -1;
	s->new_paths[s->nr_new_paths] = strdup(path);
	return s->new_paths[s->nr_new_paths] ? s->nr_new_paths++, 0 : -1;
}

static int set_owner(const char *path, gid_t gid, mode_t mode)
{
	return pin_set_owner(path, gid, mode);
}

int load_make_dir(struct load_state *s, const char *path, gid_t gid, mode_t mode)
{
	bool created;

	if (pin_make_dir(path, gid, mode, &created))
		return -1;
	return created ? track_new_path(s, path) : 0;
}

/* Pins fd under a temporary name beside path; renamed over path at the end. */
int load_stage_pin(struct load_state *s, int fd, const char *path, gid_t gid, mode_t mode)
{
	const char *slash = strrchr(path, '/');
	char tmp[4200];

	if (s->nr_staged == s->staged_room) {
		int room = s->staged_room ? 2 * s->staged_room : 128;
		void *more = realloc(s->staged, room * sizeof(*s->staged));

		if (!more)
			return report_error("out of memory"), -1;
		s->staged = more;
		s->staged_room = room;
	}
	/* The pid: a killed run's tmp- links may be the ones running until
	 * this run's switch; they are removed after it. */
	snprintf(tmp, sizeof(tmp), "%.*s/tmp-%d-%s", (int)(slash - path), path, (int)getpid(),
		 slash + 1);
	unlink(tmp);	/* left by a killed run of the same pid */
	if (bpf_obj_pin(fd, tmp)) {
		report_error("cannot pin %s: %s", tmp, strerror(errno));
		return -1;
	}
	s->staged[s->nr_staged].tmp = strdup(tmp);
	s->staged[s->nr_staged].final = strdup(path);
	if (!s->staged[s->nr_staged].tmp || !s->staged[s->nr_staged].final) {
		unlink(tmp);
		return report_error("out of memory"), -1;
	}
	s->nr_staged++;
	return set_owner(tmp, gid, mode);
}

/* The point of no return: every staged pin replaces its old one. */
static void rename_staged(struct load_state *s)
{
	for (int i = 0; i < s->nr_staged; i++)
		if (rename(s->staged[i].tmp, s->staged[i].final))
			report_warn("cannot put %s in place: %s", s->staged[i].final, strerror(errno));
}

static void unstage(struct load_state *s)
{
	for (int i = 0; i < s->nr_staged; i++)
		unlink(s->staged[i].tmp);
}

/* A map placed in a subdirectory (the TLS group's) gets it first. */
static int pin_maps(struct load_state *s)
{
	char path[4096];

	for (int i = 0; i < s->nr_maps; i++) {
		struct shared_map *sm = &s->maps[i];
		struct pin_place place = pin_place(sm->name);
		gid_t gid = place.tls_group ? s->tls_gid : s->gid;

		if (place.subdir && (!path_of(path, sizeof(path), s->cfg->pin_dir, place.subdir) ||
				     load_make_dir(s, path, gid, 0750)))
			return -1;
		if (!map_path(s, path, sizeof(path), sm->name))
			return report_error("pin path too long"), -1;
		if (!sm->pinned) {
			if (load_stage_pin(s, sm->fd, path, gid, place.mode))
				return -1;
		} else if (set_owner(path, gid, place.mode)) {
			return -1;
		}
	}
	return 0;
}

static int stage_rings(struct load_state *s, struct ring_family *r)
{
	char dir[4096], path[4200];

	for (unsigned i = 0; i < r->nr_slots; i++) {
		slot_path(s, dir, sizeof(dir), r, i, NULL);
		snprintf(path, sizeof(path), "%s/" OBSERVE_SLOT_RING, dir);
		if (load_make_dir(s, dir, r->gid, 0750))
			return -1;
		if (r->ring_new[i] ? load_stage_pin(s, r->ring_fd[i], path, r->gid, 0660) :
				     set_owner(path, r->gid, 0660))
			return -1;
	}
	return 0;
}

/* After the renames: the programs write into the pinned rings; slots above
 * the count that no reader holds are retired (a held one stays until its
 * reader leaves and observe-load runs again). */
static void switch_rings(struct load_state *s, struct ring_family *r)
{
	struct shared_map *slots = load_find_map(s, r->family->outer), pinned = { .fd = -1 };
	char dir[4096], path[4200];

	/* A family no loaded collector writes (TLS left out this time): its
	 * pinned outer array lets go of the rings of the slots retired below. */
	if (!slots && map_path(s, path, sizeof(path), r->family->outer)) {
		pinned.fd = bpf_obj_get(path);
		if (pinned.fd >= 0)
			slots = &pinned;
	}

	for (unsigned i = 0; i < OBSERVE_MAX_SLOTS; i++) {
		__u32 key = i;

		if (i < r->nr_slots) {
			if (!slots || bpf_map_update_elem(slots->fd, &key, &r->ring_fd[i], BPF_ANY))
				report_warn("cannot put the ring of slot %u in place: %s", i,
					    strerror(errno));
			continue;
		}
		slot_path(s, dir, sizeof(dir), r, i, NULL);
		if (access(dir, F_OK))
			continue;
		if (r->slot_lock[i] < 0) {
			report_warn("%s: slot %u is in use: it stays until its reader leaves and "
				    "observe-load runs again", r->family->what, i);
			continue;
		}
		if (slots)
			bpf_map_delete_elem(slots->fd, &key);
		snprintf(path, sizeof(path), "%s/" OBSERVE_SLOT_RING, dir);
		unlink(path);
		rmdir(dir);
	}
	if (pinned.fd >= 0)
		close(pinned.fd);
}

static bool link_is_current(struct load_state *s, const char *name)
{
	for (int i = 0; i < s->nr_links; i++)
		if (!strcmp(s->links[i].pin_name, name))
			return true;
	return false;
}

static int stage_links(struct load_state *s)
{
	char dir[4096], path[4400];

	snprintf(dir, sizeof(dir), "%s/" OBSERVE_LINKS_SUBDIR, s->cfg->pin_dir);
	if (load_make_dir(s, dir, s->gid, 0750))
		return -1;
	for (int i = 0; i < s->nr_links; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, s->links[i].pin_name);
		if (load_stage_pin(s, bpf_link__fd(s->links[i].link), path, s->gid, 0600))
			return -1;
	}
	return 0;
}

/* After the renames: links of programs this version no longer has, or of
 * collectors left out, are detached. A killed run's tmp- links are left to
 * remove_leftover_staging(), which says so. */
static void remove_stale_links(struct load_state *s)
{
	char dir[4096], path[4400];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/" OBSERVE_LINKS_SUBDIR, s->cfg->pin_dir);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !strncmp(de->d_name, "tmp-", 4) ||
		    link_is_current(s, de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) == 0 && s->cfg->verbose)
			fprintf(stderr, "observe-load: detached %s\n", de->d_name);
	}
	closedir(d);
}

static int write_info(struct load_state *s, const struct kernel_features *f)
{
	struct shared_map *sm = load_find_map(s, PIN_INFO);
	struct observe_info info = {};
	__u32 zero = 0;

	if (!sm)
		return report_error("no observe_info map"), -1;
	bpf_map_lookup_elem(sm->fd, &zero, &info);	/* absent on a first load */
	info.abi_version = OBSERVE_ABI_VERSION;
	info.nr_slots = s->cfg->nr_slots;
	info.ring_size = s->cfg->ring_size;
	info.argv_max = s->cfg->argv_max;
	info.loaded_at = time(NULL);
	info.load_count++;
	info.collectors = 0;
	for (int i = 0; i < s->nr_loaded; i++)
		info.collectors |= 1ULL << s->loaded[i].c->id;
	memcpy(info.kernel_release, f->release, sizeof(info.kernel_release));
	info.details_left_out = s->cfg->details_left_out;
	if (bpf_map_update_elem(sm->fd, &zero, &info, BPF_ANY))
		return report_error("cannot write observe_info: %s", strerror(errno)), -1;
	return 0;
}

/* observe_readers may be new (first load, new layout) while observe_filter
 * is kept: its copy of the pid set's state must say what the filter says
 * before the fork and exit hooks run. */
static int publish_pid_set(struct load_state *s)
{
	struct shared_map *filter = load_find_map(s, PIN_FILTER);
	struct shared_map *readers = load_find_map(s, PIN_READERS);
	struct observe_filter f = {};
	__u32 zero = 0;

	if (!filter || !readers)
		return 0;	/* not among the maps of this load */
	bpf_map_lookup_elem(filter->fd, &zero, &f);
	return filters_publish(readers->fd, &f);
}

/* Slot i of a family is free: no reader holds its directory. The lock
 * (LOCK_EX, as a claim) is kept in *fd so that no reader claims it before
 * its bit is cleared. */
static bool slot_is_free(struct load_state *s, struct ring_family *r, unsigned i, int *fd)
{
	char path[4096];

	*fd = -1;
	if (r->slot_lock[i] >= 0)
		return true;	/* ours: replaced or retired */
	slot_path(s, path, sizeof(path), r, i, NULL);
	*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return true;
	return !flock(*fd, LOCK_EX | LOCK_NB);
}

/* The switch of one family's readers map: the new generation, and the bits
 * of its slots that have a live reader; a bit past the slots, or of a slot
 * nobody holds, a dead reader's or a member's, is cleared. */
static void switch_family(struct load_state *s, struct ring_family *r)
{
	const char *name = strrchr(r->family->readers, '/');
	struct shared_map *readers = load_find_map(s, name ? name + 1 : r->family->readers);
	int locks[OBSERVE_MAX_SLOTS];
	__u64 keep = 0;

	if (!readers)
		return;		/* no collector of this family loaded */
	for (unsigned i = 0; i < OBSERVE_MAX_SLOTS; i++)
		if ((r->slot_bits & (1ULL << i)) && !slot_is_free(s, r, i, &locks[i]))
			keep |= 1ULL << i;
	if (switch_generation(readers->fd, s->generation, keep))
		report_warn("cannot switch %s to the new programs: %s", r->family->readers,
			    strerror(errno));
	for (unsigned i = 0; i < OBSERVE_MAX_SLOTS; i++)
		if ((r->slot_bits & (1ULL << i)) && locks[i] >= 0)
			close(locks[i]);
}

static int commit(struct load_state *s, const struct kernel_features *f)
{
	int err = 0;

	if (!load_find_map(s, PIN_SLOTS) || load_make_dir(s, s->cfg->pin_dir, s->gid, 0750) ||
	    pin_maps(s))
		err = -1;
	FOR_EACH_FAMILY(s, r)
		if (!err)
			err = stage_rings(s, r);
	for (int i = 0; !err && i < s->nr_loaded; i++)
		if (s->loaded[i].c->commit)
			err = s->loaded[i].c->commit(s, s->loaded[i].c);
	if (err || publish_pid_set(s) || load_details(s) || stage_links(s)) {
		unstage(s);
		for (int i = s->nr_new_paths - 1; i >= 0; i--)
			rmdir(s->new_paths[i]);	/* only directories this run made */
		return -1;
	}
	FOR_EACH_FAMILY(s, r)
		switch_family(s, r);
	rename_staged(s);
	settle_detail_hooks(s);
	FOR_EACH_FAMILY(s, r)
		switch_rings(s, r);
	remove_stale_links(s);
	remove_leftover_staging(s->cfg->pin_dir);
	err = write_info(s, f);
	for (unsigned i = 0; i < nr_collectors; i++) {
		const struct collector *c = collectors[i];

		if (c->reset && c->reset(s, c, load_object_of(s, c->id)))
			err = -1;
	}
	return err;
}

static void free_state(struct load_state *s, bool keep_links)
{
	for (int i = 0; i < s->nr_links; i++) {
		if (keep_links)
			bpf_link__disconnect(s->links[i].link);	/* the pin holds it */
		bpf_link__destroy(s->links[i].link);
	}
	for (int i = s->nr_loaded - 1; i >= 0; i--)
		s->loaded[i].c->destroy(s->loaded[i].skel);
	for (int i = 0; i < s->nr_maps; i++) {
		if (s->maps[i].fd >= 0)
			close(s->maps[i].fd);
		if (s->maps[i].frozen_fd >= 0)
			close(s->maps[i].frozen_fd);
	}
	FOR_EACH_FAMILY(s, r)
		for (unsigned i = 0; i < OBSERVE_MAX_SLOTS; i++) {
			if (r->ring_fd[i] >= 0)
				close(r->ring_fd[i]);
			if (r->slot_lock[i] >= 0)
				close(r->slot_lock[i]);
		}
	for (int i = 0; i < s->nr_new_paths; i++)
		free(s->new_paths[i]);
	for (int i = 0; i < s->nr_staged; i++) {
		free(s->staged[i].tmp);
		free(s->staged[i].final);
	}
	free(s->staged);
	free(s->links);
	free(s->log);
}

/* The slots a family's programs may write: its count, and the ones above
 * it that a reader still holds (they stay until it leaves). */
/* The programs loaded for details (pinned, attached while on), or to be
 * tail-called (syscall_exits.c). */
static int programs_loaded_where(struct load_state *s, bool tail_called)
{
	struct bpf_program *prog;
	int n = 0;

	for (int i = 0; i < s->nr_loaded; i++) {
		const struct collector *c = s->loaded[i].c;

		bpf_object__for_each_program(prog, s->loaded[i].obj) {
			const char *name = bpf_program__name(prog);

			if (bpf_program__autoload(prog) &&
			    (tail_called ? is_tail_called(c, name) : detail_of_program(c->id, name) >= 0))
				n++;
		}
	}
	return n;
}

static int detail_programs(struct load_state *s)
{
	return programs_loaded_where(s, false);
}

static int tail_called_programs(struct load_state *s)
{
	return programs_loaded_where(s, true);
}

static __u64 slot_bits(struct load_state *s, struct ring_family *r)
{
	__u64 bits = (1ULL << r->nr_slots) - 1;

	for (unsigned i = r->nr_slots; i < OBSERVE_MAX_SLOTS; i++) {
		char path[4096];
		int fd;

		slot_path(s, path, sizeof(path), r, i, NULL);
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0 && flock(fd, LOCK_SH | LOCK_NB))
			bits |= 1ULL << i;
		if (fd >= 0)
			close(fd);
	}
	return bits;
}

/* This load's generation: one past the pinned readers maps'. */
static int choose_generation(struct load_state *s)
{
	char paths[2][4096];
	const char *p[2] = { paths[0], paths[1] };
	int n = 0;

	FOR_EACH_FAMILY(s, r) {
		const char *name = strrchr(r->family->readers, '/');

		if (!map_path(s, paths[n++], sizeof(paths[0]), name ? name + 1 : r->family->readers))
			return report_error("pin path too long"), -1;
	}
	s->generation = next_generation(p, n);
	return 0;
}

int load_and_pin(const struct load_config *cfg, const struct kernel_features *f, gid_t gid,
		 gid_t tls_gid)
{
	struct load_state s = { .cfg = cfg, .gid = gid, .tls_gid = tls_gid };
	bool ok = false;

	s.rings.events = (struct ring_family){ .family = &slot_events, .nr_slots = cfg->nr_slots,
					       .ring_size = cfg->ring_size, .gid = gid,
					       .slot_bits_var = "observe_slot_bits" };
	s.rings.tls = (struct ring_family){ .family = &slot_tls, .nr_slots = cfg->nr_tls_slots,
					    .ring_size = cfg->tls_ring_size, .gid = tls_gid,
					    .slot_bits_var = "observe_tls_slot_bits" };
	FOR_EACH_FAMILY(&s, r) {
		for (unsigned i = 0; i < OBSERVE_MAX_SLOTS; i++)
			r->ring_fd[i] = r->slot_lock[i] = -1;
		r->slot_bits = slot_bits(&s, r);
	}
	if (choose_generation(&s))
		return 1;
	s.log = calloc(1, VERIFIER_LOG_SIZE);
	if (!s.log)
		return report_error("out of memory"), 1;

	for (unsigned i = 0; i < nr_collectors; i++)
		if ((cfg->collectors & (1ULL << collectors[i]->id)) && load_collector(&s, collectors[i]))
			goto out;
	if (!s.nr_loaded) {
		report_error("no collector selected");
		goto out;
	}
	/* A family's slots only while a loaded collector writes into them (the
	 * TLS ones with the TLS collector): a reload without retires them (the
	 * counters stay). */
	FOR_EACH_FAMILY(&s, r) {
		if (!load_find_map(&s, r->family->outer))
			r->nr_slots = 0;
		if (prepare_rings(&s, r))
			goto out;
	}
	for (int i = 0; i < s.nr_loaded; i++)
		if (attach_collector(&s, s.loaded[i].c, s.loaded[i].obj))
			goto out;
	if (commit(&s, f))
		goto out;
	ok = true;
	printf("observe-load: loaded %d programs (", s.nr_links);
	for (int i = 0; i < s.nr_loaded; i++)
		printf("%s%s", i ? ", " : "", s.loaded[i].c->name);
	printf("), %u ring slots of %llu KiB, pinned in %s for group %s\n", cfg->nr_slots,
	       (unsigned long long)cfg->ring_size >> 10, cfg->pin_dir, cfg->group);
	if (tail_called_programs(&s))
		printf("observe-load: %d more programs, tail-called by the syscalls collector's "
		       "sys_exit program\n", tail_called_programs(&s));
	if (detail_programs(&s))
		printf("observe-load: %d more programs, each attached while its detail is on "
		       "(observe-filter show)\n", detail_programs(&s));
	for (int i = 0; i < s.nr_loaded; i++)
		if (s.loaded[i].c->describe)
			s.loaded[i].c->describe(&s, s.loaded[i].c);
out:
	free_state(&s, ok);
	return ok ? 0 : 1;
}
