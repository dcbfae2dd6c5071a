// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A detail's programs attached only while it is on (details.h): a program
 * that is not attached costs nothing at all, where one that returns at its
 * first check still costs its call on every syscall or context switch.
 *
 * The loader pins each detail program at details/prog-PROG, readable by
 * the group (in its own directory: no member may remove it); whoever switches a bit (a holder, observe-filter, the loader)
 * then syncs: under an exclusive flock() of details/, it reads the bits and
 * attaches the program, pinning its link at details/NAME/link-PROG, or
 * removes that pin. Every switch is followed by a sync, and syncs take turns,
 * so the last one sees the last switch. The programs are BTF-typed raw
 * tracepoints, whose hook was fixed when the loader loaded them: a member
 * can attach them there and nowhere else.
 */
#include "details.h"
#include "flocks.h"
#include "observe.h"
#include "pins.h"
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>

int detail_of_program(unsigned collector, const char *prog)
{
	for (unsigned d = 0; d < OBSERVE_DETAIL_COUNT; d++) {
		if (observe_details[d].collector != collector)
			continue;
		for (unsigned i = 0; i < DETAIL_MAX_PROGRAMS && observe_details[d].programs[i]; i++)
			if (!strcmp(observe_details[d].programs[i], prog))
				return d;
	}
	return -1;
}

bool details_prog_path(char *buf, size_t len, const char *dir, const char *prog)
{
	int n = snprintf(buf, len, "%s/" OBSERVE_DETAILS_LOCK_DIR "/prog-%s", dir, prog);

	return n > 0 && (size_t)n < len;
}

bool details_link_path(char *buf, size_t len, const char *dir, unsigned detail, const char *prog)
{
	int n = snprintf(buf, len, "%s/" OBSERVE_DETAILS_LOCK_DIR "/%s/link-%s", dir,
			 observe_details[detail].name, prog);

	return n > 0 && (size_t)n < len;
}

static __u32 prog_id(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* The id of the program the link pinned at path runs; 0 if none is. */
static __u32 linked_prog_id(const char *path)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);	/* a link opens only for reading and writing */

	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.prog_id = 0;
	close(fd);
	return info.prog_id;
}

/* The new link's pin, for the group: pinned under a name of ours, given to
 * the group through an fd that is not a symbolic link, then put in place. */
static int pin_link(int link_fd, const char *path, gid_t gid)
{
	char tmp[4200], self[64];
	struct stat st;
	int fd, err = -1;

	snprintf(tmp, sizeof(tmp), "%s-tmp-%d", path, (int)getpid());
	unlink(tmp);
	if (bpf_obj_pin(link_fd, tmp))
		return report_error("cannot pin %s: %s", tmp, strerror(errno)), -1;
	fd = open(tmp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode))
		report_error("cannot open %s: %s", tmp, strerror(errno));
	else if (fchownat(fd, "", -1, gid, AT_EMPTY_PATH) || chmod(self, 0660))
		report_error("cannot give %s to the group: %s", tmp, strerror(errno));
	else if (rename(tmp, path))
		report_error("cannot put %s in place: %s", path, strerror(errno));
	else
		err = 0;
	if (fd >= 0)
		close(fd);
	if (err)
		unlink(tmp);
	return err;
}

/* Attached: the link pinned at NAME/link-PROG runs the program pinned at
 * prog-PROG, the one the last load left (a reload replaces it). */
static int attach_hook(const char *dir, unsigned detail, const char *prog, gid_t gid)
{
	LIBBPF_OPTS(bpf_obj_get_opts, read_only, .file_flags = BPF_F_RDONLY);
	char prog_path[4096], link_path[4096];
	int prog_fd, link_fd, err;
	__u32 id;

	if (!details_prog_path(prog_path, sizeof(prog_path), dir, prog) ||
	    !details_link_path(link_path, sizeof(link_path), dir, detail, prog))
		return report_error("pin path too long: %s", dir), -1;
	prog_fd = bpf_obj_get_opts(prog_path, &read_only);
	if (prog_fd < 0 && errno == ENOENT)
		return 0;	/* left out at load, or loaded by a version that attached it for good */
	if (prog_fd < 0)
		return pins_explain_error(dir, prog_path, errno), -1;
	id = prog_id(prog_fd);
	if (id && linked_prog_id(link_path) == id) {
		close(prog_fd);
		return 0;
	}
	link_fd = bpf_raw_tracepoint_open(NULL, prog_fd);
	if (link_fd < 0) {
		report_error("cannot attach %s (%s): %s", prog, observe_details[detail].name,
			     strerror(errno));
		close(prog_fd);
		return -1;
	}
	err = pin_link(link_fd, link_path, gid);
	close(link_fd);		/* the pin holds it */
	close(prog_fd);
	return err;
}

