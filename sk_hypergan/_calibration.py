"""Post-hoc calibration on held-out rows, fitted by held-out likelihood.

The regressor replaces its predictive mixture by the equal mixture of two
copies of it, scaled about the mixture's mean by ``s e^-k`` and ``s e^k``:
``s`` sets the width, ``k`` how peaked and heavy-tailed the distribution is
(a scale mixture of Gaussians; ``k = 0`` is one factor on the spread). The
classifier divides the networks' logits by a temperature (Guo et al., ICML
2017) before their probabilities are averaged. The parameters minimise the
held-out negative log-likelihood of the ensemble's predictive distribution,
the same score that early stopping monitors, plus a Gaussian prior on each
(on the logarithm of a scale or temperature; a MAP estimate): a few dozen
held-out rows, all of them predicted right, would otherwise send a temperature
to 0 (every row's likelihood rises as the networks grow surer), while on
thousands of rows the prior hardly counts.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize, minimize_scalar
from scipy.special import log_softmax, logsumexp

from ._distribution import GaussianMixtureDistribution

__all__ = [
    "fit_pooled_temperature",
    "fit_spread_factors",
    "fit_spread_scale",
    "fit_temperature",
    "log_mean_proba",
]

#: Search range of either scalar (a factor of 20 either way).
BOUNDS = (np.log(1 / 20), np.log(20))
#: Standard deviation of the prior ``log(value) ~ N(0, PRIOR_SD**2)``: a factor of
#: about e**0.5 = 1.65 either way is unremarkable, one of 20 (``BOUNDS``) takes
#: strong evidence.
PRIOR_SD = 0.5
#: Standard deviation of the prior ``k ~ N(0, PRIOR_SD_K**2)`` on the regressor's
#: shape (the log ratio of its two factors). Narrower than ``PRIOR_SD``: a shape is
#: read off the tails, which a few dozen held-out rows barely sample, so it is
#: fitted only where hundreds of rows ask for it (chosen on UCI splits no report
#: uses: ``benchmarks/selection/scale_mixture.py --k-prior-sds``, user guide; chosen
#: again after ``weight_averaging`` changed the regressor's networks).
PRIOR_SD_K = 0.2


def _weights(w, n):
    """Weights normalised to sum 1, and the rows' effective number (Kish)."""
    w = np.ones(n) if w is None else np.asarray(w, dtype=np.float64)
    w = w / w.sum()
    return w, 1.0 / np.square(w).sum()


def _argmin_log(nll, n_effective):
    """exp of the minimiser of ``nll(log_value)`` (a mean over ``n_effective``
    rows) plus the prior's share per row, on ``BOUNDS`` (bounded Brent)."""

    def objective(log_value):
        return nll(log_value) + log_value**2 / (2 * PRIOR_SD**2 * n_effective)

    result = minimize_scalar(objective, bounds=BOUNDS, method="bounded", options={"xatol": 1e-4})
    return float(np.exp(result.x))


def _one_factor(mixture, t, w, n_effective):
    """The factor on the spread of ``mixture`` (one target) that minimises the
    ``w``-weighted NLL of ``t``, with the prior."""

    def nll(log_s):
        return -(w * mixture.scaled(np.exp(log_s)).logpdf(t)).sum()

    return _argmin_log(nll, n_effective)


