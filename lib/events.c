// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "events.h"
#include "files.h"
#include "memory.h"
#include "net.h"
#include "process.h"
#include "tls.h"

#include <string.h>

/* Every event type: a collector adds its lines here and its decoder file. */
static const struct event_kind types[OBSERVE_EV_COUNT] = {
	[OBSERVE_EV_EXEC] = { "exec", OBSERVE_COLLECTOR_PROCESS,
			      sizeof(struct observe_exec_event), decode_exec },
	[OBSERVE_EV_FORK] = { "fork", OBSERVE_COLLECTOR_PROCESS,
			      sizeof(struct observe_fork_event), decode_fork },
	[OBSERVE_EV_EXIT] = { "exit", OBSERVE_COLLECTOR_PROCESS,
			      sizeof(struct observe_exit_event), decode_exit },
	[OBSERVE_EV_OPEN] = { "open", OBSERVE_COLLECTOR_FILES,
			      sizeof(struct observe_open_event), decode_open },
	[OBSERVE_EV_CONNECT] = { "connect", OBSERVE_COLLECTOR_NET,
				 sizeof(struct observe_conn_event), decode_conn },
	[OBSERVE_EV_ACCEPT] = { "accept", OBSERVE_COLLECTOR_NET,
				sizeof(struct observe_conn_event), decode_conn },
	[OBSERVE_EV_TCP_CLOSE] = { "tcp_close", OBSERVE_COLLECTOR_NET,
				   sizeof(struct observe_tcp_event), decode_tcp_close },
	[OBSERVE_AGG_SYSCALLS] = { "syscalls", OBSERVE_COLLECTOR_SYSCALLS, 0, NULL },
	[OBSERVE_EV_OOM_KILL] = { "oom_kill", OBSERVE_COLLECTOR_MEMORY,
				  sizeof(struct observe_oom_event), decode_oom_kill },
	[OBSERVE_AGG_FAULTS] = { "faults", OBSERVE_COLLECTOR_MEMORY, 0, NULL },
	[OBSERVE_AGG_BLOCK] = { "block", OBSERVE_COLLECTOR_BLOCK, 0, NULL },
	[OBSERVE_AGG_RUNQ] = { "runq", OBSERVE_COLLECTOR_CPU, 0, NULL },
	[OBSERVE_AGG_PROFILE] = { "profile", OBSERVE_COLLECTOR_PROFILE, 0, NULL },
	[OBSERVE_EV_TLS_DATA] = { "tls_data", OBSERVE_COLLECTOR_TLS,
				  sizeof(struct observe_tls_event), decode_tls_data, true },
	[OBSERVE_EV_TLS_HANDSHAKE] = { "tls_handshake", OBSERVE_COLLECTOR_TLS,
				       sizeof(struct observe_tls_handshake_event),
				       decode_tls_handshake, true },
};

static const char *const collectors[OBSERVE_COLLECTOR_COUNT] = {
	[OBSERVE_COLLECTOR_PROCESS] = "process",
	[OBSERVE_COLLECTOR_FILES] = "files",
	[OBSERVE_COLLECTOR_NET] = "net",
	[OBSERVE_COLLECTOR_SYSCALLS] = "syscalls",
	[OBSERVE_COLLECTOR_MEMORY] = "memory",
	[OBSERVE_COLLECTOR_BLOCK] = "block",
	[OBSERVE_COLLECTOR_CPU] = "cpu",
	[OBSERVE_COLLECTOR_PROFILE] = "profile",
	[OBSERVE_COLLECTOR_TLS] = "tls",
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
