// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * BoringSSL's entry points in a binary that has lost their symbols (the
 * claude CLI: bun, with BoringSSL linked in and SSL_* stripped), found from
 * what BoringSSL's own code does, never from a table of addresses per release.
 *
 * Every OPENSSL_PUT_ERROR(SSL, reason) of ssl/ssl_lib.cc is a call
 * ERR_put_error(ERR_LIB_SSL, 0, reason, __FILE__, __LINE__): the code puts the
 * address of the string ".../ssl/ssl_lib.cc" in the fourth argument (rcx: an
 * imm32 in a binary that is not PIE, a RIP-relative lea in one that is), the
 * reason in the third and the line in the fifth. A function of ssl_lib.cc is
 * told by its reasons in the order of their lines, which hold across releases
 * when the line numbers do not (SSL_write: SHOULD_NOT_HAVE_BEEN_CALLED,
 * UNINITIALIZED, SSL_HANDSHAKE_FAILURE, BAD_LENGTH). Its bounds come from
 * .eh_frame where that covers it, else from the int3 bytes LLD puts between
 * functions; its entry must be where direct calls land, and each error site
 * an instruction of the function's disassembly (Capstone). Anything short of
 * that finds nothing, and nothing is probed.
 */
#include "loader.h"

#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILE_STRING "ssl/ssl_lib.cc"
#define ERR_LIB_SSL 16
#define MAX_STRINGS 4
#define MAX_SITES 256
#define MAX_REGIONS 128
#define MAX_ENTRIES 16		/* functions within one region */
#define MAX_CALLS 64		/* direct calls made by one region */
#define MAX_REGION (64u << 10)	/* no function of ssl_lib.cc is near this long */
#define MAX_ERRORS 8		/* error reports of one function that are compared */

/* Reason codes (include/openssl/err.h, ssl.h): stable, they are the ABI of ERR. */
enum {
	R_SHOULD_NOT_HAVE_BEEN_CALLED = 66,
	R_MALLOC_FAILURE = 65,
	R_BAD_LENGTH = 111,
	R_CONNECTION_TYPE_NOT_SET = 134,
	R_PROTOCOL_IS_SHUTDOWN = 194,
	R_SSL3_EXT_INVALID_SERVERNAME = 213,
	R_SSL_HANDSHAKE_FAILURE = 215,
	R_UNINITIALIZED = 226,
};

/* The reasons each function reports, in line order, as ssl_lib.cc has had
 * them since 2019 (its OPENSSL_PUT_ERROR calls, read release by release). */
struct shape {
	unsigned n;
	uint32_t reason[MAX_ERRORS];
	bool suffix;	/* the last reports: helpers inlined above may add theirs first */
};

#define SHAPE(...) { .n = sizeof((uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t), \
		     .reason = { __VA_ARGS__ } }
#define SUFFIX(...) { .n = sizeof((uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t), \
		      .reason = { __VA_ARGS__ }, .suffix = true }

static const struct shape write_shapes[] = {
	SHAPE(R_SHOULD_NOT_HAVE_BEEN_CALLED, R_UNINITIALIZED, R_SSL_HANDSHAKE_FAILURE,
	      R_BAD_LENGTH),					/* 2023 on */
	SHAPE(R_SHOULD_NOT_HAVE_BEEN_CALLED, R_UNINITIALIZED, R_SSL_HANDSHAKE_FAILURE),
	SHAPE(R_SHOULD_NOT_HAVE_BEEN_CALLED, R_UNINITIALIZED, R_PROTOCOL_IS_SHUTDOWN,
	      R_SSL_HANDSHAKE_FAILURE),				/* 2019-2021 */
};
/* ssl_read_impl, maybe with ssl_do_post_handshake inlined */
static const struct shape read_impl_shape = SUFFIX(R_UNINITIALIZED, R_SSL_HANDSHAKE_FAILURE);
/* SSL_peek: its QUIC check, then a call of ssl_read_impl, or ssl_read_impl
 * inlined. SSL_read calls SSL_peek, or has it inlined (bun). */
