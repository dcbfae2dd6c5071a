// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What the TLS collector probes: the OpenSSL and GnuTLS libraries that the
 * dynamic loader's cache knows (libssl.so.N, libgnutls.so.N), and the
 * binaries given with --tls-binary (programs with a TLS library linked in
 * statically, Go programs; paths or patterns, expanded at each load so that a
 * reload finds an agent's new version), each probed by symbol, or by
 * signature when it has none (tls_boringssl.c). A file reached by several
 * names is probed once: the probes sit on the file, for every process that
 * maps it.
 */
#include "loader.h"
#include "decoders.h"
#include "report.h"
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Their symbols and libraries: tls_function_name(), tls_function_library(). */
const struct tls_function tls_functions[OBSERVE_TLS_FUNC_COUNT] = {
	[OBSERVE_TLS_SSL_WRITE] = { "ssl_write_entry", "ssl_write_return" },
	[OBSERVE_TLS_SSL_READ] = { "ssl_read_entry", "ssl_read_return" },
	[OBSERVE_TLS_SSL_WRITE_EX] = { "ssl_write_ex_entry", "ssl_write_ex_return" },
	[OBSERVE_TLS_SSL_READ_EX] = { "ssl_read_ex_entry", "ssl_read_ex_return" },
	[OBSERVE_TLS_SSL_DO_HANDSHAKE] = { "ssl_handshake_entry", "ssl_handshake_return" },
	[OBSERVE_TLS_GNUTLS_RECORD_SEND] = { "gnutls_send_entry", "gnutls_send_return" },
	[OBSERVE_TLS_GNUTLS_RECORD_RECV] = { "gnutls_recv_entry", "gnutls_recv_return" },
	[OBSERVE_TLS_GNUTLS_HANDSHAKE] = { "gnutls_handshake_entry", "gnutls_handshake_return" },
	[OBSERVE_TLS_GO_WRITE] = { "go_write_entry", "go_write_return", true },
	[OBSERVE_TLS_GO_READ] = { "go_read_entry", "go_read_return", true },
	/* Entry only: the server name a client sets, and the end of a connection. */
	[OBSERVE_TLS_SSL_CTRL] = { "ssl_ctrl_entry", NULL },
	[OBSERVE_TLS_SSL_SET_HOST_NAME] = { "ssl_set_host_name_entry", NULL },
	[OBSERVE_TLS_SSL_FREE] = { "ssl_free_entry", NULL },
	[OBSERVE_TLS_GNUTLS_SERVER_NAME_SET] = { "gnutls_server_name_set_entry", NULL },
	[OBSERVE_TLS_GNUTLS_DEINIT] = { "gnutls_deinit_entry", NULL },
};

/* The sonames of the cache that are TLS libraries. */
static const struct {
	const char *pattern;
	unsigned library;
} sonames[] = {
	{ "libssl.so.[0-9]*", OBSERVE_TLS_OPENSSL },	/* not NSS's libssl3.so */
	{ "libgnutls.so.[0-9]*", OBSERVE_TLS_GNUTLS },
};

static const char *const ldconfig_paths[] = { "/sbin/ldconfig", "/usr/sbin/ldconfig" };

/* The ELF class and machine of a file, or -1: a library of another
 * architecture in the cache (multiarch, x32) cannot be probed for our
 * processes, whose size_t the programs read. */
static int elf_machine(const char *path)
{
	Elf64_Ehdr eh;
	int fd = open_regular_file(path);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, &eh, sizeof(eh));
	close(fd);
	if (n < (ssize_t)sizeof(eh.e_ident) + 4 || memcmp(eh.e_ident, ELFMAG, SELFMAG))
		return -1;
	return eh.e_ident[EI_CLASS] << 16 | eh.e_machine;
}

/* Adds path as a target unless its file is one already; -1 when full, -2
 * when its real path is longer than a target holds. */
