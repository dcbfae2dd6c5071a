// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The TLS collector: uprobes on the plaintext side of OpenSSL and GnuTLS.
 * An entry probe notes the call (connection, buffer, where the _ex functions
 * put their length); its return probe reads how much plaintext moved and
 * copies it out, in records of at most OBSERVE_TLS_CHUNK bytes, into the TLS
 * slots only. The loader attaches these programs to each library and binary
 * by symbol (loader/tls_targets.c).
 */
#include "observe.bpf.h"
#include "tls.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* --tls-max: plaintext bytes captured per call; the rest is counted. */
const volatile __u32 capture_max = OBSERVE_TLS_DEFAULT_CAPTURE;
/* Bit N: TLS slot N exists (observe_slot_bits for the TLS family). */
const volatile __u64 observe_tls_slot_bits = 0;

/* The TLS slot family: the same protocol as the event slots (observe.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, OBSERVE_MAX_SLOTS);
	__type(key, __u32);
	__array(values, struct observe_ring);
} observe_tls_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OBSERVE_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct observe_slot_cfg);
} observe_tls_slot_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct observe_readers);
} observe_tls_readers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OBSERVE_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct observe_slot_stats);
} observe_tls_slot_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct observe_tls_stats);
} observe_tls_stats SEC(".maps");

/* Written by the loader only; declared here so that they have BTF. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OBSERVE_TLS_MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct observe_tls_target);
} observe_tls_targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct observe_tls_info);
} observe_tls_info SEC(".maps");

/* A call between its entry and its return, per thread, or per goroutine in
 * Go (a goroutine moves between threads while it waits for the network).
 * LRU: a thread that dies inside a call leaves its entry, which must not
 * fill the table. A call made inside another on the same thread (TLS
 * through a TLS proxy) replaces the outer one, whose return then finds
 * nothing. */
struct tls_call_key {
	__u64 task;		/* pid_tgid; Go: the tgid alone */
	__u64 goroutine;	/* Go: its g; 0 for a thread */
};

struct tls_call {
	__u64 conn;
	__u64 buf;
	__u64 len_ptr;		/* size_t * of the _ex functions; 0 for the others */
	__u64 start_ns;
	__u32 func;		/* enum observe_tls_func */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct tls_call_key);
	__type(value, struct tls_call);
} tls_calls SEC(".maps");

/* The server name (SNI) each client connection asked for, noted where the
 * client sets it (OpenSSL, GnuTLS, BoringSSL) or read from a Go *tls.Conn at
 * each call, whether or not a TLS reader is attached (a reader that comes
 * later sees the names of connections already open). Forgotten when the
 * connection is freed (SSL_free, gnutls_deinit) so that a new one at the
 * same address does not inherit it; LRU for those never freed. */
struct tls_conn_key {
	__u64 conn;
	__u32 tgid;
	__u32 pad;
};

struct tls_server_name {
	__u64 source;		/* Go: the address of the string read; 0 for the others */
	__u8 len;
	__u8 cut;		/* longer than OBSERVE_TLS_SNI_MAX */
	__u8 pad[6];
	char name[OBSERVE_TLS_SNI_MAX + 1];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct tls_conn_key);
	__type(value, struct tls_server_name);
} tls_server_names SEC(".maps");

/* What each record of one call shares, for the chunk loop: the record's
 * fixed part is kept here and written into the scratch for every record, so
 * that a task preempting this one on the CPU (uprobe programs run with
 * migration, not preemption, disabled) cannot lend its identity to the rest. */
struct chunk_loop {
	__u64 buf;
	__u64 capture;		/* min(call_len, capture_max) */
	struct tls_conn_key conn;	/* whose server name each record carries */
	struct observe_tls_event fixed;	/* last: its data[] is empty */
};

static __always_inline __u64 tls_reader_mask(void)
{
	return observe_readers_in(&observe_tls_readers, observe_tls_slot_bits);
}

