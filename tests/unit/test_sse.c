// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* lib/sse: server-sent events in pieces of any size, line ends of all kinds,
 * events lost to missing bytes or their size dropped and counted. */
#include "check.h"
#include "sse.h"

#include <stdio.h>
#include <string.h>

/* The events seen, as "name=data|" one after another. */
struct seen {
	char text[4096];
	size_t len;
};

static void on_event(void *ctx, const char *name, size_t name_len, const char *data, size_t data_len)
{
	struct seen *s = ctx;
	int n = snprintf(s->text + s->len, sizeof(s->text) - s->len, "%.*s=%.*s|", (int)name_len, name,
			 (int)data_len, data);

	if (n > 0 && (size_t)n < sizeof(s->text) - s->len)
		s->len += n;
}

/* in, fed in pieces of 'piece' bytes, gives the events 'expected'. */
static bool check_events(const char *file, int line, const char *in, size_t piece, const char *expected)
{
	struct sse_parser p;
	struct seen s = { .len = 0 };
	size_t len = strlen(in);

	sse_init(&p);
	for (size_t off = 0; off < len; off += piece)
		sse_feed(&p, in + off, len - off < piece ? len - off : piece, on_event, &s);
	sse_free(&p);
	s.text[s.len] = '\0';
	if (!check_streq(file, line, "events", expected, s.text)) {
		check_note("fed in pieces of %zu bytes", piece);
		return false;
	}
	return true;
}

static const char stream[] =
	"\xef\xbb\xbf: a comment\r\n"
	"event: message_start\r\n"
	"data: {\"a\":1}\r\n\r\n"
	"event:delta\n"
	"data: line one\n"
	"data:line two\n"
	"id: 7\n"
	"retry: 10\n\n"
	"data: cr only\r\r"
	"data\n\n"
	"event: no data\n\n";

static const char events[] = "message_start={\"a\":1}|delta=line one\nline two|=cr only|=|";

TEST(sse_events_are_the_same_in_pieces_of_any_size)
{
	for (size_t piece = 1; piece <= sizeof(stream); piece++)
		if (!check_events(__FILE__, __LINE__, stream, piece, events))
			return;
}

TEST(sse_drops_the_event_that_missing_bytes_fall_into)
{
	struct sse_parser p;
	struct seen s = { .len = 0 };
	static const char before[] = "data: one\n\ndata: tw", after[] = "o\n\ndata: three\n\n";

	sse_init(&p);
	sse_feed(&p, before, strlen(before), on_event, &s);
	sse_gap(&p);
	sse_feed(&p, after, strlen(after), on_event, &s);
	s.text[s.len] = '\0';
	CHECK_STREQ("=one|=three|", s.text);
	CHECK_EQ_U64(1, p.dropped);
	CHECK_EQ_U64(2, p.events);
	sse_free(&p);
}

TEST(sse_drops_an_event_larger_than_its_limit_and_reads_on)
{
	static char big[SSE_EVENT_MAX + 64];
	struct sse_parser p;
	struct seen s = { .len = 0 };
	size_t n = 0;

	n += sprintf(big, "data: ");
	memset(big + n, 'x', SSE_EVENT_MAX);
	n += SSE_EVENT_MAX;
	n += sprintf(big + n, "\n\ndata: small\n\n");
	sse_init(&p);
	for (size_t off = 0; off < n; off += 4000)
		sse_feed(&p, big + off, n - off < 4000 ? n - off : 4000, on_event, &s);
	s.text[s.len] = '\0';
	CHECK_STREQ("=small|", s.text);
	CHECK_EQ_U64(1, p.dropped);
	sse_free(&p);
}
