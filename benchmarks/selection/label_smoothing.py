"""Selection check: the classifier's ``label_smoothing``, with and without the pooled temperature.

The calibration benchmark's log loss of the classifier is above the single network's and the
deep ensemble's mostly because of a few test rows that every network gets confidently wrong:
the networks' logits grow without bound (``mixup_diversity`` rewards networks that are each
sure), a row's probability of its class falls below 1e-15 and sklearn's ``log_loss`` charges
it about 36 nats. The held-out rows rarely hold such a row, so no temperature fitted there
tempers it. Label smoothing bounds the logits the networks train towards; the temperatures,
fitted on the held-out rows, then undo its underconfidence (``temperature_`` each network's,
``pooled_temperature_`` the averaged probabilities', as ``calibration="auto"`` fits them).

Per ``label_smoothing`` value this script prints, on data no report uses, the test rows'
accuracy, log loss and ECE with both temperatures (the package) and with ``temperature_``
only, and the worst row's loss (clipped at 36, as ``log_loss`` does) -- on breast_cancer and
digits under the calibration benchmark's protocol with a CV seed from 100 on -- and, on the
random 5/5 partitions of the digit classes from 10 on with the ``mlp`` and ``conv2d`` targets,
also the mutual-information AUROC of the unseen classes, beside the 5-member deep ensemble
(and on the CV data the single network). It writes nothing.

    python benchmarks/selection/label_smoothing.py --values 0 0.02 0.05 --cv-seeds 100 \\
        --partitions 10-14
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent), str(HERE)]

from _common import cv_seed, print_means  # noqa: E402
from mixup_weight import partition_rows, partitions  # noqa: E402
from pooled_temperature import pooled_log_proba, scores  # noqa: E402

from sk_hypergan import HyperGANClassifier  # noqa: E402

from suites.calibration import make_method  # noqa: E402

DATASETS = {"breast_cancer": load_breast_cancer, "digits": load_digits}
def row_scores(proba, y_idx):
    """:func:`pooled_temperature.scores` and the worst row's loss, its probability
    clipped at the float64 epsilon as ``log_loss`` clips it (at most 36 nats)."""
    p = np.clip(proba[np.arange(len(y_idx)), y_idx], np.finfo(np.float64).eps, 1)
    return {**scores(proba, y_idx, proba.shape[1]), "worst row": float((-np.log(p)).max())}


def cross_validated(name, values, seeds):
    X, y = DATASETS[name](return_X_y=True)
    rows = {}
    for seed in seeds:
        folds = StratifiedKFold(5, shuffle=True, random_state=seed).split(X, y)
        for k, (train, test) in enumerate(folds):
            y_idx = np.searchsorted(np.unique(y), y[test])
            for value in values:
                model = make_pipeline(StandardScaler(), HyperGANClassifier(
                    label_smoothing=value, random_state=seed + k)).fit(X[train], y[train])
                clf, Z = model[-1], model[0].transform(X[test])
                rows.setdefault(f"{value:g}, both temperatures", []).append(
                    {**row_scores(clf.predict_proba(Z), y_idx),
                     "T": clf.temperature_, "tau": clf.pooled_temperature_})
                rows.setdefault(f"{value:g}, temperature_ only", []).append(
                    row_scores(np.exp(pooled_log_proba(clf, Z.astype(np.float32))), y_idx))
            for method in ("deep_ensemble", "single_network"):
                reference = make_method(method, seed + k).fit(X[train], y[train])
                rows.setdefault(method, []).append(
                    row_scores(reference.predict_proba(X[test]), y_idx))
    print_means(f"{name} (CV seeds {seeds}; mean over folds)", rows, 30, ".4f")


def partitioned(arch, values, chosen):
    variants = {f"label_smoothing {value:g}": {"label_smoothing": value} for value in values}
    rows = partition_rows(arch, chosen, variants,
                          extra=lambda model: {"tau": model.pooled_temperature_})
    print_means(f"{arch} (partitions {chosen[0]}-{chosen[-1]}; mean)", rows, 22, ".4f")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", nargs="+", type=float, default=[0.0, 0.02, 0.05])
    parser.add_argument("--cv-seeds", nargs="*", type=cv_seed, default=[100])
    parser.add_argument("--datasets", nargs="*", choices=list(DATASETS), default=list(DATASETS))
    parser.add_argument("--partitions", type=partitions, default="10-14")
    parser.add_argument("--archs", nargs="*", choices=["mlp", "conv"], default=["mlp", "conv"])
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    for name in args.datasets if args.cv_seeds else []:
        cross_validated(name, args.values, args.cv_seeds)
    for arch in args.archs:
        partitioned(arch, args.values, args.partitions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
