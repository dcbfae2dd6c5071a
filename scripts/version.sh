#!/bin/sh
# observe's version: the top entry of debian/changelog, the one place it is
# set, and, in a git checkout, the commit (with "-dirty" for local changes).
# A tree without git (a tarball, the package build) gives the first part alone.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$top/debian/changelog")
[ -n "$version" ] || { echo "version.sh: no version in debian/changelog" >&2; exit 1; }
if commit=$(git -C "$top" describe --always --dirty --abbrev=12 --exclude='*' 2>/dev/null); then
	version="$version+git.$commit"
fi
echo "$version"