static int add_target(struct observe_tls_target *t, int *n, const char *path, unsigned library,
		      bool from_user)
{
	char real[PATH_MAX];
	struct stat st;

	if (!realpath(path, real) || stat(real, &st))
		return 0;
	for (int i = 0; i < *n; i++)
		if (t[i].dev == st.st_dev && t[i].ino == st.st_ino)
			return 0;
	if (*n == OBSERVE_TLS_MAX_TARGETS)
		return -1;
	if (strlen(real) >= sizeof(t[*n].path))
		return -2;
	memset(&t[*n], 0, sizeof(t[*n]));
	memcpy(t[*n].path, real, strlen(real) + 1);
	t[*n].dev = st.st_dev;
	t[*n].ino = st.st_ino;
	t[*n].library = library;
	t[*n].from_user = from_user;
	(*n)++;
	return 0;
}

/* The libraries in the dynamic loader's cache ('ldconfig -p'). */
static void find_system_libraries(struct observe_tls_target *t, int *n)
{
	int self = elf_machine("/proc/self/exe");
	char line[1024], cmd[64];
	FILE *p = NULL;

	for (size_t i = 0; i < sizeof(ldconfig_paths) / sizeof(ldconfig_paths[0]); i++) {
		if (access(ldconfig_paths[i], X_OK))
			continue;
		snprintf(cmd, sizeof(cmd), "%s -p 2>/dev/null", ldconfig_paths[i]);
		p = popen(cmd, "r");
		break;
	}
	if (!p) {
		report_warn("tls: no ldconfig to list the system's libraries: only --tls-binary "
			    "targets are probed");
		return;
	}
	/* "\tlibssl.so.3 (libc6,x86-64) => /lib/x86_64-linux-gnu/libssl.so.3" */
	while (fgets(line, sizeof(line), p)) {
		char soname[256], path[PATH_MAX];

		if (sscanf(line, " %255s (%*[^)]) => %4095s", soname, path) != 2)
			continue;
		for (size_t i = 0; i < sizeof(sonames) / sizeof(sonames[0]); i++) {
			if (fnmatch(sonames[i].pattern, soname, 0) || elf_machine(path) != self)
				continue;
			if (add_target(t, n, path, sonames[i].library, false))
				report_warn("tls: %s is not probed: %s", path, *n == OBSERVE_TLS_MAX_TARGETS ?
					    "too many libraries" : "its path is too long");
		}
	}
	pclose(p);
}

/* A target that is only a note: a pattern that matches no file, a file that
 * cannot be probed. Shown with the others, so that group members see it. */
static void add_note(struct observe_tls_target *t, int *n, const char *path,
		     unsigned found_by, const char *note)
{
	if (*n == OBSERVE_TLS_MAX_TARGETS)
		return;
	memset(&t[*n], 0, sizeof(t[*n]));
	snprintf(t[*n].path, sizeof(t[*n].path), "%s", path);
	snprintf(t[*n].note, sizeof(t[*n].note), "%s", note);
	t[*n].found_by = found_by;
	t[*n].from_user = true;
	(*n)++;
}

/* Why a file cannot be probed, or NULL. */
static const char *unprobeable(const char *path)
{
	int machine = elf_machine(path), fd;

	if (machine < 0) {
		fd = open_regular_file(path);
		if (fd < 0)
			return open_regular_error(errno);
		close(fd);
		return "not an ELF file";
	}
	if (machine != elf_machine("/proc/self/exe"))
		return "built for another architecture";
	return NULL;
}

/* A --tls-binary pattern: each file it matches now is a target; a file that
 * cannot be probed, or no file at all (the agent not installed yet), is a
 * note, not a failure: the next load looks again. */
