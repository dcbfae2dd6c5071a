// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Details switched on while held: see details.h. */
#include "decode.h"
#include "details.h"
#include "filters.h"
#include "flocks.h"
#include "json.h"
#include "observe.h"
#include "pins.h"
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

const struct detail observe_details[] = {
	[OBSERVE_DETAIL_SYSCALL_LATENCY] = { "syscall-latency", OBSERVE_COLLECTOR_SYSCALLS,
					     "syscall latency histograms and the per-process table",
					     { "syscall_enter" } },
	[OBSERVE_DETAIL_PAGE_FAULTS] = { "page-faults", OBSERVE_COLLECTOR_MEMORY,
					 "page faults per process", { "page_fault_user" } },
	[OBSERVE_DETAIL_RUNQ_LATENCY] = { "runq-latency", OBSERVE_COLLECTOR_CPU,
					  "run-queue latency histograms",
					  { "runq_wakeup", "runq_wakeup_new", "runq_switch" } },
	[OBSERVE_DETAIL_BLOCK_LATENCY] = { "block-latency", OBSERVE_COLLECTOR_BLOCK,
					   "block I/O latency histograms",
					   { "block_issue", "block_complete" } },
};
_Static_assert(sizeof(observe_details) / sizeof(observe_details[0]) == OBSERVE_DETAIL_COUNT,
	       "a name per detail");
_Static_assert(OBSERVE_DETAIL_COUNT <= 8, "details_state holds them");

bool details_lock_path(char *buf, size_t len, const char *dir, unsigned detail)
{
	int n = snprintf(buf, len, "%s/" OBSERVE_DETAILS_LOCK_DIR "/%s", dir,
			 observe_details[detail].name);

	return n > 0 && (size_t)n < len;
}

int detail_by_name(const char *name)
{
	for (unsigned i = 0; i < OBSERVE_DETAIL_COUNT; i++)
		if (!strcmp(observe_details[i].name, name))
			return i;
	return -1;
}

int details_hold(const char *dir, unsigned detail, struct detail_hold *h)
{
	char path[4096];

	h->lock_fd = -1;
	h->detail = detail;
	h->readers_fd = -1;
	h->dir = dir;
	if (details_check_loaded(dir, detail))
		return -1;
	details_reap(dir);
	h->readers_fd = pins_open_map(dir, PIN_READERS, PIN_WRITE);
	if (h->readers_fd < 0)
		return -1;
	if (!details_lock_path(path, sizeof(path), dir, detail))
		return report_error("pin path too long: %s", dir), -1;
	h->lock_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (h->lock_fd < 0)
		return pins_explain_error(dir, path, errno), -1;
	/* Shared before the bit goes on: a last holder switching it off holds
	 * the lock exclusively until it has, so ours comes after. Briefly:
	 * longer, a member is holding it against us. */
	if (flock_within(h->lock_fd, LOCK_SH, DETAILS_LOCK_WAIT_MS)) {
		uint32_t pid = 0;
		bool exclusive;

		if (errno == EWOULDBLOCK && flock_holder(h->lock_fd, &pid, &exclusive) > 0)
			report_error("%s has been locked by pid %u for %u s: cannot hold %s on", path,
				     pid, DETAILS_LOCK_WAIT_MS / 1000, observe_details[detail].name);
		else
			report_error("cannot lock %s: %s", path, strerror(errno));
		close(h->lock_fd);
		h->lock_fd = -1;
		return -1;
	}
	if (filters_switch_detail(h->readers_fd, detail, true, true))
		return -1;
	return details_sync_hooks(dir, h->readers_fd, 1u << detail);
}

void details_release(struct detail_hold *h)
{
	if (h->lock_fd >= 0) {
		if (flock(h->lock_fd, LOCK_EX | LOCK_NB) == 0 &&
		    !filters_switch_detail(h->readers_fd, h->detail, true, false))
			details_sync_hooks(h->dir, h->readers_fd, 1u << h->detail);
		close(h->lock_fd);
		h->lock_fd = -1;
	}
	if (h->readers_fd >= 0)
		close(h->readers_fd);
	h->readers_fd = -1;
}

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int details_read(int readers_fd, struct details_state *st)
{
	struct observe_readers readers;
	uint64_t real = clock_ns(CLOCK_REALTIME), mono = clock_ns(CLOCK_MONOTONIC);
	__u32 zero = 0;

	memset(st, 0, sizeof(*st));
	if (readers_fd < 0 || bpf_map_lookup_elem(readers_fd, &zero, &readers))
		return -1;
	for (unsigned d = 0; d < OBSERVE_DETAIL_COUNT; d++) {
		if (!(readers.details_on & OBSERVE_DETAIL_ON(d)))
			continue;
		st->on |= 1u << d;
		if (readers.details_on & OBSERVE_DETAIL_BIT(d))
			st->for_good |= 1u << d;
		/* The kernel's clock is monotonic: the wall time it went on. */
		if (readers.details_since[d] && readers.details_since[d] <= mono)
			st->since_ns[d] = real - (mono - readers.details_since[d]);
	}
	return 0;
}

