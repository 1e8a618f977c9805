"""Calibration on small tabular classification data: breast_cancer, wine and digits.

Each method is ``make_pipeline(StandardScaler(), classifier)`` with the
classifier's defaults, scored under 5-fold stratified cross-validation
(shuffled, fixed seed):

- ``hypergan``: :class:`sk_hypergan.HyperGANClassifier` (defaults, MLP target);
- ``deep_ensemble``: 5 MLPs (``baselines.DeepEnsembleClassifier``);
- ``single``: one MLP of the same architecture (``baselines.SingleNetworkClassifier``);
- ``logistic``, ``hist_gradient_boosting``: scikit-learn's ``LogisticRegression`` and
  ``HistGradientBoostingClassifier`` (the registry's specs).

Metrics per fold: accuracy, log loss (``sklearn.metrics.log_loss``), Brier
score (``sklearn.metrics.brier_score_loss``; multiclass: squared error summed
over classes) and expected calibration error (top-label, 15 equal-width bins;
``scoring.expected_calibration_error``, since no maintained scikit-learn
function exists). The reliability diagram of breast_cancer (binary) uses
``sklearn.calibration.CalibrationDisplay`` on the out-of-fold probabilities.

Goals (per dataset, means over folds; the calibration issue): HyperGAN's ECE and log loss
no worse than the single network's and the deep ensemble's; its accuracy within 1 point of
the deep ensemble's (not more than 0.01 below it). HyperGAN calibrates itself on the rows
early stopping holds out (``calibration="auto"``, from 120 training rows for the classifier:
all three data sets).

Quick: 2 folds, a few epochs. Writes ``figures/<stem>_breast_cancer.png`` beside the
results.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.calibration import CalibrationDisplay
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import StratifiedKFold

from harness import methods as registry
from harness import results as report
from harness import scoring
from harness.env import log
from harness.methods import QUICK_EPOCHS, jsonable_params
from suites._goals import check_calibration_goals, goal_table

NAME = "calibration"
DATASETS = {"breast_cancer": load_breast_cancer, "wine": load_wine, "digits": load_digits}
METHODS = ("hypergan", "deep_ensemble", "single", "logistic", "hist_gradient_boosting")
#: The suite's method names -> the registry's.
REGISTRY_NAMES = {"hypergan": "hypergan_classifier", "deep_ensemble": "deep_ensemble_classifier",
                  "single": "single_network"}
LABELS = {"hypergan": "HyperGAN", "deep_ensemble": "Deep ensemble (5, one after another)",
          "single": "Single network", "logistic": "LogisticRegression",
          "hist_gradient_boosting": "HistGradientBoosting"}
METRICS = ("accuracy", "log_loss", "brier", "ece", "fit_s")


def make_method(method, seed, quick=False):
    """The method's estimator from the registry (quick: a few epochs)."""
    return registry.make(REGISTRY_NAMES.get(method, method), seed, 0, quick)


def score(y, proba, classes):
    return {
        "accuracy": float(accuracy_score(y, classes[proba.argmax(axis=1)])),
        "log_loss": float(log_loss(y, proba, labels=classes)),
        "brier": scoring.brier(y, proba, classes),
        "ece": scoring.expected_calibration_error(y, proba, n_bins=15, classes=classes),
    }


def measure(datasets, methods=METHODS, n_folds=5, seed=0, quick=False):
    results = {"datasets": {}}
    oof = {}
    for name in datasets:
        X, y = DATASETS[name](return_X_y=True)
        classes = np.unique(y)
        folds = list(StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(X, y))
        per_method = {}
        for method in methods:
            proba_oof = np.zeros((len(y), len(classes)))
            records = []
            for k, (tr, te) in enumerate(folds):
                model = make_method(method, seed + k, quick)
                t0 = time.perf_counter()
                model.fit(X[tr], y[tr])
                fit_s = time.perf_counter() - t0
                proba = model.predict_proba(X[te])
                proba_oof[te] = proba
                records.append({"fold": k, "fit_s": fit_s, **score(y[te], proba, classes)})
                log(
                    f"[calibration] {name} {method} fold {k}: acc {records[-1]['accuracy']:.4f} "
                    f"ll {records[-1]['log_loss']:.4f} ece {records[-1]['ece']:.4f} "
                    f"fit {fit_s:.1f}s"
                )
            per_method[method] = {
                "params": jsonable_params(model),
                "per_fold": records,
                "mean": {m: float(np.mean([r[m] for r in records])) for m in METRICS},
                "std": {m: float(np.std([r[m] for r in records])) for m in METRICS},
                "out_of_fold": score(y, proba_oof, classes),
            }
            oof[(name, method)] = (y, proba_oof)
        results["datasets"][name] = {
            "n_samples": len(y),
            "n_features": X.shape[1],
            "n_classes": len(classes),
            "methods": per_method,
        }
    results["goals"] = goals(results)
    results["n_folds"] = n_folds
    results["seed"] = seed
    return results, oof