static const struct shape peek_shape = SHAPE(R_SHOULD_NOT_HAVE_BEEN_CALLED);
static const struct shape peek_inlined_shape =
	SUFFIX(R_UNINITIALIZED, R_SSL_HANDSHAKE_FAILURE, R_SHOULD_NOT_HAVE_BEEN_CALLED);
static const struct shape handshake_shape = SHAPE(R_CONNECTION_TYPE_NOT_SET);
static const struct shape host_name_shapes[] = {
	SHAPE(R_SSL3_EXT_INVALID_SERVERNAME),
	SHAPE(R_SSL3_EXT_INVALID_SERVERNAME, R_MALLOC_FAILURE),	/* to 2022 */
};

struct error_site {
	uint64_t addr;
	uint32_t reason, line;
};

/* A stretch of code between two function boundaries the file shows: an FDE's
 * range, or the int3 padding around it. It may hold several functions, each
 * starting where a direct call lands. */
struct region {
	uint64_t start, end;
	uint64_t entries[MAX_ENTRIES];	/* called directly: sorted, unique */
	unsigned nr_entries;
	bool entries_full;
	struct {
		uint64_t from, to;
	} calls[MAX_CALLS];		/* the region's own direct calls */
	unsigned nr_calls;
	bool decoded;			/* every byte disassembled, the sites on instructions */
};

/* One function of ssl_lib.cc that can be trusted: its entry is called, its
 * reports are its own. */
struct function {
	uint64_t entry, end;
	struct region *region;
	unsigned nr_errors;
	struct error_site errors[MAX_ERRORS];	/* by line */
	bool too_many;
};

struct search {
	struct elf_image img;
	csh cs;
	cs_insn *insn;
	uint64_t strings[MAX_STRINGS];
	unsigned nr_strings;
	struct error_site sites[MAX_SITES];
	unsigned nr_sites;
	struct region regions[MAX_REGIONS];
	unsigned nr_regions;
	struct function functions[MAX_SITES];
	unsigned nr_functions;
};

/* The addresses of the strings ".../ssl/ssl_lib.cc" in read-only data. */
static void find_strings(struct search *s)
{
	static const char needle[] = "/" FILE_STRING;	/* with its NUL */

	for (unsigned i = 0; i < s->img.nr_ph; i++) {
		const Elf64_Phdr *p = &s->img.ph[i];
		const uint8_t *seg = s->img.map + p->p_offset, *at = seg, *hit;

		if (p->p_type != PT_LOAD || (p->p_flags & (PF_X | PF_W)) ||
		    p->p_offset + p->p_filesz > s->img.size)
			continue;
		while ((hit = memmem(at, seg + p->p_filesz - at, needle, sizeof(needle))) &&
		       s->nr_strings < MAX_STRINGS) {
			const uint8_t *start = hit;

			while (start > seg && start[-1] && hit - start < 512)
				start--;
			s->strings[s->nr_strings++] = p->p_vaddr + (start - seg);
			at = hit + sizeof(needle);
		}
	}
}

static bool is_file_string(const struct search *s, uint64_t addr)
{
	for (unsigned i = 0; i < s->nr_strings; i++)
		if (s->strings[i] == addr)
			return true;
	return false;
}

/* The System V argument registers, by 32- and 64-bit name. */
static const x86_reg arg_regs[][2] = {
	{ X86_REG_EDI, X86_REG_RDI }, { X86_REG_ESI, X86_REG_RSI }, { X86_REG_EDX, X86_REG_RDX },
	{ X86_REG_ECX, X86_REG_RCX }, { X86_REG_R8D, X86_REG_R8 }, { X86_REG_R9D, X86_REG_R9 },
};
#define NR_ARGS 6

static int arg_of(x86_reg reg)
{
	for (int i = 0; i < NR_ARGS; i++)
		if (reg == arg_regs[i][0] || reg == arg_regs[i][1])
			return i;
	return -1;
}

/* The error report whose file argument (argument 'file_arg') is loaded at
 * 'addr': the library, reason and line, in the arguments before and after
 * it, set before the call (or the jump to a call that several reports
 * share). ERR_put_error(library, unused, reason, file, line) has the file
 * fourth; where link-time optimization dropped the unused argument (older
 * bun builds), third. */
