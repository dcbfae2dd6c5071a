#!/bin/bash
# bench/metrics.sh [BUILD]: what the exporter and the profiler cost. Root;
# about 2 minutes.
#
#  1. observe-exporter with everything loaded (the defaults) after some
#     activity (execs and syscalls, so that its tables have rows): SCRAPES=200
#     scrapes one after another from Python; the wall time of one scrape
#     (median and 90th percentile), the exporter's CPU time per scrape
#     (schedstat), its peak RSS, and the size of one exposition.
#  2. The profiler on a CPU-bound loop (bench/loop.c spin, pinned to the last
#     CPU), in ROUNDS=3 interleaved rounds of
#       none  nothing loaded
#       off   observe-load --collectors=profile, no observe-profile running
#       49, 99, 999  loaded with --profile-hz=HZ and observe-profile sampling
#     the loop's median time per iteration, its ratio to none, and the samples
#     the profiler counted per second.
#
# SCRAPES, ROUNDS and SPIN_N (iterations of 100000 rounds) may be set in the
# environment. Pins only under /sys/fs/bpf/observe-bench-<pid>, removed at
# exit; ends only the processes it started.
set -eu
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init metrics "${1:-build}"
for b in observe-exporter observe-profile; do
	[ -x "$BUILD/$b" ] || bench_die "$BUILD/$b is missing: run make first"
done

SCRAPES=${SCRAPES:-200}
ROUNDS=${ROUNDS:-3}
SPIN_N=${SPIN_N:-15000}
PORT=19477

bench_build loop

echo "observe metrics bench: $(uname -r), $(nproc) CPUs"

# -- 1. the exporter ------------------------------------------------------
bench_load
taskset -c "$BENCH_CPU" "$BB/loop" exec 300 >/dev/null
taskset -c "$BENCH_CPU" "$BB/loop" syscall 200000 >/dev/null
bench_bg "$BUILD/observe-exporter" --pin-dir "$PIN_DIR" --listen 127.0.0.1:$PORT \
	2>"$BENCH_TMP/exporter.err"
EXPORTER=$BG_PID
for _ in $(seq 100); do
	grep -q serving "$BENCH_TMP/exporter.err" && break
	kill -0 "$EXPORTER" 2>/dev/null || { cat "$BENCH_TMP/exporter.err" >&2; bench_die "the exporter did not start"; }
	sleep 0.05
done
cpu0=$(bench_cpu_ns "$EXPORTER")
python3 - "$PORT" "$SCRAPES" >"$BENCH_TMP/scrapes.txt" <<'EOF'
import statistics, sys, time, urllib.request
port, n = sys.argv[1], int(sys.argv[2])
times = []
for _ in range(n):
    t = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as r:
        body = r.read()
    times.append((time.perf_counter() - t) * 1000)
times.sort()
lines = body.decode().splitlines()
series = sum(1 for line in lines if line and not line.startswith("#"))
print(f"{statistics.median(times):.2f} {times[int(0.9 * n) - 1]:.2f} {len(body)} {series}")
EOF
cpu1=$(bench_cpu_ns "$EXPORTER")
rss=$(awk '/^VmHWM/ { print $2 }' /proc/"$EXPORTER"/status)
read -r med p90 bytes series <"$BENCH_TMP/scrapes.txt"
bench_stop "$EXPORTER"
bench_unload
echo "exporter, everything loaded, $SCRAPES scrapes in a row:"
echo "  one scrape: median $med ms, p90 $p90 ms (wall, client side, loopback)"
echo "  exporter CPU per scrape: $(((cpu1 - cpu0) / SCRAPES / 1000)) us;" \
	"peak RSS $((rss / 1024)) MiB ($rss kB)"
echo "  one exposition: $bytes bytes, $series series (default --top 20)"
echo

# -- 2. the profiler ------------------------------------------------------
# run_cfg CFG: one timing of the spin loop under CFG; prints ns/iteration
# and the samples/s the profiler counted (0 when not sampling).
run_cfg() {
	local cfg=$1 ns s0 s1 t0 t1 prof=""
	case $cfg in
	none) ;;
	off) bench_load --collectors profile ;;
	*)
		bench_load --collectors profile --profile-hz "$cfg"
		bench_bg "$BUILD/observe-profile" --pin-dir "$PIN_DIR" -d 600 -f /dev/null \
			2>"$BENCH_TMP/profile.err"
		prof=$BG_PID
		sleep 0.5
		;;
	esac
	s0=$(samples)
	t0=$(date +%s.%N)
	ns=$(taskset -c "$BENCH_CPU" "$BB/loop" spin "$SPIN_N") || bench_die "loop spin failed"
	t1=$(date +%s.%N)
	s1=$(samples)
	[ -z "$prof" ] || bench_stop "$prof" INT || bench_die "observe-profile failed: $(cat "$BENCH_TMP/profile.err")"
	[ "$cfg" = none ] || bench_unload
	echo "${ns%% *} $(python3 -c "print(round(($s1 - $s0) / ($t1 - $t0)))")"
}

# samples: what the profiler counted so far on every CPU (0 without it)
samples() {
	[ -e "$PIN_DIR/observe_profile_stats" ] || { echo 0; return; }
	bpftool -j map lookup pinned "$PIN_DIR/observe_profile_stats" key 0 0 0 0 |
		python3 -c 'import json, sys
# counted: the third __u64 of struct observe_profile_stats, little-endian
print(sum(int.from_bytes(bytes(int(b, 16) for b in v["value"][16:24]), "little")
          for v in json.load(sys.stdin)["values"]))'
}

CONFIGS="none off 49 99 999"
for r in $(seq "$ROUNDS"); do
	printf '  round %s:' "$r"
	for cfg in $CONFIGS; do
		printf ' %s' "$cfg"
		run_cfg "$cfg" >>"$BENCH_TMP/profile.$cfg"
	done
	echo
done
echo "profiler on a CPU-bound loop (spin x$SPIN_N on CPU $BENCH_CPU), median of $ROUNDS rounds:"
python3 - "$BENCH_TMP" $CONFIGS <<'EOF'
import statistics, sys
tmp, configs = sys.argv[1], sys.argv[2:]
rows = {}
for cfg in configs:
    with open(f"{tmp}/profile.{cfg}") as f:
        vals = [line.split() for line in f if line.strip()]
    rows[cfg] = (statistics.median(float(v[0]) for v in vals),
                 statistics.median(float(v[1]) for v in vals))
base = rows["none"][0]
for cfg in configs:
    ns, sps = rows[cfg]
    label = {"none": "nothing loaded", "off": "loaded, not sampling"}.get(cfg, f"sampling at {cfg} Hz")
    print(f"  {label:<24} {ns / 1000:9.1f} us/iteration  {ns / base:6.4f}x  "
          f"({(ns / base - 1) * 100:+.2f} %)  {sps:6.0f} samples/s counted")
EOF
