// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* lib/decode: ring records built by hand, as the kernel lays them out, to JSON. */
#include "check.h"
#include "decode.h"
#include "decoders.h"
#include "files.h"
#include "net.h"
#include "process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>

#include <errno.h>
#include <string.h>
#include <time.h>

#define CHECK_JSON(w, expected) CHECK_MEMEQ((expected), strlen(expected), (w)->buf, (w)->len)

/* What fill_header() puts in every record, as decode_event_json() prints it. */
#define HDR_JSON(type)								\
	"{\"time\":\"1970-01-01T00:00:01.500000000Z\",\"type\":\"" type "\","	\
	"\"seq\":7,\"ts_ns\":1500000000,\"cpu\":3,\"pid\":100,\"tid\":101,\"ppid\":1,"	\
	"\"uid\":1000,\"gid\":1001,\"comm\":\"bash\",\"cgroup_id\":1,"		\
	"\"start_ns\":900,\"parent_start_ns\":5"

static const struct event_clock zero_clock = { .realtime_minus_boottime_ns = 0 };

/* Room for any record; the union keeps it aligned as the ring does (8 bytes). */
union record {
	uint64_t align;
	unsigned char bytes[1024];
};

static void fill_header(struct observe_event_header *h, uint16_t type, uint32_t size,
			uint16_t flags)
{
	memset(h, 0, sizeof(*h));
	h->seq = 7;
	h->ts_ns = 1500000000;
	h->cgroup_id = 1;
	h->size = size;
	h->type = type;
	h->flags = flags;
	h->pid = 100;
	h->tid = 101;
	h->ppid = 1;
	h->uid = 1000;
	h->gid = 1001;
	h->cpu = 3;
	memcpy(h->comm, "bash", 4);
	h->start_ns = 900;
	h->parent_start_ns = 5;
}

/* data[]: the arguments (argv_len bytes) first, then the file name. */
static size_t build_exec(union record *r, int32_t retval, uint32_t argc, const char *argv,
			 size_t argv_len, const char *filename, size_t filename_len,
			 uint16_t flags)
{
	struct observe_exec_event *e = (void *)r->bytes;
	size_t size = sizeof(*e) + argv_len + filename_len;

	memset(r, 0, sizeof(*r));
	fill_header(&e->hdr, OBSERVE_EV_EXEC, size, flags);
	e->retval = retval;
	e->argc = argc;
	e->argv_len = argv_len;
	e->filename_len = filename_len;
	memcpy(e->data, argv, argv_len);
	memcpy(e->data + argv_len, filename, filename_len);
	return size;
}

static size_t build_fork(union record *r, uint32_t child_pid, uint16_t flags)
{
	struct observe_fork_event *e = (void *)r->bytes;

	memset(r, 0, sizeof(*r));
	fill_header(&e->hdr, OBSERVE_EV_FORK, sizeof(*e), flags);
	e->child_pid = child_pid;
	e->child_tid = child_pid + 1;
	return sizeof(*e);
}

static size_t build_exit(union record *r, uint32_t exit_status, uint16_t flags)
{
	struct observe_exit_event *e = (void *)r->bytes;

	memset(r, 0, sizeof(*r));
	fill_header(&e->hdr, OBSERVE_EV_EXIT, sizeof(*e), flags);
	e->lifetime_ns = 5000;
	e->exit_status = exit_status;
	return sizeof(*e);
}

/* Decodes one record into a fresh writer and compares the whole text. */
static bool check_decodes_to(const char *file, int line, const union record *r, size_t len,
			     const char *expected)
{
	struct json_writer w;
	bool ok;

	json_init(&w);
	ok = check_eq_i64(file, line, "decode_event_json()", 0,
			  decode_event_json(&w, r->bytes, len, &zero_clock)) &&
	     check_memeq(file, line, "decoded JSON", expected, strlen(expected), w.buf, w.len);
	json_free(&w);
	return ok;
}

#define CHECK_DECODES_TO(r, len, expected) \
	check_decodes_to(__FILE__, __LINE__, (r), (len), (expected))

