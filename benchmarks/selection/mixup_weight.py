"""Selection check: the classifier's ``mixup_diversity`` against OOD detection and calibration.

``mixup_diversity="auto"`` (0.3) was chosen for OOD detection on digits 0-4 vs 5-9. Its price
is some confidence on ordinary inputs (the calibration benchmark finds the classifier's log
loss and ECE above the single network's and the deep ensemble's). This script asks whether
another weight does better on both counts, on random 5/5 partitions of the digit classes
that no report uses (``ood_partitions`` reports partitions 0-4; this script takes 10 and
up, drawn the same way), with the ``mlp`` and the ``conv2d`` target: per weight, the mean
over partitions of the in-distribution test rows' accuracy, log loss and ECE and the
mutual-information AUROC of the out-of-distribution classes, beside the 5-member deep
ensemble's. It prints a table and writes nothing.

    python benchmarks/selection/mixup_weight.py --partitions 10-14 --weights 0.1 0.3 0.5
"""

from __future__ import annotations

import argparse
import sys
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partitions", type=partitions, default="10-14")
    parser.add_argument("--weights", nargs="+", type=float, default=[0.1, 0.3, 0.5])
    parser.add_argument("--archs", nargs="+", choices=["mlp", "conv"], default=["mlp", "conv"])
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    for arch in args.archs:
        rows = {f"mixup_diversity {w:g}": [] for w in args.weights}
        rows["deep_ensemble"] = []
        for p in args.partitions:
            data = load_partition(p)
            for w in args.weights:
                target = mlp() if arch == "mlp" else conv2d(INPUT_SHAPE)
                model = HyperGANClassifier(target, mixup_diversity=w, random_state=p)
                metrics, _ = evaluate(model.fit(*data[:2]), *data[2:])
                rows[f"mixup_diversity {w:g}"].append({k: metrics[k] for k in KEYS})
            ensemble = make_method("deep_ensemble", arch, p).fit(*data[:2])
            metrics, _ = evaluate(ensemble, *data[2:])
            rows["deep_ensemble"].append({k: metrics[k] for k in KEYS})
        print_means(f"{arch} (partitions {args.partitions[0]}-{args.partitions[-1]}; mean)",
                    rows, 22, ".4f")
    return 0


if __name__ == "__main__":
    sys.exit(main())
