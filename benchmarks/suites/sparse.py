"""Sparse input: fit and predict time and peak memory, sparse CSR against densified X.

A one-hot matrix of 100,000 rows and 5,000 columns at 0.2% density (10 ones per row, in
random columns; what ``OneHotEncoder`` gives for 10 categorical columns of 500 levels),
with a target that depends on a few of its columns plus noise. ``HyperGANRegressor`` with
its defaults except ``max_epochs=1`` (one epoch: the cost per pass over the rows is what
differs) fits once on the CSR matrix and once on the same matrix made dense, then
predicts ``predict_uncertainty`` on every row. Each case runs in its own child process,
so its peak resident memory (the kernel's ``ru_maxrss``, which sees torch's allocations)
is its own.

Two checks: the same fitted networks predict the same on sparse and on dense rows (float32
tolerance, on the first rows of the sparse case), and the two fits are equally good on
held-out rows drawn the same way (test RMSE within 5%). The two fits' predictions are not
compared row by row: float32 sums in a different order (sparse against dense products) move
a few hundred Adam steps apart, as any change of summation order does.

``--quick``: 2,000 rows, 500 columns.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

import numpy as np
import scipy.sparse as sp

from harness.env import REPO, log, set_threads
from harness.results import fmt, table, yes_no

NAME = "sparse"
GIB = 2**30
FULL = {"n_rows": 100_000, "n_cols": 5_000, "per_row": 10}
QUICK = {"n_rows": 2_000, "n_cols": 500, "per_row": 1}
#: Held-out rows (drawn as the training rows) that score both fits.
N_TEST = {"full": 10_000, "quick": 500}
#: Rows of the sparse case predicted again from their dense copy (the invariant).
N_INVARIANT = 2_000


def make_data(n_rows, n_cols, per_row, seed=0):
    """CSR one-hot-like matrix (``per_row`` ones per row) and a noisy target."""
    rng = np.random.RandomState(seed)
    cols = rng.randint(n_cols, size=(n_rows, per_row))
    rows = np.repeat(np.arange(n_rows), per_row)
    X = sp.csr_matrix((np.ones(rows.size), (rows, cols.ravel())), shape=(n_rows, n_cols))
    X.sum_duplicates()
    X.data[:] = 1.0
    coef = np.zeros(n_cols)
    coef[:20] = rng.standard_normal(20)
    y = X @ coef + 0.1 * rng.standard_normal(n_rows)
    return X, y


def _child(case, n_rows, n_cols, per_row, seed, threads, out_path, n_test=0):
    """Fit and predict one case; write its timings, memory and predictions."""
    from sk_hypergan import HyperGANRegressor

    set_threads(threads)
    X, y = make_data(n_rows + n_test, n_cols, per_row, seed)
    X, y, X_test, y_test = X[:n_rows], y[:n_rows], X[n_rows:], y[n_rows:]
    data_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if case == "dense":
        X, X_test = X.toarray(), X_test.toarray()
    est = HyperGANRegressor(max_epochs=1, random_state=seed)
    t0 = time.perf_counter()
    est.fit(X, y)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    u = est.predict_uncertainty(X)
    predict_s = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    invariant = None
    if case == "sparse":  # the same networks on the dense copy of the first rows
        rows = slice(0, min(N_INVARIANT, n_rows))
        dense = est.predict_uncertainty(X[rows].toarray())
        invariant = float(max(np.abs(dense.mean - u.mean[rows]).max(),
                              np.abs(dense.std - u.std[rows]).max()))
    test_rmse = float(np.sqrt(np.mean((est.predict(X_test) - y_test) ** 2))) if n_test else None
    np.save(out_path, np.stack([u.mean, u.std]))
    print(json.dumps({
        "case": case, "fit_s": fit_s, "predict_s": predict_s,
        "test_rmse": test_rmse, "sparse_dense_max_abs_diff": invariant,
        "X_bytes": int(X.data.nbytes + X.indices.nbytes + X.indptr.nbytes)
        if sp.issparse(X) else int(X.nbytes),
        "rss_after_data_bytes": data_rss,
        "peak_rss_bytes": peak,
    }))


def _run_case(case, size, seed, threads, out_dir, n_test):
    out_path = out_dir / f"sparse_{case}.npy"
    code = (f"import sys; sys.path[:0] = [{str(REPO)!r}, {str(REPO / 'benchmarks')!r}]; "
            "from suites.sparse import _child; "
            f"_child({case!r}, {size['n_rows']}, {size['n_cols']}, {size['per_row']}, "
            f"{int(seed)}, {int(threads)}, {str(out_path)!r}, {int(n_test)})")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    preds = np.load(out_path)
    out_path.unlink()
    log(f"[sparse] {case}: fit {res['fit_s']:.1f} s, predict {res['predict_s']:.1f} s, "
        f"peak RSS {res['peak_rss_bytes'] / GIB:.2f} GiB")
    return res, preds


def run(opts):
    """Both cases, each in its own process; the ratios and the agreement."""
    import tempfile
    from pathlib import Path

    size = QUICK if opts.quick else FULL
    n_test = N_TEST["quick" if opts.quick else "full"]
    with tempfile.TemporaryDirectory() as tmp:
        sparse, p_sparse = _run_case("sparse", size, opts.seed, opts.threads, Path(tmp), n_test)
        dense, p_dense = _run_case("dense", size, opts.seed, opts.threads, Path(tmp), n_test)
    scale = max(1.0, float(np.abs(p_sparse).max()))
    diff = sparse["sparse_dense_max_abs_diff"]
    rmse_ratio = sparse["test_rmse"] / dense["test_rmse"]
    return {
        "benchmark": NAME,
        "config": {**size, "density": size["per_row"] / size["n_cols"], "quick": opts.quick,
                   "seed": opts.seed, "max_epochs": 1},
        "cases": {"sparse": sparse, "dense": dense},
        "n_test": n_test,
        "max_abs_diff": diff,
        "agree": diff <= 1e-3 * scale,
        "test_rmse_ratio": rmse_ratio,
        "fits_agree": abs(rmse_ratio - 1) <= 0.05,
        "fits_max_abs_diff": float(np.abs(p_sparse - p_dense).max()),
    }


def sparse_table(results, style="md"):
    rows = []
    for case in ("sparse", "dense"):
        r = results["cases"][case]
        rows.append([case, fmt(r["X_bytes"] / GIB, 3), fmt(r["fit_s"], 1),
                     fmt(r["predict_s"], 1), fmt(r["peak_rss_bytes"] / GIB, 2),
                     fmt(r.get("test_rmse"), 4)])
    return table(["X", "X GiB", "fit s (1 epoch)", "predict s", "peak RSS GiB", "test RMSE"],
                 rows, style)


def blocks(results, style="md"):
    return {"table": sparse_table(results, style)}


def to_markdown(results):
    c = results["config"]
    return "\n".join([
        "# Sparse X: CSR against densified, fit and predict", "",
        f"{c['n_rows']:,} rows x {c['n_cols']:,} one-hot columns at density "
        f"{c['density']:.2%}; `HyperGANRegressor(max_epochs=1)` defaults otherwise; each "
        "case in its own process (peak RSS from the kernel).", "",
        sparse_table(results), "",
        f"- the sparse fit's networks predict the same on sparse and dense rows (first "
        f"{N_INVARIANT:,} rows, max abs difference {results['max_abs_diff']:.2e}): "
        f"{yes_no(results['agree'])}",
        f"- the two fits are equally good on {results['n_test']:,} held-out rows (test RMSE "
        f"sparse / dense {results['test_rmse_ratio']:.3f}, within 5%): "
        f"{yes_no(results['fits_agree'])}; their predictions differ by up to "
        f"{results['fits_max_abs_diff']:.2f} (float32 sums in another order over a few "
        "hundred steps)", "",
    ])
