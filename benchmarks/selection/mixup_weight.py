"""Selection check: the classifier's ``mixup_diversity`` against OOD detection and calibration.

``mixup_diversity="auto"`` (0.3) was chosen for OOD detection on digits 0-4 vs 5-9. Its price
is some confidence on ordinary inputs (the calibration benchmark finds the classifier's log
loss and ECE above the single network's and the deep ensemble's). This script asks whether
another weight does better on both counts, on random 5/5 partitions of the digit classes
that no report uses (``ood_partitions`` reports partitions 0-4; this script takes 10 and
up, drawn the same way), with the ``mlp`` and the ``conv2d`` target: per weight, the mean
over partitions of the in-distribution test rows' accuracy, log loss and ECE and the
mutual-information AUROC of the out-of-distribution classes, beside the 5-member deep
ensemble's. ``--n-networks`` also varies the networks per training step (each weight
with each value; the rows then add the mean fit seconds, comparable within one run). It
prints a table and writes nothing.

    python benchmarks/selection/mixup_weight.py --partitions 10-14 --weights 0.1 0.3 0.5
    python benchmarks/selection/mixup_weight.py --weights 0 --n-networks 16 32 --archs mlp
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent)]

from _common import print_means  # noqa: E402

from sk_hypergan import HyperGANClassifier  # noqa: E402
from sk_hypergan.targets import conv2d, mlp  # noqa: E402

from suites.ood_digits import INPUT_SHAPE, evaluate, make_method  # noqa: E402
from suites.ood_partitions import load_partition  # noqa: E402

#: Partitions 0-4 are reported (``ood_partitions``).
FIRST_PARTITION = 10
KEYS = ("accuracy", "log_loss", "ece", "auroc_epistemic")


def partitions(text):
    first, _, last = text.partition("-")
    chosen = list(range(int(first), int(last or first) + 1))
    if min(chosen) < FIRST_PARTITION:
        raise argparse.ArgumentTypeError("partitions 0-9 are reserved; select on 10+")
    return chosen


def partition_rows(arch, chosen, variants, timed=False, extra=None):
    """Per label of ``variants`` (label -> ``HyperGANClassifier`` keyword arguments), and
    for the 5-member deep ensemble, one row of :data:`KEYS` per partition of ``chosen``
    (with the fit seconds if ``timed``; NaN for the ensemble), for :func:`print_means`.
    ``extra(model)``: more columns for the rows of each ``HyperGANClassifier`` (not the
    ensemble's)."""
    rows = {**{label: [] for label in variants}, "deep_ensemble": []}
    for p in chosen:
        data = load_partition(p)
        for label, params in variants.items():
            target = mlp() if arch == "mlp" else conv2d(INPUT_SHAPE)
            model = HyperGANClassifier(target, random_state=p, **params)
            start = time.perf_counter()
            model.fit(*data[:2])
            seconds = time.perf_counter() - start
            metrics, _ = evaluate(model, *data[2:])
            row = {k: metrics[k] for k in KEYS}
            if timed:
                row["fit s"] = seconds
            rows[label].append({**row, **(extra(model) if extra else {})})
        ensemble = make_method("deep_ensemble", arch, p).fit(*data[:2])
        metrics, _ = evaluate(ensemble, *data[2:])
        row = {k: metrics[k] for k in KEYS}
        rows["deep_ensemble"].append({**row, "fit s": float("nan")} if timed else row)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partitions", type=partitions, default="10-14")
    parser.add_argument("--weights", nargs="+", type=float, default=[0.1, 0.3, 0.5])
    parser.add_argument("--archs", nargs="+", choices=["mlp", "conv"], default=["mlp", "conv"])
    parser.add_argument("--n-networks", nargs="+", type=int, default=None,
                        help="networks per step to try (default: the estimator's 'auto')")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    sizes = args.n_networks or ["auto"]
    timed = args.n_networks is not None
    variants = {
        f"mixup_diversity {w:g}" + (f", n_networks {n}" if timed else ""):
            {"mixup_diversity": w, "n_networks": n}
        for w in args.weights for n in sizes
    }
    for arch in args.archs:
        rows = partition_rows(arch, args.partitions, variants, timed)
        print_means(f"{arch} (partitions {args.partitions[0]}-{args.partitions[-1]}; mean)",
                    rows, 36 if timed else 22, ".4f")
    return 0


if __name__ == "__main__":
    sys.exit(main())
