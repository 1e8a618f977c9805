"""Supervised losses of a batch of networks, averaged over the networks.

HyperGAN trains the generated networks directly on the supervised loss, the
mean over the ``B`` networks of a step (Sec. 3, Eq. 1). Outputs have shape
``(B, n_rows, n_outputs)``.

Pure PyTorch: nothing here knows about scikit-learn.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["gaussian_head", "GaussianNLLLoss", "CrossEntropyLoss", "MIN_VARIANCE"]

#: Floor of a predicted variance (in standardised target units); keeps the
#: Gaussian NLL finite when a network becomes very confident.
MIN_VARIANCE = 1e-6


def gaussian_head(out: torch.Tensor, dim: int = -1) -> tuple[torch.Tensor, torch.Tensor]:
    """Split outputs ``(..., 2 * k)`` into mean ``(..., k)`` and variance ``(..., k)``.

    The variance goes through a softplus, the usual heteroscedastic head of
    deep ensembles (Lakshminarayanan et al. 2017, Sec. 2.2.1). ``dim`` is
    the axis holding the ``2 * k`` outputs.
    """
    mean, raw = out.chunk(2, dim=dim)
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

    def forward(
        self, out: torch.Tensor, y: torch.Tensor, sample_weight: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Mean NLL; with ``sample_weight`` (``(n_rows,)``), the weighted mean
        over rows ``sum_i w_i l_i / sum_i w_i`` of the per-row NLL ``l_i``
        (averaged over networks and outputs), as scikit-learn's MLPs weigh
        their loss.

        Examples
        --------
        >>> import torch
        >>> out, y = torch.randn(4, 3, 2), torch.randn(3, 1)
        >>> loss = GaussianNLLLoss()
        >>> repeated = loss(out[:, [0, 0, 1]], y[[0, 0, 1]])  # row 0 twice, row 2 dropped
        >>> weighted = loss(out, y, torch.tensor([2.0, 1.0, 0.0]))
        >>> bool(torch.isclose(repeated, weighted))
        True
        """
        mean, var = gaussian_head(out)
        y = y.reshape(1, y.shape[0], -1)
        if sample_weight is None:
            return _gaussian_nll(mean, y, var).mean()
        return _weighted_mean(_gaussian_nll(mean, y, var).mean(dim=(0, 2)), sample_weight)

    def ensemble_loss(
        self, out: torch.Tensor, y: torch.Tensor, sample_weight: torch.Tensor | None = None
    ) -> torch.Tensor:
        """NLL per point of the ensemble's predictive mixture (what is scored
        on held-out data), ``-log mean_b N(y | mean_b, var_b)``, per output.

        Examples
        --------
        >>> import torch
        >>> out = torch.zeros(4, 10, 2)  # identical networks: the mixture is one Gaussian
        >>> y = torch.zeros(10, 1)
        >>> bool(torch.isclose(GaussianNLLLoss().ensemble_loss(out, y), GaussianNLLLoss()(out, y)))
        True
        """
        mean, var = gaussian_head(out)
        log_p = -_gaussian_nll(mean, y.reshape(1, y.shape[0], -1), var)
        return _neg_log_mean_exp(log_p.sum(-1), sample_weight) / mean.shape[-1]

    def disagreement(self, out: torch.Tensor) -> torch.Tensor:
        """How much the networks disagree, in ``[0, 1)``: per row and output, the
        epistemic share of the predictive variance, ``var_b(mean_b) /
        (var_b(mean_b) + mean_b(var_b))``, averaged. As a reward it can also
        be raised by shrinking the predicted noise variance at the rewarded
        inputs (it saturates near 1 at ``MIN_VARIANCE``), one reason the
        regressor leaves ``mixup_diversity`` off by default.

        Examples
        --------
        >>> import torch
        >>> float(GaussianNLLLoss().disagreement(torch.zeros(4, 10, 2)))  # identical networks
        0.0
        """
        mean, var = gaussian_head(out)
        epistemic = mean.var(0, unbiased=False)
        return (epistemic / (epistemic + var.mean(0))).mean()