TEST(decode_exec_prints_header_filename_argv_and_ret)
{
	static const char argv[] = "ls\0-l\0/tmp";
	union record r;
	size_t len = build_exec(&r, 0, 3, argv, sizeof(argv), "/bin/ls", 8, 0);

	CHECK_DECODES_TO(&r, len, HDR_JSON("exec") ",\"filename\":\"/bin/ls\","
			 "\"argv\":[\"ls\",\"-l\",\"/tmp\"],\"argc\":3,\"ret\":0}");
}

TEST(decode_exec_keeps_empty_arguments)
{
	union record r;
	size_t len;

	len = build_exec(&r, 0, 4, "a\0\0\0b", 6, "/x", 3, 0);
	CHECK_DECODES_TO(&r, len, HDR_JSON("exec") ",\"filename\":\"/x\","
			 "\"argv\":[\"a\",\"\",\"\",\"b\"],\"argc\":4,\"ret\":0}");
	len = build_exec(&r, 0, 2, "a\0", 3, "/x", 3, 0);
	CHECK_DECODES_TO(&r, len, HDR_JSON("exec") ",\"filename\":\"/x\","
			 "\"argv\":[\"a\",\"\"],\"argc\":2,\"ret\":0}");
	len = build_exec(&r, 0, 0, "", 0, "/x", 3, 0);
	CHECK_DECODES_TO(&r, len, HDR_JSON("exec") ",\"filename\":\"/x\","
			 "\"argv\":[],\"argc\":0,\"ret\":0}");
}

TEST(decode_exec_prints_arguments_it_could_not_read_as_null)
{
	struct json_writer w;
	union record r;
	size_t len = build_exec(&r, -2, 4, "/x\0\0b\0\0", 7, "/x", 3,
				OBSERVE_F_FAILED | OBSERVE_F_INCOMPLETE);

	((struct observe_exec_event *)r.bytes)->missing = 1u << 1 | 1u << 3;
	json_init(&w);
	CHECK_EQ_I64(0, decode_event_json(&w, r.bytes, len, &zero_clock));
	CHECK_CONTAINS(w.buf, w.len, "\"argv\":[\"/x\",null,\"b\",null],\"argc\":4,"
		       "\"argv_missing\":2,\"ret\":-2");
	json_free(&w);
}

TEST(decode_exec_prints_a_cut_last_argument_and_truncated)
{
	union record r;
	/* argv cut at --argv-max inside "--verbose": its NUL did not fit */
	size_t len = build_exec(&r, 0, 5, "ls\0--verb", 9, "/bin/ls", 8, OBSERVE_F_TRUNCATED);

	CHECK_DECODES_TO(&r, len, HDR_JSON("exec") ",\"filename\":\"/bin/ls\","
			 "\"argv\":[\"ls\",\"--verb\"],\"argc\":5,\"ret\":0,\"truncated\":true}");
}

TEST(decode_failed_exec_prints_ret_and_error_name)
{
	union record r;
	size_t len = build_exec(&r, -2, 1, "nope", 5, "/no/such", 9, OBSERVE_F_FAILED);

	CHECK_DECODES_TO(&r, len, HDR_JSON("exec") ",\"filename\":\"/no/such\","
			 "\"argv\":[\"nope\"],\"argc\":1,\"ret\":-2,\"error\":\"ENOENT\"}");
	len = build_exec(&r, -13, 1, "x", 2, "/x", 3, OBSERVE_F_FAILED);
	CHECK_DECODES_TO(&r, len, HDR_JSON("exec") ",\"filename\":\"/x\","
			 "\"argv\":[\"x\"],\"argc\":1,\"ret\":-13,\"error\":\"EACCES\"}");
}

