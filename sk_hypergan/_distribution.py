"""The regressor's predictive distribution: an equal-weight mixture of Gaussians per row.

Each of the ``S`` sampled networks predicts a Gaussian ``N(mu_s(x), sigma_s^2(x))``; the
predictive distribution is their mixture ``(1/S) sum_s N(mu_s(x), sigma_s^2(x))``. Its
mean and variance are the law-of-total-variance moments of ``predict_uncertainty``; its
quantiles, densities and draws are those of the mixture itself, not of the Gaussian with
the same two moments.

Pure NumPy / SciPy: nothing here knows about torch or scikit-learn estimators.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from scipy.special import logsumexp
from scipy.stats import norm
from sklearn.utils import check_random_state

from ._typing import ArrayLike, RandomStateLike

__all__ = ["GaussianMixtureDistribution"]

#: Bisection steps of :meth:`GaussianMixtureDistribution.ppf`: the bracket shrinks by
#: 2**-80, far below float64 resolution relative to its width.
_PPF_STEPS = 80


class GaussianMixtureDistribution:
    """Per-row equal-weight mixtures of Gaussians, with a ``scipy.stats``-style interface.

    Parameters
    ----------
    means : ndarray of shape (n_components, n_rows) or (n_components, n_rows, n_targets)
        Component means, one component per sampled network.
    variances : ndarray of the same shape
        Component variances (positive).
    squeeze : bool, default=False
        Whether the rows' results drop the target axis (a 1-D ``y`` was fitted).

    Notes
    -----
    Every method works row by row (and target by target): ``y`` and ``q`` broadcast
    against the shape of :meth:`mean`, ``(n_rows,)`` or ``(n_rows, n_targets)``.

    Examples
    --------
    >>> import numpy as np
    >>> means, variances = np.array([[-1.0], [1.0]]), np.array([[0.25], [0.25]])
    >>> d = GaussianMixtureDistribution(means, variances, squeeze=True)  # 2 components, 1 row
    >>> float(d.mean()[0]), round(float(d.var()[0]), 4)
    (0.0, 1.25)
    >>> round(float(d.cdf(0.0)[0]), 4)
    0.5
    >>> lo, hi = d.interval(0.9)
    >>> bool(np.isclose(d.cdf(hi) - d.cdf(lo), 0.9).all())
    True
    """

    def __init__(self, means, variances, squeeze=False):
        means = np.asarray(means, dtype=np.float64)
        variances = np.asarray(variances, dtype=np.float64)
        if means.shape != variances.shape or means.ndim not in (2, 3):
            raise ValueError(
                "means and variances must share a shape (n_components, n_rows[, n_targets]); "
                f"got {means.shape} and {variances.shape}."
            )
        if means.ndim == 2:
            means, variances = means[..., None], variances[..., None]
        self.means = means
        self.variances = variances
        self.squeeze = squeeze

    @property
    def n_components(self) -> int:
        """int: number of mixture components (sampled networks)."""
        return self.means.shape[0]

    def _out(self, a):
        return a[..., 0] if self.squeeze else a

    def _broadcast(self, y, name="y"):
        """``y`` as ``(n_rows, n_targets)``, broadcast against the rows."""
        y = np.asarray(y, dtype=np.float64)
        if self.squeeze and y.ndim >= 1 and y.shape[-1:] != (1,):
            y = y[..., None]
        try:
            return np.broadcast_to(y, self.means.shape[1:])
        except ValueError:
            shape = self.means.shape[1:-1] if self.squeeze else self.means.shape[1:]
            raise ValueError(
                f"{name} of shape {np.shape(y)} does not broadcast to the rows' shape {shape}."
            ) from None

    # -- moments -------------------------------------------------------------------------
    def mean(self) -> np.ndarray:
        """Mixture mean (the average of the components' means)."""
        return self._out(self.means.mean(0))

    def var(self) -> np.ndarray:
        """Mixture variance: mean of the variances plus variance of the means."""
        return self._out(self.variances.mean(0) + self.means.var(0))

    def std(self) -> np.ndarray:
        """Mixture standard deviation."""
        return np.sqrt(self.var())

    def scaled(self, factor: ArrayLike) -> GaussianMixtureDistribution:
        """The mixture with its spread about its mean multiplied by ``factor``.

        The distribution of ``mean + factor * (Y - mean)``: every component
        moves away from the mixture's mean by ``factor`` and its variance
        grows by ``factor**2``, so the mean stays and the standard deviation
        (and every central interval) scales by ``factor``. The regressor's
        post-hoc calibration with one factor (see :meth:`scale_mixture`).

        Parameters
        ----------
        factor : float or array-like of shape (n_targets,)
            Positive factor, one per target.

        Returns
        -------
        GaussianMixtureDistribution

        Examples
        --------
        >>> import numpy as np
        >>> means, variances = np.array([[0.0], [2.0]]), np.ones((2, 1))  # 2 components, 1 row
        >>> dist = GaussianMixtureDistribution(means, variances, squeeze=True)
        >>> wider = dist.scaled(3.0)
        >>> float(wider.mean()[0]), bool(np.isclose(wider.std()[0], 3 * dist.std()[0]))
        (1.0, True)
        """
        factor = np.asarray(factor, dtype=np.float64)
        center = self.means.mean(0)
        means = center + factor * (self.means - center)
        return GaussianMixtureDistribution(means, self.variances * factor**2, squeeze=self.squeeze)

    def scale_mixture(self, factors: ArrayLike) -> GaussianMixtureDistribution:
        """The equal mixture of copies of the mixture, each :meth:`scaled` by one factor.

        A scale mixture: with two factors ``s e^-k`` and ``s e^k`` it is more
        peaked and heavier-tailed than ``scaled(s)`` (its kurtosis grows with
        ``k``), with the same mean and a variance ``mean(factors**2)`` times
        the mixture's. The regressor's post-hoc calibration
        (``spread_factors_``). Its components are the copies' components
        (``n_factors * n_components``, all equally weighted); equal factors
        give the one copy of :meth:`scaled`.

        Parameters
        ----------
        factors : array-like of shape (n_factors,) or (n_targets, n_factors)
            Positive factors, the same for every target or one row per target.

        Returns
        -------
        GaussianMixtureDistribution

        Examples
        --------
        >>> import numpy as np
        >>> means, variances = np.zeros((1, 1)), np.ones((1, 1))  # N(0, 1), 1 row
        >>> dist = GaussianMixtureDistribution(means, variances, squeeze=True)
        >>> peaked = dist.scale_mixture([0.5, 1.5])
        >>> peaked.n_components, float(peaked.var()[0])  # (0.25 + 2.25) / 2
        (2, 1.25)
        >>> bool(peaked.pdf(0.0)[0] > dist.scaled(np.sqrt(1.25)).pdf(0.0)[0])
        True
        """
        factors = np.asarray(factors, dtype=np.float64)
        columns = factors.T if factors.ndim == 2 else factors[:, None]  # (n_factors, targets)
        if np.all(columns == columns[:1]):
            return self.scaled(columns[0])
        copies = [self.scaled(column) for column in columns]
        return GaussianMixtureDistribution(
            np.concatenate([c.means for c in copies]),
            np.concatenate([c.variances for c in copies]),
            squeeze=self.squeeze,
        )

    # -- densities -----------------------------------------------------------------------
    def logpdf(self, y: ArrayLike) -> np.ndarray:
        """Log density of the mixture at ``y``: ``log mean_s N(y | mu_s, sigma_s^2)``."""
        y = self._broadcast(y)
        comp = norm.logpdf(y[None], self.means, np.sqrt(self.variances))
        return self._out(logsumexp(comp, axis=0) - np.log(self.n_components))

    def pdf(self, y: ArrayLike) -> np.ndarray:
        """Density of the mixture at ``y``."""
        return np.exp(self.logpdf(y))

    def cdf(self, y: ArrayLike) -> np.ndarray:
        """Distribution function of the mixture at ``y``."""
        return self._out(self._cdf(self._broadcast(y)))

    def _cdf(self, y):
        return norm.cdf(y[None], self.means, np.sqrt(self.variances)).mean(0)

    # -- quantiles -----------------------------------------------------------------------
    def ppf(self, q: ArrayLike) -> np.ndarray:
        """Quantile function: the ``y`` with ``cdf(y) == q`` (bisection; ``q`` in (0, 1))."""
        q = self._broadcast(q, name="q")
        if np.any((q <= 0) | (q >= 1)):
            raise ValueError("q must lie strictly between 0 and 1.")
        std = np.sqrt(self.variances)
        # The mixture's q-quantile lies between the smallest and the largest of the
        # components' q-quantiles.
        comp = self.means + std * norm.ppf(q)[None]
        lo, hi = comp.min(0), comp.max(0)
        for _ in range(_PPF_STEPS):
            mid = 0.5 * (lo + hi)
            below = self._cdf(mid) < q
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
            if np.all(hi - lo <= 1e-12 * np.maximum(1.0, np.abs(mid))):
                break
        return self._out(0.5 * (lo + hi))

    def interval(self, confidence: float) -> tuple[np.ndarray, np.ndarray]:
        """Central interval holding ``confidence`` of the mass: ``(ppf(a), ppf(1 - a))``
        with ``a = (1 - confidence) / 2``."""
        if not isinstance(confidence, Real) or not 0 < confidence < 1:
            raise ValueError(f"confidence must be a float in (0, 1); got {confidence!r}.")
        alpha = (1 - confidence) / 2
        return self.ppf(alpha), self.ppf(1 - alpha)

    # -- draws ---------------------------------------------------------------------------
    def rvs(self, size: int = 1, random_state: RandomStateLike = None) -> np.ndarray:
        """Draw ``size`` values per row: a component uniformly at random, then its Gaussian.

        Returns
        -------
        ndarray of shape (size, n_rows) or (size, n_rows, n_targets)
        """
        rng = check_random_state(random_state)
        shape = self.means.shape[1:]
        pick = rng.randint(self.n_components, size=(size, *shape))
        rows, targets = np.indices(shape)
        mean = self.means[pick, rows[None], targets[None]]
        var = self.variances[pick, rows[None], targets[None]]
        draws = mean + np.sqrt(var) * rng.standard_normal((size, *shape))
        return draws[..., 0] if self.squeeze else draws

    def __repr__(self):
        shape = self.means.shape[1:-1] if self.squeeze else self.means.shape[1:]
        return (f"GaussianMixtureDistribution(n_components={self.n_components}, "
                f"shape={tuple(shape)})")
