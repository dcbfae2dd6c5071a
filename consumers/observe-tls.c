// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * observe-tls: claims a TLS ring slot (group observe-tls) and prints the
 * plaintext that programs pass to OpenSSL and GnuTLS as JSON lines; or, with
 * --follow, one connection's conversation, one line per call; or, with
 * --http, HTTP/1.1 exchanges and LLM calls (lib/httpflow.c). --targets
 * shows what the loader probed (group observe is enough for that).
 */
#include "decode.h"
#include "events.h"
#include "httpflow.h"
#include "json.h"
#include "parse.h"
#include "pins.h"
#include "report.h"
#include "runloop.h"
#include "slot.h"
#include "stream.h"
#include "tls.h"
#include "version.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

static const char usage[] =
"Usage: observe-tls [OPTION...]\n"
"Stream the plaintext that programs send and receive through OpenSSL and GnuTLS,\n"
"as JSON lines. Needs groups observe and observe-tls, and observe-load --tls.\n"
"\n"
"  -p, --pid=PID          only this process\n"
"  -c, --comm=COMM        only tasks with this command name\n"
"  -u, --uid=USER         only this user (name or number)\n"
"  -t, --types=LIST       tls_data, tls_handshake (default both)\n"
"      --conn=CONN        only this connection (the \"conn\" of its records)\n"
"  -f, --follow=CONN      this connection's conversation in order: one line per\n"
"                         call, its records joined\n"
"      --http             HTTP/1.1 exchanges, one line each (\"http\"), and LLM\n"
"                         API streams merged into one \"llm_call\" line each\n"
"      --body-max=BYTES   with --http: bytes of a body, an answer or the request's\n"
"                         messages printed (default 16K; K, M suffixes); the rest\n"
"                         is counted (body_truncated, answer_truncated, ...)\n"
"      --no-llm           with --http: event streams as http lines, not merged\n"
"      --secrets          with --http: Authorization, Cookie and API key headers as\n"
"                         they are, not \"[redacted: N bytes]\"\n"
"  -X, --hex              data as hex (\"data_hex\") instead of a JSON string\n"
"  -b, --base64           data as base64 (\"data_base64\")\n"
"  -n, --count=N          stop after N lines\n"
STREAM_OUTPUT_HELP
"  -d, --duration=SECS    stop after SECS seconds\n"
"      --poll-ms=MS       how often to look for records (1-1000, default 50)\n"
"      --targets          show each probed library or binary and its functions, and exit\n"
"      --pin-dir=DIR      where observe is pinned (default " OBSERVE_PIN_DIR_DEFAULT ")\n"
"  -q, --quiet            no status line on stderr\n"
"  -v, --verbose          show libbpf's messages\n"
"  -h, --help             show this help\n"
"      --version          show the version\n"
"\n"
"A tls_data line has the header fields (time, seq, pid, tid, comm, ...) and conn,\n"
"sni (the server name the client asked for, when known), function, library,\n"
"direction (sent or received), latency_ns, call_len, offset, len, missing,\n"
"chunk, more and data. A call longer than a record comes as\n"
"records with rising offsets; bytes not captured (beyond observe-load --tls-max)\n"
"are counted in missing: over a call, the sum of len + missing is call_len.\n"
"Bytes that are not UTF-8 appear as \\udc80-\\udcff escapes (Python: surrogateescape).\n"
"A line {\"type\":\"gap\",\"lost\":N} reports N records this reader lost.\n"
"\n"
"With --http, an exchange is printed when its response ends: method, target,\n"
"host, status, the request and the response (headers, body un-chunked and\n"
"inflated), ttfb_ns and total_ns from the request's last byte. An llm_call has\n"
"provider, model, the request's messages (the last ones first, within\n"
"--body-max), answer, tool_calls, stop_reason, usage and ttft_ns. One whose\n"
"bytes were not all captured has \"complete\":false and says why (\"incomplete\").\n"
"\n"
"Examples:\n"
"  observe-tls -c curl                    what curl sends and receives\n"
"  observe-tls -p 4242 --base64 -d 10     ten seconds of one process, in base64\n"
"  observe-tls -f 0x55d0c8a3e2a0          one connection's conversation\n"
"  observe-tls --http -c node             what node asks its LLM API, and the answers\n"
"  observe-tls --targets                  what the loader probed\n";

