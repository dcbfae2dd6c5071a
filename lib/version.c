// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "version.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Set by the Makefile for this file alone, so a new commit rebuilds one object. */
#ifndef OBSERVE_VERSION
#define OBSERVE_VERSION "unknown"
#endif

const char observe_version[] = OBSERVE_VERSION;

void exit_if_version_asked(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (strcmp(argv[i], "--version"))
			continue;
		printf("%s (observe) %s\n", program_invocation_short_name, observe_version);
		exit(fflush(stdout) ? 1 : 0);
	}
}
