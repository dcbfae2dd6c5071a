// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "demangle.h"

#include <libiberty/demangle.h>
#include <stdlib.h>
#include <string.h>

char *demangle(const char *name)
{
	char *readable = NULL;

	/* Only what looks mangled: the demangler also takes plain words for
	 * old g++ encodings. */
	if (!strncmp(name, "_Z", 2) || !strncmp(name, "_R", 2))
		readable = cplus_demangle(name, DMGL_AUTO);
	return readable ? readable : strdup(name);
}
