/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* ABI of the process collector (process.bpf.c): exec, fork and exit events. */
#ifndef OBSERVE_PROCESS_H
#define OBSERVE_PROCESS_H

#include "observe.h"

#define OBSERVE_FILENAME_MAX 256	/* bytes of an exec's file name, NUL included */
#define OBSERVE_ARGV_LIMIT 8192		/* upper bound of --argv-max */
#define OBSERVE_ARGV_DEFAULT 1024	/* default --argv-max */
#define OBSERVE_FAILED_EXEC_MAX_ARGS 64	/* args read one by one after a failed exec */

/*
 * type OBSERVE_EV_EXEC. data[] holds the arguments as NUL-terminated strings
 * (argv_len bytes; the last one has no NUL when cut), then the file name
 * (filename_len bytes, NUL included), then the path of the executable the
 * kernel opened (exe_len bytes, NUL included; 0: not read), then the path of
 * the image this exec replaced (prev_exe_len, the same; 0 when no reader of
 * execs was there when the exec began). Both paths are as seen from the
 * root of the process's mount namespace, OBSERVE_EXE_MAX bytes at most.
 * header.flags has OBSERVE_F_TRUNCATED when argv was cut at --argv-max or a
 * path lost its leading components.
 * A failed exec has neither path: the process runs its image still.
 */
#define OBSERVE_EXE_MAX 512

struct observe_exec_event {
	struct observe_event_header hdr;
	__s32 retval;		/* 0, or -errno of a failed exec */
	__u32 argc;		/* arguments passed, captured or not */
	__u16 filename_len;
	__u16 argv_len;
	/* A failed exec's arguments that could not be read (an empty string
	 * stands in data): bit i for argument i, the last bit for any from
	 * OBSERVE_EXEC_MISSING_LAST on. Was padding: older loaders send 0. */
	__u32 missing;
	__u16 exe_len;
	__u16 prev_exe_len;
	__u32 pad;
	char data[];
};

#define OBSERVE_EXEC_MISSING_LAST 31

/* type OBSERVE_EV_FORK: the header describes the parent. */
struct observe_fork_event {
	struct observe_event_header hdr;
	__u32 child_pid;
	__u32 child_tid;
};

/* type OBSERVE_EV_EXIT: sent when the last thread of a process exits. */
struct observe_exit_event {
	struct observe_event_header hdr;
	__u64 lifetime_ns;	/* from fork to exit */
	__u32 exit_status;	/* wait(2) status: code << 8 | core 0x80 | signal */
	__u32 pad;
};

OBSERVE_ABI_LAYOUT(observe_exec_event, 112, 8);
OBSERVE_ABI_LAYOUT(observe_fork_event, 96, 8);
OBSERVE_ABI_LAYOUT(observe_exit_event, 104, 8);

#endif /* OBSERVE_PROCESS_H */
