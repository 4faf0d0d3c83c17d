#!/usr/bin/env bash
# Builds the whole project and its test suite (GUI tests included) with AddressSanitizer and
# UndefinedBehaviorSanitizer into build-sanitize/, and runs the suite. Exits non-zero on any
# finding. Suppressions (tests/sanitize/) cover only third-party libraries, each named there.
#
# scripts/sanitize.sh --thread [RUNS]: ThreadSanitizer instead, into build-tsan/, on the program
# whose threads meet most (ui_training_tests: two trainings in one app, the Draw view scoring
# while Explore scores the test set and a training runs), RUNS times in a row (default 5) by
# scripts/repeat-test.sh; any ThreadSanitizer report fails the run. The monkey under it:
# scripts/monkey.sh --thread.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/fetch-mnist.sh
if [ "${1:-}" = --thread ]; then
    runs=${2:-5}
    build_dir=$(scripts/sanitizer-build.sh thread "$(nproc)" oddigit_ui_training_tests | tail -n 1)
    export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 history_size=4 suppressions=$PWD/tests/sanitize/tsan.supp"
    exec scripts/repeat-test.sh "$runs" "$build_dir/repeat-ui-training" "$PWD/$build_dir/tests/oddigit_ui_training_tests"
fi
build_dir=$(scripts/sanitizer-build.sh address "$(nproc)" | tail -n 1)
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$PWD/tests/sanitize/ubsan.supp"
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitize/lsan.supp"
cd "$build_dir"
QT_QPA_PLATFORM=offscreen ctest --output-on-failure -j "$(nproc)" --timeout 1200
