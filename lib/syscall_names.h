/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Syscall names by number, from the build machine's headers. */
#ifndef OBSERVE_SYSCALL_NAMES_H
#define OBSERVE_SYSCALL_NAMES_H

/* "read" for 0 on x86_64; NULL for a number with no name. */
const char *syscall_name(unsigned nr);
/* The number of 'name', or -1. */
int syscall_by_name(const char *name);

#endif /* OBSERVE_SYSCALL_NAMES_H */
