"""Out-of-distribution detection on sklearn's 8x8 digits: train on 0-4, flag 5-9.

The tabular-scale version of HyperGAN's CIFAR-10 classes 0-4 -> 5-9 experiment
(Ratzlaff & Fuxin, 2019, Sec. 5). ``X = digits / 16``; classes 0-4 are split
70/30 (stratified, fixed seed); every method is trained on the 0-4 training
split with its defaults, once with an MLP and once with a small CNN:

- ``hypergan``: :class:`sk_hypergan.HyperGANClassifier` with target
  ``mlp()`` (one hidden layer of 50) or ``conv2d((1, 8, 8))``;
- ``deep_ensemble``: 5 networks of the same architecture
  trained one after another (``harness.baselines.DeepEnsembleClassifier``);
- ``mc_dropout``: ``baselines.MCDropoutClassifier`` (dropout 0.1, 100 passes);
- ``single``: one network of the same architecture (``baselines.SingleNetworkClassifier``).

On the 0-4 test split: accuracy, log loss, Brier score
(``harness.scoring.brier``, as ``sklearn.metrics.brier_score_loss`` from 1.7: the mean
over rows of the squared error summed over classes, range [0, 2]) and the
expected calibration error (15 equal-width bins on the maximum probability;
written in ``harness/scoring.py`` because no maintained scikit-learn function exists).
OOD: ``sklearn.metrics.roc_auc_score`` for telling all digits 5-9 (positive)
from the 0-4 test split, scored with the epistemic uncertainty (mutual
information between the prediction and the network, "BALD") and with the
total predictive entropy.

Goals (per architecture): HyperGAN's epistemic AUROC >= the deep ensemble's;
its accuracy within 1 point of the deep ensemble's (not more than 0.01
below it); its ECE no worse than the
single network's.

Seeds: ``--splits`` (default 0-2: the split and model seeds). Quick: seed 0, a few
epochs. Writes ``figures/<stem>_<arch>.png`` beside the results.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
from sklearn.model_selection import train_test_split

from sk_hypergan import HyperGANClassifier
from sk_hypergan.display import UncertaintyHistogramDisplay
from sk_hypergan.targets import conv2d, mlp

from harness import results as report
from harness import scoring
from harness.baselines import DeepEnsembleClassifier, MCDropoutClassifier, SingleNetworkClassifier
from harness.env import log
from harness.methods import QUICK_EPOCHS, jsonable_params
from suites._goals import accuracy_goal, goal, goal_table

NAME = "ood_digits"
ARCHS = ("mlp", "conv")
METHODS = ("hypergan", "deep_ensemble", "mc_dropout", "single")
LABELS = {
    "hypergan": "HyperGAN",
    "deep_ensemble": "Deep ensemble (5)",
    "mc_dropout": "MC dropout",
    "single": "Single network",
}
INPUT_SHAPE = (1, 8, 8)
IN_CLASSES = (0, 1, 2, 3, 4)


def load_data(seed, test_size=0.3):
    """Digits / 16: the 0-4 train and test splits and all of 5-9 (OOD)."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    in_dist = np.isin(y, IN_CLASSES)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X[in_dist], y[in_dist], test_size=test_size, stratify=y[in_dist], random_state=seed
    )
    return X_tr, y_tr, X_te, y_te, X[~in_dist]


def make_method(method, arch, seed, quick=False):
    """The method with its defaults; only the architecture is chosen here."""
    extra = {"max_epochs": QUICK_EPOCHS} if quick else {}
    if method == "hypergan":
        target = mlp() if arch == "mlp" else conv2d(INPUT_SHAPE)
        return HyperGANClassifier(target, random_state=seed, **extra)
    shape = {"input_shape": INPUT_SHAPE} if arch == "conv" else {}
    if method == "deep_ensemble":
        return DeepEnsembleClassifier(n_members=5, random_state=seed, **shape, **extra)
    if method == "mc_dropout":
        return MCDropoutClassifier(random_state=seed, **shape, **extra)
    if method == "single":
        return SingleNetworkClassifier(random_state=seed, **shape, **extra)
    raise ValueError(f"Unknown method {method!r}")


def scores(model, X):
    """Mean probabilities, epistemic score (mutual information) and total entropy."""
    if hasattr(model, "predict_uncertainty"):  # sk_hypergan computes them itself
        u = model.predict_uncertainty(X)
        return model.predict_proba(X), u.epistemic, u.total
    member = model.predict_member_proba(X)
    proba = member.mean(axis=0)
    return proba, scoring.mutual_information(member), scoring.entropy(proba)


