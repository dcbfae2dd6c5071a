// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The network collector: connect and accept at syscall exit (arguments from
 * the saved registers, endpoints from the socket behind the fd), and the
 * TCP lifecycle from sock:inet_sock_set_state: one event when a connection
 * reaches CLOSE, with both endpoints, its duration and its byte counts.
 *
 * The close often runs in softirq context, on behalf of no one: the
 * connection's owner is remembered where it is known, in process context
 * (the connect that moves it to SYN_SENT; the accept that returns it), and
 * the close event carries that identity.
 */
#include "observe.bpf.h"
#include <bpf/bpf_endian.h>
#include "net.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define EAGAIN 11
#define EINPROGRESS 115
#define ERESTARTSYS 512		/* 512-516: the call is restarted, and seen again */
#define ERESTART_LAST 516

static __always_inline bool will_restart(long ret)
{
	return ret <= -ERESTARTSYS && ret >= -ERESTART_LAST;
}

/* Global network filters (observe_filter's port_mode and cidr_*). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OBSERVE_FILTER_ENTRIES);
	__type(key, __u16);
	__type(value, __u8);
} observe_filter_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, OBSERVE_CIDR_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct observe_cidr_key);
	__type(value, __u8);	/* OBSERVE_FILTER_ALLOW or OBSERVE_FILTER_DENY */
} observe_filter_cidrs SEC(".maps");

/* Each thread's connect in progress: when it began (for the latency), and
 * the source address the kernel chose (a refused connect has it reset to
 * the wildcard by its return). */
struct connect_start {
	__u64 ns;
	struct observe_endpoint local;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);	/* pid_tgid */
	__type(value, struct connect_start);
} connect_starts SEC(".maps");

/* tcp_state runs in softirq, where it may interrupt a program building its
 * event in the shared scratch: it builds its own here. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct observe_tcp_event);
} tcp_scratch SEC(".maps");

/* TCP connections seen starting while a reader was attached. */
struct tcp_conn {
	__u64 start_ns;
	__u8 origin;		/* enum observe_tcp_origin */
	__u8 has_owner;
	__u8 pad[6];
	struct observe_event_header owner;	/* identity fields only */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, OBSERVE_TCP_CONNS);
	__type(key, __u64);	/* struct sock address */
	__type(value, struct tcp_conn);
} tcp_conns SEC(".maps");

static __always_inline bool net_passes(const struct observe_filter *f, __u16 family,
				       const struct observe_endpoint *local,
				       const struct observe_endpoint *remote)
{
	if (!f)
		return true;
	if (f->port_mode) {
		bool member = bpf_map_lookup_elem(&observe_filter_ports, &local->port) ||
			      bpf_map_lookup_elem(&observe_filter_ports, &remote->port);

		if (!observe_set_passes(f->port_mode, member))
			return false;
	}
	if (f->cidr_on) {
		struct observe_cidr_key key = { .prefixlen = 128 };
		__u8 verdict = f->cidr_default, *action = NULL;

		if (family == AF_INET) {
			key.addr[10] = 0xff;
			key.addr[11] = 0xff;
			__builtin_memcpy(&key.addr[12], remote->addr, 4);
			action = bpf_map_lookup_elem(&observe_filter_cidrs, &key);
		} else if (family == AF_INET6) {
			__builtin_memcpy(key.addr, remote->addr, 16);
			action = bpf_map_lookup_elem(&observe_filter_cidrs, &key);
		}
		if (action)
			verdict = *action;
		if (verdict != OBSERVE_FILTER_ALLOW)
			return false;
	}
	return true;
}

/* The tail of every network event: the network filters, then out. */
static __always_inline void net_submit(struct observe_event_ctx *ev, __u16 family,
				       const struct observe_endpoint *local,
				       const struct observe_endpoint *remote, __u64 size)
{
	if (!net_passes(observe_global_filter(), family, local, remote)) {
		ev->stats->filtered++;
		return;
	}
	observe_event_submit(ev, size);
}

