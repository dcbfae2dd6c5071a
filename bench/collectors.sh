#!/bin/bash
# bench/collectors.sh [BUILD]: the collectors' three figures. Root; about
# 2-3 minutes.
#
#  1. What the syscalls collector adds to every syscall: a getppid loop
#     (bench/loop.c) pinned to the last CPU, in ROUNDS interleaved rounds of
#       (a) nothing loaded
#       (b) observe-load --collectors=syscalls (it counts with no reader)
#       (c) the same, switched off with 'observe-filter disable syscalls'
#       (d) everything loaded (the defaults) + one reader > /dev/null
#       (e) bpftrace 'tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }'
#     ns per call (median) and its ratio to (a); then, once, each config's
#     BPF program time per call (kernel.bpf_stats_enabled).
#  2. One reader against file opens: 'observe-events -q -t open -c COMM'
#     (to /dev/null, or through a FIFO to awk, which counts its lines) while
#     open()+close() loops (bench/loop open, copied under the name COMM) run
#     for OPEN_SECS=3 s: one loop on the last CPU with the reader on CPU 0,
#     then one loop per CPU; default rings, then 16 MiB rings. Events/s
#     delivered and dropped (the reader's slot counters), the loops' rate,
#     the reader's CPU per event; the same under bpftrace printing comparable
#     fields as JSON (opensnoop's enter+exit pair) to awk.
#  3. A build: make -j$(nproc) of a generated C project of BUILD_FILES=40
#     files (gcc -O2), ROUNDS interleaved rounds of nothing loaded and of
#     everything loaded + one reader > /dev/null; the median wall times.
#
# ROUNDS=3, SYSCALL_N=2000000, OPEN_SECS and BUILD_FILES may be set in the
# environment (smaller for a quick look); PARTS=123 says which parts run.
#
# Pins only under /sys/fs/bpf/observe-bench-<pid>, removed at exit; ends only
# the processes it started.
set -eu
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init collectors "${1:-build}"
bench_need_bpftrace
for c in make gcc; do
	command -v "$c" >/dev/null || bench_die "$c is missing: run scripts/install-deps.sh"
done
[ -x "$BUILD/observe-filter" ] || bench_die "$BUILD/observe-filter is missing: run make first"
bench_build loop

ROUNDS=${ROUNDS:-3}
SYSCALL_N=${SYSCALL_N:-2000000}
STATS_N=500000
OPEN_SECS=${OPEN_SECS:-3}
BUILD_FILES=${BUILD_FILES:-40}
READER_CPU=0
NCPU=$(nproc)

# bpftrace's side of each part: a count per comm on every syscall (syscount's
# way); and opensnoop.bt's pair, the path and flags kept from the entry, the
# fields observe's open events carry printed as JSON at the exit.
BT_COUNT='tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }'
OPEN_COMM=bopen-$$
BT_OPEN='tracepoint:syscalls:sys_enter_openat
/comm == "'$OPEN_COMM'"/
{
	@path[tid] = args->filename;
	@flags[tid] = args->flags;
}
tracepoint:syscalls:sys_exit_openat
/@path[tid]/
{
	printf("{\"type\":\"open\",\"ts_ns\":%llu,\"cpu\":%u,\"pid\":%d,\"tid\":%d,\"ppid\":%d,\"uid\":%u,\"gid\":%u,\"comm\":\"%s\",\"cgroup_id\":%llu,\"syscall\":\"openat\",\"path\":\"%s\",\"flags\":%d,\"ret\":%d}\n",
	       nsecs, cpu, pid, tid, curtask->real_parent->tgid, uid, gid, comm, cgroup,
	       str(@path[tid]), @flags[tid], args->ret);
	delete(@path[tid]);
	delete(@flags[tid]);
}'

# slot_delta STATS0 STATS1 PID: "delivered dropped" of PID's slot between two
# observe-stats --json
slot_delta() {
	local d0 p0 d1 p1
	read -r _ d0 p0 _ <<<"$(python3 "$BENCH_PY" slot "$1" "$3")"
	read -r _ d1 p1 _ <<<"$(python3 "$BENCH_PY" slot "$2" "$3")"
	echo $((d1 - d0)) $((p1 - p0))
}

