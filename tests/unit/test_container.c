// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* lib/container and lib/cgroup_names: containers named by their cgroup
 * path in each runtime's convention, and ids resolved to paths by a walk. */
#include "cgroup_names.h"
#include "check.h"
#include "container.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ID "3f2c0b5e9a7d41c6b8e0f1a2d3c4b5a69788766554433221100ffeeddccbbaa9"
#define POD "1f6c7d2e-3b4a-4c5d-9e8f-0a1b2c3d4e5f"
#define POD_ "1f6c7d2e_3b4a_4c5d_9e8f_0a1b2c3d4e5f"

static void check_container(const char *path, const char *runtime, const char *id, const char *pod)
{
	struct container c;
	bool found = container_from_cgroup(path, &c);

	if (!runtime) {
		CHECK_FALSE(found);
		return;
	}
	if (!CHECK_TRUE(found))
		return;
	CHECK_STREQ(runtime, c.runtime);
	CHECK_STREQ(id, c.id);
	CHECK_STREQ(pod, c.pod_uid);
}

TEST(container_docker_podman_crio_and_containerd_scopes)
{
	check_container("/system.slice/docker-" ID ".scope", "docker", ID, "");
	check_container("/docker/" ID, "docker", ID, "");
	check_container("/machine.slice/libpod-" ID ".scope/container", "podman", ID, "");
	check_container("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope",
			"podman", ID, "");
	check_container("/system.slice/crio-" ID ".scope", "cri-o", ID, "");
}

TEST(container_kubernetes_pods_give_the_pod_uid)
{
	check_container("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" POD_
			".slice/cri-containerd-" ID ".scope", "containerd", ID, POD);
	check_container("/kubepods/besteffort/pod" POD "/" ID, "cri", ID, POD);
	check_container("/kubepods.slice/kubepods-pod" POD_ ".slice/crio-" ID ".scope", "cri-o", ID, POD);
}

TEST(container_nspawn_machines_and_unknown_forms)
{
	check_container("/machine.slice/systemd-nspawn@web1.service/payload", "systemd-nspawn", "web1", "");
	check_container("/machine.slice/machine-web2.scope", "systemd-nspawn", "web2", "");
	check_container("/system.slice/cron.service", NULL, NULL, NULL);
	check_container("/", NULL, NULL, NULL);
	check_container("/docker/notanid", NULL, NULL, NULL);
	check_container("/system.slice/docker-" ID "0.scope", NULL, NULL, NULL);	/* 65 digits */
	check_container("/other/" ID, NULL, NULL, NULL);	/* a bare id needs a known parent */
	check_container("/kubepods/besteffort/pod" POD, NULL, NULL, NULL);	/* a pod, no container */
}

TEST(cgroup_names_resolve_directory_inodes_to_paths)
{
	char root[] = "/tmp/observe-unit-cgXXXXXX", dir[128];
	struct cgroup_names *n;
	struct stat st;

	if (!CHECK_TRUE(mkdtemp(root) != NULL))
		return;
	snprintf(dir, sizeof(dir), "%s/system.slice", root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/system.slice/cron.service", root);
	mkdir(dir, 0755);
	n = cgroup_names_new(root);
	if (CHECK_TRUE(n != NULL) && CHECK_TRUE(stat(dir, &st) == 0)) {
		const char *path = cgroup_names_path(n, st.st_ino);

		CHECK_STREQ("/system.slice/cron.service", path ? path : "(null)");
		CHECK_TRUE(stat(root, &st) == 0);
		path = cgroup_names_path(n, st.st_ino);
		CHECK_STREQ("/", path ? path : "(null)");
		/* An unknown id: NULL, and no second walk within the second. */
		CHECK_TRUE(cgroup_names_path(n, 0xfffffffffffULL) == NULL);
	}
	cgroup_names_free(n);
	rmdir(dir);
	snprintf(dir, sizeof(dir), "%s/system.slice", root);
	rmdir(dir);
	rmdir(root);
}
