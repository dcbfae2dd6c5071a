// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "jsonread.h"

#include <json-c/json.h>

#define VALUE(v) ((json_object *)(v))

struct jsonread *jsonread_new(int max_depth)
{
	struct json_tokener *tok = json_tokener_new_ex(max_depth);

	if (tok)
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	return (struct jsonread *)tok;
}

void jsonread_free(struct jsonread *p)
{
	if (p)
		json_tokener_free((struct json_tokener *)p);
}

static bool only_space(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	return true;
}

struct jsonread_value *jsonread_parse(struct jsonread *p, const char *data, size_t len)
{
	struct json_tokener *tok = (struct json_tokener *)p;
	json_object *o;

	if (!tok || len > INT32_MAX)
		return NULL;
	json_tokener_reset(tok);
	o = json_tokener_parse_ex(tok, data, (int)len);
	if (o && !only_space(data + json_tokener_get_parse_end(tok), len - json_tokener_get_parse_end(tok))) {
		json_object_put(o);	/* bytes after the value: not one JSON document */
		o = NULL;
	}
	return (struct jsonread_value *)o;
}

void jsonread_put(struct jsonread_value *root)
{
	json_object_put(VALUE(root));
}

struct jsonread_value *jsonread_member(struct jsonread_value *object, const char *key)
{
	json_object *v;

	if (!object || !json_object_is_type(VALUE(object), json_type_object) ||
	    !json_object_object_get_ex(VALUE(object), key, &v))
		return NULL;
	return (struct jsonread_value *)v;
}

const char *jsonread_string(struct jsonread_value *v, size_t *len)
{
	if (!v || !json_object_is_type(VALUE(v), json_type_string))
		return NULL;
	*len = json_object_get_string_len(VALUE(v));
	return json_object_get_string(VALUE(v));
}

bool jsonread_int(struct jsonread_value *v, int64_t *out)
{
	if (!v || !json_object_is_type(VALUE(v), json_type_int))
		return false;
	*out = json_object_get_int64(VALUE(v));
	return true;
}

bool jsonread_bool(struct jsonread_value *v, bool *out)
{
	if (!v || !json_object_is_type(VALUE(v), json_type_boolean))
		return false;
	*out = json_object_get_boolean(VALUE(v));
	return true;
}

bool jsonread_is_object(struct jsonread_value *v)
{
	return v && json_object_is_type(VALUE(v), json_type_object);
}

bool jsonread_is_array(struct jsonread_value *v)
{
	return v && json_object_is_type(VALUE(v), json_type_array);
}

size_t jsonread_array_len(struct jsonread_value *v)
{
	return jsonread_is_array(v) ? json_object_array_length(VALUE(v)) : 0;
}

struct jsonread_value *jsonread_array_get(struct jsonread_value *v, size_t i)
{
	return i < jsonread_array_len(v) ? (struct jsonread_value *)json_object_array_get_idx(VALUE(v), i)
					 : NULL;
}
