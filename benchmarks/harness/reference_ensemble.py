"""The reference deep ensemble: 5 Gaussian MLPs trained together in one batched computation.

This is the peer of every "vs deep ensemble" figure in the benchmarks, written as a
competent practitioner would write it (the specification of the project's fit-cost
issue, after Lakshminarayanan, Pritzel & Blundell, NeurIPS 2017):

- ``n_members=5`` networks with one hidden layer of 50 ReLU units and a Gaussian head
  (mean, ``softplus(raw) + 1e-6`` variance), trained on the Gaussian NLL;
- ``X`` and ``y`` standardised on the training rows;
- Adam, learning rate 3e-3, weight decay 1e-4, 100 epochs, no early stopping;
  batch size 32 below 2,000 training rows, else 128;
- each member draws its own shuffling every epoch, and all members train in **one**
  batched computation (``torch.baddbmm`` over a leading member axis): one Adam step
  updates all of them, exactly as separate optimisers would, since Adam is elementwise
  and each member's loss depends on its own parameters only;
- the predictive mean and variance by the law of total variance (mean of the members'
  variances plus the variance of their means).

Examples
--------
>>> import numpy as np
>>> X = np.linspace(-1, 1, 60)[:, None]
>>> reg = BatchedEnsembleRegressor(max_epochs=3, random_state=0).fit(X, X.ravel())
>>> mean, std = reg.predict(X[:3], return_std=True)
>>> mean.shape, bool((std > 0).all())
((3,), True)
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.preprocessing import StandardScaler
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["BatchedEnsembleRegressor", "reference_batch_size"]

MIN_VARIANCE = 1e-6


def gaussian_head(out):
    """Outputs ``(..., 2)`` -> mean and variance ``softplus(raw) + MIN_VARIANCE``."""
    return out[..., 0], F.softplus(out[..., 1]) + MIN_VARIANCE


def reference_batch_size(n_rows):
    """32 below 2,000 training rows, else 128 (the reference specification)."""
    return 32 if n_rows < 2000 else 128


class BatchedEnsembleRegressor(RegressorMixin, BaseEstimator):
    """Deep ensemble of Gaussian MLPs whose members train together (batched).

    Parameters
    ----------
    n_members : int, default=5
    hidden_size : int, default=50
    max_epochs : int, default=100
    batch_size : int or "auto", default="auto"
        "auto": 32 below 2,000 training rows, else 128.
    lr : float, default=3e-3
    weight_decay : float, default=1e-4
        Adam's (L2) weight decay.
    random_state : int, RandomState instance or None, default=None
    device : str, default="cpu"

    Attributes
    ----------
    params_ : dict of torch.Tensor
        ``W1 (M, d, H)``, ``b1 (M, 1, H)``, ``W2 (M, H, 2)``, ``b2 (M, 1, 2)``.
    n_epochs_ : int
        Epochs trained (always ``max_epochs``: no early stopping).
    """

    _parameter_constraints: dict = {
        "n_members": [Interval(Integral, 1, None, closed="left")],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "device": [str],
    }

    def __init__(
        self,
        n_members=5,
        *,
        hidden_size=50,
        max_epochs=100,
        batch_size="auto",
        lr=3e-3,
        weight_decay=1e-4,
        random_state=None,
        device="cpu",
    ):
        self.n_members = n_members
        self.hidden_size = hidden_size
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.device = device

    def _init_params(self, d, generator):
        """PyTorch's ``nn.Linear`` initialisation, ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``
        for weights and biases, independently per member."""
        M, H = self.n_members, self.hidden_size

        def uniform(shape, fan_in):
            bound = 1.0 / math.sqrt(fan_in)
            return (torch.rand(shape, generator=generator) * 2 - 1) * bound

        params = {
            "W1": uniform((M, d, H), d),
            "b1": uniform((M, 1, H), d),
            "W2": uniform((M, H, 2), H),
            "b2": uniform((M, 1, 2), H),
        }
        return {k: v.to(self.device).requires_grad_(True) for k, v in params.items()}

    @staticmethod
    def _forward(params, X):
        # X: (M, rows, d) or (rows, d) shared by all members.
        if X.dim() == 2:
            h = torch.relu(torch.matmul(X, params["W1"]) + params["b1"])
        else:
            h = torch.relu(torch.baddbmm(params["b1"], X, params["W1"]))
        return torch.baddbmm(params["b2"], h, params["W2"])  # (M, rows, 2)

    def fit(self, X, y):
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], y_numeric=True)
        self.x_scaler_ = StandardScaler().fit(X)
        self.y_scaler_ = StandardScaler().fit(y.reshape(-1, 1))
        Xt = torch.as_tensor(self.x_scaler_.transform(X), dtype=torch.float32, device=self.device)
        yt = torch.as_tensor(
            self.y_scaler_.transform(y.reshape(-1, 1)).ravel(),
            dtype=torch.float32,
            device=self.device,
        )
        rng = check_random_state(self.random_state)
        generator = torch.Generator().manual_seed(int(rng.randint(np.iinfo(np.int32).max)))
        params = self._init_params(X.shape[1], generator)
        optimizer = torch.optim.Adam(
            params.values(), lr=self.lr, weight_decay=self.weight_decay, foreach=True
        )
        n, M = len(Xt), self.n_members
        bs = reference_batch_size(n) if self.batch_size == "auto" else self.batch_size
        for _ in range(self.max_epochs):
            # One permutation per member: argsort of uniform noise, row-wise.
            perms = torch.argsort(torch.rand(M, n, generator=generator), dim=1).to(self.device)
            for idx in perms.split(bs, dim=1):
                out = self._forward(params, Xt[idx])  # Xt[idx]: (M, b, d)
                mean, var = gaussian_head(out)
                # Sum over members of each member's mean NLL: every member gets
                # exactly the gradient it would get trained alone.
                loss = F.gaussian_nll_loss(mean, yt[idx], var, full=True, reduction="none")
                loss = loss.mean(1).sum()
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
        self.params_ = {k: v.detach() for k, v in params.items()}
        self.n_epochs_ = self.max_epochs
        return self

    @torch.no_grad()
    def _member_moments(self, X):
        check_is_fitted(self, "params_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        Xt = torch.as_tensor(self.x_scaler_.transform(X), dtype=torch.float32, device=self.device)
        out = torch.cat([self._forward(self.params_, c) for c in Xt.split(8192)], dim=1)
        mean, var = (t.double().cpu().numpy() for t in gaussian_head(out))
        scale = self.y_scaler_.scale_[0]
        return mean * scale + self.y_scaler_.mean_[0], var * scale**2  # (M, rows)

    def predict_uncertainty(self, X):
        """Mean, total std and its aleatoric / epistemic parts (law of total variance)."""
        means, variances = self._member_moments(X)
        aleatoric, epistemic = variances.mean(0), means.var(0)
        return Bunch(
            mean=means.mean(0),
            std=np.sqrt(aleatoric + epistemic),
            aleatoric_std=np.sqrt(aleatoric),
            epistemic_std=np.sqrt(epistemic),
        )

    def predict(self, X, return_std=False):
        u = self.predict_uncertainty(X)
        return (u.mean, u.std) if return_std else u.mean
