// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What an empty program adds to its event end to end: the tracepoint's call
 * into BPF, the program's entry and exit, and the program itself. The kernel's
 * BPF stats time only the part between two clock reads inside that, so
 * bench/run.sh times it from user space instead, on a hook with the same
 * dispatch as observe's (a BTF-typed raw tracepoint) that a cheap loop fires:
 * task_rename, once per prctl(PR_SET_NAME) (bench/loop.c rename). Fork and
 * exec cost too much, and vary too much, to resolve a hundred ns.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/task_rename")
int d_empty(void *ctx)
{
	return 0;
}
