// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "identity.h"
#include "cgroup_names.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#define BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"

int identity_init(struct identity *id)
{
	struct utsname u;
	char boot[64] = "";
	FILE *f;

	memset(id, 0, sizeof(*id));
	id->host_every_line = true;
	if (uname(&u))
		return -errno;
	snprintf(id->host, sizeof(id->host), "%s", u.nodename);
	f = fopen(BOOT_ID_PATH, "re");
	if (!f)
		return -errno;
	if (!fgets(boot, sizeof(boot), f))
		boot[0] = 0;
	fclose(f);
	/* "0a1b2c3d-...": the first group tells boots apart in practice. */
	snprintf(id->boot, sizeof(id->boot), "%.8s", boot);
	id->cgroups = cgroup_names_new(NULL);
	return 0;
}

void identity_free(struct identity *id)
{
	cgroup_names_free(id->cgroups);
	id->cgroups = NULL;
}

void identity_process_key(const struct identity *id, uint32_t pid, uint64_t start_ns,
			  char *buf, size_t len)
{
	snprintf(buf, len, "%s-%u-%llu", id->boot, pid, (unsigned long long)start_ns);
}

void identity_event_json(struct identity *id, struct json_writer *w, uint32_t pid,
			 uint64_t start_ns, uint32_t ppid, uint64_t parent_start_ns,
			 uint64_t cgroup_id)
{
	char key[IDENTITY_KEY_LEN];

	/* A record of no process (a close seen before any reader) has pid 0. */
	if (pid) {
		identity_process_key(id, pid, start_ns, key, sizeof(key));
		json_kv_cstr(w, "key", key);
	}
	if (ppid) {
		identity_process_key(id, ppid, parent_start_ns, key, sizeof(key));
		json_kv_cstr(w, "parent_key", key);
	}
	if (id->host_every_line)
		json_kv_cstr(w, "host", id->host);
	if (cgroup_id != id->last_cgroup_id || !id->last_path) {
		id->last_cgroup_id = cgroup_id;
		id->last_path = cgroup_names_path(id->cgroups, cgroup_id);
		id->last_is_container = id->last_path &&
					container_from_cgroup(id->last_path, &id->last_container);
	}
	if (!id->last_path)
		return;
	json_kv_str(w, "cgroup", id->last_path, strlen(id->last_path));
	if (!id->last_is_container)
		return;
	json_kv_cstr(w, "container", id->last_container.id);
	json_kv_cstr(w, "container_runtime", id->last_container.runtime);
	if (id->last_container.pod_uid[0])
		json_kv_cstr(w, "pod_uid", id->last_container.pod_uid);
}

void identity_stream_json(const struct identity *id, struct json_writer *w)
{
	json_kv_cstr(w, "host", id->host);
	json_kv_cstr(w, "boot", id->boot);
}
