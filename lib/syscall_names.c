// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "syscall_names.h"
#include "syscall_names_table.h"	/* generated into the build directory */

#include <string.h>

#define NR_NAMES (sizeof(syscall_names_table) / sizeof(syscall_names_table[0]))

const char *syscall_name(unsigned nr)
{
	return nr < NR_NAMES ? syscall_names_table[nr] : NULL;
}

int syscall_by_name(const char *name)
{
	for (unsigned nr = 0; nr < NR_NAMES; nr++)
		if (syscall_names_table[nr] && !strcmp(syscall_names_table[nr], name))
			return nr;
	return -1;
}
