#!/usr/bin/env bash
# Everything a fresh Debian 12 machine needs to build and pass the tests:
# packages, MNIST (verified), a Release build, then the whole suite through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/fetch-mnist.sh
scripts/build.sh
cd "${ODDIGIT_BUILD_DIR:-build}"
QT_QPA_PLATFORM=offscreen ctest --output-on-failure -j "$(nproc)"
