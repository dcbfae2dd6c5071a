// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The process collector: exec (with argv), fork and exit.
 *
 * Successful execs are reported from sched_process_exec, where the new
 * image's argv lies contiguous in user memory (one read). Failed execs never
 * reach it: the syscall's exit reads the arguments back from the registers
 * the syscall was entered with (the process is unchanged), so nothing runs on
 * syscall entry and a successful exec costs the exit program one compare.
 * The one exception, while someone reads execs: the image an exec replaces
 * is gone by sched_process_exec, so its path is noted at the syscall's entry.
 *
 * All hooks are tracepoints (BTF-typed raw and syscall): kprobes and fentry
 * are not available on our kernels. tp_btf gives typed task pointers, read
 * with plain loads (CO-RE relocated) instead of probe-read helper calls. Task
 * fields come from task_struct, never from a tracepoint's context struct,
 * whose layout differs between kernels (sched_process_exit changed in 6.x).
 */
#include "observe.bpf.h"
#include "path.bpf.h"
#include "process.h"

_Static_assert(OBSERVE_EXE_MAX == OBSERVE_PATH_MAX, "an exec's paths are resolved paths");

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 argv_max = OBSERVE_ARGV_DEFAULT;

static __always_inline __u32 argv_limit(void)
{
	return argv_max < OBSERVE_ARGV_LIMIT ? argv_max : OBSERVE_ARGV_LIMIT;
}

/* Reads argv string by string from a failed exec's user pointers into
 * data[0..]; returns the bytes used. argc counts every argument passed: a
 * string that is not resident (a literal in pages the program never
 * touched) cannot be read from here, so an empty one stands in for it and
 * 'missing' says which it was. */
static __always_inline __u32 read_user_argv(struct observe_exec_event *e, const char *const *argv)
{
	__u32 limit = argv_limit(), off = 0, size;
	int i;

	if (!argv)
		return 0;	/* execve(path, NULL, ...): no argument, none missing */
	for (i = 0; i < OBSERVE_FAILED_EXEC_MAX_ARGS; i++) {
		const char *arg = NULL;
		long n;

		if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i])) {
			e->hdr.flags |= OBSERVE_F_INCOMPLETE;	/* the count itself is lost */
			return off;
		}
		if (!arg)
			return off;
		e->argc++;
		if (off >= limit) {
			e->hdr.flags |= OBSERVE_F_TRUNCATED;
			continue;	/* keep counting argc */
		}
		/* Restated bounds for the verifier: off < LIMIT, size <= LIMIT. */
		off &= OBSERVE_ARGV_LIMIT - 1;
		size = (limit - off) & (OBSERVE_ARGV_LIMIT * 2 - 1);
		n = bpf_probe_read_user_str(&e->data[off], size, arg);
		if (n <= 0) {
			e->data[off] = 0;
			n = 1;
			e->missing |= i < OBSERVE_EXEC_MISSING_LAST ? 1u << i :
				      1u << OBSERVE_EXEC_MISSING_LAST;
			e->hdr.flags |= OBSERVE_F_INCOMPLETE;
		}
		if (n == size)	/* the helper cut the string to fit */
			e->hdr.flags |= OBSERVE_F_TRUNCATED;
		off += n;
	}
	{
		const char *more = NULL;

		if (bpf_probe_read_user(&more, sizeof(more), &argv[i]) || more)
			e->hdr.flags |= OBSERVE_F_TRUNCATED;	/* more than we read */
	}
	return off;
}

/* The image an exec replaces, noted when the exec begins: by
 * sched_process_exec the old mm and its exe_file are gone. Per task, so a
 * thread that execs finds its own note (its task is the one that goes on). */
struct prev_exe {
	__u32 len;	/* 0: none noted */
	char path[OBSERVE_EXE_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct prev_exe);
} prev_exes SEC(".maps");

/* The new image's path, and the old one's noted at the exec's entry, after
 * the file name at 'off'; returns the offset past them. */
static __always_inline __u32 add_exe_paths(struct observe_exec_event *e, __u32 off,
					   struct task_struct *task, struct linux_binprm *bprm)
{
	struct prev_exe *prev;
	__u32 len;
	bool cut;

#ifdef OBSERVE_BENCH_NO_IDENTITY	/* only bench/identity.sh's second build */
	return off;
#endif
	/* Restated for the verifier: argv and the file name fit below this. */
	if (off > OBSERVE_ARGV_LIMIT + OBSERVE_FILENAME_MAX)
		return off;
	len = observe_path_copy(&bprm->file->f_path, &e->data[off], &cut);
	if (cut)
		e->hdr.flags |= OBSERVE_F_TRUNCATED;
	e->exe_len = len;
	off += len;
	prev = bpf_task_storage_get(&prev_exes, task, 0, 0);
	if (!prev || !prev->len)
		return off;
	len = prev->len;
	barrier_var(len);
	if (len > OBSERVE_EXE_MAX)
		return off;
	if (bpf_probe_read_kernel(&e->data[off], len, prev->path))
		return off;
	prev->len = 0;
	e->prev_exe_len = len;
	return off + len;
}

