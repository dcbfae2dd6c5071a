/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Whether two BTF types lay out memory alike: what a map's key or value must
 * keep for its pinned instance to be reused by a new version (bpf/ABI.md).
 */
#ifndef OBSERVE_LAYOUT_H
#define OBSERVE_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <bpf/btf.h>

/*
 * True when type ida of a and type idb of b have the same kind and size and,
 * through typedefs and qualifiers, struct and union members of the same names,
 * offsets and sizes, arrays of the same length, integers of the same
 * encoding, recursively. The names of the types themselves may differ.
 * On false, 'why' (why_len bytes) says where they part: "field 'seen' at
 * byte 0 became 'count'".
 */
bool layout_same(const struct btf *a, __u32 ida, const struct btf *b, __u32 idb, char *why,
		 size_t why_len);

#endif /* OBSERVE_LAYOUT_H */
