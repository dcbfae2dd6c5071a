#!/bin/sh
# Regenerates vmlinux/<arch>/vmlinux.h from a kernel's BTF.
#
#   scripts/gen-vmlinux.sh [x86 [BTF_FILE]]   default: this machine's /sys/kernel/btf/vmlinux
#   scripts/gen-vmlinux.sh arm64 [PACKAGE]    default: Debian 12's arm64 kernel package
#
# For arm64 the package is fetched with a private apt state (the host's dpkg
# architectures stay as they are) and the BTF is cut out of its raw Image.
set -eu
arch=${1:-x86}
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/vmlinux/$arch/vmlinux.h"

case $arch in
x86)
	btf=${2:-/sys/kernel/btf/vmlinux}
	;;
arm64)
	work=$top/build/vmlinux-arm64
	apt="apt-get -q -o Dir::State::Lists=$work/lists -o Dir::State::status=$work/status
	     -o Dir::Cache=$work/cache -o APT::Architecture=arm64 -o APT::Architectures::=arm64
	     -o APT::Sandbox::User=root"
	mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/deb"
	touch "$work/status"
	$apt update >/dev/null
	package=${2:-$($apt -s install linux-image-arm64 2>/dev/null |
		       awk '/^Inst linux-image-[0-9]/ { print $2; exit }')}
	[ -n "$package" ] || { echo "gen-vmlinux: cannot tell Debian's arm64 kernel package" >&2; exit 1; }
	rm -f "$work"/deb/*.deb
	(cd "$work/deb" && $apt download "$package:arm64" >/dev/null)
	rm -rf "$work/root"
	dpkg-deb -x "$work"/deb/*.deb "$work/root"
	"$top/scripts/carve-btf.py" "$work"/root/boot/vmlinuz-* "$work/btf"
	btf=$work/btf
	;;
*)
	echo "gen-vmlinux: unknown architecture '$arch' (x86 or arm64)" >&2
	exit 2
	;;
esac
[ -r "$btf" ] || { echo "gen-vmlinux: cannot read BTF at $btf" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
bpftool btf dump file "$btf" format c > "$out.tmp"
mv "$out.tmp" "$out"
echo "gen-vmlinux: wrote $out"
