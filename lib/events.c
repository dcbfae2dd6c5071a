// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "events.h"
#include "collector_headers.h"	/* generated: every bpf/<collector>.h */

#include <string.h>

/* Every event type and collector, from the lists in observe.h. */
#define STREAMED(id, value, name, collector, record, decoder, slots)			\
	[OBSERVE_EV_##id] = { #name, OBSERVE_COLLECTOR_##collector, sizeof(struct record),	\
			      decoder, SLOTS_##slots },
#define AGGREGATE(id, value, name, collector) \
	[OBSERVE_AGG_##id] = { #name, OBSERVE_COLLECTOR_##collector, 0, NULL, false },
#define SLOTS_EVENTS false
#define SLOTS_TLS true
#define COLLECTOR_NAME(id, value, name) [OBSERVE_COLLECTOR_##id] = #name,

static const struct event_kind types[OBSERVE_EV_COUNT] = {
	OBSERVE_EVENT_TYPES(STREAMED, AGGREGATE)
};

static const char *const collectors[OBSERVE_COLLECTOR_COUNT] = {
	OBSERVE_COLLECTORS(COLLECTOR_NAME)
};

const struct event_kind *event_kind_of(unsigned type)
{
	return type < OBSERVE_EV_COUNT && types[type].name ? &types[type] : NULL;
}

const char *event_type_name(unsigned type)
{
	return type < OBSERVE_EV_COUNT ? types[type].name : NULL;
}

int event_type_by_name(const char *name)
{
	for (unsigned t = 0; t < OBSERVE_EV_COUNT; t++)
		if (types[t].name && !strcmp(types[t].name, name))
			return t;
	return -1;
}

const char *collector_name(unsigned collector)
{
	return collector < OBSERVE_COLLECTOR_COUNT ? collectors[collector] : NULL;
}

int collector_by_name(const char *name)
{
	for (unsigned c = 0; c < OBSERVE_COLLECTOR_COUNT; c++)
		if (!strcmp(collectors[c], name))
			return c;
	return -1;
}

uint64_t collector_types(unsigned collector)
{
	uint64_t mask = 0;

	for (unsigned t = 0; t < OBSERVE_EV_COUNT; t++)
		if (types[t].name && types[t].collector == collector)
			mask |= 1ULL << t;
	return mask;
}

static uint64_t streamed_types(bool tls)
{
	uint64_t mask = 0;

	for (unsigned t = 0; t < OBSERVE_EV_COUNT; t++)
		if (types[t].name && types[t].decode && types[t].tls_only == tls)
			mask |= 1ULL << t;
	return mask;
}

uint64_t event_types_streamed(void)
{
	return streamed_types(false);
}

uint64_t event_types_tls(void)
{
	return streamed_types(true);
}