enum { OPT_CONN = 256, OPT_TARGETS, OPT_HTTP, OPT_BODY_MAX, OPT_NO_LLM, OPT_SECRETS };

static const struct option options[] = {
	STREAM_LONG_OPTIONS,
	{ "types", required_argument, NULL, 't' },
	{ "conn", required_argument, NULL, OPT_CONN },
	{ "follow", required_argument, NULL, 'f' },
	{ "hex", no_argument, NULL, 'X' },
	{ "base64", no_argument, NULL, 'b' },
	{ "targets", no_argument, NULL, OPT_TARGETS },
	{ "http", no_argument, NULL, OPT_HTTP },
	{ "body-max", required_argument, NULL, OPT_BODY_MAX },
	{ "no-llm", no_argument, NULL, OPT_NO_LLM },
	{ "secrets", no_argument, NULL, OPT_SECRETS },
	{ "help", no_argument, NULL, 'h' },
	{},
};

struct options {
	struct stream_options s;	/* -p, -c, -u, -n, -d, --poll-ms, --pin-dir, -q, -v */
	uint64_t conn;		/* 0: every connection */
	bool follow, targets, http;
	bool http_only_option;	/* one of --body-max, --no-llm, --secrets */
	struct httpflow_options flow;
	enum tls_data_encoding encoding;
};

/* --http: the tracker, and the lines it added for the record being formatted. */
struct exchanges {
	const struct options *o;
	struct httpflow *flow;
	struct stream *st;
	int lines;
};

/* --follow: the call being joined from its records. */
struct conversation {
	const struct options *o;
	struct observe_tls_event first;	/* header and fields of the call's first record */
	char sni[OBSERVE_TLS_SNI_MAX];	/* its server name: first.sni_len bytes */
	unsigned char *data;
	size_t len, cap;
	uint64_t missing;
	bool open;			/* records of a call are being joined */
};

static int parse_options(int argc, char **argv, struct options *o)
{
	char err[PARSE_ERR_LEN];
	int opt;

	memset(o, 0, sizeof(*o));
	stream_options_init(&o->s, event_types_tls());
	while ((opt = getopt_long(argc, argv, STREAM_SHORT_OPTIONS "t:f:xXbh", options, NULL)) != -1) {
		int shared = stream_parse_option(opt, optarg, &o->s, err), bad = 0;

		if (shared > 0)
			continue;
		switch (shared < 0 ? 0 : opt) {
		case 0:
			bad = -1;	/* a bad value of a shared option: err says which */
			break;
		case 't':
			bad = parse_types(optarg, &o->s.filter.types, err);
			if (!bad && !strcmp(optarg, "all"))
				o->s.filter.types &= event_types_tls();
			if (!bad && (o->s.filter.types & ~event_types_tls())) {
				snprintf(err, sizeof(err), "observe-tls shows tls_data and tls_handshake, "
					 "not '%s' (observe-events shows the others)", optarg);
				bad = -1;
			}
			break;
		case 'f':
			o->follow = true;
			/* fall through */
		case OPT_CONN:
			bad = parse_conn(optarg, &o->conn, err);
			break;
		case 'x':
			parse_warn_old_letter('x', "-X or --hex");
			/* fall through */
		case 'X':
			o->encoding = TLS_DATA_HEX;
			break;
		case 'b':
			o->encoding = TLS_DATA_BASE64;
			break;
		case OPT_TARGETS:
			o->targets = true;
			break;
		case OPT_HTTP:
			o->http = true;
			break;
		case OPT_BODY_MAX: {
			uint64_t bytes;

			bad = parse_size(optarg, 1, HTTPFLOW_BODY_MAX_LIMIT, &bytes, err);
			o->flow.body_max = bytes;
			o->http_only_option = true;
			break;
		}
		case OPT_NO_LLM:
			o->flow.no_llm = true;
			o->http_only_option = true;
			break;
		case OPT_SECRETS:
			o->flow.show_secrets = true;
			o->http_only_option = true;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fprintf(stderr, "Try 'observe-tls --help'.\n");
			return -1;
		}
		if (bad) {
			report_error("%s", err);
			return -1;
		}
	}
	if (o->http_only_option && !o->http) {
		report_error("--body-max, --no-llm and --secrets go with --http");
		return -1;
	}
	if (o->http && (o->follow || o->encoding != TLS_DATA_TEXT)) {
		report_error("--http prints exchanges: not with --follow, --hex or --base64");
		return -1;
	}
	if (o->follow)
		o->s.filter.types = 1ULL << OBSERVE_EV_TLS_DATA;
	if (o->http)	/* a handshake tells that a connection's key starts over */
		o->s.filter.types = 1ULL << OBSERVE_EV_TLS_DATA | 1ULL << OBSERVE_EV_TLS_HANDSHAKE;
	return stream_options_end(argc, argv, &o->s);
}

