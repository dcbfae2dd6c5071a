// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "capbuf.h"

#include <stdlib.h>
#include <string.h>

void capbuf_init(struct capbuf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void capbuf_free(struct capbuf *b)
{
	free(b->data);
	capbuf_init(b, b->max);
}

void capbuf_reset(struct capbuf *b)
{
	b->len = 0;
	b->cut = 0;
	b->failed = false;
}

/* Room for 'need' bytes, grown by doubling and never past max. */
static bool reserve(struct capbuf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 256;
	char *data;

	if (need <= b->cap)
		return true;
	while (cap < need)
		cap *= 2;
	if (cap > b->max)
		cap = b->max;
	data = realloc(b->data, cap);
	if (!data) {
		b->failed = true;
		return false;
	}
	b->data = data;
	b->cap = cap;
	return true;
}

void capbuf_append(struct capbuf *b, const void *data, size_t len)
{
	size_t keep = b->len < b->max ? b->max - b->len : 0;

	if (keep > len)
		keep = len;
	if (b->cut || b->failed || !reserve(b, b->len + keep))
		keep = 0;	/* once cut, always cut: the kept part stays a prefix */
	if (keep) {
		memcpy(b->data + b->len, data, keep);
		b->len += keep;
	}
	b->cut += len - keep;
}
