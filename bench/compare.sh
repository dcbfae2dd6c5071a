#!/bin/bash
# bench/compare.sh [BUILD]: what observe's default load costs, side by side
# with the single-purpose tools a user would run instead. Root; about
# 4 minutes with ROUNDS=3.
#
# Three loops (bench/loop.c) pinned to the last CPU: getppid, open+close of
# /dev/null, posix_spawn of /bin/true. For each loop, in ROUNDS rounds, every
# configuration runs between two runs with nothing loaded (before and after;
# its figure is the added ns per iteration against their mean):
#   obs      observe loaded (the defaults), no reader
#   obs+lat  the same with 'observe-filter enable syscall-latency'
#   obs+1    observe loaded + one reader of that loop's events
#            (getppid: observe-events -q, which no getppid feeds;
#            open: -t open; spawn: -t exec)
#   libbpf   Debian's libbpf-tools giving the same information: syscount
#            (getppid), syscount + opensnoop (open), syscount + execsnoop
#            (spawn), their output to /dev/null
#   bpftrace a count per syscall (getppid), opensnoop's entry+exit pair
#            printing (open), execsnoop's printf at exec (spawn)
# Prints the median added ns (and %) with the spread (lowest..highest of
# the rounds), and the median of the runs with nothing loaded.
#
# ROUNDS=3, GETPPID_N, OPEN_N and SPAWN_N may be set in the environment.
# Pins only under /sys/fs/bpf/observe-bench-<pid>, removed at exit; ends only
# the processes it started.
set -eu
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init compare "${1:-build}"
bench_need_bpftrace
command -v syscount >/dev/null ||
	"$BENCH_SRC/../scripts/install-deps.sh" libbpf-tools ||
	bench_die "libbpf-tools is missing (scripts/install-deps.sh libbpf-tools)"
bench_build loop

ROUNDS=${ROUNDS:-3}
GETPPID_N=${GETPPID_N:-1000000}
OPEN_N=${OPEN_N:-100000}
SPAWN_N=${SPAWN_N:-1000}
LOOPS="getppid open spawn"
CONFIGS="obs obs+lat obs+1 libbpf bpftrace"
OUT=$BENCH_TMP/compare.txt
: >"$OUT"
STARTED=""

BT_GETPPID='tracepoint:raw_syscalls:sys_exit { @[args->id] = count(); }'
BT_OPEN='tracepoint:syscalls:sys_enter_openat { @path[tid] = args->filename; }
tracepoint:syscalls:sys_exit_openat /@path[tid]/
{
	printf("%d %s %d %s\n", pid, comm, args->ret, str(@path[tid]));
	delete(@path[tid]);
}'
BT_SPAWN='tracepoint:syscalls:sys_enter_execve
{
	printf("%d %d %s %s\n", pid, curtask->real_parent->tgid, comm, str(args->filename));
}'

# run_loop LOOP: ns per iteration
run_loop() {
	local out
	case $1 in
	getppid) out=$(taskset -c "$BENCH_CPU" "$BB/loop" syscall "$GETPPID_N") ;;
	open) out=$(taskset -c "$BENCH_CPU" "$BB/loop" open "$OPEN_N") ;;
	spawn) out=$(taskset -c "$BENCH_CPU" "$BB/loop" exec "$SPAWN_N") ;;
	esac || bench_die "loop $1 failed"
	echo "${out%% *}"
}

# start_tool NAME N: a libbpf-tools tool, its output thrown away, once it
# has attached its N tracepoints
start_tool() {
	bench_bg "$1" >/dev/null 2>"$BENCH_TMP/$1.err"
	STARTED="$STARTED $BG_PID"
	bench_wait_attached "$BG_PID" "$2" "$BENCH_TMP/$1.err"
}

start_bpftrace() {
	bench_bg bpftrace -e "$1" >/dev/null 2>"$BENCH_TMP/bt.err"
	STARTED="$STARTED $BG_PID"
	bench_wait_attached "$BG_PID" "$2" "$BENCH_TMP/bt.err"
}

# start_config CONFIG LOOP
start_config() {
	case $1 in
	obs | obs+lat | obs+1)
		bench_load
		[ "$1" != obs+lat ] ||
			"$BUILD/observe-filter" --pin-dir "$PIN_DIR" enable syscall-latency >/dev/null
		if [ "$1" = obs+1 ]; then
			case $2 in
			getppid) bench_bg "$BUILD/observe-events" --pin-dir "$PIN_DIR" -q >/dev/null ;;
			open) bench_bg "$BUILD/observe-events" --pin-dir "$PIN_DIR" -q -t open >/dev/null ;;
			spawn) bench_bg "$BUILD/observe-events" --pin-dir "$PIN_DIR" -q -t exec >/dev/null ;;
			esac
			STARTED="$STARTED $BG_PID"
			bench_wait_reader "$BG_PID"
		fi
		;;
	libbpf)
		start_tool syscount 1
		case $2 in
		open) start_tool opensnoop 2 ;;
		spawn) start_tool execsnoop 2 ;;
		esac
		;;
	bpftrace)
		case $2 in
		getppid) start_bpftrace "$BT_GETPPID" 1 ;;
		open) start_bpftrace "$BT_OPEN" 2 ;;
		spawn) start_bpftrace "$BT_SPAWN" 1 ;;
		esac
		;;
	esac
}

stop_config() {
	local pid
	for pid in $STARTED; do
		bench_stop "$pid" || true
	done
	STARTED=""
	case $1 in
	obs | obs+lat | obs+1) bench_unload ;;
	esac
}

echo "compare bench: $(uname -r), $(nproc) CPUs; $ROUNDS rounds; each configuration" \
	"between two runs with nothing loaded"
bench_foreign --all /dev/null
for r in $(seq "$ROUNDS"); do
	for loop in $LOOPS; do
		echo "$r $loop base $(run_loop "$loop")" >>"$OUT"
		for cfg in $CONFIGS; do
			start_config "$cfg" "$loop"
			echo "$r $loop $cfg $(run_loop "$loop")" >>"$OUT"
			stop_config "$cfg"
			echo "$r $loop base $(run_loop "$loop")" >>"$OUT"
		done
	done
	bench_note "round $r of $ROUNDS done"
done
python3 "$BENCH_PY" compare-report "$OUT" "$CONFIGS"
