// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Go code, probed without uretprobes: a uretprobe replaces the return
 * address on the stack, and the Go runtime copies a goroutine's stack
 * elsewhere when it grows, carrying the kernel's trampoline address to where
 * the kernel does not expect it. So the return probes sit on the function's
 * return instructions instead, found by Capstone's disassembler over the
 * function's bytes (.symtab gives where they lie).
 */
#include "loader.h"

#include <capstone/capstone.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
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
