"""UCI regression benchmark: HyperGAN against the usual uncertainty baselines.

Protocol of Hernandez-Lobato & Adams (2015), as used by the Deep Ensembles and
MC-dropout papers: 7 datasets, 20 fixed random 90/10 train/test splits each
(``benchmarks/data/uci/<name>/``), networks with one hidden layer of 50 units,
scores in the target's original units -- test RMSE of the predictive mean and
test Gaussian negative log-likelihood per point (lower is better for both) --
averaged over splits with their standard error.

Every method runs with one default configuration for all datasets: no
hyperparameter is chosen with test data (nor, here, with any data).

Run as a script (defaults: all datasets, all 20 splits, all methods)::

    python benchmarks/uci.py --datasets boston concrete --splits 2 --tag smoke

or import it for experiments::

    import sys; sys.path.insert(0, "benchmarks")
    import uci
    res = uci.run(["boston"], n_splits=3, methods=["hypergan"],
                  hypergan_params={"max_epochs": 50})
    res["datasets"]["boston"]["methods"]["hypergan"]["nll"]

Writes ``uci[_<tag>].json`` (every per-split number, aggregates, the
configuration and the environment) and ``uci[_<tag>].md`` (tables beside the
published numbers, and the goal summary) to ``--out`` (default
``benchmarks/results``), after each dataset so a long run can be inspected.
"""

from __future__ import annotations

import argparse
import copy
import functools
import json
import math
import platform
import sys
import time
import traceback
import warnings
from pathlib import Path

import numpy as np
import torch
from scipy.stats import norm, sem
from sklearn.base import clone
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
from sklearn.metrics import root_mean_squared_error
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sk_hypergan import HyperGANRegressor

try:  # imported as ``benchmarks.uci``
    from ._common import _version
    from ._common import environment as _environment
    from .baselines import DeepEnsembleRegressor, MCDropoutRegressor
except ImportError:  # run as a script, or imported with benchmarks/ on sys.path
    from _common import _version
    from _common import environment as _environment
    from baselines import DeepEnsembleRegressor, MCDropoutRegressor

__all__ = ["DATASETS", "METHODS", "PUBLISHED", "load_uci", "run", "to_markdown", "main"]

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE / "data" / "uci"
DEFAULT_OUT = HERE / "results"

DATASETS = ("boston", "concrete", "energy", "kin8nm", "naval", "power", "wine")
METHODS = ("hypergan", "deep_ensemble", "mc_dropout", "gp", "ngboost")

#: Exact GPs cost O(n^3); larger training sets are skipped (kin8nm, naval, power).
GP_MAX_ROWS = 3000

#: Two-sided level of the reported predictive-interval coverage.
COVERAGE_LEVEL = 0.9

#: Published test scores, (mean, spread) per dataset, in original target units.
PUBLISHED = {
    "deep_ensembles": {
        "label": "Deep Ensembles (M=5), published",
        "source": "Lakshminarayanan, Pritzel & Blundell, NeurIPS 2017, Table 1",
        "spread": "standard deviation over splits",
        "rmse": {
            "boston": (3.28, 1.00),
            "concrete": (6.03, 0.58),
            "energy": (2.09, 0.29),
            "kin8nm": (0.09, 0.00),
            "naval": (0.00, 0.00),
            "power": (4.11, 0.17),
            "wine": (0.64, 0.04),
        },
        "nll": {
            "boston": (2.41, 0.25),
            "concrete": (3.06, 0.18),
            "energy": (1.38, 0.22),
            "kin8nm": (-1.20, 0.02),
            "naval": (-5.63, 0.05),
            "power": (2.79, 0.04),
            "wine": (0.94, 0.12),
        },
    },
    "mc_dropout_2018": {
        "label": "MC dropout 2018, published",
        "source": "yaringal/DropoutUncertaintyExps README (grid-search re-run, 2018)",
        "spread": "standard error over splits",
        "rmse": {
            "boston": (2.90, 0.18),
            "concrete": (4.82, 0.16),
            "energy": (0.54, 0.06),
            "kin8nm": (0.08, 0.00),
            "naval": (0.00, 0.00),
            "power": (4.01, 0.04),
            "wine": (0.62, 0.01),
        },
        "nll": {
            "boston": (2.40, 0.04),
            "concrete": (2.93, 0.02),
            "energy": (1.21, 0.01),
            "kin8nm": (-1.14, 0.01),
            "naval": (-4.45, 0.00),
            "power": (2.80, 0.01),
            "wine": (0.93, 0.01),
        },
    },
}

