/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * HTTP/1.x messages (RFC 9112) read from one direction of a connection, fed
 * in pieces of any size: the head (start line and fields), then the body as
 * the head frames it: Content-Length, chunked transfer coding, or until the
 * connection closes. Bytes that were not seen may be skipped inside a body
 * of known length; anywhere else they lose the reader its place, and it
 * says so and waits (http1_restart) instead of guessing.
 */
#ifndef OBSERVE_HTTP1_H
#define OBSERVE_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "capbuf.h"

#define HTTP1_HEAD_MAX 65536	/* start line and fields */
#define HTTP1_FIELDS_MAX 128

struct http1_field {
	const char *name, *value;
	size_t name_len, value_len;
};

/* A parsed head: pointers into the reader's buffer, valid until the next feed. */
struct http1_head {
	const char *raw;			/* the head as it came, blank line included */
	size_t raw_len;
	bool response;
	const char *method, *target, *reason;	/* method and target of a request */
	size_t method_len, target_len, reason_len;
	unsigned status;			/* of a response */
	unsigned version;			/* 10 or 11 */
	unsigned nr_fields;
	struct http1_field fields[HTTP1_FIELDS_MAX];	/* last: not cleared for each head */
};

/* How a message's body is delimited. */
enum http1_framing {
	HTTP1_NO_BODY,
	HTTP1_LENGTH,		/* Content-Length */
	HTTP1_CHUNKED,
	HTTP1_UNTIL_CLOSE,	/* a response with neither: to the connection's end */
	HTTP1_BAD,		/* framing that cannot be trusted (two lengths, ...) */
};

/* The reader's calls to its owner, for one message at a time. */
struct http1_callbacks {
	/* The first byte of a message came (its head is not whole yet). */
	void (*begin)(void *ctx);
	/* The head was read: returns its body's framing, and sets *length for
	 * HTTP1_LENGTH (http1_framing() decides it for most owners). */
	enum http1_framing (*head)(void *ctx, const struct http1_head *h, uint64_t *length);
	void (*body)(void *ctx, const char *data, size_t len);
	void (*body_missing)(void *ctx, uint64_t len);	/* bytes of the body not seen */
	void (*end)(void *ctx);
	/* The reader lost its place (malformed head, bytes missing in framing). */
	void (*lost)(void *ctx, const char *why);
};

enum http1_state {
	HTTP1_HEAD,		/* between messages, or in a head */
	HTTP1_BODY_LENGTH,
	HTTP1_CHUNK_SIZE,
	HTTP1_CHUNK_DATA,
	HTTP1_CHUNK_DATA_END,	/* the CRLF after a chunk's data */
	HTTP1_TRAILERS,
	HTTP1_BODY_CLOSE,
	HTTP1_LOST,		/* bytes are dropped until http1_restart() */
};

struct http1_reader {
	bool response;
	enum http1_state state;
	struct capbuf buf;	/* the head, or a chunk-size or trailer line */
	uint64_t left;		/* bytes of the body or chunk still to come */
	struct http1_head head;
};

void http1_init(struct http1_reader *r, bool response);
void http1_free(struct http1_reader *r);
void http1_feed(struct http1_reader *r, const char *data, size_t len,
		const struct http1_callbacks *cb, void *ctx);
/* 'len' bytes came here that were not seen. */
void http1_skip(struct http1_reader *r, uint64_t len, const struct http1_callbacks *cb, void *ctx);
/* The connection ended: a body that runs until then ends. */
void http1_close(struct http1_reader *r, const struct http1_callbacks *cb, void *ctx);
/* Waits for a new message here (after a loss). */
void http1_restart(struct http1_reader *r);
/* Between two messages: nothing of one has come yet. */
bool http1_idle(const struct http1_reader *r);

/* Parses a head that ends with its blank line; 0, or -1 if it is not one. */
int http1_parse_head(struct http1_head *h, char *buf, size_t len, bool response);
/* The first field of that name (case-insensitive), or NULL. */
const struct http1_field *http1_field(const struct http1_head *h, const char *name);
/* Whether a comma-separated field of that name lists token (case-insensitive). */
bool http1_field_has_token(const struct http1_head *h, const char *name, const char *token);
/* RFC 9112 section 6.3: the framing of a message; request_method is that of the
 * request a response answers (NULL if unknown). */
enum http1_framing http1_framing(const struct http1_head *h, const char *request_method,
				 uint64_t *length);
/* Whether data starts as a request line ("GET /") or a status line ("HTTP/1.") does. */
bool http1_looks_like_start(const char *data, size_t len, bool response);

#endif /* OBSERVE_HTTP1_H */
