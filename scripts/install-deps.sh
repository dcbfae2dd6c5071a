#!/bin/sh
# Installs from Debian what observe needs to build, run and test; does nothing
# when everything is present. Run as root (apt-get). Extra packages may be
# named as arguments (bench/run.sh adds bpftrace).
set -eu
need="make gcc clang llvm libbpf-dev libelf-dev libdw-dev libdebuginfod1 libiberty-dev zlib1g-dev libcap-dev libmicrohttpd-dev libssl-dev libjson-c-dev libcapstone-dev bpftool python3 util-linux passwd help2man $*"
missing=""
for pkg in $need; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing Debian packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Packages with a service (prometheus) must not start it: the tests start
# what they need on ports of their own. policy-rc.d says so to invoke-rc.d;
# one that is already there is left as it is.
policy=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	own_policy=1
	trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
[ -n "$own_policy" ] && rm -f "$policy"
exit 0
