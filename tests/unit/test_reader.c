// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * lib/reader: the ring protocol, on a ring laid out in memory as the kernel
 * lays out a BPF ring buffer (a consumer page, a producer page, the data
 * mapped twice in a row), with records written as a producer writes them.
 */
#include "check.h"
#include "fake_ring.h"
#include "reader.h"

#include <linux/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define RING_SIZE 4096u
#define MAX_SEEN 256

struct fake_ring {
	struct ring_reader r;
	unsigned long producer_pos;	/* where the next record goes */
	int seen[MAX_SEEN];		/* first data word of each record handled */
	int nseen;
	int stop_at;			/* the callback returns 7 at this record */
	unsigned long consumer_seen[MAX_SEEN];	/* *consumer when each record came */
	const uint8_t *last_data;	/* where the last record was handed over */
};

static int record(void *ctx, const void *data, size_t len)
{
	struct fake_ring *f = ctx;
	int first;

	(void)len;
	if (f->nseen == MAX_SEEN)
		return -1;
	memcpy(&first, data, sizeof(first));
	f->consumer_seen[f->nseen] = *f->r.consumer;
	f->seen[f->nseen++] = first;
	return first == f->stop_at ? 7 : 0;
}

static bool fake_open(struct fake_ring *f, unsigned budget)
{
	memset(f, 0, sizeof(*f));
	f->stop_at = -1;
	return fake_ring_map(&f->r, RING_SIZE, budget, record, f);
}

static void fake_close(struct fake_ring *f)
{
	fake_ring_unmap(&f->r);
}

static int record_address(void *ctx, const void *data, size_t len)
{
	struct fake_ring *f = ctx;

	f->last_data = data;
	return record(ctx, data, len);
}

/* Writes a record of 'len' bytes starting with the word 'first', with the
 * header bits given (busy, discard), and publishes it. Returns its header. */
static uint32_t *produce(struct fake_ring *f, uint32_t len, int first, uint32_t bits)
{
	uint8_t *data = (uint8_t *)f->r.data;
	uint32_t *hdr = (uint32_t *)(data + (f->producer_pos & (RING_SIZE - 1)));

	hdr[0] = len | bits;
	hdr[1] = 0;
	/* past the end of the first mapping, if it wraps, into the second */
	memcpy((uint8_t *)hdr + BPF_RINGBUF_HDR_SZ, &first, sizeof(first));
	f->producer_pos += (len + BPF_RINGBUF_HDR_SZ + 7) & ~7u;
	*(unsigned long *)f->r.producer = f->producer_pos;
	return hdr;
}

TEST(reader_hands_over_records_in_order_and_skips_discarded_ones)
{
	struct fake_ring f;

	if (!CHECK_TRUE(fake_open(&f, 100)))
		return;
	produce(&f, 20, 1, 0);
	produce(&f, 13, 2, BPF_RINGBUF_DISCARD_BIT);
	produce(&f, 4, 3, 0);
	CHECK_EQ_I64(2, ring_reader_consume(&f.r));
	CHECK_EQ_I64(2, f.nseen);
	CHECK_EQ_I64(1, f.seen[0]);
	CHECK_EQ_I64(3, f.seen[1]);
	CHECK_EQ_U64(f.producer_pos, *f.r.consumer);
	CHECK_FALSE(f.r.more);
	/* caught up: nothing more, and no store (the page is read-only now) */
	mprotect(f.r.consumer, f.r.page, PROT_READ);
	CHECK_EQ_I64(0, ring_reader_consume(&f.r));
	mprotect(f.r.consumer, f.r.page, PROT_READ | PROT_WRITE);
	fake_close(&f);
}

TEST(reader_stops_at_a_record_still_being_written)
{
	struct fake_ring f;
	uint32_t *busy;

	if (!CHECK_TRUE(fake_open(&f, 100)))
		return;
	produce(&f, 8, 1, 0);
	busy = produce(&f, 8, 2, BPF_RINGBUF_BUSY_BIT);
	produce(&f, 8, 3, 0);
	CHECK_EQ_I64(1, ring_reader_consume(&f.r));
	CHECK_EQ_U64(16, *f.r.consumer);	/* up to the busy one */
	*busy &= ~BPF_RINGBUF_BUSY_BIT;		/* its producer commits it */
	CHECK_EQ_I64(2, ring_reader_consume(&f.r));
	CHECK_EQ_I64(3, f.seen[2]);
	fake_close(&f);
}