static int add_pattern(struct observe_tls_target *t, int *n, const char *pattern)
{
	glob_t g;
	int err = glob(pattern, GLOB_NOSORT, NULL, &g);

	if (err == GLOB_NOMATCH) {
		add_note(t, n, pattern, OBSERVE_TLS_NO_FILE, "no file matches the pattern now");
		return 0;
	}
	if (err) {
		report_error("--tls-binary %s: the pattern cannot be expanded", pattern);
		return -1;
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *path = g.gl_pathv[i], *why = unprobeable(path);

		if (why)
			add_note(t, n, path, OBSERVE_TLS_NOT_PROBED, why);
		else if (add_target(t, n, path, OBSERVE_TLS_OPENSSL, true))
			add_note(t, n, path, OBSERVE_TLS_NOT_PROBED, *n == OBSERVE_TLS_MAX_TARGETS ?
				 "too many targets" : "its real path is too long");
	}
	globfree(&g);
	return 0;
}

bool tls_is_pattern(const char *path)
{
	return strpbrk(path, "*?[") != NULL;
}

int tls_find_targets(const struct load_config *cfg, struct observe_tls_target *t)
{
	int n = 0;

	for (unsigned i = 0; i < cfg->nr_tls_binaries; i++) {
		const char *path = cfg->tls_binaries[i], *why;

		if (tls_is_pattern(path)) {
			if (add_pattern(t, &n, path))
				return -1;
			continue;
		}
		why = unprobeable(path);
		if (why) {
			report_error("--tls-binary %s: %s", path, why);
			return -1;
		}
		/* Either library may be linked in: both are looked for. */
		if (add_target(t, &n, path, OBSERVE_TLS_OPENSSL, true)) {
			report_error("--tls-binary %s: its real path is longer than %d bytes", path,
				     OBSERVE_TLS_PATH_MAX - 1);
			return -1;
		}
	}
	find_system_libraries(t, &n);
	return n;
}

/* The file offset of a symbol's address: where the section holding it
 * lies in the file. */
static bool symbol_file_offset(Elf *elf, const GElf_Sym *sym, uint64_t *offset)
{
	Elf_Scn *scn = elf_getscn(elf, sym->st_shndx);
	GElf_Shdr sh;

	if (!scn || !gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS ||
	    sym->st_value < sh.sh_addr || sym->st_value - sh.sh_addr >= sh.sh_size)
		return false;
	*offset = sym->st_value - sh.sh_addr + sh.sh_offset;
	return true;
}

/* Where the function 'name' is in the file, from .symtab or .dynsym:
 * 1 found, 0 not, -1 the file cannot be read as ELF. */
int tls_find_symbol(const char *path, const char *name, struct tls_symbol *found)
{
	Elf_Scn *scn = NULL;
	int ret = 0, fd;
	Elf *elf;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -1;
	fd = open_regular_file(path);
	if (fd < 0)
		return -1;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf)
		ret = -1;
	while (elf && !ret && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && sh.sh_entsize && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *sname;

			if (!gelf_getsym(data, i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE)
				continue;
			sname = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!sname || strcmp(sname, name) || !symbol_file_offset(elf, &sym, &found->offset))
				continue;
			found->size = sym.st_size;
			ret = 1;
			break;
		}
	}
	elf_end(elf);
	close(fd);
	return ret;
}

/* The functions of BoringSSL found by signature, as the TLS collector's. */
static const struct {
	unsigned boringssl, fn;
} boringssl_probed[] = {
	{ BORINGSSL_SSL_WRITE, OBSERVE_TLS_SSL_WRITE },
	{ BORINGSSL_SSL_READ, OBSERVE_TLS_SSL_READ },
	{ BORINGSSL_SSL_DO_HANDSHAKE, OBSERVE_TLS_SSL_DO_HANDSHAKE },
	{ BORINGSSL_SET_HOST_NAME, OBSERVE_TLS_SSL_SET_HOST_NAME },
};

