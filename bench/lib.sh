# shellcheck shell=bash
# shellcheck disable=SC2034  # BENCH_CPU, BG_PID, BT_*: for the scripts that source this
# Shared by bench/run.sh, bench/storm.sh, bench/loader.sh and
# bench/collectors.sh (sourced, under
# set -eu). Each script pins only in its own /sys/fs/bpf/observe-bench-<pid>;
# its EXIT trap ends only the processes it started, by pid, unloads that
# directory and puts kernel.bpf_stats_enabled back as it found it (it is 0
# from bench_init on, but for the passes that read the stats).

BENCH_SRC=$(cd "$(dirname "$0")" && pwd)
BENCH_PY="$BENCH_SRC/benchlib.py"
BENCH_PIDS=" "		# " pid pid ... ": only processes this script started
BENCH_STATS_OLD=""
BENCH_TMP=""
PIN_DIR=""

bench_note() { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; }
bench_die() { bench_note "$*"; exit 1; }

# bench_init NAME BUILD: checks, the pin directory name, a temp dir, the trap.
bench_init() {
	BENCH_NAME=$1
	BUILD=${2:-build}
	[ "$(id -u)" = 0 ] || bench_die "needs root: it loads BPF programs"
	for b in observe-load observe-events observe-stats; do
		[ -x "$BUILD/$b" ] || bench_die "$BUILD/$b is missing: run make first"
	done
	for c in bpftool python3 taskset sysctl; do
		command -v "$c" >/dev/null || bench_die "$c is missing: run scripts/install-deps.sh"
	done
	PIN_DIR=/sys/fs/bpf/observe-bench-$$
	[ ! -e "$PIN_DIR" ] || bench_die "$PIN_DIR already exists"
	BENCH_TMP=$(mktemp -d /tmp/observe-bench.XXXXXX)
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
	bench_stats_off
	[ "$BENCH_STATS_OLD" = 0 ] ||
		bench_note "kernel.bpf_stats_enabled was $BENCH_STATS_OLD: 0 while timing, back at exit"
	# The loops run on the last CPU, away from CPU 0's housekeeping.
	BENCH_CPU=$(($(nproc) - 1))
}

# bench_bg CMD...: starts CMD in the background (redirections of the call
# apply) and remembers its pid in BG_PID and in the list the trap ends. The
# redirections of a function call are opened by this shell: a FIFO would
# block it, so write "CMD <fifo & bench_track $!" instead.
bench_bg() {
	"$@" &
	bench_track $!
}

bench_track() {
	BG_PID=$1
	BENCH_PIDS="$BENCH_PIDS$1 "
}

