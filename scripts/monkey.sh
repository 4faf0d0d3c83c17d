#!/usr/bin/env bash
# The GUI monkey test (tests/monkey/monkey.cpp): builds oddigit_monkey with AddressSanitizer and
# UndefinedBehaviorSanitizer into build-sanitize/ (scripts/sanitizer-build.sh; with --thread,
# ThreadSanitizer into build-tsan/ with tests/sanitize/tsan.supp), then
# drives the real window with seeded random actions for MINUTES (default 10) on an offscreen
# screen. Fails on a crash, a hang, a sanitizer report (leaks at exit included), a modal dialog
# nothing answers, or the heap in use growing by more than 100 MB between minute 2 and the end
# (both taken at a quiet point: training and Explore's pass stopped, the allocator's free memory
# returned).
#
# Usage: scripts/monkey.sh [--thread] [MINUTES] [SEED]
#        scripts/monkey.sh [--thread] [--minutes MINUTES] [--seed SEED]
# The seed defaults to one from the clock; it is printed, and a run with the same seed takes the
# same actions (their timing, and so what they meet, still varies). The log (every action with
# its time, Qt's messages, sanitizer reports) and the memory samples (seconds,rss_mb,quiet,heap_mb;
# every 10 s, and the quiet points) go to <build>/monkey/monkey-<seed>-<time>.{log,rss.csv}.
# Environment: ODDIGIT_SANITIZE_BUILD_DIR (build-sanitize), ODDIGIT_TSAN_BUILD_DIR (build-tsan),
# ODDIGIT_MONKEY_JOBS (build jobs,
# default nproc), ODDIGIT_MONKEY_HEAP_LIMIT_MB (100).
set -euo pipefail
cd "$(dirname "$0")/.."

minutes="" seed="" sanitizer=address positional=()
while [ $# -gt 0 ]; do
    case "$1" in
        --thread) sanitizer=thread; shift ;;
        --minutes) minutes="$2"; shift 2 ;;
        --minutes=*) minutes="${1#*=}"; shift ;;
        --seed) seed="$2"; shift 2 ;;
        --seed=*) seed="${1#*=}"; shift ;;
        -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "monkey.sh: unknown option $1" >&2; exit 2 ;;
        *) positional+=("$1"); shift ;;
    esac
done
[ ${#positional[@]} -ge 1 ] && [ -z "$minutes" ] && minutes="${positional[0]}"
[ ${#positional[@]} -ge 2 ] && [ -z "$seed" ] && seed="${positional[1]}"
minutes="${minutes:-10}"
seed="${seed:-$(( $(date +%s%N) % 1000000007 ))}"
if ! awk -v m="$minutes" 'BEGIN { exit !(m + 0 > 0) }' || ! [[ "$seed" =~ ^[0-9]+$ ]]; then
    echo "monkey.sh: MINUTES must be a positive number and SEED a non-negative integer" >&2
    exit 2
fi

scripts/install-deps.sh gdb
scripts/fetch-mnist.sh
build_dir=$(scripts/sanitizer-build.sh "$sanitizer" "${ODDIGIT_MONKEY_JOBS:-$(nproc)}" oddigit_monkey | tail -n 1)

export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$PWD/tests/sanitize/ubsan.supp"
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitize/lsan.supp"
export TSAN_OPTIONS="second_deadlock_stack=1 history_size=4 suppressions=$PWD/tests/sanitize/tsan.supp"
export QT_QPA_PLATFORM=offscreen OMP_NUM_THREADS=1

out_dir="$build_dir/monkey"
mkdir -p "$out_dir"
base="$out_dir/monkey-$seed-$(date +%Y%m%d-%H%M%S)"
log="$base.log" csv="$base.rss.csv"
# Past its minutes the monkey stops the training and Explore's pass and exits; a process still
# there long after is stuck in a way its own watchdog missed.
limit=$(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 + 600 }')
echo "monkey: seed $seed, $minutes minutes; log $log"
set +e
timeout -s KILL "$limit" "$build_dir/tests/oddigit_monkey" --minutes "$minutes" --seed "$seed" --rss-csv "$csv" >"$log" 2>&1
status=$?
set -e

problems=()
case $status in
    0) ;;
    1) problems+=("exit status 1 (a monkey failure or a sanitizer report: see below)") ;;
    4) problems+=("a hang: the GUI thread stopped turning its event loop (stacks in the log)") ;;
    137) problems+=("killed after ${limit} s: stuck past its end") ;;
    *) problems+=("exit status $status$([ $status -gt 128 ] && echo " (signal $((status - 128)): a crash)")") ;;
