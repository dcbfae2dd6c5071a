/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Reading JSON that comes from the network, with json-c behind a small
 * interface: json-c's parser is iterative with a depth limit (no recursion an
 * input could overflow), strict, and keeps strings with NULs whole. Its
 * names clash with our writer's (json_bool), hence this wrapper. Every
 * accessor takes NULL and a value of another type, and answers "nothing".
 */
#ifndef OBSERVE_JSONREAD_H
#define OBSERVE_JSONREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jsonread;		/* a parser, reused */
struct jsonread_value;		/* a json_object */

struct jsonread *jsonread_new(int max_depth);
void jsonread_free(struct jsonread *p);
/* The value that is all of data (nothing after it), or NULL; free the
 * root with jsonread_put. */
struct jsonread_value *jsonread_parse(struct jsonread *p, const char *data, size_t len);
void jsonread_put(struct jsonread_value *root);

struct jsonread_value *jsonread_member(struct jsonread_value *object, const char *key);
const char *jsonread_string(struct jsonread_value *v, size_t *len);
bool jsonread_int(struct jsonread_value *v, int64_t *out);
bool jsonread_bool(struct jsonread_value *v, bool *out);
bool jsonread_is_object(struct jsonread_value *v);
bool jsonread_is_array(struct jsonread_value *v);
size_t jsonread_array_len(struct jsonread_value *v);	/* 0 for anything else */
struct jsonread_value *jsonread_array_get(struct jsonread_value *v, size_t i);

#endif /* OBSERVE_JSONREAD_H */