METHOD_NOTES = {
    "hypergan": "`make_pipeline(StandardScaler(), HyperGANRegressor(random_state=split))`, "
    "the estimator's defaults (plus `hypergan_params`, if any)",
    "deep_ensemble": "5 Gaussian-output MLPs (50 ReLU units), Gaussian NLL, Adam 1e-3, "
    "batch size 'auto' (HyperGAN's rule), 100 epochs each, trained one after another "
    "(`baselines.DeepEnsembleRegressor`)",
    "mc_dropout": "one Gaussian-output MLP (50 units), dropout 0.05 on inputs and hidden layer, "
    "heteroscedastic NLL, same training as above, 100 dropout passes "
    "(`baselines.MCDropoutRegressor`)",
    "gp": "`GaussianProcessRegressor(ConstantKernel() * RBF(ones(n_features)) + WhiteKernel(), "
    f"normalize_y=True)` on standardised X (ARD); skipped above {GP_MAX_ROWS} training rows",
    "ngboost": "`NGBRegressor()` defaults (Normal, 500 trees of depth 3, lr 0.01; the trees "
    "seeded by the split for repeatability), predictive Normal from `pred_dist`",
}


# -- data --------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _read_dataset(directory):
    """Whole table, feature columns and target column of one dataset."""
    directory = Path(directory)
    data = np.loadtxt(directory / "data.txt")
    features = np.loadtxt(directory / "index_features.txt", dtype=int, ndmin=1)
    target = int(np.loadtxt(directory / "index_target.txt", dtype=int))
    return data, features, target


def n_splits_of(name, data_dir=DATA_DIR):
    """Number of canonical splits of a dataset (20 for all seven)."""
    return int(np.loadtxt(Path(data_dir) / name / "n_splits.txt"))


def load_uci(name, split, data_dir=DATA_DIR):
    """One canonical train/test split of a UCI dataset.

    Parameters
    ----------
    name : str
        One of :data:`DATASETS`.
    split : int
        Split index, ``0 <= split < n_splits_of(name)``.
    data_dir : path-like, default=benchmarks/data/uci
        Folder holding ``<name>/data.txt`` and the index files.

    Returns
    -------
    X_train, y_train, X_test, y_test : ndarray
        Features ``(n, n_features)`` and targets ``(n,)``, float64, original units.
    """
    directory = Path(data_dir) / name
    data, features, target = _read_dataset(str(directory))
    train = np.loadtxt(directory / f"index_train_{split}.txt", dtype=int, ndmin=1)
    test = np.loadtxt(directory / f"index_test_{split}.txt", dtype=int, ndmin=1)
    X, y = data[:, features], data[:, target]
    return X[train], y[train], X[test], y[test]


# -- methods -----------------------------------------------------------------------
def make_estimator(method, split, n_features, hypergan_params=None):
    """The estimator of ``method`` for one split, seeded by the split index."""
    if method == "hypergan":
        params = {"random_state": split, **(hypergan_params or {})}
        return make_pipeline(StandardScaler(), HyperGANRegressor(**params))
    if method == "deep_ensemble":
        ensemble = DeepEnsembleRegressor(n_members=5, random_state=split)
        return make_pipeline(StandardScaler(), ensemble)
    if method == "mc_dropout":
        return make_pipeline(StandardScaler(), MCDropoutRegressor(random_state=split))
    if method == "gp":
        kernel = ConstantKernel() * RBF(length_scale=np.ones(n_features)) + WhiteKernel()
        gp = GaussianProcessRegressor(kernel=kernel, normalize_y=True, random_state=split)
        return make_pipeline(StandardScaler(), gp)
    if method == "ngboost":
        from ngboost import NGBRegressor  # optional dependency: only needed here
        from ngboost.learners import default_tree_learner

        # NGBoost's random_state does not reach its trees, whose tie-breaking
        # between equally good splits is random: seed a copy of the default
        # tree so runs repeat exactly.
        tree = clone(default_tree_learner).set_params(random_state=split)
        return NGBRegressor(Base=tree, random_state=split, verbose=False)
    raise ValueError(f"Unknown method {method!r}; choose from {METHODS}.")


