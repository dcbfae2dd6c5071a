/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The core ABI between observe's kernel programs and user space: the common
 * event header, the ring-slot protocol, the global filters and the counters.
 * Every collector's own header (process.h, ...) builds on this one.
 *
 * Included by BPF code (after vmlinux.h) and by user code (after
 * <linux/types.h>): fixed-width kernel types only, no vmlinux.h here.
 * Every struct here is the value of a pinned map, so changing a layout is an
 * ABI change: bump OBSERVE_ABI_VERSION.
 */
#ifndef OBSERVE_H
#define OBSERVE_H

#ifndef __VMLINUX_H__		/* user space; BPF code has vmlinux.h */
#include <linux/types.h>
#endif

#define OBSERVE_ABI_VERSION 7

/*
 * The layout kernel and user space share, checked on both sides: a change
 * that moves a field fails the build here, not a reader at run time. When
 * one of these has to change, bpf/ABI.md says what else does.
 */
#define OBSERVE_ABI_LAYOUT(type, size, align)						\
	_Static_assert(sizeof(struct type) == (size), #type ": size changed (bpf/ABI.md)");	\
	_Static_assert(_Alignof(struct type) == (align), #type ": alignment changed (bpf/ABI.md)")

#define OBSERVE_COMM_LEN 16
#define OBSERVE_MAX_SLOTS 16		/* size of the outer ring array */
#define OBSERVE_DEFAULT_SLOTS 4
#define OBSERVE_DEFAULT_RING_SIZE (2u << 20)	/* mapped twice by readers: keep RSS small */
#define OBSERVE_MAX_EVENT_SIZE 16384	/* largest record a collector builds */
#define OBSERVE_MAX_TYPES 32		/* keys of observe_stats */
#define OBSERVE_FILTER_ENTRIES 4096	/* capacity of each filter set */
#define OBSERVE_PID_ENTRIES 16384	/* pid set: room for followed children */

/*
 * Every collector and every event type, once: the enums below, the names in
 * lib/events.c and the loader's table (loader/collectors.c) come from these
 * lists. Values are ABI: a new entry takes the next free value, an entry is
 * never renumbered.
 *
 * OBSERVE_COLLECTORS(X): X(ID, value, name)
 * OBSERVE_EVENT_TYPES(EV, AGG):
 *   EV(ID, value, name, COLLECTOR, record struct, decoder, slots): a record
 *     sent to the rings, EVENTS or TLS slots (tls.h);
 *   AGG(ID, value, name, COLLECTOR): an aggregate, counted into pinned maps
 *     and never sent to a ring. Aggregates are types so that
 *     'observe-filter disable syscalls' switches the collector off through
 *     types_off, like any event type.
 */
#define OBSERVE_COLLECTORS(X)		\
	X(PROCESS, 0, process)		\
	X(FILES, 1, files)		\
	X(NET, 2, net)			\
	X(SYSCALLS, 3, syscalls)	\
	X(MEMORY, 4, memory)		\
	X(BLOCK, 5, block)		\
	X(CPU, 6, cpu)			\
	X(PROFILE, 7, profile)		\
	X(TLS, 8, tls)

#define OBSERVE_EVENT_TYPES(EV, AGG)								\
	EV(EXEC, 1, exec, PROCESS, observe_exec_event, decode_exec, EVENTS)			\
	EV(FORK, 2, fork, PROCESS, observe_fork_event, decode_fork, EVENTS)			\
	EV(EXIT, 3, exit, PROCESS, observe_exit_event, decode_exit, EVENTS)			\
	EV(OPEN, 4, open, FILES, observe_open_event, decode_open, EVENTS)			\
	EV(CONNECT, 5, connect, NET, observe_conn_event, decode_conn, EVENTS)			\
	EV(ACCEPT, 6, accept, NET, observe_conn_event, decode_conn, EVENTS)			\
	EV(TCP_CLOSE, 7, tcp_close, NET, observe_tcp_event, decode_tcp_close, EVENTS)		\
	AGG(SYSCALLS, 8, syscalls, SYSCALLS)							\
	EV(OOM_KILL, 9, oom_kill, MEMORY, observe_oom_event, decode_oom_kill, EVENTS)		\
	AGG(FAULTS, 10, faults, MEMORY)		/* user page faults per process */		\
	AGG(BLOCK, 11, block, BLOCK)		/* block I/O latency per disk */		\
	AGG(RUNQ, 12, runq, CPU)		/* run-queue latency */				\
	AGG(PROFILE, 13, profile, PROFILE)	/* CPU samples with their stacks */		\
	EV(TLS_DATA, 14, tls_data, TLS, observe_tls_event, decode_tls_data, TLS)		\
	EV(TLS_HANDSHAKE, 15, tls_handshake, TLS, observe_tls_handshake_event,			\
	   decode_tls_handshake, TLS)

#define OBSERVE_ENUM_EV(id, value, ...) OBSERVE_EV_##id = value,
#define OBSERVE_ENUM_AGG(id, value, ...) OBSERVE_AGG_##id = value,
#define OBSERVE_ENUM_COLLECTOR(id, value, name) OBSERVE_COLLECTOR_##id = value,
#define OBSERVE_ONE_MORE(...) + 1

enum observe_event_type {
	OBSERVE_EV_NONE = 0,
	OBSERVE_EVENT_TYPES(OBSERVE_ENUM_EV, OBSERVE_ENUM_AGG)
	/* One past the last type in use: the types are numbered without gaps. */
	OBSERVE_EV_COUNT = 1 OBSERVE_EVENT_TYPES(OBSERVE_ONE_MORE, OBSERVE_ONE_MORE),
};

enum observe_collector {
	OBSERVE_COLLECTORS(OBSERVE_ENUM_COLLECTOR)
	OBSERVE_COLLECTOR_COUNT = 0 OBSERVE_COLLECTORS(OBSERVE_ONE_MORE),
};

/* With the designated initializers of lib/events.c, which refuse a value
 * twice (-Woverride-init), this numbers the types 1..COUNT-1 without gaps. */
#define OBSERVE_CHECK_TYPE(id, value, name, ...) \
	_Static_assert(value > 0 && value < OBSERVE_EV_COUNT, #name " is numbered past the list");
#define OBSERVE_CHECK_COLLECTOR(id, value, name) \
	_Static_assert(value < OBSERVE_COLLECTOR_COUNT, #name " is numbered past the list");
OBSERVE_EVENT_TYPES(OBSERVE_CHECK_TYPE, OBSERVE_CHECK_TYPE)
OBSERVE_COLLECTORS(OBSERVE_CHECK_COLLECTOR)
/* observe_stats has a counter per type; types_off and a slot's types a bit. */
_Static_assert(OBSERVE_EV_COUNT <= OBSERVE_MAX_TYPES, "observe_stats has too few entries");
_Static_assert(OBSERVE_MAX_TYPES <= 64, "a type is a bit of a __u64 mask");
_Static_assert(OBSERVE_COLLECTOR_COUNT <= 64, "a collector is a bit of observe_info.collectors");

/* observe_event_header.flags */
#define OBSERVE_F_FAILED (1u << 0)	 /* the event reports a failure (failed exec, non-zero exit) */
#define OBSERVE_F_TRUNCATED (1u << 1) /* a variable field was cut at its limit */
#define OBSERVE_F_INCOMPLETE (1u << 2) /* a kernel read failed; some fields are missing */

/* Starts every record in every ring. */
struct observe_event_header {
	__u64 seq;		/* events numbered on this cpu, across all types */
	__u64 ts_ns;		/* CLOCK_BOOTTIME */
	__u64 cgroup_id;	/* cgroup v2 id (1 is the root) */
	__u32 size;		/* whole record, header included */
	__u16 type;		/* enum observe_event_type */
	__u16 flags;		/* OBSERVE_F_* */
	__u32 pid;		/* process (tgid) */
	__u32 tid;		/* thread */
	__u32 ppid;		/* parent process */
	__u32 uid;
	__u32 gid;
	__u32 cpu;
	char comm[OBSERVE_COMM_LEN];
	/* The process's and its parent's start (CLOCK_BOOTTIME, the thread
	 * group leader's): with the pid, a key that survives pid reuse. */
	__u64 start_ns;
	__u64 parent_start_ns;
};

/*
 * Ring slots: each reader owns one slot (a ring buffer, this config and its
 * bit in observe_readers); the kernel writes an event into every active slot
 * whose filter matches it. A reader claims a slot by flock()ing its
 * directory, so the kernel frees the claim when the reader dies, even by
 * SIGKILL.
 */
#define OBSERVE_SLOT_MATCH_PID (1u << 0)
#define OBSERVE_SLOT_MATCH_UID (1u << 1)
#define OBSERVE_SLOT_MATCH_COMM (1u << 2)
#define OBSERVE_SLOT_MATCH_CGROUP (1u << 3)
#define OBSERVE_SLOT_FAILED_ONLY (1u << 4)
/* Only the pids of this reader's own set (observe_slot_pids, bit pid_set):
 * a process, its descendants, followed in the kernel for this slot alone. */
#define OBSERVE_SLOT_MATCH_PID_SET (1u << 5)
/* The next exec whose new comm is 'comm' joins the set (pid_set), once: the
 * kernel clears this flag as it does so. */
#define OBSERVE_SLOT_SEED_COMM (1u << 6)
/* The set holds the processes whose image is the file exe_dev:exe_ino (the
 * kernel's dev_t): an exec of it joins the set, an exec of another file
 * leaves it, a fork's child runs the same image and inherits the bit. */
#define OBSERVE_SLOT_SEED_EXE (1u << 7)

struct observe_slot_cfg {	/* observe_slot_cfg, array keyed by slot */
	__u32 owner_pid;	/* the reader, for display only */
	__u32 match;		/* OBSERVE_SLOT_* */
	__u64 generation;	/* bumped by each claim */
	__u64 types;		/* bit (1 << type) per wanted event type */
	__u64 wakeup_bytes;	/* wake the reader when this much data waits */
	__u64 cgroup_id;
	__u32 pid;
	__u32 uid;
	char comm[OBSERVE_COMM_LEN];
	__u32 pid_set;		/* OBSERVE_SLOT_MATCH_PID_SET: the bit of observe_slot_pids tested */
	__u32 exe_dev;		/* OBSERVE_SLOT_SEED_EXE: the file, as the kernel's dev_t */
	__u64 exe_ino;		/* and inode number */
};

/* The costly parts of the aggregates, off unless asked for. */
enum observe_detail {
	OBSERVE_DETAIL_SYSCALL_LATENCY,	/* syscalls: latency histograms, per-process table */
	OBSERVE_DETAIL_PAGE_FAULTS,	/* memory: page faults per process */
	OBSERVE_DETAIL_RUNQ_LATENCY,	/* cpu: run-queue latency histograms */
	OBSERVE_DETAIL_BLOCK_LATENCY,	/* block: I/O latency histograms per disk */
	OBSERVE_DETAIL_COUNT,
};
#define OBSERVE_DETAIL_BIT(d) (1u << (d))		/* switched on for good */
#define OBSERVE_DETAIL_HELD(d) (1u << ((d) + 16))	/* held on by running consumers */
#define OBSERVE_DETAIL_ON(d) (OBSERVE_DETAIL_BIT(d) | OBSERVE_DETAIL_HELD(d))	/* what a hook tests */

/*
 * observe_readers, one entry, mmapable: bit N of mask is set while a reader
 * consumes slot N's ring. Every event of every collector reads it first, so
 * it is small and on one cache line; readers set and clear their bit with
 * atomic or/and on the mapped page, never by rewriting the value.
 *
 * pid_set_on, follow_children and types_off copy what observe_filter says,
 * for the hooks that act even when nobody reads (the fork and exit hooks
 * keep the pid set; the aggregating collectors count): with the copy on this
 * line, such a hook reads one line, not two. Whoever writes observe_filter
 * stores them (filters_publish), with atomic stores on the mapped page too.
 *
 * details_on: the costly parts of the aggregates that run only while
 * switched on (enum observe_detail): the low half on for good
 * ('observe-filter enable', observe-load --details), the high half
 * (OBSERVE_DETAIL_HELD) while a consumer that shows them runs; atomic
 * or/and on the mapped page. details_since: the ktime (CLOCK_MONOTONIC) at
 * which each last went on: work begun before it (a syscall entered, a wait
 * begun while off) is not counted. Here, and not in observe_filter, so that
 * a hook already reading this line for types_off pays nothing more.
 *
 * generation: the load whose programs run. Each program carries its own
 * (observe_generation, set by the loader) and does nothing while they
 * differ, so a reload switches from the old programs to the new ones with
 * one store, and no event is counted or delivered by both.
 */
struct observe_readers {
	__u64 mask;
	/* Two flags in 16 bits each: with details_on beside them, the
	 * details' starts fit the line. */
	__u16 pid_set_on;	/* pid_mode is not off: an exit removes its pid */
	__u16 follow_children;	/* pid_mode allow with follow_children */
	__u32 details_on;	/* OBSERVE_DETAIL_ON() bits */
	__u64 types_off;	/* observe_filter's types_off */
	__u32 generation;
	__u32 slot_pid_sets;	/* bit N: slot N's reader follows its own pid set */
	__u64 details_since[OBSERVE_DETAIL_COUNT];
};
/* Read by every hook: it must stay within one cache line. */
_Static_assert(sizeof(struct observe_readers) <= 64, "observe_readers fits a cache line");

/*
 * observe_slot_pids, hash pid -> __u32: bit N set while the reader of event
 * slot N follows the process (observe-agent). The fork hook gives a child
 * its parent's bits, the exit hook deletes the pid, the exec hook adds a
 * pid to a set waiting for a comm (OBSERVE_SLOT_SEED_COMM); all only while
 * slot_pid_sets is not 0, so that nobody else pays. A TLS slot tests the bit
 * of its reader's event slot (its config's pid_set).
 */
#define OBSERVE_SLOT_PID_ENTRIES OBSERVE_PID_ENTRIES

/* Global filters, applied before any slot. */
enum observe_filter_mode {
	OBSERVE_FILTER_OFF = 0,		/* the set is ignored */
	OBSERVE_FILTER_ALLOW = 1,	/* only members pass */
	OBSERVE_FILTER_DENY = 2,	/* members are dropped */
};

struct observe_filter {		/* observe_filter, one entry */
	__u64 types_off;	/* bit (1 << type) per switched-off event type */
	__u8 pid_mode;		/* enum observe_filter_mode, for each set */
	__u8 comm_mode;
	__u8 uid_mode;
	__u8 cgroup_mode;
	__u8 follow_children;	/* allowed pids pass their allowance to children */
	/* Network events only. port_mode applies observe_filter_ports to
	 * either end's port; with cidr_on, the remote address passes when the
	 * longest prefix matching it in observe_filter_cidrs says allow, or,
	 * matching none, when cidr_default does. */
	__u8 port_mode;
	__u8 cidr_on;
	__u8 cidr_default;	/* OBSERVE_FILTER_ALLOW or OBSERVE_FILTER_DENY */
};

/* Value of observe_filter_pids: who put the pid in the set. */
struct observe_pid_entry {
	__u32 origin_pid;	/* 0: added by a user; else the followed ancestor */
	__u32 pad;
};

struct observe_comm_key {
	char comm[OBSERVE_COMM_LEN];
};

/*
 * Counter structs are __u64 fields only, listed once: the struct and the
 * names readers show (observe-stats) both come from the list.
 * X(name) per counter.
 */
#define OBSERVE_COUNTER_FIELD(name) __u64 name;
#define OBSERVE_COUNTER_NAME(name) #name,

/* Counters, per CPU. observe_stats is keyed by event type; its counters
 * move only while at least one reader is attached. */
#define OBSERVE_TYPE_COUNTERS(X)						\
	X(seen)		/* the event happened (while someone read) */		\
	X(filtered)	/* dropped by a global filter or a type switched off */	\
	X(produced)	/* built and offered to the active slots */		\
	X(truncated)	/* a field was cut at its limit */			\
	X(incomplete)	/* a kernel read failed */
struct observe_type_stats {
	OBSERVE_TYPE_COUNTERS(OBSERVE_COUNTER_FIELD)
};

#define OBSERVE_SLOT_COUNTERS(X)					\
	X(delivered)	/* written into the ring */			\
	X(dropped)	/* ring full: lost */				\
	X(filtered)	/* not wanted by the slot's filter */		\
	X(bytes)	/* delivered bytes */				\
	X(wakeups)	/* forced reader wake-ups */
struct observe_slot_stats {	/* observe_slot_stats, keyed by slot */
	OBSERVE_SLOT_COUNTERS(OBSERVE_COUNTER_FIELD)
};

/* Per CPU: one counter for all CPUs was a cache line that every event
 * moved between them. (cpu, seq) is unique; ts_ns, then cpu, then seq
 * orders the events of all CPUs. */
struct observe_sequence {	/* observe_sequence, one entry per CPU */
	__u64 next;
};

/*
 * A log2 histogram, per CPU in the maps that hold one: slots[k] counts the
 * values v with 2^k <= v < 2^(k+1) (slot 0 also holds 0); the last slot
 * holds everything larger. count and sum make averages and Prometheus
 * histograms.
 */
#define OBSERVE_HIST_SLOTS 40		/* 2^40 ns: 18 minutes */
struct observe_hist {
	__u64 count;
	__u64 sum;
	__u64 slots[OBSERVE_HIST_SLOTS];
};

/* What the loader set up; written by observe-load, read by consumers. */
#define OBSERVE_RELEASE_LEN 65
struct observe_info {		/* observe_info, one entry */
	__u32 abi_version;
	__u32 nr_slots;
	__u64 ring_size;
	__u64 loaded_at;	/* CLOCK_REALTIME seconds of the last load */
	__u64 collectors;	/* bit per loaded collector (enum observe_collector) */
	__u32 argv_max;
	__u32 load_count;	/* loads since the maps were first created */
	char kernel_release[OBSERVE_RELEASE_LEN];
	char pad[3];
	__u32 details_left_out;	/* bit per enum observe_detail: its programs not loaded */
};

OBSERVE_ABI_LAYOUT(observe_event_header, 88, 8);
OBSERVE_ABI_LAYOUT(observe_slot_cfg, 80, 8);
OBSERVE_ABI_LAYOUT(observe_readers, 64, 8);
OBSERVE_ABI_LAYOUT(observe_filter, 16, 8);
OBSERVE_ABI_LAYOUT(observe_pid_entry, 8, 4);
OBSERVE_ABI_LAYOUT(observe_comm_key, 16, 1);
OBSERVE_ABI_LAYOUT(observe_type_stats, 40, 8);
OBSERVE_ABI_LAYOUT(observe_slot_stats, 40, 8);
OBSERVE_ABI_LAYOUT(observe_sequence, 8, 8);
OBSERVE_ABI_LAYOUT(observe_hist, 336, 8);
OBSERVE_ABI_LAYOUT(observe_info, 112, 8);

#endif /* OBSERVE_H */
