// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* lib/prom: the Prometheus text format; lib/parse: listen addresses. */
#include "check.h"
#include "parse.h"
#include "prom.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

TEST(prom_label_values_escape_backslash_quote_newline_and_bad_utf8)
{
	char buf[64];

	prom_escape_label(buf, sizeof(buf), "a\\b\"c\nd", 7);
	CHECK_STREQ("a\\\\b\\\"c\\nd", buf);
	prom_escape_label(buf, sizeof(buf), "x\xff" "y", 3);
	CHECK_STREQ("x\xef\xbf\xbdy", buf);
	prom_escape_label(buf, sizeof(buf), "caf\xc3\xa9", 5);	/* valid UTF-8 stays */
	CHECK_STREQ("caf\xc3\xa9", buf);
	prom_escape_label(buf, 4, "\"\"\"", 3);	/* cut between escapes, never inside one */
	CHECK_STREQ("\\\"", buf);
}

TEST(prom_samples_carry_labels_in_order)
{
	struct prom_writer w;
	static const char expected[] =
		"# HELP m_total Things.\n# TYPE m_total counter\n"
		"m_total 7\nm_total{a=\"1\",b=\"x\\\"y\"} 8\n";

	prom_init(&w);
	prom_family(&w, "m_total", "counter", "Things.");
	prom_u64(&w, "m_total", 7, NULL);
	prom_u64(&w, "m_total", 8, "a", "1", "b", "x\"y", NULL);
	CHECK_MEMEQ(expected, strlen(expected), w.buf, w.len);
	prom_free(&w);
}

TEST(prom_histograms_are_cumulative_in_seconds_with_every_bucket)
{
	struct observe_hist h = { .count = 4, .sum = 3000 };
	struct prom_writer w;
	unsigned buckets = 0;

	h.slots[0] = 1;		/* [0, 2) ns */
	h.slots[9] = 2;		/* [512, 1024) ns */
	h.slots[OBSERVE_HIST_SLOTS - 1] = 1;
	prom_init(&w);
	prom_hist(&w, "d_seconds", &h, 1e-9, "k", "v", NULL);
	for (const char *p = w.buf; (p = strstr(p, "d_seconds_bucket{")); p++)
		buckets++;
	CHECK_EQ_U64(OBSERVE_HIST_SLOTS, buckets);
	CHECK_TRUE(strstr(w.buf, "d_seconds_bucket{k=\"v\",le=\"2e-09\"} 1\n") != NULL);
	CHECK_TRUE(strstr(w.buf, "d_seconds_bucket{k=\"v\",le=\"5.12e-07\"} 1\n") != NULL);
	CHECK_TRUE(strstr(w.buf, "d_seconds_bucket{k=\"v\",le=\"1.024e-06\"} 3\n") != NULL);
	CHECK_TRUE(strstr(w.buf, "d_seconds_bucket{k=\"v\",le=\"+Inf\"} 4\n") != NULL);
	CHECK_TRUE(strstr(w.buf, "d_seconds_sum{k=\"v\"} 3e-06\n") != NULL);
	CHECK_TRUE(strstr(w.buf, "d_seconds_count{k=\"v\"} 4\n") != NULL);
	prom_free(&w);
}

TEST(parse_listen_takes_numeric_ipv4_and_bracketed_ipv6)
{
	struct sockaddr_storage ss;
	char err[PARSE_ERR_LEN];
	socklen_t len;

	if (CHECK_EQ_I64(0, parse_listen("127.0.0.1:9477", &ss, &len, err))) {
		CHECK_EQ_U64(AF_INET, ss.ss_family);
		CHECK_EQ_U64(9477, ntohs(((struct sockaddr_in *)&ss)->sin_port));
	}
	if (CHECK_EQ_I64(0, parse_listen("[::1]:80", &ss, &len, err))) {
		CHECK_EQ_U64(AF_INET6, ss.ss_family);
		CHECK_EQ_U64(sizeof(struct sockaddr_in6), len);
	}
	CHECK_EQ_I64(-1, parse_listen("9477", &ss, &len, err));
	CHECK_EQ_I64(-1, parse_listen("localhost:9477", &ss, &len, err));
	CHECK_EQ_I64(-1, parse_listen("::1:9477", &ss, &len, err));
	CHECK_EQ_I64(-1, parse_listen("[::1]:0", &ss, &len, err));
	CHECK_EQ_I64(-1, parse_listen("127.0.0.1:", &ss, &len, err));
}
