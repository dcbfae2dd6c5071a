/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * LLM API calls seen as HTTP: the streamed answer (server-sent events of the
 * Anthropic Messages API, OpenAI chat completions or OpenAI responses)
 * merged into one answer text with its model, stop reason and token usage;
 * and an excerpt of the request's messages. JSON comes from the network and
 * is read with json-c (a parser with a depth limit, no recursion); fields
 * of the wrong type are ignored, texts are kept up to a limit and the rest
 * counted.
 */
#ifndef OBSERVE_LLM_H
#define OBSERVE_LLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "capbuf.h"
#include "json.h"

#define LLM_TOOL_CALLS_MAX 64	/* tool calls of one answer shown */
#define LLM_JSON_DEPTH 64	/* nesting json-c accepts in a request or an event */

enum llm_api {
	LLM_API_UNKNOWN = 0,
	LLM_API_ANTHROPIC_MESSAGES,
	LLM_API_OPENAI_CHAT,
	LLM_API_OPENAI_RESPONSES,
};

struct llm_tool_call {
	char *id, *name;
	int64_t index;		/* the provider's index of the block or output item */
	struct capbuf input;	/* its arguments, as JSON text streamed */
};

#define LLM_UNKNOWN_TOKENS (-1)

struct llm_stream {
	enum llm_api api;
	char *id, *model, *stop_reason, *error_type, *error_message;
	struct capbuf text, thinking;
	struct llm_tool_call tools[LLM_TOOL_CALLS_MAX];
	unsigned nr_tools;
	uint64_t tools_dropped;
	int64_t input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens;
	uint64_t first_token_ns;	/* CLOCK_BOOTTIME of the event with the first output; 0: none */
	uint64_t events, ignored;	/* events read; of which not understood */
	bool done;			/* the stream's end event came */
	struct jsonread *tok;
};

void llm_stream_init(struct llm_stream *s, size_t text_max);
void llm_stream_free(struct llm_stream *s);
/* One server-sent event (sse.h) of the answer, that came at ts_ns. */
void llm_stream_event(struct llm_stream *s, const char *name, size_t name_len, const char *data,
		      size_t data_len, uint64_t ts_ns);
/* Appends the merged answer's fields: provider, api, model, answer, ... */
void llm_stream_json(struct json_writer *w, const struct llm_stream *s);

const char *llm_api_name(enum llm_api api);
const char *llm_provider_name(enum llm_api api);

/* Appends what the request body says (model, max_tokens, system, messages)
 * when it parses as an LLM request; each message's content flattened to
 * text. The last messages are kept first, up to text_max bytes of text in
 * all; the rest is counted (messages_omitted, content_truncated). Returns
 * 0, or -1 (nothing appended) if the body is no such JSON. */
int llm_request_json(struct json_writer *w, const char *body, size_t len, size_t text_max);

#endif /* OBSERVE_LLM_H */
