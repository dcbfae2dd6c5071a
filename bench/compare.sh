#!/bin/bash
# bench/compare.sh [BUILD]: what observe's default load costs, side by side
# with the single-purpose tools a user would run instead, and what each of
# its collectors costs alone. Root; about 4 minutes here with the default 5
# rounds (a round took 49 s, of a run of 7, on an idle 2-CPU VM).
#
# Four loops (bench/loop.c) pinned to the last CPU: getppid, open+close of
# /dev/null, posix_spawn of /bin/true, and a TCP connect to a listener of the
# loop's own on 127.0.0.1 (accepted, both ends closed). For each loop, in
# ROUNDS rounds, every configuration runs between two runs with nothing
# loaded (before and after; its figure is the added ns per iteration against
# their mean):
#   floor    an empty program on the raw sys_exit tracepoint
#            (bench/syscall_floor.bpf.c): what any syscall counter adds
#            at least, syscount and the syscalls collector alike
#   floor+ev the same sys_exit program beside empty programs on exec's
#            syscall trace events (bench/hooks_floor.bpf.c): the hooks
#            the defaults hold on every syscall, with no work in them
#   obs      observe loaded (the defaults), no reader
#   obs+lat  the same with 'observe-filter enable syscall-latency'
#   obs-lean the defaults loaded with every detail left out
#            (observe-load --without-details ...): no sys_enter, page-fault,
#            run-queue or block program loaded at all (the defaults load
#            them but attach none while its detail is off)
#   obs-prev the defaults of another build, PREV_BUILD (a build directory,
#            for a before and after in one run); only when PREV_BUILD is set
#   obs+1    observe loaded + one reader of that loop's events
#            (getppid: observe-events -q, which no getppid feeds;
#            open: -t open; spawn: -t exec; connect: -t connect)
#   libbpf   Debian's libbpf-tools giving the same information: syscount
#            (getppid), syscount + opensnoop (open), syscount + execsnoop
#            (spawn), syscount + tcplife + tcpconnect (connect; tcpconnect
#            needs kprobes, and is left out, saying so, where there are
#            none), their output to /dev/null
#   bpftrace a count per syscall (getppid), opensnoop's entry+exit pair
#            printing (open), execsnoop's printf at exec (spawn), tcplife's
#            printf at each TCP close from inet_sock_set_state (connect)
#   alone:C  observe loaded with collector C only (observe-load -C C), no
#            reader: one configuration for each collector the defaults load
#            (observe-load --probe), on every loop; COLLECTORS_ALONE=0 leaves
#            them out
# Prints the median added ns (and %) with the spread (lowest..highest of
# the rounds), and the median of the runs with nothing loaded; then the
# issue's targets per loop: observe with no reader adds at most what the
# libbpf-tools add together, with one reader at most half of it.
#
# ROUNDS=5, GETPPID_N, OPEN_N, SPAWN_N, CONNECT_N, COLLECTORS_ALONE=1 and
# LOOPS (a subset of "getppid open spawn connect") may be set in the
# environment. Pins only under /sys/fs/bpf/observe-bench-<pid>,
# removed at exit; ends only the processes it started.
set -eu
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init compare "${1:-build}"
bench_need_bpftrace
command -v syscount >/dev/null ||
	"$BENCH_SRC/../scripts/install-deps.sh" libbpf-tools ||
	bench_die "libbpf-tools is missing (scripts/install-deps.sh libbpf-tools)"
bench_build all

# Spawn loops vary by 5-40 % between rounds here: 5 rounds resolve what
# one collector adds.
ROUNDS=${ROUNDS:-5}
GETPPID_N=${GETPPID_N:-1000000}
OPEN_N=${OPEN_N:-100000}
SPAWN_N=${SPAWN_N:-1000}
CONNECT_N=${CONNECT_N:-10000}
COLLECTORS_ALONE=${COLLECTORS_ALONE:-1}
LOOPS=${LOOPS:-getppid open spawn connect}
CONFIGS="floor floor+ev obs obs+lat obs-lean obs+1 libbpf bpftrace"
PREV_BUILD=${PREV_BUILD:-}
if [ -n "$PREV_BUILD" ]; then
	[ -x "$PREV_BUILD/observe-load" ] || bench_die "PREV_BUILD: no observe-load in $PREV_BUILD"
	CONFIGS="floor floor+ev obs-prev obs obs+lat obs-lean obs+1 libbpf bpftrace"
