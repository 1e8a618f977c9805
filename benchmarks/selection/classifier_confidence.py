"""Selection check: is the classifier over- or under-confident, and what changes that?

The calibration benchmark (``benchmarks/results/calibration.md``) finds HyperGAN's log loss
and ECE above the single network's and the deep ensemble's. This script asks why, under the
benchmark's protocol (``make_pipeline(StandardScaler(), classifier)``, 5-fold stratified CV)
but with CV seeds no report uses (100 and 101 by default): per method, accuracy, mean
top-class probability (confidence), log loss, the part of the log loss from misclassified
rows, ECE (15 bins) and HyperGAN's fitted temperature. Variants of HyperGAN's defaults:
``mixup_diversity`` 0.1 and 0 (the default is 0.3, chosen for OOD detection) and
``early_stopping=True`` (held-out rows, hence a temperature, also below the 200 training
rows from which ``"auto"`` holds rows out), ``early_stopping=False`` (every row trained
on, no temperature), ``regularizer='mine'`` (the default since;
``classifier_regularizer.py``) and ``label_smoothing`` 0.05 and 0.02 (``"auto"``'s two
values). Data: wine, breast_cancer and iris (150 rows, 3 classes: a
second small set, where ``"auto"`` holds no rows out), and digits (1,797 rows, 10
classes). It prints a table and writes nothing.

    python benchmarks/selection/classifier_confidence.py --datasets wine --seeds 100
    python benchmarks/selection/classifier_confidence.py --datasets iris --seeds 100 101 102 \
        --methods hypergan "hypergan, early_stopping=True" single deep_ensemble
    python benchmarks/selection/classifier_confidence.py --datasets digits --seeds 100 \
        --methods hypergan "hypergan, early_stopping=False" "hypergan, mixup_diversity 0" \
        single deep_ensemble
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent)]

from _common import cv_seed, print_means  # noqa: E402

from sk_hypergan import HyperGANClassifier  # noqa: E402

from harness.scoring import expected_calibration_error  # noqa: E402
from suites.calibration import make_method  # noqa: E402

DATASETS = {"wine": load_wine, "breast_cancer": load_breast_cancer, "iris": load_iris,
            "digits": load_digits}
PEERS = ("single", "deep_ensemble")
VARIANTS = {"hypergan": {}, "hypergan, mixup_diversity 0.1": {"mixup_diversity": 0.1},
            "hypergan, mixup_diversity 0": {"mixup_diversity": 0.0},
            "hypergan, early_stopping=True": {"early_stopping": True},
            "hypergan, early_stopping=False": {"early_stopping": False},
            "hypergan, regularizer='mine'": {"regularizer": "mine"},
            "hypergan, label_smoothing 0.05": {"label_smoothing": 0.05},
            "hypergan, label_smoothing 0.02": {"label_smoothing": 0.02}}


def make(method, seed):
    if method in VARIANTS:
        return make_pipeline(StandardScaler(),
                             HyperGANClassifier(random_state=seed, **VARIANTS[method]))
    return make_method(method, seed)


def scores(model, X, y, classes):
    proba = model.predict_proba(X)
    right = classes[proba.argmax(1)] == y
    p_true = proba[np.arange(len(y)), np.searchsorted(classes, y)]
    return {"accuracy": right.mean(), "confidence": proba.max(1).mean(),
            "log loss": log_loss(y, proba, labels=classes),
            "of it, wrong rows": -np.log(np.clip(p_true, 1e-15, 1))[~right].sum() / len(y),
            "ECE": expected_calibration_error(y, proba, n_bins=15, classes=classes),
            "temperature": float(np.mean(getattr(model[-1], "temperature_", np.nan)))}


def cv_rows(name, methods, seeds, make=make):
    """Per method of ``methods``, :func:`scores` on every test fold of data set ``name``
    under the calibration protocol (5-fold stratified CV per seed of ``seeds``; fold ``k``
    seeds the model ``make(method, seed + k)``)."""
    X, y = DATASETS[name](return_X_y=True)
    classes = np.unique(y)
    rows = {m: [] for m in methods}
    for seed in seeds:
        folds = StratifiedKFold(5, shuffle=True, random_state=seed).split(X, y)
        for k, (train, test) in enumerate(folds):
            for method in rows:
                model = make(method, seed + k).fit(X[train], y[train])
                rows[method].append(scores(model, X[test], y[test], classes))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--seeds", nargs="+", type=cv_seed, default=[100, 101])
    parser.add_argument("--methods", nargs="+", choices=[*VARIANTS, *PEERS],
                        default=[*VARIANTS, *PEERS])
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    for name in args.datasets:
        rows = cv_rows(name, args.methods, args.seeds)
        n = len(next(iter(rows.values())))
        print_means(f"{name} (CV seeds {args.seeds}, {n} folds; mean over folds)", rows, 30,
                    ".4f")
    return 0


if __name__ == "__main__":
    sys.exit(main())
