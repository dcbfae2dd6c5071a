// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test helper: tries to open each pinned object given, read-only ("ro") or
 * read-write ("rw"), and prints "<path> OK" or "<path> <ERRNO NAME>" per line.
 * Usage: test-pin-open ro|rw PATH...
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_obj_get_opts, opts);

	if (argc < 3 || (strcmp(argv[1], "ro") && strcmp(argv[1], "rw"))) {
		fprintf(stderr, "usage: test-pin-open ro|rw PATH...\n");
		return 2;
	}
	opts.file_flags = !strcmp(argv[1], "ro") ? BPF_F_RDONLY : 0;
	for (int i = 2; i < argc; i++) {
		int fd = bpf_obj_get_opts(argv[i], &opts);

		printf("%s %s\n", argv[i], fd >= 0 ? "OK" : strerrorname_np(errno));
		if (fd >= 0)
			close(fd);
	}
	return 0;
}
