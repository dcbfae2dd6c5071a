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

/* Growth since the last scrape, rows ranked by it (fastest first); a row
 * seen first grew by all it has. 'seen' gets this scrape's counts. */
static void rank_rows(const struct topn *t, const struct topn_row *rows, size_t n,
		      struct ranked *rank, struct topn_seen *seen)
{
	for (size_t i = 0; i < n; i++) {
		const struct topn_seen *was = t->nr_seen ?
			bsearch(rows[i].label, t->seen, t->nr_seen, sizeof(*t->seen), by_label) : NULL;

		rank[i].row = i;
		rank[i].growth = was && was->count <= rows[i].count ? rows[i].count - was->count
								     : rows[i].count;
		memcpy(seen[i].label, rows[i].label, TOPN_LABEL_LEN);
		seen[i].count = rows[i].count;
	}
	if (n)
		qsort(rank, n, sizeof(*rank), by_growth_desc);
}

/* Each placed row's growth this scrape, and whether it is among the N. */
static void mark_placed(struct topn *t, const struct topn_row *rows, size_t n,
			const struct ranked *rank)
{
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
}

/* Frees a place for a row that grew by 'growth': from a placed row (or a
 * gone one) out of the N that grew less than half as much; false when none
 * did (hysteresis: no churn between near equals). */
static bool free_a_place(struct topn *t, uint64_t growth)
{
	struct topn_placed *victim = NULL;

	if (t->nr_placed < t->places)
		return true;
	for (size_t p = 0; p < t->nr_placed; p++)
		if (!t->placed[p].top && (!victim || t->placed[p].growth < victim->growth))
			victim = &t->placed[p];
	if (!victim || victim->growth * 2 >= growth)
		return false;
	memmove(victim, victim + 1, (t->nr_placed - (victim - t->placed) - 1) * sizeof(*victim));
	t->nr_placed--;
	return true;
}

/* Places a row, in label order: its series starts now, from zero, what it
 * had is a baseline. */
static void place(struct topn *t, const struct topn_row *row, uint64_t growth)
{
	struct topn_placed fresh = {};
	size_t at = 0;

	memcpy(fresh.label, row->label, TOPN_LABEL_LEN);
	fresh.count = row->count;
	fresh.errors = row->errors;
	fresh.total_ns = row->total_ns;
	if (row->hist)
		fresh.hist = *row->hist;
	fresh.growth = growth;
	fresh.top = true;
	while (at < t->nr_placed && strcmp(t->placed[at].label, fresh.label) < 0)
		at++;
	memmove(&t->placed[at + 1], &t->placed[at], (t->nr_placed - at) * sizeof(*t->placed));
	t->placed[at] = fresh;
	t->nr_placed++;
}

/* A row's counts into "other" whole (not placed), or less its baseline
 * (placed: "other" takes the baseline). */
static void split_row(struct topn_placed *p, struct topn_row *row, bool *own,
		      struct topn_row *other)
{
	*own = p != NULL;
	if (!p) {
		other->count += row->count;
		other->errors += row->errors;
		other->total_ns += row->total_ns;
		if (row->hist && other->hist)
			hist_add(other->hist, row->hist);
		return;
	}
	/* A row below its baseline is a new one under an old label (an LRU
	 * row evicted and made again): all of it is its own. */
	if (row->count < p->count) {
		p->count = p->errors = p->total_ns = 0;
		memset(&p->hist, 0, sizeof(p->hist));
	}
	other->count += p->count;
	other->errors += p->errors;
	other->total_ns += p->total_ns;
	if (row->hist && other->hist)
		hist_add(other->hist, &p->hist);
	row->count -= p->count;
	row->errors -= p->errors;
	row->total_ns -= p->total_ns;
	if (row->hist)
		hist_subtract(row->hist, &p->hist);
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
	rank_rows(t, rows, n, rank, seen);
	mark_placed(t, rows, n, rank);
	/* The N fastest take places, free ones first. */
	for (size_t r = 0; r < n && r < t->places && rank[r].growth; r++)
		if (!find_placed(t, rows[rank[r].row].label) && free_a_place(t, rank[r].growth))
			place(t, &rows[rank[r].row], rank[r].growth);
	/* Placed rows export what they gained since placed; "other" has the
	 * rest and the placed rows' baselines. */
	for (size_t i = 0; i < n; i++)
		split_row(find_placed(t, rows[i].label), &rows[i], &own[i], other);
	if (n)
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
