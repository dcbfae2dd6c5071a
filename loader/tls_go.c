// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Go code, probed without uretprobes: a uretprobe replaces the return
 * address on the stack, and the Go runtime copies a goroutine's stack
 * elsewhere when it grows, carrying the kernel's trampoline address to where
 * the kernel does not expect it. So the return probes sit on the function's
 * return instructions instead, found by Capstone's disassembler over the
 * function's bytes (.symtab gives where they lie). The server name of a
 * connection is read from the *tls.Conn at the offset the binary's DWARF
 * gives (libdw).
 */
#include "loader.h"

#include <capstone/capstone.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Go functions are a few KiB; a symbol larger than this is not one of ours. */
#define MAX_FUNCTION_SIZE (1u << 20)

static int read_function(const char *path, const struct tls_symbol *fn, uint8_t **code)
{
	int fd = open_regular_file(path);
	ssize_t n = -1;

	if (fd < 0)
		return -1;
	*code = fn->size && fn->size <= MAX_FUNCTION_SIZE ? malloc(fn->size) : NULL;
	if (*code)
		n = pread(fd, *code, fn->size, fn->offset);
	close(fd);
	if (n != (ssize_t)fn->size) {
		free(*code);
		*code = NULL;
		errno = ENOEXEC;
		return -1;
	}
	return 0;
}

int tls_return_offsets(const char *path, const struct tls_symbol *fn, uint64_t *offsets, int max)
{
#if defined(__x86_64__)
	const uint8_t *next;
	uint8_t *code;
	uint64_t address = fn->offset;
	size_t left = fn->size;
	cs_insn *insn;
	csh cs;
	int n = 0, err = 0;

	if (read_function(path, fn, &code))
		return -1;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
		free(code);
		errno = ENOMEM;
		return -1;
	}
	insn = cs_malloc(cs);
	next = code;
	while (insn && cs_disasm_iter(cs, &next, &left, &address, insn)) {
		if (insn->id != X86_INS_RET)
			continue;
		if (n == max) {
			err = E2BIG;
			break;
		}
		offsets[n++] = insn->address;
	}
	/* Bytes left that are not an instruction: not code we understand, and
	 * a return missed would leave calls unpaired. */
	if (!err && (!insn || left))
		err = insn ? ENOEXEC : ENOMEM;
	cs_free(insn, 1);
	cs_close(&cs);
	free(code);
	if (!err && !n)
		err = ENOEXEC;
	errno = err;
	return err ? -1 : n;
#else
	errno = ENOTSUP;
	return -1;
#endif
}

/* The data_member_location of 'member' in a DW_TAG_structure_type DIE, or -1. */
static long member_offset(Dwarf_Die *type, const char *member)
{
	Dwarf_Die child;
	Dwarf_Attribute attr;
	Dwarf_Word offset;

	if (dwarf_child(type, &child))
		return -1;
	do {
		const char *name = dwarf_diename(&child);

		if (dwarf_tag(&child) != DW_TAG_member || !name || strcmp(name, member))
			continue;
		if (!dwarf_attr(&child, DW_AT_data_member_location, &attr) ||
		    dwarf_formudata(&attr, &offset))
			return -1;
		return offset;
	} while (!dwarf_siblingof(&child, &child));
	return -1;
}

/* The offset of 'member' in the struct type named 'type' (Go's DWARF names
 * types by package path: "crypto/tls.Conn"), searched in every unit. */
static long dwarf_member_offset(Dwarf *dw, const char *type, const char *member)
{
	Dwarf_Off off = 0, next;
	size_t header;

	while (!dwarf_nextcu(dw, off, &next, &header, NULL, NULL, NULL)) {
		Dwarf_Die cu, die;

		if (dwarf_offdie(dw, off + header, &cu) && !dwarf_child(&cu, &die)) {
			do {
				const char *name = dwarf_diename(&die);

				if (dwarf_tag(&die) == DW_TAG_structure_type && name &&
				    !strcmp(name, type) && dwarf_haschildren(&die))
					return member_offset(&die, member);
			} while (!dwarf_siblingof(&die, &die));
		}
		off = next;
	}
	return -1;
}

long tls_go_server_name_offset(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long offset = -1;
	Dwarf *dw;

	if (fd < 0)
		return -1;
	dw = dwarf_begin(fd, DWARF_C_READ);
	if (dw) {
		offset = dwarf_member_offset(dw, "crypto/tls.Conn", "serverName");
		dwarf_end(dw);
	}
	close(fd);
	return offset;
}