int details_detach_hook(const char *dir, unsigned detail, const char *prog)
{
	char path[4096];

	if (!details_link_path(path, sizeof(path), dir, detail, prog))
		return -1;
	if (unlink(path) && errno != ENOENT)
		return report_error("cannot detach %s: %s", path, strerror(errno)), -1;
	return 0;
}

/* A sync killed between its pin and its rename left a link attached under
 * a temporary name: under the lock no other sync runs, so every one found
 * is such a leftover. */
static void remove_leftover_links(const char *dir, unsigned detail)
{
	char detail_dir[4096];
	struct dirent *de;
	DIR *d;
	int fd;

	if (!details_lock_path(detail_dir, sizeof(detail_dir), dir, detail) ||
	    !(d = opendir(detail_dir)))
		return;
	fd = dirfd(d);
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "link-", 5) && strstr(de->d_name, "-tmp-"))
			unlinkat(fd, de->d_name, 0);
	closedir(d);
}

/*
 * A member may hold details/ for as long as it likes: a sync waits at most
 * DETAILS_LOCK_WAIT_MS for it. Root (the loader) then goes on without it,
 * the syncs it could race being held up by that member; anyone else gives up.
 */
static int lock_details(int fd, const char *path)
{
	bool exclusive;
	uint32_t pid = 0;

	if (!flock_within(fd, LOCK_EX, DETAILS_LOCK_WAIT_MS))
		return 0;
	if (errno != EWOULDBLOCK)
		return report_error("cannot lock %s: %s", path, strerror(errno)), -1;
	flock_holder(fd, &pid, &exclusive);
	if (geteuid() == 0) {
		report_warn("%s has been locked by pid %u for %u s: switching the details' programs "
			    "without it", path, pid, DETAILS_LOCK_WAIT_MS / 1000);
		return 0;
	}
	return report_error("%s has been locked by pid %u for %u s: the details' programs cannot "
			    "be switched now", path, pid, DETAILS_LOCK_WAIT_MS / 1000), -1;
}

/* The programs of one detail attached or detached as its bits say. */
static int sync_detail(const char *dir, const struct observe_readers *readers, unsigned detail,
		       gid_t gid)
{
	const struct detail *dt = &observe_details[detail];
	bool on = readers->details_on & OBSERVE_DETAIL_ON(detail);
	int err = 0;

	remove_leftover_links(dir, detail);
	for (unsigned i = 0; i < DETAIL_MAX_PROGRAMS && dt->programs[i]; i++)
		if (on ? attach_hook(dir, detail, dt->programs[i], gid)
		       : details_detach_hook(dir, detail, dt->programs[i]))
			err = -1;
	return err;
}

int details_sync_hooks(const char *dir, int readers_fd, uint32_t details)
{
	struct observe_readers readers;
	char top[4096];
	struct stat st;
	__u32 zero = 0;
	int lock_fd, err = 0;

	if (!pins_path(top, sizeof(top), dir, OBSERVE_DETAILS_LOCK_DIR))
		return -1;
	lock_fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock_fd < 0)
		return pins_explain_error(dir, top, errno), -1;
	if (fstat(lock_fd, &st) || lock_details(lock_fd, top)) {
		close(lock_fd);
		return -1;
	}
	/* Read under the lock: the bits as the last switch left them. */
	if (bpf_map_lookup_elem(readers_fd, &zero, &readers)) {
		report_error("cannot read observe_readers: %s", strerror(errno));
		close(lock_fd);
		return -1;
	}
	for (unsigned d = 0; d < OBSERVE_DETAIL_COUNT; d++)
		if ((details & (1u << d)) && sync_detail(dir, &readers, d, st.st_gid))
			err = -1;
	close(lock_fd);
	return err;
}
