// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * empty: loads empty.bpf.o, attaches every program, prints one line
 * "PROG_ID NAME" per program and then "ready", and holds the links until
 * SIGINT or SIGTERM (links are not pinned: they go when this process does).
 *
 *   empty OBJECT
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_LINKS 16

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	struct bpf_link *links[MAX_LINKS] = {};
	struct bpf_object *obj;
	struct bpf_program *prog;
	int n = 0, i, err, ret = 1;

	if (argc != 2) {
		fprintf(stderr, "Usage: empty OBJECT\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "empty: opening %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "empty: loading %s: %s\n", argv[1], strerror(-err));
		goto cleanup;
	}
	bpf_object__for_each_program(prog, obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (n == MAX_LINKS) {
			fprintf(stderr, "empty: more than %d programs\n", MAX_LINKS);
			goto cleanup;
		}
		links[n] = bpf_program__attach(prog);
		if (!links[n]) {
			fprintf(stderr, "empty: attaching %s: %s\n", bpf_program__name(prog),
				strerror(errno));
			goto cleanup;
		}
		n++;
		if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len)) {
			fprintf(stderr, "empty: info of %s: %s\n", bpf_program__name(prog),
				strerror(errno));
			goto cleanup;
		}
		printf("%u %s\n", info.id, bpf_program__name(prog));
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		pause();
	ret = 0;
cleanup:
	for (i = n - 1; i >= 0; i--)
		bpf_link__destroy(links[i]);
	bpf_object__close(obj);
	return ret;
}
