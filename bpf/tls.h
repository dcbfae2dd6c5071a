/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ABI of the TLS collector (tls.bpf.c): the plaintext that programs pass to
 * OpenSSL and GnuTLS, seen by uprobes on their record functions.
 *
 * Plaintext holds secrets, so its records go only to the TLS ring slots,
 * which live under OBSERVE_TLS_SUBDIR (lib/pins.h), owned by a group of
 * their own (default observe-tls). The slot protocol is the events' one (observe.h)
 * with its own maps; the counters about TLS stay readable by group observe.
 */
#ifndef OBSERVE_TLS_H
#define OBSERVE_TLS_H

#include "observe.h"

#define OBSERVE_TLS_DEFAULT_SLOTS 2
#define OBSERVE_TLS_DEFAULT_RING_SIZE (8u << 20)	/* a burst of full 16 KiB records */
#define OBSERVE_TLS_DEFAULT_CAPTURE (16u << 10)	/* --tls-max: bytes captured per call */
#define OBSERVE_TLS_MAX_CAPTURE (16u << 20)
#define OBSERVE_TLS_CHUNK 16384			/* data bytes in one record at most */
#define OBSERVE_TLS_MAX_TARGETS 32		/* libraries and binaries probed */
#define OBSERVE_TLS_PATH_MAX 256
/* Go functions are left at each of their return instructions (no
 * uretprobe: it rewrites the return address on a goroutine's stack, which
 * the Go runtime may move); a function with more is not probed. */
#define OBSERVE_TLS_MAX_RETURNS 16
/* The server name a client asked for (SNI) is kept up to this many bytes
 * (a DNS name has at most 253); a longer one is cut and flagged. */
#define OBSERVE_TLS_SNI_MAX 255
#define OBSERVE_TLS_SSL_CTRL_SET_TLSEXT_HOSTNAME 55	/* OpenSSL's cmd of SSL_ctrl */

/* The probed functions; a record says which one it came from. */
enum observe_tls_func {
	OBSERVE_TLS_SSL_WRITE = 0,
	OBSERVE_TLS_SSL_READ = 1,
	OBSERVE_TLS_SSL_WRITE_EX = 2,
	OBSERVE_TLS_SSL_READ_EX = 3,
	OBSERVE_TLS_SSL_DO_HANDSHAKE = 4,
	OBSERVE_TLS_GNUTLS_RECORD_SEND = 5,
	OBSERVE_TLS_GNUTLS_RECORD_RECV = 6,
	OBSERVE_TLS_GNUTLS_HANDSHAKE = 7,
	OBSERVE_TLS_GO_WRITE = 8,		/* crypto/tls.(*Conn).Write */
	OBSERVE_TLS_GO_READ = 9,		/* crypto/tls.(*Conn).Read */
	/* Where a client names the server (SNI), and where a connection ends. */
	OBSERVE_TLS_SSL_CTRL = 10,		/* SSL_set_tlsext_host_name is a macro of it */
	OBSERVE_TLS_SSL_SET_HOST_NAME = 11,	/* BoringSSL's SSL_set_tlsext_host_name */
	OBSERVE_TLS_SSL_FREE = 12,
	OBSERVE_TLS_GNUTLS_SERVER_NAME_SET = 13,
	OBSERVE_TLS_GNUTLS_DEINIT = 14,
	OBSERVE_TLS_FUNC_COUNT,
};

enum observe_tls_library {
	OBSERVE_TLS_OPENSSL = 0,
	OBSERVE_TLS_GNUTLS = 1,
	OBSERVE_TLS_GO = 2,		/* Go's crypto/tls, in a Go binary */
	OBSERVE_TLS_BORINGSSL = 3,	/* OpenSSL's SSL_* API, linked in without symbols */
	OBSERVE_TLS_LIBRARY_COUNT,
};

enum observe_tls_direction {
	OBSERVE_TLS_SENT = 0,		/* written by the program, encrypted after */
	OBSERVE_TLS_RECEIVED = 1,	/* decrypted, read by the program */
};

/*
 * type OBSERVE_EV_TLS_DATA: bytes [offset, offset + data_len) of one call's
 * plaintext, after the connection's server name (SNI) if one is known:
 * data[0, sni_len) is the name, data[sni_len, sni_len + data_len) the
 * plaintext. Every record carries the name, so that each stands alone. A call whose plaintext is longer than a record holds comes as
 * continuation records with rising offsets and one seq each; 'more' is set
 * on every record but the call's last. Nothing is cut silently: 'missing'
 * counts the bytes of this record's share that were not captured (beyond
 * --tls-max, on the last record, or a read of the program's memory that
 * failed), so over a call's records, sum(data_len + missing) == call_len.
 * header.flags has OBSERVE_F_TRUNCATED when missing > 0.
 */
