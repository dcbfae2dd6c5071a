// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "symbolize.h"
#include "symbolize_dwarf.h"
#include "symtab.h"

#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

struct segment {		/* a PT_LOAD of an ELF file */
	uint64_t offset, vaddr, filesz;
};

struct elf_file {
	char *path;		/* as the process sees it */
	const char *image;	/* its base name */
	unsigned long long dev, ino;	/* from its maps line: the file's identity */
	struct dwarf_file *dwarf;	/* NULL: not an ELF file we could read */
	struct segment *segs;
	size_t nr_segs;
};

struct mapping {
	uint64_t start, end, offset;
	struct elf_file *file;	/* NULL: anonymous or not a file */
};

struct process {
	uint32_t pid;
	char comm[16];		/* exec changes it: one entry per image of a pid */
	bool readable, jit_tried;
	struct mapping *maps;
	size_t nr_maps;
	struct symtab jit;	/* /tmp/perf-PID.map */
};

/* What one address of one file (or of a process's JIT code) names. */
struct cached {
	const void *owner;	/* the elf_file or the process */
	uint64_t addr;
	struct symbolizer_frame *frames;
	size_t nr_frames;
};

struct symbolizer {
	struct process *procs;
	size_t nr_procs, cap_procs;
	struct elf_file **files;
	size_t nr_files, cap_files;
	struct cached *cache;	/* open addressing, a power of two long */
	size_t nr_cached, cap_cache;
	struct symtab ksyms;
	bool kernel_tried, kernel_ok, lines;
};

static const struct symbolizer_frame unknown = { .name = "[unknown]" };

static void *grow(void *array, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return array;
	while (n < need)
		n *= 2;
	p = realloc(array, n * size);
	if (p)
		*cap = n;
	return p;
}

struct symbolizer *symbolizer_new(void)
{
	struct rlimit files;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return NULL;
	/* libdwfl keeps each image it reads open, and a profile of the whole
	 * machine maps hundreds: the soft limit of 1,024 is not enough. */
	if (!getrlimit(RLIMIT_NOFILE, &files) && files.rlim_cur < files.rlim_max) {
		files.rlim_cur = files.rlim_max;
		setrlimit(RLIMIT_NOFILE, &files);
	}
	return calloc(1, sizeof(struct symbolizer));
}

void symbolizer_set_lines(struct symbolizer *s, bool lines)
{
	s->lines = lines;
}

void symbolizer_free(struct symbolizer *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nr_procs; i++) {
		free(s->procs[i].maps);
		symtab_free(&s->procs[i].jit);
	}
	free(s->procs);
	for (size_t i = 0; i < s->nr_files; i++) {
		dwarf_file_close(s->files[i]->dwarf);
		free(s->files[i]->segs);
		free(s->files[i]->path);
		free(s->files[i]);
	}
	free(s->files);
	for (size_t i = 0; i < s->cap_cache; i++)
		if (s->cache[i].owner)
			symbolizer_frames_free(s->cache[i].frames, s->cache[i].nr_frames);
	free(s->cache);
	symtab_free(&s->ksyms);
	free(s);
}

static size_t slot_of(const struct symbolizer *s, const void *owner, uint64_t addr)
{
	uint64_t h = (addr ^ (uintptr_t)owner * 0x9e3779b97f4a7c15ULL) * 0xff51afd7ed558ccdULL;
	size_t i = (h >> 32) & (s->cap_cache - 1);

	while (s->cache[i].owner && (s->cache[i].owner != owner || s->cache[i].addr != addr))
		i = (i + 1) & (s->cap_cache - 1);
	return i;
}

static const struct cached *cache_find(const struct symbolizer *s, const void *owner, uint64_t addr)
{
	const struct cached *c;

	if (!s->cap_cache)
		return NULL;
	c = &s->cache[slot_of(s, owner, addr)];
	return c->owner ? c : NULL;
}

/* Keeps 'frames' (taking them) under (owner, addr); NULL when out of memory. */
static const struct cached *cache_add(struct symbolizer *s, const void *owner, uint64_t addr,
				      struct symbolizer_frame *frames, size_t n)
{
	struct cached *c;

	if ((s->nr_cached + 1) * 2 > s->cap_cache) {	/* at most half full */
		size_t cap = s->cap_cache ? s->cap_cache * 2 : 1024;
		struct cached *old = s->cache;
		size_t old_cap = s->cap_cache;

		s->cache = calloc(cap, sizeof(*s->cache));
		if (!s->cache) {
			s->cache = old;
			symbolizer_frames_free(frames, n);
			return NULL;
		}
		s->cap_cache = cap;
		for (size_t i = 0; i < old_cap; i++)
			if (old[i].owner)
				s->cache[slot_of(s, old[i].owner, old[i].addr)] = old[i];
		free(old);
	}
	c = &s->cache[slot_of(s, owner, addr)];
	*c = (struct cached){ owner, addr, frames, n };
	s->nr_cached++;
	return c;
}

