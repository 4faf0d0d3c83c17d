#!/usr/bin/env bash
# Everything a fresh Debian 12 machine needs to run Oddigit: packages, MNIST (verified),
# a Release build; then it opens the desktop app with the bundled model. Without a
# display it shows the command line at work instead.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/fetch-mnist.sh
scripts/build.sh
build_dir="${ODDIGIT_BUILD_DIR:-build}"
if [ -x "$build_dir/app/gui/oddigit" ] && { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; }; then
    exec "$build_dir/app/gui/oddigit" "$@"
fi
cli="$build_dir/app/cli/oddigit-cli"
mnist="${ODDIGIT_DATA:-${XDG_DATA_HOME:-$HOME/.local/share}/oddigit/mnist}"
echo "No display found: here is the command line at work (run this script on a desktop for the app)."
"$cli" info resources/default.safetensors
echo
echo "Drawings of digits and letters (resources/drawings), judged as the Draw view judges them:"
"$cli" score --strokes resources/drawings
echo
echo "The 10,000 MNIST test digits (scans): how many the model flags, and the first 12 of them:"
csv="$(mktemp)"
trap 'rm -f "$csv"' EXIT
"$cli" score --images "$mnist/t10k-images-idx3-ubyte" --csv "$csv"
head -13 "$csv" | cut -d, -f1-4,13