static __always_inline struct observe_tls_stats *tls_stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&observe_tls_stats, &zero);
}

/* The readers are read again: one may have left, or come, during a long call. */
static __always_inline void tls_submit(struct observe_event_ctx *ev, __u64 size)
{
	observe_submit_to(ev, size,
			  sizeof(struct observe_tls_event) + OBSERVE_TLS_SNI_MAX + OBSERVE_TLS_CHUNK,
			  tls_reader_mask(), &observe_tls_slots, &observe_tls_slot_cfg,
			  &observe_tls_slot_stats);
}

static __always_inline struct tls_call_key thread_key(void)
{
	struct tls_call_key key = { .task = bpf_get_current_pid_tgid() };

	return key;
}

static __always_inline struct tls_conn_key conn_key(__u64 conn)
{
	struct tls_conn_key key = { .conn = conn, .tgid = bpf_get_current_pid_tgid() >> 32 };

	return key;
}

/* Copies the connection's server name to dst; returns its length. The name
 * is looked up again for each record: a pointer into the map cannot cross
 * into the bpf_loop callback. */
static __always_inline __u32 copy_server_name(const struct tls_conn_key *key, void *dst, __u8 *cut)
{
	struct tls_server_name *name = bpf_map_lookup_elem(&tls_server_names, key);
	__u32 len;

	if (!name)
		return 0;
	len = name->len;
	if (len > OBSERVE_TLS_SNI_MAX)
		return 0;
	if (len && bpf_probe_read_kernel(dst, len, name->name))
		return 0;
	*cut = name->cut;
	return len;
}

/* Nobody reads TLS: the call is not even noted, its return finds nothing. */
static __always_inline int call_enter_as(struct tls_call_key *key, __u32 func, const void *conn,
					 const void *buf, const void *len_ptr)
{
	struct tls_call call = {
		.conn = (__u64)conn,
		.buf = (__u64)buf,
		.len_ptr = (__u64)len_ptr,
		.func = func,
	};

	if (!tls_reader_mask())
		return 0;
	call.start_ns = bpf_ktime_get_boot_ns();
	if (bpf_map_update_elem(&tls_calls, key, &call, BPF_ANY)) {
		struct observe_tls_stats *stats = tls_stats();

		if (stats)
			stats->lost_calls++;
	}
	return 0;
}

static __always_inline int call_enter(__u32 func, const void *conn, const void *buf,
				      const void *len_ptr)
{
	struct tls_call_key key = thread_key();

	return call_enter_as(&key, func, conn, buf, len_ptr);
}

/* Takes the call noted at entry out of the table into *call. */
static __always_inline bool call_taken_as(struct tls_call_key *key, struct tls_call *call)
{
	struct tls_call *c = bpf_map_lookup_elem(&tls_calls, key);

	if (!c)
		return false;
	*call = *c;
	bpf_map_delete_elem(&tls_calls, key);
	return true;
}

static __always_inline bool call_taken(struct tls_call *call)
{
	struct tls_call_key key = thread_key();

	return call_taken_as(&key, call);
}

