// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "sse.h"

#include <stdlib.h>
#include <string.h>

void sse_init(struct sse_parser *p)
{
	memset(p, 0, sizeof(*p));
	capbuf_init(&p->line, SSE_EVENT_MAX);
	capbuf_init(&p->data, SSE_EVENT_MAX);
}

void sse_free(struct sse_parser *p)
{
	capbuf_free(&p->line);
	capbuf_free(&p->data);
	sse_init(p);
}

static void forget_event(struct sse_parser *p)
{
	capbuf_reset(&p->data);
	p->name_len = 0;
	p->has_data = false;
}

/* Appends to a buffer that may not grow past SSE_EVENT_MAX; false if it would. */
static bool append(struct capbuf *b, const char *s, size_t n)
{
	capbuf_append(b, s, n);
	return !b->cut && !b->failed;
}

/* The event is lost (too large, bytes missing): skip to the blank line. */
static void drop_event(struct sse_parser *p)
{
	p->dropped++;
	p->skipping = true;
	capbuf_reset(&p->line);
	forget_event(p);
}

static void field(struct sse_parser *p, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);
	size_t name_len = colon ? (size_t)(colon - line) : len;
	const char *value = colon ? colon + 1 : line + len;
	size_t value_len = line + len - value;

	if (value_len && value[0] == ' ') {
		value++;
		value_len--;
	}
	if (name_len == 4 && !memcmp(line, "data", 4)) {
		if ((p->has_data && !append(&p->data, "\n", 1)) ||
		    !append(&p->data, value, value_len)) {
			drop_event(p);
			return;
		}
		p->has_data = true;
	} else if (name_len == 5 && !memcmp(line, "event", 5)) {
		p->name_len = value_len < sizeof(p->name) ? value_len : sizeof(p->name) - 1;
		memcpy(p->name, value, p->name_len);
	}
	/* "id", "retry", comments (name_len 0) and unknown fields: nothing to keep */
}

static void end_line(struct sse_parser *p, const char *line, size_t len, sse_event_fn fn, void *ctx)
{
	if (len) {
		if (!p->skipping)
			field(p, line, len);
		return;
	}
	if (p->skipping) {
		p->skipping = false;
		return;
	}
	if (p->has_data) {
		p->events++;
		fn(ctx, p->name, p->name_len, p->data.data ? p->data.data : "", p->data.len);
	}
	forget_event(p);
}

void sse_feed(struct sse_parser *p, const char *buf, size_t len, sse_event_fn fn, void *ctx)
{
	const char *end = buf + len;

	if (!p->started && len) {
		p->started = true;
		if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
			buf += 3;
	}
	while (buf < end) {
		const char *eol = buf;

		if (p->after_cr) {	/* the LF of a CRLF split between pieces */
			p->after_cr = false;
			if (*buf == '\n') {
				buf++;
				continue;
			}
		}
		while (eol < end && *eol != '\n' && *eol != '\r')
			eol++;
		if (eol == end) {	/* the line goes on in the next piece */
			p->mid_line = true;
			if (!p->skipping && !append(&p->line, buf, end - buf))
				drop_event(p);
			return;
		}
		if (p->mid_line) {
			/* a line begun in an earlier piece is not blank, even when skipped */
			p->mid_line = false;
			if (!p->skipping && !append(&p->line, buf, eol - buf))
				drop_event(p);
			else if (!p->skipping)
				end_line(p, p->line.data, p->line.len, fn, ctx);
			capbuf_reset(&p->line);
		} else {
			end_line(p, buf, eol - buf, fn, ctx);
		}
		if (*eol == '\r') {
			if (eol + 1 < end && eol[1] == '\n')
				eol++;
			else if (eol + 1 == end)
				p->after_cr = true;
		}
		buf = eol + 1;
	}
}

void sse_gap(struct sse_parser *p)
{
	p->after_cr = false;
	p->mid_line = true;	/* what follows the hole is no blank line */
	drop_event(p);
}
