#!/usr/bin/env bash
# Report, not a criterion: scores the real scanned handwriting of ../shared/eval-data (read its
# README: the femnist, emnist and usps sets are test data only, never trained on or chosen by)
# and the MNIST test digits with a model, and prints
#   - letters (open-set split without G, I, L, O) against the MNIST test digits: AUROC of the
#     score, share flagged, and per letter;
#   - EMNIST and USPS digits: share flagged, and how often the digit head names them right;
#   - the Omniglot choice set (protocol shape): the shape channel's AUROC against the model's
#     held-out digits redrawn as the characters were drawn, per alphabet, the share flagged,
#     and the pipeline control (the held-out digits through other scanning pipelines).
# Usage: bench/real-handwriting.sh [--model FILE] [--eval-data DIR] [--mnist DIR] [--cli PATH] [--json OMNIGLOT.json]
# Exits 0, saying so, when the evaluation folder is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
model=""
json=""
eval_data="$here/../../shared/eval-data"
mnist="${XDG_DATA_HOME:-$HOME/.local/share}/oddigit/mnist"
cli="$here/../build/app/cli/oddigit-cli"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --model) model=$2; shift 2 ;;
        --eval-data) eval_data=$2; shift 2 ;;
        --mnist) mnist=$2; shift 2 ;;
        --cli) cli=$2; shift 2 ;;
        --json) json=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
if [[ ! -d "$eval_data/femnist/letters" ]]; then
    echo "real-handwriting: no evaluation data at $eval_data; nothing to report"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
model_option=()
[[ -n "$model" ]] && model_option=(--model "$model")
for set in femnist/letters emnist/digits usps/digits; do
    "$cli" score "${model_option[@]}" --images "$eval_data/$set" --csv "$work/${set//\//-}.csv" >&2
done
mnist_test="$mnist/t10k-images-idx3-ubyte"
[[ -f "$mnist_test" ]] || mnist_test="$mnist_test.gz"
"$cli" score "${model_option[@]}" --images "$mnist_test" --csv "$work/mnist.csv" >&2
python3 - "$work" <<'PY'
import csv, os, sys
work = sys.argv[1]
def rows(name):
    with open(os.path.join(work, name)) as f:
        return list(csv.DictReader(f))
def auroc(negatives, positives):
    # Probability that a positive outscores a negative, ties counting half (Mann-Whitney U).
    ranked = sorted([(s, 0) for s in negatives] + [(s, 1) for s in positives])
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]: j += 1
        rank_sum += sum(1 for k in range(i, j) if ranked[k][1]) * (i + j + 1) / 2
        i = j
    p, n = len(positives), len(negatives)
    return (rank_sum - p * (p + 1) / 2) / (p * n)
def share(rows_, key="flagged"): return sum(r[key] == "1" for r in rows_) / len(rows_)
mnist = rows("mnist.csv")
letters = [r for r in rows("femnist-letters.csv")
           if os.path.basename(r["source"]).split("-")[1] not in "GILO"]
scores = lambda rs: [float(r["score"]) for r in rs]
print(f"MNIST test digits flagged: {100 * share(mnist):.1f} %")
print(f"letters without G, I, L, O ({len(letters)}) vs MNIST test: AUROC {auroc(scores(mnist), scores(letters)):.4f}, "
      f"flagged {100 * share(letters):.1f} % (by the shape channel {100 * sum(r['channel'] == 'shape' for r in letters) / len(letters):.1f} %)")
per_letter = {}
for r in rows("femnist-letters.csv"):
    per_letter.setdefault(os.path.basename(r["source"]).split("-")[1], []).append(r)
print("flagged per letter (G, I, L, O outside the split): " +
      " ".join(f"{k} {share(v):.2f}" for k, v in sorted(per_letter.items())))
for name, title in (("emnist-digits.csv", "EMNIST digits"), ("usps-digits.csv", "USPS digits")):
    digits = rows(name)
    named = sum(r["best_digit"] == os.path.basename(r["source"]).split("-")[1] for r in digits) / len(digits)
    print(f"{title} ({len(digits)}): flagged {100 * share(digits):.1f} %, named right {100 * named:.1f} %")
PY
echo
json_option=()
[[ -n "$json" ]] && json_option=(--json "$json")
"$cli" protocol shape "${model_option[@]}" --data "$mnist" --characters "$eval_data/omniglot/characters" \
    --digits "$eval_data/unipen/digits" "${json_option[@]}"
