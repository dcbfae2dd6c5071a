// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz target: ring_reader_consume() on a ring laid out as the kernel's (a
 * consumer page, a producer page, the data mapped twice in a row), whose
 * positions and data come from the input, with records decoded as a reader
 * does. The input: the reader's position, the producer's, and what someone
 * writes in the consumer page between calls (8 bytes each), the budget (1
 * byte), then the ring's data. Every call must end, within its budget.
 */
#include "decode.h"
#include "fuzz_common.h"
#include "fake_ring.h"
#include "reader.h"

#include <linux/bpf.h>
#include <stdint.h>

#define RING_SIZE 4096u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct json_writer json;
static struct event_clock clock;
static unsigned handed;

static int decode(void *ctx, const void *rec, size_t len)
{
	(void)ctx;
	if (len > RING_SIZE)
		abort();
	handed++;
	if (decode_event_json(&json, rec, len, &clock))
		return 0;
	json_end_line(&json);
	fuzz_check_json_text(&json);
	json_reset(&json);
	return 0;
}

static uint64_t take_u64(const uint8_t **data, size_t *size)
{
	uint64_t v = 0;

	if (*size >= sizeof(v)) {
		memcpy(&v, *data, sizeof(v));
		*data += sizeof(v);
		*size -= sizeof(v);
	}
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ring_reader r;
	uint64_t pos, prod, meddled;
	unsigned budget;

	if (!r.consumer) {
		if (!fake_ring_map(&r, RING_SIZE, 1, decode, NULL))
			abort();
		json_init(&json);
		event_clock_init(&clock);
	}
	pos = take_u64(&data, &size);
	prod = take_u64(&data, &size);
	meddled = take_u64(&data, &size);
	budget = size ? 1 + *data++ : 1;
	size -= size ? 1 : 0;
	memset((uint8_t *)r.data, 0, RING_SIZE);
	memcpy((uint8_t *)r.data, data, size < RING_SIZE ? size : RING_SIZE);
	r.budget = budget;
	r.tamper = (struct ring_tamper){ 0 };
	*(unsigned long *)r.producer = prod;
	ring_reader_start_at(&r, pos);
	handed = 0;
	for (int call = 0; call < 4; call++) {
		unsigned before = handed;
		int n = ring_reader_consume(&r);

		if (n < 0 || (unsigned)n > budget || handed - before > budget)
			abort();
		/* The reader's position never leaves the producer's reach
		 * (nor 8-byte steps, if the producer keeps to them as the
		 * kernel does). */
		if (prod - r.pos > RING_SIZE || ((r.pos & 7) && !(prod & 7)))
			abort();
		if (call == 1)
			*r.consumer = meddled;
	}
	return 0;
}
