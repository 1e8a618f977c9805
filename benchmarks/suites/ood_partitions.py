"""OOD detection on digits beyond the benchmark's split: random 5/5 partitions of the classes.

``ood_digits`` trains on digits 0-4 and flags 5-9, the split on which the classifier's
former ``mixup_diversity`` default (0.3) was chosen. Here the in-distribution classes are 5 classes
drawn at random (``numpy.random.RandomState(1000 + p).permutation(10)[:5]`` for partition
``p``), the other 5 are out of distribution; everything else is ``ood_digits``' protocol
(``X = digits / 16``, a stratified 70/30 split of the in-distribution rows, seed ``p``),
for HyperGAN and the deep ensemble (5 networks), with the MLP and the CNN target, every
method with its defaults. No default was chosen on these partitions.

Goal (the calibration issue, per architecture, means over partitions): HyperGAN's
mutual-information AUROC >= the deep ensemble's, its accuracy within 1 point of it.

Partitions: ``--splits`` (default 0-4). Quick: partition 0, a few epochs.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from harness import results as report
from harness.env import log
from harness.results import yes_no
from suites._goals import COLUMNS as GOAL_COLUMNS
from suites._goals import accuracy_goal, goal, goal_row, goal_table
from suites.ood_digits import ARCHS, LABELS, fit_evaluate

NAME = "ood_partitions"
METHODS = ("hypergan", "deep_ensemble")
METRICS = ("accuracy", "ece", "auroc_epistemic", "auroc_entropy", "fit_s")


def partition_classes(p):
    """The in-distribution classes of partition ``p`` (sorted)."""
    return sorted(int(c) for c in np.random.RandomState(1000 + p).permutation(10)[:5])


def load_partition(p, test_size=0.3):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    inside = np.isin(y, partition_classes(p))
    X_tr, X_te, y_tr, y_te = train_test_split(
        X[inside], y[inside], test_size=test_size, stratify=y[inside], random_state=p
    )
    return X_tr, y_tr, X_te, y_te, X[~inside]


def run(opts):
    partitions = opts.splits or ([0] if opts.quick else list(range(5)))
    results = {"partitions": {p: partition_classes(p) for p in partitions}, "archs": {},
               "quick": opts.quick}
    for arch in ARCHS:
        per_method = {}
        for method in METHODS:
            records = []
            for p in partitions:
                _, metrics, _ = fit_evaluate(method, arch, p, load_partition(p), opts.quick)
                records.append({"partition": p, **metrics})
                log(f"[ood_partitions] {arch} {method} partition {p} "
                    f"{partition_classes(p)}: acc {metrics['accuracy']:.4f} "
                    f"auroc(MI) {metrics['auroc_epistemic']:.4f} fit {metrics['fit_s']:.1f}s")
            per_method[method] = {
                "per_partition": records,
                "mean": {k: float(np.mean([r[k] for r in records])) for k in METRICS},
            }
        results["archs"][arch] = per_method
    results["goals"] = goals(results)
    return results


def goals(results):
    out = {}
    for arch, per in results["archs"].items():
        hg, de = per["hypergan"]["per_partition"], per["deep_ensemble"]["per_partition"]
        out[arch] = {
            "auroc_epistemic_ge_deep_ensemble": goal(
                "HyperGAN's MI AUROC >= the deep ensemble's (mean over partitions)",
                hg, de, "auroc_epistemic", higher_is_better=True),
            "accuracy_within_1_point": accuracy_goal(
                "HyperGAN's accuracy at most 0.01 below the deep ensemble's", hg, de),
        }
    return out


def _row(arch, label, classes, hg, de):
    return [arch, label, classes, f"{hg['auroc_epistemic']:.3f}", f"{de['auroc_epistemic']:.3f}",
            yes_no(hg["auroc_epistemic"] >= de["auroc_epistemic"]),
            f"{hg['accuracy']:.3f}", f"{de['accuracy']:.3f}"]


def table_rows(results):
    """A row per architecture and partition, then the architecture's means."""
    rows = []
    for arch, per in results["archs"].items():
        by_p = {m: {r["partition"]: r for r in per[m]["per_partition"]} for m in METHODS}
        for p, classes in results["partitions"].items():
            rows.append(_row(arch, str(p), "".join(map(str, classes)),
                             by_p["hypergan"][int(p)], by_p["deep_ensemble"][int(p)]))
        rows.append(_row(arch, "mean", "", per["hypergan"]["mean"], per["deep_ensemble"]["mean"]))
    return rows


def blocks(results, style="md"):
    """``table``: every partition's scores; ``goals``: each target's goals with the
    paired difference ± its standard error over partitions."""
    columns = ["target", "partition", "in-distribution classes", "HyperGAN AUROC (MI)",
               "ensemble AUROC (MI)", "HyperGAN >= ensemble", "HyperGAN accuracy",
               "ensemble accuracy"]
    goal_rows = [[arch, *goal_row(g)] for arch, goals in results["goals"].items()
                 for g in goals.values()]
    return {"table": report.table(columns, table_rows(results), style),
            "goals": report.table(["target", *GOAL_COLUMNS], goal_rows, style)}


def to_markdown(results):
    lines = ["# OOD detection on digits: random 5/5 partitions of the classes", "",
             "Train on 5 random digit classes, flag the other 5 (protocol of `ood_digits`); "
             f"{LABELS['hypergan']} and the {LABELS['deep_ensemble']}, defaults.", ""]
    if results["quick"]:
        lines += ["**Quick smoke run: not meaningful.**", ""]
    lines += [blocks(results)["table"], ""]
    for arch, g in results["goals"].items():
        lines += [f"## Goals: {arch}", "", *goal_table(g), ""]
    return "\n".join(lines)
