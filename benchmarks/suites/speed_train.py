"""Training speed: seconds per epoch of HyperGAN against a 5-member deep ensemble.

One epoch of ``HyperGANRegressor`` (defaults: 16 networks generated per step,
discriminator on) is one pass over the rows in minibatches, each step training
the mixer, the generators and the discriminator. One epoch of the deep ensemble
is measured twice, with the same batch size: the reference batched ensemble
(``harness.reference_ensemble.BatchedEnsembleRegressor``, 5 members in one batched
computation), the peer of the comparison, and the older 5 members trained one after
another (``harness.baselines.DeepEnsembleRegressor``), labelled so. They fit the same
10,000-row synthetic dataset (8 features) in
the same process, alternately, ``--repeats`` times. Two batch sizes are
measured (``--batch-sizes``): HyperGAN's default (``"auto"``, resolved for the
data; the ensemble gets the resolved number) and 32 (many small steps, where
per-step overhead weighs most).

Reported: HyperGAN's epoch time from its history (``history_[:, "dur"]``, the
median over epochs and repeats) and as wall-clock fit time / epochs (includes
building and initialising the hypernetwork); the ensemble's fit time / epochs;
their ratio; and HyperGAN with ``beta=0`` (no discriminator step), which shows
what the discriminator costs.

Goal: a HyperGAN epoch no slower than the ensemble's.

About 4 minutes on one thread; ``--quick``: 1,000 rows, one epoch, one repeat.
``--device cuda`` trains every method on the GPU (``speed_train_cuda.*``).
"""

from __future__ import annotations

import time

import numpy as np

from sk_hypergan import HyperGANRegressor

from harness import results as report
from harness.baselines import DeepEnsembleRegressor
from harness.env import log, synchronize
from harness.methods import jsonable_params
from harness.reference_ensemble import BatchedEnsembleRegressor

N_FEATURES = 8


def make_data(n_rows, seed):
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n_rows, N_FEATURES))
    y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2] + 0.1 * rng.standard_normal(n_rows)
    return X, y


def _fit_timed(est, X, y):
    t0 = time.perf_counter()
    est.fit(X, y)
    synchronize(est.device)  # the ensemble's last steps may still be queued
    return time.perf_counter() - t0


def measure(n_rows, epochs, repeats, seed, batch_size=None, device="cpu"):
    """One configuration; ``batch_size=None`` keeps HyperGAN's default."""
    X, y = make_data(n_rows, seed)
    # The same rows as the ensemble every epoch: no held-out split.
    extra = {"early_stopping": False, "device": device}
    if batch_size is not None:
        extra["batch_size"] = batch_size
    hyper = HyperGANRegressor(max_epochs=epochs, random_state=seed, **extra)
    no_disc = HyperGANRegressor(max_epochs=epochs, beta=0.0, random_state=seed, **extra)
    ensemble = None
    times = {"hypergan_history": [], "hypergan_wall": [], "hypergan_beta0_history": [],
             "ensemble_wall": [], "reference_ensemble_wall": []}
    for r in range(repeats):  # alternate, so load on the machine hits all alike
        wall = _fit_timed(hyper, X, y)
        if ensemble is None:  # the batch size HyperGAN resolved for this data
            ensemble = DeepEnsembleRegressor(
                n_members=5,
                max_epochs=epochs,
                batch_size=int(hyper.net_.batch_size),
                random_state=seed,
                device=device,
            )
            reference = BatchedEnsembleRegressor(
                max_epochs=epochs, batch_size=int(hyper.net_.batch_size), random_state=seed,
                device=device,
            )
        times["hypergan_history"] += [float(d) for d in hyper.history_[:, "dur"]]
        times["hypergan_wall"].append(wall / epochs)
        _fit_timed(no_disc, X, y)
        times["hypergan_beta0_history"] += [float(d) for d in no_disc.history_[:, "dur"]]
        times["ensemble_wall"].append(_fit_timed(ensemble, X, y) / epochs)
        times["reference_ensemble_wall"].append(_fit_timed(reference, X, y) / epochs)
        log(
            f"repeat {r + 1}/{repeats}: "
            f"hypergan {np.median(times['hypergan_history']):.2f} s/epoch, "
            f"ensemble {np.median(times['ensemble_wall']):.2f} s/epoch"
        )
    summary = {k: {"median": float(np.median(v)), "min": float(np.min(v)), "all": v}
               for k, v in times.items()}
    ens = summary["ensemble_wall"]["median"]
    ref = summary["reference_ensemble_wall"]["median"]
    steps = int(np.ceil(n_rows / ensemble.batch_size))
    return {
        "batch_size_param": "default" if batch_size is None else batch_size,
        "batch_size": ensemble.batch_size,
        "n_rows": n_rows,
        "epochs": epochs,
        "repeats": repeats,
        "steps_per_epoch": steps,
        "seconds_per_epoch": summary,
        "ratio_hypergan_to_ensemble": summary["hypergan_history"]["median"] / ens,
        "ratio_hypergan_to_reference_ensemble": summary["hypergan_history"]["median"] / ref,
        "ratio_hypergan_wall_to_ensemble": summary["hypergan_wall"]["median"] / ens,
        "ratio_hypergan_beta0_to_ensemble": summary["hypergan_beta0_history"]["median"] / ens,
        "ms_per_step": {
            "hypergan": 1e3 * summary["hypergan_history"]["median"] / steps,
            "hypergan_beta0": 1e3 * summary["hypergan_beta0_history"]["median"] / steps,
            "ensemble_5_members": 1e3 * ens / steps,
            "reference_ensemble": 1e3 * ref / steps,
        },
        "estimators": {
            "hypergan": jsonable_params(hyper),
            "ensemble": jsonable_params(ensemble),
            "reference_ensemble": jsonable_params(reference),
        },
    }