/* Both endpoints of a socket, from its common part (any address family). */
static __always_inline __u16 endpoints_of(const struct sock *sk, struct observe_endpoint *local,
					  struct observe_endpoint *remote)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	/* inet_sport, not skc_num: TCP gives the port back before the state
	 * change to CLOSE, and skc_num reads 0 there. */
	local->port = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	remote->port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	/* The casts give BPF_CORE_READ_INTO the size to copy. */
	if (family == AF_INET) {
		BPF_CORE_READ_INTO((__u32 *)local->addr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)remote->addr, sk, __sk_common.skc_daddr);
	} else if (family == AF_INET6) {
		BPF_CORE_READ_INTO((struct in6_addr *)local->addr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO((struct in6_addr *)remote->addr, sk, __sk_common.skc_v6_daddr);
	}
	return family;
}

/* The socket behind the current task's fd, or NULL. */
static __always_inline struct sock *sock_of_fd(long fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file **fds, *file = NULL;
	struct fdtable *fdt;
	struct socket *sock;

	if (fd < 0)
		return NULL;
	fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	return BPF_CORE_READ(sock, sk);
}

SEC("tp/syscalls/sys_enter_connect")
int connect_enter(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct connect_start start = {};

	if (!observe_reader_mask())
		return 0;
	start.ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&connect_starts, &id, &start, BPF_ANY);
	return 0;
}

/* The remote address connect() was asked for, from user memory. */
static __always_inline __u16 sockaddr_endpoint(const void *uaddr, long addrlen,
					       struct observe_endpoint *ep)
{
	union {
		__u16 family;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} sa = {};
	long err;

	/* Constant sizes for the verifier: an IPv4 address is 16 bytes. */
	if (addrlen < (long)sizeof(sa.in))
		return 0;
	if (addrlen < (long)sizeof(sa))
		err = bpf_probe_read_user(&sa, sizeof(sa.in), uaddr);
	else
		err = bpf_probe_read_user(&sa, sizeof(sa), uaddr);
	if (err)
		return 0;
	if (sa.family == AF_INET) {
		ep->port = bpf_ntohs(sa.in.sin_port);
		__builtin_memcpy(ep->addr, &sa.in.sin_addr, 4);
	} else if (sa.family == AF_INET6) {
		ep->port = bpf_ntohs(sa.in6.sin6_port);
		__builtin_memcpy(ep->addr, &sa.in6.sin6_addr, 16);
	}
	return sa.family;
}

/* 0.0.0.0 or :: (the 16 bytes hold either, zero-filled). */
static __always_inline bool is_wildcard(const struct observe_endpoint *ep)
{
	__u8 any = 0;

	for (int i = 0; i < 16; i++)
		any |= ep->addr[i];
	return !any;
}

static __always_inline int report_connect(long ret)
{
	struct observe_event_ctx ev = {};
	struct observe_conn_event *e;
	__u64 id = bpf_get_current_pid_tgid(), latency = 0;
	struct observe_endpoint remote = {}, chosen = {};
	struct connect_start *start;
	struct pt_regs *regs;
	struct sock *sk;

	if (will_restart(ret))
		return 0;	/* reported when the restarted call returns */
	start = bpf_map_lookup_elem(&connect_starts, &id);
	if (start) {
		latency = bpf_ktime_get_ns() - start->ns;
		chosen = start->local;
		bpf_map_delete_elem(&connect_starts, &id);
	}
	e = (struct observe_conn_event *)observe_event_begin(&ev, OBSERVE_EV_CONNECT);
	if (!e)
		return 0;
	regs = observe_syscall_regs();
	e->fd = PT_REGS_PARM1_CORE_SYSCALL(regs);
	e->family = sockaddr_endpoint((const void *)PT_REGS_PARM2_CORE_SYSCALL(regs),
				      PT_REGS_PARM3_CORE_SYSCALL(regs), &remote);
	if (e->family != AF_INET && e->family != AF_INET6) {
		ev.stats->filtered++;	/* unix and other local sockets: not network */
		return 0;
	}
	e->remote = remote;
	__builtin_memset(&e->local, 0, sizeof(e->local));
	e->protocol = 0;
	sk = sock_of_fd(e->fd);
	if (sk) {
		struct observe_endpoint ignored;

		endpoints_of(sk, &e->local, &ignored);
		e->protocol = BPF_CORE_READ(sk, sk_protocol);
	}
	/* A refused TCP connect has its source address reset to the wildcard
	 * before it returns (tcp_disconnect); the port stays. The address
	 * chosen by SYN_SENT is the one its tcp_close event shows. */
	if (is_wildcard(&e->local) && !is_wildcard(&chosen))
		__builtin_memcpy(e->local.addr, chosen.addr, sizeof(chosen.addr));
	e->ret = ret;
	e->latency_ns = latency;
	if (ret < 0 && ret != -EINPROGRESS)
		e->hdr.flags |= OBSERVE_F_FAILED;
	net_submit(&ev, e->family, &e->local, &e->remote, sizeof(*e));
	return 0;
}