uint32_t details_of(const struct observe_info *info)
{
	uint32_t loaded = 0;

	for (unsigned d = 0; d < OBSERVE_DETAIL_COUNT; d++)
		if (info->collectors & (1ULL << observe_details[d].collector))
			loaded |= 1u << d;
	return loaded;
}

int details_check_loaded(const char *dir, unsigned detail)
{
	struct observe_info info;
	const char *name = observe_details[detail].name;

	if (pins_read_info(dir, &info))
		return -1;
	if (info.details_left_out & (1u << detail))
		return report_error("%s was left out at load (observe-load --without-details): "
				    "load again without it to switch it on", name), -1;
	if (!(info.collectors & (1ULL << observe_details[detail].collector)))
		return report_error("%s: its collector is not loaded at %s", name, dir), -1;
	return 0;
}

static void format_since(const struct details_state *st, unsigned d, char *buf, size_t len)
{
	if (st->since_ns[d])
		format_iso8601(buf, len, (int64_t)st->since_ns[d]);
	else
		snprintf(buf, len, "?");
}

void details_json(struct json_writer *w, const struct details_state *st, uint32_t shown)
{
	char since[48];

	json_key(w, "details");
	json_object_begin(w);
	for (unsigned d = 0; d < OBSERVE_DETAIL_COUNT; d++) {
		if (!(shown & (1u << d)))
			continue;
		json_key(w, observe_details[d].name);
		json_object_begin(w);
		json_kv_bool(w, "on", st->on & (1u << d));
		json_kv_bool(w, "for_good", st->for_good & (1u << d));
		if (st->left_out & (1u << d))
			json_kv_bool(w, "left_out", true);
		if (st->since_ns[d]) {
			format_since(st, d, since, sizeof(since));
			json_kv_cstr(w, "since", since);
		}
		json_object_end(w);
	}
	json_object_end(w);
}

void details_describe(const struct details_state *st, unsigned d, char *buf, size_t len)
{
	char since[48];

	if (st->left_out & (1u << d)) {
		snprintf(buf, len, "left out at load (observe-load --without-details)");
		return;
	}
	if (!(st->on & (1u << d))) {
		snprintf(buf, len, "off");
		return;
	}
	format_since(st, d, since, sizeof(since));
	snprintf(buf, len, "on since %s (%s)", since,
		 st->for_good & (1u << d) ? "switched on" : "while a consumer asks");
}

int details_reap(const char *dir)
{
	struct observe_readers readers;
	char path[4096];
	__u32 zero = 0;
	int fd, err = 0;

	if (!pins_path(path, sizeof(path), dir, PIN_READERS))
		return -1;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -1;
	if (bpf_map_lookup_elem(fd, &zero, &readers)) {
		close(fd);
		return -1;
	}
	for (unsigned d = 0; d < OBSERVE_DETAIL_COUNT; d++)
		if ((readers.details_on & OBSERVE_DETAIL_HELD(d)) && details_reap_one(fd, dir, d))
			err = -1;
	close(fd);
	return err;
}

int details_reap_one(int readers_fd, const char *dir, unsigned detail)
{
	char path[4096];
	int lock_fd, err = 0;

	if (!details_lock_path(path, sizeof(path), dir, detail))
		return 0;
	lock_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock_fd < 0)
		return 0;	/* no lock directory: no holder could have run */
	/* Exclusive: nobody holds it. A holder starting now waits for it
	 * shared and sets its bit after ours is cleared. */
	if (flock(lock_fd, LOCK_EX | LOCK_NB) == 0 &&
	    (filters_switch_detail(readers_fd, detail, true, false) ||
	     details_sync_hooks(dir, readers_fd, 1u << detail)))
		err = -1;
	close(lock_fd);
	return err;
}