esac
if grep -qE 'ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|runtime error:|SUMMARY: (Address|Leak|UndefinedBehavior|Thread)Sanitizer' "$log"; then
    problems+=("a sanitizer report")
fi
while IFS= read -r line; do problems+=("${line#*MONKEY FAIL: }"); done < <(grep 'MONKEY FAIL: ' "$log" || true)

echo "monkey: actions taken (seed $seed)"
grep -E '\] summary: ' "$log" | sed 's/^.*summary: /  /' || echo "  (no summary: the run did not reach its end)"

# Memory: RSS and the heap in use each minute, and the rule: the heap in use at the end at most
# ODDIGIT_MONKEY_HEAP_LIMIT_MB above minute 2, both measured at the monkey's quiet points (rows
# with quiet=1: training and the test-set pass stopped, a few seconds to settle, the allocator's
# free memory handed back). In between, a training loading MNIST or the test-set pass lifts them
# by hundreds of MB for seconds; a sample taken then would pass or fail a run by chance. The heap
# in use, not RSS: under ASan, RSS keeps the shadow and metadata of the heap's highest point
# (seed 3 at 0.8: +128 MB RSS after a later, higher peak, while a plain build's RSS fell 24 MB).
heap_limit="${ODDIGIT_MONKEY_HEAP_LIMIT_MB:-100}"
if [ -s "$csv" ]; then
    echo "monkey: RSS and heap in use (MB) by minute, full curve in $csv"
    awk -F, 'NR > 1 { m = int($1 / 60); if (!(m in seen)) { seen[m] = 1; printf "  %5.0f s  RSS %8.1f  heap %8.1f\n", $1, $2, $4 } }
             NR > 1 && $3 == 1 { printf "  %5.0f s  RSS %8.1f  heap %8.1f (quiet point)\n", $1, $2, $4 }' "$csv"
    verdict=$(awk -F, -v limit="$heap_limit" '
        NR > 1 && $3 == 1 { q[++n] = $4; qt[n] = $1 }
        NR > 1 && $1 >= 120 { min = (min == "" || $4 < min) ? $4 : min; max = ($4 > max) ? $4 : max }
        END {
            if (n < 2) { print "skipped: no quiet points at minute 2 and at the end (a run under 2 minutes, or one that did not end)"; exit }
            printf "%s: %.1f MB at minute 2 (%.0f s), %.1f MB at the end (%.0f s): %+.1f MB (limit %d); all samples since minute 2: min %.1f, max %.1f MB\n",
                   (q[n] - q[1] > limit) ? "FAIL" : "ok", q[1], qt[1], q[n], qt[n], q[n] - q[1], limit, min, max
        }' "$csv")
    echo "monkey: heap rule ${verdict}"
    case "$verdict" in FAIL*) problems+=("the heap in use grew by more than $heap_limit MB between minute 2 and the end") ;; esac
else
    problems+=("no memory samples were written")
fi

if [ ${#problems[@]} -eq 0 ]; then
    echo "monkey: clean (seed $seed, $minutes minutes)"
    exit 0
fi
echo "monkey: FAILED (seed $seed): rerun with scripts/monkey.sh $minutes $seed" >&2
for problem in "${problems[@]}"; do echo "  - $problem" >&2; done
report=$(grep -nE 'ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|runtime error:' "$log" | head -n 1 | cut -d: -f1)
if [ -n "$report" ]; then
    echo "monkey: the first sanitizer report, and the actions before it ($log):" >&2
    sed -n "$(( report > 15 ? report - 15 : 1 )),$(( report + 80 ))p" "$log" >&2
else
    echo "monkey: the log's last lines ($log):" >&2
    tail -n 60 "$log" >&2
fi
exit 1