stats_json() { # FILE
	"$BUILD/observe-stats" --pin-dir "$PIN_DIR" --json >"$1"
}

# start_reader: one observe-events > /dev/null (READER)
start_reader() {
	bench_bg "$BUILD/observe-events" --pin-dir "$PIN_DIR" -q >/dev/null
	READER=$BG_PID
	bench_wait_reader "$READER"
}

echo "collectors bench: $(uname -r), $NCPU CPUs; $ROUNDS rounds where rounds are" \
	"interleaved (a burst of other load then spoils one round, not one configuration)"
bench_foreign --all /dev/null

# ---- 1. per-syscall cost --------------------------------------------------

sc_start() {
	case $1 in
	a) ;;
	b | c)
		bench_load --collectors=syscalls
		[ "$1" = b ] ||
			"$BUILD/observe-filter" --pin-dir "$PIN_DIR" disable syscalls >/dev/null
		python3 "$BENCH_PY" ids-links "$PIN_DIR" >"$BENCH_TMP/ids.$1"
		;;
	d)
		bench_load
		python3 "$BENCH_PY" ids-links "$PIN_DIR" >"$BENCH_TMP/ids.$1"
		start_reader
		;;
	e)
		bench_bg bpftrace -e "$BT_COUNT" >/dev/null 2>"$BENCH_TMP/bt.count.err"
		BT=$BG_PID
		bench_wait_attached "$BT" 1 "$BENCH_TMP/bt.count.err"
		python3 "$BENCH_PY" ids-perf "$BT" >"$BENCH_TMP/ids.$1"
		;;
	esac
	[ "$1" = a ] || bench_foreign --all "$BENCH_TMP/ids.$1"
}

sc_stop() {
	case $1 in
	a) ;;
	b | c) bench_unload ;;
	d)
		bench_stop "$READER" || bench_die "observe-events failed"
		bench_unload
		;;
	e) bench_stop "$BT" || true ;;
	esac
}

# sc_progs CFG: CFG's programs' run time over STATS_N getppid calls
sc_progs() {
	bench_stats_on
	python3 "$BENCH_PY" snap "$BENCH_TMP/ids.$1" >"$BENCH_TMP/snap0"
	taskset -c "$BENCH_CPU" "$BB/loop" syscall "$STATS_N" >/dev/null
	python3 "$BENCH_PY" snap "$BENCH_TMP/ids.$1" >"$BENCH_TMP/snap1"
	bench_stats_off
	python3 "$BENCH_PY" delta "$BENCH_TMP/snap0" "$BENCH_TMP/snap1" >"$BENCH_TMP/progs.$1"
}

part() { # part N: whether part N is to run
	case $PARTS in *"$1"*) return 0 ;; *) return 1 ;; esac
}
PARTS=${PARTS:-123}

if part 1; then
	echo "1. per-syscall cost (getppid x$SYSCALL_N on CPU $BENCH_CPU)"
	echo "$STATS_N" >"$BENCH_TMP/progs.n"
	for r in $(seq "$ROUNDS"); do
		printf '  round %s:' "$r"
		for cfg in a b c d e; do
			sc_start $cfg
			printf ' %s' $cfg
			out=$(taskset -c "$BENCH_CPU" "$BB/loop" syscall "$SYSCALL_N") ||
				bench_die "loop syscall failed"
			echo "${out%% *}" >>"$BENCH_TMP/sc.$cfg"
			if [ "$r" = 1 ] && [ $cfg != a ]; then
				printf '+stats'
				sc_progs $cfg
			fi
			sc_stop $cfg
		done
		echo
	done
	echo
	python3 "$BENCH_PY" syscall-report "$BENCH_TMP" "$BENCH_CPU" "$SYSCALL_N"
	echo
fi

# ---- 2. one reader against file opens ---------------------------------------

cp "$BB/loop" "$BENCH_TMP/$OPEN_COMM"
mkfifo "$BENCH_TMP/fifo"

