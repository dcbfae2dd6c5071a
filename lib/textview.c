// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "textview.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COL_RESET "\033[0m"
#define COL_DIM "\033[2m"
#define COL_RED "\033[31m"
#define COL_GREEN "\033[32m"
#define COL_YELLOW "\033[33m"
#define COL_CYAN "\033[36m"

/* What every record has; the rest is the record's own. */
static const char *const header_keys[] = {
	"time", "type", "seq", "ts_ns", "cpu", "pid", "tid", "ppid", "uid", "gid", "comm",
	"cgroup_id",
};

struct line {
	char buf[4096];
	size_t len;
};

static void put(struct line *l, const char *s, size_t n)
{
	if (n > sizeof(l->buf) - 1 - l->len)
		n = sizeof(l->buf) - 1 - l->len;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void puts_(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

static void printf_(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void printf_(struct line *l, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(l, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Text from a record, safe for a terminal: control bytes (C0, DEL, and the
 * C1 range as UTF-8) become \xNN; the rest of valid UTF-8 passes. */
static void put_safe(struct line *l, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f) {
			printf_(l, "\\x%02x", c);
		} else if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
			   (unsigned char)s[i + 1] < 0xa0) {
			printf_(l, "\\xc2\\x%02x", (unsigned char)s[++i]);
		} else {
			put(l, s + i, 1);
		}
	}
}

static json_object *field(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *str(json_object *o, const char *key)
{
	json_object *v = field(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static bool has(json_object *o, const char *key)
{
	return field(o, key) != NULL;
}

static int64_t num(json_object *o, const char *key)
{
	json_object *v = field(o, key);

	return v ? json_object_get_int64(v) : 0;
}

static void put_str(struct line *l, json_object *o, const char *key)
{
	json_object *v = field(o, key);

	if (v && json_object_is_type(v, json_type_string))
		put_safe(l, json_object_get_string(v), (size_t)json_object_get_string_len(v));
}

/* "1.5 ms": durations read at a glance. */
static void put_duration(struct line *l, int64_t ns)
{
	if (ns < 10000)
		printf_(l, "%lld ns", (long long)ns);
	else if (ns < 1000000)
		printf_(l, "%.1f us", ns / 1e3);
	else if (ns < 1000000000)
		printf_(l, "%.1f ms", ns / 1e6);
	else
		printf_(l, "%.1f s", ns / 1e9);
}

/* "= 3", or "= ENOENT" for a failure. */
static void put_result(struct line *l, json_object *o)
{
	if (!has(o, "ret"))
		return;
	if (str(o, "error")) {
		puts_(l, " = ");
		put_str(l, o, "error");
	} else {
		printf_(l, " = %lld", (long long)num(o, "ret"));
	}
}

static void put_endpoint(struct line *l, json_object *o, const char *side)
{
	char key[16];
	const char *addr;

	snprintf(key, sizeof(key), "%s_addr", side);
	addr = str(o, key);
	if (!addr) {
		puts_(l, "?");
		return;
	}
	snprintf(key, sizeof(key), "%s_port", side);
	printf_(l, strchr(addr, ':') ? "[%s]:%lld" : "%s:%lld", addr, (long long)num(o, key));
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static void what_exec(struct line *l, json_object *o)
{
	json_object *argv = field(o, "argv");
	size_t n = argv && json_object_is_type(argv, json_type_array) ? json_object_array_length(argv) : 0;

	const char *filename = str(o, "filename"), *exe = str(o, "exe");

	put_str(l, o, "filename");
	/* The file the kernel ran, where the name given does not say it:
	 * not for /bin/cat run as /usr/bin/cat (a merged /usr). */
	if (exe && (!filename || strcmp(base_name(filename), base_name(exe)))) {
		puts_(l, " [");
		put_safe(l, exe, strlen(exe));
		puts_(l, "]");
	}
	for (size_t i = 1; i < n; i++) {
		json_object *a = json_object_array_get_idx(argv, i);

		puts_(l, " ");
		if (json_object_is_type(a, json_type_string))
			put_safe(l, json_object_get_string(a), (size_t)json_object_get_string_len(a));
	}
	if (num(o, "argc") > (int64_t)n)
		printf_(l, " ... (%lld args)", (long long)num(o, "argc"));
	put_result(l, o);
}

static void what_exit(struct line *l, json_object *o)
{
	if (str(o, "signal_name")) {
		puts_(l, "killed by ");
		put_str(l, o, "signal_name");
	} else {
		printf_(l, "code %lld", (long long)num(o, "exit_code"));
	}
	if (field(o, "core_dumped") && json_object_get_boolean(field(o, "core_dumped")))
		puts_(l, " (core dumped)");
	if (has(o, "lifetime_ns")) {
		puts_(l, " after ");
		put_duration(l, num(o, "lifetime_ns"));
	}
}

static void what_open(struct line *l, json_object *o)
{
	put_str(l, o, "path");
	if (str(o, "flag_names")) {
		puts_(l, " ");
		put_str(l, o, "flag_names");
	}
	put_result(l, o);
}

static void what_connect(struct line *l, json_object *o)
{
	put_endpoint(l, o, "local");
	puts_(l, " -> ");
	put_endpoint(l, o, "remote");
	put_result(l, o);
	if (has(o, "latency_ns")) {
		puts_(l, " in ");
		put_duration(l, num(o, "latency_ns"));
	}
}

static void what_tcp_close(struct line *l, json_object *o)
{
	put_endpoint(l, o, "local");
	puts_(l, " <-> ");
	put_endpoint(l, o, "remote");
	printf_(l, " sent %lld B, received %lld B", (long long)num(o, "bytes_sent"),
		(long long)num(o, "bytes_received"));
	if (has(o, "duration_ns")) {
		puts_(l, ", open ");
		put_duration(l, num(o, "duration_ns"));
	}
}

/* Anything else: its own fields as key=value, in the record's order. */
static void what_fields(struct line *l, json_object *o)
{
	bool first = true;

	json_object_object_foreach(o, key, val) {
		bool header = false;

		for (size_t i = 0; i < sizeof(header_keys) / sizeof(header_keys[0]); i++)
			header |= !strcmp(key, header_keys[i]);
		if (header)
			continue;
		if (!first)
			puts_(l, " ");
		first = false;
		put_safe(l, key, strlen(key));
		puts_(l, "=");
		if (json_object_is_type(val, json_type_string)) {
			put_safe(l, json_object_get_string(val), (size_t)json_object_get_string_len(val));
		} else {
			const char *s = json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN);

			put_safe(l, s, strlen(s));
		}
	}
}

static const struct {
	const char *type, *color;
	void (*what)(struct line *l, json_object *o);
} views[] = {
	{ "exec", COL_GREEN, what_exec },
	{ "exit", COL_DIM, what_exit },
	{ "open", NULL, what_open },
	{ "connect", COL_CYAN, what_connect },
	{ "accept", COL_CYAN, what_connect },
	{ "tcp_close", COL_CYAN, what_tcp_close },
	{ "gap", COL_YELLOW, what_fields },
	{ "tamper", COL_RED, what_fields },
};

static void render(struct textview *tv, struct line *l, json_object *o)
{
	const char *type = str(o, "type"), *time = str(o, "time"), *color = NULL;
	void (*what)(struct line *, json_object *) = what_fields;
	bool failed = str(o, "error") || (has(o, "signal_name") && str(o, "signal_name"));

	for (size_t i = 0; type && i < sizeof(views) / sizeof(views[0]); i++)
		if (!strcmp(type, views[i].type)) {
			what = views[i].what;
			color = views[i].color;
		}
	if (failed)
		color = COL_RED;
	/* The clock part of the ISO time: "06:50:26.982". */
	if (time && strlen(time) >= 23 && time[10] == 'T')
		put(l, time + 11, 12);
	else
		puts_(l, "            ");
	if (has(o, "pid"))
		printf_(l, " %7lld ", (long long)num(o, "pid"));
	else
		puts_(l, "         ");
	{
		size_t start = l->len;

		put_str(l, o, "comm");
		for (size_t w = l->len - start; w < 16; w++)
			puts_(l, " ");
	}
	if (tv->color && color)
		puts_(l, color);
	printf_(l, "%-9s ", type ? type : "?");
	what(l, o);
	if (tv->color && color)
		puts_(l, COL_RESET);
	puts_(l, "\n");
}

void textview_init(struct textview *tv, FILE *out)
{
	const char *no_color = getenv("NO_COLOR");

	tv->color = isatty(fileno(out)) && !(no_color && *no_color);
	tv->header_done = false;
}

int textview_write(struct textview *tv, const char *lines, size_t len, FILE *out)
{
	json_tokener *tok = json_tokener_new();
	const char *end = lines + len;
	int res = 0;

	if (!tok)
		return -1;
	if (!tv->header_done) {
		tv->header_done = true;
		if (fprintf(out, "%-12s %7s %-16s%-9s %s\n", "TIME(UTC)", "PID", "COMM", "EVENT", "DETAIL") < 0)
			res = -1;
	}
	while (lines < end && !res) {
		const char *nl = memchr(lines, '\n', (size_t)(end - lines));
		size_t n = nl ? (size_t)(nl - lines) : (size_t)(end - lines);
		json_object *o;
		struct line l = { .len = 0 };

		json_tokener_reset(tok);
		o = json_tokener_parse_ex(tok, lines, (int)n);
		if (o && json_object_is_type(o, json_type_object)) {
			render(tv, &l, o);
		} else {
			put_safe(&l, lines, n);
			puts_(&l, "\n");
		}
		json_object_put(o);
		if (l.len == sizeof(l.buf) - 1)
			l.buf[l.len - 1] = '\n';	/* cut at the buffer, still one line */
		if (fwrite(l.buf, 1, l.len, out) != l.len)
			res = -1;
		lines += n + 1;
	}
	json_tokener_free(tok);
	return res;
}
