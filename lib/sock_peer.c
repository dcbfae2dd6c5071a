// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "sock_peer.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>

bool sock_is_loopback(const struct sockaddr *addr)
{
	if (addr->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)addr)->sin_addr.s_addr) >> 24) == 127;
	if (addr->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)addr)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

/* Whether the diag message is the socket from 'peer' to our 'port'. */
static bool is_peer(const struct inet_diag_msg *m, const struct sockaddr *peer, uint16_t port)
{
	if (ntohs(m->id.idiag_dport) != port)
		return false;
	if (peer->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)peer;

		return m->id.idiag_sport == in->sin_port &&
		       m->id.idiag_src[0] == in->sin_addr.s_addr;
	}
	{
		const struct sockaddr_in6 *in6 = (const void *)peer;

		return m->id.idiag_sport == in6->sin6_port &&
		       !memcmp(m->id.idiag_src, &in6->sin6_addr, sizeof(in6->sin6_addr));
	}
}

int sock_peer_uid(const struct sockaddr *peer, uint16_t port, uint32_t *uid)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} request = {
		.nlh = { .nlmsg_len = sizeof(request), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.req = { .sdiag_family = peer->sa_family, .sdiag_protocol = IPPROTO_TCP,
			 .idiag_states = 1 << 1 /* TCP_ESTABLISHED */ },
	};
	long buf[8192 / sizeof(long)];
	int fd, err = -ESRCH;

	if (peer->sa_family != AF_INET && peer->sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	if (send(fd, &request, sizeof(request), 0) < 0) {
		err = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (n <= 0) {
			err = n < 0 ? -errno : err;
			goto out;
		}
		for (; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				goto out;
			if (h->nlmsg_type == NLMSG_ERROR) {
				err = -EIO;
				goto out;
			}
			if (is_peer(NLMSG_DATA(h), peer, port)) {
				*uid = ((struct inet_diag_msg *)NLMSG_DATA(h))->idiag_uid;
				err = 0;
				goto out;
			}
		}
	}
out:
	close(fd);
	return err;
}
