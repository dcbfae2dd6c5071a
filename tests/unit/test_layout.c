// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* lib/layout: the reload keeps a pinned map only if its fields are the same. */
#include "check.h"
#include "layout.h"

#include <string.h>

/* struct counters { __u64 first; __u64 second; } with the given field names;
 * returns the struct's id in *btf. */
static int counters(struct btf **btf, const char *first, const char *second, bool u32_second)
{
	int u64, u32, id;

	*btf = btf__new_empty();
	if (!*btf)
		return -1;
	u64 = btf__add_int(*btf, "long long unsigned int", 8, 0);
	u32 = btf__add_int(*btf, "unsigned int", 4, 0);
	id = btf__add_struct(*btf, "counters", 16);
	btf__add_field(*btf, first, u64, 0, 0);
	if (u32_second) {
		btf__add_field(*btf, second, u32, 64, 0);
		btf__add_field(*btf, "pad", u32, 96, 0);
	} else {
		btf__add_field(*btf, second, u64, 64, 0);
	}
	return u64 < 0 || u32 < 0 ? -1 : id;
}

TEST(layout_same_for_identical_structs_even_of_another_name)
{
	struct btf *a, *b;
	int ida = counters(&a, "seen", "dropped", false), idb = counters(&b, "seen", "dropped", false);
	char why[128];

	if (CHECK_TRUE(ida > 0 && idb > 0))
		CHECK_TRUE(layout_same(a, ida, b, idb, why, sizeof(why)));
	btf__free(a);
	btf__free(b);
}

TEST(layout_differs_when_a_field_of_the_same_size_is_renamed)
{
	struct btf *a, *b;
	int ida = counters(&a, "seen", "dropped", false), idb = counters(&b, "seen", "lost", false);
	char why[128];

	if (CHECK_TRUE(ida > 0 && idb > 0)) {
		CHECK_FALSE(layout_same(a, ida, b, idb, why, sizeof(why)));
		CHECK_STREQ("field 'dropped' at byte 8 became 'lost'", why);
	}
	btf__free(a);
	btf__free(b);
}

TEST(layout_differs_when_a_field_changes_size_within_the_same_struct_size)
{
	struct btf *a, *b;
	int ida = counters(&a, "seen", "dropped", false), idb = counters(&b, "seen", "dropped", true);
	char why[128];

	if (CHECK_TRUE(ida > 0 && idb > 0)) {
		CHECK_FALSE(layout_same(a, ida, b, idb, why, sizeof(why)));
		CHECK_STREQ("field 'dropped': an integer of 8 bytes became one of 4", why);
	}
	btf__free(a);
	btf__free(b);
}
