"""Calibration on small tabular classification data: breast_cancer and wine.

Each method is ``make_pipeline(StandardScaler(), classifier)`` with the
classifier's defaults, scored under 5-fold stratified cross-validation
(shuffled, fixed seed):

- ``hypergan``: :class:`sk_hypergan.HyperGANClassifier` (defaults, MLP target);
- ``deep_ensemble``: 5 MLPs (``baselines.DeepEnsembleClassifier``);
- ``single``: one MLP of the same architecture (``baselines.SingleNetworkClassifier``).

Metrics per fold: accuracy, log loss (``sklearn.metrics.log_loss``), Brier
score (``sklearn.metrics.brier_score_loss``; multiclass: squared error summed
over classes) and expected calibration error (top-label, 15 equal-width bins;
``scoring.expected_calibration_error``, since no maintained scikit-learn
function exists). The reliability diagram of breast_cancer (binary) uses
``sklearn.calibration.CalibrationDisplay`` on the out-of-fold probabilities.

Goals (per dataset, means over folds): HyperGAN's ECE and log loss no worse
than the single network's; its accuracy within 1 point of the deep ensemble's
(not more than 0.01 below it).

Run::

    python benchmarks/calibration.py            # full (a few minutes)
    python benchmarks/calibration.py --quick    # smoke test

Writes ``calibration.json``, ``calibration.md`` and
``figures/calibration_breast_cancer.png`` under ``--out``.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.calibration import CalibrationDisplay
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.metrics import accuracy_score, brier_score_loss, log_loss
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_hypergan import HyperGANClassifier

try:  # imported as ``benchmarks.calibration``
    from . import _common as common
    from .baselines import DeepEnsembleClassifier, SingleNetworkClassifier
except ImportError:  # run as a script
    import _common as common
    from baselines import DeepEnsembleClassifier, SingleNetworkClassifier

NAME = "calibration"
DATASETS = {"breast_cancer": load_breast_cancer, "wine": load_wine}
METHODS = ("hypergan", "deep_ensemble", "single")
LABELS = {"hypergan": "HyperGAN", "deep_ensemble": "Deep ensemble (5)", "single": "Single network"}
METRICS = ("accuracy", "log_loss", "brier", "ece", "fit_s")


def make_method(method, seed, quick=False):
    extra = {"max_epochs": QUICK_EPOCHS} if quick else {}
    if method == "hypergan":
        clf = HyperGANClassifier(random_state=seed, **extra)
    elif method == "deep_ensemble":
        clf = DeepEnsembleClassifier(n_members=5, random_state=seed, **extra)
    elif method == "single":
        clf = SingleNetworkClassifier(random_state=seed, **extra)
    else:
        raise ValueError(f"Unknown method {method!r}")
    return make_pipeline(StandardScaler(), clf)


def score(y, proba, classes):
    return {
        "accuracy": float(accuracy_score(y, classes[proba.argmax(axis=1)])),
        "log_loss": float(log_loss(y, proba, labels=classes)),
        "brier": float(brier_score_loss(y, proba, labels=classes)),
        "ece": scoring.expected_calibration_error(y, proba, n_bins=15, classes=classes),
    }


def run(datasets, methods=METHODS, n_folds=5, seed=0, quick=False):
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
        if not set(METHODS) <= set(per):
            continue
        hg, de, single = (per[m]["mean"] for m in ("hypergan", "deep_ensemble", "single"))
        out[name] = {
            "ece_le_single": {
                "goal": "HyperGAN's ECE no worse than the single network's",
                "hypergan": hg["ece"],
                "reference": single["ece"],
                "holds": bool(hg["ece"] <= single["ece"]),
            },
            "log_loss_le_single": {
                "goal": "HyperGAN's log loss no worse than the single network's",
                "hypergan": hg["log_loss"],
                "reference": single["log_loss"],
                "holds": bool(hg["log_loss"] <= single["log_loss"]),
            },
            "accuracy_within_1_point": {
                "goal": "HyperGAN's accuracy at most 0.01 below the deep ensemble's",
                "hypergan": hg["accuracy"],
                "reference": de["accuracy"],
                "holds": bool(hg["accuracy"] >= de["accuracy"] - 0.01 - 1e-12),
            },
        }
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


def to_markdown(results, quick, figure):
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
            lines += [*report.goal_table(results["goals"][name]), ""]
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


def main(argv=None):
    parser = common.make_parser(__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=list(DATASETS))
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    common.set_threads(args.threads)
    environment = common.environment(argv)  # the code and commit at the start
    n_folds = 2 if args.quick else args.folds
    t0 = time.perf_counter()
    results, oof = run(args.datasets, args.methods, n_folds, args.seed, quick=args.quick)
    results["quick"] = args.quick
    results["total_s"] = time.perf_counter() - t0
    results["environment"] = environment
    stem = common.output_stem(NAME, args.quick)
    figure = None
    if "breast_cancer" in args.datasets:
        figure = f"{stem}_breast_cancer.png"
        plot_reliability(oof, args.methods, report.figure_dir(args.out) / figure)
    markdown = to_markdown(results, args.quick, figure)
    paths = common.write_outputs(results, markdown, args.out, stem)
    log(f"[calibration] wrote {paths[0]}, {paths[1]}")
    print(markdown)


if __name__ == "__main__":
    main()
