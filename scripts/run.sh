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
echo "No display found: here is the command line at work (run this script on a desktop for the app)."
"$cli" info resources/default.safetensors
"$cli" eval --data "${ODDIGIT_DATA:-$HOME/.local/share/oddigit/mnist}"
