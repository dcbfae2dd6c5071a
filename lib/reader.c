// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "reader.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>

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

int ring_reader_consume(struct ring_reader *r)
{
	unsigned long cons = *r->consumer, released = cons, prod;
	unsigned count = 0;
	int err = 0;

	prod = __atomic_load_n(r->producer, __ATOMIC_ACQUIRE);
	while (count < r->budget) {
		const uint32_t *hdr;
		uint32_t len, size;

		if (cons == prod) {
			/* Caught up: take what came meanwhile, within the budget. */
			prod = __atomic_load_n(r->producer, __ATOMIC_ACQUIRE);
			if (cons == prod)
				break;
		}
		hdr = (const uint32_t *)(r->data + (cons & (r->size - 1)));
		len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
		if (len & BPF_RINGBUF_BUSY_BIT)
			break;	/* still being written: the next call */
		size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
		if (size > r->size - BPF_RINGBUF_HDR_SZ) {
			err = -EBADMSG;
			break;
		}
		cons += (size + BPF_RINGBUF_HDR_SZ + 7) & ~7UL;
		if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
			count++;
			err = r->fn(r->ctx, hdr + BPF_RINGBUF_HDR_SZ / sizeof(*hdr), size);
			if (err)
				break;
		}
		if (cons - released >= r->release_every) {
			__atomic_store_n(r->consumer, cons, __ATOMIC_RELEASE);
			released = cons;
		}
	}
	/* Not when idle: the producer reads this line on every reserve. */
	if (cons != released)
		__atomic_store_n(r->consumer, cons, __ATOMIC_RELEASE);
	r->more = !err && count == r->budget;
	return err ? err : (int)count;
}

int ring_reader_poll(struct ring_reader *r, int timeout_ms)
{
	struct epoll_event ev;

	if (!r->more && epoll_wait(r->epoll_fd, &ev, 1, timeout_ms) < 0)
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
	r->epoll_fd = -1;
	r->producer = NULL;
	r->consumer = NULL;
}
