"""Sanity benchmark on scikit-learn's bundled data: HyperGAN against sklearn's own models.

- diabetes (regression, held-out 25%, StandardScaler pipelines): R^2 of
  ``HyperGANRegressor`` against ``MLPRegressor`` and ``Ridge``, and the mean
  epistemic std on held-out rows against rows scaled 10x away from the data;
- iris and digits (classification, stratified held-out 25%): accuracy of
  ``HyperGANClassifier`` against ``MLPClassifier``.

Every model runs with its defaults (``max_iter=2000`` for sklearn's MLPs so
they converge); three random train/test splits, mean reported.

Splits: ``--splits`` (default 0-2; the split's seed also seeds the models). Quick: split
0, a few epochs / iterations.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from sklearn.datasets import load_diabetes, load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_hypergan import HyperGANClassifier, HyperGANRegressor

from harness.methods import QUICK_EPOCHS
from harness.results import table


def _fit_score(model, X_train, y_train, X_test, y_test):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    return float(model.score(X_test, y_test)), time.perf_counter() - start


def _budget(quick):
    return ({"max_epochs": QUICK_EPOCHS}, {"max_iter": 20}) if quick else ({}, {"max_iter": 2000})


def diabetes(split, quick=False):
    hg_extra, mlp_extra = _budget(quick)
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=split)
    models = {
        "hypergan": make_pipeline(
            StandardScaler(), HyperGANRegressor(random_state=split, **hg_extra)
        ),
        "mlp": make_pipeline(StandardScaler(), MLPRegressor(random_state=split, **mlp_extra)),
        "ridge": make_pipeline(StandardScaler(), Ridge()),
    }
    row = {name: _fit_score(m, X_train, y_train, X_test, y_test)[0] for name, m in models.items()}
    hg = models["hypergan"]
    Xs = hg[:-1].transform(X_test)
    row["epistemic_std_test"] = float(hg[-1].predict_uncertainty(Xs).epistemic_std.mean())
    row["epistemic_std_far"] = float(hg[-1].predict_uncertainty(10 * Xs).epistemic_std.mean())
    return row


def classification(loader, split, quick=False):
    hg_extra, mlp_extra = _budget(quick)
    X, y = loader(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=split, stratify=y)
    models = {
        "hypergan": make_pipeline(
            StandardScaler(), HyperGANClassifier(random_state=split, **hg_extra)
        ),
        "mlp": make_pipeline(StandardScaler(), MLPClassifier(random_state=split, **mlp_extra)),
    }
    return {name: _fit_score(m, X_train, y_train, X_test, y_test)[0] for name, m in models.items()}


def run(opts):
    """Run the suite over ``opts.splits`` (default 0-2; quick: 0)."""
    splits = opts.splits or ([0] if opts.quick else [0, 1, 2])
    results = {"n_splits": len(splits), "splits": list(splits), "quick": opts.quick,
               "diabetes_r2": [], "iris_accuracy": [], "digits_accuracy": []}
    for split in splits:  # the split's seed, also the models'
        results["diabetes_r2"].append(diabetes(split, opts.quick))
        results["iris_accuracy"].append(classification(load_iris, split, opts.quick))
        results["digits_accuracy"].append(classification(load_digits, split, opts.quick))
    results["mean"] = {
        task: {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
        for task, rows in results.items()
        if isinstance(rows, list) and rows and isinstance(rows[0], dict)
    }
    return results


def to_markdown(results):
    m = results["mean"]
    d, i, g = m["diabetes_r2"], m["iris_accuracy"], m["digits_accuracy"]
    return "\n".join(
        [
            "# HyperGAN on scikit-learn's bundled data",
            "",
            f"Mean over {results['n_splits']} random 75/25 train/test splits; every model "
            "with its defaults in a StandardScaler pipeline.",
            "",
            "| task | HyperGAN | sklearn MLP | Ridge |",
            "|---|---|---|---|",
            f"| diabetes, held-out R^2 | {d['hypergan']:.3f} | {d['mlp']:.3f} | {d['ridge']:.3f} |",
            f"| iris, held-out accuracy | {i['hypergan']:.3f} | {i['mlp']:.3f} | |",
            f"| digits, held-out accuracy | {g['hypergan']:.3f} | {g['mlp']:.3f} | |",
            "",
            f"Diabetes, mean epistemic std: {d['epistemic_std_test']:.1f} on held-out rows, "
            f"{d['epistemic_std_far']:.1f} on the same rows scaled 10x away from the data "
            f"(ratio {d['epistemic_std_far'] / d['epistemic_std_test']:.1f}).",
            "",
        ]
    )


def blocks(results, style="md"):
    """``table``: the three tasks, HyperGAN against scikit-learn's models."""
    m = results["mean"]
    d, i, g = m["diabetes_r2"], m["iris_accuracy"], m["digits_accuracy"]
    rows = [["diabetes, held-out R^2", f"{d['hypergan']:.3f}", f"{d['mlp']:.3f}",
             f"{d['ridge']:.3f}"],
            ["iris, held-out accuracy", f"{i['hypergan']:.3f}", f"{i['mlp']:.3f}", "-"],
            ["digits, held-out accuracy", f"{g['hypergan']:.3f}", f"{g['mlp']:.3f}", "-"]]
    return {"table": table(["task", "HyperGAN", "sklearn MLP", "Ridge"], rows, style)}
