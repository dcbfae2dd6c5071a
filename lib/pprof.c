// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "pprof.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Field numbers of profile.proto. */
enum {
	PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_LOCATION = 4, PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6, PROFILE_TIME_NANOS = 9, PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12,
	VALUE_TYPE_TYPE = 1, VALUE_TYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2,
	LOCATION_ID = 1, LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1, LINE_LINE = 2,
	FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3, FUNCTION_FILENAME = 4,
};

enum { WIRE_VARINT = 0, WIRE_BYTES = 2 };

#define MAX_LOCATIONS 4096	/* of a stack: the flame graph's depth */

struct buf {
	unsigned char *data;
	size_t len, cap;
	bool failed;
};

static void put(struct buf *b, const void *data, size_t len)
{
	if (b->failed)
		return;
	if (b->len + len > b->cap) {
		size_t cap = (b->len + len) * 2;
		unsigned char *grown = realloc(b->data, cap);

		if (!grown) {
			b->failed = true;
			return;
		}
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

static void put_varint(struct buf *b, uint64_t v)
{
	unsigned char bytes[10];
	size_t n = 0;

	do {
		bytes[n++] = (v & 0x7f) | (v > 0x7f ? 0x80 : 0);
		v >>= 7;
	} while (v);
	put(b, bytes, n);
}

static void put_uint(struct buf *b, unsigned field, uint64_t v)
{
	put_varint(b, (uint64_t)field << 3 | WIRE_VARINT);
	put_varint(b, v);
}

static void put_bytes(struct buf *b, unsigned field, const void *data, size_t len)
{
	put_varint(b, (uint64_t)field << 3 | WIRE_BYTES);
	put_varint(b, len);
	put(b, data, len);
}

/* A nested message, built in 'inner', then emptied for the next. */
static void put_message(struct buf *b, unsigned field, struct buf *inner)
{
	b->failed |= inner->failed;
	put_bytes(b, field, inner->data, inner->len);
	inner->len = 0;
}

/* Keys to dense indexes, in the order first seen. */
struct interner {
	char **keys;
	size_t n, cap;
	size_t *slots;		/* index + 1; 0 is empty; a power of two long */
	size_t nr_slots;
};

static size_t key_hash(const char *s)
{
	size_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static size_t *slot_of(const struct interner *t, const char *key)
{
	size_t i = key_hash(key) & (t->nr_slots - 1);

	while (t->slots[i] && strcmp(t->keys[t->slots[i] - 1], key))
		i = (i + 1) & (t->nr_slots - 1);
	return &t->slots[i];
}

static int rehash(struct interner *t)
{
	size_t n = t->nr_slots ? t->nr_slots * 2 : 256;
	size_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -1;
	free(t->slots);
	t->slots = slots;
	t->nr_slots = n;
	for (size_t i = 0; i < t->n; i++)
		*slot_of(t, t->keys[i]) = i + 1;
	return 0;
}

/* The index of 'key', added if new; -1 when out of memory. */
static long intern(struct interner *t, const char *key)
{
	size_t *slot;

	if ((t->n + 1) * 2 > t->nr_slots && rehash(t))
		return -1;
	slot = slot_of(t, key);
	if (*slot)
		return *slot - 1;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		char **keys = realloc(t->keys, cap * sizeof(*keys));

		if (!keys)
			return -1;
		t->keys = keys;
		t->cap = cap;
	}
	t->keys[t->n] = strdup(key);
	if (!t->keys[t->n])
		return -1;
	*slot = ++t->n;
	return t->n - 1;
}

static void interner_free(struct interner *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->keys[i]);
	free(t->keys);
	free(t->slots);
}

struct pprof {
	struct interner strings;	/* the string table: index 0 is "" */
	struct interner functions;	/* "name-index file-index": id = index + 1 */
	struct interner locations;	/* "function-id:line ..." leaf-most first */
	struct buf samples;		/* encoded Sample fields */
	struct buf scratch;
	uint64_t period_ns;
	bool failed;
};

/* One frame as observe-profile wrote it. */
struct frame {
	char name[1024];
	const char *file;	/* in name's buffer, after the name */
	unsigned line;
	bool inlined;
};

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && !memcmp(s + n - k, suffix, k);
}