TEST(decode_exec_escapes_hostile_filename_argv_and_comm)
{
	union record r;
	struct observe_exec_event *e = (void *)r.bytes;
	size_t len = build_exec(&r, 0, 2, "\"\n\0\xff\x1b[2J", 9, "/tmp/\xc3(\x7f", 9, 0);

	memcpy(e->hdr.comm, "a\tb\xe2\x80\xa8", 7);
	CHECK_DECODES_TO(&r, len,
			 "{\"time\":\"1970-01-01T00:00:01.500000000Z\",\"type\":\"exec\","
			 "\"seq\":7,\"ts_ns\":1500000000,\"cpu\":3,\"pid\":100,\"tid\":101,"
			 "\"ppid\":1,\"uid\":1000,\"gid\":1001,\"comm\":\"a\\tb\\u2028\","
			 "\"cgroup_id\":1,\"start_ns\":900,\"parent_start_ns\":5,\"filename\":\"/tmp/\\udcc3(\\u007f\","
			 "\"argv\":[\"\\\"\\n\",\"\\udcff\\u001b[2J\"],\"argc\":2,\"ret\":0}");
}

TEST(decode_prints_a_comm_of_16_bytes_without_nul)
{
	union record r;
	struct observe_fork_event *e = (void *)r.bytes;
	size_t len = build_fork(&r, 4242, 0);

	memcpy(e->hdr.comm, "0123456789abcdef", 16);
	CHECK_DECODES_TO(&r, len,
			 "{\"time\":\"1970-01-01T00:00:01.500000000Z\",\"type\":\"fork\","
			 "\"seq\":7,\"ts_ns\":1500000000,\"cpu\":3,\"pid\":100,\"tid\":101,"
			 "\"ppid\":1,\"uid\":1000,\"gid\":1001,\"comm\":\"0123456789abcdef\","
			 "\"cgroup_id\":1,\"start_ns\":900,\"parent_start_ns\":5,\"child_pid\":4242}");
}

TEST(decode_fork_prints_child_pid)
{
	union record r;
	size_t len = build_fork(&r, 4242, 0);

	CHECK_DECODES_TO(&r, len, HDR_JSON("fork") ",\"child_pid\":4242}");
}

TEST(decode_exit_splits_wait_status)
{
	union record r;
	size_t len;

	len = build_exit(&r, 3 << 8, OBSERVE_F_FAILED);
	CHECK_DECODES_TO(&r, len, HDR_JSON("exit") ",\"exit_code\":3,\"signal\":0,"
			 "\"core_dumped\":false,\"lifetime_ns\":5000}");
	len = build_exit(&r, 0, 0);
	CHECK_DECODES_TO(&r, len, HDR_JSON("exit") ",\"exit_code\":0,\"signal\":0,"
			 "\"core_dumped\":false,\"lifetime_ns\":5000}");
	len = build_exit(&r, 9, OBSERVE_F_FAILED);
	CHECK_DECODES_TO(&r, len, HDR_JSON("exit") ",\"exit_code\":0,\"signal\":9,"
			 "\"signal_name\":\"SIGKILL\",\"core_dumped\":false,\"lifetime_ns\":5000}");
	len = build_exit(&r, 0x86, OBSERVE_F_FAILED);
	CHECK_DECODES_TO(&r, len, HDR_JSON("exit") ",\"exit_code\":0,\"signal\":6,"
			 "\"signal_name\":\"SIGABRT\",\"core_dumped\":true,\"lifetime_ns\":5000}");
	len = build_exit(&r, 255 << 8, OBSERVE_F_FAILED);
	CHECK_DECODES_TO(&r, len, HDR_JSON("exit") ",\"exit_code\":255,\"signal\":0,"
			 "\"core_dumped\":false,\"lifetime_ns\":5000}");
}

TEST(decode_prints_truncated_and_incomplete_flags)
{
	union record r;
	size_t len;

	len = build_fork(&r, 5, OBSERVE_F_TRUNCATED);
	CHECK_DECODES_TO(&r, len, HDR_JSON("fork") ",\"child_pid\":5,\"truncated\":true}");
	len = build_fork(&r, 5, OBSERVE_F_INCOMPLETE);
	CHECK_DECODES_TO(&r, len, HDR_JSON("fork") ",\"child_pid\":5,\"incomplete\":true}");
	len = build_fork(&r, 5, OBSERVE_F_TRUNCATED | OBSERVE_F_INCOMPLETE);
	CHECK_DECODES_TO(&r, len, HDR_JSON("fork") ",\"child_pid\":5,\"truncated\":true,"
			 "\"incomplete\":true}");
}

