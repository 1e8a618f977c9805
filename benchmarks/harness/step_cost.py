"""The cost of one training step: HyperGAN's ``train_step`` against a bare batched step of
the same 16 networks.

The bare step is the floor a batched implementation can reach with PyTorch's eager ops:
16 networks with one hidden layer of 50 ReLU units and a Gaussian head, written as
``torch.baddbmm`` on parameters of shape ``(16, ...)``, the Gaussian NLL, backward and one
fused Adam step (``foreach`` where fused is unavailable).
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from harness.reference_ensemble import gaussian_head

#: Networks of the bare step (HyperGAN regressor's ``n_networks="auto"``).
N_NETWORKS = 16
HIDDEN = 50


def _adam(params):
    try:
        opt = torch.optim.Adam(params, lr=1e-3, fused=True)
        opt.zero_grad()
        return opt
    except (RuntimeError, TypeError):  # fused unavailable on this build / device
        return torch.optim.Adam(params, lr=1e-3, foreach=True)


class BareBatchedStep:
    """One training step of ``n_networks`` Gaussian MLPs as bare batched matmuls.

    Parameters
    ----------
    n_features : int
    n_networks : int, default=16
    hidden : int, default=50
    device : str, default="cpu"
    seed : int, default=0

    Examples
    --------
    >>> step = BareBatchedStep(3)
    >>> loss = step((torch.randn(8, 3), torch.randn(8, 1)))
    >>> bool(torch.isfinite(loss))
    True
    """

    def __init__(self, n_features, n_networks=N_NETWORKS, hidden=HIDDEN, device="cpu", seed=0):
        g = torch.Generator().manual_seed(seed)

        def uniform(shape, fan_in):
            return ((torch.rand(shape, generator=g) * 2 - 1) / math.sqrt(fan_in)).to(device)

        M, d, H = n_networks, n_features, hidden
        self.params = [
            uniform((M, d, H), d).requires_grad_(),
            uniform((M, 1, H), d).requires_grad_(),
            uniform((M, H, 2), H).requires_grad_(),
            uniform((M, 1, 2), H).requires_grad_(),
        ]
        self.optimizer = _adam(self.params)

    def __call__(self, batch):
        X, y = batch
        W1, b1, W2, b2 = self.params
        Xb = X.unsqueeze(0).expand(W1.shape[0], -1, -1)
        out = torch.baddbmm(b2, torch.relu(torch.baddbmm(b1, Xb, W1)), W2)
        mean, var = gaussian_head(out)
        loss = F.gaussian_nll_loss(mean, y.reshape(1, -1).expand_as(var), var)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss.detach()


def time_ms(step, batch, repeats, warmup=5, synchronize=lambda: None):
    """Median milliseconds of ``step(batch)`` over ``repeats`` calls after ``warmup``."""
    for _ in range(warmup):
        step(batch)
    synchronize()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step(batch)
        synchronize()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def _batch(X, y, b, device):
    """The first ``b`` rows of ``X`` and ``y`` (zeros when None) as float32 tensors."""
    Xb = torch.as_tensor(X[:b], dtype=torch.float32, device=device)
    y = np.zeros(len(Xb)) if y is None else y[:b]
    return Xb, torch.as_tensor(np.reshape(y, (-1, 1)), dtype=torch.float32, device=device)


def bare_step_ms(X, y=None, batch_size=32, repeats=50, device="cpu", seed=0):
    """Milliseconds per step of the bare batched step on the first ``batch_size`` rows.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features)
    y : ndarray of shape (n_rows,) or None, default=None
        Targets (zeros when None: the step's cost does not depend on them).
    batch_size, repeats : int
    device : str, default="cpu"
    seed : int, default=0

    Returns
    -------
    float
    """
    from .env import synchronize

    step = BareBatchedStep(X.shape[1], device=device, seed=seed)
    return time_ms(step, _batch(X, y, batch_size, device), repeats,
                   synchronize=lambda: synchronize(device))


def step_costs(net, X, y, batch_sizes=(32, 256), repeats=50, device="cpu", seed=0):
    """Milliseconds per step of a fitted HyperGAN net and of the bare batched step,
    alternated per batch size in the same process.

    Parameters
    ----------
    net : sk_hypergan net
        ``est.net_`` of a fitted regressor (its ``train_step`` is timed; it trains on).
    X, y : ndarray
        Rows in the net's space (standardised); the batches are their first rows.
    batch_sizes : tuple of int, default=(32, 256)
    repeats : int, default=50
    device : str, default="cpu"
    seed : int, default=0

    Returns
    -------
    list of dict
        Per batch size: ``batch_size``, ``hypergan_ms``, ``bare_ms``, ``ratio``.
    """
    from .env import synchronize

    rows = []
    for b in batch_sizes:
        batch = _batch(X, y, b, device)
        hg_ms = time_ms(lambda batch: net.train_step(batch), batch, repeats,
                        synchronize=lambda: synchronize(device))
        bare_ms = bare_step_ms(X, y, b, repeats, device=device, seed=seed)
        rows.append({"batch_size": int(len(batch[0])), "hypergan_ms": hg_ms,
                     "bare_ms": bare_ms, "ratio": hg_ms / bare_ms})
    return rows
