#!/bin/bash
# bench/run.sh [BUILD]: what observe costs the processes it watches.
#
# Times three loops (bench/loop.c: posix_spawn of /bin/true, fork + _exit,
# getppid) under six configurations, in REPEAT rounds of all six:
#   (a) nothing loaded
#   (b) bpftrace with empty actions on observe's hooks (classic tracepoints)
#   (b2) empty programs on exactly observe's hooks and hook types (tp_btf + tp)
#   (c) observe loaded, no reader
#   (d) observe loaded + one reader (observe-events -q > /dev/null)
#   (e) bpftrace printing comparable fields to /dev/null
# then, with kernel.bpf_stats_enabled=1, each program's average run time;
# and the floors of bench/floor.bpf.c on the fork hook, timed the same way;
# then what an empty program adds end to end (bench/dispatch.bpf.c), to give
# the issue's ratios of extra cost per event.
# Ends with bench/storm.sh, bench/producers.sh, bench/identity.sh,
# bench/loader.sh, bench/collectors.sh, bench/compare.sh, bench/metrics.sh,
# bench/tls.sh, bench/agents.sh and bench/http.sh (not with RUN_ONLY=1).
# Root; about 20 minutes, 5 with RUN_ONLY=1.
#
# Pins only under /sys/fs/bpf/observe-bench-<pid>, removed at exit; ends only
# the processes it started.
set -eu
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init run "${1:-build}"
bench_need_bpftrace

EXEC_N=3000
FORK_N=5000
SYSCALL_N=2000000
REPEAT=3
STATS_EXEC_N=1000
STATS_FORK_N=2000
DISPATCH_N=500000
DISPATCH_ROUNDS=9

bench_build all
: >"$BENCH_TMP/loops.txt"
CONFIGS="a b b2 c d e"
DELIVERED=0
DROPPED=0

# loop MODE N: ns per iteration of one loop on BENCH_CPU
loop() {
	local out
	out=$(taskset -c "$BENCH_CPU" "$BB/loop" "$@") || bench_die "loop $* failed"
	echo "${out%% *}"
}

# start_cfg CFG: sets up CFG and writes the ids of its programs to ids.CFG
# (none for a). stop_cfg CFG undoes it.
start_cfg() {
	local cfg=$1 prog probes
	case $cfg in
	a) ;;
	b | e)
		# the printf script also reads argv at syscall entry: 7 probes
		if [ "$cfg" = b ]; then prog=$BT_EMPTY probes=5; else prog=$BT_PRINTF probes=7; fi
		bench_bg bpftrace -e "$prog" >/dev/null 2>"$BENCH_TMP/bpftrace.$cfg.err"
		CFG_PID=$BG_PID
		bench_wait_attached "$CFG_PID" "$probes" "$BENCH_TMP/bpftrace.$cfg.err"
		python3 "$BENCH_PY" ids-perf "$CFG_PID" >"$BENCH_TMP/ids.$cfg"
		;;
	b2)
		bench_start_programs empty
		CFG_PID=$BG_PID
		cp "$BENCH_TMP/ids.empty" "$BENCH_TMP/ids.$cfg"
		;;
	c | d)
		bench_load
		python3 "$BENCH_PY" ids-links "$PIN_DIR" >"$BENCH_TMP/ids.$cfg"
		if [ "$cfg" = d ]; then
			bench_bg "$BUILD/observe-events" --pin-dir "$PIN_DIR" -q >/dev/null
			CFG_PID=$BG_PID
			bench_wait_reader "$CFG_PID"
			"$BUILD/observe-stats" --pin-dir "$PIN_DIR" --json >"$BENCH_TMP/stats0.json"
		fi
		;;
	esac
	[ "$cfg" = a ] || bench_foreign "$BENCH_TMP/ids.$cfg"
}

stop_cfg() {
	local cfg=$1 del0 drop0 del1 drop1
	case $cfg in
	a) ;;
	b | e) bench_stop "$CFG_PID" || true ;;
	b2) bench_stop "$CFG_PID" || bench_die "the attacher of the empty programs failed" ;;
	c) bench_unload ;;
	d)
		"$BUILD/observe-stats" --pin-dir "$PIN_DIR" --json >"$BENCH_TMP/stats1.json"
		read -r _ del0 drop0 _ <<<"$(python3 "$BENCH_PY" slot "$BENCH_TMP/stats0.json" "$CFG_PID")"
		read -r _ del1 drop1 _ <<<"$(python3 "$BENCH_PY" slot "$BENCH_TMP/stats1.json" "$CFG_PID")"
		DELIVERED=$((DELIVERED + del1 - del0))
		DROPPED=$((DROPPED + drop1 - drop0))
		bench_stop "$CFG_PID" || bench_die "observe-events failed"
		bench_unload
		;;
	esac
}

