/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * flock()s that a group member could hold against us: who holds one, and
 * taking one within a bounded wait, so that no member can hang a consumer
 * or the loader on a lock it keeps.
 */
#ifndef OBSERVE_FLOCKS_H
#define OBSERVE_FLOCKS_H

#include <stdbool.h>
#include <stdint.h>

/* The flock() on the file open as fd, from /proc/locks: -1 when that cannot
 * be read, 0 when there is none, else 1 with its holder and its kind. */
int flock_holder(int fd, uint32_t *pid, bool *exclusive);

/* flock(fd, op) (LOCK_SH or LOCK_EX), retried for up to 'ms' while
 * another holds it: 0, or -1 with errno EWOULDBLOCK when the time ran out
 * (or flock()'s own errno). */
int flock_within(int fd, int op, unsigned ms);

#endif
