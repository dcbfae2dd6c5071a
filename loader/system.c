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
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
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

/* Whether the directory open as fd is the root of a mount. */
static bool is_mount_root(int fd)
{
	struct statx stx;

	return statx(fd, "", AT_EMPTY_PATH, 0, &stx) == 0 &&
	       (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	       (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

int ensure_bpffs(const char *pin_dir)
{
	const char *root = "/sys/fs/bpf";
	struct stat st;
	int parent;

	if (strncmp(pin_dir, "/sys/fs/bpf/", strlen("/sys/fs/bpf/")) == 0 && !is_fs(root, BPF_FS_MAGIC)) {
		if (mount("bpf", root, "bpf", 0, "mode=0755")) {
			report_error("cannot mount bpffs at %s: %s", root, strerror(errno));
			return -1;
		}
		fprintf(stderr, "observe-load: mounted bpffs at %s\n", root);
	}
	if (check_pin_dir(pin_dir))
		return -1;
	parent = open_pin_parent(pin_dir);
	if (parent < 0)
		return -1;
	/* systemd mounts /sys/fs/bpf with mode 0700: group members could not
	 * reach the pins below it. o+x lets them through without listing it;
	 * only a bpffs mount's root is changed so, never a directory of
	 * someone else's below it. */
	if (!fstat(parent, &st) && !(st.st_mode & S_IXOTH)) {
		if (!is_mount_root(parent))
			report_warn("readers cannot reach %s: the directory above it is not "
				    "traversable (o+x)", pin_dir);
		else if (fchmod(parent, (st.st_mode & 07777) | S_IXOTH)) {
			report_error("cannot make the bpffs mount above %s traversable for "
				     "readers: %s", pin_dir, strerror(errno));
			close(parent);
			return -1;
		} else {
			fprintf(stderr, "observe-load: made the bpffs mount above %s traversable "
				"(o+x) so that readers reach it\n", pin_dir);
		}
	}
	close(parent);
	return 0;
}

int open_regular_file(const char *path)
{
	/* O_NONBLOCK: opening a FIFO for reading waits for a writer. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st)) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return -1;
	}
	/* Reads of a regular file never wait: blocking again for stdio. */
	fcntl(fd, F_SETFL, 0);
	return fd;
}

const char *open_regular_error(int err)
{
	if (err == EISDIR)
		return "is a directory, not a regular file";
	if (err == EINVAL)
		return "not a regular file (a FIFO, a device or a socket)";
	return strerror(err);
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

/* One lock file per pin directory, in a directory only root may enter: no
 * other user can hold it, unlike a lock on /sys/fs/bpf itself. */
#define LOCK_DIR "/run/observe-load"

/* The lock file's name: the pin directory's path with every byte outside
 * [A-Za-z0-9._~-] as %XX (as Python's urllib.parse.quote(path, safe="")),
 * or a hash of a path too long for a name. */
static void lock_name(char *buf, size_t len, const char *pin_dir)
{
	static const char hex[] = "0123456789ABCDEF";
	uint64_t hash = 14695981039346656037ULL;	/* FNV-1a */
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)pin_dir; *p; p++) {
		hash = (hash ^ *p) * 1099511628211ULL;
		if (n + 8 >= len)
			continue;
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("._~-", *p)) {
			buf[n++] = *p;
		} else {
			buf[n++] = '%';
			buf[n++] = hex[*p >> 4];
			buf[n++] = hex[*p & 15];
		}
	}
	if (n + 8 >= len)
		snprintf(buf, len, "long-%016llx.lock", (unsigned long long)hash);
	else
		snprintf(buf + n, len - n, ".lock");
}

static int open_lock_file(const char *name)
{
	struct stat st;
	int dir, fd;

	if (mkdir(LOCK_DIR, 0700) && errno != EEXIST)
		return report_error("cannot create %s: %s", LOCK_DIR, strerror(errno)), -1;
	dir = open_no_symlinks(LOCK_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (dir < 0 || fstat(dir, &st) || st.st_uid != 0 || (st.st_mode & 077)) {
		report_error("%s must be a directory of root's that only root may enter%s%s",
			     LOCK_DIR, dir < 0 ? ": " : "", dir < 0 ? strerror(errno) : "");
		if (dir >= 0)
			close(dir);
		return -1;
	}
	fd = openat(dir, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	close(dir);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != 0) {
		report_error("cannot open the lock file %s/%s%s%s", LOCK_DIR, name, fd < 0 ? ": " : "",
			     fd < 0 ? strerror(errno) : ": not a regular file of root's");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* "pid 123 (observe-load)": the process holding fd's lock. */
static void lock_holder(int fd, char *buf, size_t len)
{
	struct flock who = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char path[64], comm[32] = "";
	FILE *f;

	if (fcntl(fd, F_GETLK, &who) || who.l_type == F_UNLCK) {
		snprintf(buf, len, "a process that just left");
		return;
	}
	if (who.l_pid <= 0) {
		snprintf(buf, len, "a process of another pid namespace");
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)who.l_pid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}
	snprintf(buf, len, "pid %d%s%s%s", (int)who.l_pid, *comm ? " (" : "", comm, *comm ? ")" : "");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int lock_out_other_loaders(const char *pin_dir, unsigned wait_s)
{
	struct flock whole = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	double deadline = now_s() + wait_s;
	char name[256], holder[128];
	bool told = false;
	int fd;

	lock_name(name, sizeof(name), pin_dir);
	fd = open_lock_file(name);
	if (fd < 0)
		return -1;
	/* A POSIX lock, not flock(): F_GETLK names the holder's pid. */
	while (fcntl(fd, F_SETLK, &whole)) {
		if (errno != EAGAIN && errno != EACCES) {
			report_error("cannot lock %s/%s: %s", LOCK_DIR, name, strerror(errno));
			close(fd);
			return -1;
		}
		lock_holder(fd, holder, sizeof(holder));
		if (now_s() >= deadline) {
			report_error("%s holds the loaders' lock of %s (%s/%s) and kept it longer "
				     "than %u s: gave up; end it, or wait longer with --lock-wait",
				     holder, pin_dir, LOCK_DIR, name, wait_s);
			close(fd);
			return -1;
		}
		if (!told)
			fprintf(stderr, "observe-load: waiting up to %u s for %s, which loads or "
				"unloads %s\n", wait_s, holder, pin_dir);
		told = true;
		nanosleep(&pause, NULL);
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