SEC("tp/syscalls/sys_exit_connect")
int connect_exit(struct trace_event_raw_sys_exit *ctx)
{
	return report_connect(ctx->ret);
}

/* A passive connection gets its owner when accept() returns it. */
static __always_inline void adopt_tcp_conn(struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct tcp_conn *conn = bpf_map_lookup_elem(&tcp_conns, &key);

	if (!conn || conn->has_owner)
		return;
	observe_identity_of_current(&conn->owner);
	conn->has_owner = 1;
}

static __always_inline int report_accept(long ret)
{
	struct observe_event_ctx ev = {};
	struct observe_conn_event *e;
	struct sock *sk;

	/* A non-blocking accept with nothing to accept, or one restarted. */
	if (ret == -EAGAIN || will_restart(ret) || !observe_reader_mask())
		return 0;
	sk = sock_of_fd(ret);
	if (sk)
		adopt_tcp_conn(sk);
	e = (struct observe_conn_event *)observe_event_begin(&ev, OBSERVE_EV_ACCEPT);
	if (!e)
		return 0;
	e->fd = PT_REGS_PARM1_CORE_SYSCALL(observe_syscall_regs());
	e->ret = ret;
	e->latency_ns = 0;
	e->family = 0;
	e->protocol = 0;
	__builtin_memset(&e->local, 0, sizeof(e->local));
	__builtin_memset(&e->remote, 0, sizeof(e->remote));
	if (sk) {
		e->family = endpoints_of(sk, &e->local, &e->remote);
		e->protocol = BPF_CORE_READ(sk, sk_protocol);
	}
	if (ret < 0) {
		e->hdr.flags |= OBSERVE_F_FAILED;
	} else if (e->family != AF_INET && e->family != AF_INET6) {
		ev.stats->filtered++;	/* unix and other local sockets: not network */
		return 0;
	}
	net_submit(&ev, e->family, &e->local, &e->remote, sizeof(*e));
	return 0;
}

SEC("tp/syscalls/sys_exit_accept")
int accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	return report_accept(ctx->ret);
}

SEC("tp/syscalls/sys_exit_accept4")
int accept4_exit(struct trace_event_raw_sys_exit *ctx)
{
	return report_accept(ctx->ret);
}

/* The same, tail-called by the syscalls collector's sys_exit program when
 * it is loaded (syscall_exits in syscalls.bpf.c): the loader uses these
 * or those. */