TEST(decode_uses_header_size_not_buffer_length)
{
	union record r;
	size_t len = build_fork(&r, 5, 0);

	/* the ring may hand over padding after the record */
	CHECK_DECODES_TO(&r, len + 8, HDR_JSON("fork") ",\"child_pid\":5}");
}

TEST(decode_adds_the_clock_offset_to_the_boot_time)
{
	const struct event_clock clock = { .realtime_minus_boottime_ns = 1795427161000000000LL };
	union record r;
	struct observe_fork_event *e = (void *)r.bytes;
	size_t len = build_fork(&r, 5, 0);
	struct json_writer w;

	e->hdr.ts_ns = 123456789;
	json_init(&w);
	CHECK_EQ_I64(0, decode_event_json(&w, r.bytes, len, &clock));
	CHECK_CONTAINS(w.buf, w.len, "{\"time\":\"2026-11-23T09:46:01.123456789Z\",");
	CHECK_CONTAINS(w.buf, w.len, ",\"ts_ns\":123456789,");
	json_free(&w);
}

/* decode_event_json() rejects rec[0..len) and leaves the writer's text as it was. */
static bool check_rejected(const char *file, int line, const union record *r, size_t len)
{
	static const char before[] = "{\"prior\":1}\n";
	struct json_writer w;
	bool ok;

	json_init(&w);
	json_object_begin(&w);
	json_kv_u64(&w, "prior", 1);
	json_object_end(&w);
	json_end_line(&w);
	ok = check_eq_i64(file, line, "decode_event_json()", -EINVAL,
			  decode_event_json(&w, r->bytes, len, &zero_clock));
	ok = check_memeq(file, line, "writer after a rejected record", before,
			 sizeof(before) - 1, w.buf, w.len) && ok;
	json_free(&w);
	return ok;
}

#define CHECK_REJECTED(r, len) check_rejected(__FILE__, __LINE__, (r), (len))

TEST(decode_rejects_a_record_shorter_than_the_header)
{
	union record r;

	build_fork(&r, 5, 0);
	CHECK_REJECTED(&r, 0);
	CHECK_REJECTED(&r, sizeof(struct observe_event_header) - 1);
}

TEST(decode_rejects_a_size_beyond_the_buffer)
{
	union record r;
	size_t len = build_fork(&r, 5, 0);

	CHECK_REJECTED(&r, len - 1);
	((struct observe_event_header *)r.bytes)->size = 1u << 31;
	CHECK_REJECTED(&r, len);
}

TEST(decode_rejects_a_size_below_the_type_minimum)
{
	union record r;
	size_t len = build_exit(&r, 0, 0);

	((struct observe_event_header *)r.bytes)->size = sizeof(struct observe_event_header);
	CHECK_REJECTED(&r, len);
	((struct observe_event_header *)r.bytes)->size = sizeof(struct observe_exit_event) - 1;
	CHECK_REJECTED(&r, len);
	((struct observe_event_header *)r.bytes)->size = 0;
	CHECK_REJECTED(&r, len);
}

TEST(decode_rejects_unknown_types)
{
	static const uint16_t bad[] = { OBSERVE_EV_NONE, OBSERVE_EV_COUNT, 99, 0xffff };
	union record r;
	size_t len = build_exit(&r, 0, 0);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		((struct observe_event_header *)r.bytes)->type = bad[i];
		if (!CHECK_REJECTED(&r, len))
			check_note("type %u", bad[i]);
	}
}

