"""UCI regression: HyperGAN against its peers on the canonical splits.

Protocol of Hernandez-Lobato & Adams (2015), as in the Deep Ensembles and MC-dropout
papers: 7 data sets with fixed random 90/10 train/test splits, networks with one hidden
layer of 50 units, scores in the target's original units (test Gaussian NLL per point,
RMSE of the predictive mean, 90%-interval coverage, CRPS), mean and standard error over
splits. Every method runs with one configuration for all data sets, and every method of a
split runs in the same process (fit times compare within one run) -- unless ``run.py
--replace`` re-ran HyperGAN alone and kept the peers' rows, which the report then says.

Options: ``--datasets``, ``--splits`` (default 0-9), ``--methods``, ``--params`` (JSON
overrides of HyperGAN's parameters). ``--quick``: boston and naval, split 0, 200 training
rows, a few epochs / trees.
"""

from __future__ import annotations

from harness import data as datasets_
from harness import methods as registry
from harness.env import log
from harness.results import fmt_mean_se, table, yes_no
from harness.runner import REGRESSION_METRICS, fit_score_regressor
from harness.scoring import COVERAGE_LEVELS, coverage_key, summarize

NAME = "uci"
METHODS = ("hypergan", "reference_ensemble", "catboost", "ngboost", "gp", "mc_dropout")
DEFAULT_SPLITS = tuple(range(10))
QUICK_DATASETS = ("boston", "naval")
QUICK_ROWS = 200

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


def run(opts):
    """Run the suite; return the results dict.

    Parameters
    ----------
    opts : argparse.Namespace
        ``quick``, ``datasets``, ``splits``, ``methods``, ``params`` (see ``run.py``).

    Returns
    -------
    dict
        ``config``, ``published``, ``methods`` (specs) and ``datasets``: per data set and
        method, every split's record and the mean / standard error of each metric.
    """
    names = opts.datasets or (QUICK_DATASETS if opts.quick else datasets_.UCI_DATASETS)
    splits = opts.splits or ((0,) if opts.quick else DEFAULT_SPLITS)
    methods = opts.methods or METHODS
    hypergan_params = opts.params or {}
    results = {
        "benchmark": NAME,
        "config": {
            "datasets": list(names), "splits": list(splits), "methods": list(methods),
            "hypergan_params": hypergan_params, "quick": opts.quick,
            "max_train_rows": QUICK_ROWS if opts.quick else None,
        },
        "methods": {m: registry.REGISTRY[m].spec for m in methods},
        "published": PUBLISHED,
        "datasets": {},
    }
    for name in names:
        entry = {"splits": list(splits), "methods": {}}
        records = {m: [] for m in methods}
        for split in splits:
            data = datasets_.load(name, split, QUICK_ROWS if opts.quick else None)
            entry.update(n_train=len(data[0]), n_test=len(data[2]), n_features=data[0].shape[1])
            for m in methods:
                params = hypergan_params if m == "hypergan" else None
                record, _ = fit_score_regressor(m, split, data, opts.quick, params)
                records[m].append({"split": split, **record})
                log(_describe(name, m, records[m][-1]))
        entry["methods"] = {m: summarize(r, REGRESSION_METRICS) for m, r in records.items()}
        results["datasets"][name] = entry
    return results


def _describe(name, method, record):
    head = f"[uci] {name:>9} split {record['split']:>2} {method:>18}:"
    if record["status"] != "ok":
        return f"{head} {record['status']} ({record['reason']})"
    return (f"{head} NLL {record['nll']:8.3f}  RMSE {record['rmse']:9.4f}  "
            f"fit {record['fit_seconds']:7.1f}s")


def _mean(summary, metric):
    return (summary or {}).get(metric, {}).get("mean")


def _cell(summary, metric, decimals=None):
    if summary is None:
        return "-"
    if summary["status"] in ("skipped", "error"):
        return summary["status"]
    cell = fmt_mean_se(summary.get(metric), decimals)
    return cell + (f" ({summary['n_ok']} ok)" if summary["status"] == "partial" else "")


def metric_table(results, metric, style="md", published=True, decimals=None):
    """One metric's table: a row per data set, a column per method (bold: the best mean),
    then the published columns."""
    methods = results["config"]["methods"]
    pubs = list(PUBLISHED.values()) if published and metric in ("nll", "rmse") else []
    rows = []
    for name, entry in results["datasets"].items():
        means = {m: _mean(entry["methods"].get(m), metric) for m in methods}
        best = min((v for v in means.values() if v is not None), default=None)
        cells = [name, str(entry["n_train"])]
        for m in methods:
            cell = _cell(entry["methods"].get(m), metric, decimals)
            bold = metric in ("nll", "rmse", "crps") and means[m] is not None and means[m] == best
            cells.append(f"**{cell}**" if bold else cell)
        for p in pubs:
            value = p[metric].get(name)
            cells.append(f"{value[0]:.2f} ± {value[1]:.2f}" if value else "-")
        rows.append(cells)
    columns = ["dataset", "n_train", *methods, *(p["label"] for p in pubs)]
    return table(columns, rows, style)


