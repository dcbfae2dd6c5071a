// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz target: every event decoder, through decode_event_json() as a reader
 * calls it on a record of the ring. The first byte picks how TLS data is
 * shown; the rest is the record. The record is copied to an 8-aligned
 * buffer of its exact length, as the reader hands it over.
 */
#include "decode.h"
#include "decoders.h"
#include "fuzz_common.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct event_clock clock;
	struct json_writer w;
	uint64_t *rec;

	if (!size)
		return 0;
	if (!clock.realtime_minus_boottime_ns)
		event_clock_init(&clock);
	decode_tls_set_encoding(data[0] % 3);
	rec = malloc(size - 1 ? size - 1 : 1);
	if (!rec)
		return 0;
	memcpy(rec, data + 1, size - 1);
	json_init(&w);
	if (decode_event_json(&w, rec, size - 1, &clock))
		json_reset(&w);
	fuzz_check_json_text(&w);
	json_free(&w);
	free(rec);
	return 0;
}