/* "name [inlined] (file.c:42)" into its parts. */
static void parse_frame(const char *text, struct frame *f)
{
	size_t n;
	char *open, *colon;

	snprintf(f->name, sizeof(f->name), "%s", text);
	f->file = NULL;
	f->line = 0;
	n = strlen(f->name);
	open = strstr(f->name, " (") ? strrchr(f->name, '(') : NULL;
	colon = open ? strrchr(open, ':') : NULL;
	if (n && f->name[n - 1] == ')' && colon && colon[1] >= '0' && colon[1] <= '9' &&
	    open > f->name && open[-1] == ' ') {
		f->line = strtoul(colon + 1, NULL, 10);
		*colon = 0;
		f->file = open + 1;
		open[-1] = 0;
		n = strlen(f->name);
	}
	f->inlined = ends_with(f->name, n, " [inlined]");
	if (f->inlined)
		f->name[n - strlen(" [inlined]")] = 0;
}

static long function_id(struct pprof *p, const struct frame *f)
{
	long name = intern(&p->strings, f->name), file = intern(&p->strings, f->file ? f->file : "");
	char key[64];

	if (name < 0 || file < 0)
		return -1;
	snprintf(key, sizeof(key), "%ld %ld", name, file);
	name = intern(&p->functions, key);
	return name < 0 ? -1 : name + 1;
}

/* The location of frames [from, to): a function and what was inlined into
 * it, one address; its id, or -1. */
static long location_id(struct pprof *p, const char *const *frames, unsigned from, unsigned to)
{
	char key[4096];
	size_t len = 0;
	long id;

	key[0] = 0;
	for (unsigned i = to; i-- > from;) {	/* leaf-most line first */
		struct frame f;

		parse_frame(frames[i], &f);
		id = function_id(p, &f);
		if (id < 0)
			return -1;
		len += snprintf(key + len, sizeof(key) - len, "%ld:%u ", id, f.line);
		if (len >= sizeof(key))
			return -1;
	}
	id = intern(&p->locations, key);
	return id < 0 ? -1 : id + 1;
}

static bool inlined_frame(const char *text)
{
	struct frame f;

	parse_frame(text, &f);
	return f.inlined;
}

static int add_stack(const char *const *frames, unsigned depth, uint64_t count, void *ctx)
{
	struct pprof *p = ctx;
	struct buf packed = {};
	long ids[MAX_LOCATIONS];
	unsigned n = 0, from = 0;

	/* Root first: a location ends where the next frame is not inlined. */
	for (unsigned i = 0; i < depth && n < MAX_LOCATIONS; i++) {
		if (i + 1 < depth && inlined_frame(frames[i + 1]))
			continue;
		ids[n] = location_id(p, frames, from, i + 1);
		if (ids[n++] < 0)
			return -1;
		from = i + 1;
	}
	for (unsigned i = n; i-- > 0;)	/* leaf first */
		put_varint(&packed, ids[i]);
	put_message(&p->scratch, SAMPLE_LOCATION_ID, &packed);
	put_varint(&packed, count);
	put_varint(&packed, count * p->period_ns);
	put_message(&p->scratch, SAMPLE_VALUE, &packed);
	free(packed.data);
	put_message(&p->samples, PROFILE_SAMPLE, &p->scratch);
	return p->samples.failed ? -1 : 0;
}

static void put_value_type(struct buf *b, unsigned field, long type, long unit, struct buf *inner)
{
	put_uint(inner, VALUE_TYPE_TYPE, type);
	put_uint(inner, VALUE_TYPE_UNIT, unit);
	put_message(b, field, inner);
}

