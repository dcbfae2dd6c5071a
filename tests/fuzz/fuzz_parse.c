// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz target: the parsers of what users type (lib/parse.c). The first byte
 * picks the parser, the rest is the text. A parser either succeeds or says
 * why (report_error() keeps it to one line); a CIDR that parses prints as text that parses back to the
 * same key.
 */
#include "fuzz_common.h"
#include "net.h"
#include "parse.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(int res, const char *err)
{
	if (res && (!err[0] || strnlen(err, PARSE_ERR_LEN) == PARSE_ERR_LEN))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[PARSE_ERR_LEN] = "", *s, comm[16];
	struct observe_cidr_key key, again;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	uint64_t u64;
	uint32_t u32;
	uint16_t port;
	int res = 0;

	if (!size)
		return 0;
	s = strndup((const char *)data + 1, size - 1);
	if (!s)
		return 0;
	switch (data[0] % 12) {
	case 0: res = parse_u64(s, 3, 1000, "value", &u64, err); break;
	case 1: res = parse_pid(s, &u32, err); break;
	case 2: res = parse_uid(s, &u32, err); break;
	case 3: res = parse_comm(s, comm, err); break;
	case 4: res = parse_types(s, &u64, err); break;
	case 5: res = parse_size(s, 4096, 1ULL << 40, &u64, err); break;
	case 6: res = parse_seconds(s, &u64, err); break;
	case 7: res = parse_port(s, &port, err); break;
	case 8: res = parse_conn(s, &u64, err); break;
	case 9: res = parse_listen(s, &addr, &addr_len, err); break;
	case 10: res = parse_u64(s, 0, UINT64_MAX, "value", &u64, err); break;
	case 11:
		res = parse_cidr(s, &key, err);
		if (!res) {
			char text[64];

			format_cidr(text, sizeof(text), &key);
			memset(&again, 0, sizeof(again));
			if (parse_cidr(text, &again, err) || memcmp(&key, &again, sizeof(key)))
				abort();
		}
		break;
	}
	check_error(res, err);
	free(s);
	return 0;
}
