// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* lib/topn: bounded series that only grow; lib/flamegraph: folding, XML. */
#include "check.h"
#include "flamegraph.h"
#include "topn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_row(struct topn_row *r, const char *label, uint64_t count)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->label, sizeof(r->label), "%s", label);
	r->count = count;
}

/* One scrape of rows a, b, c with these counts; returns "other". */
static uint64_t scrape(struct topn *t, uint64_t a, uint64_t b, uint64_t c, bool own[3],
		       uint64_t out[3])
{
	struct topn_row rows[3], other = { .label = "other" };

	set_row(&rows[0], "a", a);
	set_row(&rows[1], "b", b);
	set_row(&rows[2], "c", c);
	topn_update(t, rows, 3, own, &other);
	for (int i = 0; i < 3; i++)
		out[i] = rows[i].count;
	return other.count;
}

TEST(topn_places_the_fastest_and_other_never_goes_down)
{
	struct topn t;
	uint64_t out[3], other;
	bool own[3];

	topn_init(&t, 1);
	other = scrape(&t, 100, 10, 1, own, out);	/* a grew most: placed at zero */
	CHECK_TRUE(own[0] && !own[1] && !own[2]);
	CHECK_EQ_U64(0, out[0]);
	CHECK_EQ_U64(111, other);
	other = scrape(&t, 150, 20, 1, own, out);
	CHECK_EQ_U64(50, out[0]);
	CHECK_EQ_U64(121, other);
	/* b grows 1000, a 10: b takes the place, a's count goes to other. */
	other = scrape(&t, 160, 1020, 1, own, out);
	CHECK_TRUE(!own[0] && own[1]);
	CHECK_EQ_U64(0, out[1]);
	CHECK_EQ_U64(160 + 1020 + 1, other);
	/* a grows a little faster than b, but not twice as fast: no churn. */
	other = scrape(&t, 260, 1090, 1, own, out);
	CHECK_TRUE(!own[0] && own[1]);
	CHECK_EQ_U64(70, out[1]);
	CHECK_EQ_U64(260 + 1020 + 1, other);
	topn_free(&t);
}

TEST(topn_subtracts_the_baseline_from_histograms)
{
	struct observe_hist h = { .count = 5, .sum = 50 }, oh = {};
	struct topn_row row, other = { .label = "other", .hist = &oh };
	struct topn t;
	bool own;

	h.slots[3] = 5;
	topn_init(&t, 4);
	set_row(&row, "read", 5);
	row.hist = &h;
	topn_update(&t, &row, 1, &own, &other);
	CHECK_TRUE(own);
	CHECK_EQ_U64(0, h.count);
	CHECK_EQ_U64(0, h.slots[3]);
	CHECK_EQ_U64(5, oh.slots[3]);	/* the baseline is other's */
	topn_free(&t);
}

TEST(flame_folds_stacks_and_escapes_xml_and_bad_utf8)
{
	struct flame *f = flame_new();
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	if (!CHECK_TRUE(f != NULL))
		return;
	flame_add(f, "cmd;main;hot", 3);
	flame_add(f, "cmd;main;hot", 2);
	flame_add(f, "cmd;main", 1);
	CHECK_EQ_U64(6, flame_total(f));
	out = open_memstream(&buf, &len);
	flame_write_folded(f, out);
	fclose(out);
	CHECK_STREQ("cmd;main 1\ncmd;main;hot 5\n", buf);
	free(buf);
	out = open_memstream(&buf, &len);
	flame_xml_escape(out, "a<b>&\"'\xd0;\x01");
	fclose(out);
	CHECK_STREQ("a&lt;b&gt;&amp;&quot;&apos;\xef\xbf\xbd;?", buf);
	free(buf);
	flame_free(f);
}