TEST(decode_rejects_exec_whose_argv_and_filename_exceed_size)
{
	union record r;
	struct observe_exec_event *e = (void *)r.bytes;
	size_t len = build_exec(&r, 0, 1, "ls", 3, "/bin/ls", 8, 0);

	e->filename_len = 9;
	CHECK_REJECTED(&r, len);
	e->filename_len = 8;
	e->argv_len = 4;
	CHECK_REJECTED(&r, len);
	e->argv_len = 0xffff;
	e->filename_len = 0xffff;
	CHECK_REJECTED(&r, len);
	/* the sizes add up to the buffer but not to the record */
	e->argv_len = 3;
	e->filename_len = 8;
	e->hdr.size = len - 1;
	CHECK_REJECTED(&r, len);
}

/* The paths the kernel resolved follow the file name: the new image's and
 * the one it replaced. */
TEST(decode_exec_prints_the_resolved_exe_and_the_image_it_replaced)
{
	static const char data[] = "sh\0./run\0/usr/bin/dash\0/usr/bin/bash";
	union record r;
	struct observe_exec_event *e = (void *)r.bytes;
	size_t len = build_exec(&r, 0, 1, data, 3, data + 3, 6, 0);

	memcpy(e->data + 9, data + 9, 14 + 14);
	e->exe_len = 14;
	e->prev_exe_len = 14;
	len += 28;
	e->hdr.size = len;
	CHECK_DECODES_TO(&r, len, HDR_JSON("exec") ",\"filename\":\"./run\","
			 "\"exe\":\"/usr/bin/dash\",\"prev_exe\":\"/usr/bin/bash\","
			 "\"argv\":[\"sh\"],\"argc\":1,\"ret\":0}");
	e->prev_exe_len = 15;	/* beyond the record */
	CHECK_REJECTED(&r, len);
}

TEST(decode_after_a_rejected_exec_writes_the_next_record_cleanly)
{
	union record bad, good;
	struct observe_exec_event *e = (void *)bad.bytes;
	size_t bad_len = build_exec(&bad, 0, 1, "ls", 3, "/bin/ls", 8, 0);
	size_t good_len = build_fork(&good, 5, 0);
	struct json_writer w;

	e->argv_len = 200;
	json_init(&w);
	CHECK_EQ_I64(-EINVAL, decode_event_json(&w, bad.bytes, bad_len, &zero_clock));
	CHECK_EQ_U64(0, w.len);
	CHECK_EQ_I64(0, decode_event_json(&w, good.bytes, good_len, &zero_clock));
	json_end_line(&w);
	CHECK_JSON(&w, HDR_JSON("fork") ",\"child_pid\":5}\n");
	json_free(&w);
}

/*
 * The writer may be inside a container of the caller's (an array of events):
 * a rejected record must leave its state as it was, so the next value still
 * gets its comma.
 */
TEST(decode_rejected_exec_keeps_the_writer_state_of_an_enclosing_array)
{
	union record bad, good;
	struct observe_exec_event *e = (void *)bad.bytes;
	size_t bad_len = build_exec(&bad, 0, 1, "ls", 3, "/bin/ls", 8, 0);
	size_t good_len = build_fork(&good, 5, 0);
	struct json_writer w;

	e->argv_len = 200;
	json_init(&w);
	json_array_begin(&w);
	json_u64(&w, 1);
	CHECK_EQ_I64(-EINVAL, decode_event_json(&w, bad.bytes, bad_len, &zero_clock));
	CHECK_EQ_I64(0, decode_event_json(&w, good.bytes, good_len, &zero_clock));
	json_array_end(&w);
	CHECK_JSON(&w, "[1," HDR_JSON("fork") ",\"child_pid\":5}]");
	json_free(&w);
}

TEST(decode_gap_prints_slot_and_lost)
{
	struct json_writer w;

	json_init(&w);
	decode_gap_json(&w, 2, 17);
	CHECK_TRUE(w.len > 10 && !memcmp(w.buf, "{\"time\":\"", 9));
	CHECK_CONTAINS(w.buf, w.len, "Z\",\"type\":\"gap\",\"slot\":2,\"lost\":17}");
	json_free(&w);
}