def evaluate(model, X_te, y_te, X_ood):
    proba, epi_in, tot_in = scores(model, X_te)
    _, epi_ood, tot_ood = scores(model, X_ood)
    classes = model.classes_
    is_ood = np.r_[np.zeros(len(X_te)), np.ones(len(X_ood))]
    return {
        "accuracy": float(accuracy_score(y_te, classes[proba.argmax(axis=1)])),
        "log_loss": float(log_loss(y_te, proba, labels=classes)),
        "brier": scoring.brier(y_te, proba, classes),
        "ece": scoring.expected_calibration_error(y_te, proba, n_bins=15, classes=classes),
        "auroc_epistemic": float(roc_auc_score(is_ood, np.r_[epi_in, epi_ood])),
        "auroc_entropy": float(roc_auc_score(is_ood, np.r_[tot_in, tot_ood])),
        "mean_epistemic_in": float(epi_in.mean()),
        "mean_epistemic_ood": float(epi_ood.mean()),
        "mean_entropy_in": float(tot_in.mean()),
        "mean_entropy_ood": float(tot_ood.mean()),
    }, {
        "epistemic_in": epi_in,
        "epistemic_ood": epi_ood,
        "entropy_in": tot_in,
        "entropy_ood": tot_ood,
    }


METRICS = (
    "accuracy",
    "log_loss",
    "brier",
    "ece",
    "auroc_epistemic",
    "auroc_entropy",
    "mean_epistemic_in",
    "mean_epistemic_ood",
    "fit_s",
)


def fit_evaluate(method, arch, seed, data, quick=False):
    """Fit ``method`` on ``data = (X_tr, y_tr, X_te, y_te, X_ood)`` and score it:
    ``(model, {"fit_s": ..., **evaluate's metrics}, evaluate's raw scores)``."""
    X_tr, y_tr, X_te, y_te, X_ood = data
    model = make_method(method, arch, seed, quick)
    t0 = time.perf_counter()
    model.fit(X_tr, y_tr)
    fit_s = time.perf_counter() - t0
    metrics, raw = evaluate(model, X_te, y_te, X_ood)
    return model, {"fit_s": fit_s, **metrics}, raw


def measure(seeds, archs=ARCHS, methods=METHODS, quick=False):
    results = {"archs": {}}
    plots = {}
    for arch in archs:
        per_method = {}
        for method in methods:
            records = []
            for seed in seeds:
                model, metrics, raw = fit_evaluate(method, arch, seed, load_data(seed), quick)
                fit_s = metrics["fit_s"]
                records.append({"seed": seed, **metrics})
                log(
                    f"[ood_digits] {arch} {method} seed {seed}: acc {metrics['accuracy']:.4f} "
                    f"ece {metrics['ece']:.4f} auroc(MI) {metrics['auroc_epistemic']:.4f} "
                    f"auroc(H) {metrics['auroc_entropy']:.4f} fit {fit_s:.1f}s"
                )
                if seed == seeds[0]:
                    plots[(arch, method)] = raw
                    params = jsonable_params(model)
            per_method[method] = {
                "params": params,
                "per_seed": records,
                "mean": {k: float(np.mean([r[k] for r in records])) for k in METRICS},
            }
        results["archs"][arch] = per_method
    results["goals"] = goals(results)
    results["seeds"] = list(seeds)
    X_tr, _, X_te, _, X_ood = load_data(seeds[0])
    results["data"] = {"n_train": len(X_tr), "n_test_in": len(X_te), "n_ood": len(X_ood)}
    return results, plots


def goals(results):
    out = {}
    for arch, per_method in results["archs"].items():
        if not {"hypergan", "deep_ensemble", "single"} <= set(per_method):
            continue
        hg, de, single = (per_method[m]["per_seed"] for m in ("hypergan", "deep_ensemble",
                                                                "single"))
        out[arch] = {
            "auroc_epistemic_ge_deep_ensemble": goal(
                "HyperGAN's epistemic (MI) AUROC >= the deep ensemble's",
                hg, de, "auroc_epistemic", higher_is_better=True),
            "accuracy_within_1_point": accuracy_goal(
                "HyperGAN's accuracy within 1 point of the deep ensemble's "
                "(at most 0.01 below it)", hg, de),
            "ece_le_single": goal("HyperGAN's ECE no worse than the single network's",
                                  hg, single, "ece"),
        }
    return out


