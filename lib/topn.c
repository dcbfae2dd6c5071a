// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "topn.h"
#include "hist.h"

#include <stdlib.h>
#include <string.h>

struct topn_placed {
	char label[TOPN_LABEL_LEN];
	uint64_t count, errors, total_ns;	/* the baseline */
	struct observe_hist hist;
	uint64_t growth;	/* this scrape's, for choosing whom to replace */
	bool top;		/* among this scrape's N fastest */
};

struct topn_seen {
	char label[TOPN_LABEL_LEN];
	uint64_t count;
};

void topn_init(struct topn *t, unsigned places)
{
	memset(t, 0, sizeof(*t));
	t->places = places;
}

void topn_free(struct topn *t)
{
	free(t->placed);
	free(t->seen);
	topn_init(t, t->places);
}

static int by_label(const void *a, const void *b)
{
	return strcmp(a, b);	/* every struct here starts with its label */
}

struct ranked {
	size_t row;
	uint64_t growth;
};

static int by_growth_desc(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->growth != y->growth)
		return x->growth < y->growth ? 1 : -1;
	return x->row < y->row ? -1 : x->row > y->row;
}

static struct topn_placed *find_placed(struct topn *t, const char *label)
{
	return t->nr_placed ? bsearch(label, t->placed, t->nr_placed, sizeof(*t->placed), by_label) : NULL;
}

int topn_update(struct topn *t, struct topn_row *rows, size_t n, bool *own,
		struct topn_row *other)
{
	struct ranked *rank = calloc(n + 1, sizeof(*rank));
	struct topn_seen *seen = calloc(n + 1, sizeof(*seen));
	struct topn_placed *grown;

	if (!rank || !seen)
		goto oom;
	grown = realloc(t->placed, (t->places + 1) * sizeof(*t->placed));
	if (!grown)
		goto oom;
	t->placed = grown;

	/* Growth since the last scrape; a row seen first grew by all it has. */
	for (size_t i = 0; i < n; i++) {
		const struct topn_seen *was = t->nr_seen ?
			bsearch(rows[i].label, t->seen, t->nr_seen, sizeof(*t->seen), by_label) : NULL;

		rank[i].row = i;
		rank[i].growth = was && was->count <= rows[i].count ? rows[i].count - was->count
								     : rows[i].count;
		memcpy(seen[i].label, rows[i].label, TOPN_LABEL_LEN);
		seen[i].count = rows[i].count;
	}
	qsort(rank, n, sizeof(*rank), by_growth_desc);

	for (size_t p = 0; p < t->nr_placed; p++) {
		t->placed[p].growth = 0;	/* also when its row is gone */
		t->placed[p].top = false;
	}
	for (size_t r = 0; r < n; r++) {
		struct topn_placed *p = find_placed(t, rows[rank[r].row].label);

		if (p) {
			p->growth = rank[r].growth;
			p->top = r < t->places && rank[r].growth;
		}
	}

	/* The N fastest take places: free ones first, then from a placed row
	 * (or a gone one) out of the N that grew less than half as much. */
	for (size_t r = 0; r < n && r < t->places && rank[r].growth; r++) {
		struct topn_row *row = &rows[rank[r].row];
		struct topn_placed fresh = {}, *victim = NULL;
		size_t at = 0;

		if (find_placed(t, row->label))
			continue;
		if (t->nr_placed == t->places) {
			for (size_t p = 0; p < t->nr_placed; p++)
				if (!t->placed[p].top && (!victim || t->placed[p].growth < victim->growth))
					victim = &t->placed[p];
			if (!victim || victim->growth * 2 >= rank[r].growth)
				continue;	/* hysteresis: no churn between near equals */
			memmove(victim, victim + 1,
				(t->nr_placed - (victim - t->placed) - 1) * sizeof(*victim));
			t->nr_placed--;
		}
		/* Its series starts now, from zero: what it had is a baseline. */
		memcpy(fresh.label, row->label, TOPN_LABEL_LEN);
		fresh.count = row->count;
		fresh.errors = row->errors;
		fresh.total_ns = row->total_ns;
		if (row->hist)
			fresh.hist = *row->hist;
		fresh.growth = rank[r].growth;
		fresh.top = true;
		while (at < t->nr_placed && strcmp(t->placed[at].label, fresh.label) < 0)
			at++;
		memmove(&t->placed[at + 1], &t->placed[at], (t->nr_placed - at) * sizeof(*t->placed));
		t->placed[at] = fresh;
		t->nr_placed++;
	}

	/* Placed rows export what they gained since placed; "other" has the
	 * rest and the placed rows' baselines. */
	for (size_t i = 0; i < n; i++) {
		struct topn_placed *p = find_placed(t, rows[i].label);

		own[i] = p != NULL;
		if (!p) {
			other->count += rows[i].count;
			other->errors += rows[i].errors;
			other->total_ns += rows[i].total_ns;
			if (rows[i].hist && other->hist)
				hist_add(other->hist, rows[i].hist);
			continue;
		}
		/* A row below its baseline is a new one under an old label (an
		 * LRU row evicted and made again): all of it is its own. */
		if (rows[i].count < p->count) {
			p->count = p->errors = p->total_ns = 0;
			memset(&p->hist, 0, sizeof(p->hist));
		}
		other->count += p->count;
		other->errors += p->errors;
		other->total_ns += p->total_ns;
		if (rows[i].hist && other->hist)
			hist_add(other->hist, &p->hist);
		rows[i].count -= p->count;
		rows[i].errors -= p->errors;
		rows[i].total_ns -= p->total_ns;
		if (rows[i].hist)
			hist_subtract(rows[i].hist, &p->hist);
	}
	qsort(seen, n, sizeof(*seen), by_label);
	free(t->seen);
	t->seen = seen;
	t->nr_seen = n;
	free(rank);
	return 0;
oom:
	free(rank);
	free(seen);
	return -1;
}
