// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "stream.h"
#include "parse.h"
#include "pins.h"
#include "reader.h"
#include "report.h"
#include "runloop.h"
#include "stats.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define RECORDS_PER_POLL 4096		/* bounds the work between checks */
#define FLUSH_BYTES (256 * 1024)
#define DRAIN_MS 500			/* at most this long to empty the ring on exit */
#define UNLOAD_CHECK_MS 1000
#define TAMPER_REPORT_MS 1000		/* a meddler keeps at it: one line a second */

/* The slot's counters, summed over the CPUs; false if they cannot be read. */
static bool read_slot_stats(struct stream *st, struct observe_slot_stats *sum)
{
	return !stats_read(st->slot.stats_fd, st->slot.index, sizeof(*sum) / sizeof(__u64), NULL,
			   (uint64_t *)sum);
}

static bool read_dropped(struct stream *st, uint64_t *dropped)
{
	struct observe_slot_stats sum;

	if (!read_slot_stats(st, &sum))
		return false;
	*dropped = sum.dropped;
	return true;
}

void stream_options_init(struct stream_options *o, uint64_t types)
{
	memset(o, 0, sizeof(*o));
	o->filter.types = types;
	o->poll_ms = 50;
}

int stream_parse_option(int opt, const char *arg, struct stream_options *o, char *err)
{
	uint64_t v;
	int bad = 0;

	switch (opt) {
	case 'p':
		bad = parse_pid(arg, &o->filter.pid, err);
		o->filter.match |= OBSERVE_SLOT_MATCH_PID;
		break;
	case 'c':
		bad = parse_comm(arg, o->filter.comm, err);
		o->filter.match |= OBSERVE_SLOT_MATCH_COMM;
		break;
	case 'u':
		bad = parse_uid(arg, &o->filter.uid, err);
		o->filter.match |= OBSERVE_SLOT_MATCH_UID;
		break;
	case 'n':
		bad = parse_u64(arg, 1, UINT64_MAX, "count", &o->count, err);
		break;
	case 'd':
		bad = parse_seconds(arg, &o->duration_ms, err);
		break;
	case 'o':
		if (!strcmp(arg, "text") || !strcmp(arg, "json")) {
			o->text = !strcmp(arg, "text");
		} else {
			snprintf(err, PARSE_ERR_LEN, "output must be json or text, not '%s'", arg);
			bad = 1;
		}
		break;
	case STREAM_OPT_POLL_MS:
		bad = parse_u64(arg, 1, 1000, "poll-ms", &v, err);
		o->poll_ms = v;
		break;
	case STREAM_OPT_HOST_ONCE:
		o->host_once = true;
		break;
	case STREAM_OPT_PIN_DIR:
		o->pin_dir = arg;
		break;
	case 'q':
		o->quiet = true;
		break;
	case 'v':
		o->verbose = true;
		break;
	default:
		return 0;
	}
	return bad ? -1 : 1;
}

int stream_options_end(int argc, char **argv, struct stream_options *o)
{
	if (parse_no_operands(argc, argv))
		return -1;
	o->pin_dir = pins_dir(o->pin_dir);
	return 0;
}

void stream_init(struct stream *st, const char *name, stream_format_fn format, void *ctx,
		 uint64_t limit)
{
	st->name = name;
	json_init(&st->json);
	event_clock_init(&st->clock);
	/* Without a boot id or a host name, records keep their ids alone. */
	if (identity_init(&st->identity))
		report_warn("no host name or boot id: records carry ids only");
	else
		st->clock.identity = &st->identity;
	st->format = format;
	st->gap = NULL;
	st->ctx = ctx;
	st->printed = st->malformed = st->dropped_seen = st->received = 0;
	st->limit = limit;
	st->output_failed = false;
	st->output_errno = 0;
	memset(&st->tamper_seen, 0, sizeof(st->tamper_seen));
	st->tamper_printed_ms = 0;
	{
		struct observe_slot_stats sum = {};

		read_slot_stats(st, &sum);
		st->dropped_seen = sum.dropped;
		st->delivered_at_start = sum.delivered;
	}
}

void stream_free(struct stream *st)
{
	if (st->malformed)
		report_warn("%llu malformed records skipped", (unsigned long long)st->malformed);
	identity_free(&st->identity);
	json_free(&st->json);
}

/* A closed pipe ends the stream normally; any other write error is one. */
int stream_flush(struct stream *st)
{
	size_t len = st->json.len;
	bool failed;

	if (!len || st->output_failed)
		return st->output_failed ? -1 : 0;
	json_reset(&st->json);	/* never written twice, even in part */
	if (st->text)
		failed = textview_write(&st->view, st->json.buf, len, stdout) != 0;
	else
		failed = fwrite(st->json.buf, 1, len, stdout) != len;
	if (failed || fflush(stdout)) {
		st->output_failed = true;
		st->output_errno = errno;
		return -1;
	}
	return 0;
}

