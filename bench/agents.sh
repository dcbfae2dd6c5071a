#!/bin/bash
# bench/agents.sh [BUILD]: what TLS capture costs the stacks AI agents run
# on. Root; about 3 minutes.
#
# 1. Per stack, one TLS write and read: bench/tls_echo.js, ECHOS=2000 round
#    trips of 64 B over one loopback connection, client and server in one
#    process (each round trip: a write and a read on each side), on
#      node  its own OpenSSL, probed by symbol (--tls-binary node)
#      bun   BoringSSL without symbols, probed by signature: the claude CLI's
#            stack (bun itself, @oven/bun-linux-x64@BUN_VERSION from npm,
#            kept in BUILD/agents)
#    in ROUNDS=3 interleaved rounds of
#      none     nothing loaded
#      empty    bpftrace with empty probes at the same entry and return
#               addresses: the traps alone, whoever places them
#      probed   observe-load --tls, no reader
#      capture  the same with an observe-tls reader (--base64 -q > /dev/null)
#    (the system's libssl: bench/tls.sh).
# 2. claude -p "say hello" against tests/helpers/messages_mock.py: wall time,
#    RUNS=5 interleaved runs with nothing loaded and with capture on.
# Medians. Pins only under /sys/fs/bpf/observe-bench-<pid>, removed at exit;
# ends only the processes it started.
set -eu
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init agents "${1:-build}"
bench_need_bpftrace
[ -x "$BUILD/observe-tls" ] || bench_die "$BUILD/observe-tls is missing: run make first"
command -v node >/dev/null || bench_die "node is missing"
command -v npm >/dev/null || bench_die "npm is missing"

ROUNDS=${ROUNDS:-3}
RUNS=${RUNS:-5}
ECHOS=${ECHOS:-2000}
BUN_VERSION=${BUN_VERSION:-1.4.4}
TOP="$BENCH_SRC/.."
CLAUDE_VERSION=$(sed -n 's/^CLAUDE_VERSION := //p' "$TOP/Makefile")

"$TOP/scripts/fetch-agents.sh" "$BUILD/agents" "$CLAUDE_VERSION" >&2
CLAUDE=$(readlink -f "$BUILD/agents/claude")
BUN_DIR="$BUILD/agents/bun-$BUN_VERSION"
BUN="$BUN_DIR/node_modules/@oven/bun-linux-x64/bin/bun"
if [ ! -x "$BUN" ]; then
	npm install --prefix "$BUN_DIR" --no-save --no-audit --no-fund --ignore-scripts \
		--loglevel=error "@oven/bun-linux-x64@$BUN_VERSION" >/dev/null ||
		bench_die "cannot install bun $BUN_VERSION from npm"
fi
BUN=$(readlink -f "$BUN")
NODE=$(readlink -f "$(command -v node)")
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	-keyout "$BENCH_TMP/key.pem" -out "$BENCH_TMP/cert.pem" 2>/dev/null

echo "observe agents bench: $(uname -r), $(nproc) CPUs, node $(node --version)," \
	"bun $("$BUN" --version), claude $("$CLAUDE" --version | cut -d' ' -f1)"

# The entry addresses observe finds (by symbol or signature), for bpftrace.
PROBE=$("$BUILD/observe-load" --probe -C tls --tls-binary "$BUN" --tls-binary "$NODE")
echo "$PROBE" | grep -F -e "$BUN" -e "$NODE" | sed 's/^observe-load: tls: /  found: /'
BUN_WRITE=$(echo "$PROBE" | grep -F "$BUN" | sed -n 's/.*SSL_write at \(0x[0-9a-f]*\).*/\1/p')
BUN_READ=$(echo "$PROBE" | grep -F "$BUN" | sed -n 's/.*SSL_read at \(0x[0-9a-f]*\).*/\1/p')
[ -n "$BUN_WRITE" ] && [ -n "$BUN_READ" ] || bench_die "bun's SSL_write and SSL_read not found"

# bpftrace reads '@' as a map: bun's path goes through a link without one.
ln -s "$BUN" "$BENCH_TMP/bun"
bt_empty() {
	case $1 in
	node) echo "uprobe:$NODE:SSL_write {} uretprobe:$NODE:SSL_write {}
uprobe:$NODE:SSL_read {} uretprobe:$NODE:SSL_read {}" ;;
	bun) echo "uprobe:$BENCH_TMP/bun:$BUN_WRITE {} uretprobe:$BENCH_TMP/bun:$BUN_WRITE {}
uprobe:$BENCH_TMP/bun:$BUN_READ {} uretprobe:$BENCH_TMP/bun:$BUN_READ {}" ;;
	esac
}

# slot_delivered: records TLS slot 0 delivered so far
slot_delivered() {
	bench_tls_slot_counts | cut -d' ' -f1
}

# with_cfg CFG CMD...: runs CMD under CFG; prints CMD's output and the
# records the reader got ("- " without one)
with_cfg() {
	local cfg=$1 stack=$2 pid="" before=0 out
	shift 2
	case $cfg in
	none) ;;
	empty)
		# --unsafe: bpftrace probes an address without a symbol only so
		bench_bg bpftrace --unsafe -e "$(bt_empty "$stack")" >/dev/null 2>"$BENCH_TMP/bt.err"
		pid=$BG_PID
		bench_wait_attached "$pid" 4 "$BENCH_TMP/bt.err"
		;;
	*)
		bench_load --collectors tls --tls --tls-group root --tls-binary "$BUN" \
			--tls-binary "$NODE" --tls-binary "$CLAUDE"
		if [ "$cfg" = capture ]; then
			bench_tls_reader
			pid=$BG_PID
			before=$(slot_delivered)
		fi
		;;
	esac
	out=$("$@")
	if [ "$cfg" = capture ]; then
		sleep 0.3
		out="$out $(($(slot_delivered) - before))"
	else
		out="$out -"
	fi
	[ -z "$pid" ] || bench_stop "$pid" INT || true
	[ "$cfg" = none ] || [ "$cfg" = empty ] || bench_unload
	echo "$out"
}

