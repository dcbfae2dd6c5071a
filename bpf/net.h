/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* ABI of the network collector (net.bpf.c): connect, accept, TCP lifecycle. */
#ifndef OBSERVE_NET_H
#define OBSERVE_NET_H

#include "observe.h"

#define OBSERVE_TCP_CONNS 16384		/* TCP connections followed at once */
#define OBSERVE_CIDR_ENTRIES 1024	/* prefixes in observe_filter_cidrs */

/* An address and port: IPv4 in the first 4 bytes of addr, IPv6 in all 16. */
struct observe_endpoint {
	__u8 addr[16];
	__u16 port;		/* host byte order */
	__u16 pad;
};

/*
 * type OBSERVE_EV_CONNECT: connect(2) returned (remote: what was asked for,
 * local: what the socket got; latency from entry to return, 0 when the
 * call began before a reader came). type OBSERVE_EV_ACCEPT: accept(2) or
 * accept4(2) returned a connection (remote: the peer); latency likewise.
 * Failures have OBSERVE_F_FAILED; accepts failing with EAGAIN are not sent.
 */
struct observe_conn_event {
	struct observe_event_header hdr;
	struct observe_endpoint local;
	struct observe_endpoint remote;
	__u64 latency_ns;
	__s32 ret;		/* connect: 0 or -errno; accept: the new fd or -errno */
	__s32 fd;		/* the socket the call was made on */
	__u16 family;		/* AF_INET, AF_INET6, or 0 when unknown */
	__u16 protocol;		/* IPPROTO_TCP, IPPROTO_UDP, ... (0: unknown) */
	__u32 pad;
};

/* observe_tcp_event.origin */
enum observe_tcp_origin {
	OBSERVE_TCP_UNKNOWN = 0,	/* began before a reader came */
	OBSERVE_TCP_ACTIVE = 1,		/* connect() */
	OBSERVE_TCP_PASSIVE = 2,	/* accepted */
};

/*
 * type OBSERVE_EV_TCP_CLOSE: a TCP connection reached CLOSE. The header
 * names the process that opened or accepted it (the close itself often
 * runs in softirq context, on behalf of no one). Bytes are the kernel's
 * tcp_sock counters: sent and acknowledged, and received.
 */
struct observe_tcp_event {
	struct observe_event_header hdr;
	struct observe_endpoint local;
	struct observe_endpoint remote;
	__u64 duration_ns;	/* from the first state change seen; 0: unknown */
	__u64 bytes_sent;
	__u64 bytes_received;
	__u16 family;
	__u8 last_state;	/* the state before CLOSE (TCP_ESTABLISHED = 1, ...) */
	__u8 origin;		/* enum observe_tcp_origin */
	__u32 pad;
};

/* Key of observe_filter_cidrs, an LPM trie: IPv4 as ::ffff:a.b.c.d, so one
 * trie holds both families (prefixlen counts from the start of addr). */
struct observe_cidr_key {
	__u32 prefixlen;
	__u8 addr[16];
};

OBSERVE_ABI_LAYOUT(observe_endpoint, 20, 2);
OBSERVE_ABI_LAYOUT(observe_conn_event, 152, 8);
OBSERVE_ABI_LAYOUT(observe_tcp_event, 160, 8);
OBSERVE_ABI_LAYOUT(observe_cidr_key, 20, 4);

#endif /* OBSERVE_NET_H */
