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
	json_init(&id->tail);
	return 0;
}

void identity_free(struct identity *id)
{
	cgroup_names_free(id->cgroups);
	id->cgroups = NULL;
	json_free(&id->tail);
}

void identity_process_key(const struct identity *id, uint32_t pid, uint64_t start_ns,
			  char *buf, size_t len)
{
	snprintf(buf, len, "%s-%u-%llu", id->boot, pid, (unsigned long long)start_ns);
}

/* A key as a JSON string ("boot-pid-start", quotes included), written
 * backwards from 'end' without a format parse: every line has two. Returns
 * where it starts. */
static char *key_json(const struct identity *id, uint32_t pid, uint64_t start_ns, char *end)
{
	size_t boot_len = strlen(id->boot);
	char *p = end;

	*--p = '"';
	p = json_decimal(p, start_ns);
	*--p = '-';
	p = json_decimal(p, pid);
	*--p = '-';
	p -= boot_len;
	memcpy(p, id->boot, boot_len);
	*--p = '"';
	return p;
}

/* The members after the keys, the same for a run of events from one
 * cgroup: host, cgroup, container, written once as JSON. */
static void build_tail(struct identity *id, uint64_t cgroup_id)
{
	struct json_writer *t = &id->tail;

	id->last_cgroup_id = cgroup_id;
	id->last_path = cgroup_names_path(id->cgroups, cgroup_id);
	id->last_is_container = id->last_path &&
				container_from_cgroup(id->last_path, &id->last_container);
	id->tail_has_host = id->host_every_line;
	json_reset(t);
	json_object_begin(t);
	if (id->host_every_line)
		json_kv_cstr(t, "host", id->host);
	if (id->last_path) {
		json_kv_str(t, "cgroup", id->last_path, strlen(id->last_path));
		if (id->last_is_container) {
			json_kv_cstr(t, "container", id->last_container.id);
			json_kv_cstr(t, "container_runtime", id->last_container.runtime);
			if (id->last_container.pod_uid[0])
				json_kv_cstr(t, "pod_uid", id->last_container.pod_uid);
		}
	}
	json_object_end(t);
}

void identity_event_json(struct identity *id, struct json_writer *w, uint32_t pid,
			 uint64_t start_ns, uint32_t ppid, uint64_t parent_start_ns,
			 uint64_t cgroup_id)
{
	char key[IDENTITY_KEY_LEN + 2], *k, *end = key + sizeof(key);

	/* A record of no process (a close seen before any reader) has pid 0. */
	if (pid) {
		k = key_json(id, pid, start_ns, end);
		json_key(w, "key");
		json_raw(w, k, end - k);
	}
	if (ppid) {
		k = key_json(id, ppid, parent_start_ns, end);
		json_key(w, "parent_key");
		json_raw(w, k, end - k);
	}
	/* A cgroup not found is looked for again (the names cache limits the
	 * walks): it may be new. */
	if (cgroup_id != id->last_cgroup_id || !id->last_path || !id->tail.len ||
	    id->tail_has_host != id->host_every_line)
		build_tail(id, cgroup_id);
	if (!id->tail.failed && id->tail.len > 2)	/* the members, without { } */
		json_raw_members(w, id->tail.buf + 1, id->tail.len - 2);
}

void identity_stream_json(const struct identity *id, struct json_writer *w)
{
	json_kv_cstr(w, "host", id->host);
	json_kv_cstr(w, "boot", id->boot);
}