/* One record of a call: bytes [i * CHUNK, ...) of its captured part. */
static long emit_chunk(__u32 i, void *ctx)
{
	struct chunk_loop *loop = ctx;
	struct observe_event_ctx ev = {};
	struct observe_tls_stats *stats;
	struct observe_tls_event *e;
	__u32 zero = 0, type = OBSERVE_EV_TLS_DATA, sni_len;
	__u64 off = (__u64)i * OBSERVE_TLS_CHUNK, n = 0;
	__u8 cut = 0;

	e = bpf_map_lookup_elem(&scratch, &zero);
	ev.stats = bpf_map_lookup_elem(&observe_stats, &type);
	stats = tls_stats();
	if (!e || !ev.stats || !stats)
		return 1;
	if (off < loop->capture)
		n = loop->capture - off;
	if (n > OBSERVE_TLS_CHUNK)
		n = OBSERVE_TLS_CHUNK;
	barrier_var(n);
	if (n > OBSERVE_TLS_CHUNK)
		return 1;
	*e = loop->fixed;
	sni_len = copy_server_name(&loop->conn, e->data, &cut);
	barrier_var(sni_len);
	if (sni_len > OBSERVE_TLS_SNI_MAX)
		return 1;
	e->sni_len = sni_len;
	e->sni_cut = cut;
	e->offset = off;
	e->chunk = i;
	e->more = off + n < loop->capture;
	e->missing = e->more ? 0 : e->call_len - loop->capture;
	e->data_len = n;
	if (n && bpf_probe_read_user(e->data + sni_len, n, (const void *)(loop->buf + off))) {
		/* Not in memory now (swapped out): counted, never faulted in. */
		n = 0;
		e->data_len = 0;
		e->missing += n;
		e->hdr.flags |= OBSERVE_F_INCOMPLETE;
	}
	if (e->missing)
		e->hdr.flags |= OBSERVE_F_TRUNCATED;
	stats->records++;
	stats->captured += e->data_len;
	stats->missing += e->missing;
	ev.hdr = &e->hdr;
	/* The size from the bounded locals: 6.1's verifier loses a bound read
	 * back from the map value. */
	tls_submit(&ev, sizeof(*e) + sni_len + n);
	return 0;
}

/* The plaintext of a call that moved 'len' bytes, in as many records as it takes. */
static __always_inline void emit_data(const struct tls_call *call, __u64 len, __u8 direction)
{
	const struct observe_filter *f = NULL;
	struct observe_event_ctx ev = {};
	struct observe_tls_stats *stats;
	struct observe_tls_event *e;
	struct chunk_loop loop;
	__u32 zero = 0;
	__u64 chunks;

	e = (struct observe_tls_event *)observe_event_start_for(
		&ev, OBSERVE_EV_TLS_DATA, &f, bpf_map_lookup_elem(&scratch, &zero), tls_reader_mask());
	if (!e)
		return;
	observe_identity_of_current(&e->hdr);
	if (!observe_event_admit(&ev, f, &e->hdr))
		return;
	stats = tls_stats();
	if (stats) {
		stats->calls++;
		stats->bytes += len;
	}
	e->conn = call->conn;
	e->latency_ns = e->hdr.ts_ns - call->start_ns;
	e->call_len = len;
	e->func = call->func;
	e->direction = direction;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	loop.fixed = *e;
	loop.conn = conn_key(call->conn);
	loop.buf = call->buf;
	loop.capture = len < capture_max ? len : capture_max;
	/* --tls-max=0 still says that the call happened, in one empty record. */
	chunks = loop.capture ? (loop.capture + OBSERVE_TLS_CHUNK - 1) / OBSERVE_TLS_CHUNK : 1;
	bpf_loop(chunks, emit_chunk, &loop, 0);
}

/* The return of SSL_write, SSL_read, gnutls_record_send/recv: 'ret' bytes. */
static __always_inline int data_return(long ret, __u8 direction)
{
	struct tls_call call;

	if (!call_taken(&call) || ret <= 0)
		return 0;
	emit_data(&call, ret, direction);
	return 0;
}

/* The return of SSL_write_ex, SSL_read_ex: 1 and the length in *len_ptr. */
static __always_inline int data_ex_return(int ret, __u8 direction)
{
	struct tls_call call;
	__u64 len = 0;

	if (!call_taken(&call) || ret != 1)
		return 0;
	if (bpf_probe_read_user(&len, sizeof(len), (const void *)call.len_ptr) || !len)
		return 0;
	emit_data(&call, len, direction);
	return 0;
}

