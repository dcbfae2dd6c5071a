/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The costly parts of the aggregates, off unless asked for
 * (observe_readers.details_on, enum observe_detail): switched on for good
 * by observe-filter or observe-load --details, or held on while a consumer
 * that shows them runs. Each holder keeps a shared flock() on the detail's
 * directory (OBSERVE_DETAILS_LOCK_DIR/NAME); the last one out (an exclusive
 * lock) switches the held bit off, as observe-profile does with sampling.
 */
#ifndef OBSERVE_DETAILS_H
#define OBSERVE_DETAILS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DETAIL_MAX_PROGRAMS 3

/* The longest a holder, a switch or the loader waits for a details lock
 * that a member may keep against it. */
#define DETAILS_LOCK_WAIT_MS 3000

struct detail {
	const char *name;	/* as observe-filter enable takes it; its lock dir */
	unsigned collector;	/* OBSERVE_COLLECTOR_* whose hooks it is part of */
	const char *what;	/* for messages: what it fills */
	/* The collector's programs that serve this detail alone: left out by
	 * observe-load --without-details, they cost nothing and it cannot go on. */
	const char *programs[DETAIL_MAX_PROGRAMS];
};

/* Indexed by enum observe_detail. */
extern const struct detail observe_details[];

/* The detail called 'name', or -1. */
int detail_by_name(const char *name);

struct detail_hold {
	int readers_fd;
	int lock_fd;	/* -1: not held */
	unsigned detail;
	const char *dir;	/* the pin directory, the caller's */
};

#define DETAIL_HOLD_NONE { -1, -1, 0, NULL }

/* Holds 'detail' on until details_release; 0, or -1 after an error line
 * (also for a detail left out at load). Either way details_release() frees
 * what it took. */
int details_hold(const char *dir, unsigned detail, struct detail_hold *h);
/* Lets go; the last holder out switches the held bit off. */
void details_release(struct detail_hold *h);

/* What observe_readers says of each detail, at one read. */
struct details_state {
	uint32_t on;		/* bit per enum observe_detail: on (for good or held) */
	uint32_t left_out;	/* bit per detail: its programs not loaded (the caller's) */
	uint32_t for_good;	/* bit per detail: switched on for good */
	uint64_t since_ns[8];	/* CLOCK_REALTIME ns it last went on (while on) */
};

/* Reads the state from observe_readers; 0, or -1 (state all off). */
int details_read(int readers_fd, struct details_state *st);

struct observe_info;
/* The details of the loaded collectors, left out at load or not. */
uint32_t details_of(const struct observe_info *info);
/* 0 if 'detail' can go on; else -1 after an error line saying why. */
int details_check_loaded(const char *dir, unsigned detail);

struct json_writer;
/* "details": {NAME: {"on", "for_good", "since"}, ...} for those in 'shown'. */
void details_json(struct json_writer *w, const struct details_state *st, uint32_t shown);
/* "on since T (switched on)", "on since T (while a consumer asks)", "off",
 * or "left out at load (observe-load --without-details)". */
void details_describe(const struct details_state *st, unsigned detail, char *buf, size_t len);

/*
 * A holder killed outright (SIGKILL, OOM) cannot switch its detail off: its
 * lock went with it, its held bit did not. Switches off each held bit that
 * no running consumer holds. 0, or -1 when observe_readers may not be
 * written (quietly: a reader of the state need not be a writer).
 */
int details_reap(const char *dir);
/* The same for one detail, in the observe_readers of readers_fd (the
 * loader's, before it is pinned): 0, or -1 if the bit could not be cleared. */
int details_reap_one(int readers_fd, const char *dir, unsigned detail);
/* DIR/details/NAME, the detail's lock directory; false if it does not fit. */
bool details_lock_path(char *buf, size_t len, const char *dir, unsigned detail);

/*
 * The details' programs run only while attached (detail_hooks.c): the
 * loader pins each at DIR/details/prog-PROG, and its link is pinned at
 * DIR/details/NAME/link-PROG while the detail is on.
 */
/* The detail whose program 'prog' of 'collector' is, or -1. */
int detail_of_program(unsigned collector, const char *prog);
/* DIR/details/prog-PROG and DIR/details/NAME/link-PROG; false if it does
 * not fit. */
bool details_prog_path(char *buf, size_t len, const char *dir, const char *prog);
bool details_link_path(char *buf, size_t len, const char *dir, unsigned detail, const char *prog);
/* Attaches the programs of each detail in 'details' (bit per enum
 * observe_detail) that observe_readers says is on, and detaches the
 * others'. Call after each switch of their bits. 0, or -1 after an error
 * line. */
int details_sync_hooks(const char *dir, int readers_fd, uint32_t details);
/* Removes the pin of one program's link; 0, or -1 after an error line. */
int details_detach_hook(const char *dir, unsigned detail, const char *prog);

#endif
