#!/bin/bash
# bench/loader.sh [BUILD]: how long observe-load takes from its start to
# everything pinned (it exits then), for a first load (nothing pinned) and a
# reload (pins present), 5 times each; and the kernel memory of what it pinned
# (memlock of the pinned maps, of the maps only its programs hold, and of the
# programs attached through DIR/links). Root.
#
# Pins only under /sys/fs/bpf/observe-bench-<pid>, removed at exit.
set -eu
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init loader "${1:-build}"

RUNS=5

now_us() { echo $(($(date +%s%N) / 1000)); }

# timed_load: bench_load's wall time in microseconds, on stdout.
timed_load() {
	local t0 t1
	t0=$(now_us)
	bench_load
	t1=$(now_us)
	echo $((t1 - t0))
}

median_ms() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
		END { printf "%.0f", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) / 1000 }'
}

list_ms() {
	printf '%s\n' "$@" | awk '{ printf "%s%.0f", (NR > 1 ? " " : ""), $1 / 1000 }'
}

first=()
reload=()
for i in $(seq $RUNS); do
	first+=("$(timed_load)")
	reload+=("$(timed_load)")
	[ "$i" = $RUNS ] || bench_unload
done

echo "loader: observe-load from start to everything pinned (wall time, $RUNS runs)"
echo "  first load (nothing pinned)   median $(median_ms "${first[@]}") ms" \
	"  (runs: $(list_ms "${first[@]}") ms)  [target < 300 ms]"
echo "  reload (pins present)         median $(median_ms "${reload[@]}") ms" \
	"  (runs: $(list_ms "${reload[@]}") ms)  [target < 300 ms]"
echo
echo "loader: kernel memory of observe's objects (bpftool bytes_memlock; default settings:" \
	"$("$BUILD/observe-stats" --pin-dir "$PIN_DIR" --json |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["slots_total"], "slots x", d["ring_size"] >> 10, "KiB rings")'))"
python3 "$BENCH_PY" memlock "$PIN_DIR"
bench_unload