echo_rtt() {
	local runtime=$1
	taskset -c 0-1 "$runtime" "$BENCH_SRC/tls_echo.js" "$BENCH_TMP/cert.pem" \
		"$BENCH_TMP/key.pem" "$ECHOS" 64
}

CONFIGS="none empty probed capture"
for r in $(seq "$ROUNDS"); do
	printf '  round %s:' "$r"
	for stack in node bun; do
		runtime=$NODE
		[ "$stack" = bun ] && runtime=$BUN
		for cfg in $CONFIGS; do
			printf ' %s/%s' "$stack" "$cfg"
			with_cfg "$cfg" "$stack" echo_rtt "$runtime" >>"$BENCH_TMP/echo.$stack.$cfg"
		done
	done
	echo
done
echo "One TLS round trip of 64 B on loopback (a write and a read on each side), median of $ROUNDS;"
echo "the process's CPU time is the steadier figure on a busy machine:"
python3 - "$BENCH_TMP" "$ECHOS" $CONFIGS <<'PY'
import statistics, sys
tmp, echos, configs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
labels = {"none": "nothing loaded", "empty": "bpftrace, empty probes",
          "probed": "probed, no reader", "capture": "capture on (a reader)"}
for stack, how in (("node", "OpenSSL in node, by symbol"), ("bun", "BoringSSL in bun, by signature")):
    rows = {}
    for cfg in configs:
        with open(f"{tmp}/echo.{stack}.{cfg}") as f:
            lines = [line.split() for line in f if line.strip()]
        rows[cfg] = [statistics.median(float(v[i]) for v in lines) for i in (0, 1)]
        rows[cfg].append(statistics.median(float(v[2]) for v in lines) if lines[0][2] != "-" else None)
    wall0, cpu0 = rows["none"][0], rows["none"][1]
    print(f"  {stack} ({how}):")
    for cfg in configs:
        wall, cpu, records = rows[cfg]
        line = (f"    {labels[cfg]:<22} wall {wall / 1000:7.1f} us, CPU {cpu / 1000:6.1f} us a round trip;"
                f" one write + read: CPU {(cpu - cpu0) / 2 / 1000:+6.1f} us, wall {(wall - wall0) / 2 / 1000:+6.1f} us")
        if records is not None:
            line += f"; records {records:.0f} (>= {4 * echos} expected)"
        print(line)
PY

# claude -p against the mock, with nothing loaded and with capture on.
MOCK="$TOP/tests/helpers/messages_mock.py"
bench_bg python3 "$MOCK" 0 "$BENCH_TMP/cert.pem" "$BENCH_TMP/key.pem" \
	--log "$BENCH_TMP/mock.log" >"$BENCH_TMP/mock.out"
MOCK_PID=$BG_PID
for _ in $(seq 50); do
	[ -s "$BENCH_TMP/mock.out" ] && break
	sleep 0.1
done
PORT=$(awk '{print $2}' "$BENCH_TMP/mock.out")
[ -n "$PORT" ] || bench_die "the mock did not start"

claude_ms() {
	local home t0 t1
	home=$(mktemp -d "$BENCH_TMP/home.XXXXXX")
	t0=$(date +%s%N)
	env -i PATH="$PATH" HOME="$home" ANTHROPIC_BASE_URL="https://127.0.0.1:$PORT" \
		ANTHROPIC_API_KEY=test NODE_TLS_REJECT_UNAUTHORIZED=0 DISABLE_TELEMETRY=1 \
		CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 "$CLAUDE" -p "say hello" >"$BENCH_TMP/claude.out"
	t1=$(date +%s%N)
	grep -q "Hello from the mock" "$BENCH_TMP/claude.out" || bench_die "claude -p did not answer"
	echo $(((t1 - t0) / 1000000))
}

claude_ms >/dev/null	# warm the page cache
for r in $(seq "$RUNS"); do
	printf '  claude run %s:' "$r"
	for cfg in none capture; do
		printf ' %s' "$cfg"
		with_cfg "$cfg" claude claude_ms >>"$BENCH_TMP/claude.$cfg"
	done
	echo
done
bench_stop "$MOCK_PID" || true
python3 - "$BENCH_TMP" "$RUNS" <<'PY'
import statistics, sys
tmp, runs = sys.argv[1], sys.argv[2]
rows = {}
for cfg in ("none", "capture"):
    with open(f"{tmp}/claude.{cfg}") as f:
        lines = [line.split() for line in f if line.strip()]
    rows[cfg] = ([float(v[0]) for v in lines], [v[1] for v in lines])
none, capture = statistics.median(rows["none"][0]), statistics.median(rows["capture"][0])
print(f"claude -p \"say hello\" against the mock, median of {runs}: {none:.0f} ms with nothing loaded, "
      f"{capture:.0f} ms with capture on ({capture - none:+.0f} ms, {(capture / none - 1) * 100:+.1f} %); "
      f"records per run with capture: {', '.join(rows['capture'][1])}")
PY
