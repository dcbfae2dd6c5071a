/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the fuzz targets share: an oracle on the JSON they make. */
#ifndef OBSERVE_FUZZ_COMMON_H
#define OBSERVE_FUZZ_COMMON_H

#include <stdlib.h>
#include <string.h>
#include "json.h"

/* Any bytes in, valid JSON text out: no raw control byte (newlines end
 * lines, never appear inside one), and nothing that is not UTF-8. */
static inline void fuzz_check_json_text(const struct json_writer *w)
{
	const unsigned char *s = (const unsigned char *)w->buf;
	size_t i = 0;

	while (i < w->len) {
		size_t n;

		if (s[i] < 0x20 && s[i] != '\n')
			abort();
		n = json_utf8_seq_len(s + i, w->len - i);
		if (!n)
			abort();
		i += n;
	}
}

#endif /* OBSERVE_FUZZ_COMMON_H */