def skip_reason(method, n_train):
    """Why ``method`` does not run on a training set of ``n_train`` rows, or None."""
    if method == "gp" and n_train > GP_MAX_ROWS:
        return f"exact GP skipped: {n_train} > {GP_MAX_ROWS} training rows"
    return None


def predict_normal(estimator, X):
    """Gaussian predictive mean and std, plus the mean aleatoric / epistemic
    std where the estimator splits its uncertainty."""
    final = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    if hasattr(final, "predict_uncertainty"):
        Xt = estimator[:-1].transform(X) if isinstance(estimator, Pipeline) else X
        u = final.predict_uncertainty(Xt)
        parts = {
            "mean_aleatoric_std": float(np.mean(u.aleatoric_std)),
            "mean_epistemic_std": float(np.mean(u.epistemic_std)),
        }
        return u.mean, u.std, parts
    if hasattr(final, "pred_dist"):  # NGBoost
        dist = final.pred_dist(X)
        return dist.params["loc"], dist.params["scale"], {}
    mean, std = estimator.predict(X, return_std=True)
    return mean, std, {}


def score(y, mean, std):
    """Test RMSE, mean Gaussian NLL and central-interval coverage, original units."""
    half_width = norm.ppf(0.5 + COVERAGE_LEVEL / 2) * std
    return {
        "rmse": float(root_mean_squared_error(y, mean)),
        "nll": float(-np.mean(norm.logpdf(y, loc=mean, scale=std))),
        "coverage_90": float(np.mean(np.abs(y - mean) <= half_width)),
    }


def run_method(method, split, data, hypergan_params=None):
    """Fit and score one method on one split; failures are recorded, not raised."""
    X_train, y_train, X_test, y_test = data
    record = {"split": split}
    reason = skip_reason(method, len(X_train))
    if reason:
        return {**record, "status": "skipped", "reason": reason}
    try:
        estimator = make_estimator(method, split, X_train.shape[1], hypergan_params)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            estimator.fit(X_train, y_train)
            fit_seconds = time.perf_counter() - start
        start = time.perf_counter()
        mean, std, parts = predict_normal(estimator, X_test)
        predict_seconds = time.perf_counter() - start
    except Exception as exc:  # a long run should survive one failing fit
        traceback.print_exc()
        return {**record, "status": "error", "reason": f"{type(exc).__name__}: {exc}"}
    return {
        **record,
        "status": "ok",
        **score(y_test, mean, std),
        "fit_seconds": fit_seconds,
        "predict_seconds": predict_seconds,
        **parts,
        "fit_warnings": sorted({f"{w.category.__name__}: {str(w.message)[:200]}" for w in caught}),
    }


# -- aggregation ---------------------------------------------------------------------
METRICS = (
    "nll",
    "rmse",
    "coverage_90",
    "fit_seconds",
    "predict_seconds",
    "mean_aleatoric_std",
    "mean_epistemic_std",
)


def _finite_or_none(x):
    x = float(x)
    return x if math.isfinite(x) else None


def summarize(records):
    """Mean and standard error over the successful splits of each metric."""
    ok = [r for r in records if r["status"] == "ok"]
    summary = {"n_ok": len(ok), "splits": records}
    if not ok:
        statuses = {r["status"] for r in records}
        summary["status"] = "skipped" if statuses == {"skipped"} else "error"
        summary["reason"] = records[0].get("reason") if records else None
        return summary
    summary["status"] = "ok" if len(ok) == len(records) else "partial"
    for metric in METRICS:
        values = [r[metric] for r in ok if metric in r]
        if values:
            se = sem(values, ddof=1) if len(values) > 1 else float("nan")
            summary[metric] = {"mean": float(np.mean(values)), "se": _finite_or_none(se)}
    return summary


def _mean(summary, metric):
    return summary.get(metric, {}).get("mean") if summary else None


