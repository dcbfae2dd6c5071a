// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "llm.h"

#include "jsonread.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ID_MAX 256		/* ids, model names, reasons: longer ones are cut */

static const char *const api_names[] = {
	[LLM_API_UNKNOWN] = "unknown",
	[LLM_API_ANTHROPIC_MESSAGES] = "messages",
	[LLM_API_OPENAI_CHAT] = "chat.completions",
	[LLM_API_OPENAI_RESPONSES] = "responses",
};

const char *llm_api_name(enum llm_api api)
{
	return api <= LLM_API_OPENAI_RESPONSES ? api_names[api] : "unknown";
}

const char *llm_provider_name(enum llm_api api)
{
	switch (api) {
	case LLM_API_ANTHROPIC_MESSAGES:
		return "anthropic";
	case LLM_API_OPENAI_CHAT:
	case LLM_API_OPENAI_RESPONSES:
		return "openai";
	default:
		return "unknown";
	}
}

/* ---- reading values of the type expected, or nothing ---- */

typedef struct jsonread_value jval;

static jval *member(jval *o, const char *key)
{
	return jsonread_member(o, key);
}

static const char *string_of(jval *v, size_t *len)
{
	return jsonread_string(v, len);
}

static const char *member_string(jval *o, const char *key, size_t *len)
{
	return jsonread_string(jsonread_member(o, key), len);
}

static bool member_int(jval *o, const char *key, int64_t *out)
{
	return jsonread_int(jsonread_member(o, key), out);
}

static jval *member_array(jval *o, const char *key)
{
	jval *v = jsonread_member(o, key);

	return jsonread_is_array(v) ? v : NULL;
}

static bool member_is(jval *o, const char *key, const char *value)
{
	size_t len;
	const char *s = member_string(o, key, &len);

	return s && len == strlen(value) && !memcmp(s, value, len);
}

/* Replaces *dst with a copy of a string member (cut at ID_MAX). */
static void keep_string(char **dst, jval *o, const char *key)
{
	size_t len;
	const char *s = member_string(o, key, &len);
	char *copy;

	if (!s)
		return;
	if (len > ID_MAX)
		len = ID_MAX;
	copy = strndup(s, len);
	if (!copy)
		return;
	free(*dst);
	*dst = copy;
}

/* ---- the stream ---- */

void llm_stream_init(struct llm_stream *s, size_t text_max)
{
	memset(s, 0, sizeof(*s));
	capbuf_init(&s->text, text_max);
	capbuf_init(&s->thinking, text_max);
	s->input_tokens = s->output_tokens = LLM_UNKNOWN_TOKENS;
	s->cache_read_tokens = s->cache_creation_tokens = LLM_UNKNOWN_TOKENS;
	s->tok = jsonread_new(LLM_JSON_DEPTH);
}

void llm_stream_free(struct llm_stream *s)
{
	free(s->id);
	free(s->model);
	free(s->stop_reason);
	free(s->error_type);
	free(s->error_message);
	capbuf_free(&s->text);
	capbuf_free(&s->thinking);
	for (unsigned i = 0; i < s->nr_tools; i++) {
		free(s->tools[i].id);
		free(s->tools[i].name);
		capbuf_free(&s->tools[i].input);
	}
	jsonread_free(s->tok);
	memset(s, 0, sizeof(*s));
}

static void output(struct llm_stream *s, struct capbuf *b, const char *text, size_t len,
		   uint64_t ts_ns)
{
	if (!text || !len)
		return;
	if (!s->first_token_ns)
		s->first_token_ns = ts_ns;
	capbuf_append(b, text, len);
}

static struct llm_tool_call *tool_at(struct llm_stream *s, int64_t index)
{
	for (unsigned i = 0; i < s->nr_tools; i++)
		if (s->tools[i].index == index)
			return &s->tools[i];
	return NULL;
}

static struct llm_tool_call *new_tool(struct llm_stream *s, int64_t index)
{
	struct llm_tool_call *t;

	if (s->nr_tools == LLM_TOOL_CALLS_MAX) {
		s->tools_dropped++;
		return NULL;
	}
	t = &s->tools[s->nr_tools++];
	t->index = index;
	capbuf_init(&t->input, s->text.max);
	return t;
}

static void tool_input(struct llm_stream *s, int64_t index, const char *text, size_t len,
		       uint64_t ts_ns)
{
	struct llm_tool_call *t = tool_at(s, index);

	if (t)
		output(s, &t->input, text, len, ts_ns);
}

