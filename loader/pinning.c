// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Owners and modes of the pins (who may do what: lib/pins.c), and removing
 * them all (--unload). The pin
 * directory is trusted only as a real directory on bpffs that only root may
 * change: no component of its path may be a symbolic link (openat2 with
 * RESOLVE_NO_SYMLINKS), and owners and modes are changed through an fd of
 * the object checked, so that no path leads the loader outside it.
 */
#include "loader.h"
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/openat2.h>

/* path opened with flags; -1 with errno ELOOP when a component of it is a
 * symbolic link. */
int open_no_symlinks(const char *path, int flags)
{
	struct open_how how = { .flags = flags | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS };

	return syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
}

static bool on_bpffs(int fd)
{
	struct statfs fs;

	return fstatfs(fd, &fs) == 0 && (unsigned long)fs.f_type == BPF_FS_MAGIC;
}

/* Why path could not be opened (errno err) as a directory, in words. */
static const char *why_not_dir(const char *path, int err)
{
	struct stat st;

	if (err != ELOOP && err != ENOTDIR)
		return strerror(err);
	if (!lstat(path, &st) && S_ISLNK(st.st_mode))
		return "it is a symbolic link, which observe-load never follows";
	if (!lstat(path, &st) && !S_ISDIR(st.st_mode))
		return "it is not a directory (a pinned object?)";
	return err == ELOOP ? "a directory above it is a symbolic link, which observe-load never follows"
			    : "a component of its path is not a directory";
}

int open_pin_parent(const char *pin_dir)
{
	char parent[4096];
	struct stat st;
	char *slash;
	int fd;

	snprintf(parent, sizeof(parent), "%s", pin_dir);
	slash = strrchr(parent, '/');
	if (pin_dir[0] != '/' || !slash || slash == parent || !slash[1] || !strcmp(slash, "/.") ||
	    !strcmp(slash, "/..")) {
		report_error("pin directory must be a directory below a bpffs mount, like "
			     "/sys/fs/bpf/observe: %s", pin_dir);
		return -1;
	}
	*slash = 0;
	fd = open_no_symlinks(parent, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		report_error("cannot use %s for the pin directory: %s", parent, why_not_dir(parent, errno));
		return -1;
	}
	if (!on_bpffs(fd) || fstat(fd, &st)) {
		report_error("%s is not on a bpffs mount: choose a pin directory below /sys/fs/bpf "
			     "(or mount bpffs there: mount -t bpf bpf %s)", pin_dir, parent);
		close(fd);
		return -1;
	}
	/* Another owner could swap the pin directory for a link between our
	 * checks and our changes. A sticky directory (bpffs mounts 1777 by
	 * default) lets nobody else rename or remove root's entries. */
	if (st.st_uid != 0 || ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))) {
		report_error("%s may be changed by others than root (owner uid %u, mode %04o): "
			     "choose a pin directory whose parent only root may change", parent,
			     st.st_uid, st.st_mode & 07777);
		close(fd);
		return -1;
	}
	return fd;
}

