/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The container a cgroup path names, read from the path alone, by the
 * conventions of the runtimes and of the kubelet, with no runtime socket:
 *
 *   docker      .../docker-<id>.scope (systemd driver), /docker/<id> (cgroupfs)
 *   containerd  .../cri-containerd-<id>.scope
 *   cri         /kubepods/<qos>/pod<uid>/<id> (the kubelet's cgroupfs driver)
 *   cri-o       .../crio-<id>.scope
 *   podman      .../libpod-<id>.scope, /libpod_parent/libpod-<id>
 *   nspawn      /machine.slice/systemd-nspawn@<name>.service, machine-<name>.scope
 *
 * and the Kubernetes pod UID from a "pod<uid>" component (kubepods-...-pod
 * <uid with '_' for '-'>.slice, or /kubepods/<qos>/pod<uid>).
 */
#ifndef OBSERVE_CONTAINER_H
#define OBSERVE_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONTAINER_ID_LEN 65		/* 64 hex digits, or a machine name */
#define POD_UID_LEN 37			/* 8-4-4-4-12 */

struct container {
	const char *runtime;		/* "docker", "containerd", "cri-o", "cri", "podman", "systemd-nspawn" */
	char id[CONTAINER_ID_LEN];
	char pod_uid[POD_UID_LEN];	/* "" outside Kubernetes */
};

/* True when 'path' names a container; 'c' is then filled in. */
bool container_from_cgroup(const char *path, struct container *c);

/*
 * The cgroup ids (directory inodes under the cgroup2 mount 'root') of the
 * container whose id is 'id' or starts with it (docker's 12-digit short
 * ids), its nested cgroups included. Returns how many (at most 'max'), or
 * -1 with 'err' set: no such container, or a prefix two containers share.
 */
int container_cgroup_ids(const char *root, const char *id, uint64_t *ids, size_t max, char *err,
			 size_t err_len);

#endif /* OBSERVE_CONTAINER_H */