struct observe_tls_event {
	struct observe_event_header hdr;
	__u64 conn;		/* the SSL *, gnutls_session_t or Go *tls.Conn: one per connection */
	__u64 latency_ns;	/* of the whole call */
	__u64 call_len;		/* plaintext bytes the call moved */
	__u64 offset;		/* of data[0] within the call */
	__u64 missing;		/* bytes of this record's share not captured */
	__u32 data_len;		/* bytes in data[] */
	__u16 chunk;		/* the record's index within the call */
	__u8 func;		/* enum observe_tls_func */
	__u8 direction;		/* enum observe_tls_direction */
	__u8 more;		/* another record of this call follows */
	__u8 sni_len;		/* bytes of server name at the start of data[] */
	__u8 sni_cut;		/* the name was longer than OBSERVE_TLS_SNI_MAX */
	__u8 pad[5];
	__u8 data[];		/* server name, then plaintext */
};

/* type OBSERVE_EV_TLS_HANDSHAKE: an explicit handshake call returned;
 * sni[0, sni_len) is the connection's server name, if one is known. */
struct observe_tls_handshake_event {
	struct observe_event_header hdr;
	__u64 conn;
	__u64 latency_ns;
	__s32 ret;		/* what the function returned (1 or 0: done; <0: error or retry) */
	__u8 func;		/* enum observe_tls_func */
	__u8 sni_len;
	__u8 sni_cut;
	__u8 pad;
	__u8 sni[];
};

_Static_assert(sizeof(struct observe_tls_event) % 8 == 0, "records stay 8-byte aligned");
_Static_assert(OBSERVE_TLS_SNI_MAX < 256, "sni_len is a byte");

/* observe_tls_stats, per CPU, one entry: readable by group observe. */
#define OBSERVE_TLS_COUNTERS(X)									\
	X(calls)	/* data calls that returned plaintext, while a TLS reader was attached */	\
	X(bytes)	/* plaintext bytes those calls moved */						\
	X(captured)	/* of which captured into records */						\
	X(missing)	/* of which not captured (beyond --tls-max, failed reads) */			\
	X(records)	/* data records built (continuations included) */				\
	X(handshakes)	/* handshake calls seen */							\
	X(lost_calls)	/* calls not followed: the table of calls in flight was full */	\
	X(server_names)	/* server names (SNI) noted, readers or not */
struct observe_tls_stats {
	OBSERVE_TLS_COUNTERS(OBSERVE_COUNTER_FIELD)
};

/* What the loader did with one function of one target. */
enum observe_tls_attach {
	OBSERVE_TLS_NOT_TRIED = 0,	/* not a function of this target's library */
	OBSERVE_TLS_ATTACHED = 1,
	OBSERVE_TLS_MISSING = 2,	/* the target has no such symbol */
	OBSERVE_TLS_FAILED = 3,		/* the kernel refused: err says why */
};

/* How a target's functions were found, or why none was probed (note). */
enum observe_tls_found_by {
	OBSERVE_TLS_BY_SYMBOL = 0,
	OBSERVE_TLS_BY_SIGNATURE = 1,	/* BoringSSL's own code, without symbols */
	OBSERVE_TLS_NOTHING_FOUND = 2,	/* nothing trustworthy: nothing probed */
	OBSERVE_TLS_NO_FILE = 3,	/* a --tls-binary pattern that matches no file now */
	OBSERVE_TLS_NOT_PROBED = 4,	/* a file the pattern matched that cannot be (note) */
};

#define OBSERVE_TLS_NOTE_MAX 160

/* observe_tls_targets, array: one entry per library or binary the loader
 * probed (path[0] == 0: unused). Written by the loader; readable by observe. */
struct observe_tls_target {
	char path[OBSERVE_TLS_PATH_MAX];
	__u64 dev;		/* of the file probed: a replaced library is another file */
	__u64 ino;
	__u32 library;		/* enum observe_tls_library */
	__u32 from_user;	/* 1: given with --tls-binary; 0: found in the loader's cache */
	__u8 status[OBSERVE_TLS_FUNC_COUNT];	/* enum observe_tls_attach, per function */
	__s32 err[OBSERVE_TLS_FUNC_COUNT];	/* errno of a failed attach */
	__u32 found_by;		/* enum observe_tls_found_by */
	__u32 pad;
	__u64 addr[OBSERVE_TLS_FUNC_COUNT];	/* by signature: each function's address */
	char note[OBSERVE_TLS_NOTE_MAX];	/* why nothing was probed, or what was found */
};

/* observe_tls_info, one entry: the loader's settings for the TLS slots. */
struct observe_tls_info {
	__u32 nr_slots;
	__u32 capture_max;	/* --tls-max */
	__u64 ring_size;
	__u32 nr_targets;
	__u32 pad;
};

OBSERVE_ABI_LAYOUT(observe_tls_event, 144, 8);
OBSERVE_ABI_LAYOUT(observe_tls_handshake_event, 112, 8);
OBSERVE_ABI_LAYOUT(observe_tls_stats, 64, 8);
OBSERVE_ABI_LAYOUT(observe_tls_target, 648, 8);
OBSERVE_ABI_LAYOUT(observe_tls_info, 24, 8);

#endif /* OBSERVE_TLS_H */
