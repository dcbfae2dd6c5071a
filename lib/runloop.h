/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Signals and clocks for the consumers' loops. */
#ifndef OBSERVE_RUNLOOP_H
#define OBSERVE_RUNLOOP_H

#include <stdbool.h>
#include <stdint.h>

/*
 * SIGINT, SIGTERM and SIGHUP ask the loop to stop (without SA_RESTART, so a
 * blocking wait returns); SIGPIPE is ignored so that a closed pipe shows as
 * EPIPE on write and the program can still clean up.
 */
void runloop_init(void);
bool runloop_stopping(void);
void runloop_request_stop(void);
/* CLOCK_MONOTONIC in milliseconds. */
uint64_t runloop_now_ms(void);

#endif /* OBSERVE_RUNLOOP_H */
