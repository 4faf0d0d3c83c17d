#!/usr/bin/env bash
# Configures and builds Oddigit in Release into build/ (or $ODDIGIT_BUILD_DIR).
# Extra arguments go to CMake, e.g. scripts/build.sh -DODDIGIT_GUI=OFF
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${ODDIGIT_BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