fi
ALONE=""
if [ "$COLLECTORS_ALONE" != 0 ]; then
	for c in $("$BUILD/observe-load" --probe | sed -n 's/^collector \([a-z0-9_]*\):$/\1/p'); do
		ALONE="$ALONE alone:$c"
	done
	[ -n "$ALONE" ] || bench_die "observe-load --probe names no collector that would load"
fi
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
# tcplife's fields: who opened the connection (seen at its first state
# change below FIN_WAIT1), the endpoints, and its life, printed at CLOSE.
BT_CONNECT='tracepoint:sock:inet_sock_set_state /args->protocol == 6/
{
	if (args->newstate < 4 && !@start[args->skaddr]) {
		@start[args->skaddr] = nsecs;
		@who[args->skaddr] = pid;
	}
	if (args->newstate == 7 && @start[args->skaddr]) {
		printf("%d %s:%d %s:%d %d\n", @who[args->skaddr],
		       ntop(args->saddr), args->sport, ntop(args->daddr), args->dport,
		       (nsecs - @start[args->skaddr]) / 1000);
		delete(@start[args->skaddr]);
		delete(@who[args->skaddr]);
	}
}'

# Where kprobes exist: tcpconnect (libbpf-tools) needs them.
have_kprobes() {
	[ -e /sys/bus/event_source/devices/kprobe ] ||
		[ -e /sys/kernel/tracing/kprobe_events ] ||
		[ -e /sys/kernel/debug/tracing/kprobe_events ]
}

# run_loop LOOP: ns per iteration
run_loop() {
	local out
	case $1 in
	getppid) out=$(taskset -c "$BENCH_CPU" "$BB/loop" syscall "$GETPPID_N") ;;
	open) out=$(taskset -c "$BENCH_CPU" "$BB/loop" open "$OPEN_N") ;;
	spawn) out=$(taskset -c "$BENCH_CPU" "$BB/loop" exec "$SPAWN_N") ;;
	connect) out=$(taskset -c "$BENCH_CPU" "$BB/loop" connect "$CONNECT_N") ;;
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
			connect) bench_bg "$BUILD/observe-events" --pin-dir "$PIN_DIR" -q -t connect >/dev/null ;;
			esac
			STARTED="$STARTED $BG_PID"
			bench_wait_reader "$BG_PID"
		fi
		;;
	floor)
		bench_start_programs syscall_floor
		STARTED="$STARTED $BG_PID"
		;;
	floor+ev)
		bench_start_programs hooks_floor
		STARTED="$STARTED $BG_PID"
		;;
	obs-lean) bench_load --without-details syscall-latency,page-faults,runq-latency,block-latency ;;
	obs-prev) BUILD=$PREV_BUILD bench_load ;;
	alone:*) bench_load --collectors "${1#alone:}" ;;
	libbpf)
		start_tool syscount 1
		case $2 in
		open) start_tool opensnoop 2 ;;
		spawn) start_tool execsnoop 2 ;;
		connect)
			start_tool tcplife 1
			! have_kprobes || start_tool tcpconnect 4
			;;
		esac
		;;
	bpftrace)
		case $2 in
		getppid) start_bpftrace "$BT_GETPPID" 1 ;;
		open) start_bpftrace "$BT_OPEN" 2 ;;
		spawn) start_bpftrace "$BT_SPAWN" 1 ;;
		connect) start_bpftrace "$BT_CONNECT" 1 ;;
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
	obs | obs+lat | obs-lean | obs+1 | alone:*) bench_unload ;;
	obs-prev) BUILD=$PREV_BUILD bench_unload ;;
	esac
}

echo "compare bench: $(uname -r), $(nproc) CPUs; $ROUNDS rounds; each configuration" \
	"between two runs with nothing loaded"
have_kprobes ||
	echo "tcpconnect: skipped, needs kprobes (not configured in this kernel)"
bench_foreign --all /dev/null
for r in $(seq "$ROUNDS"); do
	for loop in $LOOPS; do
		echo "$r $loop base $(run_loop "$loop")" >>"$OUT"
		for cfg in $CONFIGS $ALONE; do
			start_config "$cfg" "$loop"
			echo "$r $loop $cfg $(run_loop "$loop")" >>"$OUT"
			stop_config "$cfg"
			echo "$r $loop base $(run_loop "$loop")" >>"$OUT"
		done
	done
	bench_note "round $r of $ROUNDS done"
done
python3 "$BENCH_PY" compare-report "$OUT" "$CONFIGS"
if [ -n "$ALONE" ]; then
	echo
	echo "Each collector alone (observe-load -C), no reader:"
	python3 "$BENCH_PY" compare-report "$OUT" "$ALONE"
fi
echo
python3 "$BENCH_PY" compare-targets "$OUT"