static void error_of(struct llm_stream *s, jval *e)
{
	keep_string(&s->error_type, e, "type");
	keep_string(&s->error_type, e, "code");
	keep_string(&s->error_message, e, "message");
}

/* Anthropic: input and cache tokens come in message_start, output tokens
 * grow in message_delta. */
static void anthropic_usage(struct llm_stream *s, jval *u)
{
	member_int(u, "input_tokens", &s->input_tokens);
	member_int(u, "output_tokens", &s->output_tokens);
	member_int(u, "cache_read_input_tokens", &s->cache_read_tokens);
	member_int(u, "cache_creation_input_tokens", &s->cache_creation_tokens);
}

static bool anthropic_event(struct llm_stream *s, jval *o, uint64_t ts_ns)
{
	jval *delta = member(o, "delta"), *block = member(o, "content_block");
	size_t len;
	const char *text;
	int64_t index = 0;

	member_int(o, "index", &index);
	if (member_is(o, "type", "message_start")) {
		jval *m = member(o, "message");

		keep_string(&s->id, m, "id");
		keep_string(&s->model, m, "model");
		anthropic_usage(s, member(m, "usage"));
	} else if (member_is(o, "type", "content_block_start")) {
		if (member_is(block, "type", "tool_use") || member_is(block, "type", "server_tool_use")) {
			struct llm_tool_call *t = new_tool(s, index);

			if (t) {
				keep_string(&t->id, block, "id");
				keep_string(&t->name, block, "name");
			}
		} else if ((text = member_string(block, "text", &len))) {
			output(s, &s->text, text, len, ts_ns);
		}
	} else if (member_is(o, "type", "content_block_delta")) {
		if ((text = member_string(delta, "text", &len)))
			output(s, &s->text, text, len, ts_ns);
		else if ((text = member_string(delta, "thinking", &len)))
			output(s, &s->thinking, text, len, ts_ns);
		else if ((text = member_string(delta, "partial_json", &len)))
			tool_input(s, index, text, len, ts_ns);
	} else if (member_is(o, "type", "message_delta")) {
		keep_string(&s->stop_reason, delta, "stop_reason");
		anthropic_usage(s, member(o, "usage"));
	} else if (member_is(o, "type", "message_stop")) {
		s->done = true;
	} else if (member_is(o, "type", "error")) {
		error_of(s, member(o, "error"));
	} else if (!member_is(o, "type", "content_block_stop") && !member_is(o, "type", "ping")) {
		return false;
	}
	return true;
}

static void openai_usage(struct llm_stream *s, jval *u)
{
	/* chat completions name them prompt and completion; responses input and output */
	member_int(u, "prompt_tokens", &s->input_tokens);
	member_int(u, "completion_tokens", &s->output_tokens);
	member_int(u, "input_tokens", &s->input_tokens);
	member_int(u, "output_tokens", &s->output_tokens);
	member_int(member(u, "prompt_tokens_details"), "cached_tokens", &s->cache_read_tokens);
	member_int(member(u, "input_tokens_details"), "cached_tokens", &s->cache_read_tokens);
}

static void chat_tool_calls(struct llm_stream *s, jval *calls, uint64_t ts_ns)
{
	size_t n = jsonread_array_len(calls);

	for (size_t i = 0; i < n; i++) {
		jval *c = jsonread_array_get(calls, i), *fn = member(c, "function");
		int64_t index = (int64_t)i;
		struct llm_tool_call *t;
		size_t len;
		const char *args;

		member_int(c, "index", &index);
		t = tool_at(s, index);
		if (!t && !(t = new_tool(s, index)))
			continue;
		keep_string(&t->id, c, "id");
		keep_string(&t->name, fn, "name");
		if ((args = member_string(fn, "arguments", &len)))
			output(s, &t->input, args, len, ts_ns);
	}
}

static bool chat_chunk(struct llm_stream *s, jval *o, uint64_t ts_ns)
{
	jval *choices = member_array(o, "choices");
	size_t n = jsonread_array_len(choices);

	if (!member_is(o, "object", "chat.completion.chunk"))
		return false;
	keep_string(&s->id, o, "id");
	keep_string(&s->model, o, "model");
	for (size_t i = 0; i < n; i++) {
		jval *c = jsonread_array_get(choices, i), *delta = member(c, "delta");
		int64_t index = 0;
		size_t len;
		const char *text;

		if (member_int(c, "index", &index) && index != 0)
			continue;	/* n > 1: the first choice is merged */
		if ((text = member_string(delta, "content", &len)))
			output(s, &s->text, text, len, ts_ns);
		if ((text = member_string(delta, "reasoning_content", &len)))
			output(s, &s->thinking, text, len, ts_ns);
		chat_tool_calls(s, member_array(delta, "tool_calls"), ts_ns);
		keep_string(&s->stop_reason, c, "finish_reason");
	}
	openai_usage(s, member(o, "usage"));
	return true;
}