TEST(format_iso8601_prints_utc_with_nanoseconds)
{
	char buf[48];

	format_iso8601(buf, sizeof(buf), 0);
	CHECK_STREQ("1970-01-01T00:00:00.000000000Z", buf);
	format_iso8601(buf, sizeof(buf), 1795427161123456789LL);
	CHECK_STREQ("2026-11-23T09:46:01.123456789Z", buf);
	format_iso8601(buf, sizeof(buf), 951782400000000001LL);	/* a leap day */
	CHECK_STREQ("2000-02-29T00:00:00.000000001Z", buf);
	format_iso8601(buf, sizeof(buf), -1);
	CHECK_STREQ("1969-12-31T23:59:59.999999999Z", buf);
}

TEST(format_iso8601_keeps_the_second_apart_from_the_nanoseconds)
{
	char buf[48], small[12];

	/* The calendar part is kept from one call to the next: the same
	 * second, another second, and back must each come out right. */
	format_iso8601(buf, sizeof(buf), 1795427161000000005LL);
	CHECK_STREQ("2026-11-23T09:46:01.000000005Z", buf);
	format_iso8601(buf, sizeof(buf), 1795427161999999999LL);
	CHECK_STREQ("2026-11-23T09:46:01.999999999Z", buf);
	format_iso8601(buf, sizeof(buf), 1795427162000000000LL);
	CHECK_STREQ("2026-11-23T09:46:02.000000000Z", buf);
	format_iso8601(buf, sizeof(buf), 1795427161000000000LL);
	CHECK_STREQ("2026-11-23T09:46:01.000000000Z", buf);
	format_iso8601(small, sizeof(small), 1795427161000000000LL);
	CHECK_STREQ("2026-11-23T", small);	/* cut to fit, terminated */
}

TEST(event_clock_init_maps_boottime_to_realtime)
{
	struct event_clock clock;
	struct timespec rt, bt;
	int64_t rt_ns, bt_ns, diff;

	event_clock_init(&clock);
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	rt_ns = rt.tv_sec * 1000000000LL + rt.tv_nsec;
	bt_ns = bt.tv_sec * 1000000000LL + bt.tv_nsec;
	diff = bt_ns + clock.realtime_minus_boottime_ns - rt_ns;
	CHECK_TRUE(diff > -1000000000LL && diff < 1000000000LL);
}

TEST(errno_name_names_known_numbers_and_makes_up_the_rest)
{
	char buf[16];

	CHECK_STREQ("ENOENT", errno_name(2, buf, sizeof(buf)));
	CHECK_STREQ("EACCES", errno_name(EACCES, buf, sizeof(buf)));
	CHECK_STREQ("E4095", errno_name(4095, buf, sizeof(buf)));
	CHECK_STREQ("E-5", errno_name(-5, buf, sizeof(buf)));
}

static size_t build_open(union record *r, int32_t ret, uint64_t flags, uint32_t mode,
			 const char *path, size_t path_len, uint16_t hdr_flags)
{
	struct observe_open_event *e = (void *)r->bytes;
	size_t size = sizeof(*e) + path_len;

	memset(r, 0, sizeof(*r));
	fill_header(&e->hdr, OBSERVE_EV_OPEN, size, hdr_flags);
	e->ret = ret;
	e->dirfd = AT_FDCWD;
	e->flags = flags;
	e->mode = mode;
	e->path_len = path_len;
	memcpy(e->path, path, path_len);
	return size;
}

TEST(decode_open_prints_path_flags_and_fd)
{
	union record r;
	size_t len = build_open(&r, 3, O_RDONLY | O_CLOEXEC, 0, "/etc/hostname", 14, 0);

	CHECK_DECODES_TO(&r, len, HDR_JSON("open") ",\"syscall\":\"openat\","
			 "\"path\":\"/etc/hostname\",\"flags\":524288,"
			 "\"flag_names\":\"O_RDONLY|O_CLOEXEC\",\"ret\":3}");
}

TEST(decode_open_prints_mode_when_creating_and_errno_when_failed)
{
	union record r;
	size_t len = build_open(&r, -EACCES, O_WRONLY | O_CREAT | O_TRUNC, 0640, "/x", 3,
				OBSERVE_F_FAILED);

	CHECK_DECODES_TO(&r, len, HDR_JSON("open") ",\"syscall\":\"openat\",\"path\":\"/x\","
			 "\"flags\":577,\"flag_names\":\"O_WRONLY|O_CREAT|O_TRUNC\","
			 "\"mode\":\"0640\",\"ret\":-13,\"error\":\"EACCES\"}");
}

