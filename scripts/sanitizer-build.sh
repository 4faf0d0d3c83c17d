#!/usr/bin/env bash
# Configures and builds a sanitized tree, the one place the sanitizers' compiler flags are
# written (scripts/sanitize.sh and scripts/monkey.sh call it).
# Usage: scripts/sanitizer-build.sh address|thread JOBS [TARGET...]
#   address: AddressSanitizer + UndefinedBehaviorSanitizer into $ODDIGIT_SANITIZE_BUILD_DIR
#            (build-sanitize/); thread: ThreadSanitizer into $ODDIGIT_TSAN_BUILD_DIR (build-tsan/).
#   No TARGET: everything (the suite included). Prints the build folder on its last line.
# Only our code is instrumented: Qt, LibTorch and OpenMP are Debian's uninstrumented libraries,
# which is why ThreadSanitizer needs tests/sanitize/tsan.supp (its comments say what and why).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
kind=$1 jobs=$2
shift 2
case "$kind" in
    address)
        build_dir="${ODDIGIT_SANITIZE_BUILD_DIR:-build-sanitize}"
        sanitizers="address,undefined"
        flags="-fsanitize=$sanitizers -fno-sanitize-recover=undefined -fno-omit-frame-pointer" ;;
    thread)
        build_dir="${ODDIGIT_TSAN_BUILD_DIR:-build-tsan}"
        sanitizers="thread"
        flags="-fsanitize=$sanitizers -fno-omit-frame-pointer" ;;
    *) echo "sanitizer-build.sh: address or thread, not '$kind'" >&2; exit 2 ;;
esac
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DODDIGIT_BENCH=OFF -DCMAKE_CXX_FLAGS="$flags" \
      -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=$sanitizers" -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=$sanitizers" >/dev/null
cmake --build "$build_dir" -j "$jobs" ${1:+--target "$@"} >&2
echo "$build_dir"
