// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Runs every registered unit test (or those whose name contains argv[1]) and
 * prints "PASS name" or "FAIL name: reason" for each, then "N passed, N failed"
 * as the last line; tests/run.py reads that line. Exits 1 if any test failed.
 */
#include "check.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static struct test_case *first, **tail = &first;

/* The running test's failures, one per line, kept until its verdict is printed. */
static char failures[8192];
static size_t failures_len;
static unsigned failure_count;

void test_register(struct test_case *t)
{
	t->next = NULL;
	*tail = t;
	tail = &t->next;
}

__attribute__((format(printf, 3, 4)))
static bool fail(const char *file, int line, const char *fmt, ...)
{
	size_t room = sizeof(failures) - failures_len;
	va_list ap;
	int n;

	failure_count++;
	if (room < 2)
		return false;
	/* the first failure follows "FAIL name: ", the others are indented below */
	n = snprintf(failures + failures_len, room, "%s%s:%d: ", failures_len ? "  " : "",
		     file, line);
	if (n > 0 && (size_t)n < room) {
		failures_len += n;
		room -= n;
		va_start(ap, fmt);
		n = vsnprintf(failures + failures_len, room, fmt, ap);
		va_end(ap);
	}
	failures_len = n >= 0 && (size_t)n < room ? failures_len + n : sizeof(failures) - 2;
	failures[failures_len++] = '\n';
	failures[failures_len] = '\0';
	return false;
}

void check_note(const char *fmt, ...)
{
	size_t room = sizeof(failures) - failures_len;
	va_list ap;
	int n;

	if (room < 8)
		return;
	memcpy(failures + failures_len, "    ", 4);
	failures_len += 4;
	room -= 4;
	va_start(ap, fmt);
	n = vsnprintf(failures + failures_len, room, fmt, ap);
	va_end(ap);
	failures_len = n >= 0 && (size_t)n < room ? failures_len + n : sizeof(failures) - 2;
	failures[failures_len++] = '\n';
	failures[failures_len] = '\0';
}

/* Bytes for a message: printable ASCII as it is, the rest as \xNN, cut if long. */
static const char *show(char *out, size_t out_len, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t o = 0, i;

	out[o++] = '\'';
	/* room kept for the longest escape, the closing quote and the cut note */
	for (i = 0; i < len && o + 40 < out_len; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f)
			out[o++] = p[i];
		else
			o += snprintf(out + o, out_len - o, "\\x%02x", p[i]);
	}
	out[o++] = '\'';
	if (i < len)
		o += snprintf(out + o, out_len - o, "... (%zu bytes)", len);
	out[o] = '\0';
	return out;
}

bool check_true(const char *file, int line, const char *expr, bool ok)
{
	return ok || fail(file, line, "expected %s, but it is false", expr);
}

bool check_eq_u64(const char *file, int line, const char *expr, uint64_t expected,
		  uint64_t actual)
{
	return expected == actual ||
	       fail(file, line, "%s: expected %" PRIu64 " (0x%" PRIx64 "), actual %" PRIu64
		    " (0x%" PRIx64 ")", expr, expected, expected, actual, actual);
}

bool check_eq_i64(const char *file, int line, const char *expr, int64_t expected,
		  int64_t actual)
{
	return expected == actual ||
	       fail(file, line, "%s: expected %" PRId64 ", actual %" PRId64, expr, expected,
		    actual);
}

bool check_streq(const char *file, int line, const char *expr, const char *expected,
		 const char *actual)
{
	char e[1200], a[1200];

	if (expected && actual && !strcmp(expected, actual))
		return true;
	if (!expected && !actual)
		return true;
	return fail(file, line, "%s: expected %s, actual %s", expr,
		    expected ? show(e, sizeof(e), expected, strlen(expected)) : "NULL",
		    actual ? show(a, sizeof(a), actual, strlen(actual)) : "NULL");
}

bool check_memeq(const char *file, int line, const char *expr, const void *expected,
		 size_t expected_len, const void *actual, size_t actual_len)
{
	const unsigned char *e = expected, *a = actual;
	char es[1200], as[1200];
	size_t i = 0;

	if (expected_len == actual_len && (!expected_len || !memcmp(e, a, expected_len)))
		return true;
	while (i < expected_len && i < actual_len && e[i] == a[i])
		i++;
	return fail(file, line, "%s: first difference at byte %zu\n    expected %s\n    actual   %s",
		    expr, i, show(es, sizeof(es), e, expected_len), show(as, sizeof(as), a, actual_len));
}

bool check_contains(const char *file, int line, const char *expr, const void *haystack,
		    size_t haystack_len, const char *needle)
{
	char hs[1200], ns[1200];

	if (haystack_len && memmem(haystack, haystack_len, needle, strlen(needle)))
		return true;
	return fail(file, line, "%s: expected to contain %s\n    actual %s", expr,
		    show(ns, sizeof(ns), needle, strlen(needle)),
		    show(hs, sizeof(hs), haystack, haystack_len));
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	unsigned passed = 0, failed = 0;

	for (struct test_case *t = first; t; t = t->next) {
		if (only && !strstr(t->name, only))
			continue;
		failures_len = 0;
		failures[0] = '\0';
		failure_count = 0;
		t->fn();
		if (!failure_count) {
			printf("PASS %s\n", t->name);
			passed++;
		} else {
			printf("FAIL %s: %s", t->name, failures);
			failed++;
		}
		fflush(stdout);
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
