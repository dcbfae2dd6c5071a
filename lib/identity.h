/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Who did it, in words a person and a join can use: the host, the boot,
 * the cgroup as a path and the container it names, and process keys that
 * survive pid reuse ("<boot>-<pid>-<start_ns>"). Everything is resolved in
 * the reader, unprivileged, and cached: the kernel sends ids.
 */
#ifndef OBSERVE_IDENTITY_H
#define OBSERVE_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "container.h"
#include "json.h"

#define IDENTITY_HOST_LEN 65		/* a node name, as uname(2) */
#define IDENTITY_BOOT_LEN 9		/* the boot id's first 8 hex digits */
#define IDENTITY_KEY_LEN 48		/* "<boot>-<pid>-<start_ns>" */

struct cgroup_names;

struct identity {
	char host[IDENTITY_HOST_LEN];
	char boot[IDENTITY_BOOT_LEN];
	bool host_every_line;		/* else once, in the stream's first line */
	struct cgroup_names *cgroups;	/* NULL: no cgroup2 here, ids only */
	/* The last cgroup looked up: events come in runs from one cgroup. */
	uint64_t last_cgroup_id;
	const char *last_path;
	struct container last_container;
	bool last_is_container;
	/* Its members after the keys as JSON, "{...}", and whether they
	 * hold the host. */
	struct json_writer tail;
	bool tail_has_host;
};

/* 0, or -errno when the host or boot id cannot be read. */
int identity_init(struct identity *id);
void identity_free(struct identity *id);

/* "0a1b2c3d-1234-5678901234": the key of a process that started at
 * 'start_ns' (CLOCK_BOOTTIME) with pid 'pid' on this boot. */
void identity_process_key(const struct identity *id, uint32_t pid, uint64_t start_ns,
			  char *buf, size_t len);

/* "key" and "parent_key" (a process that started before the boot's clock,
 * start 0, has none), "host" (when on every line), "cgroup", and for a
 * container "container", "container_runtime" and "pod_uid", appended to an
 * open object. */
void identity_event_json(struct identity *id, struct json_writer *w, uint32_t pid,
			 uint64_t start_ns, uint32_t ppid, uint64_t parent_start_ns,
			 uint64_t cgroup_id);

/* The first line of a stream that prints the host once: host and boot. */
void identity_stream_json(const struct identity *id, struct json_writer *w);

#endif /* OBSERVE_IDENTITY_H */
