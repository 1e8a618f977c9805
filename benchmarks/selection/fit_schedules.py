"""Selection check: training schedules that take fewer steps, against the regressor's default.

The fit-cost issue asks for fewer epochs to the same held-out loss. Each variant below
changes one thing about how the default regressor trains; each is fitted on UCI splits no
reported benchmark uses (10-13 by default), one thread, and scored on the test rows:

- ``default``: the regressor's defaults (Adam ``lr=1e-2``, ``lr_schedule="plateau"``: the
  rate times 0.3 after 11 epochs without improvement, early stopping after 20).
- ``lr 2e-2``: twice the rate.
- ``max_epochs 100``: half the epochs.
- ``cosine 1e-2`` / ``cosine 2e-2``: no plateau cuts; skorch's ``LRScheduler`` with
  ``CosineAnnealingLR(T_max=200)`` from that rate, early stopping kept.
- ``batch x2 per cut``: at each plateau cut the batch doubles and the cut is 0.3 * sqrt(2)
  instead of 0.3, the same change of Adam's noise scale as the default's cut under the
  square-root rule (Malladi et al., 2022), with half the steps per epoch after it.
- ``plateau factor 0.6``: gentler cuts (0.6 instead of 0.3).
- ``plateau 0.6, max_epochs 120``: gentler cuts and fewer epochs.
- ``n_networks 8``: half the networks per step.
- ``patience restarts at a cut``: early stopping's count of epochs without improvement
  starts again at the first plateau cut after the best epoch, so the cut rate gets the
  whole ``n_iter_no_change`` epochs (at most one restart per improvement, so a stall still
  ends, at most ``n_iter_no_change // 2 + 1`` epochs later than by default).
- ``restart, max_epochs 400``: that, and twice the epoch budget.

It prints, per data set and variant, the means over splits of the fit seconds, epochs,
training steps (``train_batch_count`` summed over the history) and the test Gaussian NLL
(the UCI protocol's) and RMSE; times are only comparable within one run. It writes
nothing. The variants ``batch x2 per cut`` and ``plateau factor ...`` patch package
internals (the training iterator's batch size, the module constant of the plateau cut),
which no public parameter exposes.

    python benchmarks/selection/fit_schedules.py --datasets energy --variants default "lr 2e-2"
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from scipy.stats import norm
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback, EarlyStopping, LRScheduler
from torch.optim.lr_scheduler import CosineAnnealingLR

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent)]

from _common import mean_row, uci_splits  # noqa: E402

import sk_hypergan._base as base  # noqa: E402
from sk_hypergan import HyperGANRegressor  # noqa: E402
from sk_hypergan._net import HyperGANNet  # noqa: E402

from harness.data import load_uci  # noqa: E402

DATASETS = ("boston", "concrete", "energy", "kin8nm", "naval", "power", "wine")


class GrowBatchAtCut(Callback):
    """After each plateau cut of the rate: the batch times ``growth``, the rate times
    ``sqrt(growth)`` (so the cut of Adam's noise scale is the default's)."""

    def __init__(self, growth=2):
        self.growth = growth

    def on_train_begin(self, net, **kwargs):
        self.last_lr = net.optimizer_.param_groups[0]["lr"]

    def on_epoch_begin(self, net, **kwargs):
        lr = net.optimizer_.param_groups[0]["lr"]
        if lr < 0.99 * self.last_lr:  # the plateau scheduler cut it after the last epoch
            for group in net.optimizer_.param_groups:
                group["lr"] *= math.sqrt(self.growth)
            net.batch_size *= self.growth
            net.train_batches_.batch_size = net.batch_size  # the live training iterator
            lr = net.optimizer_.param_groups[0]["lr"]
        self.last_lr = lr


@contextmanager
def live_train_iterator():
    """``net.train_batches_``: the iterator skorch built for this fit (it builds one per
    fit, so the batch size it reads each epoch must be changed on it)."""
    original = HyperGANNet.get_iterator

    def get_iterator(self, dataset, training=False):
        iterator = original(self, dataset, training=training)
        if training:
            self.train_batches_ = iterator
        return iterator

    HyperGANNet.get_iterator = get_iterator
    try:
        yield
    finally:
        HyperGANNet.get_iterator = original


@contextmanager
def plateau_factor(factor):
    original = base.PLATEAU_FACTOR
    base.PLATEAU_FACTOR = factor
    try:
        yield
    finally:
        base.PLATEAU_FACTOR = original


class RestartAtCut(EarlyStopping):
    """Early stopping whose patience starts again at the first rate cut after the best
    epoch."""

    def on_train_begin(self, net, **kwargs):
        super().on_train_begin(net, **kwargs)
        self.restarted_ = False
        self.last_lr_ = net.optimizer_.param_groups[0]["lr"]

    def on_epoch_end(self, net, **kwargs):
        lr = net.optimizer_.param_groups[0]["lr"]
        if lr < self.last_lr_ and not self.restarted_:  # cut after the last epoch
            self.misses_, self.restarted_ = 0, True
        self.last_lr_ = lr
        super().on_epoch_end(net, **kwargs)
        if self.misses_ == 0:  # improved: the next cut restarts the count again
            self.restarted_ = False


@contextmanager
def restart_at_cut():
    original = base.EarlyStopping
    base.EarlyStopping = RestartAtCut
    try:
        yield
    finally:
        base.EarlyStopping = original


@contextmanager
def nothing():
    yield


def cosine(lr):
    return {"lr": lr, "lr_schedule": "constant",
            "callbacks": [("cosine", LRScheduler(policy=CosineAnnealingLR, T_max=200))]}


#: name -> (estimator parameters, context the fit runs in)
VARIANTS = {
    "default": (dict, nothing),
    "lr 2e-2": (lambda: {"lr": 2e-2}, nothing),
    "max_epochs 100": (lambda: {"max_epochs": 100}, nothing),
    "cosine 1e-2": (lambda: cosine(1e-2), nothing),
    "cosine 2e-2": (lambda: cosine(2e-2), nothing),
    "batch x2 per cut": (lambda: {"callbacks": [("grow", GrowBatchAtCut(2))]},
                         live_train_iterator),
    "plateau factor 0.6": (dict, lambda: plateau_factor(0.6)),
    "plateau 0.6, max_epochs 120": (lambda: {"max_epochs": 120}, lambda: plateau_factor(0.6)),
    "n_networks 8": (lambda: {"n_networks": 8}, nothing),
    "patience restarts at a cut": (dict, restart_at_cut),
    "restart, max_epochs 400": (lambda: {"max_epochs": 400}, restart_at_cut),
}


def one_fit(name, split, variant):
    X_train, y_train, X_test, y_test = load_uci(name, split)
    params, context = VARIANTS[variant]
    model = make_pipeline(StandardScaler(), HyperGANRegressor(random_state=split, **params()))
    with context():
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
    mean, std = model.predict(X_test, return_std=True)
    history = model[-1].history_
    return {"fit s": seconds, "epochs": len(history),
            "steps": sum(history[:, "train_batch_count"]),
            "best": max(e for e, best in zip(history[:, "epoch"], history[:, "valid_loss_best"])
                        if best),
            "NLL": -norm.logpdf(y_test, mean, std).mean(),
            "RMSE": np.sqrt(np.mean((y_test - mean) ** 2))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--splits", type=uci_splits, default="10-13",
                        help="first-last (never 0-9)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    X, y, _, _ = load_uci("boston", 0)  # first-call costs stay out of the timings
    make_pipeline(StandardScaler(), HyperGANRegressor(max_epochs=2)).fit(X[:100], y[:100])
    for name in args.datasets:
        print(f"{name} (splits {args.splits[0]}-{args.splits[-1]}; mean over splits)",
              flush=True)
        for variant in args.variants:
            runs = [one_fit(name, split, variant) for split in args.splits]
            print(mean_row(variant, runs, 28, ".4g"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
