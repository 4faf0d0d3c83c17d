#!/usr/bin/env bash
# The shape-channel candidates of docs/decisions.md ("A digit reader for the shape channel,
# judged on real non-digits"), each trained on the bundled networks (train --encoder-from: only
# the digit readers learn), then asked the shape question (protocol shape, on the Omniglot
# choice set) and the stroke question (protocol localization --on validation).
#   bench/shape-candidates.sh [NAME...]   (default: the baseline and A-F)
# Results: bench/results/shape-candidates/NAME-shape.json, NAME-localization.json, NAME.log.
# Needs a build and ../shared/eval-data/omniglot; about 4 minutes a candidate on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
cli="${ODDIGIT_BUILD_DIR:-build}/app/cli/oddigit-cli"
lab="${ODDIGIT_BUILD_DIR:-build}/bench/oddigit-reader-lab"  # train with the candidates' settings
characters="${ODDIGIT_EVAL_DATA:-../shared/eval-data}/omniglot/characters"
results=bench/results/shape-candidates
models="${TMPDIR:-/tmp}/oddigit-shape-candidates"
mkdir -p "$results" "$models"
in_place=(--reader-epochs 3 --digit-weight 0 --density-weight 0)
# The readers' defaults are the candidate adopted, C+G: each candidate says how it differs.
declare -A options=(
    [A]="${in_place[*]} --reader-term energy --reader-bank-plain"
    [B]="${in_place[*]} --reader-bank-plain"
    [C]="${in_place[*]}"
    [D]="${in_place[*]} --readers 3 --reader-term energy --reader-bank-plain"
    [E]="${in_place[*]} --reader-negatives abnormal --reader-term not-a-digit --reader-bank-plain"
    [F]="${in_place[*]} --reader-negatives gan-mixes --reader-term not-a-digit --reader-bank-plain"
)
# G: a candidate's options with the readers beside D's head and the density: NAME+G.
# NAME@SHARE: a candidate already trained, recalibrated with the shape channel's share of the
# alarms at SHARE (calibrate --shape-share).
for name in "${@:-baseline A B C D E F}"; do
    for one in $name; do
        log="$results/$one.log"
        # baseline: the bundled model (0.7.0 when the table of docs/decisions.md was measured).
        if [[ "$one" == baseline ]]; then
            model=resources/default.safetensors
        elif [[ "$one" == *@* ]]; then
            trained="${one%@*}"
            [[ "$trained" == baseline ]] && source=resources/default.safetensors || source="$models/$trained.safetensors"
            model="$models/$one.safetensors"
            "$cli" calibrate --model "$source" --shape-share "${one#*@}" --out "$model" >"$log" 2>&1 ||
                { echo "$one: calibration failed (see $log)"; continue; }
        else
            model="$models/$one.safetensors"
            base="${one%+G}"
            extra="${options[$base]}"
            [[ "$one" == *+G ]] && extra="${extra/--digit-weight 0 --density-weight 0/}"
            # shellcheck disable=SC2086
            "$lab" train --normal all --encoder-from resources/default.safetensors $extra --out "$model" >"$log" 2>&1 ||
                { echo "$one: training failed (see $log)"; continue; }
        fi
        if "$cli" protocol shape --model "$model" --characters "$characters" --json "$results/$one-shape.json" >>"$log" 2>&1 &&
            "$cli" protocol localization --model "$model" --on validation --json "$results/$one-localization.json" >>"$log" 2>&1; then
            echo "$one done"
        else
            echo "$one: a protocol failed (see $log)"
        fi
    done
done
