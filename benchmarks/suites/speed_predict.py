"""Prediction speed: one batched call against a Python loop over the same networks.

``HyperGANRegressor.predict_uncertainty`` evaluates ``n_prediction_networks=100`` generated
networks on every row in one batched computation (first layer: one wide GEMM
shared by all networks; later layers: one ``baddbmm`` each; rows in chunks).
The alternative a deep-ensemble user writes is a Python loop over the same 100
networks (``est.sample_networks(100)``), stacking their outputs and computing
the same mixture moments: mean, aleatoric variance (mean of the variances) and
epistemic variance (variance of the means). Both run in the same process,
timed alternately, so machine noise hits both alike.

Reported per number of rows: the two wall-clock times (minimum and median of
``--repeats`` alternating runs), the speedup (loop / batched, from the minima),
the largest difference between the two answers, and the achieved GFLOP/s of the
batched path, counting the MLP's multiply-adds only,
``2 * rows * networks * (d*h + h*out)`` (d=8 features, h=50 hidden units,
out=2: mean and raw variance); bias, ReLU and softplus are negligible. The
roofline beside it is torch's own float32 GFLOP/s on a 2048x2048 matmul,
measured in the same run with the same thread count.

Goal: faster than the loop at every size, at least 5x at <= 1,000 rows.

About 3 minutes on one thread; ``--quick``: 100 and 1,000 rows, 3 repeats.
``--device cuda`` runs both on the GPU (``speed_predict_cuda.*``).
"""

from __future__ import annotations

import time

import numpy as np
import torch

from sk_hypergan import HyperGANRegressor

from harness import results as report
from harness.data import synthetic_regression
from harness.env import log, synchronize
from harness.methods import jsonable_params

N_FEATURES = 8
HIDDEN = 50  # the default target, mlp((50,))
N_OUT = 2  # mean and raw variance
N_NETWORKS = 100  # networks evaluated


def make_model(n_prediction_networks, seed, fit_rows=2000, fit_epochs=2, device="cpu"):
    """A default regressor fitted briefly on synthetic data (only the timing matters)."""
    X, y = synthetic_regression(fit_rows, seed, N_FEATURES)
    # Uncalibrated (calibration=None), as the standalone networks of the loop are: the
    # answers then compare exactly; calibration is one multiplication of the result.
    est = HyperGANRegressor(
        max_epochs=fit_epochs, n_prediction_networks=n_prediction_networks, random_state=seed,
        device=device,
        calibration=None,
    )
    return est.fit(X, y)


def loop_uncertainty(networks, X):
    """What a deep-ensemble user writes: one network at a time, then the moments
    (on the device the networks are on; the answers come back to the host)."""
    device = next(networks[0].parameters()).device
    Xt = torch.as_tensor(X, dtype=torch.float32, device=device)
    with torch.no_grad():
        out = torch.stack([net(Xt) for net in networks]).cpu().double()  # (B, rows, [mean, var])
    means, variances = out[..., 0], out[..., 1]
    mean = means.mean(0).numpy()
    aleatoric = variances.mean(0).numpy()
    epistemic = means.var(0, unbiased=False).numpy()
    return {
        "mean": mean,
        "std": np.sqrt(aleatoric + epistemic),
        "aleatoric_std": np.sqrt(aleatoric),
        "epistemic_std": np.sqrt(epistemic),
    }


def matmul_gflops(size=2048, repeats=5, device="cpu"):
    """torch's float32 GFLOP/s on a ``size x size`` matmul (best of ``repeats``)."""
    a, b = torch.randn(size, size, device=device), torch.randn(size, size, device=device)

    def product():
        a @ b
        synchronize(device)

    product()  # warm-up
    best = min(_timed(product)[0] for _ in range(repeats))
    return 2 * size**3 / best / 1e9


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def mlp_flops(rows, networks):
    return 2 * rows * networks * (N_FEATURES * HIDDEN + HIDDEN * N_OUT)


def bench_size(est, networks, rows, repeats, seed):
    X = np.random.RandomState(seed + rows).standard_normal((rows, N_FEATURES))
    batched_t, loop_t = [], []
    for _ in range(repeats):  # alternate, so load on the machine hits both alike
        t, batched = _timed(lambda: est.predict_uncertainty(X))
        batched_t.append(t)
        t, looped = _timed(lambda: loop_uncertainty(networks, X))
        loop_t.append(t)
    diff = {k: float(np.max(np.abs(batched[k] - looped[k]))) for k in looped}
    scale = float(np.max(np.abs(looped["std"])))
    flops = mlp_flops(rows, len(networks))
    return {
        "rows": rows,
        "batched_s": {
            "min": min(batched_t), "median": float(np.median(batched_t)), "all": batched_t
        },
        "loop_s": {"min": min(loop_t), "median": float(np.median(loop_t)), "all": loop_t},
        "speedup": min(loop_t) / min(batched_t),
        "speedup_median": float(np.median(loop_t) / np.median(batched_t)),
        "flops": flops,
        "batched_gflops": flops / min(batched_t) / 1e9,
        "loop_gflops": flops / min(loop_t) / 1e9,
        "max_abs_diff": diff,
        "agree": all(d <= 1e-4 * max(scale, 1.0) for d in diff.values()),
    }