/* The connection of a TLS record, or 0 for a record too short to have one. */
static uint64_t conn_of(const void *data, size_t len)
{
	const struct observe_tls_event *e = data;

	return len >= sizeof(struct observe_tls_handshake_event) ? e->conn : 0;
}

/* Every record its own line, unless --conn leaves it out. */
static int format_record(struct stream *st, const void *data, size_t len)
{
	const struct options *o = st->ctx;

	if (o->conn && conn_of(data, len) != o->conn)
		return 0;
	if (decode_event_json(&st->json, data, len, &st->clock))
		return -EINVAL;
	json_end_line(&st->json);
	return 1;
}

/* One line for the call joined so far; 'whole' is false when its last
 * records never came (the slot lost them: a gap line says so). */
static void print_call(struct stream *st, struct conversation *c, bool whole)
{
	const struct observe_tls_event *e = &c->first;
	struct json_writer *w = &st->json;
	char when[48];

	format_iso8601(when, sizeof(when), (int64_t)e->hdr.ts_ns + st->clock.realtime_minus_boottime_ns);
	json_object_begin(w);
	json_kv_cstr(w, "time", when);
	json_kv_cstr(w, "type", "tls_call");
	json_kv_u64(w, "seq", e->hdr.seq);
	json_kv_u64(w, "pid", e->hdr.pid);
	json_kv_u64(w, "tid", e->hdr.tid);
	json_kv_str(w, "comm", e->hdr.comm, strnlen(e->hdr.comm, sizeof(e->hdr.comm)));
	if (e->sni_len)
		json_kv_str(w, "sni", c->sni, e->sni_len);
	json_kv_cstr(w, "direction", e->direction == OBSERVE_TLS_SENT ? "sent" : "received");
	json_kv_cstr(w, "function", tls_function_name(e->func) ? tls_function_name(e->func) : "?");
	json_kv_u64(w, "latency_ns", e->latency_ns);
	json_kv_u64(w, "call_len", e->call_len);
	json_kv_u64(w, "len", c->len);
	json_kv_u64(w, "missing", c->missing);
	if (!whole)
		json_kv_bool(w, "incomplete", true);
	tls_data_json(w, c->data, c->len);
	json_object_end(w);
	json_end_line(w);
	c->open = false;
}

/* Whether e is the next record of the call being joined: the records of
 * one call share its thread and its time, and follow each other without a
 * hole (a record the slot lost would leave one). */
static bool continues_call(const struct conversation *c, const struct observe_tls_event *e)
{
	return c->open && e->hdr.tid == c->first.hdr.tid && e->hdr.ts_ns == c->first.hdr.ts_ns &&
	       e->offset == c->len + c->missing;
}

/* --follow: records of the followed connection joined into calls. A call
 * whose records did not all come is printed "incomplete". */
