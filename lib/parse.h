/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Parsing what users type: pids, users, comms, event types, sizes, durations,
 * cgroups. Each returns 0, or -1 with a one-line reason in err (no program
 * name, no newline), and never writes its output on failure.
 */
#ifndef OBSERVE_PARSE_H
#define OBSERVE_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PARSE_ERR_LEN 256

int parse_u64(const char *s, uint64_t min, uint64_t max, const char *what,
	      uint64_t *out, char *err);
int parse_pid(const char *s, uint32_t *pid, char *err);
/* A user name or a numeric uid. */
int parse_uid(const char *s, uint32_t *uid, char *err);
/* 1 to 15 bytes, as the kernel keeps a task's comm; zero-padded to 16. */
int parse_comm(const char *s, char comm[16], char *err);
/* A comma list of event types ("exec,exit"), collectors ("process") or "all". */
int parse_types(const char *s, uint64_t *mask, char *err);
/* Bytes with an optional K, M or G suffix (powers of 1024). */
int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *bytes, char *err);
/* Seconds, fractions allowed ("2", "0.5"), up to a day; into milliseconds. */
int parse_seconds(const char *s, uint64_t *ms, char *err);
/*
 * A cgroup v2 id: a number, or a cgroup directory (absolute, or relative to
 * the cgroup2 mount) whose inode number is its id.
 */
int parse_cgroup(const char *s, uint64_t *id, char *err);

/* A TCP/UDP port, 1-65535. */
int parse_port(const char *s, uint16_t *port, char *err);

/* "10.0.0.0/8", "2001:db8::/32", or an address alone (/32, /128), into an
 * observe_cidr_key: IPv4 as ::ffff:a.b.c.d, its prefix length counted in
 * that form. Bits past the prefix must be zero. */
struct observe_cidr_key;
int parse_cidr(const char *s, struct observe_cidr_key *key, char *err);
/* Its text form again: "10.0.0.0/8". */
void format_cidr(char *buf, size_t len, const struct observe_cidr_key *key);
/* Where cgroup2 is mounted, or NULL. */
const char *cgroup2_mount(void);

/* After getopt_long: 0, or -1 with an error naming the first operand left
 * (no observe program takes operands). */
int parse_no_operands(int argc, char **argv);

/* A TLS connection as observe-tls prints it: "0x55d0c8a3e2a0" (0x optional). */
int parse_conn(const char *s, uint64_t *conn, char *err);

/* "127.0.0.1:9477" or "[::1]:9477" (numeric addresses only) into a socket
 * address for bind(). */
int parse_listen(const char *s, struct sockaddr_storage *addr, socklen_t *len, char *err);

/*
 * One meaning per letter across observe's binaries (README "Options"):
 * -p pid, -u user, -c command name, -t types, -x failed only, -n count,
 * -d duration, -o output, -i interval, -j JSON, -f follow, -N top rows.
 * A binary that gave a letter another meaning keeps it for one release
 * and warns, naming the long option to use instead.
 */
void parse_warn_old_letter(char letter, const char *use_instead);

#endif /* OBSERVE_PARSE_H */
