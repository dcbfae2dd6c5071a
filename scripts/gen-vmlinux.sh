#!/bin/sh
# Regenerates vmlinux/<arch>/vmlinux.h from a kernel's BTF.
# Usage: scripts/gen-vmlinux.sh [ARCH [BTF_FILE]]   (defaults: x86, /sys/kernel/btf/vmlinux)
set -eu
arch=${1:-x86}
btf=${2:-/sys/kernel/btf/vmlinux}
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/vmlinux/$arch/vmlinux.h"
[ -r "$btf" ] || { echo "gen-vmlinux: cannot read BTF at $btf" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
bpftool btf dump file "$btf" format c > "$out.tmp"
mv "$out.tmp" "$out"
echo "gen-vmlinux: wrote $out"
