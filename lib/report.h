/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One way to report errors in every observe binary: "<program>: <message>". */
#ifndef OBSERVE_REPORT_H
#define OBSERVE_REPORT_H

#include <stdbool.h>
#include <stddef.h>

void report_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void report_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* While buf is set, errors and warnings replace its text instead of going to
 * stderr (a server reports them its own way); NULL: back to stderr. */
void report_capture(char *buf, size_t len);

/*
 * Routes libbpf's messages: everything to stderr when verbose; otherwise
 * they are kept quietly and report_libbpf_tail() shows the last warnings
 * after an operation failed.
 */
void report_libbpf_setup(bool verbose);
void report_libbpf_tail(void);
/* The last libbpf warning line that contains 'needle', or NULL. */
const char *report_libbpf_find(const char *needle);

#endif /* OBSERVE_REPORT_H */
