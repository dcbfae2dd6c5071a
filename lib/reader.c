// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "reader.h"

#include <errno.h>
#include <bpf/libbpf.h>

/* What the callback returns to make libbpf stop at the budget. */
#define BUDGET_SPENT (-EUCLEAN)
#define FN_FAILED (-ECANCELED)

static int on_record(void *ctx, void *data, size_t len)
{
	struct ring_reader *r = ctx;
	int err = r->fn(r->ctx, data, len);

	if (err) {
		r->fn_err = err;
		return FN_FAILED;
	}
	if (++r->count >= r->budget)
		return BUDGET_SPENT;
	return 0;
}

int ring_reader_open(struct ring_reader *r, int ring_fd, unsigned budget,
		     reader_record_fn fn, void *ctx)
{
	r->fn = fn;
	r->ctx = ctx;
	r->budget = budget ? budget : 1;
	r->count = 0;
	r->more = false;
	r->fn_err = 0;
	r->rb = ring_buffer__new(ring_fd, on_record, r, NULL);
	return r->rb ? 0 : -errno;
}

/* Maps libbpf's result of one pass; true when the caller should stop. */
static bool pass_ended(struct ring_reader *r, int res, int *err)
{
	if (res == BUDGET_SPENT) {
		r->more = true;
		return true;
	}
	if (res == FN_FAILED) {
		*err = r->fn_err;
		return true;
	}
	if (res < 0 && res != -EINTR) {
		*err = res;
		return true;
	}
	return false;
}

int ring_reader_poll(struct ring_reader *r, int timeout_ms)
{
	int err = 0, res;

	r->count = 0;
	r->fn_err = 0;
	if (!r->more) {
		res = ring_buffer__poll(r->rb, timeout_ms);
		if (pass_ended(r, res, &err))
			return err ? err : (int)r->count;
	}
	r->more = false;
	res = ring_buffer__consume(r->rb);
	if (pass_ended(r, res, &err) && err)
		return err;
	return r->count;
}

void ring_reader_close(struct ring_reader *r)
{
	ring_buffer__free(r->rb);
	r->rb = NULL;
}
