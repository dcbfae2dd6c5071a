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
#include "loader.h"
#include "collectors.h"
#include "decoders.h"
#include "events.h"
#include "filters.h"
#include "pins.h"
#include "report.h"
#include "slot.h"
#include "profile.h"
#include "tls.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define MAX_SHARED_MAPS 32
/* The profiler has one link per CPU, the TLS collector two per function and target. */
#define MAX_LINKS (64 + OBSERVE_PROFILE_MAX_CPUS + 2 * OBSERVE_TLS_FUNC_COUNT * OBSERVE_TLS_MAX_TARGETS)
#define MAX_NEW_PATHS 128
#define MAX_STAGED (128 + MAX_LINKS)
#define PIN_PREFIX "observe_"
#define VERIFIER_LOG_SIZE (16u << 20)
#define VERIFIER_LOG_LINES 25

struct shared_map {		/* one map pinned under its own name */
	/* A copy: libbpf 1.1's bpf_map__reuse_fd() frees the map's name and
	 * puts the kernel's, cut to 15 bytes, in its place. */
	char name[64];
	int fd;
	bool pinned;		/* found pinned and reused */
	bool replace;		/* pinned with another layout: replace the pin */
	int frozen_fd;		/* the pinned one, frozen: its entries go into the new one */
	bool copied;		/* a new instance holding the old one's entries */
};

struct attached {
	struct bpf_link *link;
	char pin_name[128];	/* <collector>-<program> */
};

/* The rings of one slot family (lib/slot.h): the events', the TLS ones. */
struct ring_family {
	const struct slot_family *family;
	const char *slot_bits_var;	/* its programs' const volatile slot mask */
	__u64 slot_bits;		/* the slots its programs may write */
	unsigned nr_slots;
	uint64_t ring_size;
	gid_t gid;
	int ring_fd[OBSERVE_MAX_SLOTS];
	bool ring_new[OBSERVE_MAX_SLOTS];
	int slot_lock[OBSERVE_MAX_SLOTS];	/* slots being replaced or retired */
};

struct load_state {
	const struct load_config *cfg;
	gid_t gid, tls_gid;
	__u32 generation;	/* this load's programs' */
	struct shared_map maps[MAX_SHARED_MAPS];
	int nr_maps;
	struct {
		const struct collector *c;
		void *skel;
		struct bpf_object *obj;
	} loaded[OBSERVE_COLLECTOR_COUNT];
	int nr_loaded;
	struct attached links[MAX_LINKS];
	int nr_links;
	struct ring_family rings[2];	/* events, TLS */
	struct observe_tls_target tls_targets[OBSERVE_TLS_MAX_TARGETS];
	int nr_tls_targets;
	char *new_paths[MAX_NEW_PATHS];	/* directories created by this run */
	int nr_new_paths;
	struct {
		char *tmp, *final;	/* pinned at tmp, renamed to final at the end */
	} staged[MAX_STAGED];
	int nr_staged;
	char *log;
};

static struct shared_map *find_map(struct load_state *s, const char *name)
{
	for (int i = 0; i < s->nr_maps; i++)
		if (!strcmp(s->maps[i].name, name))
			return &s->maps[i];
	return NULL;
}

static bool path_of(char *buf, size_t len, const char *dir, const char *name)
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

static bool same_layout(int fd, const struct bpf_map *map)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return false;
	return info.type == bpf_map__type(map) && info.key_size == bpf_map__key_size(map) &&
	       info.value_size == bpf_map__value_size(map) &&
	       info.max_entries == bpf_map__max_entries(map) &&
	       info.map_flags == bpf_map__map_flags(map);
}

