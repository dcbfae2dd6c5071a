// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The floor of observe's hooks on a syscall that no collector reports
 * (getppid): the empty sys_exit program of syscall_floor.bpf.c, plus empty
 * programs on one syscall's trace events at entry and exit, as the process,
 * files and net collectors hold for exec, open and connect. The kernel
 * runs one probe on the raw sys_enter and sys_exit tracepoints for every
 * such event, on every syscall, and with the sys_exit program there are two
 * probes on sys_exit: what that layout costs before any program does work.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sys_exit")
int e_sys_exit(void *ctx) { return 0; }

SEC("tp/syscalls/sys_enter_execve")
int e_enter_execve(void *ctx) { return 0; }

SEC("tp/syscalls/sys_exit_execve")
int e_exit_execve(void *ctx) { return 0; }
