// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* lib/hist and lib/syscall_names: histogram labels, bounds, deltas, JSON;
 * the generated syscall table. */
#include "check.h"
#include "hist.h"
#include "syscall_names.h"

#include <string.h>
#include <sys/syscall.h>

TEST(hist_labels_follow_bpftrace)
{
	char buf[40];

	hist_slot_label(buf, sizeof(buf), 0);
	CHECK_STREQ("[0, 2)", buf);
	hist_slot_label(buf, sizeof(buf), 1);
	CHECK_STREQ("[2, 4)", buf);
	hist_slot_label(buf, sizeof(buf), 9);
	CHECK_STREQ("[512, 1K)", buf);
	hist_slot_label(buf, sizeof(buf), 20);
	CHECK_STREQ("[1M, 2M)", buf);
	hist_slot_label(buf, sizeof(buf), OBSERVE_HIST_SLOTS - 1);
	CHECK_STREQ("[512G, ...)", buf);
}

TEST(hist_json_lists_non_empty_slots_with_bounds)
{
	struct observe_hist h = { .count = 3, .sum = 1030 };
	struct json_writer w;
	static const char expected[] =
		"{\"count\":3,\"sum\":1030,\"buckets\":[{\"low\":2,\"high\":4,\"count\":2},"
		"{\"low\":549755813888,\"count\":1}]}";

	h.slots[1] = 2;
	h.slots[OBSERVE_HIST_SLOTS - 1] = 1;
	json_init(&w);
	hist_json(&w, &h);
	CHECK_MEMEQ(expected, strlen(expected), w.buf, w.len);
	json_free(&w);
}

TEST(hist_subtract_gives_the_interval)
{
	struct observe_hist a = { .count = 10, .sum = 100 }, b = { .count = 4, .sum = 40 };

	a.slots[3] = 7;
	b.slots[3] = 4;
	hist_subtract(&a, &b);
	CHECK_EQ_U64(6, a.count);
	CHECK_EQ_U64(60, a.sum);
	CHECK_EQ_U64(3, a.slots[3]);
}

TEST(syscall_names_come_from_the_system_headers)
{
	CHECK_STREQ("read", syscall_name(SYS_read));
	CHECK_STREQ("getpriority", syscall_name(SYS_getpriority));
	CHECK_EQ_I64(SYS_openat, syscall_by_name("openat"));
	CHECK_EQ_I64(-1, syscall_by_name("no_such_syscall"));
	CHECK_STREQ(NULL, syscall_name(100000));
}
