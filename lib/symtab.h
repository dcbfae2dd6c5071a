/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A table of functions by address, searched in O(log n): kallsyms, a JIT's
 * perf map and an ELF file's symbols (libdwfl's own lookup scans every
 * symbol for each address: 8.5 ms an address in node's 110,000).
 */
#ifndef OBSERVE_SYMTAB_H
#define OBSERVE_SYMTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sym {
	uint64_t addr, size;	/* size 0: up to the next symbol */
	const char *name;
	int rank;		/* of symbols at one address, the highest is named */
};

struct symtab {
	struct sym *syms;
	size_t n, cap;
	bool owns_names;	/* names are malloc()ed copies, freed with it */
};

/* Adds a symbol (name copied when the table owns its names); -1 when out
 * of memory. */
int symtab_add(struct symtab *t, uint64_t addr, uint64_t size, const char *name, int rank);
/* Sorts the table once it is filled. */
void symtab_sort(struct symtab *t);
/* The symbol holding addr: the last at or below it, if its size (when it
 * has one) reaches addr; NULL if none. */
const struct sym *symtab_find(const struct symtab *t, uint64_t addr);
void symtab_free(struct symtab *t);

#endif /* OBSERVE_SYMTAB_H */
