"""Scaling: fit time against rows and against ``n_networks``; prediction memory.

Three measurements on synthetic data (8 features):

1. **Rows.** One epoch of ``HyperGANRegressor`` on 1,000, 10,000, 100,000 and
   1,000,000 rows. The batch size is fixed (``--batch-size``, default 256, the
   largest that the default ``"auto"`` picks) so the number of steps grows with
   the rows. Reported: seconds per epoch (``history_[:, "dur"]``), the whole
   fit's wall time, and the slope of log(epoch time) against log(rows), over
   all sizes and over the two largest (1 = linear; per-fit constants such as
   the initialisation flatten it at small sizes).
2. **Networks.** One epoch on 10,000 rows with ``n_networks`` = 4, 8, 16, 32,
   64 (the networks generated per training step), and the log-log slope.
3. **Prediction memory.** ``predict_uncertainty`` on 1,000,000 rows with 100
   networks (``n_prediction_networks=100``) in a fresh child process; its peak
   resident set size (``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``, which counts
   torch's allocations too) must stay under 2 GiB. The rows are processed in
   chunks (``HyperGANNet._rows_per_chunk``); evaluating all of them at once
   would need ``100 * 1e6 * 50`` float32 hidden activations, 20 GB. Then, in
   this process, chunking is shown not to change the answer: the
   1,000,000-row prediction against the same rows predicted in 10 slices
   (other chunk boundaries), and the first 5,000 rows chunked against one
   unchunked pass.

About 5 minutes on one thread; ``--quick``: up to 10,000 rows, 4-8 networks,
20,000 rows predicted.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

import numpy as np

from sk_hypergan import HyperGANRegressor

from harness import results as report
from harness.data import synthetic_regression
from harness.env import REPO, log, set_threads

N_FEATURES = 8
GIB = 2**30
MEMORY_LIMIT = 2 * GIB


def make_data(n_rows, seed):
    return synthetic_regression(n_rows, seed, N_FEATURES)


def loglog_slope(x, t):
    """Least-squares slope of log(t) against log(x)."""
    return float(np.polyfit(np.log(x), np.log(t), 1)[0])


def time_fit(X, y, **params):
    est = HyperGANRegressor(max_epochs=1, early_stopping=False, **params)
    t0 = time.perf_counter()
    est.fit(X, y)
    wall = time.perf_counter() - t0
    return {"epoch_s": float(est.history_[-1, "dur"]), "fit_s": wall,
            "steps": len(est.history_[-1, "batches"])}


def _with_slopes(rows, key):
    """The timings with the log-log slope of the epoch time against ``key``,
    over all of them and between the two largest."""
    x = [r[key] for r in rows]
    t = [r["epoch_s"] for r in rows]
    return {
        "results": rows,
        "slope_all": loglog_slope(x, t),
        "slope_largest_two": loglog_slope(x[-2:], t[-2:]),
    }


def scale_rows(sizes, batch_size, seed):
    rows = []
    for n in sizes:
        X, y = make_data(n, seed)
        res = {"rows": n, **time_fit(X, y, batch_size=batch_size, random_state=seed)}
        rows.append(res)
        log(f"rows {n:>9,}: {res['epoch_s']:.2f} s/epoch ({res['steps']} steps), "
            f"fit {res['fit_s']:.2f} s")
    return {"batch_size": batch_size, **_with_slopes(rows, "rows")}


def scale_networks(counts, n_rows, seed):
    X, y = make_data(n_rows, seed)
    rows = []
    for b in counts:
        res = {"n_networks": b, **time_fit(X, y, n_networks=b, random_state=seed)}
        rows.append(res)
        log(f"n_networks {b:>3}: {res['epoch_s']:.2f} s/epoch")
    return {"n_rows": n_rows, **_with_slopes(rows, "n_networks")}


# -- prediction memory (measured in a child process) ----------------------------------------
def _memory_model(n_networks, seed):
    X, y = make_data(2000, seed)
    reg = HyperGANRegressor(max_epochs=1, n_prediction_networks=n_networks, random_state=seed)
    return reg.fit(X, y)


def _big_X(n_rows, seed):
    return np.random.RandomState(seed + 1).standard_normal((n_rows, N_FEATURES))


def _memory_child(n_rows, n_networks, seed, threads):
    """Fit a small model and predict ``n_rows`` rows; print JSON (time, RSS)."""
    set_threads(threads)
    est = _memory_model(n_networks, seed)
    X_big = _big_X(n_rows, seed)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t0 = time.perf_counter()
    est.predict_uncertainty(X_big)
    predict_s = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "rows": n_rows,
                "n_samples": n_networks,  # the key of the recorded results
                # private: None once the package no longer has it
                "rows_per_chunk": (est.net_._rows_per_chunk(n_networks)
                                   if hasattr(est.net_, "_rows_per_chunk") else None),
                "predict_s": predict_s,
                "peak_rss_before_predict_bytes": rss_before,
                "peak_rss_self_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            }
        )
    )


def chunking_check(n_rows, n_networks, seed, n_unchunked=5000):
    """Predictions do not depend on how the rows are chunked."""
    est = _memory_model(n_networks, seed)
    X_big = _big_X(n_rows, seed)
    full = est.predict_uncertainty(X_big)

    def max_diff(a, b):
        return max(float(np.max(np.abs(a[k] - b[k]))) for k in a)

    # The same rows in 10 slices (other chunk boundaries).
    slices = [est.predict_uncertainty(part) for part in np.array_split(X_big, 10)]
    sliced = {k: np.concatenate([s[k] for s in slices]) for k in full}
    # The first rows chunked (default) and in one pass (one chunk holding them all).
    n_check = min(n_unchunked, n_rows)
    chunked = est.predict_uncertainty(X_big[:n_check])
    # One chunk holding all rows: patches a private method (the unchunked comparison is
    # left out, as equal, once the package no longer has it).
    if hasattr(est.net_, "_rows_per_chunk"):
        est.net_._rows_per_chunk = lambda n_networks, max_elements=None: n_check
        unchunked = est.predict_uncertainty(X_big[:n_check])
        del est.net_._rows_per_chunk
    else:
        unchunked = chunked
    return {
        "slices_max_abs_diff": max_diff(full, sliced),
        "slices_identical": all(np.array_equal(full[k], sliced[k]) for k in full),
        "unchunked_rows": n_check,
        "unchunked_max_abs_diff": max_diff(chunked, unchunked),
        "unchunked_identical": all(np.array_equal(chunked[k], unchunked[k]) for k in full),
        "std_scale": float(np.max(full["std"])),
    }


def prediction_memory(n_rows, n_networks, seed, threads):
    code = (f"import sys; sys.path[:0] = [{str(REPO)!r}, {str(REPO / 'benchmarks')!r}]; "
            "from suites.scaling import _memory_child; "
            f"_memory_child({int(n_rows)}, {int(n_networks)}, {int(seed)}, {int(threads)})")
    cmd = [sys.executable, "-c", code]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    # ru_maxrss of the terminated children (the largest): measured by the kernel,
    # including torch's allocations that tracemalloc does not see.
    res["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    res["limit_bytes"] = MEMORY_LIMIT
    res["unchunked_hidden_bytes"] = 4 * n_networks * n_rows * 50
    res["under_limit"] = res["peak_rss_bytes"] < MEMORY_LIMIT
    log(
        f"predict {n_rows:,} rows x {n_networks} networks: {res['predict_s']:.1f} s, "
        f"peak RSS {res['peak_rss_bytes'] / GIB:.2f} GiB; checking chunking"
    )
    res.update(chunking_check(n_rows, n_networks, seed))
    tol = 1e-6 * max(res["std_scale"], 1.0)
    res["chunking_agrees"] = (
        res["slices_max_abs_diff"] <= tol and res["unchunked_max_abs_diff"] <= tol
    )
    return res


def to_markdown(r):
    rows, nets, mem = r["rows"], r["networks"], r["memory"]
    lines = [
        "# Scaling: fit time against rows and networks, prediction memory",
        "",
        f"Synthetic data, {N_FEATURES} features, default `HyperGANRegressor` with "
        f"`max_epochs=1`; torch threads: {r['environment']['torch_threads']}.",
        "",
        f"## Rows (batch size {rows['batch_size']})",
        "",
        "| rows | steps | s / epoch | fit s |",
        "|---:|---:|---:|---:|",
    ]
    for x in rows["results"]:
        lines.append(f"| {x['rows']:,} | {x['steps']} | {x['epoch_s']:.3f} | {x['fit_s']:.3f} |")
    lines += [
        "",
        f"Log-log slope of the epoch time: **{rows['slope_all']:.2f}** over all sizes, "
        f"**{rows['slope_largest_two']:.2f}** between the two largest (1 = linear).",
        "",
        f"## Networks per step ({nets['n_rows']:,} rows, default batch size)",
        "",
        "| n_networks | steps | s / epoch |",
        "|---:|---:|---:|",
    ]
    for x in nets["results"]:
        lines.append(f"| {x['n_networks']} | {x['steps']} | {x['epoch_s']:.3f} |")
    lines += [
        "",
        f"Log-log slope: **{nets['slope_all']:.2f}** over all counts, "
        f"**{nets['slope_largest_two']:.2f}** between the two largest (at most 1: "
        "no worse than linear).",
        "",
        f"## Prediction memory ({mem['rows']:,} rows, {mem['n_samples']} networks)",
        "",
        "| | |",
        "|---|---:|",
        f"| peak RSS of the child process (import, fit, data, prediction) | "
        f"**{mem['peak_rss_bytes'] / GIB:.2f} GiB** |",
        f"| peak RSS before predicting (import, fit and data) | "
        f"{mem['peak_rss_before_predict_bytes'] / GIB:.2f} GiB |",
        f"| limit | {mem['limit_bytes'] / GIB:.0f} GiB |",
        f"| hidden activations if all rows went at once | "
        f"{mem['unchunked_hidden_bytes'] / GIB:.1f} GiB |",
        f"| rows per chunk | {mem['rows_per_chunk']} |",
        f"| predict time | {mem['predict_s']:.1f} s |",
        f"| max abs difference, all rows vs 10 slices | {mem['slices_max_abs_diff']:.2e} "
        f"(identical: {mem['slices_identical']}) |",
        f"| max abs difference, {mem['unchunked_rows']:,} rows chunked vs one pass | "
        f"{mem['unchunked_max_abs_diff']:.2e} (identical: {mem['unchunked_identical']}) |",
        "",
        f"Peak RSS under 2 GiB: {report.yes_no(mem['under_limit'])}; chunking leaves the "
        f"predictions unchanged (within 1e-6 x the largest std): "
        f"{report.yes_no(mem['chunking_agrees'])}.",
        "",
        "Shared machine: other processes compete for the cores, so times vary from run "
        "to run.",
        "",
    ]
    return "\n".join(lines)


def run(opts):
    """Run the three measurements (batch size 256 for the rows scan)."""
    sizes = [1000, 10_000] if opts.quick else [1000, 10_000, 100_000, 1_000_000]
    counts = [4, 8] if opts.quick else [4, 8, 16, 32, 64]
    memory_rows = 20_000 if opts.quick else 1_000_000
    X, y = make_data(200, opts.seed)  # warm-up
    HyperGANRegressor(max_epochs=1, random_state=opts.seed).fit(X, y)
    results = {
        "benchmark": "scaling",
        "rows": scale_rows(sizes, 256, opts.seed),
        "networks": scale_networks(counts, 2000 if opts.quick else 10_000, opts.seed),
        "memory": prediction_memory(memory_rows, 100, opts.seed, opts.threads),
    }
    results["goals"] = {
        "rows_at_most_linear": results["rows"]["slope_largest_two"] <= 1.1,
        "networks_at_most_linear": results["networks"]["slope_largest_two"] <= 1.1,
        "memory_under_2GiB": results["memory"]["under_limit"],
        "chunking_agrees": results["memory"]["chunking_agrees"],
    }
    return results
