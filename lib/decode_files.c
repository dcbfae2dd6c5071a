// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The files collector's events: opens. */
#include "decoders.h"
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

static const struct {
	unsigned long long bit;
	const char *name;
} open_flags[] = {
	/* Composite flags first: O_SYNC holds O_DSYNC, O_TMPFILE holds O_DIRECTORY. */
	{ O_SYNC, "O_SYNC" }, { O_TMPFILE, "O_TMPFILE" },
	{ O_CREAT, "O_CREAT" }, { O_EXCL, "O_EXCL" }, { O_NOCTTY, "O_NOCTTY" },
	{ O_TRUNC, "O_TRUNC" }, { O_APPEND, "O_APPEND" }, { O_NONBLOCK, "O_NONBLOCK" },
	{ O_DSYNC, "O_DSYNC" }, { O_ASYNC, "O_ASYNC" }, { O_DIRECT, "O_DIRECT" },
	{ O_LARGEFILE, "O_LARGEFILE" }, { O_NOFOLLOW, "O_NOFOLLOW" },
	{ O_NOATIME, "O_NOATIME" }, { O_CLOEXEC, "O_CLOEXEC" }, { O_PATH, "O_PATH" },
	{ O_DIRECTORY, "O_DIRECTORY" },
};

/* Appends s to buf[*n..len), cut to fit, always NUL-terminated. */
static void append(char *buf, size_t len, size_t *n, const char *s)
{
	size_t k = strlen(s);

	if (*n + 1 >= len)
		return;
	if (k > len - 1 - *n)
		k = len - 1 - *n;
	memcpy(buf + *n, s, k);
	*n += k;
	buf[*n] = 0;
}

/* "O_WRONLY|O_CREAT|O_TRUNC"; unknown bits as a hex number at the end. Runs
 * for every open event a reader prints: appends, not snprintf. */
void format_open_flags(char *buf, size_t len, unsigned long long flags)
{
	static const char *const access[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };
	unsigned long long rest = flags & ~(unsigned long long)O_ACCMODE;
	size_t n = 0;

	if (!len)
		return;
	buf[0] = 0;
	append(buf, len, &n, access[flags & O_ACCMODE]);
	for (size_t i = 0; i < sizeof(open_flags) / sizeof(open_flags[0]) && rest; i++) {
		/* glibc defines O_LARGEFILE as 0 on 64-bit: never a match. */
		if (!open_flags[i].bit || (rest & open_flags[i].bit) != open_flags[i].bit)
			continue;
		rest &= ~open_flags[i].bit;
		append(buf, len, &n, "|");
		append(buf, len, &n, open_flags[i].name);
	}
	if (rest && n < len)
		snprintf(buf + n, len - n, "|%#llx", rest);
}

int decode_open(struct json_writer *w, const void *rec, size_t size)
{
	const struct observe_open_event *e = rec;
	char flags[256], mode[16];

	if (sizeof(*e) + e->path_len > size)
		return -EINVAL;
	json_kv_cstr(w, "syscall", e->syscall == OBSERVE_OPENAT2 ? "openat2" : "openat");
	json_kv_str(w, "path", e->path, strnlen_bytes(e->path, e->path_len));
	if (e->dirfd != AT_FDCWD)
		json_kv_i64(w, "dirfd", e->dirfd);
	json_kv_u64(w, "flags", e->flags);
	format_open_flags(flags, sizeof(flags), e->flags);
	json_kv_cstr(w, "flag_names", flags);
	if ((e->flags & O_CREAT) || (e->flags & O_TMPFILE) == O_TMPFILE) {
		snprintf(mode, sizeof(mode), "%04o", e->mode);
		json_kv_cstr(w, "mode", mode);
	}
	json_kv_result(w, "ret", e->ret);
	return 0;
}
