// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A CPU-bound program with a known call chain for the profiler's test:
 * main -> burn_outer -> burn_hot, which spins for the given seconds. Built
 * by clang with frame pointers, so every frame is on the sampled stacks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

volatile unsigned long sink;

__attribute__((noinline)) void burn_hot(unsigned long rounds)
{
	for (unsigned long i = 0; i < rounds; i++)
		sink = sink * 6364136223846793005ULL + i;
}

__attribute__((noinline)) void burn_outer(double seconds)
{
	double end = now() + seconds;

	while (now() < end)
		burn_hot(1000000);
}

int main(int argc, char **argv)
{
	burn_outer(argc > 1 ? atof(argv[1]) : 2.0);
	printf("%lu\n", sink);
	return 0;
}