def goals(results):
    out = {}
    for name, res in results["datasets"].items():
        per = res["methods"]
        if not {"hypergan", "deep_ensemble", "single"} <= set(per):
            continue
        out[name] = check_calibration_goals(
            per["hypergan"]["per_fold"],
            {m: per[m]["per_fold"] for m in ("single", "deep_ensemble")})
    return out


def plot_reliability(oof, methods, path, dataset="breast_cancer", n_bins=10):
    """sklearn's CalibrationDisplay on the out-of-fold probabilities of class 1."""
    plt = report.pyplot()
    fig, (ax, ax_hist) = plt.subplots(
        2, 1, figsize=(5.5, 7), gridspec_kw={"height_ratios": [2, 1]}, sharex=True
    )
    for i, method in enumerate(methods):
        y, proba = oof[(dataset, method)]
        disp = CalibrationDisplay.from_predictions(
            y, proba[:, 1], n_bins=n_bins, name=LABELS[method], ax=ax, color=f"C{i}"
        )
        ax_hist.hist(
            disp.y_prob, bins=n_bins, range=(0, 1), histtype="step", color=f"C{i}",
            label=LABELS[method],
        )
    ax.set_title(f"Reliability diagram: {dataset} (out-of-fold, {n_bins} bins)")
    ax_hist.set_xlabel("predicted probability of class 1")
    ax_hist.set_ylabel("count")
    ax_hist.set_yscale("log")
    ax_hist.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _report(results, quick, figure):
    lines = [
        "# Calibration under 5-fold cross-validation (breast_cancer, wine)",
        "",
        f"`make_pipeline(StandardScaler(), classifier)` with each classifier's defaults; "
        f"{results['n_folds']}-fold stratified CV (shuffled, seed {results['seed']}; fold k "
        "seeds the models with seed + k). Mean ± std over folds.",
        "",
    ]
    if quick:
        lines += [f"**Quick smoke run ({QUICK_EPOCHS} epochs): not meaningful.**", ""]
    for name, res in results["datasets"].items():
        lines += [
            f"## {name} ({res['n_samples']} rows, {res['n_features']} features, "
            f"{res['n_classes']} classes)",
            "",
            "| method | accuracy | log loss | Brier | ECE (15 bins) | fit s |",
            "|---|---|---|---|---|---|",
        ]
        for method, r in res["methods"].items():
            m, s = r["mean"], r["std"]
            lines.append(
                f"| {LABELS[method]} | {m['accuracy']:.4f} ± {s['accuracy']:.4f} | "
                f"{m['log_loss']:.4f} ± {s['log_loss']:.4f} | "
                f"{m['brier']:.4f} ± {s['brier']:.4f} | "
                f"{m['ece']:.4f} ± {s['ece']:.4f} | {m['fit_s']:.1f} |"
            )
        lines.append("")
        if name in results["goals"]:
            lines += [*goal_table(results["goals"][name]), ""]
    if figure:
        lines += [f"![reliability diagram](figures/{figure})", ""]
    lines += [
        "ECE: top-label, 15 equal-width bins on the maximum probability "
        "(`scoring.expected_calibration_error`; no maintained library function was used). "
        "Brier: `sklearn.metrics.brier_score_loss` (binary: of class 1; multiclass: squared "
        "error summed over classes, range [0, 2]).",
        "",
    ]
    return "\n".join(lines)


def run(opts):
    """Run the suite (``--datasets``, ``--methods``, ``--seed``) and draw the figure."""
    names = opts.datasets or list(DATASETS)
    methods = opts.methods or list(METHODS)
    results, oof = measure(names, methods, 2 if opts.quick else 5, opts.seed, opts.quick)
    results.update(quick=opts.quick, methods=methods, figure=None)
    if "breast_cancer" in names:
        results["figure"] = f"{report.stem(NAME, opts.quick, tag=opts.tag)}_breast_cancer.png"
        plot_reliability(oof, methods, report.figure_dir(opts.out) / results["figure"])
    return results


def blocks(results, style="md"):
    """``table``: accuracy, log loss and ECE per data set and method (means over folds)."""
    rows = []
    for name, entry in results["datasets"].items():
        for method, r in entry["methods"].items():
            m = r["mean"]
            rows.append([name, LABELS.get(method, method), f"{m['accuracy']:.3f}",
                         f"{m['log_loss']:.3f}", f"{m['ece']:.3f}"])
    return {"table": report.table(["dataset", "method", "accuracy", "log loss", "ECE"], rows,
                                  style)}


def to_markdown(results):
    """The report, with the reliability diagram."""
    return _report(results, results["quick"], results["figure"])
