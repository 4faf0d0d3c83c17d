#!/usr/bin/python3
"""The shape-channel candidates of docs/decisions.md ("Shipping the digit reader (0.9)"), offline.

Reads what oddigit-shape-terms wrote for one model's readers (raw score terms and reader
features of every set of the rule, and the training digits' features a bank is made of),
applies the product's calibration rule (core/src/score/calibration.cpp: spread scales, the
bisection of the 5 %, the shape channel's share 1/2) to each candidate, and prints the rule's
criterion and bounds, one line a candidate. Choosing only: the product's own protocols give the
figures reported for the candidate adopted.

    bench/shape-terms.py DUMP [DUMP ...]   (each DUMP a folder of oddigit-shape-terms; several: one candidate each)
Needs numpy (Debian: python3-numpy).
"""
import itertools
import json
import os
import sys

import numpy as np

PIPELINES = ["blurred", "coarse 16x16", "thumbnail", "pen a third thicker", "pen a third thinner", "redrawn"]
SPREAD_QUANTILE = 0.95
QUANTILE = 0.95
KAPPA = 1.0
TOP = 50  # the neighbours kept per query: every statistic below reads from them


def floats(path, columns):
    return np.fromfile(path, dtype=np.float32).reshape(-1, columns)


def unit(features):
    return features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)


def auroc(negatives, positives):
    values = np.concatenate([negatives, positives])
    order = values.argsort(kind="mergesort")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    # Average ranks over ties (Mann-Whitney U).
    start = 0
    for end in range(1, len(values) + 1):
        if end == len(values) or sorted_values[end] != sorted_values[start]:
            ranks[order[start:end]] = (start + end + 1) / 2
            start = end
    p, n = len(positives), len(negatives)
    return (ranks[len(negatives):].sum() - p * (p + 1) / 2) / (p * n)


class Dump:
    def __init__(self, folder):
        self.folder = folder
        meta = json.load(open(os.path.join(folder, "sets.json")))
        self.sizes = meta["sets"]
        self.readers = sum(1 for name in os.listdir(folder) if name.startswith("validation.features"))
        self.terms = {name: floats(os.path.join(folder, name + ".terms.f32"), 7)
                      for name in self.sizes if not name.startswith("bank")}
        self.features = [{name: unit(np.fromfile(os.path.join(folder, f"{name}.features{'' if r == 0 else r}.f32"),
                                                 dtype=np.float32).reshape(self.sizes[name], -1))
                          for name in self.sizes} for r in range(self.readers)]
        self.nearest = {}

    def banks(self, reader):
        features = self.features[reader]
        train = features["bank train"]
        plain20k = train[np.random.default_rng(3).permutation(len(train))[:20000]]
        variations = features["bank variations"]
        return {"20k+pipelines": np.concatenate([plain20k, variations]), "20k": plain20k, "54k": train,
                "54k+pipelines": np.concatenate([train, variations])}

    def bank(self, reader, name):
        """A bank by name; "NAME@SIZE" is a random SIZE of NAME's digits, its pipeline share kept."""
        whole, _, size = name.partition("@")
        if not size:
            return self.banks(reader)[whole]
        plain_name, _, pipelines = whole.partition("+")
        plain, variations = self.banks(reader)[plain_name], self.features[reader]["bank variations"]
        size = int(size)
        plain_share = len(plain) / (len(plain) + (len(variations) if pipelines else 0))
        pick = lambda array, count: array[np.random.default_rng(5).permutation(len(array))[:count]]
        chosen = pick(plain, round(size * plain_share))
        return np.concatenate([chosen, pick(variations, size - len(chosen))]) if pipelines else chosen

    def top_similarities(self, bank_name):
        """{set: [readers, N, TOP]} the TOP largest cosine similarities to the bank, descending."""
        if bank_name not in self.nearest:
            result = {name: [] for name in self.terms}
            for reader in range(self.readers):
                bank = self.bank(reader, bank_name)
                for name in self.terms:
                    queries = self.features[reader][name]
                    rows = []
                    for begin in range(0, len(queries), 2048):
                        similarity = queries[begin:begin + 2048] @ bank.T
                        top = np.partition(similarity, -TOP, axis=1)[:, -TOP:]
                        rows.append(-np.sort(-top, axis=1))
                    result[name].append(np.concatenate(rows))
            self.nearest[bank_name] = {name: np.stack(v) for name, v in result.items()}
        return self.nearest[bank_name]