def log_mean_proba(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Logarithm of the networks' averaged probabilities, ``log mean_b
    softmax(logits_b / temperature)``, of shape ``(n_rows, n_classes)`` for
    ``logits`` of shape ``(n_networks, n_rows, n_classes)`` (finite where a
    network's probability underflows)."""
    log_p = log_softmax(logits / temperature, axis=-1)
    return logsumexp(log_p, axis=0) - np.log(len(log_p))


def fit_spread_scale(
    means: np.ndarray,
    variances: np.ndarray,
    y: np.ndarray,
    sample_weight: np.ndarray | None = None,
) -> np.ndarray:
    """Per-target factor on the predictive spread that minimises the held-out
    mixture NLL (with the prior of :data:`PRIOR_SD` on its logarithm).

    Parameters
    ----------
    means, variances : ndarray of shape (n_networks, n_rows, n_targets)
        The networks' Gaussian means and variances on the held-out rows.
    y : ndarray of shape (n_rows, n_targets)
        Held-out targets, in the units of ``means``.
    sample_weight : ndarray of shape (n_rows,), default=None
        Row weights of the NLL.

    Returns
    -------
    ndarray of shape (n_targets,)
        One factor per target; ``1`` leaves the distribution as it is.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> means = rng.normal(0, 0.1, size=(10, 500, 1))
    >>> y = rng.normal(0, 2.0, size=(500, 1))  # twice the predicted spread of ~1
    >>> scale = fit_spread_scale(means, np.ones_like(means), y)
    >>> bool(1.8 < scale[0] < 2.2)
    True
    """
    w, n_effective = _weights(sample_weight, len(y))
    mixtures = (
        GaussianMixtureDistribution(means[..., j], variances[..., j], squeeze=True)
        for j in range(y.shape[1])
    )
    return np.asarray([_one_factor(m, y[:, j], w, n_effective) for j, m in enumerate(mixtures)])


def fit_spread_factors(
    means: np.ndarray,
    variances: np.ndarray,
    y: np.ndarray,
    sample_weight: np.ndarray | None = None,
    prior_sd_k: float = PRIOR_SD_K,
) -> np.ndarray:
    """Per-target factors ``(s e^-k, s e^k)`` of the two scaled copies whose equal
    mixture minimises the held-out NLL (with the priors of :data:`PRIOR_SD` on
    ``log s`` and of :data:`PRIOR_SD_K` on ``k``).

    One factor on the spread fixes the width of the predictive mixture, not its
    shape: where the residuals are more peaked and heavier-tailed than the
    mixture, the central intervals then hold too many rows at low levels and
    too few at high ones. The scale mixture of two copies (Andrews & Mallows,
    1974: a mixture of Gaussians over their scale is leptokurtic) adds that
    shape with one more parameter, and ``k = 0`` leaves the one factor.

    Parameters
    ----------
    means, variances : ndarray of shape (n_networks, n_rows, n_targets)
        The networks' Gaussian means and variances on the held-out rows.
    y : ndarray of shape (n_rows, n_targets)
        Held-out targets, in the units of ``means``.
    sample_weight : ndarray of shape (n_rows,), default=None
        Row weights of the NLL.
    prior_sd_k : float, default=PRIOR_SD_K
        Standard deviation of the Gaussian prior on ``k`` (weighed against the
        held-out rows' NLL as the prior on ``log s`` is).

    Returns
    -------
    ndarray of shape (n_targets, 2)
        The two factors per target, smaller first; ``(1, 1)`` leaves the
        distribution as it is.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> means = np.zeros((10, 2000, 1))
    >>> y = rng.standard_t(3, size=(2000, 1))  # heavier-tailed than any Gaussian
    >>> low, high = fit_spread_factors(means, np.ones_like(means), y)[0]
    >>> bool(high / low > 2)
    True
    """
    w, n_effective = _weights(sample_weight, len(y))
    factors = []
    for j in range(y.shape[1]):
        mixture = GaussianMixtureDistribution(means[..., j], variances[..., j], squeeze=True)
        t = y[:, j]

        def nll(log_s, k, mixture=mixture, t=t):
            copies = mixture.scale_mixture(np.exp([log_s - k, log_s + k]))
            return -(w * copies.logpdf(t)).sum()

        def objective(p):
            # The NLL is even in k, so |k|: the simplex may cross 0 freely.
            log_s, k = np.clip(p[0], *BOUNDS), min(abs(p[1]), BOUNDS[1])
            prior = log_s**2 / PRIOR_SD**2 + k**2 / prior_sd_k**2
            return nll(log_s, k) + prior / (2 * n_effective)

        # From the best one factor (k = 0): a stationary point (the NLL is even
        # in k), which a gradient method would not leave, hence Nelder-Mead.
        start = np.log(_one_factor(mixture, t, w, n_effective))
        simplex = [[start, 0.05], [start + 0.1, 0.05], [start, 0.5]]
        result = minimize(objective, [start, 0.05], method="Nelder-Mead",
                          options={"initial_simplex": simplex, "xatol": 1e-4, "fatol": 1e-9})
        log_s, k = float(np.clip(result.x[0], *BOUNDS)), min(abs(float(result.x[1])), BOUNDS[1])
        if objective([start, 0.0]) <= objective([log_s, k]):
            log_s, k = start, 0.0
        factors.append(np.exp([log_s - k, log_s + k]))
    return np.asarray(factors)


def fit_temperature(
    logits: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None
) -> float:
    """Temperature of the networks' logits that minimises the held-out log
    loss of their mean probabilities (with the prior of :data:`PRIOR_SD` on its
    logarithm).

    Parameters
    ----------
    logits : ndarray of shape (n_networks, n_rows, n_classes)
        The networks' logits on the held-out rows.
    y : ndarray of shape (n_rows,)
        Held-out class indices.
    sample_weight : ndarray of shape (n_rows,), default=None
        Row weights of the log loss.

    Returns
    -------
    float
        ``T``: predictions average ``softmax(logits / T)`` over the networks.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, size=400)
    >>> # confident logits (margin 6) that are right only 80% of the time
    >>> right = rng.random(400) < 0.8
    >>> sign = np.where(right, 1, -1) * np.where(y == 1, 1, -1)
    >>> logits = np.stack([np.zeros(400), 6.0 * sign], axis=-1)[None]
    >>> bool(fit_temperature(logits, y) > 2)  # softened
    True
    """
    w, n_effective = _weights(sample_weight, len(y))
    rows = np.arange(len(y))

    def nll(log_t):
        return -(w * log_mean_proba(logits, np.exp(log_t))[rows, y]).sum()

    return _argmin_log(nll, n_effective)


def fit_pooled_temperature(
    log_proba: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None
) -> float:
    """Temperature of the averaged probabilities that minimises their held-out
    log loss (with the prior of :data:`PRIOR_SD` on its logarithm).

    Pool-then-calibrate (Rahaman & Thiery, NeurIPS 2021): where the networks
    are each sure of a class but do not all pick the same one, their average
    is underconfident whatever each network's temperature; ``softmax(log(p) /
    tau)`` of the average ``p`` corrects that (``tau < 1`` sharpens), and
    leaves its arg-max as it is.

    Parameters
    ----------
    log_proba : ndarray of shape (n_rows, n_classes)
        Logarithm of the averaged probabilities on the held-out rows.
    y : ndarray of shape (n_rows,)
        Held-out class indices.
    sample_weight : ndarray of shape (n_rows,), default=None
        Row weights of the log loss.

    Returns
    -------
    float
        ``tau``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, size=400)
    >>> # averages of 0.7 on the row's class, right 95% of the time: underconfident
    >>> right = rng.random(400) < 0.95
    >>> p_true = np.where(right, 0.7, 0.3)
    >>> log_proba = np.log(np.where(np.arange(2) == y[:, None], p_true[:, None],
    ...                             1 - p_true[:, None]))
    >>> bool(fit_pooled_temperature(log_proba, y) < 1)  # sharpened
    True
    """
    w, n_effective = _weights(sample_weight, len(y))
    rows = np.arange(len(y))

    def nll(log_tau):
        return -(w * log_softmax(log_proba / np.exp(log_tau), axis=-1)[rows, y]).sum()

    return _argmin_log(nll, n_effective)