# bench_stop PID [SIGNAL]: ends one process we started and reaps it; SIGKILL
# after 5 s. Returns its exit status.
bench_stop() {
	local pid=$1 sig=${2:-TERM} i=0 rc=0
	kill -"$sig" "$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null && [ -z "$(bench_zombie "$pid")" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$pid" 2>/dev/null && [ -z "$(bench_zombie "$pid")" ]; then
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || rc=$?
	BENCH_PIDS=${BENCH_PIDS// $pid / }
	return $rc
}

# bench_reap PID: waits for a process we started to end by itself.
bench_reap() {
	local rc=0
	wait "$1" || rc=$?
	BENCH_PIDS=${BENCH_PIDS// $1 / }
	return $rc
}

bench_zombie() {
	sed -n 's/^State:[[:space:]]*Z.*/zombie/p' "/proc/$1/status" 2>/dev/null || true
}

bench_cleanup() {
	local rc=$? pid
	set +e
	trap - EXIT INT TERM HUP
	for pid in $BENCH_PIDS; do
		bench_stop "$pid"
	done
	if [ -n "$PIN_DIR" ] && [ -e "$PIN_DIR" ]; then
		"$BUILD/observe-load" --pin-dir "$PIN_DIR" --unload >/dev/null 2>&1 ||
			bench_note "observe-load --unload of $PIN_DIR failed"
		[ -e "$PIN_DIR" ] && rm -rf "$PIN_DIR"
	fi
	bench_stats_restore
	[ -n "$BENCH_TMP" ] && rm -rf "$BENCH_TMP"
	exit $rc
}

# bench_build loop|all: builds loop and format (and with all, the empty,
# floor, dispatch, syscall_floor and hooks_floor programs and their attacher) into
# BUILD/bench, which git ignores.
bench_build() {
	local arch obj
	BB="$BUILD/bench"
	mkdir -p "$BB"
	cc -O2 -Wall -Wextra -Werror -o "$BB/loop" "$BENCH_SRC/loop.c"
	cc -O2 -Wall -Wextra -Werror -I"$BENCH_SRC/../lib" -I"$BENCH_SRC/../bpf" -o "$BB/format" \
		"$BENCH_SRC/format.c" "$BUILD/libobserve.a" -lbpf -lelf -lz -lresolv
	if [ "$1" = all ]; then
		arch=$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
		for obj in empty floor dispatch syscall_floor hooks_floor; do
			clang -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_"$arch" -Wall -Werror \
				-I"$BENCH_SRC/../vmlinux" -c "$BENCH_SRC/$obj.bpf.c" -o "$BB/$obj.bpf.o"
		done
		cc -O2 -Wall -Wextra -Werror -Wno-unused-parameter -o "$BB/empty" \
			"$BENCH_SRC/empty.c" -lbpf
	fi
}

# bench_start_programs OBJ: attaches every program of BB/OBJ.bpf.o
# (bench/empty.c holds them, in BG_PID) and writes their ids to ids.OBJ.
bench_start_programs() {
	local i=0
	bench_bg "$BB/empty" "$BB/$1.bpf.o" >"$BENCH_TMP/$1.out" 2>&1
	until grep -q '^ready$' "$BENCH_TMP/$1.out"; do
		if ! kill -0 "$BG_PID" 2>/dev/null || [ $i -ge 100 ]; then
			cat "$BENCH_TMP/$1.out" >&2
			bench_die "the programs of $1.bpf.o did not attach"
		fi
		sleep 0.05
		i=$((i + 1))
	done
	python3 "$BENCH_PY" ids-empty "$BENCH_TMP/$1.out" >"$BENCH_TMP/ids.$1"
}

# bench_load [OPTION...]: observe-load into PIN_DIR, with these options
# (--collectors, --ring-size...) on top of the defaults.
# shellcheck disable=SC2120  # most callers want the defaults
# An empty settings file: the machine's /etc/observe/observe.conf stays out
# (the loader reads regular files only, not /dev/null).
bench_load() {
	: >"$BENCH_TMP/empty.conf"
	"$BUILD/observe-load" --pin-dir "$PIN_DIR" --group root --config "$BENCH_TMP/empty.conf" "$@" \
		>"$BENCH_TMP/load.out" 2>&1 ||
		{ cat "$BENCH_TMP/load.out" >&2; bench_die "observe-load failed"; }
}

# bench_tls_reader: an observe-tls reader of everything, its output thrown
# away, in BG_PID, given time to claim its slot.
bench_tls_reader() {
	bench_bg "$BUILD/observe-tls" --pin-dir "$PIN_DIR" --base64 -q >/dev/null
	sleep 0.3
}

# bench_tls_slot_counts: "delivered dropped" of TLS slot 0 so far
bench_tls_slot_counts() {
	"$BUILD/observe-stats" --pin-dir "$PIN_DIR" --json |
		python3 -c 'import json, sys
s = json.load(sys.stdin)["tls"]["slots"][0]
print(s["delivered"], s["dropped"])'
}

bench_unload() {
	"$BUILD/observe-load" --pin-dir "$PIN_DIR" --unload >"$BENCH_TMP/unload.out" 2>&1 ||
		{ cat "$BENCH_TMP/unload.out" >&2; bench_die "observe-load --unload failed"; }
}

# Kernel BPF run-time stats cost every program run: they are off while
# timing (even when found on), on only for the passes that read them, and put
# back as found at exit.
bench_stats_on() {
	[ -n "$BENCH_STATS_OLD" ] || BENCH_STATS_OLD=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -qw kernel.bpf_stats_enabled=1
}

bench_stats_off() {
	[ -n "$BENCH_STATS_OLD" ] || BENCH_STATS_OLD=$(sysctl -n kernel.bpf_stats_enabled)
	[ "$(sysctl -n kernel.bpf_stats_enabled)" = 0 ] || sysctl -qw kernel.bpf_stats_enabled=0
}

bench_stats_restore() {
	if [ -n "$BENCH_STATS_OLD" ]; then
		sysctl -qw kernel.bpf_stats_enabled="$BENCH_STATS_OLD"
	fi
}

# bench_cpu_ns PID: nanoseconds PID's threads have run so far (schedstat:
# exact, where /proc/PID/stat counts ticks)
bench_cpu_ns() {
	cat /proc/"$1"/task/*/schedstat | awk '{ ns += $1 } END { printf "%.0f", ns }'
}

# bench_wait_reader PID: until observe-stats shows PID holding a slot.
bench_wait_reader() {
	local pid=$1 i=0 s
	while [ $i -lt 100 ]; do
		kill -0 "$pid" 2>/dev/null || bench_die "observe-events (pid $pid) exited early"
		"$BUILD/observe-stats" --pin-dir "$PIN_DIR" --json >"$BENCH_TMP/stats.json"
		s=$(python3 "$BENCH_PY" slot "$BENCH_TMP/stats.json" "$pid")
		[ "${s%% *}" != -1 ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	bench_die "observe-events (pid $pid) holds no slot after 5 s"
}

# bench_wait_attached PID N ERRFILE: until PID (bpftrace) has attached N
# tracepoints. bpftrace prints "Attaching N probes..." before it attaches.
bench_wait_attached() {
	local pid=$1 n=$2 err=$3 i=0
	while [ $i -lt 300 ]; do
		if ! kill -0 "$pid" 2>/dev/null || [ -n "$(bench_zombie "$pid")" ]; then
			cat "$err" >&2
			bench_die "bpftrace (pid $pid) exited before attaching"
		fi
		[ "$(python3 "$BENCH_PY" perf-count "$pid")" -ge "$n" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	bench_die "bpftrace (pid $pid) has not attached $n probes after 30 s"
}

# bench_foreign IDFILE...: a warning when other BPF programs sit on observe's
# hooks (another observe, a test run): the figures then include their cost.
bench_foreign() {
	local f
	f=$(python3 "$BENCH_PY" foreign "$@") || return 0
	[ -z "$f" ] || bench_note "warning: $f"
}

# What bpftrace runs: observe's five hooks, classic tracepoints for sched
# (bpftrace 0.17 has no raw tracepoints).
BT_EMPTY='tracepoint:sched:sched_process_exec {}
tracepoint:sched:sched_process_fork {}
tracepoint:sched:sched_process_exit {}
tracepoint:syscalls:sys_exit_execve {}
tracepoint:syscalls:sys_exit_execveat {}'

# The same fields as observe's events, printed as JSON lines. argv comes from
# the syscall's entry (join() prints it on its own line); the exit of a
# syscall prints only failures, as observe does; exit only when the thread
# group dies.
BT_PRINTF='tracepoint:sched:sched_process_exec
{
	printf("{\"type\":\"exec\",\"ts_ns\":%llu,\"cpu\":%u,\"pid\":%d,\"tid\":%d,\"ppid\":%d,\"uid\":%u,\"gid\":%u,\"comm\":\"%s\",\"cgroup_id\":%llu,\"filename\":\"%s\"}\n",
	       nsecs, cpu, pid, tid, curtask->real_parent->tgid, uid, gid, comm, cgroup, str(args->filename));
}
tracepoint:syscalls:sys_enter_execve,
tracepoint:syscalls:sys_enter_execveat
{
	join(args->argv);
}
tracepoint:syscalls:sys_exit_execve,
tracepoint:syscalls:sys_exit_execveat
/args->ret < 0/
{
	printf("{\"type\":\"exec\",\"ts_ns\":%llu,\"cpu\":%u,\"pid\":%d,\"tid\":%d,\"comm\":\"%s\",\"ret\":%d}\n",
	       nsecs, cpu, pid, tid, comm, args->ret);
}
tracepoint:sched:sched_process_fork
{
	printf("{\"type\":\"fork\",\"ts_ns\":%llu,\"cpu\":%u,\"pid\":%d,\"tid\":%d,\"ppid\":%d,\"uid\":%u,\"gid\":%u,\"comm\":\"%s\",\"cgroup_id\":%llu,\"child_pid\":%d}\n",
	       nsecs, cpu, pid, tid, curtask->real_parent->tgid, uid, gid, comm, cgroup, args->child_pid);
}
tracepoint:sched:sched_process_exit
/args->group_dead/
{
	printf("{\"type\":\"exit\",\"ts_ns\":%llu,\"cpu\":%u,\"pid\":%d,\"tid\":%d,\"ppid\":%d,\"uid\":%u,\"gid\":%u,\"comm\":\"%s\",\"cgroup_id\":%llu,\"exit_code\":%d,\"lifetime_ns\":%llu}\n",
	       nsecs, cpu, pid, tid, curtask->real_parent->tgid, uid, gid, comm, cgroup, curtask->exit_code, nsecs - curtask->group_leader->start_time);
}'

bench_need_bpftrace() {
	command -v bpftrace >/dev/null ||
		"$BENCH_SRC/../scripts/install-deps.sh" bpftrace ||
		bench_die "bpftrace is missing (scripts/install-deps.sh bpftrace)"
}