static int format_conversation(struct stream *st, const void *data, size_t len)
{
	const struct observe_tls_event *e = data;
	struct conversation *c = st->ctx;
	int lines = 0;

	if (len < sizeof(*e) || e->hdr.type != OBSERVE_EV_TLS_DATA || e->conn != c->o->conn)
		return 0;
	if (sizeof(*e) + e->sni_len + e->data_len > len)
		return -EINVAL;
	if (c->open && !continues_call(c, e)) {
		print_call(st, c, false);
		lines++;
	}
	if (!c->open) {
		c->first = *e;
		memcpy(c->sni, e->data, e->sni_len);
		c->len = c->missing = 0;
		c->open = true;
	}
	if (c->len + e->data_len > c->cap) {
		size_t cap = c->cap ? c->cap : 65536;
		unsigned char *grown;

		while (cap < c->len + e->data_len)
			cap *= 2;
		grown = realloc(c->data, cap);
		if (!grown) {
			report_error("out of memory joining a call of %llu bytes",
				     (unsigned long long)e->call_len);
			exit(1);
		}
		c->data = grown;
		c->cap = cap;
	}
	memcpy(c->data + c->len, tls_event_data(e), e->data_len);
	c->len += e->data_len;
	c->missing += e->missing;
	if (!e->more) {
		print_call(st, c, c->len + c->missing == e->call_len);
		lines++;
	}
	return lines;
}

/* --http: each finished exchange one line, within --count. */
static void print_exchange(void *ctx, const struct httpflow_record *r)
{
	struct exchanges *x = ctx;
	struct stream *st = x->st;

	if (st->limit && st->printed + x->lines >= st->limit)
		return;
	httpflow_record_json(&st->json, r, &st->clock);
	json_end_line(&st->json);
	x->lines++;
}

/* --http: records fed to the tracker; lines come as exchanges end. */
static int format_exchanges(struct stream *st, const void *data, size_t len)
{
	struct exchanges *x = st->ctx;
	int err;

	if (x->o->conn && conn_of(data, len) != x->o->conn)
		return 0;
	x->lines = 0;
	err = httpflow_feed_tls(x->flow, data, len);
	if (err == -ENOMEM) {
		report_error("out of memory following HTTP exchanges");
		exit(1);
	}
	return err ? err : x->lines;
}

/* --http: lost records cost the exchanges in flight their completeness. */
static int exchanges_gap(struct stream *st, uint64_t lost)
{
	struct exchanges *x = st->ctx;

	x->lines = 0;
	httpflow_lost(x->flow, lost);
	return x->lines;
}

static const char *attach_status(const struct observe_tls_target *t, unsigned fn, char *buf,
				 size_t len)
{
	switch (t->status[fn]) {
	case OBSERVE_TLS_ATTACHED:
		return "attached";
	case OBSERVE_TLS_MISSING:
		return t->found_by == OBSERVE_TLS_BY_SIGNATURE ? "not found" : "symbol missing";
	case OBSERVE_TLS_FAILED:
		snprintf(buf, len, "failed: %s", strerror(t->err[fn]));
		return buf;
	default:
		return NULL;
	}
}

/* The TLS slots' settings; one line saying why not, when TLS is not loaded. */
static int read_tls_info(const char *dir, struct observe_tls_info *info)
{
	struct observe_info observe;

	if (pins_read_info(dir, &observe))	/* not loaded at all, not in the group */
		return -1;
	if (pins_read_tls_info(dir, info))
		return -1;
	if (!info->nr_slots) {
		report_error("TLS capture is not loaded at %s: run observe-load --tls", dir);
		return -1;
	}
	return 0;
}

static const char *const found_by_names[] = {
	[OBSERVE_TLS_BY_SYMBOL] = "symbol",
	[OBSERVE_TLS_BY_SIGNATURE] = "signature",
	[OBSERVE_TLS_NOTHING_FOUND] = "nothing found",
	[OBSERVE_TLS_NO_FILE] = "no file",
	[OBSERVE_TLS_NOT_PROBED] = "not probed",
};

/* One target: how its functions were found and what became of each, or why
 * nothing was probed ("attached": false). */
