/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One ELF file read by elfutils' libdwfl for the symbolizer: its symbols,
 * and through DWARF (in the file or its separate debug file) the functions
 * inlined at an address and their source lines.
 */
#ifndef OBSERVE_SYMBOLIZE_DWARF_H
#define OBSERVE_SYMBOLIZE_DWARF_H

#include "symbolize.h"

#include <libelf.h>

struct dwarf_file;

/* The file open on 'fd' (taken: closed with the file), known to the
 * process as 'path' (where its .gnu_debuglink is looked for); NULL when it
 * is not an ELF file. */
struct dwarf_file *dwarf_file_open(const char *path, int fd);
void dwarf_file_close(struct dwarf_file *d);

/* The file's own ELF (not its debug file), for its program headers. */
Elf *dwarf_file_elf(struct dwarf_file *d);

/*
 * The functions at 'vaddr' (an address of the file's own layout),
 * outermost first, in a calloc()ed array of *n (names and sources
 * malloc()ed; image left NULL); NULL when no symbol holds the address.
 */
struct symbolizer_frame *dwarf_file_frames(struct dwarf_file *d, uint64_t vaddr, bool lines,
					   size_t *n);

/* Frees frames made by dwarf_file_frames() (or alike), names and sources. */
void symbolizer_frames_free(struct symbolizer_frame *frames, size_t n);

#endif /* OBSERVE_SYMBOLIZE_DWARF_H */
