#!/usr/bin/env bash
# Soak test of resume: trains a one-digit model with SIGKILL every 2-17 s (uniformly random,
# seeded), resuming after each kill, and checks that it ends with the bytes of the model a run
# never interrupted wrote (fixed threads). Prints each kill and the count.
# Usage: bench/kill-resume.sh [BUILD_DIR] [SEED]  (defaults: build, 1). Several minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
cli="${1:-build}/app/cli/oddigit-cli"
seed=${2:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
settings=(train --normal 0 --epochs 3 --encoder-epochs 3 --threads 1)

start=$(date +%s)
"$cli" "${settings[@]}" --out "$work/straight.safetensors" >"$work/straight.log"
echo "uninterrupted: $(( $(date +%s) - start )) s"

RANDOM=$seed
kills=0
start=$(date +%s)
while :; do
    resume=()
    [ -f "$work/killed.resume.safetensors" ] && resume=(--resume)
    "$cli" "${settings[@]}" --out "$work/killed.safetensors" "${resume[@]}" >>"$work/killed.log" 2>&1 &
    pid=$!
    delay=$(( 2 + RANDOM % 16 ))
    for _ in $(seq "$delay"); do
        sleep 1
        kill -0 "$pid" 2>/dev/null || break
    done
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid"  # finished (set -e stops on a failed run)
        break
    fi
    kill -9 "$pid"
    wait "$pid" 2>/dev/null || true
    kills=$((kills + 1))
    echo "kill $kills after ${delay} s"
done
echo "finished after $kills kills, $(( $(date +%s) - start )) s"
if cmp -s "$work/straight.safetensors" "$work/killed.safetensors"; then
    echo "the killed and resumed run ends with the uninterrupted model: identical bytes"
else
    echo "FAILED: the models differ" >&2
    exit 1
fi
