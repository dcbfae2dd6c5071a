// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "symbolize.h"

#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sym {
	uint64_t addr, size;
	char *name;
};

struct segment {		/* a PT_LOAD of an ELF file */
	uint64_t offset, vaddr, filesz;
};

struct elf_file {
	char *path;		/* as the process sees it */
	unsigned long long dev, ino;	/* from its maps line: the file's identity */
	struct sym *syms;
	size_t nr_syms;
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
	bool readable;
	struct mapping *maps;
	size_t nr_maps;
};

struct symbolizer {
	struct process *procs;
	size_t nr_procs, cap_procs;
	struct elf_file **files;
	size_t nr_files, cap_files;
	struct sym *ksyms;	/* sorted by address */
	size_t nr_ksyms;
	bool kernel_tried, kernel_ok;
};

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
	if (elf_version(EV_CURRENT) == EV_NONE)
		return NULL;
	return calloc(1, sizeof(struct symbolizer));
}

static void free_syms(struct sym *syms, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(syms[i].name);
	free(syms);
}

void symbolizer_free(struct symbolizer *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nr_procs; i++)
		free(s->procs[i].maps);
	free(s->procs);
	for (size_t i = 0; i < s->nr_files; i++) {
		free_syms(s->files[i]->syms, s->files[i]->nr_syms);
		free(s->files[i]->segs);
		free(s->files[i]->path);
		free(s->files[i]);
	}
	free(s->files);
	free_syms(s->ksyms, s->nr_ksyms);
	free(s);
}

static int by_addr(const void *a, const void *b)
{
	uint64_t x = ((const struct sym *)a)->addr, y = ((const struct sym *)b)->addr;

	return x < y ? -1 : x > y;
}

/* The symbol holding addr in a sorted table: the last one at or below it,
 * if its size (when it has one) reaches addr. */
static const struct sym *find_sym(const struct sym *syms, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	if (syms[lo - 1].size && addr >= syms[lo - 1].addr + syms[lo - 1].size)
		return NULL;
	return &syms[lo - 1];
}

/* The functions of one symbol table section. */
static int read_symtab(Elf *elf, Elf_Scn *scn, GElf_Shdr *sh, struct sym **syms, size_t *n)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t count = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0, cap = 0;

	if (!data)
		return -1;
	for (size_t i = 0; i < count; i++) {
		const char *name;
		GElf_Sym sym;
		struct sym *grown;

		if (!gelf_getsym(data, i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    !sym.st_value || sym.st_shndx == SHN_UNDEF)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		grown = grow(*syms, &cap, *n + 1, sizeof(**syms));
		if (!grown)
			return -1;
		*syms = grown;
		(*syms)[*n].addr = sym.st_value;
		(*syms)[*n].size = sym.st_size;
		(*syms)[*n].name = strdup(name);
		if (!(*syms)[*n].name)
			return -1;
		(*n)++;
	}
	return 0;
}

/* Reads the file's segments and symbols through 'open_path'. */
static void load_elf(struct elf_file *f, const char *open_path)
{
	Elf_Scn *scn = NULL, *symtab = NULL, *dynsym = NULL;
	GElf_Shdr sh, chosen;
	size_t nphdr, cap = 0;
	Elf *elf;
	int fd;

	fd = open(open_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		goto out;
	if (!elf_getphdrnum(elf, &nphdr)) {
		for (size_t i = 0; i < nphdr; i++) {
			GElf_Phdr ph;
			struct segment *grown;

			if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
				continue;
			grown = grow(f->segs, &cap, f->nr_segs + 1, sizeof(*f->segs));
			if (!grown)
				goto out;
			f->segs = grown;
			f->segs[f->nr_segs++] = (struct segment){ ph.p_offset, ph.p_vaddr, ph.p_filesz };
		}
	}
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB)
			symtab = scn;
		else if (sh.sh_type == SHT_DYNSYM)
			dynsym = scn;
	}
	/* .symtab holds every function; a stripped file keeps .dynsym, the
	 * exported ones only (others show as the file's name). */
	scn = symtab ? symtab : dynsym;
	if (scn && gelf_getshdr(scn, &chosen) &&
	    read_symtab(elf, scn, &chosen, &f->syms, &f->nr_syms) == 0)
		qsort(f->syms, f->nr_syms, sizeof(*f->syms), by_addr);
out:
	if (elf)
		elf_end(elf);
	close(fd);
}

/*
 * The file a process maps, known by its device and inode: a process in
 * another mount namespace (a container) may map another file under the same
 * path. It is read now, through /proc/PID/root, while the process lives.
 */
