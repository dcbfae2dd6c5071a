// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "parse.h"
#include "report.h"
#include "events.h"
#include "net.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <mntent.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#define PID_MAX_LIMIT 4194304	/* the kernel's ceiling for pid_max */

static int fail(char *err, const char *fmt, const char *arg)
{
	snprintf(err, PARSE_ERR_LEN, fmt, arg);
	return -1;
}

int parse_u64(const char *s, uint64_t min, uint64_t max, const char *what,
	      uint64_t *out, char *err)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return snprintf(err, PARSE_ERR_LEN, "%s must be a number, not '%s'", what,
				s ? s : ""), -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return snprintf(err, PARSE_ERR_LEN, "%s must be a number, not '%s'", what, s), -1;
	if (errno == ERANGE || v < min || v > max)
		return snprintf(err, PARSE_ERR_LEN, "%s must be between %llu and %llu, not %s",
				what, (unsigned long long)min, (unsigned long long)max, s), -1;
	*out = v;
	return 0;
}

int parse_pid(const char *s, uint32_t *pid, char *err)
{
	uint64_t v;

	if (parse_u64(s, 1, PID_MAX_LIMIT, "pid", &v, err))
		return -1;
	*pid = v;
	return 0;
}

int parse_uid(const char *s, uint32_t *uid, char *err)
{
	struct passwd *pw;
	uint64_t v;

	if (s && isdigit((unsigned char)*s)) {
		/* (uid_t)-1 means "no uid" to the kernel */
		if (parse_u64(s, 0, UINT32_MAX - 1, "uid", &v, err))
			return -1;
		*uid = v;
		return 0;
	}
	pw = s && *s ? getpwnam(s) : NULL;
	if (!pw)
		return fail(err, "no such user: '%s'", s ? s : "");
	*uid = pw->pw_uid;
	return 0;
}

int parse_comm(const char *s, char comm[16], char *err)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0)
		return fail(err, "comm must not be empty%s", "");
	if (n > 15)
		return fail(err, "comm is at most 15 bytes, as the kernel keeps it: '%s'", s);
	memset(comm, 0, 16);
	memcpy(comm, s, n);
	return 0;
}

int parse_types(const char *s, uint64_t *mask, char *err)
{
	char buf[256], *save = NULL, *tok;
	uint64_t m = 0;

	if (!s || !*s)
		return fail(err, "no event types given%s", "");
	if (strlen(s) >= sizeof(buf))
		return fail(err, "event type list too long%s", "");
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int t, c;

		if (!strcmp(tok, "all")) {
			m |= EVENT_TYPES_ALL;
		} else if ((t = event_type_by_name(tok)) > 0) {
			m |= 1ULL << t;
		} else if ((c = collector_by_name(tok)) >= 0) {
			m |= collector_types(c);
		} else {
			char names[EVENT_TYPE_NAMES_LEN] = "", collectors[COLLECTOR_NAMES_LEN] = "";

			for (unsigned i = 1; i < OBSERVE_EV_COUNT; i++) {
				strcat(names, i > 1 ? ", " : "");
				strcat(names, event_type_name(i));
			}
			for (unsigned i = 0; i < OBSERVE_COLLECTOR_COUNT; i++) {
				strcat(collectors, i ? ", " : "");
				strcat(collectors, collector_name(i));
			}
			snprintf(err, PARSE_ERR_LEN,
				 "unknown event type '%s' (types: %s; collectors: %s; or all)",
				 tok, names, collectors);
			return -1;
		}
	}
	if (!m)
		return fail(err, "no event types given in '%s'", s);
	*mask = m;
	return 0;
}

int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *bytes, char *err)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return fail(err, "size must be a number with an optional K, M or G: '%s'", s ? s : "");
	errno = 0;
	v = strtoull(s, &end, 10);
	switch (toupper((unsigned char)*end)) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	}
	if (shift && (*end == 'i' || *end == 'I'))	/* "MiB" */
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end)
		return fail(err, "size must be a number with an optional K, M or G: '%s'", s);
	if (errno == ERANGE || v > (max >> shift) || (v << shift) < min) {
		snprintf(err, PARSE_ERR_LEN, "size must be between %llu and %llu bytes, not %s",
			 (unsigned long long)min, (unsigned long long)max, s);
		return -1;
	}
	*bytes = (uint64_t)v << shift;
	return 0;
}

