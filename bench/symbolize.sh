#!/bin/bash
# bench/symbolize.sh [BUILD]: how fast observe-profile names addresses, beside
# eu-addr2line (what a user would run instead) on the same ones.
#
# The addresses: N=5000 spread evenly over the executable file mappings of
# an idle node process (a 90 MB binary with its symbol table, libc with
# libc6-dbg's debug file, libstdc++). In ROUNDS=3 interleaved rounds:
#   observe        lib/symbolize.c (bench/symbolize.c): the first pass,
#                  reading the files, and a second one from its cache
#   observe-lines  the same with source lines (--lines)
#   eu-addr2line   --pid -f -i -C (functions, inlines, demangled, lines)
# Medians. No root needed; pins nothing; ends only the node it started.
set -eu
BUILD=${1:-build}
N=${N:-5000}
ROUNDS=${ROUNDS:-3}
SRC=$(cd "$(dirname "$0")" && pwd)
for c in node eu-addr2line; do
	command -v "$c" >/dev/null || { echo "symbolize: $c is missing (make test-deps)" >&2; exit 1; }
done
[ -f "$BUILD/libobserve.a" ] || { echo "symbolize: $BUILD/libobserve.a is missing: run make" >&2; exit 1; }
TMP=$(mktemp -d /tmp/observe-bench.XXXXXX)
NODE_PID=""
cleanup() {
	[ -z "$NODE_PID" ] || kill "$NODE_PID" 2>/dev/null || true
	[ -z "$NODE_PID" ] || wait "$NODE_PID" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

mkdir -p "$BUILD/bench"
cc -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Ilib -o "$BUILD/bench/symbolize" \
	"$SRC/symbolize.c" "$BUILD/libobserve.a" -ldw -lelf -liberty -lz
node -e 'setTimeout(() => {}, 1e9)' &
NODE_PID=$!
sleep 1
"$BUILD/bench/symbolize" addrs "$NODE_PID" "$N" >"$TMP/addrs"
echo "observe symbolizer bench: $(wc -l <"$TMP/addrs") addresses of node $(node --version)," \
	"$ROUNDS rounds, $(nproc) CPUs"

for r in $(seq "$ROUNDS"); do
	"$BUILD/bench/symbolize" time "$NODE_PID" "$TMP/addrs" >>"$TMP/observe"
	"$BUILD/bench/symbolize" time "$NODE_PID" "$TMP/addrs" lines >>"$TMP/observe-lines"
	start=$(date +%s%N)
	# It exits 1 when an address has no name: not a failure here.
	eu-addr2line --pid="$NODE_PID" -f -i -C <"$TMP/addrs" >"$TMP/eu.out" || true
	echo $(( ($(date +%s%N) - start) / 1000 )) \
		"$(grep -c -v '^??' "$TMP/eu.out" || true)" >>"$TMP/eu"
	echo "  round $r done" >&2
done

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
printf '%-14s %12s %16s %8s\n' tool "first pass" "cached, /addr" named
for t in observe observe-lines; do
	printf '%-14s %9s ms %13s ns %8s\n' "$t" \
		"$(cut -d' ' -f1 "$TMP/$t" | median | awk '{ printf "%.0f", $1 / 1000 }')" \
		"$(cut -d' ' -f2 "$TMP/$t" | median)" "$(cut -d' ' -f3 "$TMP/$t" | median)"
done
printf '%-14s %9s ms %16s %8s\n' eu-addr2line \
	"$(cut -d' ' -f1 "$TMP/eu" | median | awk '{ printf "%.0f", $1 / 1000 }')" "-" \
	"(lines) $(cut -d' ' -f2 "$TMP/eu" | median)"