/* No symbol at all: BoringSSL told by its own code, or nothing. */
static int locate_by_signature(struct observe_tls_target *t, struct tls_location *loc)
{
	struct boringssl_entries found;
	int n = 0;

	memset(t->status, OBSERVE_TLS_NOT_TRIED, sizeof(t->status));
	if (tls_boringssl_find(t->path, &found) <= 0) {
		t->found_by = OBSERVE_TLS_NOTHING_FOUND;
		snprintf(t->note, sizeof(t->note), "no TLS symbols, and %s", found.why);
		return 0;
	}
	t->found_by = OBSERVE_TLS_BY_SIGNATURE;
	t->library = OBSERVE_TLS_BORINGSSL;
	for (size_t i = 0; i < sizeof(boringssl_probed) / sizeof(boringssl_probed[0]); i++) {
		unsigned fn = boringssl_probed[i].fn, b = boringssl_probed[i].boringssl;

		if (!found.addr[b]) {
			t->status[fn] = OBSERVE_TLS_MISSING;
			continue;
		}
		t->addr[fn] = found.addr[b];
		loc->at[fn].offset = found.offset[b];	/* its size unknown: not needed */
		loc->wanted[fn] = true;
		n++;
	}
	snprintf(t->note, sizeof(t->note), "BoringSSL told by ssl_lib.cc's error reports "
		 "(%u in the code, in %u functions with a called entry)", found.nr_sites,
		 found.nr_functions);
	return n;
}

int tls_locate(struct observe_tls_target *t, struct tls_location *loc)
{
	int n = 0;

	memset(loc, 0, sizeof(*loc));
	if (t->found_by == OBSERVE_TLS_NO_FILE || t->found_by == OBSERVE_TLS_NOT_PROBED)
		return 0;
	for (unsigned fn = 0; fn < OBSERVE_TLS_FUNC_COUNT; fn++) {
		if (!t->from_user && tls_function_library(fn) != t->library)
			continue;
		if (tls_find_symbol(t->path, tls_function_name(fn), &loc->at[fn]) <= 0) {
			t->status[fn] = OBSERVE_TLS_MISSING;
			continue;
		}
		loc->wanted[fn] = true;
		n++;
	}
	t->found_by = OBSERVE_TLS_BY_SYMBOL;
	if (n || !t->from_user)
		return n;
	return locate_by_signature(t, loc);
}

/* "5 of 5 functions probed", or what is missing and what failed; how they
 * were found, or why nothing was probed. 'planned': found, not attached
 * (observe-load --probe). */
void tls_print_target(const struct observe_tls_target *t, const struct tls_location *planned)
{
	int done = 0, tried = 0;

	if (t->found_by == OBSERVE_TLS_NO_FILE || t->found_by == OBSERVE_TLS_NOT_PROBED ||
	    t->found_by == OBSERVE_TLS_NOTHING_FOUND) {
		printf("observe-load: tls: %s: nothing probed: %s\n", t->path, t->note);
		return;
	}
	for (unsigned fn = 0; fn < OBSERVE_TLS_FUNC_COUNT; fn++) {
		tried += t->status[fn] != OBSERVE_TLS_NOT_TRIED || (planned && planned->wanted[fn]);
		done += planned ? planned->wanted[fn] : t->status[fn] == OBSERVE_TLS_ATTACHED;
	}
	printf("observe-load: tls: %s: %d of %d functions %s", t->path, done, tried,
	       planned ? "found" : "probed");
	for (unsigned fn = 0; fn < OBSERVE_TLS_FUNC_COUNT; fn++) {
		if (t->status[fn] == OBSERVE_TLS_MISSING)
			printf("; %s missing", tls_function_name(fn));
		else if (t->status[fn] == OBSERVE_TLS_FAILED)
			printf("; %s failed: %s", tls_function_name(fn), strerror(t->err[fn]));
		else if (t->addr[fn])
			printf("; %s at %#llx", tls_function_name(fn), (unsigned long long)t->addr[fn]);
	}
	if (t->found_by == OBSERVE_TLS_BY_SIGNATURE)
		printf(" (%s)", t->note);
	printf("\n");
}
