// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz target: the HTTP/LLM tracker (lib/httpflow.c with http1, sse, llm and
 * json-c behind them) on bytes an attacker controls: the input is a list
 * of feeds, each [flags][length lo][length hi][bytes...]; flags pick the
 * direction, one of two connections, whether the feed starts a call, bytes
 * missing before or after, a loss of records, or a small --body-max. Every
 * record emitted must be valid JSON text; nothing may leak or crash.
 */
#include "fuzz_common.h"
#include "httpflow.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void emit(void *ctx, const struct httpflow_record *r)
{
	static const struct event_clock clock = { 0 };
	struct json_writer w;

	(void)ctx;
	json_init(&w);
	httpflow_record_json(&w, r, &clock);
	json_end_line(&w);
	if (w.failed)
		abort();
	fuzz_check_json_text(&w);
	json_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct httpflow_options o = { .body_max = size && data[0] & 1 ? 7 : 0 };
	struct httpflow *t = httpflow_new(&o, emit, NULL);
	uint64_t ts = 1;

	if (!t)
		return 0;
	while (size >= 3) {
		uint8_t flags = data[0];
		size_t len = data[1] | (size_t)data[2] << 8;
		struct httpflow_data d = {
			.conn = 1 + (flags >> 1 & 1),
			.direction = flags & 4 ? HTTPFLOW_RECEIVED : HTTPFLOW_SENT,
			.call_start = !(flags & 8),
			.missing_before = flags & 16 ? 3 : 0,
			.missing_after = flags & 32 ? 1000 : 0,
			.ts_ns = ts++,
			.pid = 1,
		};

		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		d.data = data;
		d.len = len;
		if ((flags & 0xc0) == 0xc0)
			httpflow_lost(t, 1);
		else
			httpflow_feed(t, &d);
		data += len;
		size -= len;
	}
	httpflow_flush(t);
	httpflow_free(t);
	return 0;
}