def plot(plots, arch, methods, path):
    """Histograms of the epistemic score (top row) and total entropy (bottom row)."""
    plt = report.pyplot()
    fig, axes = plt.subplots(2, len(methods), figsize=(4 * len(methods), 6.4), squeeze=False)
    for j, method in enumerate(methods):
        raw = plots[(arch, method)]
        for i, (key, label) in enumerate(
            [("epistemic", "mutual information (nats)"), ("entropy", "total entropy (nats)")]
        ):
            values = np.r_[raw[f"{key}_in"], raw[f"{key}_ood"]]
            groups = np.r_[
                ["0-4 test (in-dist)"] * len(raw[f"{key}_in"]),
                ["5-9 (OOD)"] * len(raw[f"{key}_ood"]),
            ]
            UncertaintyHistogramDisplay.from_predictions(
                values,
                groups=groups,
                score_name=label,
                name=f"{LABELS[method]} ({arch})",
                ax=axes[i, j],
                bins=30,
            )
            axes[i, j].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _report(results, quick, figures):
    lines = [
        "# OOD detection on 8x8 digits: train on 0-4, flag 5-9",
        "",
        f"Train {results['data']['n_train']} rows of digits 0-4, test on "
        f"{results['data']['n_test_in']} held-out rows of 0-4 and all "
        f"{results['data']['n_ood']} rows of 5-9; every method with its defaults; "
        f"mean over seeds {results['seeds']} (seed = split and model seed).",
        "",
    ]
    if quick:
        lines += [f"**Quick smoke run ({QUICK_EPOCHS} epochs): not meaningful.**", ""]
    for arch, per_method in results["archs"].items():
        lines += [
            f"## {arch}",
            "",
            "| method | accuracy | log loss | Brier | ECE (15 bins) | AUROC (MI) | "
            "AUROC (entropy) | mean MI in / OOD | fit s |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for method, res in per_method.items():
            m = res["mean"]
            lines.append(
                f"| {LABELS[method]} | {m['accuracy']:.4f} | {m['log_loss']:.4f} | "
                f"{m['brier']:.4f} | {m['ece']:.4f} | {m['auroc_epistemic']:.4f} | "
                f"{m['auroc_entropy']:.4f} | {m['mean_epistemic_in']:.4f} / "
                f"{m['mean_epistemic_ood']:.4f} | {m['fit_s']:.1f} |"
            )
        lines.append("")
        if arch in results["goals"]:
            lines += [*goal_table(results["goals"][arch]), ""]
        if arch in figures:
            lines += [f"![{arch}](figures/{figures[arch]})", ""]
    lines += [
        "Brier: `sklearn.metrics.brier_score_loss` on the class-probability matrix (squared "
        "error summed over classes, mean over rows; range [0, 2]). ECE: top-label, 15 "
        "equal-width bins (`scoring.expected_calibration_error`; no maintained library "
        "function was used). A single network has no epistemic score (MI = 0 everywhere), "
        "so its MI AUROC is 0.5.",
        "",
    ]
    return "\n".join(lines)


def run(opts):
    """Run the suite (``--splits``: seeds, default 0-2; ``--methods``) and draw the
    figures."""
    seeds = opts.splits or ([0] if opts.quick else [0, 1, 2])
    methods = opts.methods or list(METHODS)
    results, plots = measure(seeds, ARCHS, methods, quick=opts.quick)
    results.update(quick=opts.quick, figures={})
    stem = report.stem(NAME, opts.quick, tag=opts.tag)
    for arch in ARCHS:
        results["figures"][arch] = f"{stem}_{arch}.png"
        plot(plots, arch, methods, report.figure_dir(opts.out) / results["figures"][arch])
    return results


def blocks(results, style="md"):
    """``table``: per architecture and method, accuracy, ECE and the OOD AUROCs."""
    rows = []
    for arch, per in results["archs"].items():
        for method, r in per.items():
            m = r["mean"]
            rows.append([arch, LABELS.get(method, method), f"{m['accuracy']:.3f}",
                         f"{m['ece']:.3f}", f"{m['auroc_epistemic']:.3f}",
                         f"{m['auroc_entropy']:.3f}"])
    columns = ["target", "method", "accuracy", "ECE", "AUROC (epistemic)", "AUROC (entropy)"]
    return {"table": report.table(columns, rows, style)}


def to_markdown(results):
    """The report, with the figures."""
    return _report(results, results["quick"], results["figures"])
