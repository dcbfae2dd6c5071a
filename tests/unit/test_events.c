// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* lib/events: the names of event types and collectors. */
#include "check.h"
#include "events.h"

TEST(event_type_names_round_trip)
{
	for (unsigned t = OBSERVE_EV_NONE + 1; t < OBSERVE_EV_COUNT; t++) {
		const char *name = event_type_name(t);

		if (!CHECK_TRUE(name != NULL)) {
			check_note("type %u", t);
			continue;
		}
		CHECK_EQ_I64(t, event_type_by_name(name));
	}
	CHECK_STREQ("exec", event_type_name(OBSERVE_EV_EXEC));
	CHECK_STREQ("fork", event_type_name(OBSERVE_EV_FORK));
	CHECK_STREQ("exit", event_type_name(OBSERVE_EV_EXIT));
}

TEST(event_type_lookups_reject_what_does_not_exist)
{
	CHECK_STREQ(NULL, event_type_name(OBSERVE_EV_NONE));
	CHECK_STREQ(NULL, event_type_name(OBSERVE_EV_COUNT));
	CHECK_STREQ(NULL, event_type_name(~0u));
	CHECK_EQ_I64(-1, event_type_by_name("bogus"));
	CHECK_EQ_I64(-1, event_type_by_name(""));
	CHECK_EQ_I64(-1, event_type_by_name("process"));
	CHECK_EQ_I64(-1, event_type_by_name("EXEC"));
}

TEST(collector_names_round_trip)
{
	for (unsigned c = 0; c < OBSERVE_COLLECTOR_COUNT; c++) {
		const char *name = collector_name(c);

		if (!CHECK_TRUE(name != NULL)) {
			check_note("collector %u", c);
			continue;
		}
		CHECK_EQ_I64(c, collector_by_name(name));
	}
	CHECK_STREQ("process", collector_name(OBSERVE_COLLECTOR_PROCESS));
	CHECK_STREQ(NULL, collector_name(OBSERVE_COLLECTOR_COUNT));
	CHECK_EQ_I64(-1, collector_by_name("exec"));
	CHECK_EQ_I64(-1, collector_by_name(""));
}

TEST(collector_process_covers_exec_fork_and_exit)
{
	CHECK_EQ_U64(1ULL << OBSERVE_EV_EXEC | 1ULL << OBSERVE_EV_FORK | 1ULL << OBSERVE_EV_EXIT,
		     collector_types(OBSERVE_COLLECTOR_PROCESS));
	CHECK_EQ_U64(0, collector_types(OBSERVE_COLLECTOR_COUNT));
}

TEST(every_event_type_belongs_to_exactly_one_collector)
{
	uint64_t seen = 0;

	for (unsigned c = 0; c < OBSERVE_COLLECTOR_COUNT; c++) {
		uint64_t types = collector_types(c);

		CHECK_EQ_U64(0, seen & types);
		seen |= types;
	}
	CHECK_EQ_U64(EVENT_TYPES_ALL, seen);
	CHECK_EQ_U64(0, EVENT_TYPES_ALL & 1ULL << OBSERVE_EV_NONE);
}
