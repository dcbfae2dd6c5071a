// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "filters.h"
#include "events.h"
#include "net.h"
#include "parse.h"
#include "pins.h"
#include "report.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>

static const char *const set_names[FILTER_SET_COUNT] = {
	"pid", "comm", "uid", "cgroup", "port", "cidr",
};
static const char *const set_maps[FILTER_SET_COUNT] = {
	PIN_FILTER_PIDS, PIN_FILTER_COMMS, PIN_FILTER_UIDS,
	PIN_FILTER_CGROUPS, PIN_FILTER_PORTS, PIN_FILTER_CIDRS,
};

const char *filter_set_collector(enum filter_set set)
{
	return set == FILTER_PORT || set == FILTER_CIDR ? "net" : NULL;
}

const char *filter_set_name(enum filter_set set)
{
	return set < FILTER_SET_COUNT ? set_names[set] : NULL;
}

int filter_set_by_name(const char *name)
{
	for (int i = 0; i < FILTER_SET_COUNT; i++)
		if (!strcmp(set_names[i], name))
			return i;
	return -1;
}

const char *filter_mode_name(unsigned mode)
{
	switch (mode) {
	case OBSERVE_FILTER_OFF: return "off";
	case OBSERVE_FILTER_ALLOW: return "allow";
	case OBSERVE_FILTER_DENY: return "deny";
	}
	return "unknown";
}

int filters_open(struct filters *f, const char *dir, enum pin_access access)
{
	for (int i = 0; i < FILTER_SET_COUNT; i++)
		f->set_fd[i] = -1;
	f->readers_fd = -1;
	f->filter_fd = pins_open_map(dir, PIN_FILTER, access);
	if (f->filter_fd < 0)
		return -1;
	if (access == PIN_WRITE) {
		f->readers_fd = pins_open_map(dir, PIN_READERS, PIN_WRITE);
		if (f->readers_fd < 0) {
			filters_close(f);
			return -1;
		}
	}
	for (int i = 0; i < FILTER_SET_COUNT; i++) {
		struct stat st;
		char path[4096];

		/* A collector's own sets exist once it has been loaded. */
		if (filter_set_collector(i) && pins_path(path, sizeof(path), dir, set_maps[i]) &&
		    stat(path, &st) && errno == ENOENT)
			continue;
		f->set_fd[i] = pins_open_map(dir, set_maps[i], access);
		if (f->set_fd[i] < 0) {
			filters_close(f);
			return -1;
		}
	}
	return 0;
}

void filters_close(struct filters *f)
{
	if (f->filter_fd >= 0)
		close(f->filter_fd);
	for (int i = 0; i < FILTER_SET_COUNT; i++)
		if (f->set_fd[i] >= 0)
			close(f->set_fd[i]);
	if (f->readers_fd >= 0)
		close(f->readers_fd);
	f->filter_fd = f->readers_fd = -1;
}

int filters_read(const struct filters *f, struct observe_filter *out)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(f->filter_fd, &zero, out)) {
		report_error("cannot read observe_filter: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int filters_write(const struct filters *f, const struct observe_filter *filter)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(f->filter_fd, &zero, filter, BPF_ANY)) {
		pins_explain_write_error(f->filter_fd, PIN_FILTER, errno);
		return -1;
	}
	return filters_publish(f->readers_fd, filter);
}

int filters_publish(int readers_fd, const struct observe_filter *filter)
{
	bool follow = filter->pid_mode == OBSERVE_FILTER_ALLOW && filter->follow_children;
	struct observe_readers *readers;
	long page = sysconf(_SC_PAGESIZE);

	/* Readers change their bits of the same value meanwhile: a store on
	 * the mapped page, not a map update that would rewrite their mask. */
	readers = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, readers_fd, 0);
	if (readers == MAP_FAILED) {
		if (errno == EPERM && pins_map_frozen(readers_fd))
			pins_report_frozen(PIN_READERS);
		else
			report_error("cannot map observe_readers: %s", strerror(errno));
		return -1;
	}
	__atomic_store_n(&readers->pid_set_on, filter->pid_mode != OBSERVE_FILTER_OFF,
			 __ATOMIC_RELEASE);
	__atomic_store_n(&readers->follow_children, follow, __ATOMIC_RELEASE);
	__atomic_store_n(&readers->types_off, filter->types_off, __ATOMIC_RELEASE);
	munmap(readers, page);
	return 0;
}

