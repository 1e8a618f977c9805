"""The 1-D toy regression of HyperGAN's paper: does uncertainty grow away from the data?

Data: ``y = x**3 + N(0, 3**2)`` on 20 points ``x ~ U(-4, 4)`` (fixed seed), as in
Ratzlaff & Fuxin (2019) and the Deep Ensembles paper. Each method is a
``make_pipeline(StandardScaler(), regressor)`` with the regressor's defaults:

- ``hypergan``: :class:`sk_hypergan.HyperGANRegressor` (defaults);
- ``reference_ensemble``: the reference batched 5-member ensemble;
- ``sequential_ensemble``: 5 Gaussian-output MLPs trained one after another
  (``harness.baselines.DeepEnsembleRegressor``, the older baseline, labelled so);
- ``mc_dropout``: MC-dropout MLP (``harness.baselines.MCDropoutRegressor``).

They predict on a grid over [-6, 6]. The score is the ratio of the mean
epistemic std outside the data (``|x| > 4``) to inside (``|x| <= 4``): a model
that knows where it has seen no data has a ratio well above 1. Goal: HyperGAN's
ratio >= 3. The data are fixed (seed 0); the methods are fitted with 5 model seeds
from ``--seed`` on (quick: one, a few epochs) and the figure shows the first.
Writes ``figures/toy1d.png`` beside the results.
"""

from __future__ import annotations

import time

import numpy as np

from sk_hypergan.display import UncertaintyBandDisplay

from harness import methods as registry
from harness import results as report
from harness.env import log
from harness.methods import QUICK_EPOCHS, jsonable_params

NAME = "toy1d"
METHODS = ("hypergan", "reference_ensemble", "sequential_ensemble", "mc_dropout")
LABELS = {
    "hypergan": "HyperGAN",
    "reference_ensemble": "Reference ensemble (5, batched)",
    "sequential_ensemble": "Deep ensemble (5, one after another)",
    "mc_dropout": "MC dropout",
}
GOAL_RATIO = 3.0
N_SEEDS = 5
N_POINTS, NOISE_STD, DATA_RANGE, GRID_RANGE = 20, 3.0, 4.0, 6.0


def true_function(x):
    return x**3


def make_data(seed):
    """The 20 training points: ``x ~ U(-4, 4)``, ``y = x**3 + N(0, 3**2)``."""
    rng = np.random.RandomState(seed)
    x = rng.uniform(-DATA_RANGE, DATA_RANGE, N_POINTS)
    y = true_function(x) + NOISE_STD * rng.standard_normal(N_POINTS)
    return x[:, None], y


def make_method(method, seed, quick=False):
    """The method's pipeline from the registry, with its defaults (quick: fewer epochs)."""
    return registry.make(method, seed, N_POINTS, quick)


def predict_uncertainty(pipeline, X):
    return pipeline[-1].predict_uncertainty(pipeline[:-1].transform(X))


def evaluate(u, grid):
    """Ratio of epistemic std outside/inside the data, and fit quality inside."""
    inside = np.abs(grid) <= DATA_RANGE
    epi_in = float(u.epistemic_std[inside].mean())
    epi_out = float(u.epistemic_std[~inside].mean())
    err = u.mean[inside] - true_function(grid[inside])
    # Gaussian NLL of fresh data y ~ x^3 + N(0, 9) at the inside grid points, in
    # expectation over the noise: 0.5 log(2 pi s^2) + (err^2 + 9) / (2 s^2).
    var = u.std[inside] ** 2
    nll = 0.5 * np.log(2 * np.pi * var) + (err**2 + NOISE_STD**2) / (2 * var)
    return {
        "epistemic_std_inside": epi_in,
        "epistemic_std_outside": epi_out,
        "ratio": epi_out / epi_in if epi_in > 0 else float("inf"),
        "rmse_vs_true_inside": float(np.sqrt(np.mean(err**2))),
        "expected_nll_inside": float(nll.mean()),
        "aleatoric_std_inside": float(u.aleatoric_std[inside].mean()),
    }


def measure(seeds, data_seed=0, quick=False, grid_size=401):
    X, y = make_data(data_seed)
    grid = np.linspace(-GRID_RANGE, GRID_RANGE, grid_size)
    results = {"methods": {}, "curves": {}}
    for method in METHODS:
        per_seed = []
        for seed in seeds:
            model = make_method(method, seed, quick)
            t0 = time.perf_counter()
            model.fit(X, y)
            fit_s = time.perf_counter() - t0
            u = predict_uncertainty(model, grid[:, None])
            record = {"seed": seed, "fit_s": fit_s, **evaluate(u, grid)}
            per_seed.append(record)
            log(
                f"[toy1d] {method} seed {seed}: ratio {record['ratio']:.2f} "
                f"(epistemic in {record['epistemic_std_inside']:.2f}, "
                f"out {record['epistemic_std_outside']:.2f}), fit {fit_s:.1f}s"
            )
            if seed == seeds[0]:
                results["curves"][method] = {
                    "mean": u.mean,
                    "std": u.std,
                    "epistemic_std": u.epistemic_std,
                }
                results["methods"][method] = {"params": jsonable_params(model)}
        ratios = np.array([r["ratio"] for r in per_seed])
        summary = {
            key: float(np.mean([r[key] for r in per_seed]))
            for key in per_seed[0]
            if key != "seed"
        }
        summary["ratio_min"] = float(ratios.min())
        summary["ratio_max"] = float(ratios.max())
        results["methods"][method].update({"per_seed": per_seed, "mean": summary})
    hg = results["methods"]["hypergan"]["mean"]
    results["goals"] = {
        "hypergan_ratio_ge_3": {
            "goal": f"HyperGAN's mean epistemic std outside the data / inside >= {GOAL_RATIO:g}",
            "value": hg["ratio"],
            "holds": bool(hg["ratio"] >= GOAL_RATIO),
            "holds_for_every_seed": bool(
                all(r["ratio"] >= GOAL_RATIO for r in results["methods"]["hypergan"]["per_seed"])
            ),
        }
    }
    results["data"] = {"x": X.ravel(), "y": y, "grid": grid, "data_seed": data_seed}
    results["seeds"] = list(seeds)
    return results