# producers_start N: N open loops for OPEN_SECS, on the last CPU, then the one
# before, in the background (PROD_PIDS); producers_wait reaps them and sets
# PROD_RATE (their opens/s, summed) and PROD_SECS (wall time). producers N:
# both.
producers_start() {
	local i
	PROD_N=$1 PROD_PIDS="" PROD_T0=$(date +%s%N)
	for i in $(seq "$PROD_N"); do
		bench_bg taskset -c $((BENCH_CPU - i + 1)) "$BENCH_TMP/$OPEN_COMM" open 1000000000 \
			"$OPEN_SECS" >"$BENCH_TMP/prod.$i"
		PROD_PIDS="$PROD_PIDS $BG_PID"
	done
}

producers_wait() {
	local i p t1
	for p in $PROD_PIDS; do
		bench_reap "$p" || bench_die "the open loop failed"
	done
	t1=$(date +%s%N)
	PROD_SECS=$(awk -v ns=$((t1 - PROD_T0)) 'BEGIN { printf "%.3f", ns / 1e9 }')
	PROD_RATE=$(for i in $(seq "$PROD_N"); do cat "$BENCH_TMP/prod.$i"; done |
		awk '{ r += 1e9 / $1 } END { printf "%.0f", r }')
}

producers() {
	producers_start "$1"
	producers_wait
}

# pin_reader N: PIN, the command prefix of a reader and its counter beside N
# producers: beside one it has CPU 0 to itself; with one per CPU it goes where
# the scheduler puts it.
pin_reader() {
	PIN=()
	if [ "$1" = 1 ] && [ "$NCPU" -gt 1 ]; then
		PIN=(taskset -c "$READER_CPU")
	fi
}

# row LABEL NPROD OPENS/s EVENTS/s LOST LINES CPU_NS EVENTS: one line of the
# table; per event: the reader's CPU time and its inverse, the events one
# CPU-second of the reader takes.
row() {
	local cpu="" us="" per=""
	if [ -n "$7" ]; then
		cpu=$(awk -v t="$7" -v s="$PROD_SECS" 'BEGIN { printf "%.0f%%", 100 * t / 1e9 / s }')
		if [ "$8" -gt 0 ]; then
			us=$(awk -v t="$7" -v n="$8" 'BEGIN { printf "%.2f", t / n / 1000 }')
			per=$(awk -v t="$7" -v n="$8" 'BEGIN { printf "%.0f", n / (t / 1e9) }')
		fi
	fi
	printf '  %-42s %5s %8s %9s %7s %9s %5s %6s %9s\n' "$1" "$2" "$3" "$4" "$5" "$6" \
		"$cpu" "$us" "$per"
	ROW_RATE=$4 ROW_PER_CPU=$per
}

