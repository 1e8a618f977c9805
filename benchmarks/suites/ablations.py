"""HyperGAN's ablations at tabular scale: what keeps the generated networks diverse?

The paper (Ratzlaff & Fuxin, 2019) reports that without the discriminator the
diversity of the generated networks drops, and that without the mixer the
accuracy holds but the diversity "suffers significantly". This script fits
:class:`sk_hypergan.HyperGANClassifier` (``mlp()`` target) on digits
0-4 (the split of the ``ood_digits`` suite) in six configurations, changing only the
switch under test. The base is the paper's HyperGAN, the defaults with
``regularizer="discriminator"`` (the classifier's default is MINE, configuration (d)):

- ``full``: the paper's (mixer + discriminator; ``mixup_diversity`` off);
- ``no_discriminator``: ``beta=0`` (the mixer is trained on the data loss only);
- ``no_mixer``: ``use_mixer=False`` (per-layer codes drawn independently from
  N(0, I); no regulariser can act);
- ``mine``: ``regularizer="mine"`` (MINE mutual information instead of D, the
  second reference; the classifier's defaults);
- ``plateau_lr``: ``lr_schedule="plateau"`` (not the paper's: the regressor's
  default learning-rate cut on a stalled held-out loss, which the classifier's
  ``"auto"`` leaves off: does it change the classifier?);
- ``mixup_diversity``: ``mixup_diversity=0.3`` (not the paper's: the package's
  function-space term added, at its former default weight).

Measures:

- weight diversity, the paper's measure: per target layer, std / mean of the L2
  norm of 100 sampled weight sets (:func:`sk_hypergan.weight_diversity`);
- functional diversity, because networks can differ in function while their
  norms agree: the mean pairwise disagreement of the arg-max predictions of the
  100 prediction networks, and the mean epistemic score (mutual information),
  on the 0-4 test split and on digits 5-9;
- accuracy on the 0-4 test split, and OOD AUROC (0-4 test vs 5-9) with the
  epistemic score and with total entropy;
- for ``full``, the weight diversity during training (every few epochs), to
  check the paper's "diversity falls over training".

The paper's claim "removing D or the mixer lowers diversity" is reported as
holding or not, whichever way it comes out.

Seeds: ``--splits`` (default 0); ``--methods`` picks configurations. Quick: a few
epochs. Writes ``figures/<stem>.png`` beside the results.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from sklearn.metrics import accuracy_score, roc_auc_score
from skorch.callbacks import Callback

from sk_hypergan import HyperGANClassifier, weight_diversity
from sk_hypergan.targets import mlp

from harness import results as report
from harness import scoring
from harness.env import log
from harness.methods import QUICK_EPOCHS
from suites.ood_digits import load_data

NAME = "ablations"
#: The paper's configuration, which every other one changes in one switch.
PAPER = {"regularizer": "discriminator"}
CONFIGS = {
    "full": PAPER,
    "no_discriminator": {**PAPER, "beta": 0.0},
    "no_mixer": {**PAPER, "use_mixer": False},
    "mine": {**PAPER, "regularizer": "mine"},
    # Not the paper's: the regressor's default learning-rate schedule, which
    # the classifier's "auto" leaves off.
    "plateau_lr": {**PAPER, "lr_schedule": "plateau"},
    # Not the paper's either: the function-space term this package offers
    # (off by default), at its former default weight.
    "mixup_diversity": {**PAPER, "mixup_diversity": 0.3},
}
LABELS = {
    "full": "(a) full HyperGAN (the paper's D)",
    "no_discriminator": "(b) beta=0 (no D)",
    "no_mixer": "(c) use_mixer=False",
    "mine": "(d) regularizer='mine' (default)",
    "plateau_lr": "(e) lr_schedule='plateau'",
    "mixup_diversity": "(f) mixup_diversity=0.3",
}
N_DIVERSITY = 100


class DiversityTrace(Callback):
    """Record the paper's per-layer weight diversity every ``every`` epochs
    (the same computation as :func:`sk_hypergan.weight_diversity`, on the net)."""

    def __init__(self, every=10, n=N_DIVERSITY, seed=0):
        self.every = every
        self.n = n
        self.seed = seed

    def initialize(self):
        self.trace_ = []
        return self

    def _measure(self, net):
        noise = net.module_.sample_noise(self.n, generator=torch.Generator().manual_seed(self.seed))
        params = net.generate(noise)
        out = {}
        for layer in net.module_.target.layers:
            flat = torch.cat([params[p].reshape(self.n, -1) for p in layer.param_names], dim=1)
            norms = torch.linalg.vector_norm(flat.double().cpu(), dim=1).numpy()
            out[layer.name] = float(norms.std() / norms.mean())
        return out

    def on_train_begin(self, net, **kwargs):
        self.trace_.append({"epoch": 0, **self._measure(net)})

    def on_epoch_end(self, net, **kwargs):
        epoch = len(net.history)
        if epoch % self.every == 0:
            self.trace_.append({"epoch": epoch, **self._measure(net)})


def member_proba(model, X, n=None):
    """Probabilities of the prediction networks ``(n, rows, classes)``, from
    ``sample_networks`` (the very networks ``predict_proba`` averages)."""
    networks = model.sample_networks(model.n_prediction_networks if n is None else n)
    X = torch.as_tensor(np.asarray(X, dtype=np.float32))
    with torch.no_grad():
        return np.stack([torch.softmax(net(X), dim=-1).numpy() for net in networks])


def evaluate(model, X_te, y_te, X_ood):
    p_in, p_ood = member_proba(model, X_te), member_proba(model, X_ood)
    proba = p_in.mean(axis=0)
    mi_in, mi_ood = scoring.mutual_information(p_in), scoring.mutual_information(p_ood)
    h_in, h_ood = scoring.entropy(proba), scoring.entropy(p_ood.mean(axis=0))
    is_ood = np.r_[np.zeros(len(X_te)), np.ones(len(X_ood))]
    weight_div = weight_diversity(model, n=N_DIVERSITY, random_state=0)
    return {
        "weight_diversity": weight_div,
        "weight_diversity_mean": float(np.mean(list(weight_div.values()))),
        "disagreement_in": scoring.mean_pairwise_disagreement(p_in),
        "disagreement_ood": scoring.mean_pairwise_disagreement(p_ood),
        "mean_mi_in": float(mi_in.mean()),
        "mean_mi_ood": float(mi_ood.mean()),
        "accuracy": float(accuracy_score(y_te, model.classes_[proba.argmax(axis=1)])),
        "auroc_epistemic": float(roc_auc_score(is_ood, np.r_[mi_in, mi_ood])),
        "auroc_entropy": float(roc_auc_score(is_ood, np.r_[h_in, h_ood])),
    }


SCALARS = (
    "weight_diversity_mean",
    "disagreement_in",
    "disagreement_ood",
    "mean_mi_in",
    "mean_mi_ood",
    "accuracy",
    "auroc_epistemic",
    "auroc_entropy",
    "fit_s",
)


def measure(seeds, configs=tuple(CONFIGS), quick=False, trace_every=10):
    extra = {"max_epochs": QUICK_EPOCHS} if quick else {}
    results = {"configs": {}}
    for name in configs:
        records, trace = [], None
        for seed in seeds:
            X_tr, y_tr, X_te, y_te, X_ood = load_data(seed)
            callbacks = None
            if name == "full" and seed == seeds[0]:
                callbacks = [("diversity_trace", DiversityTrace(every=1 if quick else trace_every))]
            model = HyperGANClassifier(
                mlp(), callbacks=callbacks, random_state=seed, **CONFIGS[name], **extra
            )
            t0 = time.perf_counter()
            model.fit(X_tr, y_tr)
            fit_s = time.perf_counter() - t0
            record = {"seed": seed, "fit_s": fit_s, **evaluate(model, X_te, y_te, X_ood)}
            records.append(record)
            if callbacks:
                trace = dict(model.net_.callbacks_)["diversity_trace"].trace_
            log(
                f"[ablations] {name} seed {seed}: weight div {record['weight_diversity']} "
                f"disagree in/ood {record['disagreement_in']:.4f}/{record['disagreement_ood']:.4f} "
                f"MI in/ood {record['mean_mi_in']:.4f}/{record['mean_mi_ood']:.4f} "
                f"acc {record['accuracy']:.4f} auroc(MI) {record['auroc_epistemic']:.4f} "
                f"fit {fit_s:.1f}s"
            )
        layers = list(records[0]["weight_diversity"])
        mean = {k: float(np.mean([r[k] for r in records])) for k in SCALARS}
        mean["weight_diversity"] = {
            layer: float(np.mean([r["weight_diversity"][layer] for r in records]))
            for layer in layers
        }
        results["configs"][name] = {
            "params": {**CONFIGS[name], **extra},
            "per_seed": records,
            "mean": mean,
        }
        if trace is not None:
            results["configs"][name]["diversity_trace"] = trace
    results["claims"] = claims(results)
    results["seeds"] = list(seeds)
    return results


def claims(results):
    """Does removing D or the mixer lower diversity (weight and functional)?"""
    cfg = results["configs"]
    if "full" not in cfg:
        return {}
    full = cfg["full"]["mean"]
    out = {}
    ablated = (("no_discriminator", "removing D (beta=0)"), ("no_mixer", "removing the mixer"))
    for name, text in ablated:
        if name not in cfg:
            continue
        abl = cfg[name]["mean"]
        out[name] = {
            "claim": f"{text} lowers diversity",
            "weight_diversity": {
                "full": full["weight_diversity_mean"],
                "ablation": abl["weight_diversity_mean"],
                "holds": bool(abl["weight_diversity_mean"] < full["weight_diversity_mean"]),
            },
            "disagreement_ood": {
                "full": full["disagreement_ood"],
                "ablation": abl["disagreement_ood"],
                "holds": bool(abl["disagreement_ood"] < full["disagreement_ood"]),
            },
            "mean_mi_ood": {
                "full": full["mean_mi_ood"],
                "ablation": abl["mean_mi_ood"],
                "holds": bool(abl["mean_mi_ood"] < full["mean_mi_ood"]),
            },
        }
    if "no_mixer" in cfg:
        acc_full, acc_nm = full["accuracy"], cfg["no_mixer"]["mean"]["accuracy"]
        out["no_mixer_accuracy_holds"] = {
            "claim": "without the mixer the accuracy holds (within 1 point of full)",
            "full": acc_full,
            "ablation": acc_nm,
            "holds": bool(acc_nm >= acc_full - 0.01 - 1e-12),
        }
    trace = cfg["full"].get("diversity_trace")
    if trace and len(trace) >= 3:
        layers = [k for k in trace[0] if k != "epoch"]
        mean_div = [float(np.mean([t[k] for k in layers])) for t in trace]
        peak = int(np.argmax(mean_div))
        out["diversity_falls_over_training"] = {
            "claim": "diversity falls over training (full config, mean over layers)",
            "peak_epoch": trace[peak]["epoch"],
            "peak": mean_div[peak],
            "final": mean_div[-1],
            "holds": bool(mean_div[-1] < mean_div[peak]),
        }
    return out


def plot(results, path):
    plt = report.pyplot()
    cfg = results["configs"]
    names = list(cfg)
    has_trace = "diversity_trace" in cfg.get("full", {})
    ncols = 3 if has_trace else 2
    fig, axes = plt.subplots(1, ncols, figsize=(5 * ncols, 4))
    layers = list(cfg[names[0]]["mean"]["weight_diversity"])
    width = 0.8 / len(layers)
    x = np.arange(len(names))
    for i, layer in enumerate(layers):
        axes[0].bar(
            x + (i - (len(layers) - 1) / 2) * width,
            [cfg[n]["mean"]["weight_diversity"][layer] for n in names],
            width,
            label=f"layer {layer}",
        )
    axes[0].set_xticks(x, [LABELS[n] for n in names], rotation=20, ha="right", fontsize=8)
    axes[0].set_ylabel("std / mean of L2 norm (100 nets)")
    axes[0].set_title("Weight diversity (paper's measure)")
    axes[0].legend(fontsize=8)
    width = 0.4
    axes[1].bar(x - width / 2, [cfg[n]["mean"]["disagreement_in"] for n in names], width,
                label="digits 0-4 (test)")
    axes[1].bar(x + width / 2, [cfg[n]["mean"]["disagreement_ood"] for n in names], width,
                label="digits 5-9 (OOD)")
    axes[1].set_xticks(x, [LABELS[n] for n in names], rotation=20, ha="right", fontsize=8)
    axes[1].set_ylabel("mean pairwise arg-max disagreement")
    axes[1].set_title("Functional diversity")
    axes[1].legend(fontsize=8)
    if has_trace:
        trace = cfg["full"]["diversity_trace"]
        epochs = [t["epoch"] for t in trace]
        for layer in [k for k in trace[0] if k != "epoch"]:
            values = [t[layer] for t in trace]
            axes[2].plot(epochs, values, marker="o", ms=3, label=f"layer {layer}")
        axes[2].set_xlabel("epoch")
        axes[2].set_ylabel("std / mean of L2 norm")
        axes[2].set_title("Weight diversity during training (full)")
        axes[2].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _report(results, quick, figure):
    lines = [
        "# HyperGAN ablations: diversity and OOD detection (digits 0-4 vs 5-9, mlp target)",
        "",
        "`HyperGANClassifier(mlp(), regularizer='discriminator')` (the paper's HyperGAN; the "
        "classifier's default regularizer is MINE, row (d)), changing only the switch under "
        "test; "
        f"mean over seeds {results['seeds']}. Weight diversity: `sk_hypergan.weight_diversity` "
        f"(per layer, std / mean of the L2 norm of {N_DIVERSITY} sampled weight sets, the "
        "paper's measure). Functional diversity: mean pairwise disagreement of the arg-max "
        "predictions of the 100 prediction networks, and the mean mutual information (MI).",
        "",
    ]
    if quick:
        lines += [f"**Quick smoke run ({QUICK_EPOCHS} epochs): not meaningful.**", ""]
    cfg = results["configs"]
    layers = list(next(iter(cfg.values()))["mean"]["weight_diversity"])
    head = " | ".join(f"weight div. layer {layer}" for layer in layers)
    lines += [
        f"| config | {head} | disagreement 0-4 / 5-9 | mean MI 0-4 / 5-9 | accuracy | "
        "AUROC (MI) | AUROC (entropy) | fit s |",
        "|---|" + "---|" * (len(layers) + 6),
    ]
    for name, res in cfg.items():
        m = res["mean"]
        wd = " | ".join(f"{m['weight_diversity'][layer]:.4f}" for layer in layers)
        lines.append(
            f"| {LABELS[name]} | {wd} | {m['disagreement_in']:.4f} / {m['disagreement_ood']:.4f} | "
            f"{m['mean_mi_in']:.4f} / {m['mean_mi_ood']:.4f} | {m['accuracy']:.4f} | "
            f"{m['auroc_epistemic']:.4f} | {m['auroc_entropy']:.4f} | {m['fit_s']:.1f} |"
        )
    lines += ["", "## The paper's claims, here", ""]
    lines += ["| claim | measure | full | ablation | holds here |", "|---|---|---|---|---|"]
    for key, c in results["claims"].items():
        if key in ("no_discriminator", "no_mixer"):
            for measure in ("weight_diversity", "disagreement_ood", "mean_mi_ood"):
                v = c[measure]
                lines.append(
                    f"| {c['claim']} | {measure} | {v['full']:.4f} | {v['ablation']:.4f} | "
                    f"{report.yes_no(v['holds'])} |"
                )
        elif key == "no_mixer_accuracy_holds":
            lines.append(
                f"| {c['claim']} | accuracy | {c['full']:.4f} | {c['ablation']:.4f} | "
                f"{report.yes_no(c['holds'])} |"
            )
        elif key == "diversity_falls_over_training":
            lines.append(
                f"| {c['claim']} | weight diversity, peak (epoch {c['peak_epoch']}) vs final | "
                f"{c['peak']:.4f} | {c['final']:.4f} | {report.yes_no(c['holds'])} |"
            )
    lines += ["", f"![ablations](figures/{figure})", ""]
    return "\n".join(lines)


def run(opts):
    """Run the suite and draw the figure."""
    seeds = opts.splits or [0]
    configs = opts.methods or list(CONFIGS)
    results = measure(seeds, configs, quick=opts.quick, trace_every=10)
    results.update(quick=opts.quick, figure=f"{report.stem(NAME, opts.quick, tag=opts.tag)}.png")
    plot(results, report.figure_dir(opts.out) / results["figure"])
    return results


def to_markdown(results):
    """The report, with the figure."""
    return _report(results, results["quick"], results["figure"])
