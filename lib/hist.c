// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "hist.h"

#include <string.h>

#define BAR_WIDTH 40

void hist_slot_bounds(unsigned k, unsigned long long *low, unsigned long long *high)
{
	*low = k ? 1ULL << k : 0;
	*high = k + 1 < OBSERVE_HIST_SLOTS ? 1ULL << (k + 1) : 0;
}

static void format_power(char *buf, size_t len, unsigned long long v)
{
	static const char units[] = "KMGT";
	unsigned u = 0;

	while (v >= 1024 && !(v % 1024) && u < sizeof(units) - 1) {
		v /= 1024;
		u++;
	}
	if (u)
		snprintf(buf, len, "%llu%c", v, units[u - 1]);
	else
		snprintf(buf, len, "%llu", v);
}

void hist_slot_label(char *buf, size_t len, unsigned k)
{
	unsigned long long low, high;
	char a[24], b[24];

	hist_slot_bounds(k, &low, &high);
	format_power(a, sizeof(a), low);
	if (!high) {
		snprintf(buf, len, "[%s, ...)", a);
		return;
	}
	format_power(b, sizeof(b), high);
	snprintf(buf, len, "[%s, %s)", a, b);
}

void hist_add(struct observe_hist *a, const struct observe_hist *b)
{
	a->count += b->count;
	a->sum += b->sum;
	for (unsigned k = 0; k < OBSERVE_HIST_SLOTS; k++)
		a->slots[k] += b->slots[k];
}

void hist_subtract(struct observe_hist *a, const struct observe_hist *b)
{
	a->count -= b->count;
	a->sum -= b->sum;
	for (unsigned k = 0; k < OBSERVE_HIST_SLOTS; k++)
		a->slots[k] -= b->slots[k];
}

void hist_print(FILE *out, const struct observe_hist *h)
{
	int first = -1, last = -1;
	unsigned long long max = 0;

	for (unsigned k = 0; k < OBSERVE_HIST_SLOTS; k++) {
		if (!h->slots[k])
			continue;
		if (first < 0)
			first = k;
		last = k;
		if (h->slots[k] > max)
			max = h->slots[k];
	}
	for (int k = first; k >= 0 && k <= last; k++) {
		char label[40], bar[BAR_WIDTH + 1];
		unsigned width = max ? (unsigned)(h->slots[k] * BAR_WIDTH / max) : 0;

		hist_slot_label(label, sizeof(label), k);
		memset(bar, '@', width);
		memset(bar + width, ' ', BAR_WIDTH - width);
		bar[BAR_WIDTH] = 0;
		fprintf(out, "  %-16s %10llu |%s|\n", label, (unsigned long long)h->slots[k], bar);
	}
}

void hist_json(struct json_writer *w, const struct observe_hist *h)
{
	json_object_begin(w);
	json_kv_u64(w, "count", h->count);
	json_kv_u64(w, "sum", h->sum);
	json_key(w, "buckets");
	json_array_begin(w);
	for (unsigned k = 0; k < OBSERVE_HIST_SLOTS; k++) {
		unsigned long long low, high;

		if (!h->slots[k])
			continue;
		hist_slot_bounds(k, &low, &high);
		json_object_begin(w);
		json_kv_u64(w, "low", low);
		if (high)
			json_kv_u64(w, "high", high);
		json_kv_u64(w, "count", h->slots[k]);
		json_object_end(w);
	}
	json_array_end(w);
	json_object_end(w);
}