static bool read_site(struct search *s, uint64_t addr, int file_arg, struct error_site *site)
{
	uint64_t pc = addr, value[NR_ARGS] = {};
	bool set[NR_ARGS] = {};
	const uint8_t *code = elf_image_bytes(&s->img, addr, 64, true, NULL);
	size_t size = 64;

	if (!code)
		return false;
	for (int i = 0; i < 12 && cs_disasm_iter(s->cs, &code, &size, &pc, s->insn); i++) {
		const cs_x86 *x = &s->insn->detail->x86;
		int arg;

		if (s->insn->id == X86_INS_CALL || s->insn->id == X86_INS_JMP) {
			site->addr = addr;
			site->reason = value[file_arg - 1];
			site->line = value[file_arg + 1];
			return set[0] && value[0] == ERR_LIB_SSL && set[file_arg - 1] &&
			       set[file_arg + 1];
		}
		if (s->insn->id != X86_INS_MOV || x->op_count != 2 ||
		    x->operands[0].type != X86_OP_REG || (arg = arg_of(x->operands[0].reg)) < 0)
			continue;
		/* an immediate, or something else that the register now holds */
		set[arg] = x->operands[1].type == X86_OP_IMM;
		value[arg] = set[arg] ? (uint64_t)x->operands[1].imm : 0;
	}
	return false;
}

/* Every instruction that loads a file string into the third or fourth
 * argument: "mov edx/ecx, imm32" (ba/b9) where the string lies below 4 GiB,
 * "lea rdx/rcx, [rip + disp32]" (48 8d 15/0d) in a PIE. */
static void find_sites(struct search *s)
{
	for (unsigned i = 0; i < s->img.nr_ph && s->nr_sites < MAX_SITES; i++) {
		const Elf64_Phdr *p = &s->img.ph[i];
		const uint8_t *seg = s->img.map + p->p_offset;

		if (p->p_type != PT_LOAD || !(p->p_flags & PF_X) ||
		    p->p_offset + p->p_filesz > s->img.size || p->p_filesz < 8)
			continue;
		for (uint64_t o = 0; o + 7 <= p->p_filesz && s->nr_sites < MAX_SITES; o++) {
			uint64_t addr = p->p_vaddr + o, target;
			int file_arg;
			uint32_t imm;
			int32_t disp;

			if (seg[o] == 0xb9 || seg[o] == 0xba) {
				memcpy(&imm, seg + o + 1, 4);
				target = imm;
				file_arg = seg[o] == 0xb9 ? 3 : 2;
			} else if (seg[o] == 0x48 && seg[o + 1] == 0x8d &&
				   (seg[o + 2] == 0x0d || seg[o + 2] == 0x15)) {
				memcpy(&disp, seg + o + 3, 4);
				target = addr + 7 + (int64_t)disp;
				file_arg = seg[o + 2] == 0x0d ? 3 : 2;
			} else {
				continue;
			}
			if (is_file_string(s, target) &&
			    read_site(s, addr, file_arg, &s->sites[s->nr_sites]))
				s->nr_sites++;
		}
	}
}

/* The bounds around 'addr': its FDE's range, else the int3 padding before
 * and after (LLD fills the gaps between functions with int3). */
static bool bounds_of(struct search *s, uint64_t addr, uint64_t *start, uint64_t *end)
{
	const uint8_t *b;

	if (eh_frame_function(&s->img, addr, start, end))
		return *end - *start <= MAX_REGION;
	for (*start = addr & ~15ull; addr - *start < MAX_REGION; *start -= 16) {
		b = elf_image_bytes(&s->img, *start - 1, 1, true, NULL);
		if (!b)
			return false;
		if (*b == 0xcc)
			break;
	}
	for (*end = (addr | 15) + 1; *end - addr < MAX_REGION; *end += 16) {
		b = elf_image_bytes(&s->img, *end - 1, 1, true, NULL);
		if (!b)
			return false;
		if (*b == 0xcc)
			break;
	}
	/* the end is the start of the next function: back over its padding */
	while (*end > addr + 1 && (b = elf_image_bytes(&s->img, *end - 1, 1, true, NULL)) && *b == 0xcc)
		(*end)--;
	return addr - *start < MAX_REGION && *end - addr < MAX_REGION;
}

