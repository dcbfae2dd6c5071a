// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "decode.h"
#include "events.h"
#include "process.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void event_clock_init(struct event_clock *clock)
{
	struct timespec rt, bt;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	clock->realtime_minus_boottime_ns = (rt.tv_sec - bt.tv_sec) * 1000000000LL +
					    (rt.tv_nsec - bt.tv_nsec);
}

void format_iso8601(char *buf, size_t len, int64_t realtime_ns)
{
	time_t sec = realtime_ns / 1000000000LL;
	long nsec = realtime_ns % 1000000000LL;
	struct tm tm;
	size_t n;

	if (nsec < 0) {
		nsec += 1000000000L;
		sec--;
	}
	gmtime_r(&sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09ldZ", nsec);
}

const char *errno_name(int err, char *buf, size_t len)
{
	const char *name = strerrorname_np(err);

	if (name)
		return name;
	snprintf(buf, len, "E%d", err);
	return buf;
}

static size_t strnlen_bytes(const char *s, size_t max)
{
	const char *nul = memchr(s, 0, max);

	return nul ? (size_t)(nul - s) : max;
}

static void header_json(struct json_writer *w, const struct observe_event_header *h,
			const struct event_clock *clock)
{
	char when[48];

	format_iso8601(when, sizeof(when), (int64_t)h->ts_ns + clock->realtime_minus_boottime_ns);
	json_kv_cstr(w, "time", when);
	json_kv_cstr(w, "type", event_type_name(h->type));
	json_kv_u64(w, "seq", h->seq);
	json_kv_u64(w, "ts_ns", h->ts_ns);
	json_kv_u64(w, "cpu", h->cpu);
	json_kv_u64(w, "pid", h->pid);
	json_kv_u64(w, "tid", h->tid);
	json_kv_u64(w, "ppid", h->ppid);
	json_kv_u64(w, "uid", h->uid);
	json_kv_u64(w, "gid", h->gid);
	json_kv_str(w, "comm", h->comm, strnlen_bytes(h->comm, sizeof(h->comm)));
	json_kv_u64(w, "cgroup_id", h->cgroup_id);
}

/* argv bytes are NUL-terminated strings; a cut last one has no NUL. */
static void argv_json(struct json_writer *w, const char *argv, size_t len)
{
	size_t i = 0;

	json_key(w, "argv");
	json_array_begin(w);
	while (i < len) {
		size_t n = strnlen_bytes(argv + i, len - i);

		json_string(w, argv + i, n);
		i += n + 1;
	}
	json_array_end(w);
}

static int exec_json(struct json_writer *w, const struct observe_exec_event *e, size_t size)
{
	const char *argv = e->data, *filename = e->data + e->argv_len;
	char buf[16];

	if (sizeof(*e) + e->argv_len + e->filename_len > size)
		return -EINVAL;
	json_kv_str(w, "filename", filename, strnlen_bytes(filename, e->filename_len));
	argv_json(w, argv, e->argv_len);
	json_kv_u64(w, "argc", e->argc);
	json_kv_i64(w, "ret", e->retval);
	if (e->retval < 0)
		json_kv_cstr(w, "error", errno_name(-e->retval, buf, sizeof(buf)));
	return 0;
}

static void exit_json(struct json_writer *w, const struct observe_exit_event *e)
{
	unsigned sig = e->exit_status & 0x7f;

	json_kv_u64(w, "exit_code", (e->exit_status >> 8) & 0xff);
	json_kv_u64(w, "signal", sig);
	if (sig) {
		const char *abbrev = sigabbrev_np(sig);
		char name[24];

		snprintf(name, sizeof(name), "SIG%s", abbrev ? abbrev : "?");
		json_kv_cstr(w, "signal_name", name);
	}
	json_kv_bool(w, "core_dumped", e->exit_status & 0x80);
	json_kv_u64(w, "lifetime_ns", e->lifetime_ns);
}

static const size_t min_size[OBSERVE_EV_COUNT] = {
	[OBSERVE_EV_EXEC] = sizeof(struct observe_exec_event),
	[OBSERVE_EV_FORK] = sizeof(struct observe_fork_event),
	[OBSERVE_EV_EXIT] = sizeof(struct observe_exit_event),
};

int decode_event_json(struct json_writer *w, const void *rec, size_t len,
		      const struct event_clock *clock)
{
	const struct observe_event_header *h = rec;
	/* Where the writer was, to leave it so if the record is rejected. */
	struct json_writer saved = *w;
	int err = 0;

	if (len < sizeof(*h) || h->size > len || h->type >= OBSERVE_EV_COUNT ||
	    !min_size[h->type] || h->size < min_size[h->type])
		return -EINVAL;

	json_object_begin(w);
	header_json(w, h, clock);
	switch (h->type) {
	case OBSERVE_EV_EXEC:
		err = exec_json(w, rec, h->size);
		break;
	case OBSERVE_EV_FORK:
		json_kv_u64(w, "child_pid", ((const struct observe_fork_event *)rec)->child_pid);
		break;
	case OBSERVE_EV_EXIT:
		exit_json(w, rec);
		break;
	}
	if (h->flags & OBSERVE_F_TRUNCATED)
		json_kv_bool(w, "truncated", true);
	if (h->flags & OBSERVE_F_INCOMPLETE)
		json_kv_bool(w, "incomplete", true);
	json_object_end(w);
	if (err) {
		saved.buf = w->buf;	/* the buffer may have moved */
		saved.cap = w->cap;
		*w = saved;
	}
	return err;
}

void decode_gap_json(struct json_writer *w, unsigned slot, uint64_t lost)
{
	struct timespec now;
	char when[48];

	clock_gettime(CLOCK_REALTIME, &now);
	format_iso8601(when, sizeof(when), now.tv_sec * 1000000000LL + now.tv_nsec);
	json_object_begin(w);
	json_kv_cstr(w, "time", when);
	json_kv_cstr(w, "type", "gap");
	json_kv_u64(w, "slot", slot);
	json_kv_u64(w, "lost", lost);
	json_object_end(w);
}
