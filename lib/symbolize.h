/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Names for the addresses of sampled stacks: user addresses through the
 * process's mappings (/proc/PID/maps, read while it lives) and the symbol
 * tables of the mapped ELF files (libelf: .symtab, else .dynsym); kernel
 * addresses through /proc/kallsyms, when it shows them to this user.
 */
#ifndef OBSERVE_SYMBOLIZE_H
#define OBSERVE_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct symbolizer;

struct symbolizer *symbolizer_new(void);
void symbolizer_free(struct symbolizer *s);

/*
 * Reads the executable mappings of process 'pid' now, if not read before
 * for this 'comm' (up to 16 bytes: after an exec, the pid's new image has
 * new maps, and usually a new name); false when they cannot be read (the
 * process is gone, or belongs to another user and this one may not read
 * its maps).
 */
bool symbolizer_add_process(struct symbolizer *s, uint32_t pid, const char *comm);

/*
 * The name of user address 'addr' in process 'pid' (as 'comm') into buf: "function",
 * or "[file]" when the file has no symbol there, or "[unknown]" when no
 * mapping of the process (or no read of its maps) holds it.
 */
void symbolizer_user(struct symbolizer *s, uint32_t pid, const char *comm, uint64_t addr,
		     char *buf, size_t len);

/* Whether /proc/kallsyms shows this user the kernel's addresses. */
bool symbolizer_has_kernel(struct symbolizer *s);
/* The kernel function at 'addr', or "[kernel]" without kallsyms. */
void symbolizer_kernel(struct symbolizer *s, uint64_t addr, char *buf, size_t len);

#endif /* OBSERVE_SYMBOLIZE_H */
