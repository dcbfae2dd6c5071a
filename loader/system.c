// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Capabilities, file systems and the group that the loader needs. */
#include "loader.h"
#include "report.h"

#include <errno.h>
#include <grp.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/capability.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>

extern char **environ;

static bool has_cap(cap_t caps, cap_value_t cap)
{
	cap_flag_value_t v = CAP_CLEAR;

	return cap_get_flag(caps, cap, CAP_EFFECTIVE, &v) == 0 && v == CAP_SET;
}

int check_capabilities(void)
{
	cap_t caps = cap_get_proc();
	bool admin, bpf, perfmon;

	if (!caps) {
		report_error("cannot read this process's capabilities: %s", strerror(errno));
		return -1;
	}
	admin = has_cap(caps, CAP_SYS_ADMIN);
	bpf = has_cap(caps, CAP_BPF);
	perfmon = has_cap(caps, CAP_PERFMON);
	cap_free(caps);
	if (admin || (bpf && perfmon))
		return 0;
	report_error("missing capabilit%s %s%s%s: observe-load needs CAP_BPF and CAP_PERFMON "
		     "(or CAP_SYS_ADMIN); run it as root",
		     !bpf && !perfmon ? "ies" : "y", bpf ? "" : "CAP_BPF",
		     !bpf && !perfmon ? " and " : "", perfmon ? "" : "CAP_PERFMON");
	return -1;
}

static bool is_fs(const char *path, unsigned long magic)
{
	struct statfs fs;

	return statfs(path, &fs) == 0 && (unsigned long)fs.f_type == magic;
}

int ensure_bpffs(const char *pin_dir)
{
	const char *root = "/sys/fs/bpf";
	struct stat st;
	char parent[4096];
	char *slash;

	if (strncmp(pin_dir, "/sys/fs/bpf/", strlen("/sys/fs/bpf/")) == 0 && !is_fs(root, BPF_FS_MAGIC)) {
		if (mount("bpf", root, "bpf", 0, "mode=0755")) {
			report_error("cannot mount bpffs at %s: %s", root, strerror(errno));
			return -1;
		}
		fprintf(stderr, "observe-load: mounted bpffs at %s\n", root);
	}
	snprintf(parent, sizeof(parent), "%s", pin_dir);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent) {
		report_error("pin directory must be below a bpffs mount, like /sys/fs/bpf/observe: %s", pin_dir);
		return -1;
	}
	*slash = 0;
	if (!is_fs(parent, BPF_FS_MAGIC)) {
		report_error("%s is not on a bpffs mount: choose a pin directory below /sys/fs/bpf "
			     "(or mount bpffs there: mount -t bpf bpf %s)", pin_dir, parent);
		return -1;
	}
	/* systemd mounts /sys/fs/bpf with mode 0700: group members could not
	 * reach the pins below it. o+x lets them through without listing it. */
	if (!stat(parent, &st) && !(st.st_mode & S_IXOTH)) {
		if (chmod(parent, (st.st_mode & 07777) | S_IXOTH)) {
			report_error("cannot make %s traversable for readers: %s", parent, strerror(errno));
			return -1;
		}
		fprintf(stderr, "observe-load: made %s traversable (o+x) so that readers reach %s\n",
			parent, pin_dir);
	}
	return 0;
}

int ensure_tracefs(void)
{
	const char *path = "/sys/kernel/tracing";

	if (access("/sys/kernel/tracing/events", F_OK) == 0 ||
	    access("/sys/kernel/debug/tracing/events", F_OK) == 0)
		return 0;
	if (mount("tracefs", path, "tracefs", 0, NULL)) {
		report_warn("cannot mount tracefs at %s (%s): programs on tp/ tracepoints "
			    "will not attach", path, strerror(errno));
		return -1;
	}
	fprintf(stderr, "observe-load: mounted tracefs at %s\n", path);
	return 0;
}

int lock_out_other_loaders(const char *pin_dir)
{
	char parent[4096];
	char *slash;
	int fd;

	snprintf(parent, sizeof(parent), "%s", pin_dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = 0;
	fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX)) {
		report_error("cannot lock %s against another observe-load: %s", parent, strerror(errno));
		return -1;
	}
	return 0;	/* fd stays open: the lock goes with the process */
}

int resolve_group(const char *name, bool create, gid_t *gid)
{
	char *argv[] = { "groupadd", "--system", (char *)name, NULL };
	struct group *gr = getgrnam(name);
	int status;
	pid_t pid;

	if (gr) {
		*gid = gr->gr_gid;
		return 0;
	}
	if (!create) {
		report_error("no such group: '%s'", name);
		return -1;
	}
	if (posix_spawnp(&pid, "groupadd", NULL, NULL, argv, environ) ||
	    waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		report_error("group '%s' does not exist and 'groupadd --system %s' failed: "
			     "create it, or choose one with --group", name, name);
		return -1;
	}
	gr = getgrnam(name);
	if (!gr) {
		report_error("group '%s' was created but cannot be found", name);
		return -1;
	}
	fprintf(stderr, "observe-load: created group '%s'; add readers with: usermod -aG %s USER\n",
		name, name);
	*gid = gr->gr_gid;
	return 0;
}
