// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* lib/llm: Anthropic and OpenAI streams merged into one answer with model,
 * stop reason and usage; requests' messages excerpted within a budget;
 * JSON that is not what a provider sends ignored, never trusted. */
#include "check.h"
#include "llm.h"

#include <stdio.h>
#include <string.h>

static void feed(struct llm_stream *s, const char *data, uint64_t ts)
{
	llm_stream_event(s, "", 0, data, strlen(data), ts);
}

/* The stream's fields as llm_stream_json() writes them, in an object. */
static void stream_json(struct json_writer *w, const struct llm_stream *s)
{
	json_init(w);
	json_object_begin(w);
	llm_stream_json(w, s);
	json_object_end(w);
	json_end_line(w);
}

TEST(llm_merges_an_anthropic_messages_stream)
{
	struct llm_stream s;
	struct json_writer w;

	llm_stream_init(&s, 1024);
	feed(&s, "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"claude-sonnet-4\","
		 "\"usage\":{\"input_tokens\":25,\"output_tokens\":1,\"cache_read_input_tokens\":3}}}", 10);
	feed(&s, "{\"type\":\"ping\"}", 11);
	feed(&s, "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}", 12);
	feed(&s, "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}", 13);
	feed(&s, "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\", world\"}}", 14);
	feed(&s, "{\"type\":\"content_block_stop\",\"index\":0}", 15);
	feed(&s, "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"tu_1\",\"name\":\"Bash\",\"input\":{}}}", 16);
	feed(&s, "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"cmd\\\":\"}}", 17);
	feed(&s, "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\\\"ls\\\"}\"}}", 18);
	feed(&s, "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":12}}", 19);
	feed(&s, "{\"type\":\"message_stop\"}", 20);
	stream_json(&w, &s);
	CHECK_CONTAINS(w.buf, w.len, "{\"provider\":\"anthropic\",\"api\":\"messages\",\"model\":\"claude-sonnet-4\","
			   "\"id\":\"msg_1\",\"answer\":\"Hello, world\",\"tool_calls\":[{\"id\":\"tu_1\",\"name\":\"Bash\","
			   "\"input\":\"{\\\"cmd\\\":\\\"ls\\\"}\"}],\"stop_reason\":\"tool_use\","
			   "\"usage\":{\"input_tokens\":25,\"output_tokens\":12,\"cache_read_tokens\":3},"
			   "\"events\":11,\"stream_ended\":true}");
	CHECK_EQ_U64(13, s.first_token_ns);
	json_free(&w);
	llm_stream_free(&s);
}

TEST(llm_merges_an_openai_chat_completions_stream)
{
	struct llm_stream s;
	struct json_writer w;

	llm_stream_init(&s, 1024);
	feed(&s, "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
		 "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}", 1);
	feed(&s, "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
		 "\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null},{\"index\":1,\"delta\":{\"content\":\"other\"}}]}", 2);
	feed(&s, "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
		 "\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"function\":{\"name\":\"get\",\"arguments\":\"{\\\"a\"}}]}}]}", 3);
	feed(&s, "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
		 "\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\":1}\"}}]}}]}", 4);
	feed(&s, "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
		 "\"delta\":{},\"finish_reason\":\"stop\"}]}", 5);
	feed(&s, "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\",\"choices\":[],"
		 "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3,\"total_tokens\":12}}", 6);
	feed(&s, "[DONE]", 7);
	stream_json(&w, &s);
	CHECK_CONTAINS(w.buf, w.len, "{\"provider\":\"openai\",\"api\":\"chat.completions\",\"model\":\"gpt-4o\","
			   "\"id\":\"c1\",\"answer\":\"Hi\",\"tool_calls\":[{\"id\":\"call_1\",\"name\":\"get\","
			   "\"input\":\"{\\\"a\\\":1}\"}],\"stop_reason\":\"stop\","
			   "\"usage\":{\"input_tokens\":9,\"output_tokens\":3},\"events\":7,\"stream_ended\":true}");
	CHECK_EQ_U64(2, s.first_token_ns);
	json_free(&w);
	llm_stream_free(&s);
}

TEST(llm_merges_an_openai_responses_stream)
{
	struct llm_stream s;
	struct json_writer w;

	llm_stream_init(&s, 1024);
	feed(&s, "{\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\",\"model\":\"gpt-5\",\"status\":\"in_progress\"}}", 1);
	feed(&s, "{\"type\":\"response.output_text.delta\",\"output_index\":0,\"delta\":\"Bon\"}", 2);
	feed(&s, "{\"type\":\"response.output_text.delta\",\"output_index\":0,\"delta\":\"jour\"}", 3);
	feed(&s, "{\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\",\"model\":\"gpt-5\",\"status\":\"completed\","
		 "\"usage\":{\"input_tokens\":4,\"output_tokens\":2,\"input_tokens_details\":{\"cached_tokens\":0}}}}", 4);
	stream_json(&w, &s);
	CHECK_CONTAINS(w.buf, w.len, "{\"provider\":\"openai\",\"api\":\"responses\",\"model\":\"gpt-5\",\"id\":\"resp_1\","
			   "\"answer\":\"Bonjour\",\"stop_reason\":\"completed\",\"usage\":{\"input_tokens\":4,"
			   "\"output_tokens\":2,\"cache_read_tokens\":0},\"events\":4,\"stream_ended\":true}");
	json_free(&w);
	llm_stream_free(&s);
}