def neighbour_term(similarities, statistic):
    kind, k = statistic
    distances = 1 - similarities  # [readers, N, TOP], ascending
    value = distances[:, :, :k].mean(2) if kind == "mean" else distances[:, :, k - 1]
    return value.mean(0)


def spread(values):
    return np.quantile(values, SPREAD_QUANTILE) - np.quantile(values, 0.5)


def calibrate(stroke, shape):
    """calibration_of() at share 1/2: both thresholds at their k-th largest, the largest k flagging at most 5 %."""
    count = len(stroke)
    allowed = max(1, round((1 - QUANTILE) * count))
    stroke_desc, shape_desc = np.sort(stroke)[::-1], np.sort(shape)[::-1]
    flagged_at = lambda k: np.count_nonzero((stroke >= stroke_desc[k - 1]) | (shape >= shape_desc[k - 1]))
    low, high = 1, min(allowed, count)
    while low < high:
        middle = (low + high + 1) // 2
        if flagged_at(middle) <= allowed:
            low = middle
        else:
            high = middle - 1
    return stroke_desc[low - 1], shape_desc[low - 1]


def tail_share(reference, values):
    """Each value's share of the reference values at or above it, interpolated between them (so
    it falls strictly where they differ); beyond the largest, an exponential whose mean is the
    reference values' mean excess over their 95th percentile, so shares keep falling."""
    ordered = np.sort(reference)
    n = len(ordered)
    cut = np.quantile(reference, QUANTILE)
    mean_excess = max(float(np.mean(ordered[ordered > cut] - cut)), 1e-12)
    # At ordered[j] the share is (n - j) / n; linear between neighbours.
    within = np.interp(values, ordered, (n - np.arange(n)) / n, left=1.0)
    beyond = np.exp(-(values - ordered[-1]) / mean_excess) / n
    return np.where(values > ordered[-1], beyond, within)


def tail_score(validation_channels, channels):
    """Fusion by tail probability: -log of the smaller of the two channels' tail shares."""
    shares = [tail_share(v, c) for v, c in zip(validation_channels, channels)]
    return -np.log(np.maximum(np.minimum(*shares), 1e-300))


