// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "symtab.h"

#include <stdlib.h>
#include <string.h>

int symtab_add(struct symtab *t, uint64_t addr, uint64_t size, const char *name, int rank)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct sym *grown = realloc(t->syms, cap * sizeof(*grown));

		if (!grown)
			return -1;
		t->syms = grown;
		t->cap = cap;
	}
	if (t->owns_names && !(name = strdup(name)))
		return -1;
	t->syms[t->n++] = (struct sym){ addr, size, name, rank };
	return 0;
}

/* By address, and at one address the highest rank last: the one found. */
static int by_addr(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (x->rank > y->rank) - (x->rank < y->rank);
}

void symtab_sort(struct symtab *t)
{
	if (t->n)		/* qsort wants a valid pointer even for none */
		qsort(t->syms, t->n, sizeof(*t->syms), by_addr);
}

const struct sym *symtab_find(const struct symtab *t, uint64_t addr)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (t->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	if (t->syms[lo - 1].size && addr >= t->syms[lo - 1].addr + t->syms[lo - 1].size)
		return NULL;
	return &t->syms[lo - 1];
}

void symtab_free(struct symtab *t)
{
	if (t->owns_names)
		for (size_t i = 0; i < t->n; i++)
			free((char *)t->syms[i].name);
	free(t->syms);
	memset(t, 0, sizeof(*t));
}
