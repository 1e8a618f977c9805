"""Scale: HyperGAN against the reference ensemble on the larger data sets.

kin8nm, naval, power (canonical split 0 by default), cps1988 (``log(wage)``, string
columns one-hot encoded) and ``make_friedman1(n_samples=200_000, noise=1.0,
random_state=0)``, the last two on a fixed 90/10 split (``train_test_split(...,
test_size=0.1, random_state=split)``). Per set: test RMSE with its standard error (delta
method over the test rows: ``se(MSE) / (2 RMSE)``), test NLL with its standard error,
fit seconds and HyperGAN's epochs to the stop. Goal (the fit-cost issue): HyperGAN's RMSE
within one standard error of the ensemble's and NLL no worse.

``--quick``: 300 training rows of each set, a few epochs.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from harness import data as datasets_
from harness import methods as registry
from harness.env import log
from harness.results import fmt, table, yes_no

NAME = "scale"
DATASETS = ("kin8nm", "naval", "power", "cps1988", "friedman1")
PAIR = ("hypergan", "reference_ensemble")
QUICK_ROWS = 300


def errors(y, mean, std):
    """Test RMSE and NLL with their standard errors over the test rows."""
    sq = (y - mean) ** 2
    nll = -norm.logpdf(y, loc=mean, scale=std)
    rmse = float(np.sqrt(sq.mean()))
    n = len(y)
    return {
        "rmse": rmse,
        "rmse_se": float(sq.std(ddof=1) / np.sqrt(n) / (2 * rmse)),
        "nll": float(nll.mean()),
        "nll_se": float(nll.std(ddof=1) / np.sqrt(n)),
    }


def run(opts):
    """Run the suite; return the results dict."""
    import time

    names = opts.datasets or DATASETS
    splits = opts.splits or (0,)
    max_train = QUICK_ROWS if opts.quick else None
    rows = {}
    for name in names:
        for split in splits:
            X_tr, y_tr, X_te, y_te = datasets_.load(name, split, max_train)
            row = {"n_train": len(X_tr), "n_test": len(X_te), "n_features": X_tr.shape[1],
                   "split": split}
            for method in PAIR:
                params = opts.params if method == "hypergan" else None
                est = registry.make(method, split, len(X_tr), opts.quick, **(params or {}))
                start = time.perf_counter()
                est.fit(X_tr, y_tr)
                fit_s = time.perf_counter() - start
                mean, std = est.predict(X_te, return_std=True)
                row[method] = {"fit_seconds": fit_s, **errors(y_te, mean, std)}
                if method == "hypergan":
                    row[method]["epochs"] = len(est[-1].history_)
                log(f"[scale] {name} split {split} {method}: {fit_s:.1f} s, "
                    f"RMSE {row[method]['rmse']:.4g}, NLL {row[method]['nll']:.3f}")
            hg, ref = row["hypergan"], row["reference_ensemble"]
            row["rmse_within_one_se"] = hg["rmse"] <= ref["rmse"] + ref["rmse_se"]
            row["nll_no_worse"] = hg["nll"] <= ref["nll"]
            rows[name if len(splits) == 1 else f"{name}/{split}"] = row
    return {
        "benchmark": NAME,
        "config": {"datasets": list(names), "splits": list(splits), "quick": opts.quick,
                   "max_train_rows": max_train, "hypergan_params": opts.params or {},
                   "holdout": "train_test_split(test_size=0.1, random_state=split) for "
                              "cps1988 and friedman1; canonical splits for the UCI sets"},
        "methods": {m: registry.REGISTRY[m].spec for m in PAIR},
        "datasets": rows,
    }


def _pm(value, se):
    d = max(2, 2 - int(np.floor(np.log10(abs(value))))) if value else 2
    return f"{value:.{d}f} ± {se:.{d}f}"


def scale_table(results, style="md"):
    """Per set: rows, RMSE ± se, NLL ± se, fit seconds of both, epochs, goals."""
    rows = []
    for name, r in results["datasets"].items():
        hg, ref = r["hypergan"], r["reference_ensemble"]
        rows.append([
            name, r["n_train"], _pm(hg["rmse"], hg["rmse_se"]), _pm(ref["rmse"], ref["rmse_se"]),
            _pm(hg["nll"], hg["nll_se"]), _pm(ref["nll"], ref["nll_se"]),
            fmt(hg["fit_seconds"], 1), fmt(ref["fit_seconds"], 1), hg["epochs"],
            yes_no(r["rmse_within_one_se"]), yes_no(r["nll_no_worse"]),
        ])
    columns = ["dataset", "n_train", "HyperGAN RMSE", "ensemble RMSE", "HyperGAN NLL",
               "ensemble NLL", "HyperGAN fit s", "ensemble fit s", "HyperGAN epochs",
               "RMSE within 1 SE", "NLL no worse"]
    return table(columns, rows, style)


def blocks(results, style="md"):
    """The ``table`` README / docs quote."""
    return {"table": scale_table(results, style)}


def to_markdown(results):
    """The report."""
    return "\n".join([
        "# Scale: HyperGAN against the reference ensemble on larger data", "",
        "± is the standard error over the test rows (RMSE: delta method).", "",
        scale_table(results), "## Methods", "",
        *(f"- `{m}`: {spec}" for m, spec in results["methods"].items()), "",
        f"Splits: {results['config']['holdout']}.", "",
    ])
