#!/bin/bash
# bench/agent.sh [BUILD [BASE_BUILD]]: what observe-agent costs, beside the
# reader a user would pick instead (observe-events), in one interleaved run.
#
# 1. Per event. Loops (bench/loop.c: open of /dev/null, fork + _exit,
#    posix_spawn of /bin/true) timed in REPEAT rounds of four configurations:
#      n  observe loaded, no reader
#      e  observe-events -t exec,fork,exit,open (every process's events)
#      a  observe-agent -p <this script>: the loops are in the followed tree
#      x  observe-agent following an idle process: the loops' events are
#         checked against its pid set and dropped in the kernel
#    Producer side: the loop's extra time per delivered event over n.
#    Reader side: the reader's CPU time per delivered event (schedstat).
# 2. In the kernel, per program (BPF stats, as bench/run.sh measures): the
#    average run time of the process and files hooks under n, e, a, x and
#    p (observe-events -p of the idle process: a slot filter that drops the
#    same events by a compare, against x's pid-set lookup), and, given
#    BASE_BUILD (a build of the tree before per-slot pid sets), BASE_BUILD's
#    objects with no reader, loaded in turn: what the check costs when no
#    agent reader runs.
#
# Root; about 8 minutes on a busy 2-CPU VM. Pins only under /sys/fs/bpf/observe-bench-<pid>.
set -eu
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init agent "${1:-build}"
BASE_BUILD=${2:-}

OPEN_N=200000
FORK_N=3000
EXEC_N=1500
REPEAT=3
STATS_OPEN_N=50000
STATS_FORK_N=2000
STATS_EXEC_N=500
TYPES=exec,fork,exit,open
CONFIGS="n e a x"
STATS_CONFIGS="n e a x p"
STATS_REPEAT=3

[ -x "$BUILD/observe-agent" ] || bench_die "$BUILD/observe-agent is missing: run make first"
if [ -n "$BASE_BUILD" ]; then
	[ -x "$BASE_BUILD/observe-load" ] || bench_die "$BASE_BUILD/observe-load is missing"
fi
bench_build loop

loop() {
	local out
	out=$(taskset -c "$BENCH_CPU" "$BB/loop" "$@") || bench_die "loop $* failed"
	echo "${out%% *}"
}

# The slot's delivered count of reader PID (observe-stats).
delivered() {
	"$BUILD/observe-stats" --pin-dir "$PIN_DIR" --json >"$BENCH_TMP/stats.json"
	python3 "$BENCH_PY" slot "$BENCH_TMP/stats.json" "$1" | cut -d' ' -f2
}

# start_reader CFG: the reader of CFG in READER_PID (none for n).
start_reader() {
	READER_PID=
	case $1 in
	n) return ;;
	e) bench_bg "$BUILD/observe-events" --pin-dir "$PIN_DIR" -q -t "$TYPES" >/dev/null ;;
	a) bench_bg "$BUILD/observe-agent" --pin-dir "$PIN_DIR" -q -t "$TYPES" -p $$ >/dev/null ;;
	x) bench_bg "$BUILD/observe-agent" --pin-dir "$PIN_DIR" -q -t "$TYPES" -p "$IDLE_PID" \
		>/dev/null ;;
	p) bench_bg "$BUILD/observe-events" --pin-dir "$PIN_DIR" -q -t "$TYPES" -p "$IDLE_PID" \
		>/dev/null ;;
	esac
	READER_PID=$BG_PID
	bench_wait_reader "$READER_PID"
}

stop_reader() {
	[ -z "$READER_PID" ] || bench_stop "$READER_PID" INT || bench_die "the reader of $1 failed"
}

# A process for x to follow: it does nothing while the loops run.
sleep 100000 &
bench_track $!
IDLE_PID=$!

echo "observe-agent bench: $(uname -r), $(nproc) CPUs, loops on CPU $BENCH_CPU; open x$OPEN_N," \
	"fork x$FORK_N, exec x$EXEC_N; $REPEAT rounds of n e a x in turn; events: $TYPES"
bench_load --collectors process,files
python3 "$BENCH_PY" ids-links "$PIN_DIR" >"$BENCH_TMP/ids.new"
bench_foreign "$BENCH_TMP/ids.new"
for r in $(seq "$REPEAT"); do
	printf '  round %s:' "$r"
	for cfg in $CONFIGS; do
		printf ' %s' "$cfg"
		start_reader "$cfg"
		for mode in open fork exec; do
			case $mode in
			open) n=$OPEN_N ;;
			fork) n=$FORK_N ;;
			exec) n=$EXEC_N ;;
			esac
			d0=0 c0=0
			if [ -n "$READER_PID" ]; then
				d0=$(delivered "$READER_PID")
				c0=$(bench_cpu_ns "$READER_PID")
			fi
			ns=$(loop $mode "$n")
			d1=0 c1=0
			if [ -n "$READER_PID" ]; then
				sleep 0.3	# the reader's last poll
				d1=$(delivered "$READER_PID")
				c1=$(bench_cpu_ns "$READER_PID")
			fi
			echo "$cfg $mode $n $ns $((d1 - d0)) $((c1 - c0))" >>"$BENCH_TMP/agent.txt"
		done
		stop_reader "$cfg"
	done
	echo
done

# The kernel's view of each program under each configuration, and the
# base build's with no reader: BPF stats resolve what the loops cannot here.
stats_pass() {
	local label=$1 ids=$2
	bench_stats_on
	python3 "$BENCH_PY" snap "$ids" >"$BENCH_TMP/snap0"
	loop open $STATS_OPEN_N >/dev/null
	loop fork $STATS_FORK_N >/dev/null
	loop exec $STATS_EXEC_N >/dev/null
	python3 "$BENCH_PY" snap "$ids" >"$BENCH_TMP/snap1"
	bench_stats_off
	python3 "$BENCH_PY" delta "$BENCH_TMP/snap0" "$BENCH_TMP/snap1" |
		sed "s/^/$label /" >>"$BENCH_TMP/progs.txt"
}

base_pass() {
	bench_unload
	"$BASE_BUILD/observe-load" --pin-dir "$PIN_DIR" --group root --config /dev/null \
		--collectors process,files >"$BENCH_TMP/load.out" 2>&1 ||
		{ cat "$BENCH_TMP/load.out" >&2; bench_die "observe-load of $BASE_BUILD failed"; }
	python3 "$BENCH_PY" ids-links "$PIN_DIR" >"$BENCH_TMP/ids.base"
	stats_pass base "$BENCH_TMP/ids.base"
	"$BASE_BUILD/observe-load" --pin-dir "$PIN_DIR" --unload >/dev/null 2>&1 ||
		bench_die "observe-load --unload of $BASE_BUILD failed"
	bench_load --collectors process,files
	python3 "$BENCH_PY" ids-links "$PIN_DIR" >"$BENCH_TMP/ids.new"
}

: >"$BENCH_TMP/progs.txt"
printf '  BPF stats:'
for r in $(seq "$STATS_REPEAT"); do
	for cfg in $STATS_CONFIGS; do
		printf ' %s' "$cfg"
		start_reader "$cfg"
		stats_pass "$cfg" "$BENCH_TMP/ids.new"
		stop_reader "$cfg"
	done
	if [ -n "$BASE_BUILD" ]; then
		printf ' base'
		base_pass
	fi
done
echo
python3 "$BENCH_PY" agent-report "$BENCH_TMP/agent.txt" "$BENCH_TMP/progs.txt"
