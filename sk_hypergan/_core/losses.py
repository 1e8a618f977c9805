"""Supervised losses of a batch of networks, averaged over the networks.

HyperGAN trains the generated networks directly on the supervised loss, the
mean over the ``B`` networks of a step (Sec. 3, Eq. 1). Outputs have shape
``(B, n_rows, n_outputs)``.

Pure PyTorch: nothing here knows about scikit-learn.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["gaussian_head", "GaussianNLLLoss", "CrossEntropyLoss", "MIN_VARIANCE"]

#: Floor of a predicted variance (in standardised target units); keeps the
#: Gaussian NLL finite when a network becomes very confident.
MIN_VARIANCE = 1e-6


def gaussian_head(out):
    """Split outputs ``(..., 2 * k)`` into mean ``(..., k)`` and variance ``(..., k)``.

    The variance goes through a softplus, the usual heteroscedastic head of
    deep ensembles (Lakshminarayanan et al. 2017, Sec. 2.2.1).
    """
    mean, raw = out.chunk(2, dim=-1)
    return mean, F.softplus(raw) + MIN_VARIANCE


class GaussianNLLLoss(nn.Module):
    """Gaussian negative log-likelihood per point, averaged over networks and rows.

    Examples
    --------
    >>> import torch
    >>> out = torch.zeros(4, 10, 2)  # 4 networks, 10 rows, mean + raw variance
    >>> loss = GaussianNLLLoss()(out, torch.zeros(10, 1))
    >>> round(float(loss), 4)
    0.7357
    """

    def forward(self, out, y):
        mean, var = gaussian_head(out)
        y = y.reshape(1, y.shape[0], -1).expand_as(mean)
        return F.gaussian_nll_loss(mean, y, var, full=True, reduction="mean")


class CrossEntropyLoss(nn.Module):
    """Cross-entropy of every network's logits ``(B, n_rows, n_classes)``, averaged.

    Examples
    --------
    >>> import torch
    >>> loss = CrossEntropyLoss()(torch.zeros(4, 10, 3), torch.zeros(10, dtype=torch.long))
    >>> round(float(loss), 4)
    1.0986
    """

    def forward(self, logits, y):
        B, n, c = logits.shape
        return F.cross_entropy(logits.reshape(B * n, c), y.repeat(B))