def evaluate(dump, digit_weight, density_weight, energy_weight, bank, statistic):
    nearest = dump.top_similarities(bank)
    reader = {name: neighbour_term(nearest[name], statistic) for name in dump.terms}
    t = dump.terms
    validation = t["validation"]
    energy_offset = np.median(validation[:, 6])
    reference = validation[:, 0] + KAPPA * validation[:, 1] + digit_weight * validation[:, 2]
    density_scale = spread(reference) / spread(validation[:, 3])
    reader_scale = spread(reference) / spread(reader["validation"])
    energy = {name: np.maximum(0, energy_offset - t[name][:, 6]) for name in t}
    energy_scale = spread(reference) / spread(energy["validation"]) if energy_weight > 0 else 0
    channels = {}
    for name, terms in t.items():
        stroke = terms[:, 0] + KAPPA * terms[:, 1]
        shape = (digit_weight * terms[:, 2] + density_weight * density_scale * terms[:, 3] + reader_scale * reader[name] +
                 energy_weight * energy_scale * energy[name])
        channels[name] = (stroke, shape)
    stroke_threshold, shape_threshold = calibrate(*channels["validation"])
    ratios = {name: (s / stroke_threshold, h / shape_threshold) for name, (s, h) in channels.items()}
    flagged = {name: float(np.mean(np.maximum(s, h) >= 1)) for name, (s, h) in ratios.items()}
    tail = {name: tail_score(channels["validation"], channels[name]) for name in channels}
    shape_of = lambda name: ratios[name][1]
    fused_of = lambda name: np.maximum(*ratios[name])
    vs_unipen = auroc(shape_of("digits"), shape_of("characters"))
    vs_redrawn = auroc(shape_of("pipeline redrawn"), shape_of("characters"))
    return {
        "criterion": (vs_unipen + vs_redrawn) / 2, "vs_unipen": vs_unipen, "vs_redrawn": vs_redrawn,
        "fused_vs_unipen": auroc(fused_of("digits"), fused_of("characters")),
        "fused_vs_redrawn": auroc(fused_of("pipeline redrawn"), fused_of("characters")),
        "tail_vs_unipen": auroc(tail["digits"], tail["characters"]),
        "tail_vs_redrawn": auroc(tail["pipeline redrawn"], tail["characters"]),
        "worst_pipeline": max(flagged["pipeline " + p] for p in PIPELINES), "stroked": flagged["stroked"],
        "unipen": flagged["digits"], "characters": flagged["characters"], "mnist_test": flagged["mnist test"],
        "held_out": flagged["validation"],
    }


def within_bounds(r):
    return r["worst_pipeline"] <= 0.06 and r["stroked"] >= 0.945 and r["unipen"] <= 0.065


def line(name, setting, r):
    statistic = f"{setting['statistic'][0]} {setting['statistic'][1]}"
    return (f"{name} | {setting['digit_weight']} | {setting['density_weight']} | "
            f"{setting['energy_weight']} | {setting['bank']} | {statistic} | {r['criterion']:.4f} | "
            f"{r['vs_unipen']:.4f} | {r['vs_redrawn']:.4f} | {r['fused_vs_unipen']:.4f} / {r['fused_vs_redrawn']:.4f} | "
            f"{r['tail_vs_unipen']:.4f} / {r['tail_vs_redrawn']:.4f} | "
            f"{100 * r['worst_pipeline']:.1f} % | {100 * r['stroked']:.1f} % | {100 * r['unipen']:.1f} % | "
            f"{100 * r['characters']:.1f} % | {100 * r['mnist_test']:.1f} % | {'yes' if within_bounds(r) else 'no'}")


def main(folders):
    grid = {
        "digit_weight": [1.0, 0.5, 0.0],
        "density_weight": [0.25, 0.0],
        "energy_weight": [0.0, 1.0],
        "bank": ["20k+pipelines", "20k", "54k", "54k+pipelines"],
        "statistic": [("mean", 10), ("kth", 10), ("kth", 50)],
    }
    print("dump | digit w | density w | energy w | bank | statistic | criterion | vs UNIPEN | vs redrawn | "
          "fused vs UNIPEN / redrawn | tail-fused vs UNIPEN / redrawn | worst pipeline | stroked | UNIPEN flagged | "
          "Omniglot flagged | MNIST test | within")
    dumps, best = {}, None
    for folder in folders:
        name = os.path.basename(folder.rstrip("/"))
        dumps[name] = Dump(folder)
        for values in itertools.product(*grid.values()):
            setting = dict(zip(grid, values))
            r = evaluate(dumps[name], **setting)
            print(line(name, setting, r), flush=True)
            if within_bounds(r) and (best is None or r["criterion"] > best[2]["criterion"]):
                best = (name, setting, r)
    if best is None:
        print("no candidate within the bounds")
        return
    name, setting, r = best
    print("\nhighest within the bounds:\n" + line(name, setting, r))
    print("\nits bank cut to a random subset:")
    for size in (10000, 5000, 2000):
        cut = dict(setting, bank=f"{setting['bank']}@{size}")
        print(line(name, cut, evaluate(dumps[name], **cut)), flush=True)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
