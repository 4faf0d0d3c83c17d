#!/usr/bin/env bash
# Training on an image folder against training on MNIST's IDX files (issue 38), on MNIST's 3s
# and 5s written as a folder (bench/export_folder.cpp):
#  1. the same images both ways: `train --data` (--normal 3,5 of the ten) and `train --images`
#     (a folder of the two classes, --as-is), a short recipe (10 GAN + 10 encoder epochs); the
#     other eight digits of MNIST's test set are the anomalies (AUROC, wall times);
#  2. how many images a class needs: the folder cut to the first N images per class, the
#     default recipe, the same test.
#   bench/image-folders.sh        Results: bench/results/image-folders.txt (about 15 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${ODDIGIT_BUILD_DIR:-build}"
cli="$build/app/cli/oddigit-cli"
export_folder="$build/bench/oddigit-export-folder"
work="${TMPDIR:-/tmp}/oddigit-image-folders"
out=bench/results/image-folders.txt
rm -rf "$work"
mkdir -p "$work"
auroc() { sed -n 's/^auroc *//p' "$1"; }
timed() {  # timed NAME COMMAND...: runs it, logs to $work/NAME.log, prints the wall seconds
    local start=$SECONDS
    "${@:2}" >"$work/$1.log" 2>&1 || { echo "$1 failed: see $work/$1.log" >&2; exit 1; }
    echo $((SECONDS - start))
}
short=(--epochs 10 --encoder-epochs 10 --seed 1)
"$export_folder" --classes 3,5 --out "$work/all"
{
    echo "# bench/image-folders.sh, $(date -u +%Y-%m-%d), $(nproc) cores"
    echo "## 1. The same 3s and 5s from the IDX files and from a folder (10 + 10 epochs)"
    idx_s=$(timed idx-train "$cli" train --normal 3,5 "${short[@]}" --out "$work/idx.safetensors")
    "$cli" eval --model "$work/idx.safetensors" >"$work/idx-eval.log"
    folder_s=$(timed folder-train "$cli" train --images "$work/all/train" --as-is --normal all "${short[@]}" \
        --out "$work/folder.safetensors")
    "$cli" eval --model "$work/folder.safetensors" --images "$work/all/test" --as-is >"$work/folder-eval.log"
    echo "| source | classes in the model | AUROC (other 8 digits) | training wall time |"
    echo "|---|---|---|---|"
    echo "| IDX files, --normal 3,5 | 10 | $(auroc "$work/idx-eval.log") | ${idx_s} s |"
    echo "| folder 3/ 5/, --as-is | 2 | $(auroc "$work/folder-eval.log") | ${folder_s} s |"
    echo
    echo "## 2. Images per class (default recipe), the same test"
    echo "| images per class | AUROC | training wall time |"
    echo "|---|---|---|"
    for n in 20 50 200 1000; do
        "$export_folder" --classes 3,5 --per-class "$n" --out "$work/n$n"
        seconds=$(timed "n$n-train" "$cli" train --images "$work/n$n/train" --as-is --normal all --seed 1 \
            --out "$work/n$n.safetensors")
        "$cli" eval --model "$work/n$n.safetensors" --images "$work/all/test" --as-is >"$work/n$n-eval.log"
        echo "| $n | $(auroc "$work/n$n-eval.log") | ${seconds} s |"
    done
} | tee "$out"