int check_pin_dir(const char *pin_dir)
{
	int parent = open_pin_parent(pin_dir), fd;
	struct stat st;

	if (parent < 0)
		return -1;
	close(parent);
	fd = open_no_symlinks(pin_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return 0;	/* a first load creates it */
	if (fd < 0) {
		report_error("refusing pin directory %s: %s", pin_dir, why_not_dir(pin_dir, errno));
		return -1;
	}
	if (!on_bpffs(fd)) {
		report_error("refusing pin directory %s: something other than bpffs is mounted on it",
			     pin_dir);
		close(fd);
		return -1;
	}
	/* Where others may create entries, one of theirs may wait for us,
	 * with maps of theirs in it. */
	if (fstat(fd, &st) || st.st_uid != 0) {
		report_error("refusing pin directory %s: it belongs to uid %u, not root: observe-load "
			     "did not create it", pin_dir, (unsigned)st.st_uid);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int pin_make_dir(const char *path, gid_t gid, mode_t mode, bool *created)
{
	struct stat st;
	int fd;

	*created = false;
	if (mkdir(path, mode) == 0)
		*created = true;
	else if (errno != EEXIST) {
		report_error("cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	fd = open_no_symlinks(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (fd < 0) {
		report_error("refusing %s: %s", path, why_not_dir(path, errno));
		return -1;
	}
	if (!on_bpffs(fd) || fstat(fd, &st) || st.st_uid != 0) {
		report_error("refusing %s: it is not a directory of root's on bpffs", path);
		close(fd);
		return -1;
	}
	if (fchown(fd, 0, gid) || fchmod(fd, mode)) {
		report_error("cannot set owner and mode of %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int pin_set_owner(const char *path, gid_t gid, mode_t mode)
{
	int fd = open_no_symlinks(path, O_PATH | O_NOFOLLOW);
	char self[64];
	struct stat st;
	int err = 0;

	if (fd < 0) {
		report_error("cannot set owner and mode of %s: %s", path, why_not_dir(path, errno));
		return -1;
	}
	/* A pin is a regular file of bpffs; chmod has no flag for an O_PATH
	 * fd before Linux 6.6 (fchmodat2): its /proc link names this inode. */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || !on_bpffs(fd)) {
		report_error("refusing %s: it is not a pinned object", path);
		err = -1;
	} else if (fchownat(fd, "", 0, gid, AT_EMPTY_PATH) || chmod(self, mode)) {
		report_error("cannot set owner and mode of %s: %s", path, strerror(errno));
		err = -1;
	}
	close(fd);
	return err;
}

/* Removes every entry of dir (one level), then dir; returns entries removed. */
static int remove_dir(const char *dir, int *failed)
{
	char path[4096];
	struct dirent *de;
	int removed = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_type == DT_DIR) {
			removed += remove_dir(path, failed);
			continue;
		}
		if (unlink(path)) {
			report_error("cannot remove %s: %s", path, strerror(errno));
			(*failed)++;
		} else {
			removed++;
		}
	}
	closedir(d);
	if (rmdir(dir)) {
		report_error("cannot remove %s: %s", dir, strerror(errno));
		(*failed)++;
	}
	return removed;
}

/* Removes the tmp- pins below dir (depth levels down). */
static void remove_staging_in(const char *dir, int depth)
{
	char path[4096];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_type == DT_DIR && depth > 0)
			remove_staging_in(path, depth - 1);
		else if (de->d_type == DT_REG && !strncmp(de->d_name, "tmp-", 4) && !unlink(path))
			fprintf(stderr, "observe-load: removed %s, left by a run that was killed\n", path);
	}
	closedir(d);
}

void remove_leftover_staging(const char *pin_dir)
{
	remove_staging_in(pin_dir, 2);	/* tls/slot<N>/ is the deepest */
}

/* Whether dir holds what observe-load pins: observe_info, links/, or a first
 * load's pins that a killed run left under their temporary names. */
static bool looks_like_pin_dir(const char *dir)
{
	char path[4096];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "%s/observe_info", dir);
	if (!access(path, F_OK))
		return true;
	snprintf(path, sizeof(path), "%s/" OBSERVE_LINKS_SUBDIR, dir);
	if (!access(path, F_OK))
		return true;
	d = opendir(dir);
	while (d && !found && (de = readdir(d)))
		found = !strncmp(de->d_name, "tmp-", 4) && strstr(de->d_name, "-observe_");
	if (d)
		closedir(d);
	return found;
}

int unload_pins(const char *pin_dir)
{
	char path[4096];
	int failed = 0, links, pins;

	if (check_pin_dir(pin_dir))
		return 1;
	if (access(pin_dir, F_OK)) {
		printf("observe-load: nothing loaded at %s\n", pin_dir);
		return 0;
	}
	if (!looks_like_pin_dir(pin_dir)) {
		report_error("%s does not look like observe's pin directory: not touching it", pin_dir);
		return 1;
	}
	/* Links first: the programs stop before their maps go. */
	snprintf(path, sizeof(path), "%s/" OBSERVE_LINKS_SUBDIR, pin_dir);
	links = remove_dir(path, &failed);
	pins = remove_dir(pin_dir, &failed);
	if (failed) {
		report_error("%d pins could not be removed from %s", failed, pin_dir);
		return 1;
	}
	printf("observe-load: unloaded: %d links detached, %d pins removed from %s\n", links, pins,
	       pin_dir);
	return 0;
}