static bool limit_reached(const struct stream *st)
{
	return st->limit && st->printed >= st->limit;
}

static int on_record(void *ctx, const void *data, size_t len)
{
	struct stream *st = ctx;
	int lines = st->format(st, data, len);

	st->received++;
	if (lines < 0) {
		st->malformed++;
		return 0;
	}
	st->printed += lines;
	if (st->json.len >= FLUSH_BYTES && stream_flush(st))
		return -EPIPE;
	if (limit_reached(st))
		return 1;	/* stop: --count reached */
	return 0;
}

/* Prints a gap record when the slot's drop counter moved. */
static void report_drops(struct stream *st)
{
	uint64_t dropped;

	if (!read_dropped(st, &dropped))
		return;
	if (dropped > st->dropped_seen) {
		decode_gap_json(&st->json, st->slot.index, dropped - st->dropped_seen);
		json_end_line(&st->json);
		if (st->gap) {
			int lines = st->gap(st, dropped - st->dropped_seen);

			st->printed += lines > 0 ? lines : 0;
		}
	}
	st->dropped_seen = dropped;
}

/* A record the kernel delivered that was never read (the drain ran out of
 * time, or one came in flight as the slot was switched off) is lost too. */
static void report_unread(struct stream *st)
{
	struct observe_slot_stats sum;
	uint64_t delivered;

	if (st->output_failed || limit_reached(st) || !read_slot_stats(st, &sum))
		return;
	delivered = sum.delivered - st->delivered_at_start;
	if (delivered > st->received) {
		decode_gap_json(&st->json, st->slot.index, delivered - st->received);
		json_end_line(&st->json);
	}
}

/* Prints a tamper record when the reader found its ring meddled with. */
static void report_tamper(struct stream *st, const struct ring_reader *reader, bool now)
{
	const struct ring_tamper *t = &reader->tamper, *seen = &st->tamper_seen;
	uint64_t ms = runloop_now_ms();

	if (t->times == seen->times ||
	    (!now && st->tamper_printed_ms && ms - st->tamper_printed_ms < TAMPER_REPORT_MS))
		return;
	decode_tamper_json(&st->json, st->slot.index, t->last, t->times - seen->times,
			   t->skipped_bytes - seen->skipped_bytes);
	json_end_line(&st->json);
	st->tamper_seen = *t;
	st->tamper_printed_ms = ms;
}

int stream_run(struct stream *st, const struct stream_options *limits)
{
	uint64_t start = runloop_now_ms(), next_check = start + UNLOAD_CHECK_MS;
	struct ring_reader reader;
	int res, err = 0;

	st->text = limits->text;
	textview_init(&st->view, stdout);
	if (st->clock.identity) {
		st->identity.host_every_line = !limits->host_once;
		if (limits->host_once) {
			decode_stream_json(&st->json, &st->identity, st->slot.index);
			json_end_line(&st->json);
		}
	}
	res = ring_reader_open(&reader, st->slot.ring_fd, RECORDS_PER_POLL, on_record, st);
	if (res) {
		report_error("cannot read the ring of slot %u: %s", st->slot.index, strerror(-res));
		return 1;
	}
	if (!limits->quiet)
		fprintf(stderr, "%s: streaming from %sslot %u of %s (Ctrl-C to stop)\n", st->name,
			st->slot.family == &slot_tls ? "TLS " : "", st->slot.index, limits->pin_dir);

	while (!runloop_stopping()) {
		uint64_t now;

		res = ring_reader_poll(&reader, limits->poll_ms);
		report_drops(st);
		report_tamper(st, &reader, false);
		if (stream_flush(st) || res == -EPIPE)
			break;
		if (res == 1 && limit_reached(st))
			break;
		if (res < 0) {
			report_error("reading the ring failed: %s", strerror(-res));
			err = 1;
			break;
		}
		now = runloop_now_ms();
		if (limits->duration_ms && now - start >= limits->duration_ms)
			break;
		if (now >= next_check) {
			next_check = now + UNLOAD_CHECK_MS;
			if (!slot_still_current(limits->pin_dir, &st->slot)) {
				report_error("observe was unloaded or reloaded with new objects at %s: "
					     "start the reader again", limits->pin_dir);
				err = 1;
				break;
			}
		}
	}
	/* What is already in the ring still goes out, briefly; nothing more
	 * comes in meanwhile, so nothing is left after the last look. */
	slot_deactivate(&st->slot);
	for (uint64_t until = runloop_now_ms() + DRAIN_MS;
	     !err && !st->output_failed && !limit_reached(st) && runloop_now_ms() < until;) {
		res = ring_reader_poll(&reader, 0);
		if (res <= 0 || stream_flush(st))
			break;
	}
	report_drops(st);
	report_unread(st);
	report_tamper(st, &reader, true);
	stream_flush(st);
	ring_reader_close(&reader);
	if (st->output_failed && st->output_errno != EPIPE) {
		report_error("cannot write the records: %s", strerror(st->output_errno));
		err = 1;
	}
	return err;
}
