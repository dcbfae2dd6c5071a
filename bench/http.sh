#!/bin/bash
# bench/http.sh [BUILD]: how fast observe-tls --http's decoder (lib/httpflow.c)
# turns TLS records into llm_call lines, beside a Python script doing the
# same job on the same records (what a user would write instead).
#
# bench/http.c gen writes CALLS=400 Messages API calls as observe's TLS ring
# carries them (a ~20 KB request in a record and its continuation; a
# streamed answer of 300 text deltas, an event a record; 8 connections in
# turn). Then ROUNDS=3 interleaved rounds of
#   observe   bench/http.c run: the records through httpflow_feed_tls, the
#             llm_call lines written as observe-tls --http writes them
#   python    bench/http_merge.py: the same records joined per connection,
#             HTTP de-chunked, the request and every event through json.loads,
#             the answer joined, a json.dumps line per call (offline, on the
#             whole file: an easier job than following a live stream)
# each the best of REPEAT=3 passes. Medians: MB/s of plaintext and calls/s.
# No root needed; pins nothing; starts nothing in the background.
set -eu
BUILD=${1:-build}
CALLS=${CALLS:-400}
ROUNDS=${ROUNDS:-3}
REPEAT=${REPEAT:-3}
SRC=$(cd "$(dirname "$0")" && pwd)
[ -f "$BUILD/libobserve.a" ] || { echo "http: $BUILD/libobserve.a is missing: run make" >&2; exit 1; }
TMP=$(mktemp -d /tmp/observe-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

mkdir -p "$BUILD/bench"
cc -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$SRC/../lib" -I"$SRC/../bpf" -o "$BUILD/bench/http" \
	"$SRC/http.c" "$BUILD/libobserve.a" -lz -ljson-c -lresolv
"$BUILD/bench/http" gen "$TMP/records" "$CALLS"
echo "observe HTTP decoder bench: $CALLS Messages calls, $(($(stat -c %s "$TMP/records") >> 20)) MiB" \
	"of records, $ROUNDS rounds, $(nproc) CPUs, $(python3 --version)"

for round in $(seq "$ROUNDS"); do
	for tool in observe python; do
		case $tool in
		observe) out=$("$BUILD/bench/http" run "$TMP/records" "$REPEAT" 2>&1 >/dev/null) ;;
		python) out=$(python3 "$SRC/http_merge.py" "$TMP/records" "$REPEAT" 2>&1 >/dev/null) ;;
		esac
		echo "$tool $out" >>"$TMP/results"
		echo "  round $round $tool: $out (seconds, plaintext bytes, calls)" >&2
	done
done

python3 - "$TMP/results" <<'EOF'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    tool, seconds, plaintext, calls = line.split()
    runs.setdefault(tool, []).append((float(seconds), int(plaintext), int(calls)))
print(f"  {'':10} {'MB/s of plaintext':>18} {'llm_calls/s':>12} {'calls seen':>11}")
base = None
for tool in ("observe", "python"):
    seconds = statistics.median(r[0] for r in runs[tool])
    plaintext, calls = runs[tool][0][1], runs[tool][0][2]
    base = base or seconds
    print(f"  {tool:10} {plaintext / seconds / 1e6:18.1f} {calls / seconds:12.0f} {calls:11}"
          f"   ({seconds / base:.1f}x observe's time)")
EOF