static struct region *region_of(struct search *s, uint64_t addr)
{
	for (unsigned i = 0; i < s->nr_regions; i++)
		if (addr >= s->regions[i].start && addr < s->regions[i].end)
			return &s->regions[i];
	return NULL;
}

static void find_regions(struct search *s)
{
	for (unsigned i = 0; i < s->nr_sites && s->nr_regions < MAX_REGIONS; i++) {
		struct region *r = &s->regions[s->nr_regions];

		if (region_of(s, s->sites[i].addr))
			continue;
		memset(r, 0, sizeof(*r));
		if (bounds_of(s, s->sites[i].addr, &r->start, &r->end))
			s->nr_regions++;
	}
}

static void add_entry(struct region *r, uint64_t addr)
{
	unsigned i = 0;

	while (i < r->nr_entries && r->entries[i] < addr)
		i++;
	if (i < r->nr_entries && r->entries[i] == addr)
		return;
	if (r->nr_entries == MAX_ENTRIES) {
		r->entries_full = true;
		return;
	}
	memmove(&r->entries[i + 1], &r->entries[i], (r->nr_entries - i) * sizeof(r->entries[0]));
	r->entries[i] = addr;
	r->nr_entries++;
}

/* Where direct calls (e8 rel32) land in the regions, from all the code: a
 * byte scan, so a candidate is kept only if the region's disassembly has an
 * instruction there (decode_region). */
static void find_call_targets(struct search *s)
{
	for (unsigned i = 0; i < s->img.nr_ph; i++) {
		const Elf64_Phdr *p = &s->img.ph[i];
		const uint8_t *seg = s->img.map + p->p_offset, *at = seg, *end;

		if (p->p_type != PT_LOAD || !(p->p_flags & PF_X) ||
		    p->p_offset + p->p_filesz > s->img.size || p->p_filesz < 5)
			continue;
		end = seg + p->p_filesz - 4;
		while ((at = memchr(at, 0xe8, end - at))) {
			int32_t rel;
			uint64_t target;
			struct region *r;

			memcpy(&rel, at + 1, 4);
			target = p->p_vaddr + (at - seg) + 5 + (int64_t)rel;
			r = region_of(s, target);
			if (r)
				add_entry(r, target);
			at++;
		}
	}
}

static bool has_site_at(const struct search *s, uint64_t addr)
{
	for (unsigned i = 0; i < s->nr_sites; i++)
		if (s->sites[i].addr == addr)
			return true;
	return false;
}

/* Whether code may end before the next instruction: a function that
 * follows it without padding starts after one of these. */
static bool ends_flow(unsigned id)
{
	return id == X86_INS_RET || id == X86_INS_JMP || id == X86_INS_INT3 || id == X86_INS_UD2 ||
	       id == X86_INS_HLT || id == X86_INS_NOP || id == X86_INS_CALL;	/* noreturn */
}

/* Disassembles a region whole: keeps the call targets that are instructions
 * where a function may start (the region's start, or an address aligned as
 * functions are after code that does not fall through: a byte scan's false
 * hit inside a function is not kept), the region's own direct calls, and
 * checks that each error site is an instruction too. */
static void decode_region(struct search *s, struct region *r)
{
	uint64_t pc = r->start, kept[MAX_ENTRIES];
	const uint8_t *code = elf_image_bytes(&s->img, r->start, r->end - r->start, true, NULL);
	size_t size = r->end - r->start;
	unsigned nr_kept = 0, sites_seen = 0, sites_in = 0, e = 0, prev = X86_INS_INVALID;

	if (!code)
		return;
	for (unsigned i = 0; i < s->nr_sites; i++)
		sites_in += s->sites[i].addr >= r->start && s->sites[i].addr < r->end;
	while (size) {
		uint64_t at = pc;

		if (!cs_disasm_iter(s->cs, &code, &size, &pc, s->insn))
			return;		/* bytes that are no instruction: not code we know */
		while (e < r->nr_entries && r->entries[e] < at)
			e++;		/* a call landing inside an instruction: a false hit */
		if (e < r->nr_entries && r->entries[e] == at &&
		    (at == r->start || (!(at & 15) && ends_flow(prev))))
			kept[nr_kept++] = at;
		prev = s->insn->id;
		sites_seen += has_site_at(s, at);
		if (s->insn->id == X86_INS_CALL && s->insn->detail->x86.op_count == 1 &&
		    s->insn->detail->x86.operands[0].type == X86_OP_IMM && r->nr_calls < MAX_CALLS) {
			r->calls[r->nr_calls].from = at;
			r->calls[r->nr_calls++].to = s->insn->detail->x86.operands[0].imm;
		}
	}
	memcpy(r->entries, kept, nr_kept * sizeof(kept[0]));
	r->nr_entries = nr_kept;
	r->decoded = sites_seen == sites_in;
}

