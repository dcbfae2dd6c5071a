#!/bin/bash
# Runs a command on another kernel: a Debian linux-image package booted under
# qemu (TCG: no KVM here), with the host's root shared read-only over 9p and
# a throwaway tmpfs overlay on top, so the guest sees this very tree and its
# build; nothing it writes survives. The command runs as root in the host's
# current directory; the exit status is the command's (125: no result).
#
#   scripts/vmtest.sh [-k PACKAGE] [-c CACHE] [-t SECS] [-m MEM] [-v] [--] COMMAND...
#
#   -k PACKAGE  a linux-image-*-amd64 package (default: Debian 12's kernel,
#               what linux-image-amd64 depends on)
#   -c CACHE    where the package, the kernel and the initramfs are kept
#               (default build/vmtest)
#   -t SECS     give up after SECS (default 540)
#   -v          print the whole console, kernel messages included
#
# Needs: qemu-system-x86 busybox-static cpio kmod xz-utils (scripts/install-deps.sh).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
package= cache=$top/build/vmtest timeout=540 mem=2G verbose=0
while getopts "k:c:t:m:v" opt; do
	case $opt in
	k) package=$OPTARG ;;
	c) cache=$OPTARG ;;
	t) timeout=$OPTARG ;;
	m) mem=$OPTARG ;;
	v) verbose=1 ;;
	*) sed -n '8,17p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift
[ $# -ge 1 ] || { echo "vmtest: no command given" >&2; exit 2; }

say() { echo "vmtest: $*" >&2; }
die() { say "$*"; exit 125; }

for tool in qemu-system-x86_64 busybox cpio modprobe depmod xz; do
	command -v "$tool" >/dev/null || die "$tool is missing: run scripts/install-deps.sh vmtest"
done

# Debian 12's kernel: what linux-image-amd64 depends on, after an update of
# the package lists when they do not say (empty or stale lists).
default_kernel() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}
if [ -z "$package" ]; then
	package=$(default_kernel)
	if [ -z "$package" ] || ! apt-cache show "$package" >/dev/null 2>&1; then
		apt-get update -qq || true
		package=$(default_kernel)
	fi
	[ -n "$package" ] || die "cannot tell which kernel linux-image-amd64 is: give -k PACKAGE"
fi
case $package in
linux-image-*-amd64) ;;
*) die "$package: expected a linux-image-*-amd64 package" ;;
esac

