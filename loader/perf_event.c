// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The profiler's sampling events: one software cpu-clock event per CPU. */
#include "loader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>

int open_cpu_clock(int cpu, unsigned hz)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.size = sizeof(attr),
		.freq = 1,
		.sample_freq = hz,
	};

	return syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

int online_cpus(int *cpus, int max)
{
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");
	char buf[4096], *p, *save = NULL;
	int n = 0;

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		errno = EINVAL;
		return -1;
	}
	fclose(f);
	/* "0-3,8,10-11" */
	for (p = strtok_r(buf, ",\n", &save); p; p = strtok_r(NULL, ",\n", &save)) {
		char *dash = strchr(p, '-');
		int lo = atoi(p), hi = dash ? atoi(dash + 1) : lo;

		for (int cpu = lo; cpu <= hi; cpu++, n++)
			if (n < max)
				cpus[n] = cpu;
	}
	return n;
}