int parse_seconds(const char *s, uint64_t *ms, char *err)
{
	double v;
	char *end;

	/* Plain decimals only: strtod would also take "0x10" or "1e3". */
	if (!s || !*s || strspn(s, "0123456789.") != strlen(s) || strchr(s, '.') != strrchr(s, '.') ||
	    !strpbrk(s, "0123456789"))
		return fail(err, "duration must be a number of seconds, not '%s'", s ? s : "");
	errno = 0;
	v = strtod(s, &end);
	if (*end || errno)
		return fail(err, "duration must be a number of seconds, not '%s'", s);
	if (v <= 0 || v > 86400)
		return fail(err, "duration must be more than 0 and at most 86400 seconds, not %s", s);
	*ms = (uint64_t)(v * 1000 + 0.5);
	if (!*ms)
		*ms = 1;
	return 0;
}

const char *cgroup2_mount(void)
{
	static char path[4096];
	struct mntent *m;
	FILE *f;

	if (path[0])
		return path;
	f = setmntent("/proc/self/mounts", "r");
	if (!f)
		return NULL;
	while ((m = getmntent(f))) {
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(path, sizeof(path), "%s", m->mnt_dir);
			break;
		}
	}
	endmntent(f);
	return path[0] ? path : NULL;
}

int parse_cgroup(const char *s, uint64_t *id, char *err)
{
	const char *root = NULL;
	char path[4096];
	struct statfs fs;
	struct stat st;
	uint64_t v;

	if (!s || !*s)
		return fail(err, "cgroup must be a path or an id%s", "");
	if (isdigit((unsigned char)*s) && !parse_u64(s, 1, UINT64_MAX, "cgroup id", &v, err)) {
		*id = v;
		return 0;
	}
	if (s[0] == '/' && !stat(s, &st) && !statfs(s, &fs) && fs.f_type == CGROUP2_SUPER_MAGIC) {
		snprintf(path, sizeof(path), "%s", s);
	} else {
		root = cgroup2_mount();
		if (!root)
			return fail(err, "no cgroup2 file system is mounted to find '%s' in", s);
		snprintf(path, sizeof(path), "%s/%s", root, s[0] == '/' ? s + 1 : s);
	}
	if (stat(path, &st))
		return fail(err, "no such cgroup: '%s'", s);
	if (statfs(path, &fs) || fs.f_type != CGROUP2_SUPER_MAGIC)
		return fail(err, "'%s' is not in a cgroup2 file system", s);
	if (!S_ISDIR(st.st_mode))
		return fail(err, "'%s' is not a cgroup directory", s);
	*id = st.st_ino;
	return 0;
}

int parse_port(const char *s, uint16_t *port, char *err)
{
	uint64_t v;

	if (parse_u64(s, 1, 65535, "port", &v, err))
		return -1;
	*port = v;
	return 0;
}

