// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The time-order merge of two rings (lib/reorder.c). */
#include "check.h"
#include "observe.h"
#include "reorder.h"

#include <stdlib.h>
#include <string.h>

static void push_on(struct reorder *r, unsigned source, uint64_t ts, uint32_t cpu, uint64_t seq)
{
	struct observe_event_header h = { .ts_ns = ts, .cpu = cpu, .seq = seq, .size = sizeof(h) };

	CHECK_EQ_I64(0, reorder_push(r, source, &h, sizeof(h)));
}

static void push(struct reorder *r, unsigned source, uint64_t ts, uint64_t seq)
{
	push_on(r, source, ts, 0, seq);
}

/* The ts of the next record out, or 0 when none may go. */
static uint64_t pop_ts(struct reorder *r, uint64_t now, bool drain)
{
	struct reorder_item *item = reorder_pop(r, now, drain);
	uint64_t ts = item ? item->ts_ns : 0;

	free(item);
	return ts;
}

TEST(reorder_merges_two_sources_by_time_then_sequence)
{
	struct reorder r;

	reorder_init(&r, 100, 1 << 20);
	push(&r, 0, 50, 7);
	push(&r, 1, 20, 9);
	push(&r, 0, 30, 3);
	push(&r, 1, 30, 2);	/* same stamp: the lower sequence number first */
	{
		struct reorder_item *item = reorder_pop(&r, 1000, false);

		CHECK_EQ_U64(20, item->ts_ns);
		CHECK_EQ_U64(1, item->source);
		free(item);
		item = reorder_pop(&r, 1000, false);
		CHECK_EQ_U64(2, item->seq);
		free(item);
	}
	CHECK_EQ_U64(30, pop_ts(&r, 1000, false));
	CHECK_EQ_U64(50, pop_ts(&r, 1000, false));
	CHECK_EQ_U64(0, pop_ts(&r, 1000, false));
	reorder_free(&r);
}

/* Each CPU numbers its own events: a stamp shared by two CPUs is ordered
 * by cpu, then by that cpu's sequence number. */
TEST(reorder_orders_one_stamp_by_cpu_then_that_cpus_sequence)
{
	struct reorder r;
	struct reorder_item *item;
	const struct { uint32_t cpu; uint64_t seq; } want[] = { { 0, 4 }, { 0, 5 }, { 1, 2 } };

	reorder_init(&r, 100, 1 << 20);
	push_on(&r, 0, 30, 1, 2);
	push_on(&r, 1, 30, 0, 5);
	push_on(&r, 0, 30, 0, 4);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		item = reorder_pop(&r, 1000, false);
		CHECK_EQ_U64(want[i].cpu, item->cpu);
		CHECK_EQ_U64(want[i].seq, item->seq);
		free(item);
	}
	reorder_free(&r);
}

TEST(reorder_holds_records_younger_than_the_window_unless_draining)
{
	struct reorder r;

	reorder_init(&r, 100, 1 << 20);
	push(&r, 0, 950, 1);
	CHECK_EQ_U64(0, pop_ts(&r, 1000, false));	/* 50 ns old: held */
	push(&r, 1, 940, 2);	/* read later, stamped earlier: still first */
	CHECK_EQ_U64(940, pop_ts(&r, 1040, false));
	CHECK_EQ_U64(0, pop_ts(&r, 1040, false));
	CHECK_EQ_U64(950, pop_ts(&r, 1040, true));
	reorder_free(&r);
}

TEST(reorder_lets_the_oldest_out_early_past_its_byte_limit)
{
	struct reorder r;

	reorder_init(&r, 1000000, 2 * sizeof(struct observe_event_header));
	push(&r, 0, 10, 1);
	push(&r, 0, 11, 2);
	CHECK_EQ_U64(0, pop_ts(&r, 20, false));
	push(&r, 0, 12, 3);
	CHECK_EQ_U64(10, pop_ts(&r, 20, false));
	CHECK_EQ_U64(0, pop_ts(&r, 20, false));
	CHECK_EQ_I64(-22, reorder_push(&r, 0, "short", 5));
	reorder_free(&r);
}