static __always_inline int handshake_return(long ret)
{
	const struct observe_filter *f = NULL;
	struct observe_tls_handshake_event *e;
	struct observe_event_ctx ev = {};
	struct observe_tls_stats *stats;
	struct tls_conn_key key;
	struct tls_call call;
	__u32 zero = 0, sni_len;
	__u8 cut = 0;

	if (!call_taken(&call))
		return 0;
	e = (struct observe_tls_handshake_event *)observe_event_start_for(
		&ev, OBSERVE_EV_TLS_HANDSHAKE, &f, bpf_map_lookup_elem(&scratch, &zero),
		tls_reader_mask());
	if (!e)
		return 0;
	observe_identity_of_current(&e->hdr);
	if (!observe_event_admit(&ev, f, &e->hdr))
		return 0;
	stats = tls_stats();
	if (stats)
		stats->handshakes++;
	e->conn = call.conn;
	e->latency_ns = e->hdr.ts_ns - call.start_ns;
	e->ret = ret;
	e->func = call.func;
	e->pad = 0;
	key = conn_key(call.conn);
	sni_len = copy_server_name(&key, e->sni, &cut);
	barrier_var(sni_len);
	if (sni_len > OBSERVE_TLS_SNI_MAX)
		return 0;
	e->sni_len = sni_len;
	e->sni_cut = cut;
	tls_submit(&ev, sizeof(*e) + sni_len);
	return 0;
}

/* OpenSSL: int SSL_write(SSL *, const void *, int), int SSL_read(SSL *, void *, int). */
SEC("uprobe")
int BPF_KPROBE(ssl_write_entry, void *ssl, const void *buf)
{
	return call_enter(OBSERVE_TLS_SSL_WRITE, ssl, buf, NULL);
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_write_return, int ret)
{
	return data_return(ret, OBSERVE_TLS_SENT);
}

SEC("uprobe")
int BPF_KPROBE(ssl_read_entry, void *ssl, void *buf)
{
	return call_enter(OBSERVE_TLS_SSL_READ, ssl, buf, NULL);
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_read_return, int ret)
{
	return data_return(ret, OBSERVE_TLS_RECEIVED);
}

/* int SSL_write_ex(SSL *, const void *, size_t, size_t *written),
 * int SSL_read_ex(SSL *, void *, size_t, size_t *readbytes). */
SEC("uprobe")
int BPF_KPROBE(ssl_write_ex_entry, void *ssl, const void *buf, __u64 num, __u64 *written)
{
	return call_enter(OBSERVE_TLS_SSL_WRITE_EX, ssl, buf, written);
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_write_ex_return, int ret)
{
	return data_ex_return(ret, OBSERVE_TLS_SENT);
}

SEC("uprobe")
int BPF_KPROBE(ssl_read_ex_entry, void *ssl, void *buf, __u64 num, __u64 *readbytes)
{
	return call_enter(OBSERVE_TLS_SSL_READ_EX, ssl, buf, readbytes);
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_read_ex_return, int ret)
{
	return data_ex_return(ret, OBSERVE_TLS_RECEIVED);
}

/* int SSL_do_handshake(SSL *): SSL_connect and SSL_accept call it too. */
SEC("uprobe")
int BPF_KPROBE(ssl_handshake_entry, void *ssl)
{
	return call_enter(OBSERVE_TLS_SSL_DO_HANDSHAKE, ssl, NULL, NULL);
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_handshake_return, int ret)
{
	return handshake_return(ret);
}

/* GnuTLS: ssize_t gnutls_record_send(gnutls_session_t, const void *, size_t),
 * ssize_t gnutls_record_recv(gnutls_session_t, void *, size_t). */
SEC("uprobe")
int BPF_KPROBE(gnutls_send_entry, void *session, const void *data)
{
	return call_enter(OBSERVE_TLS_GNUTLS_RECORD_SEND, session, data, NULL);
}

SEC("uretprobe")
int BPF_KRETPROBE(gnutls_send_return, long ret)
{
	return data_return(ret, OBSERVE_TLS_SENT);
}

SEC("uprobe")
int BPF_KPROBE(gnutls_recv_entry, void *session, void *data)
{
	return call_enter(OBSERVE_TLS_GNUTLS_RECORD_RECV, session, data, NULL);
}