TEST(llm_ignores_events_that_are_not_what_a_provider_sends)
{
	static char deep[201];
	struct llm_stream s;

	for (int i = 0; i < 100; i++) {
		deep[i] = '[';
		deep[199 - i] = ']';
	}
	llm_stream_init(&s, 1024);
	feed(&s, "{\"type\":\"content_block_delta\",\"delta\":{\"text\":5}}", 1);	/* wrong type: no text */
	feed(&s, "not json", 2);
	feed(&s, "{\"a\":1} trailing", 3);
	feed(&s, deep, 4);	/* deeper than the parser's limit */
	feed(&s, "{\"type\":\"message_start\",\"message\":{\"model\":[\"x\"]}}", 5);
	CHECK_EQ_U64(5, s.events);
	CHECK_EQ_U64(3, s.ignored);
	CHECK_TRUE(s.model == NULL);
	CHECK_EQ_U64(0, s.text.len);
	llm_stream_free(&s);
}

TEST(llm_cuts_the_answer_at_its_limit_and_counts_the_rest)
{
	struct llm_stream s;
	struct json_writer w;

	llm_stream_init(&s, 4);
	feed(&s, "{\"type\":\"message_start\",\"message\":{\"model\":\"m\"}}", 1);
	feed(&s, "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"abcdef\"}}", 2);
	feed(&s, "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"gh\"}}", 3);
	stream_json(&w, &s);
	CHECK_CONTAINS(w.buf, w.len, "\"answer\":\"abcd\",\"answer_truncated\":4,");
	CHECK_CONTAINS(w.buf, w.len, "\"stream_ended\":false");
	json_free(&w);
	llm_stream_free(&s);
}

static bool check_request(const char *file, int line, const char *body, size_t text_max,
			  const char *expected)
{
	struct json_writer w;
	bool ok;

	json_init(&w);
	json_object_begin(&w);
	ok = check_eq_i64(file, line, "llm_request_json()", 0,
			  llm_request_json(&w, body, strlen(body), text_max));
	json_object_end(&w);
	json_end_line(&w);
	ok = ok && check_contains(file, line, "request", w.buf, w.len, expected);
	json_free(&w);
	return ok;
}

TEST(llm_request_messages_are_flattened_to_text)
{
	check_request(__FILE__, __LINE__,
		      "{\"model\":\"claude-x\",\"max_tokens\":1024,\"stream\":true,\"system\":[{\"type\":\"text\","
		      "\"text\":\"Be brief.\"}],\"tools\":[{},{}],\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},"
		      "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Let me look.\"},"
		      "{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"Bash\",\"input\":{}}]},"
		      "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t1\","
		      "\"content\":\"file.txt\"},{\"type\":\"image\"}]}]}",
		      1024,
		      "{\"request_model\":\"claude-x\",\"max_tokens\":1024,\"stream\":true,\"tools_count\":2,"
		      "\"system\":\"Be brief.\",\"messages_count\":3,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},"
		      "{\"role\":\"assistant\",\"content\":\"Let me look.\\n[tool_use Bash]\"},"
		      "{\"role\":\"user\",\"content\":\"[tool_result t1]\\nfile.txt\\n[image]\"}]}");
	check_request(__FILE__, __LINE__,
		      "{\"model\":\"gpt-5\",\"instructions\":\"sys\",\"input\":\"Say hi\"}", 100,
		      "{\"request_model\":\"gpt-5\",\"stream\":false,\"system\":\"sys\",\"messages_count\":1,"
		      "\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}]}");
}

TEST(llm_request_keeps_the_last_messages_within_its_budget)
{
	/* 10 bytes: the last message (6) and the one before (3) fit, not the first */
	check_request(__FILE__, __LINE__,
		      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"first message\"},"
		      "{\"role\":\"assistant\",\"content\":\"two\"},{\"role\":\"user\",\"content\":\"latest\"}]}",
		      10,
		      "\"messages_count\":3,\"messages_omitted\":1,\"messages\":[{\"role\":\"assistant\","
		      "\"content\":\"two\"},{\"role\":\"user\",\"content\":\"latest\"}]}");
	/* the newest message alone is past the budget: kept, cut, counted */
	check_request(__FILE__, __LINE__,
		      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"abcdefghij\"}]}", 4,
		      "\"messages\":[{\"role\":\"user\",\"content\":\"abcd\",\"content_truncated\":6}]}");
}

TEST(llm_request_that_is_not_one_appends_nothing)
{
	struct json_writer w;

	json_init(&w);
	CHECK_EQ_I64(-1, llm_request_json(&w, "{\"a\":1}", 7, 100));
	CHECK_EQ_I64(-1, llm_request_json(&w, "{\"model\":\"m\"", 12, 100));
	CHECK_EQ_I64(-1, llm_request_json(&w, "[1,2]", 5, 100));
	CHECK_EQ_U64(0, w.len);
	json_free(&w);
}
