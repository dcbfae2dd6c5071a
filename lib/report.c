// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

extern char *program_invocation_short_name;

static char *capture_buf;
static size_t capture_len;

void report_capture(char *buf, size_t len)
{
	capture_buf = buf;
	capture_len = len;
	if (buf && len)
		buf[0] = 0;
}

/* Messages repeat what users and other processes gave (names, paths): a
 * control byte in them must not break the line or drive the terminal. */
static void escape_controls(char *out, size_t len, const char *in)
{
	size_t n = 0;

	for (; *in && n + 5 < len; in++) {
		unsigned char c = *in;

		if (c < 0x20 || c == 0x7f)
			n += snprintf(out + n, len - n, "\\x%02x", c);
		else
			out[n++] = c;
	}
	out[n] = 0;
}

static void vreport(const char *kind, const char *fmt, va_list ap)
{
	char text[1024], line[4096];

	vsnprintf(text, sizeof(text), fmt, ap);
	escape_controls(line, sizeof(line), text);
	if (capture_buf) {
		snprintf(capture_buf, capture_len, "%s%s", kind, line);
		return;
	}
	fprintf(stderr, "%s: %s%s\n", program_invocation_short_name, kind, line);
}

void report_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
}

void report_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

#define KEPT_LINES 16
static char kept[KEPT_LINES][512];
static unsigned kept_next;
static bool libbpf_verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int saved = errno;

	if (libbpf_verbose)
		return vfprintf(stderr, fmt, ap);
	if (level == LIBBPF_WARN) {
		char *line = kept[kept_next++ % KEPT_LINES];

		vsnprintf(line, sizeof(kept[0]), fmt, ap);
		line[strcspn(line, "\n")] = 0;
	}
	errno = saved;
	return 0;
}

void report_libbpf_setup(bool verbose)
{
	libbpf_verbose = verbose;
	libbpf_set_print(libbpf_print);
}

void report_libbpf_tail(void)
{
	unsigned n = kept_next < KEPT_LINES ? kept_next : KEPT_LINES;

	for (unsigned i = kept_next - n; i < kept_next; i++)
		fprintf(stderr, "  %s\n", kept[i % KEPT_LINES]);
}

const char *report_libbpf_find(const char *needle)
{
	unsigned n = kept_next < KEPT_LINES ? kept_next : KEPT_LINES;

	for (unsigned i = 0; i < n; i++) {
		const char *line = kept[(kept_next - 1 - i) % KEPT_LINES];

		if (strstr(line, needle))
			return line;
	}
	return NULL;
}
