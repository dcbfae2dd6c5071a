// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* lib/parse: what users type. Failures leave the output alone and say why. */
#include "check.h"
#include "events.h"
#include "net.h"
#include "parse.h"

#include <pwd.h>
#include <string.h>
#include <sys/stat.h>

#define SENTINEL 0xdeadbeefu

/* A rejection: -1, the output untouched, and one line of reason. */
static bool check_rejects(const char *file, int line, const char *call, int rc, uint64_t out,
			  uint64_t sentinel, const char *err)
{
	bool ok = check_eq_i64(file, line, call, -1, rc);

	ok = check_eq_u64(file, line, "output of a failed parse", sentinel, out) && ok;
	ok = check_true(file, line, "err is not empty", err[0] != '\0') && ok;
	ok = check_true(file, line, "err is one line", !strchr(err, '\n')) && ok;
	return ok;
}

/* Runs call (which writes out and err) from a sentinel and checks it fails. */
#define CHECK_REJECTS(call, out, err)							\
	do {										\
		int rc_;								\
		(out) = SENTINEL;							\
		(err)[0] = '\0';							\
		rc_ = (call);								\
		check_rejects(__FILE__, __LINE__, #call, rc_, (out), SENTINEL, (err));	\
	} while (0)

/* Runs call from a sentinel and checks it succeeds with out == expected. */
#define CHECK_PARSES(call, out, expected, err)						\
	do {										\
		int rc_;								\
		(out) = SENTINEL;							\
		(err)[0] = '\0';							\
		rc_ = (call);								\
		if (!CHECK_EQ_I64(0, rc_))						\
			check_note("err: %s", (err));					\
		CHECK_EQ_U64((expected), (out));					\
	} while (0)

TEST(parse_u64_checks_digits_and_range)
{
	char err[PARSE_ERR_LEN];
	uint64_t v;

	CHECK_PARSES(parse_u64("5", 1, 10, "count", &v, err), v, 5, err);
	CHECK_PARSES(parse_u64("10", 1, 10, "count", &v, err), v, 10, err);
	CHECK_PARSES(parse_u64("18446744073709551615", 0, UINT64_MAX, "n", &v, err), v,
		     UINT64_MAX, err);
	CHECK_REJECTS(parse_u64("11", 1, 10, "count", &v, err), v, err);
	CHECK_STR_CONTAINS(err, "count");
	CHECK_REJECTS(parse_u64("0", 1, 10, "count", &v, err), v, err);
	CHECK_REJECTS(parse_u64("18446744073709551616", 0, UINT64_MAX, "n", &v, err), v, err);
	CHECK_REJECTS(parse_u64("", 0, 10, "n", &v, err), v, err);
	CHECK_REJECTS(parse_u64(NULL, 0, 10, "n", &v, err), v, err);
	CHECK_REJECTS(parse_u64("-1", 0, 10, "n", &v, err), v, err);
	CHECK_REJECTS(parse_u64("+1", 0, 10, "n", &v, err), v, err);
	CHECK_REJECTS(parse_u64(" 1", 0, 10, "n", &v, err), v, err);
	CHECK_REJECTS(parse_u64("1 ", 0, 10, "n", &v, err), v, err);
}

TEST(parse_pid_accepts_1_to_pid_max_limit)
{
	char err[PARSE_ERR_LEN];
	uint32_t pid;

	CHECK_PARSES(parse_pid("1", &pid, err), pid, 1, err);
	CHECK_PARSES(parse_pid("4242", &pid, err), pid, 4242, err);
	CHECK_PARSES(parse_pid("4194304", &pid, err), pid, 4194304, err);
	CHECK_REJECTS(parse_pid("4194305", &pid, err), pid, err);
	CHECK_STR_CONTAINS(err, "4194305");
	CHECK_REJECTS(parse_pid("0", &pid, err), pid, err);
	CHECK_REJECTS(parse_pid("abc", &pid, err), pid, err);
	CHECK_STR_CONTAINS(err, "abc");
	CHECK_REJECTS(parse_pid("12x", &pid, err), pid, err);
	CHECK_REJECTS(parse_pid("", &pid, err), pid, err);
	CHECK_REJECTS(parse_pid("-1", &pid, err), pid, err);
	CHECK_REJECTS(parse_pid("4294967297", &pid, err), pid, err);
	CHECK_REJECTS(parse_pid("99999999999999999999999", &pid, err), pid, err);
}

TEST(parse_uid_accepts_numbers_and_user_names)
{
	char err[PARSE_ERR_LEN];
	struct passwd *pw;
	uint32_t uid;

	CHECK_PARSES(parse_uid("0", &uid, err), uid, 0, err);
	CHECK_PARSES(parse_uid("root", &uid, err), uid, 0, err);
	CHECK_PARSES(parse_uid("1000", &uid, err), uid, 1000, err);
	CHECK_PARSES(parse_uid("4294967294", &uid, err), uid, 4294967294u, err);
	pw = getpwnam("nobody");
	if (pw)
		CHECK_PARSES(parse_uid("nobody", &uid, err), uid, pw->pw_uid, err);
}

TEST(parse_uid_rejects_unknown_users_and_uid_minus_1)
{
	char err[PARSE_ERR_LEN];
	uint32_t uid;

	CHECK_REJECTS(parse_uid("no-such-user-observe", &uid, err), uid, err);
	CHECK_STR_CONTAINS(err, "no-such-user-observe");
	/* (uid_t)-1 means "no uid" to the kernel */
	CHECK_REJECTS(parse_uid("4294967295", &uid, err), uid, err);
	CHECK_REJECTS(parse_uid("4294967296", &uid, err), uid, err);
	CHECK_REJECTS(parse_uid("12x", &uid, err), uid, err);
	CHECK_REJECTS(parse_uid("", &uid, err), uid, err);
	CHECK_REJECTS(parse_uid(NULL, &uid, err), uid, err);
}

TEST(parse_comm_zero_pads_up_to_15_bytes)
{
	char err[PARSE_ERR_LEN] = "", comm[16];

	memset(comm, 'X', sizeof(comm));
	CHECK_EQ_I64(0, parse_comm("sh", comm, err));
	CHECK_MEMEQ("sh\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16, comm, sizeof(comm));

	memset(comm, 'X', sizeof(comm));
	CHECK_EQ_I64(0, parse_comm("123456789012345", comm, err));
	CHECK_MEMEQ("123456789012345\0", 16, comm, sizeof(comm));
}

TEST(parse_comm_rejects_empty_and_16_bytes)
{
	static const char *const bad[] = { "", "1234567890123456", "a-much-longer-command-name",
					   NULL };
	char err[PARSE_ERR_LEN], comm[16];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(comm, 'X', sizeof(comm));
		err[0] = '\0';
		CHECK_EQ_I64(-1, parse_comm(bad[i], comm, err));
		CHECK_MEMEQ("XXXXXXXXXXXXXXXX", 16, comm, sizeof(comm));
		if (!CHECK_TRUE(err[0] != '\0'))
			check_note("input %zu", i);
	}
}

TEST(parse_types_reads_types_collectors_and_all)
{
	char err[PARSE_ERR_LEN];
	uint64_t mask;

	CHECK_PARSES(parse_types("exec", &mask, err), mask, 1ULL << OBSERVE_EV_EXEC, err);
	CHECK_PARSES(parse_types("exec,exit", &mask, err), mask,
		     1ULL << OBSERVE_EV_EXEC | 1ULL << OBSERVE_EV_EXIT, err);
	CHECK_PARSES(parse_types("process", &mask, err), mask,
		     1ULL << OBSERVE_EV_EXEC | 1ULL << OBSERVE_EV_FORK | 1ULL << OBSERVE_EV_EXIT,
		     err);
	CHECK_PARSES(parse_types("all", &mask, err), mask, EVENT_TYPES_ALL, err);
	CHECK_PARSES(parse_types("fork,process", &mask, err), mask,
		     collector_types(OBSERVE_COLLECTOR_PROCESS), err);
	CHECK_PARSES(parse_types("exec,,fork,", &mask, err), mask,
		     1ULL << OBSERVE_EV_EXEC | 1ULL << OBSERVE_EV_FORK, err);
}

TEST(parse_types_rejects_unknown_names_and_says_which)
{
	char err[PARSE_ERR_LEN], long_list[400];
	uint64_t mask;

	CHECK_REJECTS(parse_types("exec,bogus", &mask, err), mask, err);
	CHECK_STR_CONTAINS(err, "'bogus'");
	CHECK_STR_CONTAINS(err, "exec, fork, exit");
	CHECK_REJECTS(parse_types("none", &mask, err), mask, err);
	CHECK_STR_CONTAINS(err, "'none'");
	CHECK_REJECTS(parse_types("Exec", &mask, err), mask, err);
	CHECK_REJECTS(parse_types("", &mask, err), mask, err);
	CHECK_REJECTS(parse_types(",", &mask, err), mask, err);
	CHECK_REJECTS(parse_types(NULL, &mask, err), mask, err);
	memset(long_list, 0, sizeof(long_list));
	for (size_t n = 0; n + 5 < sizeof(long_list); n += 5)
		memcpy(long_list + n, "exec,", 5);
	CHECK_REJECTS(parse_types(long_list, &mask, err), mask, err);
}

TEST(parse_size_reads_k_m_g_suffixes_as_powers_of_1024)
{
	char err[PARSE_ERR_LEN];
	uint64_t bytes;

	CHECK_PARSES(parse_size("4096", 0, UINT64_MAX, &bytes, err), bytes, 4096, err);
	CHECK_PARSES(parse_size("64K", 0, UINT64_MAX, &bytes, err), bytes, 65536, err);
	CHECK_PARSES(parse_size("4M", 0, UINT64_MAX, &bytes, err), bytes, 4194304, err);
	CHECK_PARSES(parse_size("1G", 0, UINT64_MAX, &bytes, err), bytes, 1073741824, err);
	CHECK_PARSES(parse_size("4MiB", 0, UINT64_MAX, &bytes, err), bytes, 4194304, err);
	CHECK_PARSES(parse_size("4m", 0, UINT64_MAX, &bytes, err), bytes, 4194304, err);
	CHECK_PARSES(parse_size("8KB", 0, UINT64_MAX, &bytes, err), bytes, 8192, err);
	CHECK_PARSES(parse_size("16G", 0, UINT64_MAX, &bytes, err), bytes, 16ULL << 30, err);
}

TEST(parse_size_rejects_garbage_and_out_of_range)
{
	char err[PARSE_ERR_LEN];
	uint64_t bytes;

	CHECK_REJECTS(parse_size("garbage", 0, UINT64_MAX, &bytes, err), bytes, err);
	CHECK_STR_CONTAINS(err, "garbage");
	CHECK_REJECTS(parse_size("", 0, UINT64_MAX, &bytes, err), bytes, err);
	CHECK_REJECTS(parse_size(NULL, 0, UINT64_MAX, &bytes, err), bytes, err);
	CHECK_REJECTS(parse_size("4X", 0, UINT64_MAX, &bytes, err), bytes, err);
	CHECK_REJECTS(parse_size("4MM", 0, UINT64_MAX, &bytes, err), bytes, err);
	CHECK_REJECTS(parse_size("4 M", 0, UINT64_MAX, &bytes, err), bytes, err);
	CHECK_REJECTS(parse_size("-4M", 0, UINT64_MAX, &bytes, err), bytes, err);
	CHECK_REJECTS(parse_size("0x10", 0, UINT64_MAX, &bytes, err), bytes, err);
	CHECK_REJECTS(parse_size("1K", 4096, UINT64_MAX, &bytes, err), bytes, err);
	CHECK_REJECTS(parse_size("5G", 0, 4ULL << 30, &bytes, err), bytes, err);
	CHECK_REJECTS(parse_size("4097", 0, 4096, &bytes, err), bytes, err);
	/* would overflow 64 bits once shifted */
	CHECK_REJECTS(parse_size("17179869184G", 0, UINT64_MAX, &bytes, err), bytes, err);
	CHECK_REJECTS(parse_size("99999999999999999999999", 0, UINT64_MAX, &bytes, err), bytes,
		      err);
}

/* "i" and "B" only make sense after K, M or G ("KiB") or alone ("B"). */
TEST(parse_size_rejects_i_without_a_unit)
{
	char err[PARSE_ERR_LEN];
	uint64_t bytes;

	CHECK_REJECTS(parse_size("4i", 0, UINT64_MAX, &bytes, err), bytes, err);
	CHECK_REJECTS(parse_size("4iB", 0, UINT64_MAX, &bytes, err), bytes, err);
}

TEST(parse_seconds_reads_fractions_into_milliseconds)
{
	char err[PARSE_ERR_LEN];
	uint64_t ms;

	CHECK_PARSES(parse_seconds("2", &ms, err), ms, 2000, err);
	CHECK_PARSES(parse_seconds("0.5", &ms, err), ms, 500, err);
	CHECK_PARSES(parse_seconds(".25", &ms, err), ms, 250, err);
	CHECK_PARSES(parse_seconds("1.25", &ms, err), ms, 1250, err);
	CHECK_PARSES(parse_seconds("0.0001", &ms, err), ms, 1, err);	/* never 0 */
	CHECK_PARSES(parse_seconds("86400", &ms, err), ms, 86400000, err);
}

TEST(parse_seconds_rejects_zero_negative_and_words)
{
	static const char *const bad[] = { "0", "0.0", "-1", "abc", "", "2s", "1.5.0",
					   "86400.5", "inf", "nan", " 1", "0x10", "1e3", "." };
	char err[PARSE_ERR_LEN];
	uint64_t ms;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_REJECTS(parse_seconds(bad[i], &ms, err), ms, err);
	CHECK_REJECTS(parse_seconds(NULL, &ms, err), ms, err);
}

TEST(parse_cgroup_accepts_a_numeric_id)
{
	char err[PARSE_ERR_LEN];
	uint64_t id;

	CHECK_PARSES(parse_cgroup("1", &id, err), id, 1, err);
	CHECK_PARSES(parse_cgroup("18446744073709551615", &id, err), id, UINT64_MAX, err);
}

TEST(parse_cgroup_rejects_missing_paths_and_id_0)
{
	char err[PARSE_ERR_LEN];
	uint64_t id;

	CHECK_REJECTS(parse_cgroup("/no/such/cgroup-observe-test", &id, err), id, err);
	CHECK_REJECTS(parse_cgroup("no-such-cgroup-observe-test", &id, err), id, err);
	CHECK_REJECTS(parse_cgroup("0", &id, err), id, err);
	CHECK_REJECTS(parse_cgroup("", &id, err), id, err);
	CHECK_REJECTS(parse_cgroup(NULL, &id, err), id, err);
}

TEST(parse_cgroup_resolves_paths_in_the_cgroup2_mount)
{
	const char *mount = cgroup2_mount();
	char err[PARSE_ERR_LEN];
	struct stat st;
	uint64_t id;

	if (!mount)
		return;		/* nothing to resolve against on this machine */
	if (!CHECK_EQ_I64(0, stat(mount, &st)))
		return;
	/* relative to the mount, with or without a leading slash */
	CHECK_PARSES(parse_cgroup("/", &id, err), id, st.st_ino, err);
	CHECK_PARSES(parse_cgroup(".", &id, err), id, st.st_ino, err);
	/* an absolute path inside the mount */
	CHECK_PARSES(parse_cgroup(mount, &id, err), id, st.st_ino, err);
	/* exists in the mount, but is a file */
	CHECK_REJECTS(parse_cgroup("cgroup.procs", &id, err), id, err);
	/* exists outside cgroup2 only */
	CHECK_REJECTS(parse_cgroup("/proc", &id, err), id, err);
}

TEST(parse_port_takes_1_to_65535)
{
	char err[PARSE_ERR_LEN];
	uint16_t port;

	CHECK_EQ_I64(0, parse_port("443", &port, err));
	CHECK_EQ_U64(443, port);
	CHECK_EQ_I64(0, parse_port("65535", &port, err));
	CHECK_EQ_U64(65535, port);
	CHECK_EQ_I64(-1, parse_port("0", &port, err));
	CHECK_EQ_I64(-1, parse_port("65536", &port, err));
	CHECK_EQ_I64(-1, parse_port("http", &port, err));
}

/* Parses, then formats back: the round trip shows prefix and mapping. */
static void check_cidr(const char *file, int line, const char *text, unsigned prefixlen,
		       const char *formatted)
{
	struct observe_cidr_key key;
	char err[PARSE_ERR_LEN], back[64];

	if (!check_eq_i64(file, line, text, 0, parse_cidr(text, &key, err))) {
		check_note("err: %s", err);
		return;
	}
	check_eq_u64(file, line, "prefixlen", prefixlen, key.prefixlen);
	format_cidr(back, sizeof(back), &key);
	check_streq(file, line, "format_cidr()", formatted, back);
}

#define CHECK_CIDR(text, prefixlen, formatted) check_cidr(__FILE__, __LINE__, text, prefixlen, formatted)

TEST(parse_cidr_maps_ipv4_into_ipv6_and_counts_the_prefix_there)
{
	struct observe_cidr_key key;
	char err[PARSE_ERR_LEN];

	CHECK_CIDR("10.0.0.0/8", 96 + 8, "10.0.0.0/8");
	CHECK_CIDR("127.0.0.2", 128, "127.0.0.2/32");
	CHECK_CIDR("0.0.0.0/0", 96, "0.0.0.0/0");
	CHECK_CIDR("2001:db8::/32", 32, "2001:db8::/32");
	CHECK_CIDR("::1", 128, "::1/128");
	CHECK_EQ_I64(0, parse_cidr("192.168.1.0/24", &key, err));
	CHECK_EQ_U64(0xff, key.addr[10]);
	CHECK_EQ_U64(0xff, key.addr[11]);
	CHECK_EQ_U64(192, key.addr[12]);
}

TEST(parse_cidr_refuses_bad_addresses_prefixes_and_host_bits)
{
	static const char *const bad[] = {
		"", "10.0.0", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x",
		"10.0.0.1/8", "2001:db8::1/32", "example.com", "1.2.3.4/8/8",
	};
	struct observe_cidr_key key;
	char err[PARSE_ERR_LEN];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		check_note("input '%s'", bad[i]);
		CHECK_EQ_I64(-1, parse_cidr(bad[i], &key, err));
		CHECK_TRUE(err[0] != 0 && !strchr(err, '\n'));
	}
}