def to_markdown(results):
    lines = [
        "# Training speed: seconds per epoch, HyperGAN vs 5-member deep ensembles",
        "",
        f"Device: {report.device_line(results)}; torch threads: "
        f"{results['environment']['torch_threads']}. "
        "Median (minimum) seconds per epoch over the epochs and alternating repeats. "
        "HyperGAN runs with `early_stopping=False` here, so both methods train on the same "
        "rows every epoch (with early stopping, 10% of the rows are held out and scored "
        "once per epoch instead).",
        "",
    ]
    for r in results["configs"]:
        lines += _config_markdown(r)
    lines += [
        "Shared machine: other processes compete for the cores, so absolute times vary "
        "from run to run; compare the ratios, measured alternately in one process.",
        "",
    ]
    return "\n".join(lines)


def _config_markdown(r):
    s = r["seconds_per_epoch"]

    def cell(key):
        return f"{s[key]['median']:.3f} ({s[key]['min']:.3f})"

    default = " (HyperGAN's default)" if r["batch_size_param"] == "default" else ""
    lines = [
        f"## Batch size {r['batch_size']}{default}",
        "",
        f"{r['n_rows']:,} rows x {N_FEATURES} features, {r['steps_per_epoch']} steps per "
        f"epoch, {r['epochs']} epochs x {r['repeats']} alternating repeats.",
        "",
        "| method | s / epoch | ms / step | vs sequential ensemble |",
        "|---|---:|---:|---:|",
        f"| HyperGANRegressor() (history `dur`) | {cell('hypergan_history')} "
        f"| {r['ms_per_step']['hypergan']:.2f} | {r['ratio_hypergan_to_ensemble']:.2f}x |",
        f"| HyperGANRegressor() (fit wall time / epochs) | {cell('hypergan_wall')} | - "
        f"| {r['ratio_hypergan_wall_to_ensemble']:.2f}x |",
        f"| HyperGANRegressor(beta=0), no discriminator step | {cell('hypergan_beta0_history')} "
        f"| {r['ms_per_step']['hypergan_beta0']:.2f} "
        f"| {r['ratio_hypergan_beta0_to_ensemble']:.2f}x |",
        f"| DeepEnsembleRegressor(5 members), one after another | {cell('ensemble_wall')} "
        f"| {r['ms_per_step']['ensemble_5_members']:.2f} | 1.00x |",
        *([f"| Reference batched ensemble (5 members) | {cell('reference_ensemble_wall')} "
           f"| {r['ms_per_step']['reference_ensemble']:.2f} | "
           f"{s['reference_ensemble_wall']['median'] / s['ensemble_wall']['median']:.2f}x |",
           "", f"HyperGAN / reference batched ensemble: "
           f"{r['ratio_hypergan_to_reference_ensemble']:.2f}x per epoch."]
          if "reference_ensemble_wall" in s else []),
        "",
        f"Goal: a HyperGAN epoch no slower than the sequential ensemble's: "
        f"{report.yes_no(r['goal_met'])} ({r['ratio_hypergan_to_ensemble']:.2f}x).",
        "",
    ]
    return lines


def run(opts):
    """Run both batch sizes (HyperGAN's default and 32) on ``opts.device``."""
    X, y = make_data(200, opts.seed)  # warm-up: first-call costs stay out of the timings
    HyperGANRegressor(max_epochs=1, random_state=opts.seed, device=opts.device).fit(X, y)
    DeepEnsembleRegressor(max_epochs=1, random_state=opts.seed, device=opts.device).fit(X, y)
    BatchedEnsembleRegressor(max_epochs=1, random_state=opts.seed, device=opts.device).fit(X, y)
    n_rows, epochs, repeats = (1000, 1, 1) if opts.quick else (10_000, 3, 3)
    results = {"benchmark": "speed_train", "device": opts.device, "configs": []}
    for batch in (None, 32):
        log(f"[speed_train] batch size {batch or 'default'}")
        config = measure(n_rows, epochs, repeats, opts.seed, batch, opts.device)
        config["goal_met"] = config["ratio_hypergan_to_ensemble"] <= 1.0
        results["configs"].append(config)
    results["goal_met"] = all(c["goal_met"] for c in results["configs"])
    return results


def blocks(results, style="md"):
    """``table``: per batch size, seconds per epoch of HyperGAN and of both ensembles."""
    rows = []
    for r in results["configs"]:
        s = r["seconds_per_epoch"]
        ref = s.get("reference_ensemble_wall", {}).get("median")
        rows.append([
            r["batch_size"], f"{s['hypergan_history']['median']:.3f}",
            "-" if ref is None else f"{ref:.3f}", f"{s['ensemble_wall']['median']:.3f}",
            "-" if ref is None else f"{r['ratio_hypergan_to_reference_ensemble']:.2f}x",
            f"{r['ratio_hypergan_to_ensemble']:.2f}x",
        ])
    columns = ["batch size", "HyperGAN s/epoch", "reference batched ensemble s/epoch",
               "sequential ensemble s/epoch", "vs reference", "vs sequential"]
    note = f"Device: {report.device_line(results)}.\n\n"
    return {"table": note + report.table(columns, rows, style)}