class CrossEntropyLoss(nn.Module):
    """Cross-entropy of every network's logits ``(B, n_rows, n_classes)``, averaged.

    Parameters
    ----------
    label_smoothing : float, default=0.0
        The training target puts ``1 - label_smoothing`` on the row's class and
        spreads ``label_smoothing`` over the classes by ``smoothing_prior``
        (Szegedy et al., CVPR 2016, Sec. 7). Only the training loss:
        :meth:`ensemble_loss`, the held-out score, is the plain log loss.
    smoothing_prior : tensor of shape (n_classes,), default=None
        How the smoothed mass is spread: by these class probabilities (the
        fixed distribution over labels of Szegedy et al.), or, if None, evenly
        (``torch.nn.functional.cross_entropy``'s ``label_smoothing``). With
        classes of unequal frequency the even spread pulls every rare-class
        probability towards ``1 / n_classes``.

    Examples
    --------
    >>> import torch
    >>> loss = CrossEntropyLoss()(torch.zeros(4, 10, 3), torch.zeros(10, dtype=torch.long))
    >>> round(float(loss), 4)
    1.0986
    """

    smoothing_prior: torch.Tensor | None

    def __init__(
        self, label_smoothing: float = 0.0, smoothing_prior: torch.Tensor | None = None
    ) -> None:
        super().__init__()
        self.label_smoothing = label_smoothing
        # A buffer, so that it follows the module to the networks' device.
        self.register_buffer(
            "smoothing_prior",
            None if smoothing_prior is None else torch.as_tensor(smoothing_prior).float(),
        )

    def forward(
        self, logits: torch.Tensor, y: torch.Tensor, sample_weight: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Mean cross-entropy; with ``sample_weight`` (``(n_rows,)``), the
        weighted mean over rows of the per-row loss (averaged over networks)."""
        B, n, c = logits.shape
        flat, target = logits.reshape(B * n, c), y.repeat(B)
        eps, prior = self.label_smoothing, self.smoothing_prior
        if prior is None or eps == 0:
            if sample_weight is None:
                return F.cross_entropy(flat, target, label_smoothing=eps)
            per_row = F.cross_entropy(flat, target, reduction="none", label_smoothing=eps)
        else:
            # Cross-entropy against (1 - eps) * one_hot(y) + eps * prior.
            log_p = flat.log_softmax(-1)
            nll = -log_p.gather(1, target[:, None]).squeeze(1)
            per_row = (1 - eps) * nll - eps * (log_p @ prior)
            if sample_weight is None:
                return per_row.mean()
        return _weighted_mean(per_row.view(B, n).mean(0), sample_weight)

    def ensemble_loss(
        self, logits: torch.Tensor, y: torch.Tensor, sample_weight: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Log loss of the ensemble's mean probabilities, ``-log mean_b p_b(y)``.

        Examples
        --------
        >>> import torch
        >>> logits = torch.zeros(4, 10, 3)
        >>> y = torch.zeros(10, dtype=torch.long)
        >>> round(float(CrossEntropyLoss().ensemble_loss(logits, y)), 4)
        1.0986
        """
        log_p = logits.log_softmax(-1)
        log_p = log_p.gather(-1, y.reshape(1, -1, 1).expand(logits.shape[0], -1, 1))
        return _neg_log_mean_exp(log_p.squeeze(-1), sample_weight)

    def disagreement(self, logits: torch.Tensor) -> torch.Tensor:
        """How much the networks disagree: the mutual information between the
        prediction and the network (entropy of the mean probabilities minus
        the mean entropy), averaged over rows; in ``[0, log n_classes]``.

        Examples
        --------
        >>> import torch
        >>> float(CrossEntropyLoss().disagreement(torch.zeros(4, 10, 3)))  # identical networks
        0.0
        >>> two = torch.tensor([[[9.0, -9.0]], [[-9.0, 9.0]]])  # confident, opposite
        >>> round(float(CrossEntropyLoss().disagreement(two)), 3)  # about log 2
        0.693
        """
        log_p = logits.log_softmax(-1)
        p = log_p.exp()
        log_mean = torch.logsumexp(log_p, dim=0) - math.log(logits.shape[0])
        total = -(log_mean.exp() * log_mean).sum(-1)
        expected = -(p * log_p).sum(-1).mean(0)
        return (total - expected).mean()


def _gaussian_nll(mean: torch.Tensor, y: torch.Tensor, var: torch.Tensor) -> torch.Tensor:
    """Elementwise ``-log N(y | mean, var)`` (broadcasting). The same value as
    ``F.gaussian_nll_loss(..., full=True, reduction="none")``, without its
    input checks (one of which reads a tensor back every step); the variance
    is floored by the head already."""
    return 0.5 * (var.log() + (y - mean).square() / var + _LOG_2PI)


_LOG_2PI = math.log(2 * math.pi)


def _neg_log_mean_exp(
    log_p: torch.Tensor, sample_weight: torch.Tensor | None = None
) -> torch.Tensor:
    """``-mean_rows log mean_b exp(log_p)`` for ``log_p`` of shape ``(B, n_rows)``
    (the mean over rows weighted by ``sample_weight`` when given)."""
    per_row = torch.logsumexp(log_p, dim=0) - math.log(log_p.shape[0])
    return -(per_row.mean() if sample_weight is None else _weighted_mean(per_row, sample_weight))


def _weighted_mean(values: torch.Tensor, sample_weight: torch.Tensor) -> torch.Tensor:
    """``sum(w * values) / sum(w)`` over rows; 0 for a batch whose weights are
    all zero (such rows carry no information, as if they were not there)."""
    w = sample_weight.to(values.dtype)
    return (w * values).sum() / w.sum().clamp_min(torch.finfo(values.dtype).tiny)