# obs_run LABEL NPROD null|awk [OBSERVE-LOAD OPTION...]: observe with the
# defaults (and these options) and one reader of COMM's opens, writing to
# /dev/null or through the FIFO to awk, which counts its lines and what its
# gap records say was lost.
obs_run() {
	local label=$1 nprod=$2 out=$3 cpu0 cpu1 del drop lines=- gaplost
	shift 3
	bench_load "$@"
	python3 "$BENCH_PY" ids-links "$PIN_DIR" >"$BENCH_TMP/ids.open"
	bench_foreign --all "$BENCH_TMP/ids.open"
	pin_reader "$nprod"
	if [ "$out" = awk ]; then
		# shellcheck disable=SC2016  # awk's own variables
		"${PIN[@]}" awk '
			{ n++ }
			/"type":"gap",/ && match($0, /"lost":[0-9]+/) { lost += substr($0, RSTART + 7, RLENGTH - 7) }
			END { print n + 0, lost + 0 }' <"$BENCH_TMP/fifo" >"$BENCH_TMP/fifo.count" &
		bench_track $!
		counter=$BG_PID
		"${PIN[@]}" "$BUILD/observe-events" --pin-dir "$PIN_DIR" -q -t open -c "$OPEN_COMM" \
			>"$BENCH_TMP/fifo" &
		bench_track $!
	else
		bench_bg "${PIN[@]}" "$BUILD/observe-events" --pin-dir "$PIN_DIR" -q -t open \
			-c "$OPEN_COMM" >/dev/null
	fi
	reader=$BG_PID
	bench_wait_reader "$reader"
	stats_json "$BENCH_TMP/open0.json"
	cpu0=$(bench_cpu_ns "$reader")
	producers "$nprod"
	sleep 1 # the reader polls every 50 ms: let it empty its ring
	stats_json "$BENCH_TMP/open1.json"
	cpu1=$(bench_cpu_ns "$reader")
	read -r del drop <<<"$(slot_delta "$BENCH_TMP/open0.json" "$BENCH_TMP/open1.json" "$reader")"
	bench_stop "$reader" || bench_die "observe-events failed"
	if [ "$out" = awk ]; then
		bench_reap "$counter"
		read -r lines gaplost <"$BENCH_TMP/fifo.count"
	fi
	bench_unload
	row "$label" "$nprod" "$PROD_RATE" "$(python3 "$BENCH_PY" rate "$del" "$PROD_SECS")" \
		"$drop" "$lines" $((cpu1 - cpu0)) "$del"
	if [ "$out" = awk ] && [ "$gaplost" != "$drop" ]; then
		echo "      (its gap records say $gaplost lost, its slot counter $drop)"
	fi
}

# bt_run LABEL NPROD: bpftrace printing the same through the FIFO to awk; it
# reports its own losses as "Lost N events" on standard output.
bt_run() {
	local label=$1 nprod=$2 cpu0 cpu1 lines lost
	pin_reader "$nprod"
	# shellcheck disable=SC2016  # awk's own variables
	"${PIN[@]}" awk '
		/^\{"type"/ { n++; next }
		/^Lost [0-9]+ events/ { lost += $2; next }
		END { print n + 0, lost + 0 }' <"$BENCH_TMP/fifo" >"$BENCH_TMP/fifo.count" &
	bench_track $!
	counter=$BG_PID
	"${PIN[@]}" bpftrace -e "$BT_OPEN" >"$BENCH_TMP/fifo" 2>"$BENCH_TMP/bt.open.err" &
	bench_track $!
	bt=$BG_PID
	bench_wait_attached "$bt" 2 "$BENCH_TMP/bt.open.err"
	cpu0=$(bench_cpu_ns "$bt")
	producers "$nprod"
	sleep 1
	cpu1=$(bench_cpu_ns "$bt")
	bench_stop "$bt" || true
	bench_reap "$counter"
	read -r lines lost <"$BENCH_TMP/fifo.count"
	row "$label" "$nprod" "$PROD_RATE" "$(python3 "$BENCH_PY" rate "$lines" "$PROD_SECS")" \
		"$lost" "$lines" $((cpu1 - cpu0)) "$lines"
}

# drain_run alone|live NPROD SECS [OBSERVE-LOAD OPTION...]: the reader's own
# top speed, whatever the loops can make: it is stopped (SIGSTOP) while NPROD
# loops fill its ring for SECS, then resumed on CPU 0 until its CPU time stops
# growing; events delivered / its CPU time then = events/s as JSON. alone: the
# loops have ended when it resumes; live: they go on for 2 x SECS more (on
# the other CPU where there is one) while it catches up.
drain_run() {
	local mode=$1 nprod=$2 secs=$3 cpu0 cpu1 prev del drop t0 t1 i=0 save=$OPEN_SECS
	local prod="" state
	shift 3
	bench_load "$@"
	python3 "$BENCH_PY" ids-links "$PIN_DIR" >"$BENCH_TMP/ids.open"
	bench_foreign --all "$BENCH_TMP/ids.open"
	pin_reader 1
	bench_bg "${PIN[@]}" "$BUILD/observe-events" --pin-dir "$PIN_DIR" -q -t open \
		-c "$OPEN_COMM" >/dev/null
	reader=$BG_PID
	bench_wait_reader "$reader"
	kill -STOP "$reader"
	stats_json "$BENCH_TMP/open0.json"
	if [ "$mode" = live ]; then
		OPEN_SECS=$((3 * secs))
		producers_start "$nprod"
		prod=1
		sleep "$secs"
		state="resumed while the loop(s) went on for $((2 * secs)) s more"
	else
		OPEN_SECS=$secs
		producers "$nprod"
		state="resumed alone on a CPU"
	fi
	OPEN_SECS=$save
	cpu0=$(bench_cpu_ns "$reader")
	prev=$cpu0
	t0=$(date +%s%N)
	kill -CONT "$reader"
	[ -z "$prod" ] || producers_wait
	# idle, it polls every 50 ms for a few microseconds
	while [ $i -lt 200 ]; do
		sleep 0.05
		cpu1=$(bench_cpu_ns "$reader")
		[ $((cpu1 - prev)) -lt 1000000 ] && break
		prev=$cpu1
		i=$((i + 1))
	done
	t1=$(date +%s%N)
	stats_json "$BENCH_TMP/open1.json"
	read -r del drop <<<"$(slot_delta "$BENCH_TMP/open0.json" "$BENCH_TMP/open1.json" "$reader")"
	bench_stop "$reader" || bench_die "observe-events failed"
	bench_unload
	awk -v n="$del" -v d="$drop" -v c=$((cpu1 - cpu0)) -v w=$((t1 - t0)) -v l="$nprod" \
		-v s="$secs" -v state="$state" 'BEGIN {
		printf "  backlog: %d loop(s) for %s s with the reader stopped, then %s:\n", l, s, state
		printf "           %d events, %d lost, written as JSON to /dev/null in %.0f ms of its CPU (%.0f ms wall,\n", n, d, c / 1e6, w / 1e6
		printf "           to 50 ms idle): %.0f events/s\n", c ? n / (c / 1e9) : 0
	}'
}

