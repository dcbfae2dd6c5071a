/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The global filter maps: observe_filter and its sets. */
#ifndef OBSERVE_FILTERS_H
#define OBSERVE_FILTERS_H

#include <stdbool.h>
#include "json.h"
#include "observe.h"
#include "pins.h"

enum filter_set {
	FILTER_PID,
	FILTER_COMM,
	FILTER_UID,
	FILTER_CGROUP,
	FILTER_PORT,	/* network collector: either end's port */
	FILTER_CIDR,	/* network collector: the remote address; each entry allows or denies */
	FILTER_SET_COUNT,
};

#define FILTER_KEY_MAX 32	/* bytes of the largest set key */

/* One row per set: what user space knows of it. A new set adds its enum
 * value above, its field in struct observe_filter and its row here. */
struct filter_set_desc {
	const char *name;	/* "pid": as users type it */
	const char *map;	/* its pinned map (PIN_FILTER_*) */
	const char *collector;	/* the collector whose maps hold it ("net"); NULL: the core */
	size_t mode_offset;	/* its mode's __u8 in struct observe_filter (cidr: whether on) */
	size_t key_size;
	unsigned capacity;	/* entries its map holds */
	/* Parses a value as users type it into a zeroed key; -1 with err set. */
	int (*parse)(const char *text, void *key, char *err);
	void (*key_json)(struct json_writer *w, const void *key);
};

extern const struct filter_set_desc filter_sets[FILTER_SET_COUNT];

struct filters {
	int filter_fd;
	int set_fd[FILTER_SET_COUNT];	/* -1: a set of a collector not loaded */
	int readers_fd;			/* opened for writing only: the follow copy */
};

/* "pid", ...; and back (-1 if unknown). */
const char *filter_set_name(enum filter_set set);
int filter_set_by_name(const char *name);
const char *filter_mode_name(unsigned mode);

/* Opens the filter and its sets (those of collectors not loaded stay -1);
 * prints the reason and returns -1 on failure. */
int filters_open(struct filters *f, const char *dir, enum pin_access access);
void filters_close(struct filters *f);

int filters_read(const struct filters *f, struct observe_filter *out);
/* Writes the filter, then its copies in observe_readers. */
int filters_write(const struct filters *f, const struct observe_filter *filter);
/* Stores in observe_readers (readers_fd, writable) what 'filter' says of the
 * pid set, for the fork and exit hooks, and its types_off, for the
 * aggregating collectors; -1 with the reason printed. */
int filters_publish(int readers_fd, const struct observe_filter *filter);
/* Switches 'detail' (enum observe_detail) on or off in observe_readers:
 * its bit for good, or (held) its bit of the running consumers; going on,
 * its start time too. Atomic, on the mapped page; 0 or -1 after an error
 * line. */
int filters_switch_detail(int readers_fd, unsigned detail, bool held, bool on);
/* The mode field of 'set' inside the filter struct (for cidr: whether on). */
__u8 *filter_mode_of(struct observe_filter *filter, enum filter_set set);
/* The collector whose maps hold 'set' ("net"), or NULL for the core sets. */
const char *filter_set_collector(enum filter_set set);

/* Key size of each set's map, and a key's text form. */
size_t filter_key_size(enum filter_set set);
void filter_key_json(struct json_writer *w, enum filter_set set, const void *key);

/* The filter and every set, as one JSON object. */
int filters_json(const struct filters *f, struct json_writer *w);
/* The same members, into an object the caller has begun. */
int filters_json_members(const struct filters *f, struct json_writer *w);

#endif /* OBSERVE_FILTERS_H */