def coverage_table(results, style="md", method="hypergan", tolerance=0.03):
    """HyperGAN's mean coverage at every level per data set, and whether all of them are
    within ``tolerance`` of nominal."""
    rows = []
    for name, entry in results["datasets"].items():
        summary = entry["methods"].get(method)
        means = [_mean(summary, coverage_key(q)) for q in COVERAGE_LEVELS]
        if any(m is None for m in means):
            continue
        ok = all(abs(m - q) <= tolerance + 1e-12 for m, q in zip(means, COVERAGE_LEVELS))
        rows.append([name, *(f"{m:.3f}" for m in means), yes_no(ok)])
    columns = ["dataset", *(f"{round(100 * q)}%" for q in COVERAGE_LEVELS),
               f"all within {round(100 * tolerance)} points"]
    return table(columns, rows, style)


def _kept(results):
    """Methods whose rows ``run.py --replace`` kept from an earlier run (else [])."""
    return (results.get("environment", {}).get("reused") or {}).get("methods", [])


def comparison(results):
    """Per data set, whether HyperGAN's mean NLL is below the reference ensemble's, and
    whether its RMSE is within one standard error of it."""
    rows = {}
    for name, entry in results["datasets"].items():
        hg = entry["methods"].get("hypergan")
        ref = entry["methods"].get("reference_ensemble")
        if _mean(hg, "nll") is None or _mean(ref, "nll") is None:
            continue
        rows[name] = {
            "nll_below_reference": _mean(hg, "nll") < _mean(ref, "nll"),
            "rmse_within_one_se": _mean(hg, "rmse")
            <= _mean(ref, "rmse") + (ref["rmse"]["se"] or 0.0),
            "fit_time_ratio": _mean(hg, "fit_seconds") / _mean(ref, "fit_seconds"),
        }
    return rows


def blocks(results, style="md"):
    """The tables README.md / docs quote: ``nll``, ``rmse``, ``fit_seconds``, ``summary``."""
    comp = comparison(results)
    n = len(comp)
    below = [k for k, r in comp.items() if r["nll_below_reference"]]
    within = [k for k, r in comp.items() if r["rmse_within_one_se"]]
    ratios = [r["fit_time_ratio"] for r in comp.values()]
    splits = next(iter(results["datasets"].values()))["splits"]
    summary = (
        f"UCI regression, canonical splits {splits[0]}-{splits[-1]} of {n} data sets: "
        f"HyperGAN's mean test NLL is below the reference ensemble's on {len(below)} of {n} "
        f"({', '.join(below) or 'none'}); its RMSE is within one standard error of the "
        f"ensemble's on {len(within)} of {n}; it fits in "
        + (f"{min(ratios):.1f}-{max(ratios):.1f}x the ensemble's time" if ratios else "-")
        + (" (the ensemble's times from the earlier run whose rows were kept).\n"
           if "reference_ensemble" in _kept(results) else ".\n")
    )
    if not n:
        summary = ("(these results have no `reference_ensemble`: re-run "
                   "`python benchmarks/run.py uci`)\n")
    return {
        "coverage": coverage_table(results, style),
        "nll": metric_table(results, "nll", style),
        "rmse": metric_table(results, "rmse", style),
        "fit_seconds": metric_table(results, "fit_seconds", style, decimals=1),
        "summary": summary,
    }


def to_markdown(results):
    """The report: NLL, RMSE, coverage, CRPS and fit-time tables, the comparison with the
    reference ensemble and the methods' specs."""
    b = blocks(results)
    comp = comparison(results)
    comp_rows = [[k, yes_no(r["nll_below_reference"]), yes_no(r["rmse_within_one_se"]),
                  f"{r['fit_time_ratio']:.2f}"] for k, r in comp.items()]
    lines = [
        "# UCI regression", "",
        "Canonical splits of Hernández-Lobato & Adams (2015), 90% train / 10% test; scores in "
        "the target's original units, mean ± standard error over splits; bold: lowest mean. "
        "One configuration per method for all data sets; "
        + (f"the rows of {', '.join(_kept(results))} were kept from an earlier run "
           "(Environment says which and why they still hold), so fit times compare across "
           "two runs." if _kept(results) else
           "every method of a split ran in the same process."), "",
        "## Test NLL", "", b["nll"], "## Test RMSE", "", b["rmse"],
        "## Central-interval coverage", "",
        "Share of test rows inside each method's central interval (HyperGAN: the quantiles "
        "of its predictive mixture, `predict_interval`; the others: their Gaussian). Goal "
        "(HyperGAN): within 3 points of nominal at every level on every data set.", "",
        *[line for q in COVERAGE_LEVELS for line in (
            f"### {round(100 * q)}%", "", metric_table(results, coverage_key(q)))],
        "### HyperGAN's coverage against the goal", "", b["coverage"],
        "## CRPS", "", metric_table(results, "crps"),
        "## HyperGAN's predictive mixture", "",
        "Beside the protocol's Gaussian scores above (its mean and standard deviation): the "
        "NLL and CRPS of the mixture of the networks' Gaussians that `predict_distribution` "
        "returns.", "",
        "### Mixture NLL", "", metric_table(results, "nll_mixture", published=False),
        "### Mixture CRPS", "", metric_table(results, "crps_mixture", published=False),
        "## Fit seconds per split", "", b["fit_seconds"],
        "## HyperGAN against the reference ensemble", "",
        table(["dataset", "NLL below", "RMSE within 1 SE", "fit time ratio"], comp_rows),
        b["summary"],
        "## Methods", "",
        *(f"- `{m}`: {spec}" for m, spec in results["methods"].items()),
        "",
        "Published: " + "; ".join(f"{p['label']} ({p['source']}; ± is a {p['spread']})"
                                   for p in PUBLISHED.values()),
        "",
    ]
    return "\n".join(lines)
