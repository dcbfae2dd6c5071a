#!/bin/sh
# Installs the AI agents the tests and benchmarks run, from the npm registry,
# at a fixed version, into DIR (kept there: later runs install nothing):
#   fetch-agents.sh DIR VERSION      the claude CLI @anthropic-ai/claude-code@VERSION
# DIR/claude links to its binary (bun, BoringSSL linked in without symbols).
# Install scripts are not run: the binary comes in the platform package.
set -eu
dir=$1
version=$2
dest="$dir/claude-code-$version"
binary="$dest/node_modules/@anthropic-ai/claude-code-linux-x64/claude"
if [ ! -x "$binary" ]; then
	if ! command -v npm >/dev/null 2>&1; then
		echo "fetch-agents: npm is needed to install the claude CLI (Node.js's npm)" >&2
		exit 1
	fi
	echo "fetch-agents: installing @anthropic-ai/claude-code@$version into $dest"
	mkdir -p "$dest"
	npm install --prefix "$dest" --no-save --no-audit --no-fund --ignore-scripts \
		--loglevel=error "@anthropic-ai/claude-code@$version" >/dev/null
	if [ ! -x "$binary" ]; then
		echo "fetch-agents: the package brought no $binary" >&2
		exit 1
	fi
fi
ln -sfn "claude-code-$version/node_modules/@anthropic-ai/claude-code-linux-x64/claude" "$dir/claude"
