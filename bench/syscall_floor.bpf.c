// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The floor of counting syscalls: an empty program on the raw sys_exit
 * tracepoint, the one hook every syscall counter needs (syscount's and the
 * syscalls collector's count there). What it adds to a syscall is what any
 * such counter adds at least, before it counts anything.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sys_exit")
int e_sys_exit(void *ctx) { return 0; }
