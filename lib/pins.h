/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The pin layout under the pin directory (default /sys/fs/bpf/observe), and
 * opening pins with errors that say what to do:
 *   links/<collector>-<program>   0600  attached programs (root only)
 *   observe_filter*, observe_slot_cfg, observe_readers  0660  changed by consumers
 *   observe_stats, observe_slot_stats, observe_info, observe_sequence  0640
 *   observe_slots                 0600  outer array of the rings
 *   slot<N>/ring                  0660  ring of slot N; slot<N>/ is flock()ed by its reader
 *   observe_tls_* counters        0640  TLS capture's counters and targets (tls.h)
 *   tls/                          0750  root:observe-tls: the TLS slots' config, readers, rings
 */
#ifndef OBSERVE_PINS_H
#define OBSERVE_PINS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "observe.h"

/*
 * Pinned names, relative to the pin directory: a map is pinned under the name
 * its BPF code gives it (PIN_*), in the pin directory unless its comment says
 * otherwise. Who may open each: loader/pinning.c.
 */
#define OBSERVE_PIN_DIR_DEFAULT "/sys/fs/bpf/observe"
#define OBSERVE_LINKS_SUBDIR "links"
#define OBSERVE_SLOT_SUBDIR_FMT "slot%u"	/* one directory per ring slot */
#define OBSERVE_SLOT_RING "ring"		/* the slot's ring buffer */
#define OBSERVE_TLS_SUBDIR "tls"		/* 0750 root:observe-tls */
#define OBSERVE_TLS_SLOT_SUBDIR_FMT OBSERVE_TLS_SUBDIR "/slot%u"	/* one per TLS slot */
#define OBSERVE_PROFILE_LOCK_DIR "profilers"	/* flock()ed by each observe-profile */
#define OBSERVE_DETAILS_LOCK_DIR "details"	/* details/NAME flock()ed by holders (details.h) */

/* The core's maps (observe.h) */
#define PIN_FILTER "observe_filter"
#define PIN_FILTER_PIDS "observe_filter_pids"
#define PIN_FILTER_COMMS "observe_filter_comms"
#define PIN_FILTER_UIDS "observe_filter_uids"
#define PIN_FILTER_CGROUPS "observe_filter_cgroups"
#define PIN_SLOT_CFG "observe_slot_cfg"
#define PIN_READERS "observe_readers"
#define PIN_SLOT_PIDS "observe_slot_pids"
#define PIN_STATS "observe_stats"
#define PIN_SLOT_STATS "observe_slot_stats"
#define PIN_INFO "observe_info"
#define PIN_SEQUENCE "observe_sequence"
#define PIN_SLOTS "observe_slots"
/* The collectors' (<collector>.h) */
#define PIN_FILTER_PORTS "observe_filter_ports"
#define PIN_FILTER_CIDRS "observe_filter_cidrs"
#define PIN_SYSCALLS "observe_syscalls"
#define PIN_SYSCALL_COUNTS "observe_syscall_counts"
#define PIN_SYSCALLS_BY_PID "observe_syscalls_by_pid"
#define PIN_SYSCALL_EXITS "syscall_exits"	/* 0600: the loader's (syscalls.bpf.c) */
#define PIN_FAULTS_BY_PID "observe_faults_by_pid"
#define PIN_BLOCK "observe_block"
#define PIN_RUNQ "observe_runq"
#define PIN_PROFILE_CTL "observe_profile_ctl"
#define PIN_PROFILE_COUNTS "observe_profile_counts"
#define PIN_PROFILE_STACKS "observe_profile_stacks"
#define PIN_PROFILE_STATS "observe_profile_stats"
#define PIN_TLS_SLOT_CFG "observe_tls_slot_cfg"	/* in OBSERVE_TLS_SUBDIR */
#define PIN_TLS_READERS "observe_tls_readers"	/* in OBSERVE_TLS_SUBDIR */
#define PIN_TLS_SLOTS "observe_tls_slots"
#define PIN_TLS_SLOT_STATS "observe_tls_slot_stats"
#define PIN_TLS_STATS "observe_tls_stats"
#define PIN_TLS_TARGETS "observe_tls_targets"
#define PIN_TLS_INFO "observe_tls_info"

/* Where a map is pinned, and who may do what with it. */
struct pin_place {
	const char *subdir;	/* NULL: the pin directory itself */
	mode_t mode;		/* group-writable (0660): consumers change it */
	bool tls_group;		/* owned by the TLS group, not the readers' group */
};
/* The place of the map called 'name'; an unlisted map is at most readable. */
struct pin_place pin_place(const char *name);

enum pin_access {
	PIN_READ,	/* opened with BPF_F_RDONLY: enough for 0640 pins */
	PIN_WRITE,	/* read and write: filters, slot config, rings */
};

/* The pin directory: 'override' if given, else $OBSERVE_PIN_DIR, else the default. */
const char *pins_dir(const char *override);

/* dir/name into buf; false (with an error printed) if it does not fit. */
bool pins_path(char *buf, size_t len, const char *dir, const char *name);

/*
 * Opens the pinned map dir/name. On failure prints one line saying why and
 * what to do (load observe, join the group, ...) and returns -1.
 */
int pins_open_map(const char *dir, const char *name, enum pin_access access);

/* Whether the map open as fd was frozen (BPF_MAP_FREEZE): the group may
 * open its writable maps for writing, so any member can freeze one, and
 * then no one can write it from user space until observe-load replaces it.
 * pins_open_map() refuses a frozen map for PIN_WRITE, saying so. */
bool pins_map_frozen(int fd);
void pins_report_frozen(const char *name);
/* Explains a failed write (errno err) of the map 'name' open as fd: frozen,
 * or why. */
void pins_explain_write_error(int fd, const char *name, int err);
/* Warns of each map and ring of the group's that is frozen; how many. */
int pins_warn_frozen(const char *dir);

/* Whether the map open as fd is still the one pinned at dir/name: an unload
 * or a reload that replaced it leaves fd on a map nothing updates. Quiet. */
bool pins_still_pinned(const char *dir, const char *name, int fd);

/* Whether observe is loaded at dir, its commit done (observe_info written,
 * this ABI). Quiet: for a reader waiting for a load. */
bool pins_loaded(const char *dir);

/* Reads observe_info; prints an error and returns -1 on failure. */
int pins_read_info(const char *dir, struct observe_info *info);

/* Reads observe_tls_info; an info of zeros (nr_slots 0) when TLS capture
 * was never loaded there. Prints an error and returns -1 on failure. */
struct observe_tls_info;
int pins_read_tls_info(const char *dir, struct observe_tls_info *info);

/* Explains a failed open of 'path' (errno 'err') in one line. */
void pins_explain_error(const char *dir, const char *path, int err);

#endif /* OBSERVE_PINS_H */
