#!/usr/bin/env bash
# Runs one test program RUNS times in a row, as ctest would (offscreen, one OpenMP thread), and
# stops at the first failure. Each run's log goes to OUT/run-N.log; a crash leaves its core
# dump and gdb's backtrace of every thread beside it (OUT/run-N.backtrace).
# Usage: scripts/repeat-test.sh RUNS OUT PROGRAM [ARGUMENT...]
#   ODDIGIT_MALLOC_CHECK=1: glibc's malloc debugging (MALLOC_CHECK_=3, MALLOC_PERTURB_=165).
# Prints "passed N of N in a row" or where it stopped.
set -uo pipefail
[ $# -ge 3 ] || { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
runs=$1 out=$2
shift 2
mkdir -p "$out"
out=$(cd "$out" && pwd)
export QT_QPA_PLATFORM=offscreen OMP_NUM_THREADS=1
if [ "${ODDIGIT_MALLOC_CHECK:-0}" = 1 ]; then
    export LD_PRELOAD=libc_malloc_debug.so.0 MALLOC_CHECK_=3 MALLOC_PERTURB_=165
fi
ulimit -c unlimited
for run in $(seq 1 "$runs"); do
    start=$(date +%s)
    # A core dump lands in the working folder (core_pattern "core"): the run's own.
    work="$out/run-$run"
    mkdir -p "$work"
    (cd "$work" && "$@") >"$out/run-$run.log" 2>&1
    status=$?
    echo "run $run: exit $status in $(( $(date +%s) - start )) s"
    if [ $status -ne 0 ]; then
        core=$(ls "$work"/core* 2>/dev/null | head -1)
        if [ -n "$core" ] && command -v gdb >/dev/null; then
            gdb -batch -ex "thread apply all bt" "$1" "$core" >"$out/run-$run.backtrace" 2>&1
        fi
        echo "stopped at run $run of $runs (log: $out/run-$run.log)"
        exit 1
    fi
    rm -rf "$work"
done
echo "passed $runs of $runs in a row"
