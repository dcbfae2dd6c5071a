/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Names for the addresses of sampled stacks. User addresses go through the
 * process's mappings (/proc/PID/maps, read while it lives) to the mapped
 * ELF files, read by elfutils' libdwfl: symbols and DWARF from the file or
 * its separate debug file (/usr/lib/debug/.build-id, .gnu_debuglink; a
 * debuginfod server only when DEBUGINFOD_URLS is set), inlined calls,
 * source lines; C++ and Rust names demangled. Addresses in anonymous
 * executable memory are named from the process's /tmp/perf-PID.map (JIT
 * compilers: node --perf-basic-prof, the JVM's perf-map agent). Kernel
 * addresses go through /proc/kallsyms, when it shows them to this user.
 */
#ifndef OBSERVE_SYMBOLIZE_H
#define OBSERVE_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct symbolizer;

/* One function at an address: an address in inlined code has several. */
struct symbolizer_frame {
	const char *name;	/* demangled; "[file]" when the file has no symbol there,
				 * "[unknown]" when no mapping holds the address */
	const char *source;	/* source file (base name), or NULL when not known */
	unsigned line;		/* 0 when not known */
	bool inlined;		/* inlined into the frame before it */
	const char *image;	/* base name of the mapped file, or NULL (anonymous) */
};

struct symbolizer *symbolizer_new(void);
void symbolizer_free(struct symbolizer *s);

/* Whether to read source files and lines (DWARF line tables): off by
 * default, as they cost time and memory. */
void symbolizer_set_lines(struct symbolizer *s, bool lines);

/*
 * Reads the executable mappings of process 'pid' now, if not read before
 * for this 'comm' (up to 16 bytes: after an exec, the pid's new image has
 * new maps, and usually a new name); false when they cannot be read (the
 * process is gone, or belongs to another user and this one may not read
 * its maps).
 */
bool symbolizer_add_process(struct symbolizer *s, uint32_t pid, const char *comm);

/*
 * The functions at user address 'addr' of process 'pid' (as 'comm'): sets
 * *frames to them, outermost first (the function, then what was inlined
 * into it), and returns how many (at least 1). They live as long as the
 * symbolizer.
 */
size_t symbolizer_user(struct symbolizer *s, uint32_t pid, const char *comm, uint64_t addr,
		       const struct symbolizer_frame **frames);

/* Whether /proc/kallsyms shows this user the kernel's addresses. */
bool symbolizer_has_kernel(struct symbolizer *s);
/* The kernel function at 'addr', or "[kernel]" without kallsyms. */
void symbolizer_kernel(struct symbolizer *s, uint64_t addr, char *buf, size_t len);

#endif /* OBSERVE_SYMBOLIZE_H */
