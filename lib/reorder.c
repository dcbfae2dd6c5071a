// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "reorder.h"
#include "observe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void reorder_init(struct reorder *r, uint64_t window_ns, size_t max_bytes)
{
	memset(r, 0, sizeof(*r));
	r->window_ns = window_ns;
	r->max_bytes = max_bytes;
}

void reorder_free(struct reorder *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->heap[i]);
	free(r->heap);
	memset(r, 0, sizeof(*r));
}

static bool before(const struct reorder_item *a, const struct reorder_item *b)
{
	if (a->ts_ns != b->ts_ns)
		return a->ts_ns < b->ts_ns;
	return a->cpu != b->cpu ? a->cpu < b->cpu : a->seq < b->seq;
}

static void swap(struct reorder *r, size_t i, size_t j)
{
	struct reorder_item *t = r->heap[i];

	r->heap[i] = r->heap[j];
	r->heap[j] = t;
}

static void sift_up(struct reorder *r, size_t i)
{
	while (i && before(r->heap[i], r->heap[(i - 1) / 2])) {
		swap(r, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void sift_down(struct reorder *r, size_t i)
{
	for (;;) {
		size_t least = i, l = 2 * i + 1, rt = l + 1;

		if (l < r->n && before(r->heap[l], r->heap[least]))
			least = l;
		if (rt < r->n && before(r->heap[rt], r->heap[least]))
			least = rt;
		if (least == i)
			return;
		swap(r, i, least);
		i = least;
	}
}

int reorder_push(struct reorder *r, unsigned source, const void *rec, size_t len)
{
	struct observe_event_header h;
	struct reorder_item *item;

	if (len < sizeof(h))
		return -EINVAL;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 256;
		struct reorder_item **heap = realloc(r->heap, cap * sizeof(*heap));

		if (!heap)
			return -ENOMEM;
		r->heap = heap;
		r->cap = cap;
	}
	item = malloc(sizeof(*item) + len);
	if (!item)
		return -ENOMEM;
	memcpy(&h, rec, sizeof(h));
	item->ts_ns = h.ts_ns;
	item->seq = h.seq;
	item->cpu = h.cpu;
	item->source = source;
	item->len = len;
	memcpy(item->data, rec, len);
	r->heap[r->n++] = item;
	r->bytes += len;
	sift_up(r, r->n - 1);
	return 0;
}

struct reorder_item *reorder_pop(struct reorder *r, uint64_t now_ns, bool drain)
{
	struct reorder_item *top;

	if (!r->n)
		return NULL;
	top = r->heap[0];
	if (!drain && r->bytes <= r->max_bytes && top->ts_ns + r->window_ns > now_ns)
		return NULL;
	r->heap[0] = r->heap[--r->n];
	if (r->n)
		sift_down(r, 0);
	r->bytes -= top->len;
	return top;
}

uint64_t reorder_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}
