// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "symbolize_dwarf.h"
#include "demangle.h"
#include "symtab.h"

#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct dwarf_file {
	Dwfl *dwfl;		/* one session per file: its addresses are its own */
	Dwfl_Module *mod;
	struct symtab functions;	/* names in libdwfl's ELF data */
	bool functions_read, units_read;
	struct unit_range *units;	/* sorted by address */
	size_t nr_units;
	Dwarf_Addr dwarf_bias;
};

struct unit_range {
	Dwarf_Addr low, high;	/* DWARF addresses */
	Dwarf_Die die;
};

/*
 * Debug files by build ID under /usr/lib/debug/.build-id, else by
 * .gnu_debuglink beside the file or under /usr/lib/debug; libdw asks a
 * debuginfod server too, but only when DEBUGINFOD_URLS is set.
 */
static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

struct dwarf_file *dwarf_file_open(const char *path, int fd)
{
	struct dwarf_file *d = calloc(1, sizeof(*d));

	if (!d || !(d->dwfl = dwfl_begin(&callbacks))) {
		free(d);
		close(fd);
		return NULL;
	}
	/* At bias 0: addresses are the file's own (p_vaddr) layout. */
	dwfl_report_begin(d->dwfl);
	d->mod = dwfl_report_elf(d->dwfl, path, path, fd, 0, true);
	if (!d->mod)
		close(fd);	/* libdwfl keeps the fd only of a module it made */
	if (dwfl_report_end(d->dwfl, NULL, NULL) || !d->mod) {
		dwarf_file_close(d);
		return NULL;
	}
	return d;
}

void dwarf_file_close(struct dwarf_file *d)
{
	if (!d)
		return;
	symtab_free(&d->functions);
	free(d->units);
	dwfl_end(d->dwfl);
	free(d);
}

Elf *dwarf_file_elf(struct dwarf_file *d)
{
	GElf_Addr bias;

	return d ? dwfl_module_getelf(d->mod, &bias) : NULL;
}

/* The DIE that holds a function's names: an inlined copy's abstract
 * origin, a definition's declaration. */
static Dwarf_Die *declaration(Dwarf_Die *die, Dwarf_Die *mem)
{
	Dwarf_Attribute attr;

	for (int hops = 0; hops < 8; hops++) {
		if (!dwarf_formref_die(dwarf_attr(die, DW_AT_abstract_origin, &attr), mem) &&
		    !dwarf_formref_die(dwarf_attr(die, DW_AT_specification, &attr), mem))
			break;
		die = mem;
	}
	return die;
}

/* "ns::Class::name" from the scopes around a declaration: a function of
 * internal linkage has no linkage name to demangle. */
static char *qualified(Dwarf_Die *decl, const char *name)
{
	Dwarf_Die *scopes = NULL;
	int n = dwarf_getscopes_die(decl, &scopes);
	char qualified[1024] = "";
	size_t len = 0;

	for (int i = n - 1; i >= 1 && len < sizeof(qualified); i--) {
		int tag = dwarf_tag(&scopes[i]);
		const char *scope = dwarf_diename(&scopes[i]);

		if (scope && (tag == DW_TAG_namespace || tag == DW_TAG_class_type ||
			      tag == DW_TAG_structure_type || tag == DW_TAG_union_type))
			len += snprintf(qualified + len, sizeof(qualified) - len, "%s::", scope);
	}
	free(scopes);
	if (len >= sizeof(qualified))
		len = 0;
	snprintf(qualified + len, sizeof(qualified) - len, "%s", name);
	return strdup(qualified);
}

/* A function's name from DWARF, demangled from the linkage name where the
 * compiler kept one, else qualified by hand. */
static char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	Dwarf_Die mem, *decl;
	const char *name;

	name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
	if (name)
		return demangle(name);
	name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
	if (!name)
		return strdup("[inlined]");
	decl = declaration(die, &mem);
	return qualified(decl, name);
}

/*
 * The file's functions, from the symbol table libdwfl chose (the debug
 * file's .symtab when the file has only .dynsym), sorted once. At one
 * address a global name wins over a weak one, and that over a local one.
 */
static void read_functions(struct dwarf_file *d)
{
	int n = dwfl_module_getsymtab(d->mod);

	d->functions_read = true;
	for (int i = 1; i < n; i++) {
		GElf_Addr addr;
		GElf_Sym sym;
		const char *name = dwfl_module_getsym_info(d->mod, i, &sym, &addr, NULL, NULL, NULL);
		int type = GELF_ST_TYPE(sym.st_info), bind = GELF_ST_BIND(sym.st_info);

		if (!name || !*name || !addr || sym.st_shndx == SHN_UNDEF ||
		    (type != STT_FUNC && type != STT_GNU_IFUNC))
			continue;
		if (symtab_add(&d->functions, addr, sym.st_size, name,
			       bind == STB_GLOBAL ? 2 : bind == STB_WEAK))
			break;
	}
	symtab_sort(&d->functions);
}

static const char *function_at(struct dwarf_file *d, uint64_t vaddr)
{
	const struct sym *sym;

	if (!d->functions_read)
		read_functions(d);
	sym = symtab_find(&d->functions, vaddr);
	return sym ? sym->name : NULL;
}

static int by_low(const void *a, const void *b)
{
	const struct unit_range *x = a, *y = b;

	return x->low < y->low ? -1 : x->low > y->low;
}