def plot(results, path):
    plt = report.pyplot()
    grid = np.asarray(results["data"]["grid"])
    x, y = np.asarray(results["data"]["x"]), np.asarray(results["data"]["y"])
    fig, axes = plt.subplots(1, len(METHODS), figsize=(5 * len(METHODS), 4.2), sharey=True)
    for ax, method in zip(axes, METHODS):
        c = results["curves"][method]
        UncertaintyBandDisplay(
            x=grid,
            mean=c["mean"],
            std=c["std"],
            epistemic_std=c["epistemic_std"],
            x_data=x,
            y_data=y,
            n_std=2.0,
            estimator_name=None,
        ).plot(ax=ax)
        ax.plot(grid, true_function(grid), "k--", lw=1, label="true $x^3$")
        for edge in (-DATA_RANGE, DATA_RANGE):
            ax.axvline(edge, color="grey", lw=0.5)
        ratio = results["methods"][method]["per_seed"][0]["ratio"]
        ax.set_title(f"{LABELS[method]} (epistemic out/in = {ratio:.1f})")
        ax.set_ylim(-250, 250)
        ax.legend(loc="upper left", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _report(results, quick):
    lines = [
        "# 1-D toy regression (HyperGAN paper, Sec. 5)",
        "",
        f"`y = x^3 + N(0, 3^2)`, {N_POINTS} points with `x ~ U(-4, 4)` (data seed "
        f"{results['data']['data_seed']}), predictions on [-6, 6]; every method in "
        "`make_pipeline(StandardScaler(), ...)` with its defaults; mean over model seeds "
        f"{results['seeds']} (the figure shows seed {results['seeds'][0]}).",
        "",
    ]
    if quick:
        lines += [f"**Quick smoke run ({QUICK_EPOCHS} epochs): not meaningful.**", ""]
    lines += [
        "| method | epistemic std, \\|x\\| <= 4 | epistemic std, \\|x\\| > 4 | ratio out/in "
        "(min-max over seeds) | RMSE vs x^3 inside | expected NLL inside | fit s |",
        "|---|---|---|---|---|---|---|",
    ]
    for method in METHODS:
        m = results["methods"][method]["mean"]
        lines.append(
            f"| {LABELS[method]} | {m['epistemic_std_inside']:.2f} | "
            f"{m['epistemic_std_outside']:.2f} | {m['ratio']:.2f} "
            f"({m['ratio_min']:.2f}-{m['ratio_max']:.2f}) | {m['rmse_vs_true_inside']:.2f} | "
            f"{m['expected_nll_inside']:.2f} | {m['fit_s']:.1f} |"
        )
    g = results["goals"]["hypergan_ratio_ge_3"]
    lines += [
        "",
        "## Goal",
        "",
        "| goal | HyperGAN | holds (mean) | holds for every seed |",
        "|---|---|---|---|",
        f"| {g['goal']} | {g['value']:.2f} | {report.yes_no(g['holds'])} | "
        f"{report.yes_no(g['holds_for_every_seed'])} |",
        "",
        "Expected NLL inside: the Gaussian NLL of a fresh observation at the grid points "
        "with |x| <= 4, averaged over the known noise N(0, 9).",
        "",
        "![toy1d](figures/toy1d.png)",
        "",
    ]
    return "\n".join(lines)


def run(opts):
    """Run the suite (``--seed``: first model seed; quick: one seed, a few epochs) and draw
    the figure under ``<out>/figures``."""
    seeds = [opts.seed + i for i in range(1 if opts.quick else N_SEEDS)]
    results = measure(seeds, data_seed=0, quick=opts.quick)
    results["quick"] = opts.quick
    results["figure"] = f"{report.stem(NAME, opts.quick, tag=opts.tag)}.png"
    plot(results, report.figure_dir(opts.out) / results["figure"])
    return results


def blocks(results, style="md"):
    """``ratios``: each method's epistemic std outside the data over inside."""
    rows = [[LABELS.get(m, m), f"{r['mean']['ratio']:.2f}",
             f"{r['mean']['rmse_vs_true_inside']:.2f}"]
            for m, r in results["methods"].items()]
    return {"ratios": report.table(["method", "epistemic std out / in", "RMSE to x^3 inside"], rows,
                                   style)}


def to_markdown(results):
    """The report, with the figure."""
    return _report(results, results["quick"]).replace(
        "figures/toy1d.png", f"figures/{results['figure']}")
