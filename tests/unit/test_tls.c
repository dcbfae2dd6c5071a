// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* TLS records as observe-tls prints them: the plaintext as a JSON string,
 * hex or base64, and a connection as users type it. */
#include "check.h"
#include "decode.h"
#include "decoders.h"
#include "json.h"
#include "parse.h"
#include "tls.h"

#include <errno.h>
#include <string.h>

static const struct event_clock zero_clock = { .realtime_minus_boottime_ns = 0 };

union tls_record {
	uint64_t align;
	unsigned char bytes[512];
};

/* A sent record with 'data' at offset 16384 of a call of 20000 bytes. */
static size_t build_data(union tls_record *r, const char *data, size_t len)
{
	struct observe_tls_event *e = (void *)r->bytes;
	size_t size = sizeof(*e) + len;

	memset(r, 0, sizeof(*r));
	e->hdr.seq = 9;
	e->hdr.ts_ns = 2000000000;
	e->hdr.size = size;
	e->hdr.type = OBSERVE_EV_TLS_DATA;
	e->hdr.pid = 42;
	e->hdr.tid = 43;
	memcpy(e->hdr.comm, "curl", 4);
	e->conn = 0x55d0c8a3e2a0;
	e->latency_ns = 1234;
	e->call_len = 20000;
	e->offset = 16384;
	e->data_len = len;
	e->chunk = 1;
	e->func = OBSERVE_TLS_SSL_WRITE_EX;
	e->direction = OBSERVE_TLS_SENT;
	memcpy(e->data, data, len);
	return size;
}

#define TLS_FIELDS								\
	"\"conn\":\"0x55d0c8a3e2a0\",\"function\":\"SSL_write_ex\",\"library\":\"openssl\","	\
	"\"direction\":\"sent\",\"latency_ns\":1234,\"call_len\":20000,\"offset\":16384,"	\
	"\"len\":5,\"missing\":0,\"chunk\":1,\"more\":false,"

static void check_data_json(const char *file, int line, enum tls_data_encoding encoding,
			    const char *expected_data)
{
	union tls_record r;
	size_t len = build_data(&r, "GE\xff\n\x01", 5);
	struct json_writer w;

	json_init(&w);
	decode_tls_set_encoding(encoding);
	if (check_eq_i64(file, line, "decode_event_json()", 0,
			 decode_event_json(&w, r.bytes, len, &zero_clock))) {
		check_contains(file, line, "TLS fields", w.buf, w.len, TLS_FIELDS);
		check_contains(file, line, "data", w.buf, w.len, expected_data);
	}
	decode_tls_set_encoding(TLS_DATA_TEXT);
	json_free(&w);
}

TEST(tls_data_prints_its_fields_and_escapes_the_plaintext)
{
	check_data_json(__FILE__, __LINE__, TLS_DATA_TEXT, "\"data\":\"GE\\udcff\\n\\u0001\"}");
}

TEST(tls_data_prints_hex_or_base64_on_request)
{
	check_data_json(__FILE__, __LINE__, TLS_DATA_HEX, "\"data_hex\":\"4745ff0a01\"}");
	check_data_json(__FILE__, __LINE__, TLS_DATA_BASE64, "\"data_base64\":\"R0X/CgE=\"}");
}

TEST(tls_data_longer_than_its_record_is_refused)
{
	union tls_record r;
	size_t len = build_data(&r, "hello", 5);
	struct json_writer w;

	((struct observe_tls_event *)r.bytes)->data_len = 6;
	json_init(&w);
	CHECK_EQ_I64(-EINVAL, decode_event_json(&w, r.bytes, len, &zero_clock));
	CHECK_EQ_U64(0, w.len);
	json_free(&w);
}

/* The server name sits before the plaintext: "sni" right after "conn", and
 * the data is what follows the name. */
TEST(tls_data_prints_the_server_name_before_the_function_and_the_data_after_it)
{
	static const char sni[] = "api.anthropic.com";
	union tls_record r;
	struct observe_tls_event *e = (void *)r.bytes;
	size_t len = build_data(&r, "GET /", 5);
	struct json_writer w;

	memmove(e->data + strlen(sni), e->data, 5);
	memcpy(e->data, sni, strlen(sni));
	e->sni_len = strlen(sni);
	e->hdr.size = len += strlen(sni);
	json_init(&w);
	CHECK_EQ_I64(0, decode_event_json(&w, r.bytes, len, &zero_clock));
	CHECK_CONTAINS(w.buf, w.len, "\"conn\":\"0x55d0c8a3e2a0\",\"sni\":\"api.anthropic.com\","
		       "\"function\":\"SSL_write_ex\"");
	CHECK_CONTAINS(w.buf, w.len, "\"len\":5,");
	CHECK_CONTAINS(w.buf, w.len, "\"data\":\"GET /\"}");
	json_free(&w);
	/* A name and data longer than the record together: refused. */
	json_init(&w);
	CHECK_EQ_I64(-EINVAL, decode_event_json(&w, r.bytes, len - 1, &zero_clock));
	json_free(&w);
}

TEST(tls_handshake_prints_its_server_name_when_known)
{
	union tls_record r;
	struct observe_tls_handshake_event *e = (void *)r.bytes;
	size_t len = sizeof(*e) + 4;
	struct json_writer w;

	memset(&r, 0, sizeof(r));
	e->hdr.size = len;
	e->hdr.type = OBSERVE_EV_TLS_HANDSHAKE;
	e->conn = 0x1000;
	e->ret = 1;
	e->func = OBSERVE_TLS_GNUTLS_HANDSHAKE;
	e->sni_len = 4;
	e->sni_cut = 1;
	memcpy(e->sni, "host", 4);
	json_init(&w);
	CHECK_EQ_I64(0, decode_event_json(&w, r.bytes, len, &zero_clock));
	CHECK_CONTAINS(w.buf, w.len, "\"sni\":\"host\",\"sni_cut\":true,\"function\":\"gnutls_handshake\","
		       "\"library\":\"gnutls\"");
	json_free(&w);
}

TEST(base64_pads_every_length)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "", "\"\"" }, { "f", "\"Zg==\"" }, { "fo", "\"Zm8=\"" }, { "foo", "\"Zm9v\"" },
		{ "foob", "\"Zm9vYg==\"" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_writer w;

		json_init(&w);
		json_base64(&w, cases[i].in, strlen(cases[i].in));
		CHECK_MEMEQ(cases[i].out, strlen(cases[i].out), w.buf, w.len);
		json_free(&w);
	}
}

TEST(parse_conn_takes_hex_with_or_without_0x)
{
	char err[PARSE_ERR_LEN];
	uint64_t conn = 0;

	CHECK_EQ_I64(0, parse_conn("0x55d0c8a3e2a0", &conn, err));
	CHECK_EQ_U64(0x55d0c8a3e2a0, conn);
	CHECK_EQ_I64(0, parse_conn("7fAB", &conn, err));
	CHECK_EQ_U64(0x7fab, conn);
	CHECK_EQ_I64(-1, parse_conn("0x", &conn, err));
	CHECK_EQ_I64(-1, parse_conn("0", &conn, err));
	CHECK_EQ_I64(-1, parse_conn("0x12zz", &conn, err));
	CHECK_EQ_I64(-1, parse_conn("-5", &conn, err));
	CHECK_CONTAINS(err, strlen(err), "conn");
}