SEC("uretprobe")
int BPF_KRETPROBE(gnutls_recv_return, long ret)
{
	return data_return(ret, OBSERVE_TLS_RECEIVED);
}

/* int gnutls_handshake(gnutls_session_t) */
SEC("uprobe")
int BPF_KPROBE(gnutls_handshake_entry, void *session)
{
	return call_enter(OBSERVE_TLS_GNUTLS_HANDSHAKE, session, NULL, NULL);
}

SEC("uretprobe")
int BPF_KRETPROBE(gnutls_handshake_return, int ret)
{
	return handshake_return(ret);
}

/* Notes the server name a client sets on a connection: 'len' bytes at
 * 'name', or up to its NUL when len < 0. */
static __always_inline int name_set(const void *conn, const char *name, long len, __u64 source)
{
	struct tls_conn_key key = conn_key((__u64)conn);
	struct tls_server_name v = { .source = source };
	struct observe_tls_stats *stats;
	long n;

	if (!conn || !name)
		return 0;
	if (len < 0) {
		n = bpf_probe_read_user_str(v.name, sizeof(v.name), name);
		if (n <= 0)
			return 0;
		v.len = n - 1;
		/* As long as the buffer: the name may go on. */
		if (n == sizeof(v.name)) {
			char next = 0;

			bpf_probe_read_user(&next, 1, name + OBSERVE_TLS_SNI_MAX);
			v.cut = next != 0;
		}
	} else {
		n = len < OBSERVE_TLS_SNI_MAX ? len : OBSERVE_TLS_SNI_MAX;
		barrier_var(n);
		if (n <= 0 || n > OBSERVE_TLS_SNI_MAX || bpf_probe_read_user(v.name, n, name))
			return 0;
		v.len = n;
		v.cut = len > OBSERVE_TLS_SNI_MAX;
	}
	bpf_map_update_elem(&tls_server_names, &key, &v, BPF_ANY);
	stats = tls_stats();
	if (stats)
		stats->server_names++;
	return 0;
}

static __always_inline int name_forget(const void *conn)
{
	struct tls_conn_key key = conn_key((__u64)conn);

	bpf_map_delete_elem(&tls_server_names, &key);
	return 0;
}

/* long SSL_ctrl(SSL *, int cmd, long larg, void *parg): the macro
 * SSL_set_tlsext_host_name(s, name) is SSL_ctrl(s, 55, 0, name). */
SEC("uprobe")
int BPF_KPROBE(ssl_ctrl_entry, void *ssl, int cmd, long larg, const char *parg)
{
	if (cmd != OBSERVE_TLS_SSL_CTRL_SET_TLSEXT_HOSTNAME)
		return 0;
	return name_set(ssl, parg, -1, 0);
}

/* BoringSSL: int SSL_set_tlsext_host_name(SSL *, const char *name) */
SEC("uprobe")
int BPF_KPROBE(ssl_set_host_name_entry, void *ssl, const char *name)
{
	return name_set(ssl, name, -1, 0);
}

/* void SSL_free(SSL *) */
SEC("uprobe")
int BPF_KPROBE(ssl_free_entry, void *ssl)
{
	return name_forget(ssl);
}

/* int gnutls_server_name_set(gnutls_session_t, gnutls_server_name_type_t,
 * const void *name, size_t name_length): type 1 is GNUTLS_NAME_DNS. */
SEC("uprobe")
int BPF_KPROBE(gnutls_server_name_set_entry, void *session, int type, const char *name, __u64 len)
{
	if (type != 1)
		return 0;
	return name_set(session, name, len, 0);
}

/* void gnutls_deinit(gnutls_session_t) */
SEC("uprobe")
int BPF_KPROBE(gnutls_deinit_entry, void *session)
{
	return name_forget(session);
}