/* Sends an exec event whose file name was read after argv: 'n' is what the
 * string-read helper returned. A successful exec ('bprm') adds its paths. */
static __always_inline void submit_exec(struct observe_event_ctx *ev, struct observe_exec_event *e,
					__u32 argv_len, long n, struct task_struct *task,
					struct linux_binprm *bprm)
{
	__u32 end;

	if (n <= 0) {
		e->data[argv_len & (OBSERVE_ARGV_LIMIT * 2 - 1)] = 0;
		n = 1;
		e->hdr.flags |= OBSERVE_F_INCOMPLETE;
	}
	e->filename_len = n;
	e->exe_len = 0;
	e->prev_exe_len = 0;
	e->pad = 0;
	end = argv_len + (n & (OBSERVE_FILENAME_MAX * 2 - 1));
	if (bprm)
		end = add_exe_paths(e, end, task, bprm);
	observe_event_submit(ev, sizeof(*e) + end);
}

/* Someone reads exec events: the same checks observe_event_start makes. */
static __always_inline bool exec_events_read(void)
{
	const struct observe_filter *f;

	if (!observe_reader_mask())
		return false;
	f = observe_global_filter();
	return !(f && (f->types_off & (1ULL << OBSERVE_EV_EXEC)));
}

static __always_inline int note_prev_exe(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct prev_exe *prev;
	struct file *exe;
	bool cut;

#ifdef OBSERVE_BENCH_NO_IDENTITY	/* only bench/identity.sh's second build */
	return 0;
#endif
	if (!exec_events_read() || !task->mm)
		return 0;	/* a kernel thread's exec (a usermode helper) has no image */
	exe = task->mm->exe_file;
	if (!exe)
		return 0;
	prev = bpf_task_storage_get(&prev_exes, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!prev)
		return 0;
	prev->len = observe_path_copy(&exe->f_path, prev->path, &cut);
	return 0;
}

SEC("tp/syscalls/sys_enter_execve")
int execve_enter(void *ctx)
{
	return note_prev_exe();
}

SEC("tp/syscalls/sys_enter_execveat")
int execveat_enter(void *ctx)
{
	return note_prev_exe();
}

/* filename_arg and argv_arg: which syscall arguments hold them (1-based). */
static __always_inline int report_failed_exec(long ret, int filename_arg)
{
	struct observe_event_ctx ev = {};
	struct observe_exec_event *e;
	const char *const *argv;
	const char *filename;
	struct pt_regs *regs;
	__u32 argv_len;
	long n;

	if (ret >= 0)
		return 0;	/* reported by sched_process_exec */
	e = (struct observe_exec_event *)observe_event_begin(&ev, OBSERVE_EV_EXEC);
	if (!e)
		return 0;
	e->hdr.flags |= OBSERVE_F_FAILED;
	e->retval = ret;
	e->argc = 0;
	e->missing = 0;

	/* A failed exec returns to the unchanged process: the registers it
	 * entered the syscall with still hold its arguments. */
	regs = observe_syscall_regs();
	if (filename_arg == 1) {
		filename = (const char *)PT_REGS_PARM1_CORE_SYSCALL(regs);
		argv = (const char *const *)PT_REGS_PARM2_CORE_SYSCALL(regs);
	} else {
		filename = (const char *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		argv = (const char *const *)PT_REGS_PARM3_CORE_SYSCALL(regs);
	}
	argv_len = read_user_argv(e, argv);
	barrier_var(argv_len);
	argv_len &= OBSERVE_ARGV_LIMIT * 2 - 1;
	e->argv_len = argv_len;
	n = bpf_probe_read_user_str(&e->data[argv_len], OBSERVE_FILENAME_MAX, filename);
	submit_exec(&ev, e, argv_len, n, NULL, NULL);
	return 0;
}

SEC("tp/syscalls/sys_exit_execve")
int execve_exit(struct trace_event_raw_sys_exit *ctx)
{
	return report_failed_exec(ctx->ret, 1);	/* execve(filename, argv, envp) */
}

SEC("tp/syscalls/sys_exit_execveat")
int execveat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return report_failed_exec(ctx->ret, 2);	/* execveat(dirfd, filename, argv, ...) */
}

/* The same, tail-called by the syscalls collector's sys_exit program when
 * it is loaded (syscall_exits in syscalls.bpf.c): the loader uses these
 * or those. */
