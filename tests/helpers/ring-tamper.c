// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test helper: a hostile group member meddling with a reader's ring. It maps
 * the ring's consumer page (writable by the group) and its data (readable),
 * prints "ready <position>", waits for a line on stdin, then for SECS seconds
 * keeps writing a position into the consumer page:
 *   rewind         the position it found at start: old, well-formed records
 *                  that the reader has read already
 *   plant HEX      where HEX's bytes sit, 8-aligned, in the ring's data (put
 *                  there by an exec argument): a header of the attacker's
 * Exits 2 when the ring cannot be opened or the bytes are not found.
 * Usage: test-ring-tamper RING SECS rewind|plant [HEX]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>

static size_t parse_hex(const char *hex, unsigned char *out, size_t cap)
{
	size_t n = 0;

	while (hex[0] && hex[1] && n < cap) {
		unsigned v;

		if (sscanf(hex, "%2x", &v) != 1)
			return 0;
		out[n++] = v;
		hex += 2;
	}
	return n;
}

/* The position (at most one ring behind the producer) whose data offset is off. */
static unsigned long position_of(unsigned long prod, size_t off, size_t size)
{
	return prod - ((prod - off) & (size - 1));
}

int main(int argc, char **argv)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	unsigned char pattern[64];
	size_t page = sysconf(_SC_PAGESIZE), size, plen = 0;
	const unsigned char *data;
	const unsigned long *producer;
	unsigned long *consumer, target;
	struct timespec tick = { 0, 1000000 };
	char line[16];
	double secs;
	int fd;

	if (argc < 4 || (strcmp(argv[3], "rewind") && strcmp(argv[3], "plant")) ||
	    (!strcmp(argv[3], "plant") && (argc < 5 || !(plen = parse_hex(argv[4], pattern,
									       sizeof(pattern)))))) {
		fprintf(stderr, "usage: test-ring-tamper RING SECS rewind|plant [HEX]\n");
		return 2;
	}
	secs = atof(argv[2]);
	fd = bpf_obj_get(argv[1]);
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		fprintf(stderr, "cannot open %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	size = info.max_entries;
	consumer = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	producer = mmap(NULL, page + 2 * size, PROT_READ, MAP_SHARED, fd, page);
	if (consumer == MAP_FAILED || producer == MAP_FAILED) {
		fprintf(stderr, "cannot map %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	data = (const unsigned char *)producer + page;
	target = __atomic_load_n(consumer, __ATOMIC_ACQUIRE);
	printf("ready %lu\n", target);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 2;
	if (plen) {
		size_t off;

		for (off = 0; off < size; off += 8)
			if (!memcmp(data + off, pattern, plen))
				break;
		if (off == size) {
			fprintf(stderr, "the bytes are not in the ring\n");
			return 2;
		}
		target = position_of(__atomic_load_n(producer, __ATOMIC_ACQUIRE), off, size);
		printf("planted at offset %zu, position %lu\n", off, target);
		fflush(stdout);
	}
	for (long i = 0; i < secs * 1000; i++) {
		__atomic_store_n(consumer, target, __ATOMIC_RELEASE);
		nanosleep(&tick, NULL);
	}
	printf("done\n");
	return 0;
}
