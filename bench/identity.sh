#!/bin/bash
# bench/identity.sh [BUILD]: what the identity fields of issue 18 cost in the
# kernel. Root; about 3 minutes with ROUNDS=5 (and its first build).
#
# The fields: every event header's start_ns and parent_start_ns (two task
# pointer walks, bpf/observe.bpf.h), and on exec events exe (the new image's
# path walked from dentries and mounts, bpf/path.bpf.h) and prev_exe (the old
# image's path, noted at execve's entry while someone reads execs,
# bpf/process.bpf.c). A second build of the loader, BUILD/bench/no-identity,
# has them compiled out (BPF_EXTRA_CFLAGS=-DOBSERVE_BENCH_NO_IDENTITY; its
# execve entry programs stay attached, and return at once).
#
# In each of ROUNDS rounds, each build in turn (the order alternates between
# rounds) is loaded with one reader of every event type (observe-events -t
# all -q > /dev/null), between two runs with nothing loaded, and times a
# posix_spawn loop and an open+close loop (bench/loop.c, pinned to the last
# CPU); then, with kernel.bpf_stats_enabled on for that pass only, shorter
# loops of both give each observe program's average run time. Prints per
# program the runs, the median over the rounds of its average without and
# with the fields, the difference and %; then the added ns per iteration of
# each build against nothing loaded (as bench/compare.sh).
#
# ROUNDS=5, SPAWN_N=1000, OPEN_N=100000, STATS_SPAWN_N=500 and
# STATS_OPEN_N=20000 may be set in the environment. Pins only under
# /sys/fs/bpf/observe-bench-<pid>, removed at exit; ends only the processes
# it started.
set -eu
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init identity "${1:-build}"
bench_build loop

ROUNDS=${ROUNDS:-5}
SPAWN_N=${SPAWN_N:-1000}
OPEN_N=${OPEN_N:-100000}
STATS_SPAWN_N=${STATS_SPAWN_N:-500}
STATS_OPEN_N=${STATS_OPEN_N:-20000}
THIS_BUILD=$BUILD
NO_ID_BUILD=$(cd "$BUILD" && pwd)/bench/no-identity
OUT=$BENCH_TMP/identity.txt
: >"$OUT"

# The same tree, the fields compiled out; make rebuilds it only when a
# source changed.
make -C "$BENCH_SRC/.." BUILD="$NO_ID_BUILD" BPF_EXTRA_CFLAGS=-DOBSERVE_BENCH_NO_IDENTITY \
	"$NO_ID_BUILD/observe-load" "$NO_ID_BUILD/observe-events" "$NO_ID_BUILD/observe-stats" \
	>"$BENCH_TMP/make.out" 2>&1 ||
	{ cat "$BENCH_TMP/make.out" >&2; bench_die "the build without the identity fields failed"; }

# run_loop spawn|open [N]: ns per iteration (N: SPAWN_N, OPEN_N)
run_loop() {
	local out mode=exec n=$SPAWN_N
	[ "$1" = spawn ] || { mode=$1 n=$OPEN_N; }
	out=$(taskset -c "$BENCH_CPU" "$BB/loop" "$mode" "${2:-$n}") || bench_die "loop $1 failed"
	echo "${out%% *}"
}

# base_runs ROUND: both loops with nothing loaded
base_runs() {
	echo "$1 spawn base $(run_loop spawn)" >>"$OUT"
	echo "$1 open base $(run_loop open)" >>"$OUT"
}

# measure ROUND CONFIG: loads that build with one reader of everything, times
# both loops, then the BPF stats pass; unloads
measure() {
	local r=$1 cfg=$2 reader
	BUILD=$THIS_BUILD
	[ "$cfg" = with ] || BUILD=$NO_ID_BUILD
	bench_load
	python3 "$BENCH_PY" ids-links "$PIN_DIR" >"$BENCH_TMP/ids"
	bench_foreign "$BENCH_TMP/ids"
	bench_bg "$BUILD/observe-events" --pin-dir "$PIN_DIR" -t all -q >/dev/null
	reader=$BG_PID
	bench_wait_reader "$reader"
	echo "$r spawn $cfg $(run_loop spawn)" >>"$OUT"
	echo "$r open $cfg $(run_loop open)" >>"$OUT"
	bench_stats_on
	python3 "$BENCH_PY" snap "$BENCH_TMP/ids" >"$BENCH_TMP/snap0"
	run_loop spawn "$STATS_SPAWN_N" >/dev/null
	run_loop open "$STATS_OPEN_N" >/dev/null
	python3 "$BENCH_PY" snap "$BENCH_TMP/ids" >"$BENCH_TMP/snap1"
	bench_stats_off
	python3 "$BENCH_PY" delta "$BENCH_TMP/snap0" "$BENCH_TMP/snap1" >"$BENCH_TMP/stats.$cfg.$r"
	bench_stop "$reader" || bench_die "observe-events failed"
	bench_unload
	BUILD=$THIS_BUILD
}

echo "identity bench: $(uname -r), $(nproc) CPUs, loops pinned to CPU $BENCH_CPU;" \
	"spawn x$SPAWN_N, open x$OPEN_N (stats: x$STATS_SPAWN_N, x$STATS_OPEN_N); $ROUNDS rounds"
echo "without = $NO_ID_BUILD (-DOBSERVE_BENCH_NO_IDENTITY), with = $THIS_BUILD"
bench_foreign --all /dev/null
for r in $(seq "$ROUNDS"); do
	order="without with"
	[ $((r % 2)) = 1 ] || order="with without"
	base_runs "$r"
	for cfg in $order; do
		measure "$r" "$cfg"
		base_runs "$r"
	done
	bench_note "round $r of $ROUNDS done"
done
python3 "$BENCH_PY" identity-report "$BENCH_TMP" "$ROUNDS"
echo
echo "End to end, one reader of everything:"
python3 "$BENCH_PY" compare-report "$OUT" "without with"