def to_markdown(results):
    r = results
    lines = [
        "# Prediction speed: batched `predict_uncertainty` vs a loop over the networks",
        "",
        f"{r['n_networks']} networks (`n_prediction_networks`), default `mlp((50,))` target, "
        f"{N_FEATURES} features; device: {report.device_line(r)}; torch threads: "
        f"{r['environment']['torch_threads']}. "
        "Times are the minimum (median) of "
        f"{r['repeats']} alternating runs ({max(2, r['repeats'] // 2)} above 10,000 rows), in "
        "seconds; speedup = loop / batched (minima). "
        "GFLOP/s count the MLP's multiply-adds, `2*rows*networks*(d*h + h*out)`.",
        "",
        "Roofline: torch float32 2048x2048 matmul on the same device in the same run: "
        f"**{r['matmul_gflops']:.1f} GFLOP/s**.",
        "",
        "| rows | batched s | loop s | speedup | batched GFLOP/s | % of matmul | answers agree |",
        "|---:|---:|---:|---:|---:|---:|:--:|",
    ]
    for s in r["sizes"]:
        lines.append(
            f"| {s['rows']:,} | {s['batched_s']['min']:.4f} ({s['batched_s']['median']:.4f}) "
            f"| {s['loop_s']['min']:.4f} ({s['loop_s']['median']:.4f}) "
            f"| **{s['speedup']:.1f}x** | {s['batched_gflops']:.2f} "
            f"| {100 * s['batched_gflops'] / r['matmul_gflops']:.0f} % "
            f"| {report.yes_no(s['agree'])} |"
        )
    g = r["goals"]
    lines += [
        "",
        "Goals:",
        "",
        f"- faster than the loop at every size: {report.yes_no(g['faster_everywhere'])}",
        f"- at least 5x at <= 1,000 rows: {report.yes_no(g['5x_small'])}",
        "",
        "Shared machine: other processes compete for the cores, so absolute times vary "
        "from run to run; the ratios come from runs interleaved in one process.",
        "",
    ]
    return "\n".join(lines)


def run(opts):
    """Time the batched call against the loop at each size on ``opts.device``."""
    args, n_networks = opts, N_NETWORKS
    sizes = [100, 1000] if args.quick else [100, 1000, 10000, 100000]
    repeats = 3 if args.quick else 7

    log(f"fitting the model ({n_networks} prediction networks)")
    est = make_model(n_networks, args.seed, device=args.device)
    # The same networks predict averages, moved to the device once (as a user
    # keeping an ensemble on the GPU would).
    networks = [net.to(args.device) for net in est.sample_networks(n_networks)]
    roof = [matmul_gflops(device=args.device)]
    results = {
        "benchmark": "speed_predict",
        "device": args.device,
        "n_networks": n_networks,
        "n_features": N_FEATURES,
        "hidden": HIDDEN,
        "repeats": repeats,
        "estimator": jsonable_params(est),
        "sizes": [],
    }
    for rows in sizes:
        # Fewer repeats at the largest sizes keep the default run short.
        n_rep = repeats if rows <= 10_000 else max(2, repeats // 2)
        bench_size(est, networks, min(rows, 100), 1, args.seed)  # warm-up
        res = bench_size(est, networks, rows, n_rep, args.seed)
        results["sizes"].append(res)
        log(
            f"{rows:>9,} rows: batched {res['batched_s']['min']:.4f}s  "
            f"loop {res['loop_s']['min']:.4f}s  "
            f"speedup {res['speedup']:.1f}x  {res['batched_gflops']:.2f} GFLOP/s"
        )
    roof.append(matmul_gflops(device=args.device))
    results["matmul_gflops"] = max(roof)
    results["matmul_gflops_runs"] = roof
    results["goals"] = {
        "faster_everywhere": all(s["speedup"] > 1 for s in results["sizes"]),
        "5x_small": all(s["speedup"] >= 5 for s in results["sizes"] if s["rows"] <= 1000),
    }
    return results



def blocks(results, style="md"):
    """``table``: per number of rows, batched and loop seconds (minima) and the speedup."""
    rows = [[f"{s['rows']:,}", f"{s['batched_s']['min']:.4f}", f"{s['loop_s']['min']:.4f}",
             f"{s['speedup']:.1f}x"] for s in results["sizes"]]
    columns = ["rows", "batched s", "loop over networks s", "speedup"]
    note = (f"{results['n_networks']} networks, device: {report.device_line(results)}, "
            f"torch threads: {results['environment']['torch_threads']}.\n\n")
    return {"table": note + report.table(columns, rows, style)}
