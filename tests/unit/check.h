/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A tiny unit-test framework. TEST(name) defines a test and registers it
 * before main() runs, so each test file stands alone. The CHECK_* macros
 * report expected versus actual with file:line, mark the running test as
 * failed and carry on; each returns whether it passed, so a test can stop
 * where going on makes no sense:
 *
 *	if (!CHECK_EQ_I64(0, parse_pid("1", &pid, err)))
 *		return;
 *
 * Expected values come first, as in CHECK_EQ_U64(expected, actual).
 */
#ifndef OBSERVE_TESTS_CHECK_H
#define OBSERVE_TESTS_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct test_case {
	const char *name;
	void (*fn)(void);
	struct test_case *next;
};

void test_register(struct test_case *t);

#define TEST(name)								\
	static void name(void);							\
	static struct test_case name##_case = { #name, name, NULL };		\
	__attribute__((constructor)) static void name##_register(void)		\
	{									\
		test_register(&name##_case);					\
	}									\
	static void name(void)

bool check_true(const char *file, int line, const char *expr, bool ok);
bool check_eq_u64(const char *file, int line, const char *expr, uint64_t expected,
		  uint64_t actual);
bool check_eq_i64(const char *file, int line, const char *expr, int64_t expected,
		  int64_t actual);
bool check_streq(const char *file, int line, const char *expr, const char *expected,
		 const char *actual);
bool check_memeq(const char *file, int line, const char *expr, const void *expected,
		 size_t expected_len, const void *actual, size_t actual_len);
bool check_contains(const char *file, int line, const char *expr, const void *haystack,
		    size_t haystack_len, const char *needle);

/* Adds a line of context (which case of a loop failed) to the test's report. */
__attribute__((format(printf, 1, 2)))
void check_note(const char *fmt, ...);

#define CHECK_TRUE(cond) check_true(__FILE__, __LINE__, #cond, (cond))
#define CHECK_FALSE(cond) check_true(__FILE__, __LINE__, "!(" #cond ")", !(cond))
#define CHECK_EQ_U64(expected, actual)						\
	check_eq_u64(__FILE__, __LINE__, #actual, (uint64_t)(expected), (uint64_t)(actual))
#define CHECK_EQ_I64(expected, actual)						\
	check_eq_i64(__FILE__, __LINE__, #actual, (int64_t)(expected), (int64_t)(actual))
#define CHECK_STREQ(expected, actual)						\
	check_streq(__FILE__, __LINE__, #actual, (expected), (actual))
/* Byte strings of given lengths: equal length and equal bytes. */
#define CHECK_MEMEQ(expected, expected_len, actual, actual_len)			\
	check_memeq(__FILE__, __LINE__, #actual, (expected), (expected_len),	\
		    (actual), (actual_len))
/* The bytes of a C string, without its NUL, are found in haystack[0..len). */
#define CHECK_CONTAINS(haystack, haystack_len, needle)				\
	check_contains(__FILE__, __LINE__, #haystack, (haystack), (haystack_len), (needle))
#define CHECK_STR_CONTAINS(haystack, needle)					\
	CHECK_CONTAINS((haystack), strlen(haystack), (needle))

#endif /* OBSERVE_TESTS_CHECK_H */
