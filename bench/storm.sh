#!/bin/bash
# bench/storm.sh [BUILD]: one reader against the fastest fork+exec storm this
# machine makes (one posix_spawn loop of /bin/true per CPU, STORM_SECS=5
# seconds): events per second delivered, drops, the reader's memory and CPU;
# then the same storm under bpftrace printing comparable fields, and with
# nothing loaded for the storm's own rate. Root.
#
# Pins only under /sys/fs/bpf/observe-bench-<pid>, removed at exit; ends only
# the processes it started.
set -eu
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init storm "${1:-build}"
bench_need_bpftrace
bench_build loop

SECS=${STORM_SECS:-5}

# storm [SECS]: NSPAWN spawners for SECS seconds; sets STORM_ITERS and STORM_SECS.
storm() {
	local i pids="" p t0 t1 n=0
	t0=$(date +%s%N)
	for i in $(seq "$NSPAWN"); do
		bench_bg "$BB/loop" exec 1000000000 "${1:-$SECS}" >"$BENCH_TMP/spawn.$i"
		pids="$pids $BG_PID"
	done
	for p in $pids; do
		bench_reap "$p"
	done
	t1=$(date +%s%N)
	for i in $(seq "$NSPAWN"); do
		n=$((n + $(cut -d' ' -f2 "$BENCH_TMP/spawn.$i")))
	done
	STORM_ITERS=$n
	STORM_SECS=$(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.2f", ns / 1e9 }')
}

# per_sec N: N / STORM_SECS
per_sec() {
	awk -v n="$1" -v s="$STORM_SECS" 'BEGIN { printf "%.0f", n / s }'
}

cpu_pct() { # NS
	awk -v t="$1" -v s="$STORM_SECS" 'BEGIN { printf "%.1f%%", 100 * t / 1e9 / s }'
}

status_kib() { # PID FIELD
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# ring_kib PID: resident KiB of PID's BPF map mappings (the ring: the kernel
# maps its data pages twice, so that records wrapping the end read straight)
ring_kib() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { bpf = ($NF == "anon_inode:bpf-map") }
		bpf && $1 == "Rss:" { kib += $2 } END { print kib + 0 }' "/proc/$1/smaps"
}

# The fastest storm is not always one loop per CPU (on a VM, parallel
# spawns of one binary contend): try 1 and nproc loops for a second each.
NSPAWN=1
storm 1
best=$STORM_ITERS
NSPAWN=$(nproc)
if [ "$NSPAWN" -gt 1 ]; then
	storm 1
	if [ "$STORM_ITERS" -le "$best" ]; then
		echo "storm: 1 loop spawns faster than $NSPAWN ($best/s against $STORM_ITERS/s): using 1"
		NSPAWN=1
	fi
fi

echo "storm: $NSPAWN parallel posix_spawn loop(s) of /bin/true for $SECS s, one reader"
storm
echo "  nothing loaded:      $(per_sec $STORM_ITERS) spawns/s ($STORM_ITERS in $STORM_SECS s)"

# observe + one reader; its output goes through a FIFO to awk, which counts
# lines and the events the gap records say were lost.
bench_load
python3 "$BENCH_PY" ids-links "$PIN_DIR" >"$BENCH_TMP/ids.obs"
bench_foreign "$BENCH_TMP/ids.obs"
mkfifo "$BENCH_TMP/events"
awk '
	{ n++ }
	/"type":"gap",/ && match($0, /"lost":[0-9]+/) { lost += substr($0, RSTART + 7, RLENGTH - 7) }
	END { print n + 0, lost + 0 }' <"$BENCH_TMP/events" >"$BENCH_TMP/events.count" &
bench_track $!
counter=$BG_PID
"$BUILD/observe-events" --pin-dir "$PIN_DIR" -q >"$BENCH_TMP/events" &
bench_track $!
reader=$BG_PID
bench_wait_reader "$reader"
"$BUILD/observe-stats" --pin-dir "$PIN_DIR" --json >"$BENCH_TMP/stats0.json"
cpu0=$(bench_cpu_ns "$reader")
storm
sleep 0.5	# the reader polls every 50 ms: let it empty its ring
"$BUILD/observe-stats" --pin-dir "$PIN_DIR" --json >"$BENCH_TMP/stats1.json"
cpu1=$(bench_cpu_ns "$reader")
hwm=$(status_kib "$reader" VmHWM)
rss=$(status_kib "$reader" VmRSS)
anon=$(status_kib "$reader" RssAnon)
file=$(status_kib "$reader" RssFile)
shmem=$(status_kib "$reader" RssShmem)
ring=$(ring_kib "$reader")
bench_stop "$reader" || bench_die "observe-events failed"
bench_reap "$counter"
read -r lines gaplost <"$BENCH_TMP/events.count"
read -r slot del0 drop0 bytes0 <<<"$(python3 "$BENCH_PY" slot "$BENCH_TMP/stats0.json" "$reader")"
read -r _ del1 drop1 bytes1 <<<"$(python3 "$BENCH_PY" slot "$BENCH_TMP/stats1.json" "$reader")"
bench_unload
delivered=$((del1 - del0))
dropped=$((drop1 - drop0))
bytes=$((bytes1 - bytes0))
ring_size=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ring_size"])' \
	"$BENCH_TMP/stats1.json")
echo "  observe + 1 reader:  $(per_sec $STORM_ITERS) spawns/s ($STORM_ITERS in $STORM_SECS s," \
	"$((STORM_ITERS * 3)) storm events)"
echo "      delivered        $(per_sec $delivered) events/s ($delivered in slot $slot," \
	"the storm's and the rest of the system's)"
echo "      drops            $dropped (slot counter), $gaplost (gap records; the reader's" \
	"view of the same counter)  [target 0, default ring size]"
echo "      ring traffic     $(per_sec $bytes) bytes/s ($((bytes / (delivered > 0 ? delivered : 1)))" \
	"bytes/event): a stalled reader's ring fills in" \
	"$(awk -v r="$ring_size" -v b="$bytes" -v s="$STORM_SECS" 'BEGIN { printf "%.1f", b ? r * s / b : 0 }') s"
echo "      reader output    $lines JSON lines (from the reader's start to its end)"
echo "      reader CPU       $(cpu_pct $((cpu1 - cpu0))) of one CPU during the storm"
echo "      reader memory    VmHWM $hwm KiB (peak)  [target < 8192 KiB]"
echo "                       VmRSS $rss KiB = RssAnon $anon + RssFile $file + RssShmem $shmem KiB;" \
	"the ring's mapping is $ring KiB of RssFile"
echo "                       (kernel pages, already counted in the ring's memlock, mapped" \
	"whole at mmap); the rest $((rss - ring)) KiB"

# bpftrace printing comparable fields; it reports its own losses as
# "Lost N events" on standard output.
mkfifo "$BENCH_TMP/bt"
awk '
	/^\{"type"/ { n++; next }
	/^Lost [0-9]+ events/ { lost += $2; next }
	{ other++ }
	END { print n + 0, lost + 0, other + 0 }' <"$BENCH_TMP/bt" >"$BENCH_TMP/bt.count" &
bench_track $!
counter=$BG_PID
bpftrace -e "$BT_PRINTF" >"$BENCH_TMP/bt" 2>"$BENCH_TMP/bt.err" &
bench_track $!
bt=$BG_PID
bench_wait_attached "$bt" 7 "$BENCH_TMP/bt.err"
cpu0=$(bench_cpu_ns "$bt")
storm
sleep 0.5
cpu1=$(bench_cpu_ns "$bt")
bthwm=$(status_kib "$bt" VmHWM)
bench_stop "$bt" || true
bench_reap "$counter"
read -r btlines btlost btother <"$BENCH_TMP/bt.count"
echo "  bpftrace printf:     $(per_sec $STORM_ITERS) spawns/s ($STORM_ITERS in $STORM_SECS s," \
	"$((STORM_ITERS * 3)) storm events)"
echo "      printed          $(per_sec "$btlines") events/s ($btlines event lines, $btother" \
	"argv/other lines)"
echo "      lost             $btlost (bpftrace's \"Lost N events\")"
echo "      bpftrace CPU     $(cpu_pct $((cpu1 - cpu0))) of one CPU; VmHWM $bthwm KiB"
