// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The TLS collector's records: plaintext and handshakes. */
#include "decoders.h"
#include "tls.h"

#include <errno.h>
#include <stdio.h>

static enum tls_data_encoding data_encoding = TLS_DATA_TEXT;

/* The probed functions: their symbol and their library. */
static const struct {
	const char *name;
	unsigned library;	/* enum observe_tls_library */
} functions[OBSERVE_TLS_FUNC_COUNT] = {
	[OBSERVE_TLS_SSL_WRITE] = { "SSL_write", OBSERVE_TLS_OPENSSL },
	[OBSERVE_TLS_SSL_READ] = { "SSL_read", OBSERVE_TLS_OPENSSL },
	[OBSERVE_TLS_SSL_WRITE_EX] = { "SSL_write_ex", OBSERVE_TLS_OPENSSL },
	[OBSERVE_TLS_SSL_READ_EX] = { "SSL_read_ex", OBSERVE_TLS_OPENSSL },
	[OBSERVE_TLS_SSL_DO_HANDSHAKE] = { "SSL_do_handshake", OBSERVE_TLS_OPENSSL },
	[OBSERVE_TLS_GNUTLS_RECORD_SEND] = { "gnutls_record_send", OBSERVE_TLS_GNUTLS },
	[OBSERVE_TLS_GNUTLS_RECORD_RECV] = { "gnutls_record_recv", OBSERVE_TLS_GNUTLS },
	[OBSERVE_TLS_GNUTLS_HANDSHAKE] = { "gnutls_handshake", OBSERVE_TLS_GNUTLS },
	[OBSERVE_TLS_GO_WRITE] = { "crypto/tls.(*Conn).Write", OBSERVE_TLS_GO },
	[OBSERVE_TLS_GO_READ] = { "crypto/tls.(*Conn).Read", OBSERVE_TLS_GO },
	[OBSERVE_TLS_SSL_CTRL] = { "SSL_ctrl", OBSERVE_TLS_OPENSSL },
	[OBSERVE_TLS_SSL_SET_HOST_NAME] = { "SSL_set_tlsext_host_name", OBSERVE_TLS_OPENSSL },
	[OBSERVE_TLS_SSL_FREE] = { "SSL_free", OBSERVE_TLS_OPENSSL },
	[OBSERVE_TLS_GNUTLS_SERVER_NAME_SET] = { "gnutls_server_name_set", OBSERVE_TLS_GNUTLS },
	[OBSERVE_TLS_GNUTLS_DEINIT] = { "gnutls_deinit", OBSERVE_TLS_GNUTLS },
};

static const char *const library_names[OBSERVE_TLS_LIBRARY_COUNT] = {
	[OBSERVE_TLS_OPENSSL] = "openssl",
	[OBSERVE_TLS_GNUTLS] = "gnutls",
	[OBSERVE_TLS_GO] = "go",
	[OBSERVE_TLS_BORINGSSL] = "boringssl",
};

void decode_tls_set_encoding(enum tls_data_encoding encoding)
{
	data_encoding = encoding;
}

const char *tls_function_name(unsigned func)
{
	return func < OBSERVE_TLS_FUNC_COUNT ? functions[func].name : NULL;
}

unsigned tls_function_library(unsigned func)
{
	return func < OBSERVE_TLS_FUNC_COUNT ? functions[func].library : OBSERVE_TLS_LIBRARY_COUNT;
}

const char *tls_library_name(unsigned library)
{
	return library < OBSERVE_TLS_LIBRARY_COUNT ? library_names[library] : "?";
}

/* The connection as the pointer it is: "0x55d0c8a3e2a0". */
static void conn_json(struct json_writer *w, __u64 conn)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)conn);
	json_kv_cstr(w, "conn", buf);
}

static void function_json(struct json_writer *w, unsigned func)
{
	const char *name = tls_function_name(func);

	json_kv_cstr(w, "function", name ? name : "?");
	json_kv_cstr(w, "library", tls_library_name(tls_function_library(func)));
}

void tls_data_json(struct json_writer *w, const void *data, size_t len)
{
	switch (data_encoding) {
	case TLS_DATA_HEX:
		json_key(w, "data_hex");
		json_hex(w, data, len);
		break;
	case TLS_DATA_BASE64:
		json_key(w, "data_base64");
		json_base64(w, data, len);
		break;
	default:
		json_kv_str(w, "data", data, len);
	}
}

/* The server name the client asked for, when known: "sni" (and "sni_cut"
 * when it was longer than a record keeps). */
static void sni_json(struct json_writer *w, const void *name, size_t len, bool cut)
{
	if (!len)
		return;
	json_kv_str(w, "sni", name, len);
	if (cut)
		json_kv_bool(w, "sni_cut", true);
}

const void *tls_event_data(const struct observe_tls_event *e)
{
	return e->data + e->sni_len;
}

int decode_tls_data(struct json_writer *w, const void *rec, size_t size)
{
	const struct observe_tls_event *e = rec;

	if (sizeof(*e) + e->sni_len + e->data_len > size || e->direction > OBSERVE_TLS_RECEIVED)
		return -EINVAL;
	conn_json(w, e->conn);
	sni_json(w, e->data, e->sni_len, e->sni_cut);
	function_json(w, e->func);
	json_kv_cstr(w, "direction", e->direction == OBSERVE_TLS_SENT ? "sent" : "received");
	json_kv_u64(w, "latency_ns", e->latency_ns);
	json_kv_u64(w, "call_len", e->call_len);
	json_kv_u64(w, "offset", e->offset);
	json_kv_u64(w, "len", e->data_len);
	json_kv_u64(w, "missing", e->missing);
	json_kv_u64(w, "chunk", e->chunk);
	json_kv_bool(w, "more", e->more);
	tls_data_json(w, tls_event_data(e), e->data_len);
	return 0;
}

int decode_tls_handshake(struct json_writer *w, const void *rec, size_t size)
{
	const struct observe_tls_handshake_event *e = rec;

	if (sizeof(*e) + e->sni_len > size)
		return -EINVAL;
	conn_json(w, e->conn);
	sni_json(w, e->sni, e->sni_len, e->sni_cut);
	function_json(w, e->func);
	json_kv_u64(w, "latency_ns", e->latency_ns);
	json_kv_i64(w, "ret", e->ret);
	return 0;
}