static void response_object(struct llm_stream *s, jval *r)
{
	keep_string(&s->id, r, "id");
	keep_string(&s->model, r, "model");
	openai_usage(s, member(r, "usage"));
	if (member_is(r, "status", "incomplete"))
		keep_string(&s->stop_reason, member(r, "incomplete_details"), "reason");
	else if (!member_is(r, "status", "in_progress") && !member_is(r, "status", "queued"))
		keep_string(&s->stop_reason, r, "status");
	if (jsonread_is_object(member(r, "error")))
		error_of(s, member(r, "error"));
}

static bool responses_event(struct llm_stream *s, jval *o, uint64_t ts_ns)
{
	size_t type_len, len;
	const char *type = member_string(o, "type", &type_len), *text;
	int64_t index = 0;

	if (!type || type_len < 9 || memcmp(type, "response.", 9)) {
		if (s->api == LLM_API_OPENAI_RESPONSES && member_is(o, "type", "error")) {
			error_of(s, o);
			return true;
		}
		return false;
	}
	member_int(o, "output_index", &index);
	if (member(o, "response")) {
		response_object(s, member(o, "response"));
		if (member_is(o, "type", "response.completed") || member_is(o, "type", "response.incomplete") ||
		    member_is(o, "type", "response.failed"))
			s->done = true;
	} else if (member_is(o, "type", "response.output_text.delta")) {
		if ((text = member_string(o, "delta", &len)))
			output(s, &s->text, text, len, ts_ns);
	} else if (member_is(o, "type", "response.reasoning_summary_text.delta") ||
		   member_is(o, "type", "response.reasoning_text.delta")) {
		if ((text = member_string(o, "delta", &len)))
			output(s, &s->thinking, text, len, ts_ns);
	} else if (member_is(o, "type", "response.output_item.added") &&
		   member_is(member(o, "item"), "type", "function_call")) {
		struct llm_tool_call *t = new_tool(s, index);

		if (t) {
			keep_string(&t->id, member(o, "item"), "call_id");
			keep_string(&t->name, member(o, "item"), "name");
		}
	} else if (member_is(o, "type", "response.function_call_arguments.delta")) {
		if ((text = member_string(o, "delta", &len)))
			tool_input(s, index, text, len, ts_ns);
	}
	return true;
}

void llm_stream_event(struct llm_stream *s, const char *name, size_t name_len, const char *data,
		      size_t data_len, uint64_t ts_ns)
{
	jval *o;
	bool understood = false;

	(void)name;
	(void)name_len;	/* each provider repeats the event's name in its data's "type" */
	s->events++;
	if (data_len == 6 && !memcmp(data, "[DONE]", 6)) {
		if (s->api == LLM_API_OPENAI_CHAT)
			s->done = true;
		return;
	}
	o = jsonread_parse(s->tok, data, data_len);
	if (!jsonread_is_object(o)) {
		s->ignored++;
		jsonread_put(o);
		return;
	}
	/* the first event understood says which API this is; the others follow it */
	if (s->api == LLM_API_UNKNOWN || s->api == LLM_API_ANTHROPIC_MESSAGES) {
		understood = anthropic_event(s, o, ts_ns);
		if (understood && s->api == LLM_API_UNKNOWN && !member_is(o, "type", "ping") &&
		    !member_is(o, "type", "error"))
			s->api = LLM_API_ANTHROPIC_MESSAGES;
	}
	if (!understood && (s->api == LLM_API_UNKNOWN || s->api == LLM_API_OPENAI_CHAT)) {
		understood = chat_chunk(s, o, ts_ns);
		if (understood)
			s->api = LLM_API_OPENAI_CHAT;
	}
	if (!understood && (s->api == LLM_API_UNKNOWN || s->api == LLM_API_OPENAI_RESPONSES)) {
		understood = responses_event(s, o, ts_ns);
		if (understood)
			s->api = LLM_API_OPENAI_RESPONSES;
	}
	if (!understood)
		s->ignored++;
	jsonread_put(o);
}

