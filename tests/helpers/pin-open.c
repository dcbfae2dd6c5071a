// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test helper: tries to open each pinned object given, read-only ("ro") or
 * read-write ("rw"), or read-write and then freezes it ("freeze", as a hostile
 * group member would: BPF_MAP_FREEZE), and prints "<path> OK" or
 * "<path> <ERRNO NAME>" per line.
 * Usage: test-pin-open ro|rw|freeze PATH...
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_obj_get_opts, opts);

	bool freeze = argc > 1 && !strcmp(argv[1], "freeze");

	if (argc < 3 || (strcmp(argv[1], "ro") && strcmp(argv[1], "rw") && !freeze)) {
		fprintf(stderr, "usage: test-pin-open ro|rw|freeze PATH...\n");
		return 2;
	}
	opts.file_flags = !strcmp(argv[1], "ro") ? BPF_F_RDONLY : 0;
	for (int i = 2; i < argc; i++) {
		int fd = bpf_obj_get_opts(argv[i], &opts);

		if (fd >= 0 && freeze && bpf_map_freeze(fd)) {
			close(fd);
			fd = -1;
		}
		printf("%s %s\n", argv[i], fd >= 0 ? "OK" : strerrorname_np(errno));
		if (fd >= 0)
			close(fd);
	}
	return 0;
}
