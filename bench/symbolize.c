// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The symbolizer's speed on a fixed set of addresses of a live process:
 *   symbolize addrs PID N     N addresses spread evenly over the process's
 *                             executable file mappings, one hex a line
 *   symbolize time PID FILE [lines]
 *                             names them all with lib/symbolize.c twice: the
 *                             first pass reads the files (cold), the second
 *                             hits the cache (warm). Prints "cold_us warm_ns
 *                             named": the first pass in microseconds, the
 *                             second per address in ns, and how many of the
 *                             addresses got a function's name.
 * bench/symbolize.sh runs it beside eu-addr2line on the same addresses.
 */
#include "symbolize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

struct range {
	unsigned long long start, end;
};

static size_t exec_ranges(unsigned pid, struct range *r, size_t max)
{
	char path[64], line[4200], perms[8], file[4096];
	unsigned long long start, end, offset, ino;
	unsigned major, minor;
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %4095s", &start, &end, perms, &offset,
			   &major, &minor, &ino, file) == 8 && perms[2] == 'x' && file[0] == '/')
			r[n++] = (struct range){ start, end };
	fclose(f);
	return n;
}

static int print_addresses(unsigned pid, unsigned long n)
{
	struct range r[512];
	size_t nr = exec_ranges(pid, r, 512);
	unsigned long long total = 0, step, at = 0;

	for (size_t i = 0; i < nr; i++)
		total += r[i].end - r[i].start;
	if (!nr || !n)
		return fprintf(stderr, "symbolize: no executable mappings of %u\n", pid), 1;
	step = total / n ? total / n : 1;
	for (size_t i = 0; i < nr; i++) {
		for (; at < r[i].end - r[i].start; at += step)
			printf("0x%llx\n", r[i].start + at);
		at -= r[i].end - r[i].start;	/* the stride goes on in the next range */
	}
	return 0;
}

static const char *comm_of(unsigned pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	f = fopen(path, "re");
	buf[0] = 0;
	if (f) {
		if (fgets(buf, len, f))
			buf[strcspn(buf, "\n")] = 0;
		fclose(f);
	}
	return buf;
}

static size_t pass(struct symbolizer *s, unsigned pid, const char *comm,
		   const unsigned long long *addrs, size_t n)
{
	size_t named = 0;

	for (size_t i = 0; i < n; i++) {
		const struct symbolizer_frame *frames;
		size_t k = symbolizer_user(s, pid, comm, addrs[i], &frames);

		named += k && frames[0].name[0] != '[';
	}
	return named;
}

static int time_addresses(unsigned pid, const char *path, bool lines)
{
	unsigned long long *addrs = NULL, a;
	size_t n = 0, cap = 0, named;
	struct symbolizer *s;
	char comm[32];
	double t0, t1, t2;
	FILE *f = fopen(path, "re");

	if (!f)
		return perror(path), 1;
	while (fscanf(f, "%llx", &a) == 1) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			addrs = realloc(addrs, cap * sizeof(*addrs));
			if (!addrs)
				return 1;
		}
		addrs[n++] = a;
	}
	fclose(f);
	comm_of(pid, comm, sizeof(comm));
	t0 = now_ns();
	s = symbolizer_new();
	if (!s)
		return 1;
	symbolizer_set_lines(s, lines);
	symbolizer_add_process(s, pid, comm);
	named = pass(s, pid, comm, addrs, n);
	t1 = now_ns();
	pass(s, pid, comm, addrs, n);
	t2 = now_ns();
	printf("%.0f %.0f %zu\n", (t1 - t0) / 1e3, n ? (t2 - t1) / n : 0, named);
	symbolizer_free(s);
	free(addrs);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "addrs"))
		return print_addresses(atoi(argv[2]), strtoul(argv[3], NULL, 10));
	if (argc >= 4 && !strcmp(argv[1], "time"))
		return time_addresses(atoi(argv[2]), argv[3], argc > 4 && !strcmp(argv[4], "lines"));
	fprintf(stderr, "usage: symbolize addrs PID N | symbolize time PID FILE [lines]\n");
	return 2;
}