__u8 *filter_mode_of(struct observe_filter *filter, enum filter_set set)
{
	switch (set) {
	case FILTER_PID: return &filter->pid_mode;
	case FILTER_COMM: return &filter->comm_mode;
	case FILTER_UID: return &filter->uid_mode;
	case FILTER_PORT: return &filter->port_mode;
	case FILTER_CIDR: return &filter->cidr_on;
	default: return &filter->cgroup_mode;
	}
}

size_t filter_key_size(enum filter_set set)
{
	switch (set) {
	case FILTER_PID: return sizeof(__u32);
	case FILTER_COMM: return sizeof(struct observe_comm_key);
	case FILTER_UID: return sizeof(__u32);
	case FILTER_PORT: return sizeof(__u16);
	case FILTER_CIDR: return sizeof(struct observe_cidr_key);
	default: return sizeof(__u64);
	}
}

void filter_key_json(struct json_writer *w, enum filter_set set, const void *key)
{
	switch (set) {
	case FILTER_PID:
	case FILTER_UID:
		json_u64(w, *(const __u32 *)key);
		break;
	case FILTER_COMM:
		json_string(w, key, strnlen(key, OBSERVE_COMM_LEN));
		break;
	case FILTER_PORT:
		json_u64(w, *(const __u16 *)key);
		break;
	case FILTER_CIDR: {
		char text[64];

		format_cidr(text, sizeof(text), key);
		json_cstring(w, text);
		break;
	}
	default:
		json_u64(w, *(const __u64 *)key);
	}
}

static void set_json(const struct filters *f, struct json_writer *w, enum filter_set set)
{
	unsigned char key[FILTER_KEY_MAX], next[FILTER_KEY_MAX];
	struct observe_pid_entry entry;
	void *prev = NULL;
	__u8 action;

	json_key(w, "entries");
	json_array_begin(w);
	while (!bpf_map_get_next_key(f->set_fd[set], prev, next)) {
		memcpy(key, next, sizeof(key));
		prev = key;
		if (set == FILTER_PID && !bpf_map_lookup_elem(f->set_fd[set], key, &entry) &&
		    entry.origin_pid) {
			json_object_begin(w);
			json_key(w, "pid");
			filter_key_json(w, set, key);
			json_kv_u64(w, "followed_from", entry.origin_pid);
			json_object_end(w);
			continue;
		}
		if (set == FILTER_CIDR && !bpf_map_lookup_elem(f->set_fd[set], key, &action)) {
			json_object_begin(w);
			json_key(w, "cidr");
			filter_key_json(w, set, key);
			json_kv_cstr(w, "action", filter_mode_name(action));
			json_object_end(w);
			continue;
		}
		filter_key_json(w, set, key);
	}
	json_array_end(w);
}

int filters_json(const struct filters *f, struct json_writer *w)
{
	struct observe_filter filter;

	if (filters_read(f, &filter))
		return -1;
	json_object_begin(w);
	json_key(w, "types_off");
	json_array_begin(w);
	for (unsigned t = 1; t < OBSERVE_EV_COUNT; t++)
		if (filter.types_off & (1ULL << t))
			json_cstring(w, event_type_name(t));
	json_array_end(w);
	json_kv_bool(w, "follow_children", filter.follow_children);
	for (int s = 0; s < FILTER_SET_COUNT; s++) {
		if (f->set_fd[s] < 0)
			continue;
		json_key(w, set_names[s]);
		json_object_begin(w);
		if (s == FILTER_CIDR)
			json_kv_cstr(w, "mode", filter.cidr_on ? "on" : "off");
		else
			json_kv_cstr(w, "mode", filter_mode_name(*filter_mode_of(&filter, s)));
		set_json(f, w, s);
		json_object_end(w);
	}
	json_object_end(w);
	return 0;
}