SEC("tp_btf/sys_exit")
int BPF_PROG(connect_exit_tail, struct pt_regs *regs, long ret)
{
	return report_connect(ret);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(accept_exit_tail, struct pt_regs *regs, long ret)
{
	return report_accept(ret);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(accept4_exit_tail, struct pt_regs *regs, long ret)
{
	return report_accept(ret);
}

static __always_inline void copy_identity(struct observe_event_header *dst,
					  const struct observe_event_header *src)
{
	dst->cgroup_id = src->cgroup_id;
	dst->pid = src->pid;
	dst->tid = src->tid;
	dst->ppid = src->ppid;
	dst->start_ns = src->start_ns;
	dst->parent_start_ns = src->parent_start_ns;
	dst->uid = src->uid;
	dst->gid = src->gid;
	__builtin_memcpy(dst->comm, src->comm, sizeof(dst->comm));
}

/* Starts following a connection: its start time, and its owner when the
 * state change runs in the owner's context (connect). */
/* SYN_SENT is set in the connecting task's connect(): the source address
 * is chosen by then (the port just after). */
static __always_inline void remember_connect_local(const struct sock *sk)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct connect_start *start = bpf_map_lookup_elem(&connect_starts, &id);
	struct observe_endpoint ignored;

	if (start)
		endpoints_of(sk, &start->local, &ignored);
}

static __always_inline void follow_tcp_conn(__u64 key, __u8 origin)
{
	struct tcp_conn conn = { .origin = origin };

	conn.start_ns = bpf_ktime_get_ns();
	if (origin == OBSERVE_TCP_ACTIVE) {
		observe_identity_of_current(&conn.owner);
		conn.has_owner = 1;
	}
	/* BPF_ANY: an entry left by an earlier socket at this address is stale. */
	bpf_map_update_elem(&tcp_conns, &key, &conn, BPF_ANY);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tcp_state, const struct sock *sk, const int oldstate, const int newstate)
{
	struct observe_event_ctx ev = {};
	const struct observe_filter *f = NULL;
	struct observe_event_header *h;
	struct observe_tcp_event *e;
	struct tcp_conn *conn;
	__u64 key = (__u64)sk;
	__u32 zero = 0;

	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	if (!observe_reader_mask()) {
		/* Nobody reads, but what we follow must not outlive its socket,
		 * whose address the kernel soon reuses. */
		if (newstate == TCP_CLOSE)
			bpf_map_delete_elem(&tcp_conns, &key);
		return 0;
	}
	if (newstate == TCP_SYN_SENT && oldstate == TCP_CLOSE) {
		follow_tcp_conn(key, OBSERVE_TCP_ACTIVE);
		remember_connect_local(sk);
		return 0;
	}
	if (newstate == TCP_ESTABLISHED && oldstate == TCP_SYN_RECV) {
		follow_tcp_conn(key, OBSERVE_TCP_PASSIVE);
		return 0;
	}
	if (newstate != TCP_CLOSE || oldstate == TCP_LISTEN)
		return 0;

	conn = bpf_map_lookup_elem(&tcp_conns, &key);
	h = observe_event_start_in(&ev, OBSERVE_EV_TCP_CLOSE, &f,
				   bpf_map_lookup_elem(&tcp_scratch, &zero));
	if (!h)
		goto forget;
	e = (struct observe_tcp_event *)h;
	if (conn && conn->has_owner) {
		copy_identity(h, &conn->owner);
	} else {
		__builtin_memset(&h->cgroup_id, 0, sizeof(h->cgroup_id));
		h->pid = h->tid = h->ppid = h->uid = h->gid = 0;
		h->start_ns = h->parent_start_ns = 0;
		__builtin_memset(h->comm, 0, sizeof(h->comm));
	}
	if (!observe_event_admit(&ev, f, h))
		goto forget;
	/* Whole endpoints: IPv4 fills 4 of the 16 address bytes. */
	__builtin_memset(&e->local, 0, sizeof(e->local));
	__builtin_memset(&e->remote, 0, sizeof(e->remote));
	e->family = endpoints_of(sk, &e->local, &e->remote);
	e->last_state = oldstate;
	e->origin = conn ? conn->origin : OBSERVE_TCP_UNKNOWN;
	e->duration_ns = conn ? bpf_ktime_get_ns() - conn->start_ns : 0;
	e->bytes_sent = BPF_CORE_READ((struct tcp_sock *)sk, bytes_acked);
	e->bytes_received = BPF_CORE_READ((struct tcp_sock *)sk, bytes_received);
	e->pad = 0;
	net_submit(&ev, e->family, &e->local, &e->remote, sizeof(*e));
forget:
	if (conn)
		bpf_map_delete_elem(&tcp_conns, &key);
	return 0;
}
