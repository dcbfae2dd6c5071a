/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The names of event types and collectors, as users type and read them. */
#ifndef OBSERVE_EVENTS_H
#define OBSERVE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "decoders.h"
#include "observe.h"

/* What user space knows of one event type. */
struct event_kind {
	const char *name;		/* as users type it: "exec" */
	unsigned collector;		/* enum observe_collector */
	size_t min_size;		/* of a record of this type */
	event_decoder decode;		/* its own fields, as JSON; NULL: an aggregate,
					   counted in maps and never streamed */
	bool tls_only;			/* plaintext: sent to the TLS slots only */
};

/* NULL for a type that does not exist. */
const struct event_kind *event_kind_of(unsigned type);

/* "exec", ...; NULL for a type that does not exist. */
const char *event_type_name(unsigned type);
/* The type called 'name', or -1. */
int event_type_by_name(const char *name);

/* "process", ...; NULL for a collector that does not exist. */
const char *collector_name(unsigned collector);
int collector_by_name(const char *name);
/* Bit (1 << type) for each event type the collector produces. */
uint64_t collector_types(unsigned collector);

/* Room for every name of the list joined by ", ", and the NUL: the size of
 * a buffer that lists them, as the list grows. */
#define EVENTS_NAME_ROOM(id, value, name, ...) + sizeof(#name) + 2
#define EVENT_TYPE_NAMES_LEN (1 OBSERVE_EVENT_TYPES(EVENTS_NAME_ROOM, EVENTS_NAME_ROOM))
#define COLLECTOR_NAMES_LEN (1 OBSERVE_COLLECTORS(EVENTS_NAME_ROOM))

/* Every type in use, aggregates included. */
#define EVENT_TYPES_ALL (((1ULL << OBSERVE_EV_COUNT) - 1) & ~1ULL)

/* The types streamed to the event slots (not aggregates, not TLS). */
uint64_t event_types_streamed(void);
/* The types streamed to the TLS slots. */
uint64_t event_types_tls(void);

#endif /* OBSERVE_EVENTS_H */
