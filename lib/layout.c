// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "layout.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 16	/* nesting of structs and arrays in a map value */

static bool differ(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return false;
}

/* Typedefs, const, volatile and restrict change no byte. */
static const struct btf_type *skip_mods(const struct btf *btf, __u32 *id)
{
	const struct btf_type *t = btf__type_by_id(btf, *id);

	while (t && (btf_is_typedef(t) || btf_is_mod(t))) {
		*id = t->type;
		t = btf__type_by_id(btf, *id);
	}
	return t;
}

static bool same(const struct btf *a, __u32 ida, const struct btf *b, __u32 idb, int depth,
		 char *why, size_t len);

static bool same_members(const struct btf *a, const struct btf_type *ta, const struct btf *b,
			 const struct btf_type *tb, int depth, char *why, size_t len)
{
	const struct btf_member *ma = btf_members(ta), *mb = btf_members(tb);

	for (int i = 0; i < btf_vlen(ta) && i < btf_vlen(tb); i++) {
		const char *na = btf__name_by_offset(a, ma[i].name_off);
		const char *nb = btf__name_by_offset(b, mb[i].name_off);
		__u32 off = btf_member_bit_offset(ta, i);

		if (strcmp(na ? na : "", nb ? nb : ""))
			return differ(why, len, "field '%s' at byte %u became '%s'", na, off / 8, nb);
		if (off != btf_member_bit_offset(tb, i) ||
		    btf_member_bitfield_size(ta, i) != btf_member_bitfield_size(tb, i))
			return differ(why, len, "field '%s' moved from bit %u to bit %u", na, off,
				      btf_member_bit_offset(tb, i));
		if (!same(a, ma[i].type, b, mb[i].type, depth + 1, why, len)) {
			char inner[192];

			snprintf(inner, sizeof(inner), "%s", why);
			return differ(why, len, "field '%s': %s", na, inner);
		}
	}
	if (btf_vlen(ta) != btf_vlen(tb))
		return differ(why, len, "%u fields became %u", btf_vlen(ta), btf_vlen(tb));
	return true;
}

static bool same(const struct btf *a, __u32 ida, const struct btf *b, __u32 idb, int depth,
		 char *why, size_t len)
{
	const struct btf_type *ta = skip_mods(a, &ida), *tb = skip_mods(b, &idb);

	if (!ta || !tb)
		return differ(why, len, "a type is missing from its BTF");
	if (depth > MAX_DEPTH)
		return differ(why, len, "nested deeper than %d", MAX_DEPTH);
	if (btf_kind(ta) != btf_kind(tb))
		return differ(why, len, "kind %u became kind %u", btf_kind(ta), btf_kind(tb));
	switch (btf_kind(ta)) {
	case BTF_KIND_INT:
		if (ta->size != tb->size || btf_int_encoding(ta) != btf_int_encoding(tb) ||
		    btf_int_bits(ta) != btf_int_bits(tb))
			return differ(why, len, "an integer of %u bytes became one of %u", ta->size,
				      tb->size);
		return true;
	case BTF_KIND_ARRAY:
		if (btf_array(ta)->nelems != btf_array(tb)->nelems)
			return differ(why, len, "an array of %u became one of %u",
				      btf_array(ta)->nelems, btf_array(tb)->nelems);
		return same(a, btf_array(ta)->type, b, btf_array(tb)->type, depth + 1, why, len);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		if (ta->size != tb->size)
			return differ(why, len, "%u bytes became %u", ta->size, tb->size);
		return same_members(a, ta, b, tb, depth, why, len);
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_FLOAT:
		if (ta->size != tb->size)
			return differ(why, len, "%u bytes became %u", ta->size, tb->size);
		return true;
	default:	/* pointers and the rest: the kind and the size of what holds them */
		return true;
	}
}

bool layout_same(const struct btf *a, __u32 ida, const struct btf *b, __u32 idb, char *why,
		 size_t why_len)
{
	if (why_len)
		why[0] = 0;
	return same(a, ida, b, idb, 0, why, why_len);
}