# stats_pass CFG: average run time of CFG's programs over a shorter exec and
# fork loop with kernel BPF stats on (off while timing: they cost every run).
stats_pass() {
	local cfg=$1
	bench_stats_on
	python3 "$BENCH_PY" snap "$BENCH_TMP/ids.$cfg" >"$BENCH_TMP/snap0"
	loop exec $STATS_EXEC_N >/dev/null
	loop fork $STATS_FORK_N >/dev/null
	python3 "$BENCH_PY" snap "$BENCH_TMP/ids.$cfg" >"$BENCH_TMP/snap1"
	bench_stats_off
	python3 "$BENCH_PY" delta "$BENCH_TMP/snap0" "$BENCH_TMP/snap1" >"$BENCH_TMP/stats.$cfg.txt"
}

echo "observe bench: $(uname -r), $(nproc) CPUs, loops pinned to CPU $BENCH_CPU;" \
	"exec x$EXEC_N, fork x$FORK_N, getppid x$SYSCALL_N; $REPEAT rounds, each timing" \
	"every configuration in turn (a burst of other load then spoils one round, not a configuration)"
bench_foreign /dev/null

for r in $(seq "$REPEAT"); do
	printf '  round %s:' "$r"
	for cfg in $CONFIGS; do
		start_cfg "$cfg"
		printf ' %s' "$cfg"
		for mode in exec fork syscall; do
			case $mode in
			exec) n=$EXEC_N ;;
			fork) n=$FORK_N ;;
			syscall) n=$SYSCALL_N ;;
			esac
			ns=$(loop $mode "$n")
			echo "$ns" >>"$BENCH_TMP/loop.$cfg.$mode"
		done
		if [ "$r" = 1 ] && [ "$cfg" != a ]; then
			printf '+stats'
			stats_pass "$cfg"
		fi
		stop_cfg "$cfg"
	done
	echo
done
for cfg in $CONFIGS; do
	for mode in exec fork syscall; do
		echo "$cfg $mode $(tr '\n' ' ' <"$BENCH_TMP/loop.$cfg.$mode")"
	done
done >"$BENCH_TMP/loops.txt"

echo
python3 "$BENCH_PY" report "$BENCH_TMP" "$BENCH_CPU"
echo "  (d) the reader got $DELIVERED events and lost $DROPPED during its loops" \
	"(slot counters); bpftrace's losses are in bench/storm.sh"
echo

# The floors (bench/floor.bpf.c): the least each step of a collector costs on
# the fork hook, all attached at once, timed by the kernel's BPF stats.
bench_start_programs floor
FLOOR_PID=$BG_PID
bench_foreign "$BENCH_TMP/ids.floor"
bench_stats_on
python3 "$BENCH_PY" snap "$BENCH_TMP/ids.floor" >"$BENCH_TMP/snap0"
loop fork $STATS_FORK_N >/dev/null
python3 "$BENCH_PY" snap "$BENCH_TMP/ids.floor" >"$BENCH_TMP/snap1"
bench_stats_off
bench_stop "$FLOOR_PID" || bench_die "the attacher of the floor programs failed"
python3 "$BENCH_PY" delta "$BENCH_TMP/snap0" "$BENCH_TMP/snap1" >"$BENCH_TMP/stats.floor.txt"
python3 "$BENCH_PY" floor-report "$BENCH_TMP"
echo

# What an empty program adds end to end (bench/dispatch.bpf.c): the issue's
# targets are ratios of such extra costs, and the BPF stats above leave the
# dispatch out. Interleaved rounds of a prctl loop without and with it.
for r in $(seq "$DISPATCH_ROUNDS"); do
	loop rename $DISPATCH_N >>"$BENCH_TMP/dispatch.none"
	bench_start_programs dispatch
	loop rename $DISPATCH_N >>"$BENCH_TMP/dispatch.empty"
	if [ "$r" = 1 ]; then
		bench_stats_on
		python3 "$BENCH_PY" snap "$BENCH_TMP/ids.dispatch" >"$BENCH_TMP/snap0"
		loop rename $DISPATCH_N >/dev/null
		python3 "$BENCH_PY" snap "$BENCH_TMP/ids.dispatch" >"$BENCH_TMP/snap1"
		bench_stats_off
		python3 "$BENCH_PY" delta "$BENCH_TMP/snap0" "$BENCH_TMP/snap1" \
			>"$BENCH_TMP/stats.dispatch.txt"
	fi
	bench_stop "$BG_PID" || bench_die "the attacher of the dispatch program failed"
done
python3 "$BENCH_PY" dispatch-report "$BENCH_TMP"
echo

[ "${RUN_ONLY:-0}" != 1 ] || exit 0
"$BENCH_SRC/storm.sh" "$BUILD"
echo
"$BENCH_SRC/producers.sh" "$BUILD"
echo
"$BENCH_SRC/identity.sh" "$BUILD"
echo
"$BENCH_SRC/loader.sh" "$BUILD"
echo
"$BENCH_SRC/collectors.sh" "$BUILD"
echo
"$BENCH_SRC/compare.sh" "$BUILD"
echo
"$BENCH_SRC/metrics.sh" "$BUILD"
echo
"$BENCH_SRC/tls.sh" "$BUILD"
echo
"$BENCH_SRC/agents.sh" "$BUILD"
echo
"$BENCH_SRC/http.sh" "$BUILD"
