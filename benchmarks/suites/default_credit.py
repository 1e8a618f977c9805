"""Imbalanced binary classification: credit-card default (10,000 rows, 3.3% positive).

``benchmarks/data/tabular/default.csv``: student (one-hot), balance, income; target
``default == "Yes"``. A fixed stratified 90/10 split (``train_test_split(...,
test_size=0.1, stratify=y, random_state=split)``, ``--splits`` default 0-2). Every
classifier of the registry with its defaults: HyperGAN, the one-after-another deep
ensemble, MC dropout, a single network, ``LogisticRegression`` and
``HistGradientBoostingClassifier``. Scores on the test rows: accuracy, log loss, Brier,
ECE, ROC AUC and average precision (the area under the precision-recall curve, which
the imbalance makes the informative one), mean and standard error over splits. Goals (the
calibration issue's, as in ``calibration``): HyperGAN's log loss and ECE at most the single
network's and the deep ensemble's, its accuracy at most 1 point below the ensemble's.

``--quick``: split 0, 1,000 training rows, a few epochs / trees.
"""

from __future__ import annotations

import time

from sklearn.metrics import average_precision_score, roc_auc_score

from harness import data as datasets_
from harness import methods as registry
from harness.env import log
from harness.results import fmt_mean_se, table
from harness.scoring import classification_scores, summarize
from suites._goals import check_calibration_goals, goal_table

NAME = "default_credit"
METHODS = ("hypergan_classifier", "deep_ensemble_classifier", "mc_dropout_classifier",
           "single_network", "logistic", "hist_gradient_boosting")
#: The calibration goals' methods: ``check_calibration_goals``' names -> this suite's.
GOAL_METHODS = {"hypergan": "hypergan_classifier", "single": "single_network",
                "deep_ensemble": "deep_ensemble_classifier"}
METRICS = ("accuracy", "log_loss", "brier", "ece", "roc_auc", "average_precision",
           "fit_seconds")
QUICK_ROWS = 1000


def run(opts):
    """Run the suite; return the results dict."""
    splits = opts.splits or ([0] if opts.quick else [0, 1, 2])
    methods = opts.methods or METHODS
    X, y = datasets_.load_default_xy()
    records = {m: [] for m in methods}
    for split in splits:
        X_tr, y_tr, X_te, y_te = datasets_.holdout_split(X, y, seed=split, stratify=True)
        if opts.quick:
            X_tr, y_tr = X_tr[:QUICK_ROWS], y_tr[:QUICK_ROWS]
        for m in methods:
            est = registry.make(m, split, len(X_tr), opts.quick)
            start = time.perf_counter()
            est.fit(X_tr, y_tr)
            fit_s = time.perf_counter() - start
            proba = est.predict_proba(X_te)
            record = {"split": split, "status": "ok", "fit_seconds": fit_s,
                      **classification_scores(y_te, proba, est.classes_),
                      "roc_auc": float(roc_auc_score(y_te, proba[:, 1])),
                      "average_precision": float(average_precision_score(y_te, proba[:, 1]))}
            records[m].append(record)
            log(f"[default_credit] split {split} {m}: AP {record['average_precision']:.3f} "
                f"log loss {record['log_loss']:.4f} fit {fit_s:.1f}s")
    return {
        "benchmark": NAME,
        "config": {"splits": list(splits), "methods": list(methods), "quick": opts.quick,
                   "positive_rate": float(y.mean()), "n_rows": int(len(y))},
        "methods": {m: registry.REGISTRY[m].spec for m in methods},
        "results": {m: summarize(r, METRICS) for m, r in records.items()},
        "goals": goals(records),
    }


def goals(records):
    """The calibration goals, HyperGAN against its peers on the splits all three ran
    ({} without them)."""
    if not set(GOAL_METHODS.values()) <= set(records):
        return {}
    by_split = {name: {r["split"]: r for r in records[m] if r["status"] == "ok"}
                for name, m in GOAL_METHODS.items()}
    splits = sorted(set.intersection(*(set(v) for v in by_split.values())))
    if not splits:
        return {}
    paired = {name: [by_split[name][s] for s in splits] for name in GOAL_METHODS}
    return check_calibration_goals(paired["hypergan"],
                                   {k: paired[k] for k in ("single", "deep_ensemble")})


def score_table(results, style="md"):
    """A row per method: every metric's mean ± standard error."""
    rows = [[m, *(fmt_mean_se(s.get(k), 1 if k == "fit_seconds" else 4) for k in METRICS)]
            for m, s in results["results"].items()]
    return table(["method", *METRICS], rows, style)


def blocks(results, style="md"):
    """``table``: the scores of every method."""
    return {"table": score_table(results, style)}


def to_markdown(results):
    """The report."""
    cfg = results["config"]
    return "\n".join([
        "# Imbalanced binary classification: credit-card default", "",
        f"{cfg['n_rows']:,} rows, {100 * cfg['positive_rate']:.1f}% positive; stratified "
        f"90/10 splits {cfg['splits']}; mean ± standard error over splits.", "",
        score_table(results), "",
        *(["## Goals", "", *goal_table(results["goals"]), ""] if results.get("goals") else []),
        "## Methods", "",
        *(f"- `{m}`: {spec}" for m, spec in results["methods"].items()), "",
    ])