/* Gives the object the pinned (or already loaded) instance of each shared map. */
static int reuse_shared_maps(struct load_state *s, struct bpf_object *obj)
{
	struct bpf_map *map;
	char path[4096];

	bpf_object__for_each_map(map, obj) {
		char name[64];
		struct shared_map *sm;
		int fd;

		snprintf(name, sizeof(name), "%s", bpf_map__name(map));

		if (strncmp(name, PIN_PREFIX, strlen(PIN_PREFIX)))
			continue;
		sm = find_map(s, name);
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
		if (!same_layout(fd, map)) {
			report_warn("%s has a new layout in this version: replacing it (its values "
				    "start again from zero)", path);
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
		struct shared_map *sm = find_map(s, bpf_map__name(map));

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

static int load_collector(struct load_state *s, const struct collector *c)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .kernel_log_buf = s->log,
		    .kernel_log_size = VERIFIER_LOG_SIZE, .kernel_log_level = 0);
	struct bpf_program *prog;
	struct bpf_object *obj = NULL;
	int usable = 0, err;
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
	c->configure(skel, s->cfg);
	if (set_rodata(obj, "observe_generation", &s->generation, sizeof(s->generation)) ||
	    set_rodata(obj, "observe_slot_bits", &s->rings[0].slot_bits, sizeof(__u64)) ||
	    (c->id == OBSERVE_COLLECTOR_TLS &&
	     set_rodata(obj, s->rings[1].slot_bits_var, &s->rings[1].slot_bits, sizeof(__u64)))) {
		report_error("collector %s: its object lacks observe_generation or its slot mask",
			     c->name);
		return -1;
	}

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

/*
 * A perf_event program samples on every online CPU: one cpu-clock event
 * and one link per CPU (pinned as <collector>-<program>-cpu<N>). The link
 * holds its event, so the event lives as long as the pin. A CPU brought
 * online later is not sampled until observe-load runs again.
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
		struct attached *a;
		int pfd = open_cpu_clock(cpus[i], s->cfg->profile_hz);

		if (pfd < 0) {
			report_error("cannot open a cpu-clock perf event on CPU %d at %u Hz: %s",
				     cpus[i], s->cfg->profile_hz, strerror(errno));
			return -1;
		}
		if (s->nr_links == MAX_LINKS) {
			close(pfd);
			return report_error("too many programs"), -1;
		}
		link = bpf_program__attach_perf_event(prog, pfd);
		if (!link) {
			report_error("cannot attach %s-%s to the perf event of CPU %d: %s", c->name,
				     bpf_program__name(prog), cpus[i], strerror(errno));
			close(pfd);
			return -1;
		}
		a = &s->links[s->nr_links++];
		a->link = link;
		snprintf(a->pin_name, sizeof(a->pin_name), "%s-%s-cpu%d", c->name,
			 bpf_program__name(prog), cpus[i]);
	}
	return 0;
}

static bool is_uprobe(const struct bpf_program *prog)
{
	const char *sec = bpf_program__section_name(prog);

	return !strcmp(sec, "uprobe") || !strcmp(sec, "uretprobe");
}

/* One function of one TLS target: its entry and return probes, by symbol
 * (offset 0) or at the offset a signature gave. A refused probe is the
 * target's status, not a failure. */
static int attach_tls_function(struct load_state *s, struct bpf_object *obj, int t, unsigned fn,
			       uint64_t offset)
{
	struct observe_tls_target *target = &s->tls_targets[t];
	const struct tls_function *f = &tls_functions[fn];
	const char *progs[2] = { f->entry_prog, f->return_prog };
	const char *symbol = offset ? NULL : tls_function_name(fn);
	struct bpf_link *links[2] = {};

	if (s->nr_links + 2 > MAX_LINKS)
		return report_error("too many programs"), -1;
	for (int i = 0; i < 2; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = symbol, .retprobe = i == 1);
		struct bpf_program *prog = bpf_object__find_program_by_name(obj, progs[i]);

		errno = ENOENT;
		if (prog && bpf_program__autoload(prog))
			links[i] = bpf_program__attach_uprobe_opts(prog, -1, target->path, offset,
								   &opts);
		if (!links[i]) {
			target->status[fn] = errno == ENOENT ? OBSERVE_TLS_MISSING : OBSERVE_TLS_FAILED;
			target->err[fn] = errno;
			bpf_link__destroy(links[0]);
			return 0;
		}
	}
	for (int i = 0; i < 2; i++) {
		struct attached *a = &s->links[s->nr_links++];

		a->link = links[i];
		snprintf(a->pin_name, sizeof(a->pin_name), "tls-t%d-%s", t, progs[i]);
	}
	target->status[fn] = OBSERVE_TLS_ATTACHED;
	return 0;
}

/*
 * Probes every TLS target: a system library for the functions of its kind
 * by symbol, a --tls-binary for both kinds by symbol, or by signature when it
 * has no symbol at all (tls_locate). A --tls-binary where nothing trustworthy
 * is found is probed nowhere and says so; the others load.
 */
static int attach_tls(struct load_state *s, struct bpf_object *obj)
{
	int n = tls_find_targets(s->cfg, s->tls_targets), probed = 0;

	if (n < 0)
		return -1;
	s->nr_tls_targets = n;
	for (int t = 0; t < n; t++) {
		struct observe_tls_target *target = &s->tls_targets[t];
		bool any = false, openssl = false;
		struct tls_location loc;

		tls_locate(target, &loc);
		for (unsigned fn = 0; fn < OBSERVE_TLS_FUNC_COUNT; fn++) {
			if (!loc.wanted[fn])
				continue;
			if (attach_tls_function(s, obj, t, fn, loc.offset[fn]))
				return -1;
			if (target->status[fn] == OBSERVE_TLS_ATTACHED) {
				any = true;
				openssl |= tls_functions[fn].library == OBSERVE_TLS_OPENSSL;
			}
		}
		if (target->from_user && target->found_by == OBSERVE_TLS_BY_SYMBOL && any && !openssl)
			target->library = OBSERVE_TLS_GNUTLS;
		probed += any;
	}
	if (!probed)
		report_warn("tls: no OpenSSL, GnuTLS or BoringSSL code was found to probe (give "
			    "programs with --tls-binary)");
	return 0;
}

static int attach_collector(struct load_state *s, const struct collector *c, struct bpf_object *obj)
{
	struct bpf_program *prog;

	if (c->id == OBSERVE_COLLECTOR_TLS && attach_tls(s, obj))
		return -1;
	bpf_object__for_each_program(prog, obj) {
		struct attached *a;
		struct bpf_link *link;

		if (!bpf_program__autoload(prog) || is_uprobe(prog))
			continue;
		if (bpf_program__type(prog) == BPF_PROG_TYPE_PERF_EVENT) {
			if (attach_per_cpu(s, c, prog))
				return -1;
			continue;
		}
		if (s->nr_links == MAX_LINKS)
			return report_error("too many programs"), -1;
		link = bpf_program__attach(prog);
		if (!link) {
			report_error("cannot attach %s-%s to %s: %s", c->name, bpf_program__name(prog),
				     bpf_program__section_name(prog), strerror(errno));
			return -1;
		}
		a = &s->links[s->nr_links++];
		a->link = link;
		snprintf(a->pin_name, sizeof(a->pin_name), "%s-%s", c->name, bpf_program__name(prog));
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

static int make_dir(struct load_state *s, const char *path, gid_t gid)
{
	bool created;

	if (pin_make_dir(path, gid, &created))
		return -1;
	return created ? track_new_path(s, path) : 0;
}

/* Pins fd under a temporary name beside path; renamed over path at the end. */
static int stage_pin(struct load_state *s, int fd, const char *path, gid_t gid, mode_t mode)
{
	const char *slash = strrchr(path, '/');
	char tmp[4200];

	if (s->nr_staged == MAX_STAGED)
		return report_error("too many pins"), -1;
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

/* The TLS directory first: the TLS maps are pinned in it. */
static int pin_maps(struct load_state *s)
{
	char path[4096];

	if (find_map(s, "observe_tls_readers")) {
		if (!path_of(path, sizeof(path), s->cfg->pin_dir, OBSERVE_TLS_SUBDIR) ||
		    make_dir(s, path, s->tls_gid))
			return -1;
	}
	for (int i = 0; i < s->nr_maps; i++) {
		struct shared_map *sm = &s->maps[i];
		struct pin_place place = pin_place(sm->name);
		gid_t gid = place.tls_group ? s->tls_gid : s->gid;

		if (!map_path(s, path, sizeof(path), sm->name))
			return report_error("pin path too long"), -1;
		if (!sm->pinned) {
			if (stage_pin(s, sm->fd, path, gid, place.mode))
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
		if (make_dir(s, dir, r->gid))
			return -1;
		if (r->ring_new[i] ? stage_pin(s, r->ring_fd[i], path, r->gid, 0660) :
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
	struct shared_map *slots = find_map(s, r->family->outer), pinned = { .fd = -1 };
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
	if (make_dir(s, dir, s->gid))
		return -1;
	for (int i = 0; i < s->nr_links; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, s->links[i].pin_name);
		if (stage_pin(s, bpf_link__fd(s->links[i].link), path, s->gid, 0600))
			return -1;
	}
	return 0;
}

/* After the renames: links of programs this version no longer has, or of
 * collectors left out, are detached. */
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
		if (de->d_name[0] == '.' || link_is_current(s, de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) == 0 && s->cfg->verbose)
			fprintf(stderr, "observe-load: detached %s\n", de->d_name);
	}
	closedir(d);
}

static int write_info(struct load_state *s, const struct kernel_features *f)
{
	struct shared_map *sm = find_map(s, "observe_info");
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
	if (bpf_map_update_elem(sm->fd, &zero, &info, BPF_ANY))
		return report_error("cannot write observe_info: %s", strerror(errno)), -1;
	return 0;
}

/* A filter set created by this load (first load of its collector, or a new
 * layout) is empty: a mode kept in observe_filter from before would then
 * block every network event. */
static void reset_modes_of_new_sets(struct load_state *s)
{
	struct shared_map *filter = find_map(s, "observe_filter");
	struct shared_map *ports = find_map(s, "observe_filter_ports");
	struct shared_map *cidrs = find_map(s, "observe_filter_cidrs");
	struct observe_filter f;
	bool changed = false;
	__u32 zero = 0;

	if (!filter || (!filter->pinned && !filter->copied) || bpf_map_lookup_elem(filter->fd, &zero, &f))
		return;		/* a new observe_filter starts with everything off */
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
}

/* observe_readers may be new (first load, new layout) while observe_filter
 * is kept: its copy of the pid set's state must say what the filter says
 * before the fork and exit hooks run. */
static int publish_pid_set(struct load_state *s)
{
	struct shared_map *filter = find_map(s, "observe_filter");
	struct shared_map *readers = find_map(s, "observe_readers");
	struct observe_filter f = {};
	__u32 zero = 0;

	if (!filter || !readers)
		return 0;	/* not among the maps of this load */
	bpf_map_lookup_elem(filter->fd, &zero, &f);
	return filters_publish(readers->fd, &f);
}

/* The profiler's lock directory, and its frequency for the readers; whether
 * it samples stays as it was (a new observe_profile_ctl starts off). */
static int prepare_profiler(struct load_state *s)
{
	struct shared_map *ctl_map = find_map(s, "observe_profile_ctl");
	struct observe_profile_ctl ctl = {};
	char dir[4096];
	__u32 zero = 0;

	if (!ctl_map)
		return 0;	/* the profile collector is not loaded */
	if (!path_of(dir, sizeof(dir), s->cfg->pin_dir, OBSERVE_PROFILE_LOCK_DIR))
		return report_error("pin path too long"), -1;
	if (make_dir(s, dir, s->gid))
		return -1;
	bpf_map_lookup_elem(ctl_map->fd, &zero, &ctl);
	ctl.hz = s->cfg->profile_hz;
	if (bpf_map_update_elem(ctl_map->fd, &zero, &ctl, BPF_ANY))
		return report_error("cannot write observe_profile_ctl: %s", strerror(errno)), -1;
	return 0;
}

/* What the TLS readers and observe-stats need to know: the TLS slots and
 * what each target's probes became. */
static int write_tls_info(struct load_state *s)
{
	struct shared_map *info_map = find_map(s, "observe_tls_info");
	struct shared_map *targets = find_map(s, "observe_tls_targets");
	struct observe_tls_info info = {
		.nr_slots = s->rings[1].nr_slots,
		.capture_max = s->cfg->tls_max,
		.ring_size = s->rings[1].ring_size,
		.nr_targets = s->nr_tls_targets,
	};
	__u32 zero = 0;

	if (!info_map || !targets) {
		/* Not loaded (this time): readers must not claim retired slots. */
		char path[4096];
		int fd;

		if (!path_of(path, sizeof(path), s->cfg->pin_dir, "observe_tls_info"))
			return 0;
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			memset(&info, 0, sizeof(info));
			bpf_map_update_elem(fd, &zero, &info, BPF_ANY);
			close(fd);
		}
		return 0;
	}
	for (__u32 i = 0; i < OBSERVE_TLS_MAX_TARGETS; i++) {
		struct observe_tls_target none = {};

		if (bpf_map_update_elem(targets->fd, &i, i < (__u32)s->nr_tls_targets ?
					&s->tls_targets[i] : &none, BPF_ANY))
			return report_error("cannot write observe_tls_targets: %s", strerror(errno)), -1;
	}
	if (bpf_map_update_elem(info_map->fd, &zero, &info, BPF_ANY))
		return report_error("cannot write observe_tls_info: %s", strerror(errno)), -1;
	return 0;
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
	struct shared_map *readers = find_map(s, name ? name + 1 : r->family->readers);
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

	if (!find_map(s, "observe_slots") || make_dir(s, s->cfg->pin_dir, s->gid) || pin_maps(s))
		err = -1;
	for (int i = 0; !err && i < 2; i++)
		err = stage_rings(s, &s->rings[i]);
	if (err || prepare_profiler(s) || publish_pid_set(s) || stage_links(s)) {
		unstage(s);
		for (int i = s->nr_new_paths - 1; i >= 0; i--)
			rmdir(s->new_paths[i]);	/* only directories this run made */
		return -1;
	}
	for (int i = 0; i < 2; i++)
		switch_family(s, &s->rings[i]);
	rename_staged(s);
	reset_modes_of_new_sets(s);
	for (int i = 0; i < 2; i++)
		switch_rings(s, &s->rings[i]);
	remove_stale_links(s);
	remove_leftover_staging(s->cfg->pin_dir);
	err = write_info(s, f);
	return write_tls_info(s) || err;
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
	for (int r = 0; r < 2; r++)
		for (unsigned i = 0; i < OBSERVE_MAX_SLOTS; i++) {
			if (s->rings[r].ring_fd[i] >= 0)
				close(s->rings[r].ring_fd[i]);
			if (s->rings[r].slot_lock[i] >= 0)
				close(s->rings[r].slot_lock[i]);
		}
	for (int i = 0; i < s->nr_new_paths; i++)
		free(s->new_paths[i]);
	for (int i = 0; i < s->nr_staged; i++) {
		free(s->staged[i].tmp);
		free(s->staged[i].final);
	}
	free(s->log);
}

/* The slots a family's programs may write: its count, and the ones above
 * it that a reader still holds (they stay until it leaves). */
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

	for (int r = 0; r < 2; r++) {
		const char *name = strrchr(s->rings[r].family->readers, '/');

		if (!map_path(s, paths[r], sizeof(paths[r]), name ? name + 1 : s->rings[r].family->readers))
			return report_error("pin path too long"), -1;
	}
	s->generation = next_generation(p, 2);
	return 0;
}

int load_and_pin(const struct load_config *cfg, const struct kernel_features *f, gid_t gid,
		 gid_t tls_gid)
{
	struct load_state s = { .cfg = cfg, .gid = gid, .tls_gid = tls_gid };
	bool ok = false;
	int programs;

	s.rings[0] = (struct ring_family){ .family = &slot_events, .nr_slots = cfg->nr_slots,
					   .ring_size = cfg->ring_size, .gid = gid,
					   .slot_bits_var = "observe_slot_bits" };
	s.rings[1] = (struct ring_family){ .family = &slot_tls, .nr_slots = cfg->nr_tls_slots,
					   .ring_size = cfg->tls_ring_size, .gid = tls_gid,
					   .slot_bits_var = "observe_tls_slot_bits" };
	for (int r = 0; r < 2; r++) {
		for (unsigned i = 0; i < OBSERVE_MAX_SLOTS; i++)
			s.rings[r].ring_fd[i] = s.rings[r].slot_lock[i] = -1;
		s.rings[r].slot_bits = slot_bits(&s, &s.rings[r]);
	}
	if (choose_generation(&s))
		return 1;
	s.log = calloc(1, VERIFIER_LOG_SIZE);
	if (!s.log)
		return report_error("out of memory"), 1;

	for (unsigned i = 0; i < nr_collectors; i++)
		if ((cfg->collectors & (1ULL << collectors[i].id)) && load_collector(&s, &collectors[i]))
			goto out;
	if (!s.nr_loaded) {
		report_error("no collector selected");
		goto out;
	}
	/* TLS slots only while the TLS collector is loaded: a reload without it
	 * retires them (the counters stay). */
	if (!find_map(&s, "observe_tls_slots"))
		s.rings[1].nr_slots = 0;
	for (int r = 0; r < 2; r++)
		if (prepare_rings(&s, &s.rings[r]))
			goto out;
	for (int i = 0; i < s.nr_loaded; i++)
		if (attach_collector(&s, s.loaded[i].c, s.loaded[i].obj))
			goto out;
	if (commit(&s, f))
		goto out;
	ok = true;
	programs = s.nr_links;
	printf("observe-load: loaded %d programs (", programs);
	for (int i = 0; i < s.nr_loaded; i++)
		printf("%s%s", i ? ", " : "", s.loaded[i].c->name);
	printf("), %u ring slots of %llu KiB, pinned in %s for group %s\n", cfg->nr_slots,
	       (unsigned long long)cfg->ring_size >> 10, cfg->pin_dir, cfg->group);
	for (int t = 0; t < s.nr_tls_targets; t++)
		tls_print_target(&s.tls_targets[t], false);
	if (s.rings[1].nr_slots)
		printf("observe-load: tls: %u TLS ring slots of %llu KiB for group %s, %u bytes "
		       "captured per call\n", s.rings[1].nr_slots,
		       (unsigned long long)s.rings[1].ring_size >> 10, cfg->tls_group, cfg->tls_max);
out:
	free_state(&s, ok);
	return ok ? 0 : 1;
}
