// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "decode.h"
#include "identity.h"
#include "decoders.h"
#include "events.h"

#include <errno.h>
#include <stdbool.h>
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
	clock->identity = NULL;
}

/* The calendar part of the last second formatted: a reader prints many
 * events a second, and gmtime_r with strftime cost more than the rest of an
 * event. Per thread, so that any thread may format. */
static __thread struct {
	bool valid;
	time_t sec;
	size_t len;
	char text[32];
} last_second;

void format_iso8601(char *buf, size_t len, int64_t realtime_ns)
{
	time_t sec = realtime_ns / 1000000000LL;
	long nsec = realtime_ns % 1000000000LL;
	char text[48];
	size_t n;

	if (!len)
		return;
	if (nsec < 0) {
		nsec += 1000000000L;
		sec--;
	}
	if (!last_second.valid || last_second.sec != sec) {
		struct tm tm;

		gmtime_r(&sec, &tm);
		last_second.len = strftime(last_second.text, sizeof(last_second.text),
					   "%Y-%m-%dT%H:%M:%S", &tm);
		last_second.sec = sec;
		last_second.valid = true;
	}
	n = last_second.len;
	memcpy(text, last_second.text, n);
	text[n++] = '.';
	for (int i = 8; i >= 0; i--, nsec /= 10)
		text[n + i] = '0' + nsec % 10;
	n += 9;
	text[n++] = 'Z';
	if (n >= len)
		n = len - 1;
	memcpy(buf, text, n);
	buf[n] = 0;
}

const char *errno_name(int err, char *buf, size_t len)
{
	const char *name = strerrorname_np(err);

	if (name)
		return name;
	snprintf(buf, len, "E%d", err);
	return buf;
}

size_t strnlen_bytes(const char *s, size_t max)
{
	const char *nul = memchr(s, 0, max);

	return nul ? (size_t)(nul - s) : max;
}

void json_kv_result(struct json_writer *w, const char *key, long long ret)
{
	char buf[16];

	json_kv_i64(w, key, ret);
	if (ret < 0 && ret > -4096)
		json_kv_cstr(w, "error", errno_name(-ret, buf, sizeof(buf)));
}

static void header_json(struct json_writer *w, const struct observe_event_header *h,
			const struct event_clock *clock)
{
	char when[48];

	/* Wraps rather than overflows: ts_ns is whatever the record says. */
	format_iso8601(when, sizeof(when),
		       (int64_t)(h->ts_ns + (uint64_t)clock->realtime_minus_boottime_ns));
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
	json_kv_u64(w, "start_ns", h->start_ns);
	json_kv_u64(w, "parent_start_ns", h->parent_start_ns);
	if (clock->identity)
		identity_event_json(clock->identity, w, h->pid, h->start_ns, h->ppid,
				    h->parent_start_ns, h->cgroup_id);
}

int decode_event_json(struct json_writer *w, const void *rec, size_t len,
		      const struct event_clock *clock)
{
	const struct observe_event_header *h = rec;
	/* Where the writer was, to leave it so if the record is rejected. */
	struct json_writer saved = *w;
	const struct event_kind *kind;
	int err;

	if (len < sizeof(*h) || h->size > len)
		return -EINVAL;
	kind = event_kind_of(h->type);
	if (!kind || !kind->decode || h->size < kind->min_size)
		return -EINVAL;

	json_object_begin(w);
	header_json(w, h, clock);
	err = kind->decode(w, rec, h->size);
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

/* Begins a record of the reader's own: the time now, its type and slot. */
static void reader_record_begin(struct json_writer *w, const char *type, unsigned slot)
{
	struct timespec now;
	char when[48];

	clock_gettime(CLOCK_REALTIME, &now);
	format_iso8601(when, sizeof(when), now.tv_sec * 1000000000LL + now.tv_nsec);
	json_object_begin(w);
	json_kv_cstr(w, "time", when);
	json_kv_cstr(w, "type", type);
	json_kv_u64(w, "slot", slot);
}

void decode_stream_json(struct json_writer *w, const struct identity *id, unsigned slot)
{
	reader_record_begin(w, "stream", slot);
	identity_stream_json(id, w);
	json_object_end(w);
}

void decode_gap_json(struct json_writer *w, unsigned slot, uint64_t lost)
{
	reader_record_begin(w, "gap", slot);
	json_kv_u64(w, "lost", lost);
	json_object_end(w);
}

void decode_tamper_json(struct json_writer *w, unsigned slot, const char *what,
			uint64_t times, uint64_t skipped_bytes)
{
	reader_record_begin(w, "tamper", slot);
	json_kv_cstr(w, "what", what);
	json_kv_u64(w, "times", times);
	json_kv_u64(w, "skipped_bytes", skipped_bytes);
	json_object_end(w);
}
