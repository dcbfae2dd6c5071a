// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The network collector's events: connect, accept, TCP close. */
#include "decoders.h"
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

static const char *const tcp_states[] = {
	[1] = "ESTABLISHED", [2] = "SYN_SENT", [3] = "SYN_RECV", [4] = "FIN_WAIT1",
	[5] = "FIN_WAIT2", [6] = "TIME_WAIT", [7] = "CLOSE", [8] = "CLOSE_WAIT",
	[9] = "LAST_ACK", [10] = "LISTEN", [11] = "CLOSING", [12] = "NEW_SYN_RECV",
};

static const char *protocol_name(unsigned protocol)
{
	switch (protocol) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmpv6";
	case IPPROTO_SCTP: return "sctp";
	default: return NULL;
	}
}

/* "<prefix>_addr": "127.0.0.1", "<prefix>_port": 80; nothing for a family
 * that is neither IPv4 nor IPv6 (unix sockets, unknown). */
static void endpoint_json(struct json_writer *w, const char *prefix, unsigned family,
			  const struct observe_endpoint *ep)
{
	char text[INET6_ADDRSTRLEN], key[32];

	if ((family != AF_INET && family != AF_INET6) ||
	    !inet_ntop(family, ep->addr, text, sizeof(text)))
		return;
	snprintf(key, sizeof(key), "%s_addr", prefix);
	json_kv_cstr(w, key, text);
	snprintf(key, sizeof(key), "%s_port", prefix);
	json_kv_u64(w, key, ep->port);
}

static void family_json(struct json_writer *w, unsigned family)
{
	json_kv_cstr(w, "family", family == AF_INET ? "inet" : family == AF_INET6 ? "inet6" :
				  family == AF_UNIX ? "unix" : "other");
}

int decode_conn(struct json_writer *w, const void *rec, size_t size)
{
	const struct observe_conn_event *e = rec;
	const char *proto = protocol_name(e->protocol);

	family_json(w, e->family);
	if (proto)
		json_kv_cstr(w, "protocol", proto);
	endpoint_json(w, "local", e->family, &e->local);
	endpoint_json(w, "remote", e->family, &e->remote);
	json_kv_i64(w, "fd", e->fd);
	json_kv_result(w, "ret", e->ret);
	if (e->latency_ns)
		json_kv_u64(w, "latency_ns", e->latency_ns);
	return 0;
}

int decode_tcp_close(struct json_writer *w, const void *rec, size_t size)
{
	const struct observe_tcp_event *e = rec;
	static const char *const origins[] = { "unknown", "connect", "accept" };

	family_json(w, e->family);
	endpoint_json(w, "local", e->family, &e->local);
	endpoint_json(w, "remote", e->family, &e->remote);
	json_kv_cstr(w, "origin", e->origin < 3 ? origins[e->origin] : "unknown");
	if (e->last_state < sizeof(tcp_states) / sizeof(tcp_states[0]) && tcp_states[e->last_state])
		json_kv_cstr(w, "last_state", tcp_states[e->last_state]);
	if (e->duration_ns)
		json_kv_u64(w, "duration_ns", e->duration_ns);
	json_kv_u64(w, "bytes_sent", e->bytes_sent);
	json_kv_u64(w, "bytes_received", e->bytes_received);
	return 0;
}