static struct elf_file *file_of(struct symbolizer *s, uint32_t pid, const char *path,
				unsigned long long dev, unsigned long long ino)
{
	struct elf_file **grown, *f;
	char in_root[4200];

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
	f->dev = dev;
	f->ino = ino;
	s->files[s->nr_files++] = f;
	snprintf(in_root, sizeof(in_root), "/proc/%u/root%s", pid, path);
	load_elf(f, in_root);
	if (!f->nr_segs) {	/* no access to its root (another user's): as we see it */
		free_syms(f->syms, f->nr_syms);
		f->syms = NULL;
		f->nr_syms = 0;
		load_elf(f, path);
	}
	return f;
}

static struct process *process_of(struct symbolizer *s, uint32_t pid, const char *comm)
{
	for (size_t i = 0; i < s->nr_procs; i++)
		if (s->procs[i].pid == pid && !strncmp(s->procs[i].comm, comm, sizeof(s->procs[i].comm)))
			return &s->procs[i];
	return NULL;
}

bool symbolizer_add_process(struct symbolizer *s, uint32_t pid, const char *comm)
{
	struct process *p = process_of(s, pid, comm), *grown;
	char path[64], line[4096];
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
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, offset, ino;
		unsigned major, minor;
		char perms[8], file[4096] = "";
		struct mapping *m;

		/* start-end perms offset dev inode path */
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %4095[^\n]", &start, &end, perms,
			   &offset, &major, &minor, &ino, file) < 7 || perms[2] != 'x')
			continue;
		m = grow(p->maps, &cap, p->nr_maps + 1, sizeof(*p->maps));
		if (!m)
			break;
		p->maps = m;
		m = &p->maps[p->nr_maps++];
		*m = (struct mapping){ start, end, offset, NULL };
		if (file[0] == '/' && !strstr(file, " (deleted)"))
			m->file = file_of(s, pid, file, (unsigned long long)major << 32 | minor, ino);
	}
	fclose(f);
	/* A process that is gone leaves an empty file behind. */
	p->readable = p->nr_maps > 0;
	return p->readable;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

void symbolizer_user(struct symbolizer *s, uint32_t pid, const char *comm, uint64_t addr,
		     char *buf, size_t len)
{
	struct process *p = process_of(s, pid, comm);

	for (size_t i = 0; p && i < p->nr_maps; i++) {
		const struct mapping *m = &p->maps[i];
		struct elf_file *f = m->file;
		uint64_t off;

		if (addr < m->start || addr >= m->end)
			continue;
		if (!f)
			break;
		off = addr - m->start + m->offset;
		for (size_t k = 0; k < f->nr_segs; k++) {
			const struct segment *seg = &f->segs[k];
			const struct sym *sym;

			if (off < seg->offset || off >= seg->offset + seg->filesz)
				continue;
			sym = find_sym(f->syms, f->nr_syms, off - seg->offset + seg->vaddr);
			if (sym) {
				snprintf(buf, len, "%s", sym->name);
				return;
			}
			break;
		}
		snprintf(buf, len, "[%s]", base_name(f->path));
		return;
	}
	snprintf(buf, len, "[unknown]");
}

static void load_kallsyms(struct symbolizer *s)
{
	char line[512], name[256], type;
	unsigned long long addr;
	size_t cap = 0;
	FILE *f;

	s->kernel_tried = true;
	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		struct sym *grown;

		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3)
			continue;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		if (!addr)
			break;	/* hidden from this user: every address reads 0 */
		grown = grow(s->ksyms, &cap, s->nr_ksyms + 1, sizeof(*s->ksyms));
		if (!grown)
			break;
		s->ksyms = grown;
		s->ksyms[s->nr_ksyms] = (struct sym){ addr, 0, strdup(name) };
		if (!s->ksyms[s->nr_ksyms].name)
			break;
		s->nr_ksyms++;
	}
	fclose(f);
	qsort(s->ksyms, s->nr_ksyms, sizeof(*s->ksyms), by_addr);
	s->kernel_ok = s->nr_ksyms > 0;
}

bool symbolizer_has_kernel(struct symbolizer *s)
{
	if (!s->kernel_tried)
		load_kallsyms(s);
	return s->kernel_ok;
}

void symbolizer_kernel(struct symbolizer *s, uint64_t addr, char *buf, size_t len)
{
	const struct sym *sym = symbolizer_has_kernel(s) ? find_sym(s->ksyms, s->nr_ksyms, addr) : NULL;

	snprintf(buf, len, "%s", sym ? sym->name : "[kernel]");
}