def goals(results):
    """HyperGAN's goals, per dataset where both HyperGAN and the deep ensemble ran.

    - NLL below the measured deep ensemble's (means over splits);
    - NLL below the published Deep Ensembles NLL;
    - RMSE no worse than the deep ensemble's mean RMSE plus one standard error;
    - fit time at most twice the deep ensemble's.
    """
    rows = {}
    for name, entry in results["datasets"].items():
        hg = entry["methods"].get("hypergan")
        de = entry["methods"].get("deep_ensemble")
        if _mean(hg, "nll") is None or _mean(de, "nll") is None:
            continue
        published = PUBLISHED["deep_ensembles"]["nll"].get(name, (None,))[0]
        ratio = _mean(hg, "fit_seconds") / _mean(de, "fit_seconds")
        rows[name] = {
            "nll_below_measured_deep_ensemble": _mean(hg, "nll") < _mean(de, "nll"),
            "nll_below_published_deep_ensembles": (
                None if published is None else _mean(hg, "nll") < published
            ),
            "rmse_within_one_se_of_deep_ensemble": _mean(hg, "rmse")
            <= _mean(de, "rmse") + (de["rmse"]["se"] or 0.0),
            "fit_time_ratio": ratio,
            "fit_time_ratio_at_most_2": ratio <= 2.0,
        }
    keys = [k for k in next(iter(rows.values()), {}) if k != "fit_time_ratio"]
    counts = {k: sum(bool(r[k]) for r in rows.values()) for k in keys}
    return {"n_datasets": len(rows), "counts": counts, "per_dataset": rows}


# -- environment and output ------------------------------------------------------------
def environment(argv=None):
    """Versions, machine, date and command line, for the results file:
    the shared record of ``_common.environment`` plus the processor and
    NGBoost's version."""
    env = _environment(argv)
    env["processor"] = platform.processor() or platform.machine()
    env["versions"]["ngboost"] = _version("ngboost")
    return env


