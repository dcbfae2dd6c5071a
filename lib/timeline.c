// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "timeline.h"
#include "observe.h"
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define FLUSH_BYTES (256 * 1024)

void timeline_init(struct timeline *t, bool text, uint64_t limit)
{
	memset(t, 0, sizeof(*t));
	json_init(&t->out);
	event_clock_init(&t->clock);
	t->text = text;
	if (text)
		textview_init(&t->view, stdout);
	t->limit = limit;
}

void timeline_free(struct timeline *t)
{
	if (t->http)
		httpflow_free(t->http);
	json_free(&t->out);
}

bool timeline_done(const struct timeline *t)
{
	return t->output_failed || (t->limit && t->printed >= t->limit);
}

int timeline_flush(struct timeline *t)
{
	size_t len = t->out.len;

	if (!len || t->output_failed)
		return t->output_failed ? -1 : 0;
	json_reset(&t->out);
	if ((t->text ? textview_write(&t->view, t->out.buf, len, stdout) :
		       fwrite(t->out.buf, 1, len, stdout) != len) || fflush(stdout)) {
		t->output_failed = true;
		t->output_errno = errno;
		return -1;
	}
	return 0;
}

static void line_done(struct timeline *t)
{
	t->printed++;
	if (t->out.len >= FLUSH_BYTES)
		timeline_flush(t);
}

/* An exchange is done: it goes out where its response ended, in the
 * order of the records that ended it (its own time is its start). */
static void on_exchange(void *ctx, const struct httpflow_record *r)
{
	struct timeline *t = ctx;

	if (timeline_done(t))
		return;
	httpflow_record_json(&t->out, r, &t->clock);
	json_end_line(&t->out);
	line_done(t);
}

int timeline_decode_http(struct timeline *t, const struct httpflow_options *o)
{
	t->http = httpflow_new(o, on_exchange, t);
	return t->http ? 0 : -ENOMEM;
}

/* TLS records into the HTTP decoder: 1 when the record is its alone. */
static int decode_http(struct timeline *t, const void *rec, size_t len)
{
	struct observe_event_header h;
	int err;

	if (!t->http || len < sizeof(h))
		return 0;
	memcpy(&h, rec, sizeof(h));
	if (h.type != OBSERVE_EV_TLS_DATA && h.type != OBSERVE_EV_TLS_HANDSHAKE)
		return 0;
	err = httpflow_feed_tls(t->http, rec, len);
	if (err == -ENOMEM)
		t->http_failed = true;
	else if (err)
		t->malformed++;
	/* A handshake is shown too: it says where a connection starts. */
	return h.type == OBSERVE_EV_TLS_DATA;
}

void timeline_record(struct timeline *t, const void *rec, size_t len)
{
	int err;

	if (timeline_done(t) || decode_http(t, rec, len))
		return;
	err = decode_event_json(&t->out, rec, len, &t->clock);
	if (err) {
		t->malformed++;
		return;
	}
	json_end_line(&t->out);
	line_done(t);
}

static uint64_t boot_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void json_header(struct timeline *t, const char *type, uint64_t ts_ns)
{
	char when[48];

	format_iso8601(when, sizeof(when), (int64_t)(ts_ns ? ts_ns : boot_now_ns()) +
					   t->clock.realtime_minus_boottime_ns);
	json_object_begin(&t->out);
	json_kv_cstr(&t->out, "time", when);
	json_kv_cstr(&t->out, "type", type);
}

void timeline_note(struct timeline *t, uint64_t ts_ns, uint32_t pid, const char *comm,
		   const char *text)
{
	if (timeline_done(t))
		return;
	json_header(t, "note", ts_ns);
	if (pid) {
		json_kv_u64(&t->out, "pid", pid);
		json_kv_str(&t->out, "comm", comm, strnlen(comm, 16));
	}
	json_kv_cstr(&t->out, "message", text);
	json_object_end(&t->out);
	json_end_line(&t->out);
	line_done(t);
}

void timeline_gap(struct timeline *t, const char *ring, unsigned slot, uint64_t lost)
{
	if (timeline_done(t))
		return;
	json_header(t, "gap", 0);
	json_kv_cstr(&t->out, "ring", ring);
	json_kv_u64(&t->out, "slot", slot);
	json_kv_u64(&t->out, "lost", lost);
	json_object_end(&t->out);
	json_end_line(&t->out);
	line_done(t);
	if (t->http && !strcmp(ring, "tls"))
		httpflow_lost(t->http, lost);
}

void timeline_tamper(struct timeline *t, unsigned slot, const char *what, uint64_t times,
		     uint64_t skipped_bytes)
{
	if (timeline_done(t))
		return;
	decode_tamper_json(&t->out, slot, what, times, skipped_bytes);
	json_end_line(&t->out);
	line_done(t);
}

int timeline_finish(struct timeline *t)
{
	if (t->http)
		httpflow_flush(t->http);	/* exchanges cut short say so */
	timeline_flush(t);
	if (t->http_failed) {
		report_error("out of memory decoding HTTP: exchanges were left out");
		return 1;
	}
	if (t->malformed)
		report_warn("%llu malformed records skipped", (unsigned long long)t->malformed);
	if (t->output_failed && t->output_errno != EPIPE) {
		report_error("cannot write the timeline: %s", strerror(t->output_errno));
		return 1;
	}
	return 0;
}