SEC("tp_btf/sys_exit")
int BPF_PROG(execve_exit_tail, struct pt_regs *regs, long ret)
{
	return report_failed_exec(ret, 1);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(execveat_exit_tail, struct pt_regs *regs, long ret)
{
	return report_failed_exec(ret, 2);
}

/* The slots whose pid set this exec changes, before the exec event is built
 * so that it passes: one waiting for the first exec of a comm (observe-agent
 * -c), whose flag the first such exec clears; one following the processes
 * of an executable (--exe), which this exec joins or leaves. */
static __always_inline void seed_slot_pid_sets(__u32 waiting, struct linux_binprm *bprm)
{
	/* The file's inode and the one its path names: the same but on a
	 * stacked file system (overlayfs), where stat(2) may report either. */
	struct inode *inode = bprm->file->f_inode, *named = bprm->file->f_path.dentry->d_inode;
	__u64 comm[2] = {}, ino = inode->i_ino, named_ino = named->i_ino;
	__u32 pid, bits = 0, leave = 0, dev = inode->i_sb->s_dev, named_dev = named->i_sb->s_dev;
	__u32 *entry;

	bpf_get_current_comm(comm, sizeof(comm));
#pragma unroll
	for (__u32 i = 0; i < OBSERVE_MAX_SLOTS; i++) {
		struct observe_slot_cfg *cfg;
		const __u64 *want;
		__u32 key = i;

		if (!(waiting & (1u << i)))
			continue;
		cfg = bpf_map_lookup_elem(&observe_slot_cfg, &key);
		if (!cfg)
			continue;
		if (cfg->match & OBSERVE_SLOT_SEED_EXE) {
			if ((cfg->exe_ino == ino && cfg->exe_dev == dev) ||
			    (cfg->exe_ino == named_ino && cfg->exe_dev == named_dev))
				bits |= cfg->pid_set;
			else
				leave |= cfg->pid_set;
			continue;
		}
		if (!(cfg->match & OBSERVE_SLOT_SEED_COMM))
			continue;
		want = (const __u64 *)cfg->comm;
		if (want[0] != comm[0] || want[1] != comm[1])
			continue;
		if (__sync_fetch_and_and(&cfg->match, ~OBSERVE_SLOT_SEED_COMM) &
		    OBSERVE_SLOT_SEED_COMM)
			bits |= cfg->pid_set;
	}
	if (!bits && !leave)
		return;
	pid = bpf_get_current_pid_tgid() >> 32;
	entry = bpf_map_lookup_elem(&observe_slot_pids, &pid);
	if (entry) {
		if (leave)
			__sync_fetch_and_and(entry, ~leave);
		if (bits)
			__sync_fetch_and_or(entry, bits);
	} else if (bits) {
		bpf_map_update_elem(&observe_slot_pids, &pid, &bits, BPF_NOEXIST);
	}
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	const struct observe_readers *readers = observe_readers_of(&observe_readers);
	struct observe_event_ctx ev = {};
	struct observe_exec_event *e;
	unsigned long arg_start, arg_end;
	__u32 argv_len, limit = argv_limit();
	struct mm_struct *mm;
	long n;

	if (readers && readers->slot_pid_sets)
		seed_slot_pid_sets(readers->slot_pid_sets, bprm);
	e = (struct observe_exec_event *)observe_event_begin(&ev, OBSERVE_EV_EXEC);
	if (!e)
		return 0;
	e->retval = 0;
	e->argc = bprm->argc;
	e->missing = 0;

	/* The kernel has just copied the arguments to the new stack, where
	 * they lie NUL-separated between arg_start and arg_end. */
	mm = task->mm;
	arg_start = mm->arg_start;
	arg_end = mm->arg_end;
	argv_len = arg_end > arg_start ? arg_end - arg_start : 0;
	if (argv_len > limit) {
		argv_len = limit;
		e->hdr.flags |= OBSERVE_F_TRUNCATED;
	}
	/* clang reuses the unclamped register; the barrier and mask give the
	 * verifier a bound it can see (the scratch has room for 2 * LIMIT). */
	barrier_var(argv_len);
	argv_len &= OBSERVE_ARGV_LIMIT * 2 - 1;
	if (argv_len && bpf_probe_read_user(e->data, argv_len, (const void *)arg_start)) {
		argv_len = 0;
		e->hdr.flags |= OBSERVE_F_INCOMPLETE;
	}
	e->argv_len = argv_len;

	n = bpf_probe_read_kernel_str(&e->data[argv_len], OBSERVE_FILENAME_MAX, bprm->filename);
	submit_exec(&ev, e, argv_len, n, task, bprm);
	return 0;
}

/* Processes whose exit was reported. Several threads can see signal->live
 * at zero (each decrements it well before the tracepoint), so the first to
 * insert reports. The key outlives pid and pointer reuse: the signal_struct
 * address with the leader's start time. */
struct exit_key {
	__u64 signal;
	__u64 start_time;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct exit_key);
	__type(value, __u8);
} exits_reported SEC(".maps");