static void target_json(struct json_writer *w, const struct observe_tls_target *t)
{
	bool attached = false;
	char buf[128];

	for (unsigned fn = 0; fn < OBSERVE_TLS_FUNC_COUNT; fn++)
		attached |= t->status[fn] == OBSERVE_TLS_ATTACHED;
	json_object_begin(w);
	json_kv_str(w, "path", t->path, strnlen(t->path, sizeof(t->path)));
	json_kv_cstr(w, "library", tls_library_name(t->library));
	json_kv_cstr(w, "source", t->from_user ? "tls-binary" : "system");
	json_kv_bool(w, "attached", attached);
	json_kv_cstr(w, "found_by", t->found_by < sizeof(found_by_names) / sizeof(found_by_names[0]) ?
		     found_by_names[t->found_by] : "?");
	if (t->note[0])
		json_kv_str(w, "note", t->note, strnlen(t->note, sizeof(t->note)));
	json_key(w, "functions");
	json_object_begin(w);
	for (unsigned fn = 0; fn < OBSERVE_TLS_FUNC_COUNT; fn++) {
		const char *status = attach_status(t, fn, buf, sizeof(buf));

		if (status)
			json_kv_cstr(w, tls_function_name(fn), status);
	}
	json_object_end(w);
	if (t->found_by == OBSERVE_TLS_BY_SIGNATURE) {
		json_key(w, "addresses");
		json_object_begin(w);
		for (unsigned fn = 0; fn < OBSERVE_TLS_FUNC_COUNT; fn++) {
			if (!t->addr[fn])
				continue;
			snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)t->addr[fn]);
			json_kv_cstr(w, tls_function_name(fn), buf);
		}
		json_object_end(w);
	}
	json_object_end(w);
}

/* --targets: one JSON line per library or binary the loader probed. */
static int print_targets(const struct options *o)
{
	struct observe_tls_info info = {};
	struct json_writer w;
	int fd, err = 0;

	if (read_tls_info(o->s.pin_dir, &info))
		return 1;
	fd = pins_open_map(o->s.pin_dir, PIN_TLS_TARGETS, PIN_READ);
	if (fd < 0)
		return 1;
	json_init(&w);
	for (__u32 i = 0; i < info.nr_targets && i < OBSERVE_TLS_MAX_TARGETS; i++) {
		struct observe_tls_target t;

		if (bpf_map_lookup_elem(fd, &i, &t) || !t.path[0])
			continue;
		target_json(&w, &t);
		json_end_line(&w);
	}
	if (fwrite(w.buf, 1, w.len, stdout) != w.len || fflush(stdout)) {
		report_error("cannot write the targets: %s", strerror(errno));
		err = 1;
	}
	json_free(&w);
	close(fd);
	return err;
}

int main(int argc, char **argv)
{
	exit_if_version_asked(argc, argv);
	struct observe_tls_info info = {};
	struct conversation conv = {};
	struct exchanges ex = {};
	struct stream st = {};
	struct options o;
	int err;

	if (parse_options(argc, argv, &o))
		return 2;
	report_libbpf_setup(o.s.verbose);
	runloop_init();
	if (o.targets)
		return print_targets(&o);
	if (read_tls_info(o.s.pin_dir, &info))
		return 1;
	if (slot_claim(o.s.pin_dir, &slot_tls, info.nr_slots, info.ring_size, &o.s.filter, &st.slot))
		return 1;
	decode_tls_set_encoding(o.encoding);
	conv.o = &o;
	if (o.http) {
		ex.o = &o;
		ex.st = &st;
		ex.flow = httpflow_new(&o.flow, print_exchange, &ex);
		if (!ex.flow) {
			report_error("out of memory");
			slot_release(&st.slot);
			return 1;
		}
		stream_init(&st, "observe-tls", format_exchanges, &ex, o.s.count);
		st.gap = exchanges_gap;
	} else if (o.follow) {
		stream_init(&st, "observe-tls", format_conversation, &conv, o.s.count);
	} else {
		stream_init(&st, "observe-tls", format_record, &o, o.s.count);
	}
	err = stream_run(&st, &o.s);
	if (ex.flow && !st.output_failed) {	/* exchanges still in flight: as far as they came */
		ex.lines = 0;
		httpflow_flush(ex.flow);
		st.printed += ex.lines;
		if (stream_flush(&st))
			err = 1;
	}
	httpflow_free(ex.flow);
	if (conv.open && !st.output_failed) {	/* stopped in the middle of a call */
		print_call(&st, &conv, false);
		if (stream_flush(&st))
			err = 1;
	}
	slot_release(&st.slot);
	stream_free(&st);
	free(conv.data);
	return err;
}
