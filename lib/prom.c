// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "prom.h"
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_VALUE_MAX 256

void prom_init(struct prom_writer *w)
{
	memset(w, 0, sizeof(*w));
}

void prom_free(struct prom_writer *w)
{
	free(w->buf);
	prom_init(w);
}

void prom_reset(struct prom_writer *w)
{
	w->len = 0;
	w->failed = false;
}

static void put(struct prom_writer *w, const char *s, size_t n)
{
	if (w->failed)
		return;
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 16384;
		char *buf;

		while (w->len + n + 1 > cap)
			cap *= 2;
		buf = realloc(w->buf, cap);
		if (!buf) {
			w->failed = true;
			return;
		}
		w->buf = buf;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = 0;
}

static void puts_(struct prom_writer *w, const char *s)
{
	put(w, s, strlen(s));
}


/* s into buf, bytes that are not UTF-8 as U+FFFD and, with 'escape', \\, \"
 * and \n escaped; cut between characters (or escapes); always ends. */
static void copy_label(char *buf, size_t len, const char *s, size_t slen, bool escape)
{
	static const char replacement[] = "\xef\xbf\xbd";	/* U+FFFD */
	size_t o = 0;

	for (size_t i = 0; i < slen && s[i];) {
		const char *piece = s + i;
		size_t n = json_utf8_seq_len((const unsigned char *)s + i, slen - i), adv = n;
		char esc[2];

		if (!n) {
			piece = replacement;
			n = 3;
			adv = 1;
		} else if (escape && (s[i] == '\\' || s[i] == '"' || s[i] == '\n')) {
			esc[0] = '\\';
			esc[1] = s[i] == '\n' ? 'n' : s[i];
			piece = esc;
			n = 2;
		}
		if (o + n >= len)
			break;
		memcpy(buf + o, piece, n);
		o += n;
		i += adv;
	}
	if (len)
		buf[o < len ? o : len - 1] = 0;
}

void prom_escape_label(char *buf, size_t len, const char *s, size_t slen)
{
	copy_label(buf, len, s, slen, true);
}

void prom_clean_utf8(char *buf, size_t len, const char *s, size_t slen)
{
	copy_label(buf, len, s, slen, false);
}

void prom_family(struct prom_writer *w, const char *name, const char *type, const char *help)
{
	puts_(w, "# HELP ");
	puts_(w, name);
	put(w, " ", 1);
	puts_(w, help);		/* ours: no backslash or newline to escape */
	puts_(w, "\n# TYPE ");
	puts_(w, name);
	put(w, " ", 1);
	puts_(w, type);
	put(w, "\n", 1);
}

/* name{label="value",...,extra="..."}: extra (may be NULL) comes last. */
static void series(struct prom_writer *w, const char *name, const char *suffix, va_list ap,
		   const char *extra_name, const char *extra_value)
{
	char value[LABEL_VALUE_MAX];
	const char *label;
	bool first = true;

	puts_(w, name);
	puts_(w, suffix);
	for (int i = 0; (label = va_arg(ap, const char *)) && i < PROM_MAX_LABELS; i++) {
		const char *v = va_arg(ap, const char *);

		prom_escape_label(value, sizeof(value), v, strlen(v));
		puts_(w, first ? "{" : ",");
		puts_(w, label);
		puts_(w, "=\"");
		puts_(w, value);
		put(w, "\"", 1);
		first = false;
	}
	if (extra_name) {
		puts_(w, first ? "{" : ",");
		puts_(w, extra_name);
		puts_(w, "=\"");
		puts_(w, extra_value);
		put(w, "\"", 1);
		first = false;
	}
	if (!first)
		put(w, "}", 1);
}

static void value_u64(struct prom_writer *w, uint64_t v)
{
	char num[32];

	put(w, num, snprintf(num, sizeof(num), " %llu\n", (unsigned long long)v));
}

static void value_double(struct prom_writer *w, double v)
{
	char num[48];

	put(w, num, snprintf(num, sizeof(num), " %.9g\n", v));
}

void prom_u64(struct prom_writer *w, const char *name, uint64_t v, ...)
{
	va_list ap;

	va_start(ap, v);
	series(w, name, "", ap, NULL, NULL);
	va_end(ap);
	value_u64(w, v);
}

void prom_double(struct prom_writer *w, const char *name, double v, ...)
{
	va_list ap;

	va_start(ap, v);
	series(w, name, "", ap, NULL, NULL);
	va_end(ap);
	value_double(w, v);
}

void prom_hist(struct prom_writer *w, const char *name, const struct observe_hist *h,
	       double scale, ...)
{
	uint64_t cumulative = 0;
	char le[32];
	va_list ap;

	for (unsigned k = 0; k < OBSERVE_HIST_SLOTS; k++) {
		cumulative += h->slots[k];
		if (k + 1 < OBSERVE_HIST_SLOTS)
			snprintf(le, sizeof(le), "%.9g", (double)(1ULL << (k + 1)) * scale);
		else
			snprintf(le, sizeof(le), "+Inf");
		va_start(ap, scale);
		series(w, name, "_bucket", ap, "le", le);
		va_end(ap);
		value_u64(w, cumulative);
	}
	va_start(ap, scale);
	series(w, name, "_sum", ap, NULL, NULL);
	va_end(ap);
	value_double(w, (double)h->sum * scale);
	va_start(ap, scale);
	series(w, name, "_count", ap, NULL, NULL);
	va_end(ap);
	/* The slots' total, not h->count: both are updated apart, and
	 * Prometheus wants _count equal to the +Inf bucket. */
	value_u64(w, cumulative);
}