TEST(decode_open_rejects_a_path_longer_than_the_record)
{
	struct json_writer w;
	union record r;
	size_t len = build_open(&r, 3, 0, 0, "/etc/hostname", 14, 0);

	((struct observe_open_event *)r.bytes)->path_len = 200;
	json_init(&w);
	CHECK_EQ_I64(-EINVAL, decode_event_json(&w, r.bytes, len, &zero_clock));
	CHECK_EQ_U64(0, w.len);
	json_free(&w);
}

TEST(open_flags_name_composites_whole_and_unknown_bits_in_hex)
{
	char buf[256];

	format_open_flags(buf, sizeof(buf), O_RDWR | O_SYNC);
	CHECK_STREQ("O_RDWR|O_SYNC", buf);
	format_open_flags(buf, sizeof(buf), O_WRONLY | O_DSYNC);
	CHECK_STREQ("O_WRONLY|O_DSYNC", buf);
	format_open_flags(buf, sizeof(buf), O_RDWR | O_TMPFILE);
	CHECK_STREQ("O_RDWR|O_TMPFILE", buf);
	format_open_flags(buf, sizeof(buf), O_RDONLY | O_DIRECTORY | 0x40000000);
	CHECK_STREQ("O_RDONLY|O_DIRECTORY|0x40000000", buf);
	format_open_flags(buf, 12, O_WRONLY | O_CREAT | O_TRUNC);
	CHECK_STREQ("O_WRONLY|O_", buf);		/* cut to fit, terminated */
}

TEST(decode_connect_prints_addresses_as_text_and_errno)
{
	struct observe_conn_event *e;
	union record r;

	memset(&r, 0, sizeof(r));
	e = (void *)r.bytes;
	fill_header(&e->hdr, OBSERVE_EV_CONNECT, sizeof(*e), OBSERVE_F_FAILED);
	e->family = AF_INET6;
	e->protocol = 6;
	inet_pton(AF_INET6, "::1", e->remote.addr);
	e->remote.port = 8080;
	e->fd = 3;
	e->ret = -ECONNREFUSED;
	e->latency_ns = 1234;
	CHECK_DECODES_TO(&r, sizeof(*e), HDR_JSON("connect") ",\"family\":\"inet6\","
			 "\"protocol\":\"tcp\",\"local_addr\":\"::\",\"local_port\":0,"
			 "\"remote_addr\":\"::1\",\"remote_port\":8080,\"fd\":3,\"ret\":-111,"
			 "\"error\":\"ECONNREFUSED\",\"latency_ns\":1234}");
}

TEST(decode_tcp_close_prints_endpoints_state_and_bytes)
{
	struct observe_tcp_event *e;
	union record r;

	memset(&r, 0, sizeof(r));
	e = (void *)r.bytes;
	fill_header(&e->hdr, OBSERVE_EV_TCP_CLOSE, sizeof(*e), 0);
	e->family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", e->local.addr);
	e->local.port = 40000;
	inet_pton(AF_INET, "10.1.2.3", e->remote.addr);
	e->remote.port = 443;
	e->origin = OBSERVE_TCP_ACTIVE;
	e->last_state = 4;
	e->duration_ns = 99;
	e->bytes_sent = 10;
	e->bytes_received = 20;
	CHECK_DECODES_TO(&r, sizeof(*e), HDR_JSON("tcp_close") ",\"family\":\"inet\","
			 "\"local_addr\":\"127.0.0.1\",\"local_port\":40000,"
			 "\"remote_addr\":\"10.1.2.3\",\"remote_port\":443,\"origin\":\"connect\","
			 "\"last_state\":\"FIN_WAIT1\",\"duration_ns\":99,\"bytes_sent\":10,"
			 "\"bytes_received\":20}");
}
