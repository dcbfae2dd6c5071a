// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* flock()s a member could hold against us: see flocks.h. */
#include "flocks.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

int flock_holder(int fd, uint32_t *pid, bool *exclusive)
{
	char line[256], kind[16], mode[16];
	unsigned major, minor;
	unsigned long ino;
	struct stat st;
	FILE *f;
	int pid_read, found = 0;

	if (fstat(fd, &st))
		return -1;
	f = fopen("/proc/locks", "re");
	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f)) {
		/* "1: FLOCK  ADVISORY  WRITE 1234 00:2d:5678 0 EOF"; a waiter's
		 * line has "->" before its kind and is not a holder. */
		if (sscanf(line, "%*d: %15s %*s %15s %d %x:%x:%lu", kind, mode, &pid_read, &major,
			   &minor, &ino) != 6 || strcmp(kind, "FLOCK") ||
		    ino != st.st_ino || major != major(st.st_dev) || minor != minor(st.st_dev))
			continue;
		*pid = pid_read;
		*exclusive = !strcmp(mode, "WRITE");
		found = 1;
	}
	fclose(f);
	return found;
}

int flock_within(int fd, int op, unsigned ms)
{
	const struct timespec pause = { 0, 10 * 1000 * 1000 };

	for (unsigned waited = 0;; waited += 10) {
		if (!flock(fd, op | LOCK_NB))
			return 0;
		if (errno != EWOULDBLOCK || waited >= ms)
			return -1;
		nanosleep(&pause, NULL);
	}
}