/*
 * Go's crypto/tls: func (c *Conn) Write(b []byte) (int, error) and
 * func (c *Conn) Read(b []byte) (int, error), in Go's register ABI
 * (ABIInternal, go1.17 and later): c, b's pointer, length and capacity in
 * the first four integer registers, the int result in the first; the
 * running goroutine's g in a register of its own. The return programs sit
 * on each return instruction of the function, where its results are in
 * those registers; a call is paired by goroutine.
 */
#if defined(__TARGET_ARCH_x86)
#define GO_ARG1(ctx) ((ctx)->ax)
#define GO_ARG2(ctx) ((ctx)->bx)
#define GO_G(ctx) ((ctx)->r14)
#elif defined(__TARGET_ARCH_arm64)
#define GO_ARG1(ctx) (((struct user_pt_regs *)(ctx))->regs[0])
#define GO_ARG2(ctx) (((struct user_pt_regs *)(ctx))->regs[1])
#define GO_G(ctx) (((struct user_pt_regs *)(ctx))->regs[28])
#endif
#define GO_RET1(ctx) GO_ARG1(ctx)

static __always_inline struct tls_call_key goroutine_key(struct pt_regs *ctx)
{
	struct tls_call_key key = {
		.task = bpf_get_current_pid_tgid() >> 32,
		.goroutine = GO_G(ctx),
	};

	return key;
}

/* The entry runs again when the goroutine's stack had to grow (the
 * prologue calls morestack and starts over): the same key, the same call. */
static __always_inline int go_enter(struct pt_regs *ctx, __u32 func)
{
	struct tls_call_key key = goroutine_key(ctx);

	return call_enter_as(&key, func, (const void *)GO_ARG1(ctx), (const void *)GO_ARG2(ctx),
			     NULL);
}

/* A Go string's header. */
struct go_string {
	__u64 ptr;
	__s64 len;
};

/* The connection's server name, from the Conn's serverName field (set by
 * the handshake, on both sides): the loader gives its offset, from the
 * binary's DWARF, as the probe's cookie (+1; 0: not known). Go strings are
 * immutable: the same address is the same name, read once. */
static __always_inline void go_note_server_name(struct pt_regs *ctx, __u64 conn)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	struct tls_conn_key key = conn_key(conn);
	struct tls_server_name *known;
	struct go_string s;

	if (!cookie || bpf_probe_read_user(&s, sizeof(s), (const void *)(conn + cookie - 1)))
		return;
	known = bpf_map_lookup_elem(&tls_server_names, &key);
	if (s.len <= 0 || !s.ptr) {
		if (known)	/* a new Conn where an old one was */
			name_forget((const void *)conn);
		return;
	}
	if (!known || known->source != s.ptr)
		name_set((const void *)conn, (const char *)s.ptr, s.len, s.ptr);
}

static __always_inline int go_return(struct pt_regs *ctx, __u8 direction)
{
	struct tls_call_key key = goroutine_key(ctx);
	long ret = GO_RET1(ctx);
	struct tls_call call;

	if (!call_taken_as(&key, &call) || ret <= 0)
		return 0;
	go_note_server_name(ctx, call.conn);
	emit_data(&call, ret, direction);
	return 0;
}

SEC("uprobe")
int go_write_entry(struct pt_regs *ctx)
{
	return go_enter(ctx, OBSERVE_TLS_GO_WRITE);
}

/* At each RET of (*Conn).Write. */
SEC("uprobe")
int go_write_return(struct pt_regs *ctx)
{
	return go_return(ctx, OBSERVE_TLS_SENT);
}

SEC("uprobe")
int go_read_entry(struct pt_regs *ctx)
{
	return go_enter(ctx, OBSERVE_TLS_GO_READ);
}

/* At each RET of (*Conn).Read: n may come with an error (io.EOF). */
SEC("uprobe")
int go_read_return(struct pt_regs *ctx)
{
	return go_return(ctx, OBSERVE_TLS_RECEIVED);
}