TEST(reader_reads_a_record_across_the_end_as_one_piece)
{
	struct fake_ring f;
	int n;

	if (!CHECK_TRUE(fake_open(&f, 1000)))
		return;
	/* 24-byte slots: the 171st starts 8 bytes before the end */
	for (int i = 0; i < 170; i++)
		produce(&f, 16, i, 0);
	CHECK_EQ_I64(170, ring_reader_consume(&f.r));
	produce(&f, 16, 1000, 0);	/* header at 4080, data wraps to 0 */
	produce(&f, 16, 1001, 0);
	n = ring_reader_consume(&f.r);
	CHECK_EQ_I64(2, n);
	CHECK_EQ_I64(1000, f.seen[170]);
	CHECK_EQ_I64(1001, f.seen[171]);
	CHECK_EQ_U64(172 * 24, *f.r.consumer);
	fake_close(&f);
}

TEST(reader_keeps_to_its_budget_and_releases_as_it_goes)
{
	struct fake_ring f;

	if (!CHECK_TRUE(fake_open(&f, 40)))
		return;
	for (int i = 0; i < 60; i++)
		produce(&f, 16, i, 0);	/* 24 bytes each; 256 between releases */
	CHECK_EQ_I64(40, ring_reader_consume(&f.r));
	CHECK_TRUE(f.r.more);
	CHECK_EQ_U64(40 * 24, *f.r.consumer);
	/* the producer saw space come free before the call ended: at 11
	 * records (264 bytes) the first release */
	CHECK_EQ_U64(0, f.consumer_seen[10]);
	CHECK_EQ_U64(11 * 24, f.consumer_seen[11]);
	CHECK_EQ_I64(20, ring_reader_consume(&f.r));
	CHECK_FALSE(f.r.more);
	CHECK_EQ_I64(59, f.seen[59]);
	fake_close(&f);
}

TEST(reader_returns_what_the_callback_returns_and_counts_that_record_read)
{
	struct fake_ring f;

	if (!CHECK_TRUE(fake_open(&f, 100)))
		return;
	f.stop_at = 2;
	for (int i = 1; i <= 3; i++)
		produce(&f, 8, i, 0);
	CHECK_EQ_I64(7, ring_reader_consume(&f.r));
	CHECK_EQ_U64(2 * 16, *f.r.consumer);
	CHECK_FALSE(f.r.more);
	CHECK_EQ_I64(1, ring_reader_consume(&f.r));
	CHECK_EQ_I64(3, f.seen[2]);
	fake_close(&f);
}

TEST(reader_skips_to_the_producer_past_a_header_longer_than_what_was_produced)
{
	struct fake_ring f;
	uint32_t *hdr;

	if (!CHECK_TRUE(fake_open(&f, 100)))
		return;
	produce(&f, 8, 1, 0);
	hdr = produce(&f, 8, 2, 0);
	produce(&f, 8, 3, 0);
	*hdr = 1000;		/* says 1000 bytes where 32 were produced */
	CHECK_EQ_I64(1, ring_reader_consume(&f.r));
	CHECK_EQ_I64(1, f.nseen);
	CHECK_EQ_U64(f.producer_pos, *f.r.consumer);
	CHECK_EQ_U64(1, f.r.tamper.times);
	CHECK_EQ_U64(32, f.r.tamper.skipped_bytes);
	/* and reads on from there */
	produce(&f, 8, 4, 0);
	CHECK_EQ_I64(1, ring_reader_consume(&f.r));
	CHECK_EQ_I64(4, f.seen[1]);
	fake_close(&f);
}

TEST(reader_skips_to_the_producer_when_it_ran_more_than_a_ring_ahead)
{
	struct fake_ring f;

	if (!CHECK_TRUE(fake_open(&f, 100)))
		return;
	produce(&f, 8, 1, 0);
	produce(&f, RING_SIZE, 2, 0);
	CHECK_EQ_I64(0, ring_reader_consume(&f.r));
	CHECK_EQ_I64(0, f.nseen);
	CHECK_EQ_U64(f.producer_pos, *f.r.consumer);
	CHECK_EQ_U64(1, f.r.tamper.times);
	CHECK_EQ_U64(16 + RING_SIZE + 8, f.r.tamper.skipped_bytes);
	fake_close(&f);
}

