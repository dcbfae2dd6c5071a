/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* ABI of the files collector (files.bpf.c): file opens. */
#ifndef OBSERVE_FILES_H
#define OBSERVE_FILES_H

#include "observe.h"

#define OBSERVE_PATH_MAX 256	/* bytes of a path, NUL included */

enum observe_open_syscall {
	OBSERVE_OPENAT = 0,
	OBSERVE_OPENAT2 = 1,
};

/*
 * type OBSERVE_EV_OPEN: one openat(2) or openat2(2), reported when it
 * returns. path[] holds path_len bytes, NUL included (cut at
 * OBSERVE_PATH_MAX, with OBSERVE_F_TRUNCATED). A failed open has
 * OBSERVE_F_FAILED.
 */
struct observe_open_event {
	struct observe_event_header hdr;
	__u64 flags;		/* O_* as passed */
	__s32 ret;		/* the new fd, or -errno */
	__s32 dirfd;		/* AT_FDCWD (-100) or the directory's fd */
	__u32 mode;		/* creation mode, as passed */
	__u16 path_len;
	__u8 syscall;		/* enum observe_open_syscall */
	__u8 pad;
	char path[];
};

OBSERVE_ABI_LAYOUT(observe_open_event, 112, 8);

#endif /* OBSERVE_FILES_H */
