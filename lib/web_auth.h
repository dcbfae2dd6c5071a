/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Who may scrape an HTTP endpoint: a bearer token, and users with password
 * hashes (an htpasswd-style file, "user:hash" per line, the hash as crypt(3)
 * makes it: bcrypt "$2y$" as node_exporter's web config and htpasswd -B,
 * sha512-crypt "$6$", yescrypt "$y$"). Both files are secrets: one that
 * every user may read is refused. What Prometheus sends for them:
 *   authorization: { credentials_file: FILE }          (the token)
 *   basic_auth: { username: U, password_file: FILE }   (a user)
 */
#ifndef OBSERVE_WEB_AUTH_H
#define OBSERVE_WEB_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#define WEB_AUTH_MAX_USERS 64

struct web_auth {
	char *token;			/* NULL: no token accepted */
	unsigned nr_users;
	struct {
		char *name;
		char *hash;
	} users[WEB_AUTH_MAX_USERS];
};

/* Each returns 0, or -1 after a one-line error naming the file and why. */
int web_auth_load_token(struct web_auth *a, const char *path);
int web_auth_load_users(struct web_auth *a, const char *path);
bool web_auth_enabled(const struct web_auth *a);
/* Whether the value of an Authorization header (NULL: none) lets in. */
bool web_auth_allows(const struct web_auth *a, const char *authorization);
void web_auth_free(struct web_auth *a);

#endif /* OBSERVE_WEB_AUTH_H */
