// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "reader.h"

#include <errno.h>
#include <stdint.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>

static void note_tamper(struct ring_reader *r, const char *what, uint64_t skipped)
{
	r->tamper.times++;
	r->tamper.skipped_bytes += skipped;
	r->tamper.last = what;
}

static void release(struct ring_reader *r, unsigned long pos)
{
	__atomic_store_n(r->consumer, pos, __ATOMIC_RELEASE);
}

static bool valid_position(const struct ring_reader *r, unsigned long pos, unsigned long prod)
{
	return !(pos & 7) && prod - pos <= r->size;
}

bool ring_reader_start_at(struct ring_reader *r, unsigned long pos)
{
	unsigned long prod = __atomic_load_n(r->producer, __ATOMIC_ACQUIRE);
	bool valid = valid_position(r, pos, prod);

	r->pos = valid ? pos : prod;
	release(r, r->pos);
	return valid;
}

int ring_reader_open(struct ring_reader *r, int ring_fd, unsigned budget,
		     reader_record_fn fn, void *ctx)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	void *p;
	int err;

	memset(r, 0, sizeof(*r));
	r->epoll_fd = -1;
	r->fn = fn;
	r->ctx = ctx;
	r->budget = budget ? budget : 1;
	r->page = sysconf(_SC_PAGESIZE);
	if (bpf_obj_get_info_by_fd(ring_fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_RINGBUF || !info.max_entries ||
	    (info.max_entries & (info.max_entries - 1)))
		return -EINVAL;
	r->size = info.max_entries;
	r->release_every = r->size / 16;
	if (r->size > (SIZE_MAX - r->page) / 2)
		return -E2BIG;

	p = mmap(NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, ring_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	r->consumer = p;
	/* The kernel maps the data twice in a row: a record that wraps
	 * around the end reads as one piece. */
	p = mmap(NULL, r->page + 2 * r->size, PROT_READ, MAP_SHARED, ring_fd, r->page);
	if (p == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	r->producer = p;
	r->data = (const uint8_t *)p + r->page;
	/* The claim just set the position: the only time the page is believed. */
	if (!ring_reader_start_at(r, __atomic_load_n(r->consumer, __ATOMIC_ACQUIRE)))
		note_tamper(r, "the consumer position was invalid when the slot was claimed", 0);

	r->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epoll_fd < 0 || epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, ring_fd, &ev)) {
		err = -errno;
		goto fail;
	}
	return 0;
fail:
	ring_reader_close(r);
	return err;
}

/* A private copy of the record: the decoders may read a field twice. */
static const void *copy_record(struct ring_reader *r, const uint32_t *hdr, uint32_t size)
{
	if (!r->copy || size > r->copy_cap) {
		size_t cap = r->copy_cap ? r->copy_cap : 4096;
		uint8_t *p;

		while (cap < size)	/* at most the ring's size */
			cap *= 2;
		p = realloc(r->copy, cap);
		if (!p)
			return NULL;
		r->copy = p;
		r->copy_cap = cap;
	}
	memcpy(r->copy, hdr + BPF_RINGBUF_HDR_SZ / sizeof(*hdr), size);
	return r->copy;
}

int ring_reader_consume(struct ring_reader *r)
{
	unsigned long cons = r->pos, released = cons, prod;
	unsigned work = 0, count = 0;
	int err = 0;

	/* Only this reader may move the position: anyone else doing so makes
	 * the kernel drop (moved back) or overwrite (moved ahead). */
	r->moved = __atomic_load_n(r->consumer, __ATOMIC_RELAXED) != cons;
	if (r->moved) {
		note_tamper(r, "the consumer position was moved by another process", 0);
		release(r, cons);
	}
	prod = __atomic_load_n(r->producer, __ATOMIC_ACQUIRE);
	while (work < r->budget) {
		const uint32_t *hdr;
		uint32_t len, size, total;
		const void *rec;

		if (cons == prod) {
			/* Caught up: take what came meanwhile, within the budget. */
			prod = __atomic_load_n(r->producer, __ATOMIC_ACQUIRE);
			if (cons == prod)
				break;
		}
		if (prod - cons > r->size || prod - cons < BPF_RINGBUF_HDR_SZ) {
			note_tamper(r, "the producer overran unread records", prod - cons);
			cons = prod;
			break;
		}
		hdr = (const uint32_t *)(r->data + (cons & (r->size - 1)));
		len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
		if (len & BPF_RINGBUF_BUSY_BIT)
			break;	/* still being written: the next call */
		size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
		/* A committed record lies wholly before the producer. */
		total = size > r->size ? 0 : (size + BPF_RINGBUF_HDR_SZ + 7) & ~7u;
		if (!total || total > prod - cons) {
			note_tamper(r, "a record header past the producer", prod - cons);
			cons = prod;
			break;
		}
		work++;
		if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
			rec = copy_record(r, hdr, size);
			if (!rec) {
				err = -ENOMEM;
				break;
			}
			cons += total;
			count++;
			err = r->fn(r->ctx, rec, size);
			if (err)
				break;
		} else {
			cons += total;
		}
		if (cons - released >= r->release_every) {
			release(r, cons);
			released = cons;
		}
	}
	/* Not when idle: the producer reads this line on every reserve. */
	if (cons != released)
		release(r, cons);
	r->pos = cons;
	r->more = !err && work == r->budget;
	return err ? err : (int)count;
}

int ring_reader_poll(struct ring_reader *r, int timeout_ms)
{
	struct epoll_event ev;

	int ready;

	/* While someone keeps moving the position, the kernel sees data and
	 * wakes us at once: wait the whole period instead of spinning. */
	if (r->moved)
		ready = poll(NULL, 0, timeout_ms);
	else if (!r->more)
		ready = epoll_wait(r->epoll_fd, &ev, 1, timeout_ms);
	else
		ready = 1;
	if (ready < 0)
		return errno == EINTR ? 0 : -errno;
	return ring_reader_consume(r);
}

void ring_reader_close(struct ring_reader *r)
{
	if (r->epoll_fd >= 0)
		close(r->epoll_fd);
	if (r->producer)
		munmap((void *)r->producer, r->page + 2 * r->size);
	if (r->consumer)
		munmap(r->consumer, r->page);
	free(r->copy);
	r->copy = NULL;
	r->copy_cap = 0;
	r->epoll_fd = -1;
	r->producer = NULL;
	r->consumer = NULL;
}
