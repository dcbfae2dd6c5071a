// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A TLS client with OpenSSL linked in statically, for the --tls-binary test:
 * connects to 127.0.0.1:PORT, writes MESSAGE, prints the first reply and
 * exits. No libssl.so is mapped: only probes on this file can see it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

static int fail(const char *what)
{
	fprintf(stderr, "test-tls-static: %s failed\n", what);
	ERR_print_errors_fp(stderr);
	return 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	char reply[256];
	SSL_CTX *ctx;
	SSL *ssl;
	int fd, n;

	if (argc != 3) {
		fprintf(stderr, "usage: test-tls-static PORT MESSAGE\n");
		return 2;
	}
	addr.sin_port = htons(atoi(argv[1]));
	inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
		return fail("connect");
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return fail("SSL_CTX_new");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);	/* the test's own certificate */
	ssl = SSL_new(ctx);
	if (!ssl || !SSL_set_fd(ssl, fd) || SSL_connect(ssl) != 1)
		return fail("SSL_connect");
	if (SSL_write(ssl, argv[2], strlen(argv[2])) <= 0)
		return fail("SSL_write");
	n = SSL_read(ssl, reply, sizeof(reply) - 1);
	if (n <= 0)
		return fail("SSL_read");
	reply[n] = 0;
	printf("%s", reply);
	SSL_shutdown(ssl);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return 0;
}