static void read_segments(struct elf_file *f)
{
	Elf *elf = dwarf_file_elf(f->dwarf);
	size_t nphdr, cap = 0;

	if (!elf || elf_getphdrnum(elf, &nphdr))
		return;
	for (size_t i = 0; i < nphdr; i++) {
		GElf_Phdr ph;
		struct segment *grown;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		grown = grow(f->segs, &cap, f->nr_segs + 1, sizeof(*f->segs));
		if (!grown)
			return;
		f->segs = grown;
		f->segs[f->nr_segs++] = (struct segment){ ph.p_offset, ph.p_vaddr, ph.p_filesz };
	}
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/*
 * The file a process maps, known by its device and inode: a process in
 * another mount namespace (a container) may map another file under the same
 * path. It is opened now, through /proc/PID/root, while the process lives.
 */
static struct elf_file *file_of(struct symbolizer *s, uint32_t pid, const char *path,
				unsigned long long dev, unsigned long long ino)
{
	struct elf_file **grown, *f;
	char in_root[4200];
	int fd;

	for (size_t i = 0; i < s->nr_files; i++)
		if (s->files[i]->dev == dev && s->files[i]->ino == ino &&
		    !strcmp(s->files[i]->path, path))
			return s->files[i];
	grown = grow(s->files, &s->cap_files, s->nr_files + 1, sizeof(*s->files));
	if (!grown)
		return NULL;
	s->files = grown;
	f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(path))) {
		free(f);
		return NULL;
	}
	f->image = base_name(f->path);
	f->dev = dev;
	f->ino = ino;
	s->files[s->nr_files++] = f;
	snprintf(in_root, sizeof(in_root), "/proc/%u/root%s", pid, path);
	fd = open(in_root, O_RDONLY | O_CLOEXEC);
	if (fd < 0)	/* no access to its root (another user's): as we see it */
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		f->dwarf = dwarf_file_open(path, fd);	/* takes fd */
	read_segments(f);
	return f;
}

static struct process *process_of(struct symbolizer *s, uint32_t pid, const char *comm)
{
	for (size_t i = 0; i < s->nr_procs; i++)
		if (s->procs[i].pid == pid && !strncmp(s->procs[i].comm, comm, sizeof(s->procs[i].comm)))
			return &s->procs[i];
	return NULL;
}

/* One executable line of /proc/PID/maps into p; false at its end or when
 * out of memory. */
static bool read_mapping(struct symbolizer *s, struct process *p, FILE *f, size_t *cap)
{
	unsigned long long start, end, offset, ino;
	char perms[8], file[4096] = "", line[4200];
	unsigned major, minor;
	struct mapping *m;

	if (!fgets(line, sizeof(line), f))
		return false;
	/* start-end perms offset dev inode path */
	if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %4095[^\n]", &start, &end, perms,
		   &offset, &major, &minor, &ino, file) < 7 || perms[2] != 'x')
		return true;
	m = grow(p->maps, cap, p->nr_maps + 1, sizeof(*p->maps));
	if (!m)
		return false;
	p->maps = m;
	m = &p->maps[p->nr_maps++];
	*m = (struct mapping){ start, end, offset, NULL };
	if (file[0] == '/' && !strstr(file, " (deleted)"))
		m->file = file_of(s, p->pid, file, (unsigned long long)major << 32 | minor, ino);
	return true;
}

bool symbolizer_add_process(struct symbolizer *s, uint32_t pid, const char *comm)
{
	struct process *p = process_of(s, pid, comm), *grown;
	char path[64];
	size_t cap = 0;
	FILE *f;

	if (p)
		return p->readable;
	grown = grow(s->procs, &s->cap_procs, s->nr_procs + 1, sizeof(*s->procs));
	if (!grown)
		return false;
	s->procs = grown;
	p = &s->procs[s->nr_procs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	memcpy(p->comm, comm, strnlen(comm, sizeof(p->comm)));	/* p is zeroed */
	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (read_mapping(s, p, f, &cap))
		;
	fclose(f);
	/* A process that is gone leaves an empty file behind. */
	p->readable = p->nr_maps > 0;
	return p->readable;
}

/* The pid the process knows itself by (its own pid namespace's, the last
 * of NSpid): a JIT names its map file with it. */
static uint32_t own_pid(uint32_t pid)
{
	char path[64], line[256];
	uint32_t own = pid;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	f = fopen(path, "re");
	if (!f)
		return pid;
	while (fgets(line, sizeof(line), f)) {
		char *field;

		if (strncmp(line, "NSpid:", 6))
			continue;
		field = strrchr(line, '\t');
		if (field)
			own = strtoul(field + 1, NULL, 10);
		break;
	}
	fclose(f);
	return own;
}

/*
 * The map file, if the process's own user wrote it: in a world-writable
 * /tmp another user could plant one (or a link to a file of root's that a
 * profiler run as root would print as frame names), as perf checks too.
 */
static FILE *open_perf_map(uint32_t pid)
{
	char path[128];
	struct stat proc, map;
	int fd;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u", pid);
	if (stat(path, &proc))
		return NULL;
	snprintf(path, sizeof(path), "/proc/%u/root/tmp/perf-%u.map", pid, own_pid(pid));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &map) || !S_ISREG(map.st_mode) || map.st_uid != proc.st_uid ||
	    !(f = fdopen(fd, "r"))) {
		close(fd);
		return NULL;
	}
	return f;
}

