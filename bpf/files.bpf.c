// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The files collector: openat and openat2, reported at syscall exit with the
 * result (on their own syscall trace events, or tail-called from the
 * syscalls collector's sys_exit program). The arguments are read back from
 * the registers the syscall was entered with, so nothing runs at syscall
 * entry and no state is kept between entry and exit.
 */
#include "observe.bpf.h"
#include <bpf/bpf_tracing.h>
#include "files.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline int report_open(long ret, enum observe_open_syscall syscall)
{
	struct observe_event_ctx ev = {};
	struct observe_open_event *e;
	struct pt_regs *regs;
	const char *path;
	long n;

	e = (struct observe_open_event *)observe_event_begin(&ev, OBSERVE_EV_OPEN);
	if (!e)
		return 0;
	regs = observe_syscall_regs();
	e->ret = ret;
	e->syscall = syscall;
	e->dirfd = PT_REGS_PARM1_CORE_SYSCALL(regs);
	path = (const char *)PT_REGS_PARM2_CORE_SYSCALL(regs);
	if (syscall == OBSERVE_OPENAT2) {
		struct open_how how = {};

		if (bpf_probe_read_user(&how, sizeof(how), (const void *)PT_REGS_PARM3_CORE_SYSCALL(regs)))
			e->hdr.flags |= OBSERVE_F_INCOMPLETE;
		e->flags = how.flags;
		e->mode = how.mode;
	} else {
		/* openat(int dfd, const char *, int flags, umode_t mode): the
		 * registers' upper bits are not the caller's. */
		e->flags = (__u32)PT_REGS_PARM3_CORE_SYSCALL(regs);
		e->mode = (__u16)PT_REGS_PARM4_CORE_SYSCALL(regs);
	}
	if (ret < 0)
		e->hdr.flags |= OBSERVE_F_FAILED;

	n = bpf_probe_read_user_str(e->path, OBSERVE_PATH_MAX, path);
	if (n <= 0) {
		e->path[0] = 0;
		n = 1;
		e->hdr.flags |= OBSERVE_F_INCOMPLETE;
	} else if (n == OBSERVE_PATH_MAX) {
		e->hdr.flags |= OBSERVE_F_TRUNCATED;	/* the helper cut it to fit */
	}
	e->path_len = n;
	observe_event_submit(&ev, sizeof(*e) + (n & (OBSERVE_PATH_MAX * 2 - 1)));
	return 0;
}

SEC("tp/syscalls/sys_exit_openat")
int openat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return report_open(ctx->ret, OBSERVE_OPENAT);
}

SEC("tp/syscalls/sys_exit_openat2")
int openat2_exit(struct trace_event_raw_sys_exit *ctx)
{
	return report_open(ctx->ret, OBSERVE_OPENAT2);
}

/* The same, tail-called by the syscalls collector's sys_exit program when
 * it is loaded (syscall_exits in syscalls.bpf.c): the loader uses
 * these or the ones above. */
SEC("tp_btf/sys_exit")
int BPF_PROG(openat_exit_tail, struct pt_regs *regs, long ret)
{
	return report_open(ret, OBSERVE_OPENAT);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(openat2_exit_tail, struct pt_regs *regs, long ret)
{
	return report_open(ret, OBSERVE_OPENAT2);
}