# The formatting alone (bench/format.c): no kernel, no ring.
# ids: the header's numbers; who: with the keys, host and cgroup path every
# line now carries. Alternated, three rounds each, in one run.
format_run() {
	local out ns rate bytes mode round
	for round in 1 2 3; do
		for mode in ids who; do
			out=$("$BB/format" 3000000 $mode 2>&1 >/dev/null) || bench_die "format failed: $out"
			read -r ns rate bytes <<<"$out"
			printf '  the formatter alone (bench/format %s, open events, no ring), round %s: %s ns an event, %s events/s, %s bytes a line\n' \
				"$mode" "$round" "$ns" "$rate" "$bytes"
		done
	done
}

MAXPROD=$((NCPU > 1 ? 2 : 1))
if part 2; then
	echo "2. one reader of file opens: loops of open()+close() of /dev/null named $OPEN_COMM," \
		"$OPEN_SECS s a run;"
	echo "   observe-events -q -t open -c $OPEN_COMM > /dev/null, or | awk counting its lines;" \
		"bpftrace | awk. 1 loop runs on CPU $BENCH_CPU"
	echo "   and the reader (and awk) on CPU $READER_CPU; with $MAXPROD loops, one per CPU," \
		"the reader goes where the scheduler puts it"
	printf '  %-42s %5s %8s %9s %7s %9s %5s %6s %9s\n' "" "" "loops'" "delivered" "" "JSON" \
		"" "reader" "events/"
	printf '  %-42s %5s %8s %9s %7s %9s %5s %6s %9s\n' "config" "loops" "opens/s" "events/s" \
		"lost" "lines" "CPU" "us/ev" "CPU-s"
	producers 1
	row "nothing loaded" 1 "$PROD_RATE" "" "" "" "" 0
	if [ $MAXPROD = 2 ]; then
		producers 2
		row "nothing loaded" 2 "$PROD_RATE" "" "" "" "" 0
	fi
	obs_run "observe 2 MiB rings (default) > /dev/null" 1 null
	obs_run "observe 2 MiB rings (default) | awk" 1 awk
	obs_awk_rate=$ROW_RATE obs_awk_cpu=$ROW_PER_CPU
	if [ $MAXPROD = 2 ]; then
		obs_run "observe 2 MiB rings (default) > /dev/null" 2 null
		obs_run "observe 2 MiB rings (default) | awk" 2 awk
		obs_awk2_rate=$ROW_RATE obs_awk2_cpu=$ROW_PER_CPU
		obs_run "observe 16 MiB rings > /dev/null" 2 null --ring-size=16M
	fi
	bt_run "bpftrace printf (opensnoop pair) | awk" 1
	bt_rate=$ROW_RATE bt_cpu=$ROW_PER_CPU
	if [ $MAXPROD = 2 ]; then
		bt_run "bpftrace printf (opensnoop pair) | awk" 2
		bt2_rate=$ROW_RATE bt2_cpu=$ROW_PER_CPU
	fi
	echo "  loops' opens/s: the loops' own rate, summed. delivered events/s: observe's slot counter"
	echo "  over the loops' wall time; bpftrace's: the JSON lines it printed. lost: observe's slot"
	echo "  counter \"dropped\" (ring full); bpftrace's \"Lost N events\". CPU: the reader's (bpftrace's)"
	echo "  run time over the loops' time; us/ev and events/CPU-s: that time per delivered event."
	# versus LOOPS OBS_RATE OBS_PER_CPU BT_RATE BT_PER_CPU
	versus() {
		awk -v l="$1" -v o="$2" -v oc="$3" -v b="$4" -v bc="$5" 'BEGIN {
			printf "  observe | awk against bpftrace | awk, %d loop(s): %.2fx the events/s, %.2fx the events per CPU-second\n",
				l, b ? o / b : 0, bc ? oc / bc : 0
		}'
	}
	versus 1 "$obs_awk_rate" "$obs_awk_cpu" "$bt_rate" "$bt_cpu"
	[ $MAXPROD = 1 ] || versus 2 "$obs_awk2_rate" "$obs_awk2_cpu" "$bt2_rate" "$bt2_cpu"
	drain_run alone "$MAXPROD" 1 --ring-size=64M --slots=1
	drain_run live 1 1 --ring-size=64M --slots=1
	format_run
	echo "  [targets: >= 1,000,000 events/s as JSON from one reader; >= 5x bpftrace]"
	echo