static void add_unit_ranges(struct dwarf_file *d, Dwarf_Die *cu, size_t *cap)
{
	Dwarf_Addr base, low, high;
	ptrdiff_t at = 0;

	while ((at = dwarf_ranges(cu, at, &base, &low, &high)) > 0) {
		if (d->nr_units == *cap) {
			size_t grown_cap = *cap ? *cap * 2 : 64;
			struct unit_range *grown = realloc(d->units, grown_cap * sizeof(*grown));

			if (!grown)
				return;
			d->units = grown;
			*cap = grown_cap;
		}
		d->units[d->nr_units++] = (struct unit_range){ low, high, *cu };
	}
}

/* elfutils 0.188 finds the unit of an address through .debug_aranges
 * alone, which clang 14 does not write by default: the units' own ranges
 * instead, read once. */
static void read_units(struct dwarf_file *d)
{
	Dwarf *dwarf = dwfl_module_getdwarf(d->mod, &d->dwarf_bias);
	Dwarf_CU *unit = NULL;
	uint8_t type;
	Dwarf_Die cu;
	size_t cap = 0;

	d->units_read = true;
	while (dwarf && !dwarf_get_units(dwarf, unit, &unit, NULL, &type, &cu, NULL))
		if (type == DW_UT_compile)
			add_unit_ranges(d, &cu, &cap);
	if (d->nr_units)
		qsort(d->units, d->nr_units, sizeof(*d->units), by_low);
}

static Dwarf_Die *unit_at(struct dwarf_file *d, uint64_t vaddr, Dwarf_Addr *bias)
{
	size_t lo = 0, hi;

	if (!d->units_read)
		read_units(d);
	*bias = d->dwarf_bias;
	hi = d->nr_units;
	while (lo < hi) {	/* the last unit range starting at or below */
		size_t mid = (lo + hi) / 2;

		if (d->units[mid].low <= vaddr - *bias)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || vaddr - *bias >= d->units[lo - 1].high)
		return NULL;
	return &d->units[lo - 1].die;
}

static char *base_copy(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return path ? strdup(slash ? slash + 1 : path) : NULL;
}

/* Where inlined 'die' was called from: a line of the function around it. */
static void call_site(Dwarf_Die *cu, Dwarf_Die *die, struct symbolizer_frame *caller)
{
	Dwarf_Attribute attr;
	Dwarf_Word file, line;
	Dwarf_Files *files;
	size_t nr_files;

	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &attr), &file) ||
	    dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr), &line) ||
	    dwarf_getsrcfiles(cu, &files, &nr_files) || file >= nr_files)
		return;
	caller->source = base_copy(dwarf_filesrc(files, file, NULL, NULL));
	caller->line = line;
}

/* The innermost frame's line: the line table's row for the address. */
static void own_line(Dwarf_Die *cu, Dwarf_Addr pc, struct symbolizer_frame *frame)
{
	Dwarf_Line *row = dwarf_getsrc_die(cu, pc);
	const char *file = row ? dwarf_linesrc(row, NULL, NULL) : NULL;
	int line = 0;

	if (file && !dwarf_lineno(row, &line) && line > 0) {
		frame->source = base_copy(file);
		frame->line = line;
	}
}

/* The inlined calls around pc, innermost first, up to the function that
 * holds them (at *function, NULL if DWARF has none). */
static int inlined_scopes(Dwarf_Die *scopes, int nr_scopes, Dwarf_Die **function)
{
	int inlined = 0;

	*function = NULL;
	for (int i = 0; i < nr_scopes; i++) {
		int tag = dwarf_tag(&scopes[i]);

		if (tag == DW_TAG_subprogram) {
			*function = &scopes[i];
			break;
		}
		if (tag == DW_TAG_inlined_subroutine)
			scopes[inlined++] = scopes[i];	/* lexical blocks dropped */
	}
	return inlined;
}

void symbolizer_frames_free(struct symbolizer_frame *frames, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)frames[i].name);
		free((char *)frames[i].source);
	}
	free(frames);
}

struct symbolizer_frame *dwarf_file_frames(struct dwarf_file *d, uint64_t vaddr, bool lines,
					   size_t *n)
{
	Dwarf_Die *cu, *scopes = NULL, *function;
	struct symbolizer_frame *frames;
	const char *symbol;
	int nr_scopes = 0, inlined;
	Dwarf_Addr bias;

	if (!d || vaddr == UINT64_MAX)
		return NULL;
	symbol = function_at(d, vaddr);
	cu = dwfl_module_addrdie(d->mod, vaddr, &bias);
	if (!cu)
		cu = unit_at(d, vaddr, &bias);
	if (cu)
		nr_scopes = dwarf_getscopes(cu, vaddr - bias, &scopes);
	inlined = inlined_scopes(scopes, nr_scopes > 0 ? nr_scopes : 0, &function);
	frames = symbol || function ? calloc(inlined + 1, sizeof(*frames)) : NULL;
	if (!frames) {
		free(scopes);
		return NULL;
	}
	*n = inlined + 1;
	/* frames[k] (k >= 1) is scopes[inlined - k]: outermost first. */
	frames[0].name = symbol ? demangle(symbol) : die_name(function);
	for (int k = 1; k <= inlined; k++) {
		frames[k].name = die_name(&scopes[inlined - k]);
		frames[k].inlined = true;
		if (lines)
			call_site(cu, &scopes[inlined - k], &frames[k - 1]);
	}
	if (lines && cu)
		own_line(cu, vaddr - bias, &frames[inlined]);
	free(scopes);
	for (size_t i = 0; i < *n; i++)
		if (!frames[i].name) {
			symbolizer_frames_free(frames, *n);
			return NULL;
		}
	return frames;
}
