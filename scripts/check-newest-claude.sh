#!/bin/sh
# Reports, without failing, whether observe still finds the TLS functions of
# the newest claude CLI on npm (the tests pin one version): its BoringSSL
# has no symbols, and a new build may change what the signatures rely on.
#   check-newest-claude.sh BUILD PINNED
build=$1
pinned=$2
newest=$(npm view @anthropic-ai/claude-code version 2>/dev/null) || newest=""
if [ -z "$newest" ]; then
	echo "newest claude CLI: the npm registry cannot be asked; not checked"
	exit 0
fi
if [ "$newest" = "$pinned" ]; then
	echo "newest claude CLI $newest: the version the tests pin and check"
	exit 0
fi
if ! scripts/fetch-agents.sh "$build/agents-newest" "$newest" >/dev/null 2>&1; then
	echo "newest claude CLI $newest: cannot be installed; not checked"
	exit 0
fi
for old in "$build"/agents-newest/claude-code-*; do	# one version kept
	[ "$old" = "$build/agents-newest/claude-code-$newest" ] || rm -rf "$old"
done
binary=$(readlink -f "$build/agents-newest/claude")
line=$("$build/observe-load" --probe -C tls --tls-binary "$binary" 2>&1 | grep -F "$binary")
case "$line" in
*"SSL_write at"*"SSL_read at"*)
	echo "newest claude CLI $newest: still found by signature: ${line#*: }" ;;
*)
	echo "newest claude CLI $newest: NOT FOUND (the pinned version is what the tests check): ${line#*: }" ;;
esac
exit 0