/* The functions of a region whose entry is called: from each entry to the
 * next one or the region's end, with their error reports in line order. */
static void find_functions(struct search *s, struct region *r)
{
	for (unsigned i = 0; i < r->nr_entries && s->nr_functions < MAX_SITES; i++) {
		struct function *f = &s->functions[s->nr_functions];

		memset(f, 0, sizeof(*f));
		f->entry = r->entries[i];
		f->end = i + 1 < r->nr_entries ? r->entries[i + 1] : r->end;
		f->region = r;
		for (unsigned j = 0; j < s->nr_sites; j++) {
			const struct error_site *site = &s->sites[j];
			unsigned k;

			if (site->addr < f->entry || site->addr >= f->end)
				continue;
			if (f->nr_errors == MAX_ERRORS) {
				f->too_many = true;
				continue;
			}
			for (k = f->nr_errors; k > 0 && f->errors[k - 1].line > site->line; k--)
				f->errors[k] = f->errors[k - 1];
			f->errors[k] = *site;
			f->nr_errors++;
		}
		if (f->nr_errors)
			s->nr_functions++;
	}
}

static bool has_shape(const struct function *f, const struct shape *shape)
{
	unsigned skip = f->nr_errors - shape->n;

	if (f->too_many || f->nr_errors < shape->n || (skip && !shape->suffix))
		return false;
	for (unsigned i = 0; i < shape->n; i++)
		if (f->errors[skip + i].reason != shape->reason[i])
			return false;
	return true;
}

static uint32_t first_line(const struct function *f)
{
	return f->errors[0].line;
}

static uint32_t last_line(const struct function *f)
{
	return f->errors[f->nr_errors - 1].line;
}

static bool calls(const struct function *f, uint64_t target)
{
	const struct region *r = f->region;

	for (unsigned i = 0; i < r->nr_calls; i++)
		if (r->calls[i].from >= f->entry && r->calls[i].from < f->end &&
		    r->calls[i].to == target)
			return true;
	return false;
}

/* The one function that has one of the shapes and passes the test; NULL if
 * none or more than one (then nothing can be trusted). */
static const struct function *the_one(const struct search *s, const struct shape *shapes,
				      unsigned nr_shapes,
				      bool (*test)(const struct search *, const struct function *,
						   const void *),
				      const void *arg, unsigned *matches)
{
	const struct function *found = NULL;

	*matches = 0;
	for (unsigned i = 0; i < s->nr_functions; i++) {
		const struct function *f = &s->functions[i];
		bool shaped = false;

		for (unsigned k = 0; k < nr_shapes && !shaped; k++)
			shaped = has_shape(f, &shapes[k]);
		if (!shaped || (test && !test(s, f, arg)))
			continue;
		(*matches)++;
		found = f;
	}
	return *matches == 1 ? found : NULL;
}

/* SSL_peek comes before SSL_write in the file; it calls ssl_read_impl,
 * which comes before it, or has it inlined (its reports come first). */
static bool is_peek(const struct search *s, const struct function *f, const void *write)
{
	uint32_t line = last_line(f);

	if (line >= first_line(write))
		return false;
	if (f->nr_errors > 1)
		return true;
	for (unsigned i = 0; i < s->nr_functions; i++) {
		const struct function *impl = &s->functions[i];

		if (has_shape(impl, &read_impl_shape) && last_line(impl) < line &&
		    calls(f, impl->entry))
			return true;
	}
	return false;
}

static bool called_by(const struct search *s, const struct function *f, const void *caller)
{
	return calls(caller, f->entry);
}

