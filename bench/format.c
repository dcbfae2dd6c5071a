// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * format: a reader's formatting speed alone, without a kernel or a ring:
 * open events (as the files collector sends them) through the decoder that
 * observe-events uses, into the same JSON writer, written to stdout in the
 * same 256 KiB batches.
 *
 *   format N [ids|who] > /dev/null
 *
 * ids (the default): the header's numbers alone; who: also what the
 * reader adds to every line from them (process keys, host, the cgroup's
 * path, from the bench's own cgroup as a real stream would), to measure
 * what those cost.
 *
 * Prints "NS_PER_EVENT EVENTS_PER_S BYTES_PER_EVENT" on stderr. Under
 * valgrind --tool=callgrind it gives instructions per event, which do not
 * vary from run to run as this VM's timings do.
 */
#include "decode.h"
#include "files.h"
#include "identity.h"
#include "json.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BATCH (256 * 1024)

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The inode of this process's cgroup v2 directory (its id), or 1. */
static unsigned long long own_cgroup_id(void)
{
	char line[4096], path[4200];
	unsigned long long id = 1;
	struct stat st;
	FILE *f = fopen("/proc/self/cgroup", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		/* The cgroup2 mount here: the unified hierarchy's usual places. */
		snprintf(path, sizeof(path), "/sys/fs/cgroup/unified%s", line + 3);
		if (stat(path, &st)) {
			snprintf(path, sizeof(path), "/sys/fs/cgroup%s", line + 3);
			if (stat(path, &st))
				break;
		}
		id = st.st_ino;
	}
	if (f)
		fclose(f);
	return id;
}

int main(int argc, char **argv)
{
	static const char path[] = "/dev/null";
	struct {
		struct observe_open_event e;
		char path[sizeof(path)];
	} rec = {};
	struct event_clock clock;
	struct identity who;
	struct json_writer w;
	unsigned long long bytes = 0;
	long long n, t0, t1;

	n = argc > 1 ? atoll(argv[1]) : 0;
	if (n <= 0 || (argc > 2 && strcmp(argv[2], "ids") && strcmp(argv[2], "who"))) {
		fprintf(stderr, "usage: format N [ids|who] > /dev/null\n");
		return 2;
	}
	event_clock_init(&clock);
	if (argc > 2 && !strcmp(argv[2], "who")) {
		if (identity_init(&who)) {
			fprintf(stderr, "format: cannot read the host and boot id\n");
			return 1;
		}
		who.host_every_line = true;
		clock.identity = &who;
	}
	json_init(&w);

	rec.e.hdr.size = sizeof(rec);
	rec.e.hdr.type = OBSERVE_EV_OPEN;
	rec.e.hdr.pid = rec.e.hdr.tid = 123456;
	rec.e.hdr.ppid = 4321;
	rec.e.hdr.cgroup_id = own_cgroup_id();
	rec.e.hdr.start_ns = 4000000000000ULL;
	rec.e.hdr.parent_start_ns = 1000000000ULL;
	strcpy(rec.e.hdr.comm, "bopen-12345");
	rec.e.flags = O_RDONLY | O_CLOEXEC;
	rec.e.ret = 3;
	rec.e.dirfd = AT_FDCWD;
	rec.e.path_len = sizeof(path);
	memcpy(rec.path, path, sizeof(path));

	t0 = now_ns();
	for (long long i = 0; i < n; i++) {
		/* What changes from one event to the next in a real stream. */
		rec.e.hdr.seq = i;
		rec.e.hdr.ts_ns = 5000000000000ULL + i * 3000;
		if (decode_event_json(&w, &rec, sizeof(rec), &clock)) {
			fprintf(stderr, "format: the record was refused\n");
			return 1;
		}
		json_end_line(&w);
		if (w.len >= BATCH) {
			bytes += w.len;
			if (write(1, w.buf, w.len) != (ssize_t)w.len) {
				perror("format: write");
				return 1;
			}
			json_reset(&w);
		}
	}
	bytes += w.len;
	if (w.len && write(1, w.buf, w.len) != (ssize_t)w.len) {
		perror("format: write");
		return 1;
	}
	t1 = now_ns();
	fprintf(stderr, "%.1f %.0f %.0f\n", (double)(t1 - t0) / n, n * 1e9 / (t1 - t0),
		(double)bytes / n);
	json_free(&w);
	if (clock.identity)
		identity_free(&who);
	return 0;
}