/*
 * A JIT compiler's map of the code it made, "START SIZE name" in hex per
 * line, read through the process's root (its /tmp, not ours): only who may
 * read the process's files reads it.
 */
static void load_perf_map(struct process *p)
{
	char line[4096];
	FILE *f;

	p->jit_tried = true;
	f = open_perf_map(p->pid);
	if (!f)
		return;
	p->jit.owns_names = true;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, size;
		int name_at = 0;

		line[strcspn(line, "\n")] = 0;
		if (sscanf(line, "%llx %llx %n", &start, &size, &name_at) < 2 || !name_at ||
		    !line[name_at])
			continue;
		if (symtab_add(&p->jit, start, size, line + name_at, 0))
			break;
	}
	fclose(f);
	symtab_sort(&p->jit);
}

/* An address in anonymous executable memory: JIT code, if the process's
 * perf map names it. */
static size_t jit_frame(struct symbolizer *s, struct process *p, uint64_t addr,
			const struct symbolizer_frame **frames)
{
	const struct cached *c = cache_find(s, p, addr);
	struct symbolizer_frame *frame;
	const struct sym *sym;

	if (!c) {
		if (!p->jit_tried)
			load_perf_map(p);
		sym = symtab_find(&p->jit, addr);
		frame = calloc(1, sizeof(*frame));
		if (!sym || !frame || !(frame->name = strdup(sym->name))) {
			free(frame);
			*frames = &unknown;
			return 1;
		}
		c = cache_add(s, p, addr, frame, 1);
	}
	if (!c) {
		*frames = &unknown;
		return 1;
	}
	*frames = c->frames;
	return c->nr_frames;
}

/* "[file]": the file has no symbol at that address. */
static struct symbolizer_frame *file_frame(const struct elf_file *f, size_t *n)
{
	struct symbolizer_frame *frame = calloc(1, sizeof(*frame));
	char *name = malloc(strlen(f->image) + 3);

	if (!frame || !name) {
		free(frame);
		free(name);
		return NULL;
	}
	sprintf(name, "[%s]", f->image);
	frame->name = name;
	*n = 1;
	return frame;
}

static size_t elf_frames(struct symbolizer *s, struct elf_file *f, uint64_t vaddr,
			 const struct symbolizer_frame **frames)
{
	const struct cached *c = cache_find(s, f, vaddr);

	if (!c) {
		size_t n = 0;
		struct symbolizer_frame *made = dwarf_file_frames(f->dwarf, vaddr, s->lines, &n);

		if (!made)
			made = file_frame(f, &n);
		for (size_t i = 0; made && i < n; i++)
			made[i].image = f->image;
		c = made ? cache_add(s, f, vaddr, made, n) : NULL;
	}
	if (!c) {
		*frames = &unknown;
		return 1;
	}
	*frames = c->frames;
	return c->nr_frames;
}

size_t symbolizer_user(struct symbolizer *s, uint32_t pid, const char *comm, uint64_t addr,
		       const struct symbolizer_frame **frames)
{
	struct process *p = process_of(s, pid, comm);

	for (size_t i = 0; p && i < p->nr_maps; i++) {
		const struct mapping *m = &p->maps[i];
		struct elf_file *f = m->file;
		uint64_t off;

		if (addr < m->start || addr >= m->end)
			continue;
		if (!f)
			return jit_frame(s, p, addr, frames);
		off = addr - m->start + m->offset;
		for (size_t k = 0; k < f->nr_segs; k++) {
			const struct segment *seg = &f->segs[k];

			if (off >= seg->offset && off < seg->offset + seg->filesz)
				return elf_frames(s, f, off - seg->offset + seg->vaddr, frames);
		}
		return elf_frames(s, f, UINT64_MAX, frames);	/* outside its segments */
	}
	*frames = &unknown;
	return 1;
}

static void load_kallsyms(struct symbolizer *s)
{
	char line[512], name[256], type;
	unsigned long long addr;
	FILE *f;

	s->kernel_tried = true;
	s->ksyms.owns_names = true;
	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3)
			continue;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		if (!addr)
			break;	/* hidden from this user: every address reads 0 */
		if (symtab_add(&s->ksyms, addr, 0, name, 0))
			break;
	}
	fclose(f);
	symtab_sort(&s->ksyms);
	s->kernel_ok = s->ksyms.n > 0;
}

bool symbolizer_has_kernel(struct symbolizer *s)
{
	if (!s->kernel_tried)
		load_kallsyms(s);
	return s->kernel_ok;
}

void symbolizer_kernel(struct symbolizer *s, uint64_t addr, char *buf, size_t len)
{
	const struct sym *sym = symbolizer_has_kernel(s) ? symtab_find(&s->ksyms, addr) : NULL;

	snprintf(buf, len, "%s", sym ? sym->name : "[kernel]");
}