TEST(reader_ignores_a_position_moved_back_and_puts_its_own_back)
{
	struct fake_ring f;

	if (!CHECK_TRUE(fake_open(&f, 100)))
		return;
	for (int i = 1; i <= 3; i++)
		produce(&f, 8, i, 0);
	CHECK_EQ_I64(3, ring_reader_consume(&f.r));
	*f.r.consumer = 0;	/* a member rewinds it: old records would replay */
	produce(&f, 8, 4, 0);
	CHECK_EQ_I64(1, ring_reader_consume(&f.r));
	CHECK_EQ_I64(4, f.nseen);
	CHECK_EQ_I64(4, f.seen[3]);
	CHECK_EQ_U64(f.producer_pos, *f.r.consumer);
	CHECK_EQ_U64(1, f.r.tamper.times);
	CHECK_TRUE(f.r.moved);
	CHECK_EQ_I64(0, ring_reader_consume(&f.r));
	CHECK_FALSE(f.r.moved);
	CHECK_EQ_U64(1, f.r.tamper.times);
	fake_close(&f);
}

/* The attack the issue found: a discarded header, as long as the ring less
 * its header, planted in a record's data and the position moved onto it,
 * had the old reader go round the ring inside one call for ever. */
TEST(reader_never_reads_a_planted_header_the_position_was_moved_to)
{
	struct fake_ring f;
	uint32_t planted[2] = { (RING_SIZE - 8) | BPF_RINGBUF_DISCARD_BIT, 0 };
	uint8_t *rec;

	if (!CHECK_TRUE(fake_open(&f, 100)))
		return;
	rec = (uint8_t *)produce(&f, 24, 1, 0);
	memcpy(rec + 16, planted, sizeof(planted));	/* 8-aligned, in the data */
	CHECK_EQ_I64(1, ring_reader_consume(&f.r));
	*f.r.consumer = 16;
	produce(&f, 8, 2, 0);
	CHECK_EQ_I64(1, ring_reader_consume(&f.r));
	CHECK_EQ_I64(2, f.seen[1]);
	CHECK_EQ_U64(f.producer_pos, *f.r.consumer);
	CHECK_EQ_U64(1, f.r.tamper.times);
	fake_close(&f);
}

TEST(reader_counts_discarded_records_against_its_budget)
{
	struct fake_ring f;

	if (!CHECK_TRUE(fake_open(&f, 10)))
		return;
	for (int i = 0; i < 25; i++)
		produce(&f, 8, i, BPF_RINGBUF_DISCARD_BIT);
	CHECK_EQ_I64(0, ring_reader_consume(&f.r));
	CHECK_TRUE(f.r.more);
	CHECK_EQ_U64(10 * 16, *f.r.consumer);
	CHECK_EQ_I64(0, ring_reader_consume(&f.r));
	CHECK_EQ_I64(0, ring_reader_consume(&f.r));
	CHECK_FALSE(f.r.more);
	CHECK_EQ_U64(25 * 16, *f.r.consumer);
	CHECK_EQ_U64(0, f.r.tamper.times);
	fake_close(&f);
}

TEST(reader_starts_only_at_a_valid_position)
{
	struct fake_ring f;

	if (!CHECK_TRUE(fake_open(&f, 10)))
		return;
	for (int i = 0; i < 4; i++)
		produce(&f, 8, i, 0);
	CHECK_TRUE(ring_reader_start_at(&f.r, 16));
	CHECK_EQ_U64(16, *f.r.consumer);
	CHECK_FALSE(ring_reader_start_at(&f.r, 20));	/* not 8-aligned */
	CHECK_EQ_U64(64, *f.r.consumer);
	CHECK_FALSE(ring_reader_start_at(&f.r, 72));	/* past the producer */
	CHECK_EQ_U64(64, f.r.pos);
	fake_close(&f);
}

TEST(reader_hands_over_a_private_copy_of_each_record)
{
	struct fake_ring f;

	if (!CHECK_TRUE(fake_open(&f, 10)))
		return;
	f.r.fn = record_address;
	produce(&f, 8, 1, 0);
	CHECK_EQ_I64(1, ring_reader_consume(&f.r));
	CHECK_TRUE(f.last_data && (f.last_data < (const uint8_t *)f.r.consumer ||
				   f.last_data >= f.r.data + 2 * RING_SIZE));
	fake_close(&f);
}
