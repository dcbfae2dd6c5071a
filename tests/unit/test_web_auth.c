// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* lib/web_auth: who may scrape, from a token file or a users file. */
#include "check.h"
#include "report.h"
#include "web_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A file with text, mode given; its path in buf. */
static bool write_file(char *buf, const char *text, mode_t mode)
{
	int fd;

	strcpy(buf, "/tmp/observe-web-auth-XXXXXX");
	fd = mkstemp(buf);
	if (fd < 0)
		return false;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fchmod(fd, mode)) {
		close(fd);
		return false;
	}
	close(fd);
	return true;
}

TEST(web_auth_takes_the_bearer_token_and_nothing_else)
{
	struct web_auth a = {};
	char path[64];

	if (!CHECK_TRUE(write_file(path, "0123456789abcdefXYZ\n", 0640)))
		return;
	CHECK_EQ_I64(0, web_auth_load_token(&a, path));
	CHECK_TRUE(web_auth_allows(&a, "Bearer 0123456789abcdefXYZ"));
	CHECK_TRUE(web_auth_allows(&a, "bearer 0123456789abcdefXYZ"));
	CHECK_FALSE(web_auth_allows(&a, "Bearer 0123456789abcdefXY"));
	CHECK_FALSE(web_auth_allows(&a, "Bearer 0123456789abcdefXYZZ"));
	CHECK_FALSE(web_auth_allows(&a, NULL));
	CHECK_FALSE(web_auth_allows(&a, "Basic MDEyMzQ1Njc4OWFiY2RlZlhZWg=="));
	web_auth_free(&a);
	unlink(path);
}

TEST(web_auth_checks_a_users_password_against_its_crypt_hash)
{
	struct web_auth a = {};
	char path[64];

	/* openssl passwd -6 -salt abcdefgh secret-pass */
	if (!CHECK_TRUE(write_file(path, "# who may scrape\n\nprom:$6$abcdefgh$dOAswuplV1o9dSuZaCiJndz"
				   "RQdlk.7WN0Cjpa/TYuMsSTnxrJIXNUJbfVqGARctv20dACumy5RLYEZNXKynyW/\n",
				   0600)))
		return;
	CHECK_EQ_I64(0, web_auth_load_users(&a, path));
	CHECK_EQ_U64(1, a.nr_users);
	CHECK_TRUE(web_auth_allows(&a, "Basic cHJvbTpzZWNyZXQtcGFzcw=="));	/* prom:secret-pass */
	CHECK_FALSE(web_auth_allows(&a, "Basic cHJvbTpzZWNyZXQtcGFzUw=="));	/* prom:secret-pasS */
	CHECK_FALSE(web_auth_allows(&a, "Basic b3RoZXI6c2VjcmV0LXBhc3M="));	/* other:secret-pass */
	CHECK_FALSE(web_auth_allows(&a, "Basic !!!"));
	CHECK_FALSE(web_auth_allows(&a, "Bearer cHJvbTpzZWNyZXQtcGFzcw=="));
	web_auth_free(&a);
	unlink(path);
}

TEST(web_auth_refuses_files_every_user_may_read_and_bad_lines)
{
	struct web_auth a = {};
	char path[64], msg[256];

	report_capture(msg, sizeof(msg));
	if (CHECK_TRUE(write_file(path, "0123456789abcdefXYZ\n", 0644))) {
		CHECK_EQ_I64(-1, web_auth_load_token(&a, path));
		CHECK_CONTAINS(msg, strlen(msg), "readable by every user");
		unlink(path);
	}
	if (CHECK_TRUE(write_file(path, "short\n", 0600))) {
		CHECK_EQ_I64(-1, web_auth_load_token(&a, path));
		CHECK_CONTAINS(msg, strlen(msg), "at least 16");
		unlink(path);
	}
	if (CHECK_TRUE(write_file(path, "prom:plaintext\n", 0600))) {
		CHECK_EQ_I64(-1, web_auth_load_users(&a, path));
		CHECK_CONTAINS(msg, strlen(msg), ":1: expected user:hash");
		unlink(path);
	}
	report_capture(NULL, 0);
	CHECK_FALSE(web_auth_enabled(&a));
	web_auth_free(&a);
}