# Fetch and unpack the package once; each kernel has its own directory.
kdir=$cache/$package
mkdir -p "$cache"
cache=$(cd "$cache" && pwd) kdir=$cache/$package
if [ ! -e "$kdir/.unpacked" ]; then
	rm -rf "$kdir" && mkdir -p "$kdir/deb"
	say "fetching $package"
	(cd "$kdir/deb" && apt-get download -q -o APT::Sandbox::User=root "$package" >/dev/null 2>&1) ||
		{ apt-get update -qq &&
		  (cd "$kdir/deb" && apt-get download -q -o APT::Sandbox::User=root "$package" >/dev/null); } ||
		die "apt-get download $package failed (with -k, name a package the mirror has)"
	dpkg-deb -x "$kdir"/deb/*.deb "$kdir/root"
	touch "$kdir/.unpacked"
fi
kver=$(ls "$kdir/root/lib/modules" | head -1)
modules=$kdir/root/lib/modules/$kver
bzimage=$kdir/root/boot/vmlinuz-$kver

# Under TCG, decompressing the bzImage takes ~3 s of every boot: cut the ELF
# vmlinux out of it once and boot that (qemu starts it through PVH).
kernel=$kdir/vmlinux
if [ ! -s "$kernel" ]; then
	offset=$(LC_ALL=C grep -abo $'\xfd7zXZ' "$bzimage" | head -1 | cut -d: -f1 || true)
	# xz stops with an error at the bytes after its stream; the ELF is whole.
	[ -z "$offset" ] || tail -c +$((offset + 1)) "$bzimage" | xz -dc > "$kernel.tmp" 2>/dev/null || true
	if [ "$(head -c 4 "$kernel.tmp" 2>/dev/null | tail -c 3)" = ELF ]; then
		mv "$kernel.tmp" "$kernel"
	else
		rm -f "$kernel.tmp"
	fi
fi
[ -s "$kernel" ] || kernel=$bzimage

# The initramfs: busybox, the modules that reach the 9p root (virtio and 9p
# are modules in Debian's kernel, loaded in the order modprobe resolves), and
# scripts/vmtest-init as PID 1.
initramfs=$kdir/initramfs.cpio.gz
if [ ! -s "$initramfs" ] || [ "$top/scripts/vmtest-init" -nt "$initramfs" ]; then
	[ -e "$modules/modules.dep" ] || depmod -b "$kdir/root" "$kver"
	staging=$(mktemp -d "$cache/initramfs.XXXXXX")
	mkdir -p "$staging"/{bin,dev,proc,sys,newroot,lib/modules} "$staging"/mnt/{lower,upper}
	cp "$(command -v busybox)" "$staging/bin/busybox"
	for applet in sh mount mkdir insmod cat echo sleep poweroff chroot grep cut sync basename ip; do
		ln -s busybox "$staging/bin/$applet"
	done
	order=$(for m in virtio_pci 9pnet_virtio 9p overlay; do
			modprobe -d "$kdir/root" -S "$kver" --show-depends "$m"
		done | awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++')
	for path in $order; do
		cp "$path" "$staging/lib/modules/"
		basename "$path" >> "$staging/lib/modules/order"
	done
	cp "$top/scripts/vmtest-init" "$staging/init"
	chmod 755 "$staging/init"
	(cd "$staging" && find . | cpio -o -H newc --quiet | gzip -1) > "$initramfs.tmp"
	mv "$initramfs.tmp" "$initramfs"
	rm -rf "$staging"
fi

# This run's command goes in a second archive, appended to the first.
work=$(mktemp -d "$cache/run.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/extra/vmtest"
{
	echo "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	echo "export HOME=/root LANG=C.UTF-8 TERM=dumb VMTEST_KERNEL=$package"
	printf 'cd %q || exit 125\n' "$PWD"
	echo "exec 2>&1"
	if [ $# -eq 1 ]; then echo "$1"; else printf '%q ' "$@"; echo; fi
} > "$work/extra/vmtest/command"
echo "$modules" > "$work/extra/vmtest/modules"
(cd "$work/extra" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/extra.cpio.gz"
cat "$initramfs" "$work/extra.cpio.gz" > "$work/initrd"

if [ $verbose = 1 ]; then
	show=(cat)
else
	show=(awk '/^===VMTEST-RC=/ { on = 0 } on { print; fflush() } /^===VMTEST-BEGIN===/ { on = 1 }')
fi
# softlockup_panic: a kernel hang in the guest panics it at once, with its
# trace on the console, rather than spending the whole timeout.
say "booting $package ($(basename "$kernel")) under qemu"
start=$(date +%s.%N)
timeout -k 5 "$timeout" qemu-system-x86_64 -accel tcg,thread=multi -cpu max -m "$mem" \
	-smp "$(nproc)" -nodefaults -no-user-config -display none -no-reboot -monitor none \
	-serial stdio -kernel "$kernel" -initrd "$work/initrd" \
	-append "console=ttyS0 quiet loglevel=3 panic=-1 softlockup_panic=1 mitigations=off nokaslr tsc=unstable" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	</dev/null 2>&1 | tr -d '\r' | tee "$work/console" | "${show[@]}" || true
end=$(date +%s.%N)

rc=$(sed -n 's/^===VMTEST-RC=\([0-9]*\)===$/\1/p' "$work/console" | tail -1)
booted=$(sed -n 's/^VMTEST-UPTIME-BEFORE //p' "$work/console")
finished=$(sed -n 's/^VMTEST-UPTIME-AFTER //p' "$work/console")
say "$package: command started ${booted:-?} s after boot, ended at ${finished:-?} s; $(awk "BEGIN { printf \"%.1f\", $end - $start }") s in all; exit ${rc:-none}"
if [ -z "$rc" ]; then
	say "no result from the guest; the end of its console:"
	tail -30 "$work/console" >&2
	exit 125
fi
exit "$rc"
