#!/bin/bash
# bench/producers.sh [BUILD] [OTHER_BUILD]: the event path shared by all CPUs,
# with one producer on each CPU. Root; about a minute with ROUNDS=5.
#
# Every CPU runs an open+close loop of /dev/null (bench/loop.c) at once.
# With observe loaded and one reader of exec events only, every open is
# made into an event, numbered and refused by the reader's slot: the work
# every event shares, without a reader's copying or waking on these 2 CPUs.
# Each configuration runs between two runs with nothing loaded; its figure
# is the added ns per iteration (mean of the CPUs' loops) against theirs.
#   BUILD        this tree's build
#   OTHER_BUILD  another tree's (make BUILD=DIR of an older commit), to see
#                a change of the event path before and after, in one run
#
# ROUNDS=5 and N=200000 (iterations per loop) may be set in the environment.
# Pins only under /sys/fs/bpf/observe-bench-<pid>, removed at exit; ends only
# the processes it started.
set -eu
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init producers "${1:-build}"
bench_build loop
THIS_BUILD=$BUILD
OTHER_BUILD=${2:-}
[ -z "$OTHER_BUILD" ] || [ -x "$OTHER_BUILD/observe-load" ] ||
	bench_die "$OTHER_BUILD/observe-load is missing: build that tree first"

ROUNDS=${ROUNDS:-5}
N=${N:-200000}
CONFIGS="this"
[ -z "$OTHER_BUILD" ] || CONFIGS="other this"
OUT=$BENCH_TMP/producers.txt
: >"$OUT"

# run_loops: mean ns per iteration of one open loop on each CPU at once
run_loops() {
	local cpu pids="" p sum=0
	for cpu in $(seq 0 $(($(nproc) - 1))); do
		bench_bg taskset -c "$cpu" "$BB/loop" open "$N" >"$BENCH_TMP/loop.$cpu"
		pids="$pids $BG_PID"
	done
	for p in $pids; do
		bench_reap "$p" || bench_die "an open loop failed"
	done
	for cpu in $(seq 0 $(($(nproc) - 1))); do
		sum=$(awk -v s="$sum" '{ print s + $1 }' "$BENCH_TMP/loop.$cpu")
	done
	awk -v s="$sum" -v n="$(nproc)" 'BEGIN { printf "%.1f", s / n }'
}

# measure CONFIG: loads that build, an exec-only reader, the loops; unloads
measure() {
	local reader
	BUILD=$THIS_BUILD
	[ "$1" = this ] || BUILD=$OTHER_BUILD
	bench_load
	bench_bg "$BUILD/observe-events" --pin-dir "$PIN_DIR" -q -t exec >/dev/null
	reader=$BG_PID
	bench_wait_reader "$reader"
	run_loops
	bench_stop "$reader" || true
	bench_unload
	BUILD=$THIS_BUILD
}

echo "producers bench: $(uname -r), $(nproc) CPUs, an open loop on each; $ROUNDS rounds"
[ -z "$OTHER_BUILD" ] || echo "other = $OTHER_BUILD, this = $THIS_BUILD"
bench_foreign --all /dev/null
for r in $(seq "$ROUNDS"); do
	echo "$r open-per-cpu base $(run_loops)" >>"$OUT"
	for cfg in $CONFIGS; do
		echo "$r open-per-cpu $cfg $(measure "$cfg")" >>"$OUT"
		echo "$r open-per-cpu base $(run_loops)" >>"$OUT"
	done
	bench_note "round $r of $ROUNDS done"
done
python3 "$BENCH_PY" compare-report "$OUT" "$CONFIGS"
