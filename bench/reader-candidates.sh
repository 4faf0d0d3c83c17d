#!/usr/bin/env bash
# The digit-reader candidates of docs/decisions.md ("Shipping the digit reader (0.9)"): each
# reader trained on the bundled networks (train --encoder-from: only the readers learn), its raw
# score terms and features of the choice sets written by oddigit-shape-terms, then every
# weight, bank and neighbour statistic of the rule applied offline by bench/shape-terms.py.
#   bench/reader-candidates.sh [NAME...]   (default: all; the names are below)
# Results: bench/results/reader-candidates/NAME.txt. Needs a build, python3-numpy and
# ../shared/eval-data (omniglot, unipen); about 13 minutes a reader on 2 cores (two readers:
# twice that), a few minutes for each table.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${ODDIGIT_BUILD_DIR:-build}"
eval_data="${ODDIGIT_EVAL_DATA:-../shared/eval-data}"
results=bench/results/reader-candidates
work="${TMPDIR:-/tmp}/oddigit-reader-candidates"
mkdir -p "$results" "$work"
# C+G (0.8's winner, the defaults) and each reader the rule changes.
declare -A options=(
    [cg]=""
    [w256]="--reader-features 256"
    [supcon]="--reader-contrastive"
    [e6]="--reader-epochs 6"
    [two]="--readers 2"
)
for name in "${@:-cg w256 supcon e6 two}"; do
    for one in $name; do
        # shellcheck disable=SC2086
        "$build/bench/oddigit-reader-lab" train --normal all --encoder-from resources/default.safetensors \
            ${options[$one]} --out "$work/$one.safetensors" >"$work/$one.log" 2>&1 ||
            { echo "$one: training failed (see $work/$one.log)"; continue; }
        mkdir -p "$work/$one"
        "$build/bench/oddigit-shape-terms" --model "$work/$one.safetensors" --characters "$eval_data/omniglot/characters" \
            --digits "$eval_data/unipen/digits" --out "$work/$one" >>"$work/$one.log" 2>&1 ||
            { echo "$one: the terms failed (see $work/$one.log)"; continue; }
        /usr/bin/python3 bench/shape-terms.py "$work/$one" >"$results/$one.txt"
        echo "$one done"
    done
done
