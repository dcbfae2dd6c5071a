// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "web_auth.h"
#include "report.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <resolv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET_FILE_MAX 65536

/* The whole of a secret file, which no other user may read. */
static char *read_secret(const char *path, const char *what)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		report_error("cannot open the %s file %s: %s", what, path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		report_error("the %s file %s is not a regular file", what, path);
		goto out;
	}
	if (st.st_mode & S_IROTH) {
		report_error("the %s file %s is readable by every user: chmod o-r it", what, path);
		goto out;
	}
	if (st.st_size > SECRET_FILE_MAX) {
		report_error("the %s file %s is over %d bytes", what, path, SECRET_FILE_MAX);
		goto out;
	}
	buf = malloc(st.st_size + 1);
	if (!buf)
		goto out;
	n = read(fd, buf, st.st_size);
	if (n < 0) {
		report_error("cannot read the %s file %s: %s", what, path, strerror(errno));
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = 0;
out:
	close(fd);
	return buf;
}

int web_auth_load_token(struct web_auth *a, const char *path)
{
	char *text = read_secret(path, "token");
	size_t len;

	if (!text)
		return -1;
	len = strcspn(text, "\r\n");
	text[len] = 0;
	if (len < 16 || strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				     "0123456789-._~+/=") != len) {
		report_error("the token in %s must be one line of at least 16 characters of "
			     "A-Z a-z 0-9 - . _ ~ + / =", path);
		free(text);
		return -1;
	}
	free(a->token);
	a->token = text;
	return 0;
}

int web_auth_load_users(struct web_auth *a, const char *path)
{
	char *text = read_secret(path, "users"), *line, *next;
	unsigned lineno = 0;

	if (!text)
		return -1;
	for (line = text; line && *line; line = next) {
		char *colon;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		line[strcspn(line, "\r")] = 0;
		if (!*line || *line == '#')
			continue;
		colon = strchr(line, ':');
		if (!colon || colon == line || colon[1] != '$') {
			report_error("%s:%u: expected user:hash, the hash as crypt(3) makes it "
				     "(htpasswd -B: $2y$...)", path, lineno);
			goto fail;
		}
		if (a->nr_users == WEB_AUTH_MAX_USERS) {
			report_error("%s: more than %d users", path, WEB_AUTH_MAX_USERS);
			goto fail;
		}
		*colon = 0;
		a->users[a->nr_users].name = strdup(line);
		a->users[a->nr_users].hash = strdup(colon + 1);
		if (!a->users[a->nr_users].name || !a->users[a->nr_users].hash)
			goto fail;
		a->nr_users++;
	}
	free(text);
	if (!a->nr_users) {
		report_error("%s has no user", path);
		return -1;
	}
	return 0;
fail:
	free(text);
	return -1;
}

bool web_auth_enabled(const struct web_auth *a)
{
	return a->token || a->nr_users;
}

/* Compares in a time that does not depend on where they differ. */
static bool same_secret(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	for (size_t i = 0; i < la; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)b[i % (lb ? lb : 1)];
	return !diff;
}

static bool user_allowed(const struct web_auth *a, const char *encoded)
{
	unsigned char decoded[512];
	struct crypt_data data;
	const char *hash;
	char *colon;
	int n = b64_pton(encoded, decoded, sizeof(decoded) - 1);

	if (n <= 0)
		return false;
	decoded[n] = 0;
	colon = strchr((char *)decoded, ':');
	if (!colon)
		return false;
	*colon = 0;
	for (unsigned i = 0; i < a->nr_users; i++) {
		if (strcmp(a->users[i].name, (char *)decoded))
			continue;
		memset(&data, 0, sizeof(data));
		hash = crypt_r(colon + 1, a->users[i].hash, &data);
		return hash && hash[0] != '*' && same_secret(hash, a->users[i].hash);
	}
	return false;
}

bool web_auth_allows(const struct web_auth *a, const char *authorization)
{
	if (!web_auth_enabled(a))
		return true;
	if (!authorization)
		return false;
	if (a->token && !strncasecmp(authorization, "Bearer ", 7))
		return same_secret(authorization + 7, a->token);
	if (a->nr_users && !strncasecmp(authorization, "Basic ", 6))
		return user_allowed(a, authorization + 6);
	return false;
}

void web_auth_free(struct web_auth *a)
{
	free(a->token);
	for (unsigned i = 0; i < a->nr_users; i++) {
		free(a->users[i].name);
		free(a->users[i].hash);
	}
	memset(a, 0, sizeof(*a));
}