fi

# ---- 3. a build ------------------------------------------------------------

part 3 || exit 0
python3 "$BENCH_PY" project "$BENCH_TMP/project" "$BUILD_FILES"
build_once() { # prints the wall seconds of one make -jNCPU from clean
	local t0 t1
	make -s -C "$BENCH_TMP/project" clean
	t0=$(date +%s%N)
	make -s -j"$NCPU" -C "$BENCH_TMP/project" >/dev/null || bench_die "the build failed"
	t1=$(date +%s%N)
	awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.3f", ns / 1e9 }'
}
echo "3. a build: make -j$NCPU of $BUILD_FILES generated C files (gcc -O2 -g) and a link," \
	"one warm-up build, then $ROUNDS rounds"
build_once >/dev/null
DELIVERED=0 DROPPED=0
for r in $(seq "$ROUNDS"); do
	printf '  round %s:' "$r"
	for cfg in a d; do
		if [ $cfg = d ]; then
			bench_load
			start_reader
			stats_json "$BENCH_TMP/build0.json"
		fi
		build_once >>"$BENCH_TMP/build.$cfg"
		echo >>"$BENCH_TMP/build.$cfg"
		printf ' %s' $cfg
		if [ $cfg = d ]; then
			stats_json "$BENCH_TMP/build1.json"
			read -r del drop <<<"$(slot_delta "$BENCH_TMP/build0.json" "$BENCH_TMP/build1.json" "$READER")"
			DELIVERED=$((DELIVERED + del)) DROPPED=$((DROPPED + drop))
			bench_stop "$READER" || bench_die "observe-events failed"
			bench_unload
		fi
	done
	echo
done
python3 "$BENCH_PY" build-report "$BENCH_TMP"
echo "  the reader got $DELIVERED events and lost $DROPPED over the $ROUNDS builds (slot counters)"
