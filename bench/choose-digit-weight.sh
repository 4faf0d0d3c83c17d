#!/usr/bin/env bash
# Prints, for each digit weight w, the label-free criteria that choose it: the drawn-input
# protocol on the templates used for choosing (letters and symbols flagged, digits flagged,
# AUROC) and the stroke criterion on the model's own held-out digits (image AUROC, clean vs
# one foreign stroke). The held-out templates' figures are printed too, but are not for choosing.
# The mirror criterion is printed for reference only: mirrored digits are among the synthetic
# non-digits the digit head learns from, so it no longer measures anything unseen.
#   bench/choose-digit-weight.sh MODEL [WEIGHTS]
# WEIGHTS: "0 0.01 0.02 0.05 0.1 0.2 0.5" by default. The model file itself is not changed.
set -euo pipefail
cd "$(dirname "$0")/.."
cli="${ODDIGIT_BUILD_DIR:-build}/app/cli/oddigit-cli"
model=${1:?usage: $0 MODEL [WEIGHTS]}
weights=${2:-"0 0.01 0.02 0.05 0.1 0.2 0.5"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "| w | letters flagged | symbols flagged | digits flagged | drawn AUROC | held-out templates flagged | stroke image AUROC | mirrored AUROC (reference) |"
echo "|---|---|---|---|---|---|---|---|"
for w in $weights; do
    "$cli" calibrate --model "$model" --digit-weight "$w" --out "$work/model.safetensors" >/dev/null
    "$cli" protocol drawn --model "$work/model.safetensors" --json "$work/drawn.json" >/dev/null
    "$cli" protocol localization --model "$work/model.safetensors" --on validation --json "$work/strokes.json" >/dev/null
    python3 - "$w" "$work/drawn.json" "$work/strokes.json" <<'PY'
import json, sys
w, drawn, strokes = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
print(f"| {w} | {drawn['letters_flagged']:.3f} | {drawn['symbols_flagged']:.3f} | {drawn['digits_flagged']:.3f} | "
      f"{drawn['auroc']:.4f} | {drawn['held_out_flagged']:.3f} | {strokes['image_auroc']:.4f} | {strokes['mirrored_image_auroc']:.4f} |")
PY
done
