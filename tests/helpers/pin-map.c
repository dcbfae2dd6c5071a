// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test-pin-map PATH FIELD [percpu]: pins at PATH an array (or per-CPU array)
 * of one entry whose value is struct { __u64 FIELD; } in its BTF, as an
 * older or newer observe could have left observe_sequence: the same sizes,
 * another meaning.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	struct btf *btf;
	int u32, u64, value, fd;

	enum bpf_map_type type = BPF_MAP_TYPE_ARRAY;

	if (argc == 4 && !strcmp(argv[3], "percpu"))
		type = BPF_MAP_TYPE_PERCPU_ARRAY;
	else if (argc != 3) {
		fprintf(stderr, "usage: test-pin-map PATH FIELD [percpu]\n");
		return 2;
	}
	btf = btf__new_empty();
	if (!btf)
		return perror("btf__new_empty"), 1;
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	u64 = btf__add_int(btf, "long long unsigned int", 8, 0);
	value = btf__add_struct(btf, "value", 8);
	if (u32 < 0 || u64 < 0 || value < 0 || btf__add_field(btf, argv[2], u64, 0, 0) ||
	    btf__load_into_kernel(btf))
		return perror("building the BTF"), 1;
	opts.btf_fd = btf__fd(btf);
	opts.btf_key_type_id = u32;
	opts.btf_value_type_id = value;
	fd = bpf_map_create(type, "test_pin_map", 4, 8, 1, &opts);
	if (fd < 0 || bpf_obj_pin(fd, argv[1]))
		return perror(argv[1]), 1;
	close(fd);
	btf__free(btf);
	return 0;
}