int parse_cidr(const char *s, struct observe_cidr_key *key, char *err)
{
	char addr[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t prefix;
	bool v4;

	memset(key, 0, sizeof(*key));
	if (len >= sizeof(addr))
		goto bad;
	memcpy(addr, s, len);
	addr[len] = 0;
	v4 = inet_pton(AF_INET, addr, &key->addr[12]) == 1;
	if (v4) {
		key->addr[10] = key->addr[11] = 0xff;
	} else if (inet_pton(AF_INET6, addr, key->addr) != 1) {
		goto bad;
	}
	prefix = v4 ? 32 : 128;
	if (slash && parse_u64(slash + 1, 0, prefix, "prefix length", &prefix, err))
		return -1;
	key->prefixlen = prefix + (v4 ? 96 : 0);
	for (unsigned bit = key->prefixlen; bit < 128; bit++) {
		if (key->addr[bit / 8] & (0x80 >> (bit % 8))) {
			snprintf(err, PARSE_ERR_LEN, "%s has bits set past its prefix length", s);
			return -1;
		}
	}
	return 0;
bad:
	snprintf(err, PARSE_ERR_LEN, "not an IPv4 or IPv6 address or network: '%s'", s);
	return -1;
}

void format_cidr(char *buf, size_t len, const struct observe_cidr_key *key)
{
	static const unsigned char v4_mapped[12] = { [10] = 0xff, [11] = 0xff };
	char text[INET6_ADDRSTRLEN] = "?";

	if (key->prefixlen >= 96 && !memcmp(key->addr, v4_mapped, sizeof(v4_mapped))) {
		inet_ntop(AF_INET, &key->addr[12], text, sizeof(text));
		snprintf(buf, len, "%s/%u", text, key->prefixlen - 96);
		return;
	}
	inet_ntop(AF_INET6, key->addr, text, sizeof(text));
	snprintf(buf, len, "%s/%u", text, key->prefixlen);
}

int parse_listen(const char *s, struct sockaddr_storage *addr, socklen_t *len, char *err)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;
	struct sockaddr_in *in4 = (struct sockaddr_in *)addr;
	uint16_t port;
	size_t n;

	if (!colon || colon == s)
		return fail(err, "listen address must be ADDRESS:PORT (127.0.0.1:9477, [::1]:9477), "
			    "not '%s'", s);
	if (parse_port(colon + 1, &port, err))
		return -1;
	n = colon - s;
	if (s[0] == '[') {	/* [v6]:port */
		if (n < 3 || s[n - 1] != ']')
			return fail(err, "bad listen address '%s': an IPv6 address goes in brackets", s);
		s++;
		n -= 2;
	} else if (memchr(s, ':', n)) {
		return fail(err, "bad listen address '%s': an IPv6 address goes in brackets "
			    "([::1]:9477)", s);
	}
	if (n >= sizeof(host))
		return fail(err, "bad listen address '%s'", s);
	memcpy(host, s, n);
	host[n] = 0;
	memset(addr, 0, sizeof(*addr));
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return 0;
	}
	return fail(err, "bad listen address '%s': give a numeric IPv4 or [IPv6] address", host);
}

int parse_conn(const char *s, uint64_t *conn, char *err)
{
	unsigned long long v;
	const char *digits = s;
	char *end;

	if (!strncmp(digits, "0x", 2) || !strncmp(digits, "0X", 2))
		digits += 2;
	if (!isxdigit((unsigned char)*digits))
		return fail(err, "a connection is the hex \"conn\" of a record (0x55d0c8a3e2a0), "
			    "not '%s'", s);
	errno = 0;
	v = strtoull(digits, &end, 16);
	if (*end || errno == ERANGE || !v)
		return fail(err, "a connection is the hex \"conn\" of a record (0x55d0c8a3e2a0), "
			    "not '%s'", s);
	*conn = v;
	return 0;
}

int parse_no_operands(int argc, char **argv)
{
	if (optind < argc) {
		report_error("unexpected argument '%s' (try --help)", argv[optind]);
		return -1;
	}
	return 0;
}

/* What each letter means in every observe binary, for the warning. */
static const struct {
	char letter;
	const char *meaning;
} letter_meanings[] = {
	{ 'c', "--comm" }, { 'd', "--duration" }, { 'n', "--count" }, { 'x', "--failed" },
	{ 'C', "--collectors (observe-load)" },
};

void parse_warn_old_letter(char letter, const char *use_instead)
{
	const char *meaning = "something else";

	for (size_t i = 0; i < sizeof(letter_meanings) / sizeof(letter_meanings[0]); i++)
		if (letter_meanings[i].letter == letter)
			meaning = letter_meanings[i].meaning;
	report_warn("-%c here is deprecated and goes in the next release (-%c means %s in "
		    "observe's binaries): use %s", letter, letter, meaning, use_instead);
}
