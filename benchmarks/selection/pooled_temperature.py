"""Selection check: a second temperature, on the classifier's averaged probabilities.

The classifier's calibration (``calibration="auto"``) divides each network's logits by
``temperature_`` before their probabilities are averaged. Where the networks are each sure
of a class but do not all pick the same one (``mixup_diversity`` rewards disagreement), the
average is underconfident whatever each network's temperature, which is what the
calibration benchmark's ECE shows on digits. Calibrating *after* pooling
(Rahaman & Thiery, NeurIPS 2021, "pool-then-calibrate") can correct that: the averaged
probabilities ``p`` become ``softmax(log(p) / tau)``, ``tau`` fitted like ``temperature_``
(held-out log loss plus the prior of ``fit_temperature`` on ``log tau``), the arg-max
unchanged. This script fits the default classifier, takes the held-out rows its calibration
used, fits ``tau`` there and prints, on the test rows, the log loss and ECE without and with
it (and the fitted ``tau``), beside the deep ensemble's: on breast_cancer under the
calibration benchmark's protocol with CV seeds no report uses (100 and up), and on the
random 5/5 partitions of the digit classes that no report uses (10 and up, ``mlp``
target). It prints a table and writes nothing. It was the check of the second temperature
alone, before label smoothing (run today, its fits have the default smoothing), and rejected
it; the package now
fits it (``pooled_temperature_``) together with ``label_smoothing``, which
``label_smoothing.py`` checks. The ``temperature_ only`` rows here are the package's
predictions with the pooled temperature left out.

    python benchmarks/selection/pooled_temperature.py --cv-seeds 100 --partitions 10-14
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from scipy.special import log_softmax
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent), str(HERE)]

from _common import cv_seed, held_out_rows, print_means  # noqa: E402
from mixup_weight import partitions  # noqa: E402

from sk_hypergan import HyperGANClassifier  # noqa: E402
from sk_hypergan._calibration import fit_pooled_temperature, log_mean_proba  # noqa: E402
from sk_hypergan.targets import mlp  # noqa: E402

from harness.scoring import expected_calibration_error  # noqa: E402
from suites.calibration import make_method  # noqa: E402
from suites.ood_digits import make_method as make_ood_method  # noqa: E402
from suites.ood_partitions import load_partition  # noqa: E402


def pooled_log_proba(clf, X32):
    """Log of the averaged probabilities at ``temperature_``."""
    logits = np.concatenate(
        [o.to("cpu", torch.float64).numpy() for o in clf._outputs(X32)], axis=1)
    return log_mean_proba(logits, clf.temperature_)


def scores(proba, y_idx, n_classes):
    return {"log loss": log_loss(y_idx, proba, labels=range(n_classes)),
            "ECE": expected_calibration_error(y_idx, proba, n_bins=15,
                                              classes=np.arange(n_classes))}


def one_fit(model, X_tr, y_tr, X_te, y_te, transform=None):
    with held_out_rows(HyperGANClassifier) as kept:
        model.fit(X_tr, y_tr)
    held = kept.get("rows")
    clf = model[-1] if hasattr(model, "steps") else model
    X32 = (transform(X_te) if transform else X_te).astype(np.float32)
    y_idx = np.searchsorted(clf.classes_, y_te)
    k = len(clf.classes_)
    log_p = pooled_log_proba(clf, X32)
    tau = 1.0
    if held is not None:
        X_held, y_held, w_held = held
        tau = fit_pooled_temperature(pooled_log_proba(clf, X_held), y_held, w_held)
    before = scores(np.exp(log_p), y_idx, k)
    after = scores(np.exp(log_softmax(log_p / tau, axis=-1)), y_idx, k)
    return ({**before, "temperature": clf.temperature_},
            {**after, "tau": tau})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv-seeds", nargs="*", type=cv_seed, default=[100])
    parser.add_argument("--partitions", type=partitions, default="10-14")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    X, y = load_breast_cancer(return_X_y=True)
    rows = {"temperature_ only": [], "plus pooled tau": [], "deep_ensemble": []}
    for seed in args.cv_seeds:
        folds = StratifiedKFold(5, shuffle=True, random_state=seed).split(X, y)
        for k, (train, test) in enumerate(folds):
            model = make_pipeline(StandardScaler(), HyperGANClassifier(random_state=seed + k))
            before, after = one_fit(model, X[train], y[train], X[test], y[test],
                                    transform=lambda Z, m=model: m[0].transform(Z))
            rows["temperature_ only"].append(before)
            rows["plus pooled tau"].append(after)
            ensemble = make_method("deep_ensemble", seed + k).fit(X[train], y[train])
            rows["deep_ensemble"].append(scores(ensemble.predict_proba(X[test]), y[test], 2))
    if args.cv_seeds:
        print_means(f"breast_cancer (CV seeds {args.cv_seeds}; mean over folds)", rows, 26,
                    ".4f")
    rows = {"temperature_ only": [], "plus pooled tau": [], "deep_ensemble": []}
    for p in args.partitions:
        X_tr, y_tr, X_te, y_te, _ = load_partition(p)
        before, after = one_fit(HyperGANClassifier(mlp(), random_state=p), X_tr, y_tr, X_te,
                                y_te)
        rows["temperature_ only"].append(before)
        rows["plus pooled tau"].append(after)
        ensemble = make_ood_method("deep_ensemble", "mlp", p).fit(X_tr, y_tr)
        classes = np.unique(y_tr)
        rows["deep_ensemble"].append(scores(ensemble.predict_proba(X_te),
                                            np.searchsorted(classes, y_te), len(classes)))
    print_means(f"digits partitions {args.partitions[0]}-{args.partitions[-1]}, mlp (mean)",
                rows, 26, ".4f")
    return 0


if __name__ == "__main__":
    sys.exit(main())
