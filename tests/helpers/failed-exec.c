// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test helper: a forked child execs a file that does not exist, passing
 * string literals that are not resident: they sit in a 64 KiB block of
 * their own that nothing reads (so no fault maps it in around another), and
 * the child drops its page table entries first. The kernel fails the exec
 * before it copies the arguments, so they stay out of memory. Prints the
 * child's pid. With "null", the child passes no argv at all:
 * execve(path, NULL, NULL). Usage: test-failed-exec [null]
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define BLOCK 65536

static const char literals[BLOCK] __attribute__((aligned(BLOCK))) =
	"untouched-argument-one\0untouched-argument-two\0untouched-argument-three";

int main(int argc, char **args)
{
	/* On the stack, so resident: the pointers are read, the strings not. */
	char resident[] = "resident-argument";
	char *const argv[] = { "/nonexistent/observe-failed-exec", resident,
			       (char *)literals, (char *)literals + 23, (char *)literals + 46, NULL };
	bool null_argv = argc > 1 && !strcmp(args[1], "null");
	pid_t pid = fork();

	if (pid == 0) {
		madvise((void *)literals, BLOCK, MADV_DONTNEED);
		/* the raw call: the libc declaration says argv is not NULL */
		syscall(SYS_execve, argv[0], null_argv ? NULL : argv, NULL);
		_exit(127);
	}
	if (pid < 0)
		return 1;
	printf("%d\n", pid);
	waitpid(pid, NULL, 0);
	return 0;
}
