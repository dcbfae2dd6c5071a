// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "http1.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CHUNK_LINE_MAX 1024	/* a chunk-size line with its extensions, a trailer line */

void http1_init(struct http1_reader *r, bool response)
{
	memset(r, 0, sizeof(*r));
	r->response = response;
}

void http1_free(struct http1_reader *r)
{
	capbuf_free(&r->buf);
	http1_init(r, r->response);
}

void http1_restart(struct http1_reader *r)
{
	r->state = HTTP1_HEAD;
	capbuf_reset(&r->buf);
	r->left = 0;
}

bool http1_idle(const struct http1_reader *r)
{
	return r->state == HTTP1_HEAD && r->buf.len == 0;
}

/* tchar of RFC 9110 section 5.6.2 */
static bool token_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static size_t token_len(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && token_char(s[n]))
		n++;
	return n;
}

bool http1_looks_like_start(const char *data, size_t len, bool response)
{
	size_t n;

	if (response)
		return len >= 7 && !memcmp(data, "HTTP/1.", 7);
	n = token_len(data, len);
	return n > 0 && n < len && data[n] == ' ' && n + 1 < len && data[n + 1] != ' ';
}

/* "HTTP/1.0" or "HTTP/1.1": 10 or 11; 0 otherwise. */
static unsigned version_of(const char *s, size_t len)
{
	if (len != 8 || memcmp(s, "HTTP/1.", 7) || (s[7] != '0' && s[7] != '1'))
		return 0;
	return s[7] == '0' ? 10 : 11;
}

static int parse_start_line(struct http1_head *h, const char *line, size_t len)
{
	const char *sp = memchr(line, ' ', len), *sp2;

	if (!sp)
		return -1;
	if (h->response) {
		/* HTTP/1.1 200 OK */
		h->version = version_of(line, sp - line);
		if (!h->version || line + len - sp < 4)
			return -1;
		for (int i = 1; i <= 3; i++)
			if (sp[i] < '0' || sp[i] > '9')
				return -1;
		h->status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
		if (line + len - sp > 4 && sp[4] != ' ')
			return -1;
		h->reason = line + len - sp > 5 ? sp + 5 : "";
		h->reason_len = line + len - sp > 5 ? (size_t)(line + len - (sp + 5)) : 0;
		return 0;
	}
	/* GET /path HTTP/1.1 */
	h->method = line;
	h->method_len = sp - line;
	if (!h->method_len || token_len(line, h->method_len) != h->method_len)
		return -1;
	sp2 = memchr(sp + 1, ' ', line + len - (sp + 1));
	if (!sp2 || sp2 == sp + 1)
		return -1;
	h->target = sp + 1;
	h->target_len = sp2 - (sp + 1);
	h->version = version_of(sp2 + 1, line + len - (sp2 + 1));
	return h->version ? 0 : -1;
}

