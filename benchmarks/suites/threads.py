"""Thread policy: a default fit against a one-thread fit, on an idle and on a loaded machine.

``HyperGANRegressor(n_threads=1)`` (the default) sets torch's intra-op threads to 1 inside
``fit`` and ``predict`` and restores the caller's setting after. This suite measures what
that buys against torch's own default (every core: ``n_threads=None`` with
``torch.set_num_threads(os.cpu_count())``) on the README quick start's data (``load_diabetes``,
a 75/25 split) and UCI boston (split 0), each in a ``StandardScaler`` pipeline:

- ``default``: the estimator as shipped, torch's global setting left at every core (what a
  user's process has);
- ``one_thread``: ``n_threads=1`` after ``torch.set_num_threads(1)`` (the reference);
- ``torch_default``: ``n_threads=None``, every core (the behaviour before the policy).

Each runs idle and "loaded" (one busy process per other core, spinning in NumPy, started
before and stopped after the timings). Times are the median of ``repeats`` alternating
fits. Goal (the fit-cost issue): ``default`` at most 1.5x ``one_thread``, idle and loaded.

``--quick``: 200 rows of the quick start, 3 epochs, one repeat.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time

import numpy as np
import torch
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_hypergan import HyperGANRegressor

from harness import data as datasets_
from harness.env import log
from harness.results import fmt, table, yes_no

NAME = "threads"
SETTINGS = ("default", "one_thread", "torch_default")
GOAL = 1.5


def _spin(stop):
    """Keep one core busy until ``stop`` is set (a loaded machine's other process)."""
    a = np.random.default_rng(0).standard_normal((200, 200))
    while not stop.is_set():
        a = np.tanh(a @ a.T / 200)


class _Load:
    """``n`` busy processes while the block runs."""

    def __init__(self, n):
        self.n = n

    def __enter__(self):
        ctx = mp.get_context("spawn")
        self.stop = ctx.Event()
        self.procs = [ctx.Process(target=_spin, args=(self.stop,), daemon=True)
                      for _ in range(self.n)]
        for p in self.procs:
            p.start()
        time.sleep(1.0)  # let them reach the loop
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for p in self.procs:
            p.join(timeout=10)
            if p.is_alive():
                p.terminate()


def _fit_seconds(setting, X, y, quick, cores):
    params = {"random_state": 0}
    if quick:
        params["max_epochs"] = 3
    if setting == "one_thread":
        torch.set_num_threads(1)
        params["n_threads"] = 1
    else:
        torch.set_num_threads(cores)
        if setting == "torch_default":
            params["n_threads"] = None
    model = make_pipeline(StandardScaler(), HyperGANRegressor(**params))
    start = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - start


def _data(quick):
    X, y = load_diabetes(return_X_y=True)
    X_tr, _, y_tr, _ = train_test_split(X, y, test_size=0.25, random_state=0)
    sets = {"quickstart": (X_tr[:200], y_tr[:200]) if quick else (X_tr, y_tr)}
    if not quick:
        X_b, y_b, _, _ = datasets_.load_uci("boston", 0)
        sets["boston"] = (X_b, y_b)
    return sets


def run(opts):
    """Median fit seconds per data set, load and setting; ratios to one thread."""
    cores = os.cpu_count() or 1
    repeats = 1 if opts.quick else 2
    previous = torch.get_num_threads()
    rows = []
    sets = _data(opts.quick)
    X0, y0 = next(iter(sets.values()))
    _fit_seconds("one_thread", X0[:50], y0[:50], True, cores)  # first-call costs stay out
    try:
        for name, (X, y) in sets.items():
            for load in ("idle", "loaded"):
                with _Load(cores - 1 if load == "loaded" else 0):
                    times = {s: [] for s in SETTINGS}
                    for _ in range(repeats):
                        for setting in SETTINGS:
                            times[setting].append(_fit_seconds(setting, X, y, opts.quick,
                                                               cores))
                med = {s: float(np.median(t)) for s, t in times.items()}
                row = {"dataset": name, "load": load, "seconds": med,
                       "default_over_one": med["default"] / med["one_thread"],
                       "torch_default_over_one": med["torch_default"] / med["one_thread"]}
                log(f"[threads] {name} {load}: " + ", ".join(f"{s} {v:.2f} s"
                                                              for s, v in med.items()))
                rows.append(row)
    finally:
        torch.set_num_threads(previous)
    worst = max(r["default_over_one"] for r in rows)
    return {
        "benchmark": NAME,
        "config": {"cores": cores, "repeats": repeats, "quick": opts.quick},
        "rows": rows,
        "goals": {"default_at_most_1_5x_one_thread": worst <= GOAL,
                  "worst_default_over_one": worst},
    }


def thread_table(results, style="md"):
    rows = [[r["dataset"], r["load"], fmt(r["seconds"]["default"], 2),
             fmt(r["seconds"]["one_thread"], 2), fmt(r["seconds"]["torch_default"], 2),
             fmt(r["default_over_one"], 2), fmt(r["torch_default_over_one"], 2)]
            for r in results["rows"]]
    columns = ["data", "machine", "default s", "1 thread s", "all cores s",
               "default / 1 thread", "all cores / 1 thread"]
    return table(columns, rows, style)


def blocks(results, style="md"):
    return {"table": thread_table(results, style)}


def to_markdown(results):
    g = results["goals"]
    return "\n".join([
        "# Thread policy: default fit vs one thread, idle and loaded", "",
        f"{results['config']['cores']} cores; median of {results['config']['repeats']} "
        "alternating fits; 'loaded' = one busy process per other core.", "",
        thread_table(results), "",
        f"- default at most {GOAL}x one thread, idle and loaded: "
        f"{yes_no(g['default_at_most_1_5x_one_thread'])} (worst "
        f"{fmt(g['worst_default_over_one'], 2)}x)", "",
    ])