def _jsonable(value):
    """Estimator parameters as JSON values (repr for objects)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return repr(value)


def _estimator_params(method, n_features, hypergan_params):
    try:
        estimator = make_estimator(method, 0, n_features, hypergan_params)
    except Exception:  # e.g. ngboost not installed: the error is in the split records
        return None
    final = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    params = final.get_params(deep=False)
    params.pop("random_state", None)  # the split index, per split
    return {k: _jsonable(v) for k, v in params.items()}


def _log(message):
    print(message, file=sys.stderr, flush=True)


def run(
    datasets=DATASETS,
    n_splits=None,
    methods=METHODS,
    *,
    first_split=0,
    hypergan_params=None,
    threads=None,
    data_dir=DATA_DIR,
    on_dataset_done=None,
    argv=None,
):
    """Run the benchmark and return the results dictionary.

    Parameters
    ----------
    datasets : sequence of str, default=DATASETS
        Dataset names.
    n_splits : int or None, default=None
        Use ``n_splits`` canonical splits from ``first_split`` on; None uses
        all that remain (20 in all).
    methods : sequence of str, default=METHODS
        Any of ``"hypergan"``, ``"deep_ensemble"``, ``"mc_dropout"``,
        ``"gp"``, ``"ngboost"``.
    first_split : int, default=0
        Index of the first split (to extend earlier results with later
        splits; :func:`merge` joins them).
    hypergan_params : dict or None, default=None
        Overrides of :class:`~sk_hypergan.HyperGANRegressor`'s defaults,
        e.g. ``{"max_epochs": 50}``; recorded in the results.
    threads : int or None, default=None
        Limit torch and BLAS threads (None leaves the defaults).
    data_dir : path-like, default=benchmarks/data/uci
        Where the datasets are.
    on_dataset_done : callable or None, default=None
        Called with the results so far after each dataset (checkpointing).
    argv : list of str or None, default=None
        Command line recorded in the results (default ``sys.argv``).

    Returns
    -------
    dict
        ``config``, ``environment``, ``published``, ``datasets`` (per dataset
        and method: every split's scores and their mean / standard error) and
        ``goals``.
    """
    for name in datasets:
        if not (Path(data_dir) / name).is_dir():
            raise ValueError(f"No dataset {name!r} in {data_dir}.")
    for method in methods:
        if method not in METHODS:
            raise ValueError(f"Unknown method {method!r}; choose from {METHODS}.")
    if "hypergan" in methods:  # fail now on a misspelt or invalid override, not per split
        HyperGANRegressor(**(hypergan_params or {}))._validate_params()
    if threads is not None:
        torch.set_num_threads(threads)
    results = {
        "benchmark": "uci",
        "config": {
            "datasets": list(datasets),
            "n_splits": n_splits,
            "first_split": first_split,
            "methods": list(methods),
            "hypergan_params": dict(hypergan_params or {}),
            "threads": threads,
            "gp_max_rows": GP_MAX_ROWS,
            "protocol": "canonical Hernandez-Lobato & Adams (2015) splits; one default "
            "configuration for all datasets, no hyperparameter chosen with test data",
        },
        "environment": environment(argv),
        "published": PUBLISHED,
        "datasets": {},
    }
    with threadpool_limits(limits=threads):
        for name in datasets:
            entry = _run_dataset(name, first_split, n_splits, methods, hypergan_params, data_dir)
            results["datasets"][name] = entry
            results["goals"] = goals(results)
            if on_dataset_done is not None:
                on_dataset_done(results)
    results["goals"] = goals(results)
    return results


def _run_dataset(name, first_split, n_splits, methods, hypergan_params, data_dir):
    available = n_splits_of(name, data_dir)
    stop = available if n_splits is None else min(first_split + n_splits, available)
    splits = range(first_split, stop)
    records = {method: [] for method in methods}
    for split in splits:
        data = load_uci(name, split, data_dir)
        for method in methods:
            record = run_method(method, split, data, hypergan_params)
            records[method].append(record)
            _log(_describe(name, method, record))
    X_train, _, X_test, _ = load_uci(name, 0, data_dir)
    entry = {
        "n_train": len(X_train),
        "n_test": len(X_test),
        "n_features": X_train.shape[1],
        "splits": list(splits),
        "methods": {},
    }
    for method in methods:
        entry["methods"][method] = summarize(records[method])
        entry["methods"][method]["params"] = _estimator_params(
            method, X_train.shape[1], hypergan_params
        )
    return entry


def _describe(name, method, record):
    head = f"{name:>9} split {record['split']:>2} {method:>13}:"
    if record["status"] != "ok":
        return f"{head} {record['status']} ({record['reason']})"
    return (
        f"{head} NLL {record['nll']:8.3f}  RMSE {record['rmse']:9.4f}  "
        f"fit {record['fit_seconds']:7.1f}s"
    )


# -- markdown -----------------------------------------------------------------------------
def _decimals(value):
    """Two decimals, more for small magnitudes (naval's RMSE is ~1e-3)."""
    if not value:
        return 2
    return int(min(6, max(2, 1 - math.floor(math.log10(abs(value))))))


def _fmt(mean, se=None, decimals=None):
    if mean is None:
        return "-"
    d = _decimals(mean) if decimals is None else decimals
    return f"{mean:.{d}f}" if se is None else f"{mean:.{d}f} ± {se:.{d}f}"


def _cell(summary, metric):
    if summary is None:  # not run on this dataset (merged results)
        return "-"
    if summary["status"] in ("skipped", "error"):
        return summary["status"]
    value = summary[metric]
    cell = _fmt(value["mean"], value["se"])
    return cell + (f" ({summary['n_ok']} ok)" if summary["status"] == "partial" else "")


def _metric_table(results, metric):
    methods = results["config"]["methods"]
    published = list(PUBLISHED.values())
    header = ["dataset", "n_train", *methods, *(p["label"] for p in published)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, entry in results["datasets"].items():
        cells = [name, str(entry["n_train"])]
        means = {m: _mean(entry["methods"].get(m), metric) for m in methods}
        best = min((v for v in means.values() if v is not None), default=None)
        for m in methods:
            cell = _cell(entry["methods"].get(m), metric)
            cells.append(f"**{cell}**" if means[m] is not None and means[m] == best else cell)
        for p in published:
            value = p[metric].get(name)
            cells.append(_fmt(*value, decimals=2) if value else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _time_table(results):
    methods = results["config"]["methods"]
    ratio = "hypergan" in methods and "deep_ensemble" in methods
    header = ["dataset", *methods, *(["hypergan / deep_ensemble"] if ratio else [])]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, entry in results["datasets"].items():
        cells = [name]
        for m in methods:
            summary = entry["methods"].get(m)
            fit = summary.get("fit_seconds") if summary else None
            cells.append(
                _fmt(fit["mean"], fit["se"], decimals=1) if fit else _cell(summary, "fit_seconds")
            )
        if ratio:
            r = results["goals"]["per_dataset"].get(name, {}).get("fit_time_ratio")
            cells.append("-" if r is None else f"{r:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _goal_lines(results):
    g = results.get("goals") or {}
    if not g.get("n_datasets"):
        return ["(needs both `hypergan` and `deep_ensemble`)"]
    rows, n = g["per_dataset"], g["n_datasets"]

    def line(key, text):
        names = ", ".join(name for name, r in rows.items() if r[key]) or "none"
        return f"- {text}: **{g['counts'][key]} of {n}** ({names})"

    return [
        f"Over the {n} dataset(s) run here (the goals are stated over all 7):",
        "",
        line("nll_below_measured_deep_ensemble", "HyperGAN NLL < measured deep ensemble NLL"),
        line("nll_below_published_deep_ensembles", "HyperGAN NLL < published Deep Ensembles NLL"),
        line(
            "rmse_within_one_se_of_deep_ensemble",
            "HyperGAN RMSE <= deep ensemble RMSE + 1 SE",
        ),
        line("fit_time_ratio_at_most_2", "HyperGAN fit time <= 2x deep ensemble"),
    ]


def _runs_lines(results):
    """Which run produced which columns, when results were merged: fit times
    compare only within one run (the same machine load)."""
    if not results.get("merged_from"):
        return []
    lines = ["Merged from separate runs; compare fit times only within one run:", ""]
    for cfg, env in zip(results["config"]["runs"], results["environments"]):
        first = cfg.get("first_split", 0)
        splits = f"splits {first}-{first + cfg['n_splits'] - 1}" if cfg["n_splits"] else "all splits"
        lines.append(
            f"- {', '.join(cfg['methods'])} on {', '.join(cfg['datasets'])}, {splits}: "
            f"{env['date_utc']}, git {env['git_commit'][:12]}"
        )
    return [*lines, ""]


def to_markdown(results):
    """The results as a markdown report (tables, goals, methods, environment)."""
    cfg, env = results["config"], results["environment"]
    n_splits = {len(e["splits"]) for e in results["datasets"].values()}
    overrides = cfg["hypergan_params"]
    published_notes = [
        f"- {p['label']}: {p['source']}; ± is a {p['spread']}." for p in PUBLISHED.values()
    ]
    lines = [
        "# UCI regression benchmark",
        "",
        "Canonical splits of Hernández-Lobato & Adams (2015), 90% train / 10% test, "
        f"{'/'.join(map(str, sorted(n_splits)))} split(s) per dataset; one hidden layer of 50 "
        "units for the networks. Scores in the target's original units: test Gaussian NLL per "
        "point and test RMSE of the predictive mean (lower is better), mean ± standard error "
        "over splits; bold marks the lowest measured mean.",
        "",
        "**One default configuration for all datasets: no hyperparameter was chosen with "
        "test data.** The published columns come from papers that tuned per dataset on "
        "validation splits (MC dropout) or used other training settings.",
        "",
        "HyperGAN: estimator defaults"
        + (f", overridden by `{json.dumps(overrides)}`." if overrides else "."),
        "",
        "## Test NLL",
        "",
        _metric_table(results, "nll"),
        "",
        "## Test RMSE",
        "",
        _metric_table(results, "rmse"),
        "",
        "## Fit seconds per split",
        "",
        _time_table(results),
        "",
        *_runs_lines(results),
        "## Goals",
        "",
        *_goal_lines(results),
        "",
        "## Methods",
        "",
        *(f"- `{m}`: {METHOD_NOTES[m]}" for m in cfg["methods"]),
        "",
        "Published numbers:",
        "",
        *published_notes,
        "",
        "## Environment",
        "",
        f"- command: `{env['command']}`"
        + (
            f" (merged by `uci.py --merge` with {len(results['merged_from']) - 1} other run(s) "
            "over other datasets or methods; each run's command, date and commit are in the JSON)"
            if results.get("merged_from")
            else ""
        ),
        f"- date (UTC): {env['date_utc']}; git: {env['git_commit']}",
        f"- Python {env['python']} on {env['platform']}; torch threads: {env['torch_threads']}",
        "- " + ", ".join(f"{k} {v}" for k, v in env["versions"].items() if v),
        "",
    ]
    return "\n".join(lines)


def _strict_json(value):
    """NaN / inf -> None, tuples -> lists, so the file is strict JSON."""
    if isinstance(value, dict):
        return {k: _strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict_json(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return _strict_json(value.item())
    return value


def write_outputs(results, out_dir=DEFAULT_OUT, tag=None):
    """Write ``uci[_tag].json`` and ``uci[_tag].md``; return their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "uci" if not tag else f"uci_{tag}"
    json_path, md_path = out_dir / f"{stem}.json", out_dir / f"{stem}.md"
    json_path.write_text(json.dumps(_strict_json(results), indent=1, allow_nan=False) + "\n")
    md_path.write_text(to_markdown(results))
    return json_path, md_path


def merge(paths):
    """Combine results files of runs over disjoint datasets, disjoint methods
    on the same splits, or disjoint splits of the same methods (e.g. run in
    parallel processes, or later splits added to earlier ones) into one
    results dictionary; summaries and goals are recomputed."""
    runs = [json.loads(Path(p).read_text()) for p in paths]
    merged = {**runs[0], "datasets": {}, "merged_from": [str(p) for p in paths]}
    merged["config"] = {**runs[0]["config"], "runs": [r["config"] for r in runs]}
    merged["environments"] = [r["environment"] for r in runs]
    for r in runs:
        for name, result in r["datasets"].items():
            if name not in merged["datasets"]:
                merged["datasets"][name] = copy.deepcopy(result)
                continue
            known = merged["datasets"][name]
            same_methods = set(known["methods"]) == set(result["methods"])
            if same_methods and not set(known["splits"]) & set(result["splits"]):
                for method, summary in result["methods"].items():
                    records = known["methods"][method]["splits"] + summary["splits"]
                    params = known["methods"][method].get("params")
                    known["methods"][method] = summarize(records)
                    if params is not None:
                        known["methods"][method]["params"] = params
                known["splits"] = known["splits"] + result["splits"]
                continue
            overlap = set(known["methods"]) & set(result["methods"])
            if overlap:
                raise ValueError(
                    f"{name}: methods {sorted(overlap)} appear in more than one file "
                    "on the same splits."
                )
            if known["splits"] != result["splits"]:
                raise ValueError(f"{name}: the files ran different splits.")
            known["methods"].update(result["methods"])
    order = {m: i for i, m in enumerate(METHODS)}
    for result in merged["datasets"].values():
        result["methods"] = dict(sorted(result["methods"].items(), key=lambda kv: order[kv[0]]))
    merged["config"]["datasets"] = [d for d in DATASETS if d in merged["datasets"]]
    ran = {m for r in runs for m in r["config"]["methods"]}
    merged["config"]["methods"] = [m for m in METHODS if m in ran]
    merged["datasets"] = {d: merged["datasets"][d] for d in merged["config"]["datasets"]}
    merged["goals"] = goals(merged)
    return merged


# -- command line ----------------------------------------------------------------------------
def _json_dict(text):
    value = json.loads(text)
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("--hypergan-params must be a JSON object")
    return value


def _tag(text):
    if not text.replace("-", "").replace("_", "").isalnum():
        raise argparse.ArgumentTypeError("--tag may hold letters, digits, '-' and '_' only")
    return text


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--splits", type=int, default=None, help="N splits (default: all 20)")
    parser.add_argument(
        "--first-split", type=int, default=0, help="index of the first split (default: 0)"
    )
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--tag", type=_tag, default=None, help="write uci_<tag>.{json,md}")
    parser.add_argument("--threads", type=int, default=None, help="torch / BLAS threads")
    parser.add_argument(
        "--merge",
        nargs="+",
        type=Path,
        default=None,
        help="combine these results JSON files (disjoint datasets, methods or splits) "
        "instead of running",
    )
    parser.add_argument(
        "--hypergan-params",
        type=_json_dict,
        default={},
        help='JSON overrides of HyperGANRegressor defaults, e.g. \'{"max_epochs": 50}\'',
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.merge:
        results = merge(args.merge)
        for path in write_outputs(results, args.out, args.tag):
            _log(f"wrote {path}")
        return results
    argv_recorded = sys.argv if argv is None else [Path(__file__).name, *argv]
    results = run(
        args.datasets,
        args.splits,
        args.methods,
        first_split=args.first_split,
        hypergan_params=args.hypergan_params,
        threads=args.threads,
        on_dataset_done=lambda res: write_outputs(res, args.out, args.tag),
        argv=argv_recorded,
    )
    for path in write_outputs(results, args.out, args.tag):
        _log(f"wrote {path}")
    return results


if __name__ == "__main__":
    main()