static void trim(const char **s, size_t *len)
{
	while (*len && ((*s)[0] == ' ' || (*s)[0] == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

static int parse_field(struct http1_head *h, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);
	struct http1_field *f;

	if (!colon || colon == line || token_len(line, colon - line) != (size_t)(colon - line))
		return -1;	/* obsolete line folding included: RFC 9112 5.2 lets us refuse it */
	if (h->nr_fields == HTTP1_FIELDS_MAX)
		return -1;
	f = &h->fields[h->nr_fields++];
	f->name = line;
	f->name_len = colon - line;
	f->value = colon + 1;
	f->value_len = line + len - (colon + 1);
	trim(&f->value, &f->value_len);
	return 0;
}

int http1_parse_head(struct http1_head *h, char *buf, size_t len, bool response)
{
	const char *p = buf, *end = buf + len;
	bool first = true;

	memset(h, 0, sizeof(*h) - sizeof(h->fields));
	h->raw = buf;
	h->raw_len = len;
	h->response = response;
	while (p < end) {
		const char *eol = memchr(p, '\n', end - p);
		size_t line_len;

		if (!eol)
			return -1;
		line_len = eol - p;
		if (line_len && p[line_len - 1] == '\r')
			line_len--;
		if (!line_len)
			return first ? -1 : 0;	/* the blank line ends the head */
		if (memchr(p, '\0', line_len) || (first ? parse_start_line(h, p, line_len) :
							  parse_field(h, p, line_len)))
			return -1;
		first = false;
		p = eol + 1;
	}
	return -1;
}

const struct http1_field *http1_field(const struct http1_head *h, const char *name)
{
	size_t n = strlen(name);

	for (unsigned i = 0; i < h->nr_fields; i++)
		if (h->fields[i].name_len == n && !strncasecmp(h->fields[i].name, name, n))
			return &h->fields[i];
	return NULL;
}

bool http1_field_has_token(const struct http1_head *h, const char *name, const char *token)
{
	size_t n = strlen(name), t = strlen(token);

	for (unsigned i = 0; i < h->nr_fields; i++) {
		const struct http1_field *f = &h->fields[i];
		const char *p = f->value, *end = f->value + f->value_len;

		if (f->name_len != n || strncasecmp(f->name, name, n))
			continue;
		while (p < end) {
			const char *comma = memchr(p, ',', end - p);
			const char *item = p;
			size_t item_len = (comma ? comma : end) - p;

			trim(&item, &item_len);
			if (item_len == t && !strncasecmp(item, token, t))
				return true;
			p = comma ? comma + 1 : end;
		}
	}
	return false;
}

/* A Content-Length of digits alone; repeated values must agree. */
static int content_length(const struct http1_head *h, uint64_t *length, bool *present)
{
	*present = false;
	for (unsigned i = 0; i < h->nr_fields; i++) {
		const struct http1_field *f = &h->fields[i];
		uint64_t v = 0;

		if (f->name_len != 14 || strncasecmp(f->name, "content-length", 14))
			continue;
		if (!f->value_len || f->value_len > 15)
			return -1;
		for (size_t k = 0; k < f->value_len; k++) {
			if (f->value[k] < '0' || f->value[k] > '9')
				return -1;
			v = v * 10 + (f->value[k] - '0');
		}
		if (*present && v != *length)
			return -1;
		*length = v;
		*present = true;
	}
	return 0;
}

enum http1_framing http1_framing(const struct http1_head *h, const char *request_method,
				 uint64_t *length)
{
	bool has_length;

	if (h->response) {
		if ((request_method && !strcmp(request_method, "HEAD")) || h->status / 100 == 1 ||
		    h->status == 204 || h->status == 304)
			return HTTP1_NO_BODY;
		if (request_method && !strcmp(request_method, "CONNECT") && h->status / 100 == 2)
			return HTTP1_BAD;	/* a tunnel: no longer HTTP */
	}
	if (http1_field(h, "transfer-encoding")) {
		/* chunked must be the last coding; anything else cannot be framed */
		if (!http1_field_has_token(h, "transfer-encoding", "chunked"))
			return h->response ? HTTP1_UNTIL_CLOSE : HTTP1_BAD;
		return HTTP1_CHUNKED;
	}
	if (content_length(h, length, &has_length))
		return HTTP1_BAD;
	if (has_length)
		return *length ? HTTP1_LENGTH : HTTP1_NO_BODY;
	return h->response ? HTTP1_UNTIL_CLOSE : HTTP1_NO_BODY;
}

static void lose(struct http1_reader *r, const char *why, const struct http1_callbacks *cb, void *ctx)
{
	r->state = HTTP1_LOST;
	capbuf_reset(&r->buf);
	cb->lost(ctx, why);
}

/* Appends to the head or line being read; false past max (or out of memory). */
static bool keep(struct http1_reader *r, const char *data, size_t len, size_t max)
{
	r->buf.max = max;
	capbuf_append(&r->buf, data, len);
	return !r->buf.cut && !r->buf.failed;
}

static void message_end(struct http1_reader *r, const struct http1_callbacks *cb, void *ctx)
{
	r->state = HTTP1_HEAD;
	capbuf_reset(&r->buf);
	cb->end(ctx);
}

/* The head is whole in r->buf: its framing says what comes next. */
static void head_done(struct http1_reader *r, const struct http1_callbacks *cb, void *ctx)
{
	uint64_t length = 0;

	if (http1_parse_head(&r->head, r->buf.data, r->buf.len, r->response)) {
		lose(r, r->response ? "malformed response head" : "malformed request head", cb, ctx);
		return;
	}
	switch (cb->head(ctx, &r->head, &length)) {
	case HTTP1_NO_BODY:
		message_end(r, cb, ctx);
		return;
	case HTTP1_LENGTH:
		r->state = HTTP1_BODY_LENGTH;
		r->left = length;
		break;
	case HTTP1_CHUNKED:
		r->state = HTTP1_CHUNK_SIZE;
		break;
	case HTTP1_UNTIL_CLOSE:
		r->state = HTTP1_BODY_CLOSE;
		break;
	default:
		lose(r, "body framing cannot be trusted", cb, ctx);
		return;
	}
	capbuf_reset(&r->buf);
}

/* Head bytes: up to the blank line. Returns the bytes used. */
static size_t feed_head(struct http1_reader *r, const char *data, size_t len,
			const struct http1_callbacks *cb, void *ctx)
{
	size_t used = 0, before, take;

	/* empty lines before a message are allowed (RFC 9112 section 2.2) */
	while (!r->buf.len && used < len && (data[used] == '\r' || data[used] == '\n'))
		used++;
	if (used == len)
		return used;
	if (!r->buf.len && cb->begin)
		cb->begin(ctx);
	before = r->buf.len;
	take = len - used;
	if (take > HTTP1_HEAD_MAX + 4 - before)
		take = HTTP1_HEAD_MAX + 4 - before;
	if (!keep(r, data + used, take, HTTP1_HEAD_MAX + 4)) {
		lose(r, "out of memory", cb, ctx);
		return len;
	}
	for (size_t i = before > 3 ? before - 3 : 0; i < r->buf.len; i++) {
		size_t end;

		if (r->buf.data[i] != '\n')
			continue;
		if (i + 1 < r->buf.len && r->buf.data[i + 1] == '\n')
			end = i + 2;
		else if (i + 2 < r->buf.len && r->buf.data[i + 1] == '\r' && r->buf.data[i + 2] == '\n')
			end = i + 3;
		else
			continue;
		r->buf.len = end;
		head_done(r, cb, ctx);
		return used + (end - before);
	}
	if (r->buf.len > HTTP1_HEAD_MAX)
		lose(r, r->response ? "response head too long" : "request head too long", cb, ctx);
	return len;
}

/* "1a2b;ext=1": the chunk's size; -1 if the line is not one. */
static int chunk_size(const char *line, size_t len, uint64_t *size)
{
	size_t n = 0;

	*size = 0;
	while (n < len && n < 16) {
		char c = line[n];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (d < 0)
			break;
		*size = *size << 4 | d;
		n++;
	}
	if (!n || (n < len && line[n] != ';' && line[n] != ' ' && line[n] != '\t'))
		return -1;
	return 0;
}

/* A line of the chunked coding (a size, the end of data, a trailer); returns
 * the bytes used, and *line_len >= 0 once the line is whole in r->buf. */
static size_t feed_line(struct http1_reader *r, const char *data, size_t len, long *line_len)
{
	const char *eol = memchr(data, '\n', len);
	size_t take = eol ? (size_t)(eol - data) + 1 : len;

	*line_len = -1;
	if (!keep(r, data, take, CHUNK_LINE_MAX))
		return 0;	/* the caller sees nothing used and loses its place */
	if (eol) {
		size_t n = r->buf.len - 1;

		if (n && r->buf.data[n - 1] == '\r')
			n--;
		*line_len = n;
		capbuf_reset(&r->buf);
	}
	return take;
}

static size_t feed_chunked(struct http1_reader *r, const char *data, size_t len,
			   const struct http1_callbacks *cb, void *ctx)
{
	long line_len;
	size_t used;
	uint64_t size;

	if (r->state == HTTP1_CHUNK_DATA) {
		used = len < r->left ? len : r->left;
		cb->body(ctx, data, used);
		r->left -= used;
		if (!r->left)
			r->state = HTTP1_CHUNK_DATA_END;
		return used;
	}
	used = feed_line(r, data, len, &line_len);
	if (!used) {
		lose(r, "malformed chunked coding", cb, ctx);
		return len;
	}
	if (line_len < 0)
		return used;
	switch (r->state) {
	case HTTP1_CHUNK_SIZE:
		if (chunk_size(r->buf.data, line_len, &size)) {
			lose(r, "malformed chunked coding", cb, ctx);
			return len;
		}
		r->left = size;
		r->state = size ? HTTP1_CHUNK_DATA : HTTP1_TRAILERS;
		break;
	case HTTP1_CHUNK_DATA_END:
		if (line_len) {
			lose(r, "malformed chunked coding", cb, ctx);
			return len;
		}
		r->state = HTTP1_CHUNK_SIZE;
		break;
	default:	/* trailers: fields until a blank line */
		if (!line_len)
			message_end(r, cb, ctx);
	}
	return used;
}

void http1_feed(struct http1_reader *r, const char *data, size_t len,
		const struct http1_callbacks *cb, void *ctx)
{
	while (len) {
		size_t used;

		switch (r->state) {
		case HTTP1_HEAD:
			used = feed_head(r, data, len, cb, ctx);
			break;
		case HTTP1_BODY_LENGTH:
			used = len < r->left ? len : r->left;
			cb->body(ctx, data, used);
			r->left -= used;
			if (!r->left)
				message_end(r, cb, ctx);
			break;
		case HTTP1_BODY_CLOSE:
			cb->body(ctx, data, len);
			used = len;
			break;
		case HTTP1_LOST:
			return;
		default:
			used = feed_chunked(r, data, len, cb, ctx);
		}
		data += used;
		len -= used;
	}
}

void http1_skip(struct http1_reader *r, uint64_t len, const struct http1_callbacks *cb, void *ctx)
{
	if (!len || r->state == HTTP1_LOST)
		return;
	/* bytes missing inside a body whose end is known keep the framing */
	if ((r->state == HTTP1_BODY_LENGTH || r->state == HTTP1_CHUNK_DATA) && len <= r->left) {
		cb->body_missing(ctx, len);
		r->left -= len;
		if (!r->left && r->state == HTTP1_BODY_LENGTH)
			message_end(r, cb, ctx);
		else if (!r->left)
			r->state = HTTP1_CHUNK_DATA_END;
		return;
	}
	if (r->state == HTTP1_BODY_CLOSE) {
		cb->body_missing(ctx, len);
		return;
	}
	lose(r, "bytes missing", cb, ctx);
}

void http1_close(struct http1_reader *r, const struct http1_callbacks *cb, void *ctx)
{
	if (r->state == HTTP1_BODY_CLOSE)
		message_end(r, cb, ctx);
}