static void kv_capbuf(struct json_writer *w, const char *key, const char *cut_key,
		      const struct capbuf *b)
{
	json_kv_str(w, key, b->data ? b->data : "", b->len);
	if (b->cut)
		json_kv_u64(w, cut_key, b->cut);
}

static void kv_tokens(struct json_writer *w, const char *key, int64_t v)
{
	if (v != LLM_UNKNOWN_TOKENS)
		json_kv_i64(w, key, v);
}

static void kv_cstr_if(struct json_writer *w, const char *key, const char *s)
{
	if (s)
		json_kv_cstr(w, key, s);
}

void llm_stream_json(struct json_writer *w, const struct llm_stream *s)
{
	json_kv_cstr(w, "provider", llm_provider_name(s->api));
	json_kv_cstr(w, "api", llm_api_name(s->api));
	kv_cstr_if(w, "model", s->model);
	kv_cstr_if(w, "id", s->id);
	kv_capbuf(w, "answer", "answer_truncated", &s->text);
	if (capbuf_total(&s->thinking))
		kv_capbuf(w, "thinking", "thinking_truncated", &s->thinking);
	if (s->nr_tools) {
		json_key(w, "tool_calls");
		json_array_begin(w);
		for (unsigned i = 0; i < s->nr_tools; i++) {
			json_object_begin(w);
			kv_cstr_if(w, "id", s->tools[i].id);
			kv_cstr_if(w, "name", s->tools[i].name);
			kv_capbuf(w, "input", "input_truncated", &s->tools[i].input);
			json_object_end(w);
		}
		json_array_end(w);
	}
	if (s->tools_dropped)
		json_kv_u64(w, "tool_calls_omitted", s->tools_dropped);
	kv_cstr_if(w, "stop_reason", s->stop_reason);
	json_key(w, "usage");
	json_object_begin(w);
	kv_tokens(w, "input_tokens", s->input_tokens);
	kv_tokens(w, "output_tokens", s->output_tokens);
	kv_tokens(w, "cache_read_tokens", s->cache_read_tokens);
	kv_tokens(w, "cache_creation_tokens", s->cache_creation_tokens);
	json_object_end(w);
	if (s->error_type || s->error_message) {
		json_key(w, "error");
		json_object_begin(w);
		kv_cstr_if(w, "type", s->error_type);
		kv_cstr_if(w, "message", s->error_message);
		json_object_end(w);
	}
	json_kv_u64(w, "events", s->events);
	if (s->ignored)
		json_kv_u64(w, "events_ignored", s->ignored);
	json_kv_bool(w, "stream_ended", s->done);
}

/* ---- the request ---- */

/* A message's content as text: a string as it is; of an array of blocks,
 * the texts, and a note in brackets for each block of another kind. */
static void flatten_content(struct capbuf *b, jval *content, int depth);

static void note(struct capbuf *b, const char *what, jval *block, const char *key)
{
	size_t len;
	const char *name = member_string(block, key, &len);

	if (b->len || b->cut)
		capbuf_append(b, "\n", 1);
	capbuf_append(b, "[", 1);
	capbuf_append(b, what, strlen(what));
	if (name) {
		capbuf_append(b, " ", 1);
		capbuf_append(b, name, len > ID_MAX ? ID_MAX : len);
	}
	capbuf_append(b, "]", 1);
}

static void flatten_block(struct capbuf *b, jval *block, int depth)
{
	size_t len, type_len;
	const char *text = member_string(block, "text", &len);
	const char *type = member_string(block, "type", &type_len);

	if (text) {
		if (b->len || b->cut)
			capbuf_append(b, "\n", 1);
		capbuf_append(b, text, len);
	} else if (member_is(block, "type", "tool_use") || member_is(block, "type", "function_call")) {
		note(b, "tool_use", block, "name");
	} else if (member_is(block, "type", "tool_result") && depth < 2) {
		note(b, "tool_result", block, "tool_use_id");
		flatten_content(b, member(block, "content"), depth + 1);
	} else if (member_is(block, "type", "function_call_output")) {
		note(b, "tool_result", block, "call_id");
	} else if (type) {
		char what[48];

		snprintf(what, sizeof(what), "%.*s", (int)(type_len < 40 ? type_len : 40), type);
		note(b, what, NULL, NULL);
	}
}

static void flatten_content(struct capbuf *b, jval *content, int depth)
{
	size_t len;
	const char *text = string_of(content, &len);

	if (text) {
		if (b->len || b->cut)
			capbuf_append(b, "\n", 1);
		capbuf_append(b, text, len);
		return;
	}
	if (!jsonread_is_array(content))
		return;
	for (size_t i = 0; i < jsonread_array_len(content); i++)
		flatten_block(b, jsonread_array_get(content, i), depth);
}

