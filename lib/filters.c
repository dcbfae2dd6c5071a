// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "filters.h"
#include "events.h"
#include "net.h"
#include "parse.h"
#include "pins.h"
#include "report.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

/* The value and key forms of each set, for its row below. */
#define KEY_PARSER(name, type, parser)							\
	static int parse_##name##_key(const char *text, void *key, char *err)		\
	{										\
		return parser(text, (type *)key, err);					\
	}
KEY_PARSER(pid, uint32_t, parse_pid)
KEY_PARSER(uid, uint32_t, parse_uid)
KEY_PARSER(cgroup, uint64_t, parse_cgroup)
KEY_PARSER(port, uint16_t, parse_port)
KEY_PARSER(cidr, struct observe_cidr_key, parse_cidr)

static int parse_comm_key(const char *text, void *key, char *err)
{
	return parse_comm(text, ((struct observe_comm_key *)key)->comm, err);
}

static void json_u32_key(struct json_writer *w, const void *key)
{
	json_u64(w, *(const __u32 *)key);
}

static void json_u64_key(struct json_writer *w, const void *key)
{
	json_u64(w, *(const __u64 *)key);
}

static void json_u16_key(struct json_writer *w, const void *key)
{
	json_u64(w, *(const __u16 *)key);
}

static void json_comm_key(struct json_writer *w, const void *key)
{
	json_string(w, key, strnlen(key, OBSERVE_COMM_LEN));
}

static void json_cidr_key(struct json_writer *w, const void *key)
{
	char text[64];

	format_cidr(text, sizeof(text), key);
	json_cstring(w, text);
}

#define MODE(field) offsetof(struct observe_filter, field)

const struct filter_set_desc filter_sets[FILTER_SET_COUNT] = {
	[FILTER_PID] = { "pid", PIN_FILTER_PIDS, NULL, MODE(pid_mode), sizeof(__u32),
			 OBSERVE_PID_ENTRIES, parse_pid_key, json_u32_key },
	[FILTER_COMM] = { "comm", PIN_FILTER_COMMS, NULL, MODE(comm_mode),
			  sizeof(struct observe_comm_key), OBSERVE_FILTER_ENTRIES,
			  parse_comm_key, json_comm_key },
	[FILTER_UID] = { "uid", PIN_FILTER_UIDS, NULL, MODE(uid_mode), sizeof(__u32),
			 OBSERVE_FILTER_ENTRIES, parse_uid_key, json_u32_key },
	[FILTER_CGROUP] = { "cgroup", PIN_FILTER_CGROUPS, NULL, MODE(cgroup_mode), sizeof(__u64),
			    OBSERVE_FILTER_ENTRIES, parse_cgroup_key, json_u64_key },
	[FILTER_PORT] = { "port", PIN_FILTER_PORTS, "net", MODE(port_mode), sizeof(__u16),
			  OBSERVE_FILTER_ENTRIES, parse_port_key, json_u16_key },
	[FILTER_CIDR] = { "cidr", PIN_FILTER_CIDRS, "net", MODE(cidr_on),
			  sizeof(struct observe_cidr_key), OBSERVE_CIDR_ENTRIES, parse_cidr_key,
			  json_cidr_key },
};

/* Every set's key fits the buffers its users size with FILTER_KEY_MAX. */
_Static_assert(sizeof(struct observe_comm_key) <= FILTER_KEY_MAX, "comm key");
_Static_assert(sizeof(struct observe_cidr_key) <= FILTER_KEY_MAX, "cidr key");
_Static_assert(sizeof(__u64) <= FILTER_KEY_MAX, "cgroup key");

const char *filter_set_collector(enum filter_set set)
{
	return filter_sets[set].collector;
}

const char *filter_set_name(enum filter_set set)
{
	return set < FILTER_SET_COUNT ? filter_sets[set].name : NULL;
}

int filter_set_by_name(const char *name)
{
	for (int i = 0; i < FILTER_SET_COUNT; i++)
		if (!strcmp(filter_sets[i].name, name))
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
		if (filter_set_collector(i) && pins_path(path, sizeof(path), dir, filter_sets[i].map) &&
		    stat(path, &st) && errno == ENOENT)
			continue;
		f->set_fd[i] = pins_open_map(dir, filter_sets[i].map, access);
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

/* Readers change their bits of the same value meanwhile: stores on the
 * mapped page, not a map update that would rewrite their mask. */
static struct observe_readers *map_readers(int readers_fd)
{
	struct observe_readers *readers;

	readers = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED, readers_fd, 0);
	if (readers != MAP_FAILED)
		return readers;
	if (errno == EPERM && pins_map_frozen(readers_fd))
		pins_report_frozen(PIN_READERS);
	else
		report_error("cannot map observe_readers: %s", strerror(errno));
	return NULL;
}

static __u64 monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);	/* bpf_ktime_get_ns()'s clock */
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int filters_switch_detail(int readers_fd, unsigned detail, bool held, bool on)
{
	struct observe_readers *readers = map_readers(readers_fd);
	__u32 bit = held ? OBSERVE_DETAIL_HELD(detail) : OBSERVE_DETAIL_BIT(detail);

	if (!readers)
		return -1;
	/* The start goes first: no hook sees the bit with an older one. */
	if (on && !(__atomic_load_n(&readers->details_on, __ATOMIC_ACQUIRE) & OBSERVE_DETAIL_ON(detail)))
		__atomic_store_n(&readers->details_since[detail], monotonic_ns(), __ATOMIC_RELEASE);
	if (on)
		__atomic_fetch_or(&readers->details_on, bit, __ATOMIC_RELEASE);
	else
		__atomic_fetch_and(&readers->details_on, ~bit, __ATOMIC_RELEASE);
	munmap(readers, sysconf(_SC_PAGESIZE));
	return 0;
}

int filters_publish(int readers_fd, const struct observe_filter *filter)
{
	bool follow = filter->pid_mode == OBSERVE_FILTER_ALLOW && filter->follow_children;
	struct observe_readers *readers = map_readers(readers_fd);
	long page = sysconf(_SC_PAGESIZE);

	if (!readers)
		return -1;
	__atomic_store_n(&readers->pid_set_on, filter->pid_mode != OBSERVE_FILTER_OFF,
			 __ATOMIC_RELEASE);
	__atomic_store_n(&readers->follow_children, follow, __ATOMIC_RELEASE);
	__atomic_store_n(&readers->types_off, filter->types_off, __ATOMIC_RELEASE);
	munmap(readers, page);
	return 0;
}

__u8 *filter_mode_of(struct observe_filter *filter, enum filter_set set)
{
	return (__u8 *)filter + filter_sets[set].mode_offset;
}

size_t filter_key_size(enum filter_set set)
{
	return filter_sets[set].key_size;
}

void filter_key_json(struct json_writer *w, enum filter_set set, const void *key)
{
	filter_sets[set].key_json(w, key);
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
	json_object_begin(w);
	if (filters_json_members(f, w))
		return -1;
	json_object_end(w);
	return 0;
}

int filters_json_members(const struct filters *f, struct json_writer *w)
{
	struct observe_filter filter;

	if (filters_read(f, &filter))
		return -1;
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
		json_key(w, filter_sets[s].name);
		json_object_begin(w);
		if (s == FILTER_CIDR)
			json_kv_cstr(w, "mode", filter.cidr_on ? "on" : "off");
		else
			json_kv_cstr(w, "mode", filter_mode_name(*filter_mode_of(&filter, s)));
		set_json(f, w, s);
		json_object_end(w);
	}
	return 0;
}
