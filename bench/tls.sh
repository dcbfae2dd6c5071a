#!/bin/bash
# bench/tls.sh [BUILD]: what TLS capture costs the programs it watches. Root;
# about 2 minutes.
#
# bench/tls.c runs a TLS client and server in one process over loopback TCP
# with the system's libssl, in ROUNDS=3 interleaved rounds of
#   none     nothing loaded
#   empty    bpftrace with empty actions on the same four probes the
#            transfer hits (SSL_write, SSL_read, entry and return): the
#            price of the traps alone, whoever places them
#   probed   observe-load --collectors=tls: the uprobes are there, no reader
#   capture  the same with an observe-tls reader (--base64 -q > /dev/null)
# and measures
#   1. CALLS=100000 SSL_write calls of 64 bytes: ns per call (the uprobe and
#      uretprobe traps dominate a small call; the peer's SSL_read is probed too)
#   2. 100 MiB in 16 KiB SSL_write calls: the transfer's time and MB/s.
# Medians of the rounds, their ratio to none, and what the reader's TLS slot
# delivered and dropped. Then the floor any uprobe design pays on the
# transfer: empty entry probes alone (no return probe) on SSL_write and
# SSL_read. Pins only under /sys/fs/bpf/observe-bench-<pid>,
# removed at exit; ends only the processes it started.
set -eu
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init tls "${1:-build}"
bench_need_bpftrace
[ -x "$BUILD/observe-tls" ] || bench_die "$BUILD/observe-tls is missing: run make first"
command -v openssl >/dev/null || bench_die "openssl is missing: apt-get install openssl"

ROUNDS=${ROUNDS:-3}
CALLS=${CALLS:-100000}
BYTES=$((100 << 20))

BB="$BUILD/bench"
mkdir -p "$BB"
cc -O2 -Wall -Wextra -Werror -o "$BB/tls" "$BENCH_SRC/tls.c" -lssl -lcrypto -lpthread
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	-keyout "$BENCH_TMP/key.pem" -out "$BENCH_TMP/cert.pem" 2>/dev/null

echo "observe TLS bench: $(uname -r), $(nproc) CPUs, $(openssl version)"

LIBSSL=$(python3 -c 'import ctypes.util, os; print(os.path.realpath("/lib/" + os.uname().machine + "-linux-gnu/" + ctypes.util.find_library("ssl")))')
BT_EMPTY="uprobe:$LIBSSL:SSL_write {} uretprobe:$LIBSSL:SSL_write {}
uprobe:$LIBSSL:SSL_read {} uretprobe:$LIBSSL:SSL_read {}"

# run_cfg CFG: "ns-per-call transfer-ms delivered dropped" under CFG
run_cfg() {
	local cfg=$1 reader="" ns ms before="0 0" after="0 0"
	case $cfg in
	none) ;;
	empty)
		bench_bg bpftrace -e "$BT_EMPTY" >/dev/null 2>"$BENCH_TMP/bt.err"
		reader=$BG_PID
		bench_wait_attached "$reader" 4 "$BENCH_TMP/bt.err"
		;;
	*)
		bench_load --collectors tls --tls --tls-group root
		if [ "$cfg" = capture ]; then
			bench_tls_reader
			reader=$BG_PID
			before=$(bench_tls_slot_counts)
		fi
		;;
	esac
	ns=$(taskset -c 0-1 "$BB/tls" calls "$CALLS" 64 "$BENCH_TMP/cert.pem" "$BENCH_TMP/key.pem")
	ms=$(taskset -c 0-1 "$BB/tls" transfer "$BYTES" 16384 "$BENCH_TMP/cert.pem" "$BENCH_TMP/key.pem")
	if [ "$cfg" = capture ]; then
		sleep 0.5	# what the reader still has to drain
		after=$(bench_tls_slot_counts)
	fi
	[ -z "$reader" ] || bench_stop "$reader" INT
	[ "$cfg" = none ] || [ "$cfg" = empty ] || bench_unload
	read -r d0 x0 <<<"$before"
	read -r d1 x1 <<<"$after"
	echo "$ns $ms $((d1 - d0)) $((x1 - x0))"
}

CONFIGS="none empty probed capture"
for r in $(seq "$ROUNDS"); do
	printf '  round %s:' "$r"
	for cfg in $CONFIGS; do
		printf ' %s' "$cfg"
		run_cfg "$cfg" >>"$BENCH_TMP/tls.$cfg"
	done
	echo
done
echo "TLS over loopback, median of $ROUNDS rounds ($CALLS SSL_write of 64 B; 100 MiB in 16 KiB writes):"
python3 - "$BENCH_TMP" "$BYTES" $CONFIGS <<'PY'
import statistics, sys
tmp, nbytes, configs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
rows = {}
for cfg in configs:
    with open(f"{tmp}/tls.{cfg}") as f:
        vals = [[float(x) for x in line.split()] for line in f if line.strip()]
    rows[cfg] = [statistics.median(v[i] for v in vals) for i in range(4)]
base_ns, base_ms = rows["none"][0], rows["none"][1]
labels = {"none": "nothing loaded", "empty": "bpftrace, empty probes", "probed": "probed, no reader",
          "capture": "capture on (a reader)"}
for cfg in configs:
    ns, ms, delivered, dropped = rows[cfg]
    line = (f"  {labels[cfg]:<22} SSL_write {ns / 1000:7.2f} us/call ({ns - base_ns:+7.0f} ns)   "
            f"100 MiB in {ms:7.1f} ms = {nbytes / ms / 1e3:6.1f} MB/s ({(ms / base_ms - 1) * 100:+5.1f} %)")
    if cfg == "capture":
        line += f"   records delivered {delivered:.0f}, dropped {dropped:.0f}"
    print(line)
PY

# The floor of any uprobe design: one trap per probed call, no return probe
# (bpftrace, empty entry probes on SSL_write and SSL_read), in rounds of their
# own beside nothing loaded.
BT_ENTRY="uprobe:$LIBSSL:SSL_write {} uprobe:$LIBSSL:SSL_read {}"
for r in $(seq "$ROUNDS"); do
	taskset -c 0-1 "$BB/tls" transfer "$BYTES" 16384 "$BENCH_TMP/cert.pem" "$BENCH_TMP/key.pem" \
		>>"$BENCH_TMP/floor.none"
	bench_bg bpftrace -e "$BT_ENTRY" >/dev/null 2>"$BENCH_TMP/bt-entry.err"
	bench_wait_attached "$BG_PID" 2 "$BENCH_TMP/bt-entry.err"
	taskset -c 0-1 "$BB/tls" transfer "$BYTES" 16384 "$BENCH_TMP/cert.pem" "$BENCH_TMP/key.pem" \
		>>"$BENCH_TMP/floor.entry"
	bench_stop "$BG_PID" || true
done
python3 - "$BENCH_TMP" <<'PY'
import statistics, sys
tmp = sys.argv[1]
none, entry = (statistics.median(float(v) for v in open(f"{tmp}/floor.{c}").read().split())
               for c in ("none", "entry"))
print(f"The floor of any uprobe design, one trap per probed call (bpftrace, empty entry probes"
      f" on SSL_write and SSL_read, no return probes): 100 MiB in {entry:.1f} ms against"
      f" {none:.1f} ms with nothing loaded, {(entry / none - 1) * 100:+.1f} % [target: under 3 %]")
PY