/* One message's text, flattened, tool calls of OpenAI chat included. */
static void message_text(struct capbuf *b, jval *m)
{
	jval *calls = member_array(m, "tool_calls");

	flatten_content(b, member(m, "content"), 0);
	for (size_t i = 0; i < jsonread_array_len(calls); i++)
		note(b, "tool_use", member(jsonread_array_get(calls, i), "function"), "name");
	if (member_is(m, "type", "function_call") || member_is(m, "type", "function_call_output"))
		flatten_block(b, m, 0);
}

static void text_json(struct json_writer *w, const char *key, const char *cut_key,
		      jval *content, size_t text_max)
{
	struct capbuf b;

	capbuf_init(&b, text_max);
	flatten_content(&b, content, 0);
	kv_capbuf(w, key, cut_key, &b);
	capbuf_free(&b);
}

/* The messages, the last ones first within text_max, printed in order. */
static void messages_json(struct json_writer *w, jval *messages, size_t text_max)
{
	size_t n = jsonread_array_len(messages), first = n, left = text_max;

	/* how many of the last messages fit: each takes its text's length */
	while (first > 0) {
		struct capbuf b;
		size_t need;

		capbuf_init(&b, left + 1);
		message_text(&b, jsonread_array_get(messages, first - 1));
		need = capbuf_total(&b);
		capbuf_free(&b);
		if (need > left && first < n)
			break;		/* the newest message is kept, cut if it must be */
		first--;
		left = need > left ? 0 : left - need;
	}
	json_kv_u64(w, "messages_count", n);
	if (first)
		json_kv_u64(w, "messages_omitted", first);
	json_key(w, "messages");
	json_array_begin(w);
	for (size_t i = first; i < n; i++) {
		jval *m = jsonread_array_get(messages, i);
		struct capbuf b;
		size_t len;
		const char *role = member_string(m, "role", &len);

		json_object_begin(w);
		if (role)
			json_kv_str(w, "role", role, len > ID_MAX ? ID_MAX : len);
		else if ((role = member_string(m, "type", &len)))
			json_kv_str(w, "type", role, len > ID_MAX ? ID_MAX : len);
		capbuf_init(&b, i == n - 1 && first == n - 1 ? text_max : text_max);
		message_text(&b, m);
		kv_capbuf(w, "content", "content_truncated", &b);
		capbuf_free(&b);
		json_object_end(w);
	}
	json_array_end(w);
}

int llm_request_json(struct json_writer *w, const char *body, size_t len, size_t text_max)
{
	struct jsonread *parser = jsonread_new(LLM_JSON_DEPTH);
	jval *o = jsonread_parse(parser, body, len), *messages, *input;
	size_t slen;
	const char *s;
	int64_t v;
	bool stream = false;

	jsonread_free(parser);
	if (!jsonread_is_object(o) || !member(o, "model")) {
		jsonread_put(o);
		return -1;
	}
	if ((s = member_string(o, "model", &slen)))
		json_kv_str(w, "request_model", s, slen > ID_MAX ? ID_MAX : slen);
	if (member_int(o, "max_tokens", &v) || member_int(o, "max_completion_tokens", &v) ||
	    member_int(o, "max_output_tokens", &v))
		json_kv_i64(w, "max_tokens", v);
	jsonread_bool(member(o, "stream"), &stream);
	json_kv_bool(w, "stream", stream);
	if (member_array(o, "tools"))
		json_kv_u64(w, "tools_count", jsonread_array_len(member_array(o, "tools")));
	if (member(o, "system"))
		text_json(w, "system", "system_truncated", member(o, "system"), text_max);
	else if (member(o, "instructions"))
		text_json(w, "system", "system_truncated", member(o, "instructions"), text_max);
	messages = member_array(o, "messages");
	input = member(o, "input");
	if (messages) {
		messages_json(w, messages, text_max);
	} else if (jsonread_is_array(input)) {
		messages_json(w, input, text_max);
	} else if (string_of(input, &slen)) {
		/* responses API: the input may be the prompt alone */
		json_kv_u64(w, "messages_count", 1);
		json_key(w, "messages");
		json_array_begin(w);
		json_object_begin(w);
		json_kv_cstr(w, "role", "user");
		text_json(w, "content", "content_truncated", input, text_max);
		json_object_end(w);
		json_array_end(w);
	}
	jsonread_put(o);
	return 0;
}
