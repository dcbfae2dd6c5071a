// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "container.h"

#include <ctype.h>
#include <fts.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>

/* A container id: 64 lower-case hex digits, exactly. */
static bool is_container_id(const char *s, size_t len)
{
	if (len != 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

/* Scope units as the systemd cgroup driver names them: prefix-<id>.scope. */
static const struct {
	const char *prefix, *runtime;
} scopes[] = {
	{ "docker-", "docker" },
	{ "cri-containerd-", "containerd" },
	{ "crio-", "cri-o" },
	{ "libpod-", "podman" },
};

/* One path component, [s, s+len), that names a container by itself. */
static bool container_component(const char *s, size_t len, const char *parent, size_t parent_len,
				struct container *c)
{
	static const char scope[] = ".scope";
	size_t slen = sizeof(scope) - 1;

	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		size_t plen = strlen(scopes[i].prefix);

		if (len > plen + slen && !strncmp(s, scopes[i].prefix, plen) &&
		    !strncmp(s + len - slen, scope, slen) &&
		    is_container_id(s + plen, len - plen - slen)) {
			c->runtime = scopes[i].runtime;
			snprintf(c->id, sizeof(c->id), "%.*s", (int)(len - plen - slen), s + plen);
			return true;
		}
	}
	/* The cgroupfs drivers: a bare id under /docker, /libpod_parent or a pod. */
	if (is_container_id(s, len)) {
		if (parent_len == 6 && !strncmp(parent, "docker", 6))
			c->runtime = "docker";
		else if (parent_len >= 3 && !strncmp(parent, "pod", 3))
			c->runtime = "cri";	/* the kubelet's cgroupfs driver: any CRI runtime */
		else
			return false;
		snprintf(c->id, sizeof(c->id), "%.*s", (int)len, s);
		return true;
	}
	/* systemd-nspawn: the machine's name is its id. */
	if (len > 23 && !strncmp(s, "systemd-nspawn@", 15) && !strncmp(s + len - 8, ".service", 8)) {
		c->runtime = "systemd-nspawn";
		snprintf(c->id, sizeof(c->id), "%.*s", (int)(len - 23), s + 15);
		return true;
	}
	if (len > 14 && !strncmp(s, "machine-", 8) && !strncmp(s + len - 6, ".scope", 6) &&
	    parent_len == 13 && !strncmp(parent, "machine.slice", 13)) {
		c->runtime = "systemd-nspawn";
		snprintf(c->id, sizeof(c->id), "%.*s", (int)(len - 14), s + 8);
		return true;
	}
	return false;
}

/* "pod<uid>" in a component: kubepods-burstable-pod<uid_>.slice or pod<uid>. */
static void pod_component(const char *s, size_t len, struct container *c)
{
	const char *pod = NULL;
	size_t ulen;

	for (size_t i = 0; i + 3 <= len; i++)
		if (!strncmp(s + i, "pod", 3) && (i == 0 || s[i - 1] == '-'))
			pod = s + i + 3;
	if (!pod)
		return;
	ulen = (size_t)(s + len - pod);
	if (ulen > 6 && !strncmp(pod + ulen - 6, ".slice", 6))
		ulen -= 6;
	if (ulen != POD_UID_LEN - 1)
		return;
	for (size_t i = 0; i < ulen; i++) {
		char ch = pod[i] == '_' ? '-' : pod[i];

		if (!(isxdigit((unsigned char)ch) || ch == '-'))
			return;
		c->pod_uid[i] = ch;
	}
	c->pod_uid[ulen] = 0;
}

bool container_from_cgroup(const char *path, struct container *c)
{
	const char *parent = "", *s = path;
	size_t parent_len = 0;
	bool found = false;

	memset(c, 0, sizeof(*c));
	while (*s) {
		const char *end;
		size_t len;

		while (*s == '/')
			s++;
		end = strchr(s, '/');
		len = end ? (size_t)(end - s) : strlen(s);
		if (!len)
			break;
		pod_component(s, len, c);
		/* The innermost container wins: a nested one is the one that runs. */
		if (container_component(s, len, parent, parent_len, c))
			found = true;
		parent = s;
		parent_len = len;
		s += len;
	}
	if (!found)
		c->pod_uid[0] = 0;
	return found;
}

int container_cgroup_ids(const char *root, const char *id, uint64_t *ids, size_t max, char *err,
			 size_t err_len)
{
	char *const roots[] = { (char *)root, NULL };
	char first[CONTAINER_ID_LEN] = "";
	size_t n = 0, root_len = strlen(root), id_len = strlen(id);
	FTS *fts;
	FTSENT *e;

	if (!id_len || id_len >= CONTAINER_ID_LEN) {
		snprintf(err, err_len, "'%s' is not a container id", id);
		return -1;
	}
	fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR | FTS_XDEV, NULL);
	if (!fts) {
		snprintf(err, err_len, "cannot read %s", root);
		return -1;
	}
	while ((e = fts_read(fts))) {
		struct container c;

		if (e->fts_info != FTS_D || !container_from_cgroup(e->fts_path + root_len, &c) ||
		    strncmp(c.id, id, id_len))
			continue;
		if (first[0] && strcmp(first, c.id)) {
			snprintf(err, err_len, "'%s' names more than one container (%.12s, %.12s): "
				 "give more of the id", id, first, c.id);
			fts_close(fts);
			return -1;
		}
		snprintf(first, sizeof(first), "%s", c.id);
		if (n < max)
			ids[n++] = e->fts_statp->st_ino;
	}
	fts_close(fts);
	if (!n) {
		snprintf(err, err_len, "no container '%s' in the cgroups under %s", id, root);
		return -1;
	}
	return (int)n;
}