static int set_found(struct search *s, const struct function *f, unsigned which,
		     struct boringssl_entries *out)
{
	uint64_t offset;

	if (!f || !elf_image_bytes(&s->img, f->entry, 1, true, &offset))
		return -1;
	out->addr[which] = f->entry;
	out->offset[which] = offset;
	return 0;
}

/* The entries from the functions found; a reason when SSL_write or SSL_read
 * cannot be told. */
static void match(struct search *s, struct boringssl_entries *out)
{
	const struct function *write, *peek, *f;
	unsigned n, n_peek;

	write = the_one(s, write_shapes, sizeof(write_shapes) / sizeof(write_shapes[0]), NULL,
			NULL, &n);
	if (!write) {
		snprintf(out->why, sizeof(out->why), "%s functions of ssl_lib.cc have SSL_write's "
			 "error reports (%u error sites, %u functions)", n ? "several" : "no",
			 s->nr_sites, s->nr_functions);
		return;
	}
	peek = the_one(s, &peek_shape, 1, is_peek, write, &n_peek);
	if (!n_peek)
		peek = the_one(s, &peek_inlined_shape, 1, is_peek, write, &n_peek);
	if (!peek) {
		snprintf(out->why, sizeof(out->why), "%s functions of ssl_lib.cc have SSL_read's "
			 "error reports", n_peek ? "several" : "no");
		return;
	}
	if (set_found(s, write, BORINGSSL_SSL_WRITE, out) ||
	    set_found(s, peek, BORINGSSL_SSL_READ, out)) {
		snprintf(out->why, sizeof(out->why), "SSL_write or SSL_read is not in the file");
		memset(out->addr, 0, sizeof(out->addr));
		return;
	}
	f = the_one(s, &handshake_shape, 1, called_by, write, &n);
	set_found(s, f, BORINGSSL_SSL_DO_HANDSHAKE, out);
	f = the_one(s, host_name_shapes, sizeof(host_name_shapes) / sizeof(host_name_shapes[0]),
		    NULL, NULL, &n);
	set_found(s, f, BORINGSSL_SET_HOST_NAME, out);
}

int tls_boringssl_find(const char *path, struct boringssl_entries *out)
{
	struct search *s = calloc(1, sizeof(*s));
	int found = 0, err;

	memset(out, 0, sizeof(*out));
	if (!s) {
		snprintf(out->why, sizeof(out->why), "out of memory");
		return -1;
	}
	err = elf_image_open(&s->img, path, EM_X86_64, out->why, sizeof(out->why));
	if (err) {
		if (err == -2)	/* ELF of another kind: no signatures for it */
			snprintf(out->why, sizeof(out->why), "BoringSSL is looked for in x86-64 "
				 "code only");
		free(s);
		return err == -2 ? 0 : -1;
	}
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &s->cs) != CS_ERR_OK) {
		snprintf(out->why, sizeof(out->why), "Capstone cannot disassemble x86-64");
		elf_image_close(&s->img);
		free(s);
		return -1;
	}
	cs_option(s->cs, CS_OPT_DETAIL, CS_OPT_ON);
	s->insn = cs_malloc(s->cs);
	if (!s->insn) {
		snprintf(out->why, sizeof(out->why), "out of memory");
		found = -1;
		goto out;
	}
	find_strings(s);
	if (!s->nr_strings) {
		snprintf(out->why, sizeof(out->why), "no BoringSSL in it (no string ending in %s)",
			 FILE_STRING);
		goto out;
	}
	find_sites(s);
	find_regions(s);
	find_call_targets(s);
	for (unsigned i = 0; i < s->nr_regions; i++) {
		decode_region(s, &s->regions[i]);
		if (s->regions[i].decoded && !s->regions[i].entries_full)
			find_functions(s, &s->regions[i]);
	}
	match(s, out);
	found = out->addr[BORINGSSL_SSL_WRITE] && out->addr[BORINGSSL_SSL_READ];
out:
	out->nr_sites = s->nr_sites;
	out->nr_functions = s->nr_functions;
	if (s->insn)
		cs_free(s->insn, 1);
	cs_close(&s->cs);
	elf_image_close(&s->img);
	free(s);
	return found;
}
