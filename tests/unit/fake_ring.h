/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A ring laid out in memory as the kernel lays out a BPF ring buffer: a
 * consumer page, a producer page, then the data mapped twice in a row from
 * one memfd, with a ring_reader set on it as ring_reader_open() would. For
 * the reader's unit tests and its fuzz target.
 */
#ifndef OBSERVE_TESTS_FAKE_RING_H
#define OBSERVE_TESTS_FAKE_RING_H

#include "reader.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static inline bool fake_ring_map(struct ring_reader *r, size_t size, unsigned budget,
				 reader_record_fn fn, void *ctx)
{
	long page = sysconf(_SC_PAGESIZE);
	int fd = memfd_create("ring", 0);
	uint8_t *area;
	bool ok;

	if (fd < 0)
		return false;
	area = mmap(NULL, 2 * page + 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok = !ftruncate(fd, 2 * page + size) && area != MAP_FAILED &&
	     mmap(area, 2 * page + size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
		  0) != MAP_FAILED &&
	     mmap(area + 2 * page + size, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		  fd, 2 * page) != MAP_FAILED;
	close(fd);
	if (!ok)
		return false;
	memset(r, 0, sizeof(*r));
	r->epoll_fd = -1;
	r->consumer = (unsigned long *)area;
	r->producer = (const unsigned long *)(area + page);
	r->data = area + 2 * page;
	r->size = size;
	r->page = page;
	r->release_every = size / 16;
	r->fn = fn;
	r->ctx = ctx;
	r->budget = budget;
	return true;
}

static inline void fake_ring_unmap(struct ring_reader *r)
{
	munmap(r->consumer, 2 * r->page + 2 * r->size);
	free(r->copy);
	r->copy = NULL;
	r->copy_cap = 0;
}

#endif /* OBSERVE_TESTS_FAKE_RING_H */
