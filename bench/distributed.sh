#!/usr/bin/env bash
# Data-parallel training (c10d, Gloo) on this machine, in one run:
#  1. speed: one process on every core against one process per core with one thread each,
#     timed on the second GAN epoch of 6,400 images (the first warms up);
#  2. quality: a one-class model of digit DIGIT trained with the default recipe alone and by
#     two ranks on the loopback, each scored on the 10,000 test images (AUROC).
# Usage: bench/distributed.sh [BUILD_DIR] [DIGIT]  (defaults: build, 0). About 15 minutes on
# 2 cores. Prints the figures and writes them to bench/results/distributed.json.
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${1:-build}/app/cli/oddigit-cli
digit=${2:-0}
cores=$(nproc)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
port=$((29500 + RANDOM % 1000))

# Runs `oddigit-cli ARGS` as RANKS processes with one thread each; logs in $work/NAME.rankR.log,
# the model in $work/NAME.safetensors (rank R > 0 writes its copy as NAME.rankR.safetensors).
distributed() {
    local name=$1 ranks=$2
    shift 2
    local pids=()
    port=$((port + 1))
    for rank in $(seq 0 $((ranks - 1))); do
        "$cli" "$@" --threads 1 --world-size "$ranks" --rank "$rank" --master "127.0.0.1:$port" \
            --out "$work/$name.safetensors" >"$work/$name.rank$rank.log" 2>&1 &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid"; done
}
# "SECONDS EXCHANGE" of a log's second GAN epoch (EXCHANGE 0 for one process).
epoch_two() {
    sed -n 's/^GAN epoch 2\/[0-9]*: .*(\([0-9.]*\) s\(, \([0-9.]*\) s of it with the other ranks\)\?)$/\1 \3/p' "$1" |
        awk '{ print $1, ($2 == "" ? 0 : $2) }'
}

speed=(train --normal all --limit 6400 --epochs 2 --encoder-epochs 1)
"$cli" "${speed[@]}" --threads "$cores" --out "$work/speed-alone.safetensors" >"$work/speed-alone.log" 2>&1
distributed speed-ranks "$cores" "${speed[@]}"
read -r alone_seconds _ < <(epoch_two "$work/speed-alone.log")
read -r ranks_seconds exchange_seconds < <(epoch_two "$work/speed-ranks.rank0.log")
alone_rate=$(awk -v s="$alone_seconds" 'BEGIN { printf "%.0f", 6400 / s }')
ranks_rate=$(awk -v s="$ranks_seconds" 'BEGIN { printf "%.0f", 6400 / s }')
efficiency=$(awk -v a="$alone_rate" -v r="$ranks_rate" 'BEGIN { printf "%.2f", r / a }')
exchange_share=$(awk -v e="$exchange_seconds" -v s="$ranks_seconds" 'BEGIN { printf "%.2f", e / s }')
echo "speed   1 process x $cores threads: $alone_rate img/s; $cores processes x 1 thread: $ranks_rate img/s" \
     "(efficiency $efficiency; in the timed epoch rank 0 spent $exchange_seconds of $ranks_seconds s with the other ranks)"
# The whole run's exchanges by what they carried, from rank 0's last line.
breakdown=$(sed -n 's/^time with the other ranks: //p' "$work/speed-ranks.rank0.log")
echo "speed   rank 0, whole run (2 GAN epochs, 1 encoder epoch, calibration): $breakdown"
read -r total gradients batch_norm figures < <(echo "$breakdown" |
    sed 's/^\([0-9.]*\) s (gradients \([0-9.]*\) s, BatchNorm statistics \([0-9.]*\) s, losses and go-on flags \([0-9.]*\) s).*/\1 \2 \3 \4/')

"$cli" train --normal "$digit" --threads "$cores" --out "$work/alone.safetensors" >"$work/alone.log" 2>&1
distributed ranks 2 train --normal "$digit"
auroc() { "$cli" eval --model "$1" --json "$1.json" >/dev/null && sed -n 's/.*"auroc": *\([0-9.]*\).*/\1/p' "$1.json"; }
alone_auroc=$(auroc "$work/alone.safetensors")
ranks_auroc=$(auroc "$work/ranks.safetensors")
alone_time=$(sed -n 's/^trained in .* (\([0-9.]*\) s).*/\1/p' "$work/alone.log")
ranks_time=$(sed -n 's/^trained in .* (\([0-9.]*\) s).*/\1/p' "$work/ranks.rank0.log")
echo "quality one-class digit $digit, default recipe: alone AUROC $alone_auroc ($alone_time s);" \
     "2 ranks AUROC $ranks_auroc ($ranks_time s)"

mkdir -p bench/results
cat >bench/results/distributed.json <<JSON
{
  "cores": $cores,
  "speed": {"images": 6400, "one_process_images_per_second": $alone_rate, "one_thread_processes_images_per_second": $ranks_rate,
            "efficiency": $efficiency, "rank0_epoch_seconds": $ranks_seconds, "rank0_exchange_seconds": $exchange_seconds,
            "exchange_share": $exchange_share,
            "rank0_run_exchange_seconds": {"total": $total, "gradients": $gradients, "batch_norm": $batch_norm, "step_figures": $figures}},
  "quality": {"digit": $digit, "one_process_auroc": $alone_auroc, "two_ranks_auroc": $ranks_auroc,
              "one_process_seconds": $alone_time, "two_ranks_seconds": $ranks_time}
}
JSON
