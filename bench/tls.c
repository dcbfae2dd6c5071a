// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A TLS client and server in one process, on loopback TCP, with the system's
 * libssl (the library observe-load --tls probes):
 *   tls calls N SIZE CERT KEY      N SSL_write calls of SIZE bytes: ns per call
 *   tls transfer BYTES SIZE CERT KEY  BYTES in SSL_write calls of SIZE bytes:
 *                                  ms from the first write to the last byte read
 * The server thread reads with SSL_read into a 16 KiB buffer. Prints one
 * number.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

struct server {
	int listen_fd;
	SSL_CTX *ctx;
	unsigned long long expect;	/* bytes to read before answering */
	unsigned long long read;
};

static void die(const char *what)
{
	fprintf(stderr, "bench tls: %s failed\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Reads everything the client sends, then answers one byte. */
static void *serve(void *arg)
{
	struct server *s = arg;
	char buf[16384];
	int fd = accept(s->listen_fd, NULL, NULL);
	SSL *ssl;

	if (fd < 0)
		die("accept");
	ssl = SSL_new(s->ctx);
	if (!ssl || !SSL_set_fd(ssl, fd) || SSL_accept(ssl) != 1)
		die("SSL_accept");
	while (s->read < s->expect) {
		int n = SSL_read(ssl, buf, sizeof(buf));

		if (n <= 0)
			die("SSL_read");
		s->read += n;
	}
	if (SSL_write(ssl, "k", 1) != 1)
		die("SSL_write of the answer");
	SSL_free(ssl);
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	unsigned long long count, size, calls;
	struct server s = {};
	SSL_CTX *client_ctx;
	pthread_t thread;
	double t0, t1;
	char *buf, ack;
	SSL *ssl;
	int fd, one = 1;

	if (argc != 6 || (strcmp(argv[1], "calls") && strcmp(argv[1], "transfer"))) {
		fprintf(stderr, "usage: tls calls N SIZE CERT KEY | tls transfer BYTES SIZE CERT KEY\n");
		return 2;
	}
	count = strtoull(argv[2], NULL, 0);
	size = strtoull(argv[3], NULL, 0);
	calls = !strcmp(argv[1], "calls") ? count : (count + size - 1) / size;
	s.expect = calls * size;

	s.ctx = SSL_CTX_new(TLS_server_method());
	if (!s.ctx || SSL_CTX_use_certificate_file(s.ctx, argv[4], SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(s.ctx, argv[5], SSL_FILETYPE_PEM) != 1)
		die("the server's certificate");
	s.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
	if (bind(s.listen_fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(s.listen_fd, 1) ||
	    getsockname(s.listen_fd, (struct sockaddr *)&addr, &len))
		die("listen");
	pthread_create(&thread, NULL, serve, &s);

	client_ctx = SSL_CTX_new(TLS_client_method());
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!client_ctx || connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
		die("connect");
	ssl = SSL_new(client_ctx);
	if (!ssl || !SSL_set_fd(ssl, fd) || SSL_connect(ssl) != 1)
		die("SSL_connect");
	buf = malloc(size);
	for (unsigned long long i = 0; i < size; i++)
		buf[i] = 'a' + i % 26;

	t0 = now_ns();
	for (unsigned long long i = 0; i < calls; i++)
		if (SSL_write(ssl, buf, size) != (int)size)
			die("SSL_write");
	if (SSL_read(ssl, &ack, 1) != 1)
		die("SSL_read of the answer");
	t1 = now_ns();
	pthread_join(thread, NULL);
	if (!strcmp(argv[1], "calls"))
		printf("%.0f\n", (t1 - t0) / calls);
	else
		printf("%.1f\n", (t1 - t0) / 1e6);
	SSL_free(ssl);
	close(fd);
	free(buf);
	return 0;
}
