/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which local user is at the other end of a TCP connection from this host:
 * every local user connects from the same loopback address, so limits per
 * client go by the connecting socket's owner, as the kernel's socket
 * diagnostics (NETLINK_SOCK_DIAG) tell it, needing neither /proc nor root.
 */
#ifndef OBSERVE_SOCK_PEER_H
#define OBSERVE_SOCK_PEER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Whether addr is 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104. */
bool sock_is_loopback(const struct sockaddr *addr);
/* The uid owning the TCP socket whose local end is 'peer' and whose remote
 * port is 'port' (ours): 0 with *uid set, or a negative errno. */
int sock_peer_uid(const struct sockaddr *peer, uint16_t port, uint32_t *uid);

#endif /* OBSERVE_SOCK_PEER_H */
