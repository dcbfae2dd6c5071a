// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Empty programs on exactly observe's hooks and hook types (BTF-typed raw
 * tracepoints for sched, syscall tracepoints for the exit of execve): the
 * floor that any collector on these hooks pays. bpftrace 0.17 has no raw
 * tracepoints, so its empty script runs on the classic sched tracepoints,
 * which also fill a trace record before the program runs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sched_process_exec")
int e_sched_exec(void *ctx) { return 0; }

SEC("tp_btf/sched_process_fork")
int e_sched_fork(void *ctx) { return 0; }

SEC("tp_btf/sched_process_exit")
int e_sched_exit(void *ctx) { return 0; }

SEC("tp/syscalls/sys_exit_execve")
int e_execve_exit(void *ctx) { return 0; }

SEC("tp/syscalls/sys_exit_execveat")
int e_execveat_exit(void *ctx) { return 0; }