static void put_functions(struct pprof *p, struct buf *b)
{
	for (size_t i = 0; i < p->functions.n; i++) {
		long name, file;

		sscanf(p->functions.keys[i], "%ld %ld", &name, &file);
		put_uint(&p->scratch, FUNCTION_ID, i + 1);
		put_uint(&p->scratch, FUNCTION_NAME, name);
		put_uint(&p->scratch, FUNCTION_SYSTEM_NAME, name);
		put_uint(&p->scratch, FUNCTION_FILENAME, file);
		put_message(b, PROFILE_FUNCTION, &p->scratch);
	}
}

static void put_locations(struct pprof *p, struct buf *b)
{
	struct buf line = {};

	for (size_t i = 0; i < p->locations.n; i++) {
		const char *k = p->locations.keys[i];
		unsigned long id, nr;
		int used;

		put_uint(&p->scratch, LOCATION_ID, i + 1);
		while (sscanf(k, "%lu:%lu %n", &id, &nr, &used) == 2) {
			put_uint(&line, LINE_FUNCTION_ID, id);
			put_uint(&line, LINE_LINE, nr);
			put_message(&p->scratch, LOCATION_LINE, &line);
			k += used;
		}
		put_message(b, PROFILE_LOCATION, &p->scratch);
	}
	b->failed |= line.failed;
	free(line.data);
}

static void encode(struct pprof *p, const struct pprof_meta *meta, long *types, struct buf *b)
{
	put_value_type(b, PROFILE_SAMPLE_TYPE, types[0], types[1], &p->scratch);
	put_value_type(b, PROFILE_SAMPLE_TYPE, types[2], types[3], &p->scratch);
	put(b, p->samples.data, p->samples.len);
	b->failed |= p->samples.failed;
	put_locations(p, b);
	put_functions(p, b);
	for (size_t i = 0; i < p->strings.n; i++)
		put_bytes(b, PROFILE_STRING_TABLE, p->strings.keys[i], strlen(p->strings.keys[i]));
	put_uint(b, PROFILE_TIME_NANOS, meta->time_ns);
	put_uint(b, PROFILE_DURATION_NANOS, meta->duration_ns);
	put_value_type(b, PROFILE_PERIOD_TYPE, types[2], types[3], &p->scratch);
	put_uint(b, PROFILE_PERIOD, meta->period_ns);
	b->failed |= p->scratch.failed;
}

static int gzip_to(const struct buf *b, FILE *out)
{
	unsigned char chunk[65536];
	z_stream z = {};
	int ret;

	/* windowBits 15 + 16: a gzip header and trailer, as pprof reads. */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY))
		return -1;
	z.next_in = b->data;
	z.avail_in = b->len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		ret = deflate(&z, Z_FINISH);
		fwrite(chunk, 1, sizeof(chunk) - z.avail_out, out);
	} while (ret == Z_OK);
	deflateEnd(&z);
	return ret == Z_STREAM_END && !ferror(out) ? 0 : -1;
}

int pprof_write(const struct flame *f, const struct pprof_meta *meta, FILE *out)
{
	static const char *const names[] = { "samples", "count", "cpu", "nanoseconds" };
	struct pprof p = { .period_ns = meta->period_ns };
	struct buf profile = {};
	long types[4];
	int err = intern(&p.strings, "") < 0;

	for (int i = 0; i < 4; i++)
		err |= (types[i] = intern(&p.strings, names[i])) < 0;
	if (!err)
		err = flame_each_stack(f, add_stack, &p) != 0;
	if (!err) {
		encode(&p, meta, types, &profile);
		err = profile.failed || gzip_to(&profile, out);
	}
	free(profile.data);
	free(p.samples.data);
	free(p.scratch.data);
	interner_free(&p.strings);
	interner_free(&p.functions);
	interner_free(&p.locations);
	return err ? -1 : 0;
}