static __always_inline bool first_to_report_exit(struct task_struct *task)
{
	struct exit_key key = {
		.signal = (__u64)task->signal,
		.start_time = task->group_leader->start_time,
	};
	__u8 one = 1;

	return bpf_map_update_elem(&exits_reported, &key, &one, BPF_NOEXIST) == 0;
}

/* An allowed pid with follow_children set passes its allowance to children,
 * whether or not anyone reads at the moment. Called when observe_readers says
 * so; the filter itself decides. */
static __always_inline void follow_child(__u32 parent_pid, __u32 child_pid)
{
	const struct observe_filter *f = observe_global_filter();
	struct observe_pid_entry *parent, child = {};

	if (!f || !f->follow_children || f->pid_mode != OBSERVE_FILTER_ALLOW)
		return;
	parent = bpf_map_lookup_elem(&observe_filter_pids, &parent_pid);
	if (!parent)
		return;
	child.origin_pid = parent->origin_pid ? parent->origin_pid : parent_pid;
	bpf_map_update_elem(&observe_filter_pids, &child_pid, &child, BPF_NOEXIST);
}

/* A child of a pid some slots follow is followed by the same slots. */
static __always_inline void follow_child_in_slots(__u32 parent_pid, __u32 child_pid)
{
	const __u32 *parent = bpf_map_lookup_elem(&observe_slot_pids, &parent_pid);
	__u32 bits;

	if (!parent)
		return;
	bits = *parent;
	bpf_map_update_elem(&observe_slot_pids, &child_pid, &bits, BPF_ANY);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_fork, struct task_struct *parent, struct task_struct *child)
{
	const struct observe_readers *readers = observe_readers_of(&observe_readers);
	struct observe_event_ctx ev = {};
	struct observe_fork_event *e;
	__u32 child_pid = child->tgid;
	__u32 child_tid = child->pid;

	if (child_pid != child_tid)
		return 0;	/* a new thread, not a new process */
	if (!readers)
		return 0;
	/* One line says whether to follow and whether anybody reads. */
	if (readers->follow_children)
		follow_child(parent->tgid, child_pid);
	if (readers->slot_pid_sets)
		follow_child_in_slots(parent->tgid, child_pid);
	if (!readers->mask)
		return 0;

	e = (struct observe_fork_event *)observe_event_begin(&ev, OBSERVE_EV_FORK);
	if (!e)
		return 0;
	e->child_pid = child_pid;
	e->child_tid = child_tid;
	observe_event_submit(&ev, sizeof(*e));
	return 0;
}

/* The exit of a process, its last thread leaving: 'dedup' when several
 * threads may get here for one process. */
static __always_inline void report_exit(struct task_struct *task, bool dedup)
{
	const struct observe_readers *readers = observe_readers_of(&observe_readers);
	struct observe_event_ctx ev = {};
	struct observe_exit_event *e;
	__u32 pid;

	if (!readers)
		return;
	e = readers->mask ? (struct observe_exit_event *)observe_event_begin(&ev, OBSERVE_EV_EXIT)
			  : NULL;
	if (e && (!dedup || first_to_report_exit(task))) {
		e->exit_status = task->exit_code;
		e->lifetime_ns = bpf_ktime_get_ns() - task->group_leader->start_time;
		if (e->exit_status)
			e->hdr.flags |= OBSERVE_F_FAILED;
		observe_event_submit(&ev, sizeof(*e));
	}

	/* A pid in a set must not outlive its process: the number is reused. */
	if (!readers->pid_set_on && !readers->slot_pid_sets)
		return;
	pid = task->tgid;
	if (readers->pid_set_on)
		bpf_map_delete_elem(&observe_filter_pids, &pid);
	if (readers->slot_pid_sets)
		bpf_map_delete_elem(&observe_slot_pids, &pid);
}

/* Kernels whose tracepoint passes group_dead (6.18 has it; the loader reads
 * the tracepoint's BTF): true for exactly the one thread whose exit ended
 * the process, so there is nothing to keep and no set to update. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_exit, struct task_struct *task, bool group_dead)
{
	if (group_dead)
		report_exit(task, false);
	return 0;
}

/* Older kernels: signal->live drops to zero before this tracepoint when the
 * last thread leaves, but another thread still on its way out may read zero
 * too; the first one into exits_reported reports. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_exit_live, struct task_struct *task)
{
	if (task->signal->live.counter == 0)
		report_exit(task, true);
	return 0;
}
