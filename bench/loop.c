// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * loop: times one kind of kernel activity, for the benchmarks.
 *
 *   loop MODE N [SECS]
 *
 * MODE fork:    fork(); the child _exit(0)s; waitpid()     (events: fork, exit)
 *      exec:    posix_spawn() of /bin/true; waitpid()      (events: fork, exec, exit)
 *      syscall: syscall(SYS_getppid)                       (no event: the cost that
 *               observe's syscall tracepoints add to every other syscall)
 *      open:    open("/dev/null", O_RDONLY|O_CLOEXEC); close()      (event: open)
 *      connect: a TCP connect() to a listener of this process on 127.0.0.1,
 *               its accept(), both ends closed, the accepting end first
 *               (events: connect, accept, tcp_close twice)
 *      rename:  prctl(PR_SET_NAME) (no event of observe's: it fires the
 *               task_rename tracepoint, where bench/dispatch.bpf.c times what
 *               an empty program adds end to end)
 *      spin:    100000 rounds of arithmetic, no syscall (CPU-bound: what a
 *               sampling profiler's interrupts cost a busy program)
 *
 * Runs N iterations, or stops after SECS seconds if that comes first (the
 * storm), and prints "NS_PER_ITER ITERATIONS" on one line (CLOCK_MONOTONIC).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *progname = "loop";

static void die(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", progname, what, strerror(err));
	exit(1);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid", errno);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "%s: child %d failed (status 0x%x)\n", progname, (int)pid, status);
		exit(1);
	}
}

static void one_fork(void)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork", errno);
	if (pid == 0)
		_exit(0);
	reap(pid);
}

static void one_exec(void)
{
	static char *const argv[] = { "/bin/true", NULL };
	pid_t pid;
	int err;

	/* glibc's posix_spawn is clone(CLONE_VM|CLONE_VFORK) + execve. */
	err = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
	if (err)
		die("posix_spawn /bin/true", err);
	reap(pid);
}

static void one_syscall(void)
{
	syscall(SYS_getppid);
}

static void one_rename(void)
{
	if (prctl(PR_SET_NAME, "loop", 0, 0, 0))
		die("prctl PR_SET_NAME", errno);
}

static volatile unsigned long spin_sink;

static void one_spin(void)
{
	unsigned long x = spin_sink;

	for (int i = 0; i < 100000; i++)
		x = x * 6364136223846793005ULL + i;
	spin_sink = x;
}

static void one_open(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("open /dev/null", errno);
	close(fd);
}

static int listener = -1;
static struct sockaddr_in listen_addr;

/* A listener on an ephemeral port of 127.0.0.1, for one_connect(). */
static void listen_loopback(void)
{
	socklen_t len = sizeof(listen_addr);

	listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listener < 0)
		die("socket", errno);
	listen_addr.sin_family = AF_INET;
	listen_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(listener, (struct sockaddr *)&listen_addr, sizeof(listen_addr)) ||
	    listen(listener, 16) ||
	    getsockname(listener, (struct sockaddr *)&listen_addr, &len))
		die("listen on 127.0.0.1", errno);
}

/*
 * On loopback the handshake completes within connect(), so the same thread
 * accepts at once: no second thread whose scheduling would join the timing.
 * The accepting end closes first, as a server that hangs up does, so the
 * TIME_WAIT stays there: left on the connecting end, it holds the port, and
 * connect() scans ever longer for a free one (3x slower after 20000 here).
 */
static void one_connect(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), peer;

	if (fd < 0)
		die("socket", errno);
	if (connect(fd, (struct sockaddr *)&listen_addr, sizeof(listen_addr)))
		die("connect to 127.0.0.1", errno);
	peer = accept(listener, NULL, NULL);
	if (peer < 0)
		die("accept", errno);
	close(peer);
	close(fd);
}

int main(int argc, char **argv)
{
	void (*one)(void);
	long long n, i, start, elapsed, limit_ns = 0, check_every;
	char *end;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "Usage: %s fork|exec|syscall|open|connect|rename|spin N [SECS]\n", progname);
		return 2;
	}
	if (!strcmp(argv[1], "fork"))
		one = one_fork;
	else if (!strcmp(argv[1], "exec"))
		one = one_exec;
	else if (!strcmp(argv[1], "syscall"))
		one = one_syscall;
	else if (!strcmp(argv[1], "open"))
		one = one_open;
	else if (!strcmp(argv[1], "connect"))
		one = one_connect;
	else if (!strcmp(argv[1], "rename"))
		one = one_rename;
	else if (!strcmp(argv[1], "spin"))
		one = one_spin;
	else {
		fprintf(stderr, "%s: unknown mode '%s' (fork, exec, syscall, open, connect, rename, spin)\n",
			progname, argv[1]);
		return 2;
	}
	n = strtoll(argv[2], &end, 10);
	if (*end || n < 1) {
		fprintf(stderr, "%s: N must be a positive integer, not '%s'\n", progname, argv[2]);
		return 2;
	}
	if (argc == 4) {
		double secs = strtod(argv[3], &end);

		if (*end || secs <= 0 || secs > 3600) {
			fprintf(stderr, "%s: SECS must be in (0, 3600], not '%s'\n", progname, argv[3]);
			return 2;
		}
		limit_ns = (long long)(secs * 1e9);
	}
	if (one == one_connect)
		listen_loopback();
	/* Reading the clock costs as much as a syscall: look at it rarely there. */
	check_every = one == one_syscall ? 4096 : one == one_open ? 64 : 1;

	for (i = 0; i < (one == one_syscall ? 10000 : 20); i++)	/* warm up */
		one();

	start = now_ns();
	for (i = 0; i < n; i++) {
		one();
		if (limit_ns && (i + 1) % check_every == 0 && now_ns() - start >= limit_ns) {
			i++;
			break;
		}
	}
	elapsed = now_ns() - start;
	printf("%.1f %lld\n", (double)elapsed / i, i);
	return 0;
}
