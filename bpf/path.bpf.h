/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A file's path as the kernel resolved it, from its dentries and mounts,
 * for program types that may not call bpf_d_path (tracepoints). The path is
 * the one the current task sees: from its root (a chroot's too) or, above
 * it, from the root of its mount namespace, as d_path gives it; a path deeper than
 * OBSERVE_PATH_DEPTH components or longer than OBSERVE_PATH_MAX - 1 bytes
 * keeps its last components and says so.
 */
#ifndef OBSERVE_PATH_BPF_H
#define OBSERVE_PATH_BPF_H

#include "observe.bpf.h"

#define OBSERVE_PATH_MAX 512	/* bytes of a resolved path, NUL included */
#define OBSERVE_PATH_DEPTH 40	/* dentries and mount crossings walked at most */
#define OBSERVE_NAME_MAX 255	/* one component (NAME_MAX) */

_Static_assert((OBSERVE_PATH_MAX & (OBSERVE_PATH_MAX - 1)) == 0, "masks need a power of two");

/* The path is built backwards, from its last component, in a buffer twice
 * as large as a path so that every masked offset plus a name stays in it. */
struct observe_path_buf {
	char bytes[2 * OBSERVE_PATH_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct observe_path_buf);
} observe_path_scratch SEC(".maps");

/* The walk's state between steps of bpf_loop: a step is verified once,
 * where an unrolled or bounded loop made the verifier follow every length. */
struct observe_path_walk {
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	struct dentry *root;		/* the task's root (chroot), where a path starts */
	struct vfsmount *root_mnt;
	__u32 pos;		/* the path so far is bytes[pos, OBSERVE_PATH_MAX) */
	bool cut;
	bool done;
};

/* One step up: a component, or a mount crossed. Returns 1 to stop. */
static long observe_path_step(__u32 i, void *ctx)
{
	struct observe_path_walk *walk = ctx;
	struct dentry *dentry = walk->dentry, *parent;
	struct mount *mnt = walk->mnt, *mnt_parent;
	struct vfsmount *vfsmnt = walk->vfsmnt;
	struct observe_path_buf *buf;
	__u32 zero = 0, pos = walk->pos, len;
	struct qstr name;

	if (dentry == walk->root && vfsmnt == walk->root_mnt)
		goto done;	/* the task's root: a chroot's top is its "/" */
	if (dentry == BPF_CORE_READ(vfsmnt, mnt_root)) {
		/* The top of this mount: on to where it is mounted. */
		mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
		if (mnt_parent == mnt)
			goto done;	/* the namespace's root */
		walk->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		walk->mnt = mnt_parent;
		walk->vfsmnt = &mnt_parent->mnt;
		return 0;
	}
	parent = BPF_CORE_READ(dentry, d_parent);
	if (parent == dentry)
		goto done;	/* a root without a mount (a pipe's, a memfd's) */
	name = BPF_CORE_READ(dentry, d_name);
	len = name.len;
	buf = bpf_map_lookup_elem(&observe_path_scratch, &zero);
	if (!buf || pos >= OBSERVE_PATH_MAX || len > OBSERVE_NAME_MAX || len + 1 > pos) {
		walk->cut = true;
		goto done;
	}
	/* The checks above keep pos - len - 1 in [0, OBSERVE_PATH_MAX); the
	 * masks restate that for the verifier, which loses it in the subtraction. */
	pos = (pos - len) & (OBSERVE_PATH_MAX - 1);
	if (bpf_probe_read_kernel(&buf->bytes[pos], len & OBSERVE_NAME_MAX, name.name))
		goto done;
	pos = (pos - 1) & (OBSERVE_PATH_MAX - 1);
	buf->bytes[pos] = '/';
	walk->pos = pos;
	walk->dentry = parent;
	return 0;
done:
	walk->done = true;
	return 1;
}

/*
 * Copies the path of 'path' to dst (OBSERVE_PATH_MAX bytes at most, NUL
 * included). Returns the bytes written, NUL included, or 0 when nothing
 * could be read; sets *cut when leading components were left out.
 */
static __always_inline __u32 observe_path_copy(const struct path *path, char *dst, bool *cut)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct observe_path_walk walk = { .pos = OBSERVE_PATH_MAX - 1 };
	struct observe_path_buf *buf;
	__u32 zero = 0, pos, len;

	buf = bpf_map_lookup_elem(&observe_path_scratch, &zero);
	if (!buf || !path)
		return 0;
	buf->bytes[OBSERVE_PATH_MAX - 1] = 0;
	walk.dentry = BPF_CORE_READ(path, dentry);
	walk.vfsmnt = BPF_CORE_READ(path, mnt);
	walk.mnt = container_of(walk.vfsmnt, struct mount, mnt);
	walk.root = BPF_CORE_READ(task, fs, root.dentry);
	walk.root_mnt = BPF_CORE_READ(task, fs, root.mnt);
	if (!walk.dentry || !walk.vfsmnt)
		return 0;
	bpf_loop(OBSERVE_PATH_DEPTH, observe_path_step, &walk, 0);
	*cut = walk.cut || !walk.done;	/* !done: deeper than the walk goes */
	pos = walk.pos;
	if (pos >= OBSERVE_PATH_MAX)
		return 0;
	if (pos == OBSERVE_PATH_MAX - 1) {	/* the root itself */
		pos = OBSERVE_PATH_MAX - 2;
		buf->bytes[pos] = '/';
	}
	len = OBSERVE_PATH_MAX - pos;
	barrier_var(len);
	if (len > OBSERVE_PATH_MAX)
		return 0;
	if (bpf_probe_read_kernel(dst, len, &buf->bytes[pos]))
		return 0;
	return len;
}

#endif /* OBSERVE_PATH_BPF_H */
