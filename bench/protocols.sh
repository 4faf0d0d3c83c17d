#!/usr/bin/env bash
# Runs an evaluation protocol with the committed settings and writes its results to
# bench/results/NAME.json (figures) and NAME.log (progress and the Markdown table).
#   bench/protocols.sh one-class|leave-one-out|localization|drawn|search-vs-encoder|all
# Wall times on this project's 2-core machine: one-class ~44 min per seed with 0.3's 40 + 40
# epochs, about twice that with 0.4's 80 + 80 (from single 1-thread trainings of 9-14 min, two
# at a time; the command itself not re-timed), leave-one-out ~60 min, localization 5 s, drawn
# 3 s, search-vs-encoder ~18 min.
# Needs a build (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
cli="${ODDIGIT_BUILD_DIR:-build}/app/cli/oddigit-cli"
results=bench/results

run() {
    local name=$1
    shift
    "$cli" protocol "$name" "$@" --json "$results/$name.json" | tee "$results/$name.log"
}

case "${1:-}" in
    one-class) run one-class --seeds 1,2,3 ;;
    leave-one-out) run leave-one-out --seed 1 ;;
    localization) run localization --on test ;;
    drawn) run drawn ;;
    search-vs-encoder) run search-vs-encoder --digits 1,4,8 ;;
    all) for name in one-class leave-one-out localization drawn search-vs-encoder; do "$0" "$name"; done ;;
    *) echo "usage: $0 one-class|leave-one-out|localization|drawn|search-vs-encoder|all" >&2; exit 2 ;;
esac
