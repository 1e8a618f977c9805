"""HyperGANRegressor: heteroscedastic Gaussian networks, mean and uncertainty."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import RegressorMixin
from sklearn.preprocessing._data import _handle_zeros_in_scale
from sklearn.utils import Bunch, check_random_state, check_scalar
from sklearn.utils.validation import _num_samples, check_is_fitted
from torch import nn

from ._base import BaseHyperGAN
from ._calibration import fit_spread_factors
from ._core.losses import GaussianNLLLoss, gaussian_head
from ._distribution import GaussianMixtureDistribution
from ._docstrings import fill_parameters
from ._typing import ArrayLike, RandomStateLike

__all__ = ["HyperGANRegressor"]


def _member_gaussians(out, loc, scale, dim=-1):
    """A regression member: the Gaussian means and variances, in the target's
    units, of a generated network's raw outputs ``out``.

    The head (:func:`~sk_hypergan._core.losses.gaussian_head`, the one the
    loss trains) splits ``out`` along ``dim`` into the standardised mean and
    variance; ``loc`` and ``scale`` undo the standardisation of ``y`` (the
    fit's ``_y_mean`` and ``_y_scale``, broadcast against the targets).
    """
    mean, var = gaussian_head(out, dim)
    return mean * scale + loc, var * scale**2


class _GaussianMember(nn.Module):
    """A sampled network as a standalone regression member: maps rows to
    ``[means, variances]`` (``2 * n_targets`` columns) in the target's units
    (:func:`_member_gaussians`)."""

    def __init__(self, network, loc, scale):
        super().__init__()
        self.network = network
        self.register_buffer("loc", torch.as_tensor(loc, dtype=torch.float32))
        self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.float32))

    def forward(self, X):
        return torch.cat(_member_gaussians(self.network(X), self.loc, self.scale), dim=-1)


#: Words that differ inside the shared entries (``_docstrings.SHARED``).
_PHRASES = {
    "disagreement": "the epistemic share of the predictive variance",
    "weight_averaging_default": "0.99",
    "weight_averaging_choice": """0.99 was chosen on UCI splits set aside for
    selection (14-17, by a rule fixed before they ran): it lowered the
    mean test NLL on 6 of the 7 data sets, all but wine (user guide,
    ``weight_averaging``).""",
}
#: The regressor's own parameter documentation (the rest: ``_docstrings.SHARED``).
_PARAMETERS = dict(
    batch_size="""\
batch_size : int or "auto", default="auto"
    Rows per training step. "auto" is ``n_samples // 16`` within [32, 256]
    (and at least 4 steps per epoch on tiny data):
    ``min(256, max(min(32, ceil(n_samples / 4)), n_samples // 16))``. A
    step costs about the same for any batch in that range, so larger data
    take fewer, larger steps.
""",
    lr="""\
lr : float or "auto", default="auto"
    Adam learning rate of the generated weights: the mixer's and
    generators' weight matrices learn at ``lr / fan_in`` (biases at
    ``lr``), so that ``lr`` is the step the generated networks' own
    weights take, as for an ensemble's networks (the Adam rule of muP,
    Yang et al. 2021; without it the generated weights moved about a
    generator-width times faster than ``lr`` says, and rates above
    1e-3 diverged). "auto" is 1e-2, lowered by ``sqrt(batch_size / 32)``
    for batches under 32 rows (tiny data; square-root scaling with the
    batch size, Malladi et al. 2022), chosen on the UCI selection splits
    (see the user guide). The code-space regulariser is updated every
    4th step, weighted 4x (lazy regularisation, Karras et al. 2020).
""",
    early_stopping="""\
early_stopping : bool or "auto", default="auto"
    Hold out ``validation_fraction`` of the training rows, score them
    after every epoch with the NLL of the ensemble's predictive mixture
    (over a fixed set of 32 networks), stop once it has not improved for
    ``n_iter_no_change`` epochs, and keep the networks of the best epoch.
    "auto" turns it on from 200 training rows on (the split then has at
    least 20 rows); ``partial_fit`` never holds rows out. The history
    then has ``valid_loss``.
""",
    regularizer="""\
regularizer : {"discriminator", "mine"}, default="discriminator"
    Code-space diversity term: a GAN discriminator against a Gaussian
    prior (the paper) or a MINE mutual-information estimate (the second
    reference).
""",
    calibration="""\
calibration : {"auto"} or None, default="auto"
    "auto": after a fit that holds rows out (``early_stopping``), the
    predictive distribution becomes the equal mixture of two copies of
    the networks' mixture, its spread about the mean scaled by the two
    factors ``spread_factors_`` (``s e^-k`` and ``s e^k``) that minimise
    the held-out rows' mixture NLL: ``s`` sets its width, ``k`` how
    peaked and heavy-tailed it is (``k = 0``: one factor). The factors
    act on the aleatoric and epistemic parts alike: the held-out rows are
    like the training rows, where the networks' disagreement is small, so
    they cannot tell a separate epistemic factor apart from noise. The
    mean is unchanged and the predictive std is multiplied by
    ``spread_scale_``. It applies to ``predict_uncertainty``,
    ``predict(return_std=True)``, ``predict_distribution``,
    ``predict_interval`` and ``sample_y``, not to the standalone networks
    of ``sample_networks``. A fit without held-out rows, or None, leaves
    the distribution as the networks predict it (factors of ones);
    ``partial_fit`` keeps the last fitted factors, a warm-started ``fit``
    fits them again. The held-out rows are those that chose the stopping
    epoch, never test data.
""",
)


@fill_parameters(_PHRASES, **_PARAMETERS)
class HyperGANRegressor(RegressorMixin, BaseHyperGAN):
    """HyperGAN regressor: a learned distribution of Gaussian-output networks.

    A mixer turns noise into per-layer codes, per-layer generators turn codes
    into the weights of a target network, and a discriminator on the codes
    keeps the generated networks diverse (Ratzlaff & Fuxin, ICML 2019). Every
    generated network predicts a mean and a variance (heteroscedastic Gaussian,
    trained on the Gaussian negative log-likelihood); ``y`` is standardised
    internally. Predictions average ``n_prediction_networks`` networks drawn
    once at fit time, so ``predict`` is deterministic.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    net_ : HyperGANNet
        The fitted skorch net (its ``module_`` is the hypernetwork).
    history_ : skorch.History
        Per-epoch losses.
    spread_factors_ : ndarray of shape (n_targets, 2)
        The two factors of the calibrated predictive distribution per
        target, smaller first (see ``calibration``); ones when not
        calibrated.
    spread_scale_ : ndarray of shape (n_targets,)
        Factor of the predictive standard deviation per target: the root
        mean square of ``spread_factors_``; ones when not calibrated.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` is a DataFrame with string column names.

    See Also
    --------
    HyperGANClassifier : The classifier.
    sklearn.gaussian_process.GaussianProcessRegressor : Exact GP with ``return_std``.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sk_hypergan import HyperGANRegressor
    >>> X, y = make_regression(n_samples=200, n_features=4, noise=5, random_state=0)
    >>> reg = HyperGANRegressor(max_epochs=20, random_state=0).fit(X, y)
    >>> mean, std = reg.predict(X[:3], return_std=True)
    >>> mean.shape, bool((std > 0).all())
    ((3,), True)
    >>> u = reg.predict_uncertainty(X[:3])
    >>> sorted(u)
    ['aleatoric_std', 'epistemic_std', 'mean', 'std']
    """

    _auto_lr_schedule = "plateau"
    _auto_lr = 1e-2
    _scale_lr_by_fan_in = True
    _regularizer_interval = 4

    #: Half the classifier's rows per step: beyond 256 rows the steps per
    #: epoch became too few for near-noiseless targets (UCI naval, selection split).
    AUTO_BATCH_DIVISOR = 16
    #: ``lr="auto"``: ``_auto_lr`` at 32 rows per step, times the square root
    #: of the batch size over 32, at most ``AUTO_LR_MAX`` (so only tiny data,
    #: with batches under 32 rows, take a smaller rate).
    AUTO_LR_MAX = 1e-2

    def _lr(self, n_samples):
        # Square-root scaling of Adam's rate with the batch size (Malladi et
        # al., NeurIPS 2022): a larger, less noisy batch takes larger steps.
        if self.lr != "auto":
            return float(self.lr)
        scale = math.sqrt(self._batch_size(n_samples) / 32)
        return float(min(self.AUTO_LR_MAX, self._auto_lr * scale))

    def _y_validation_kwargs(self):
        return {"multi_output": True, "y_numeric": True}

    def _encode_y(self, y):
        y = np.asarray(y, dtype=np.float64)
        self._y_1d = y.ndim == 1
        y2 = y.reshape(len(y), -1)
        with np.errstate(over="ignore"):
            self._y_mean = y2.mean(axis=0)
            self._y_scale = _handle_zeros_in_scale(y2.std(axis=0))
        # Predictive variances are scale**2: they must fit in float64.
        if not (np.isfinite(self._y_mean).all() and (self._y_scale < 1e150).all()):
            raise ValueError(
                "y is too large: its standard deviation must stay below 1e150 so that "
                "predictive variances fit in float64; divide y by a constant."
            )
        return self._transform_y(y), 2 * y2.shape[1], GaussianNLLLoss

    def _transform_y(self, y):
        y2 = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        if y2.shape[1] != len(self._y_mean):
            raise ValueError(
                f"y has {y2.shape[1]} targets, but the model was fitted with {len(self._y_mean)}."
            )
        return ((y2 - self._y_mean) / self._y_scale).astype(np.float32)

    def _calibrate(self, held_out):
        self.spread_factors_ = np.ones((len(self._y_mean), 2))
        if held_out is not None:
            X, y, w = held_out
            # In standardised units, as the networks predict (the factors are unit-free).
            outputs = torch.from_numpy(self._held_out_outputs(X))
            mean, var = (t.numpy() for t in gaussian_head(outputs))
            finite = np.isfinite(mean).all() and np.isfinite(var).all() and (var > 0).all()
            if finite and (w is None or w.sum() > 0):
                self.spread_factors_ = fit_spread_factors(mean, var, y.astype(np.float64), w)
        # The variance of the equal mixture of the two copies is the mean of theirs.
        self.spread_scale_ = np.sqrt(np.square(self.spread_factors_).mean(axis=1))

    def _shape(self, a):
        return a.ravel() if self._y_1d else a

    def _moments(self, X):
        """Per-row mixture moments in original units: mean, aleatoric var, epistemic var.

        Law of total variance over the sampled networks: the predictive
        variance is E_b[var_b(x)] (aleatoric) + Var_b[mean_b(x)] (epistemic).
        """
        moments, start = None, 0
        # The head (softplus) on the float32 outputs, the sums over networks in
        # float64; the variance as the mean squared deviation (two passes).
        for out in self._member_outputs(X, dtype=None, device=None):
            # Outputs-major (B, 2k, rows): the MLP path's own layout, where
            # each statistic runs over contiguous rows.
            mean, var = (t.double() for t in gaussian_head(out.transpose(1, 2), dim=1))
            mu = mean.mean(0)  # (k, rows)
            if moments is None:  # X is valid now: the results' arrays, once
                moments = np.empty((3, mu.shape[0], _num_samples(X)))
            stop = start + mu.shape[1]
            # Written in place: no list of small per-chunk arrays whose
            # allocations, interleaved with the chunks', fragment the heap.
            moments[0, :, start:stop] = mu.cpu().numpy()
            moments[1, :, start:stop] = var.mean(0).cpu().numpy()
            moments[2, :, start:stop] = (mean - mu).square_().mean(0).cpu().numpy()
            start = stop
        moments = moments.transpose(0, 2, 1)  # (3, rows, k)
        # Calibration scales the spread about the mean: both parts by the
        # mean of the two copies' squared factors.
        scale2 = (self._y_scale * self.spread_scale_) ** 2
        mean, aleatoric, epistemic = moments
        return mean * self._y_scale + self._y_mean, aleatoric * scale2, epistemic * scale2

    def predict_uncertainty(self, X: ArrayLike) -> Bunch:
        """Predictive mean and its uncertainty, split into aleatoric and epistemic.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Query points.

        Returns
        -------
        Bunch
            ``mean``, ``std``, ``aleatoric_std`` (the noise the networks
            predict, sqrt of the mean variance) and ``epistemic_std`` (their
            disagreement, the std of their means), each of shape
            (n_samples,) or (n_samples, n_targets); ``std**2 ==
            aleatoric_std**2 + epistemic_std**2``.

        Examples
        --------
        >>> import numpy as np
        >>> from sk_hypergan import HyperGANRegressor
        >>> X = np.linspace(-1, 1, 50)[:, None]
        >>> reg = HyperGANRegressor(max_epochs=5, random_state=0).fit(X, X.ravel())
        >>> u = reg.predict_uncertainty(X)
        >>> bool(np.allclose(u.std**2, u.aleatoric_std**2 + u.epistemic_std**2))
        True
        """
        mean, aleatoric, epistemic = self._moments(X)
        return Bunch(
            mean=self._shape(mean),
            std=self._shape(np.sqrt(aleatoric + epistemic)),
            aleatoric_std=self._shape(np.sqrt(aleatoric)),
            epistemic_std=self._shape(np.sqrt(epistemic)),
        )

    def predict(
        self, X: ArrayLike, return_std: bool = False
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Predictive mean (the average of the sampled networks' means).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Query points.
        return_std : bool, default=False
            Also return the predictive standard deviation.

        Returns
        -------
        y_mean : ndarray of shape (n_samples,) or (n_samples, n_targets)
        y_std : ndarray, same shape, only if ``return_std``

        Examples
        --------
        >>> import numpy as np
        >>> from sk_hypergan import HyperGANRegressor
        >>> X = np.linspace(-1, 1, 50)[:, None]
        >>> reg = HyperGANRegressor(max_epochs=5, random_state=0).fit(X, 2 * X.ravel())
        >>> reg.predict(X[:2]).shape
        (2,)
        """
        u = self.predict_uncertainty(X)
        return (u.mean, u.std) if return_std else u.mean

    def predict_distribution(self, X: ArrayLike) -> GaussianMixtureDistribution:
        """The predictive distribution of every row: the mixture of the networks' Gaussians.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Query points.

        Returns
        -------
        GaussianMixtureDistribution
            ``n_prediction_networks`` equal-weight Gaussian components per row
            (and target), twice as many when calibrated with two distinct
            factors (``spread_factors_``), in the target's units, with
            ``mean()``, ``std()``, ``var()``, ``logpdf(y)``, ``pdf(y)``,
            ``cdf(y)``, ``ppf(q)``, ``interval(confidence)`` and
            ``rvs(size, random_state)``; results have shape ``(n_rows,)`` (or
            ``(n_rows, n_targets)`` for a 2-D ``y``). Its mean and variance are those of
            :meth:`predict_uncertainty`. It holds two floats per component,
            row and target.

        Examples
        --------
        >>> import numpy as np
        >>> from sk_hypergan import HyperGANRegressor
        >>> X = np.linspace(-1, 1, 50)[:, None]
        >>> reg = HyperGANRegressor(max_epochs=5, random_state=0).fit(X, X.ravel())
        >>> dist = reg.predict_distribution(X[:3])
        >>> dist.mean().shape, dist.logpdf(X[:3].ravel()).shape
        ((3,), (3,))
        >>> bool(np.allclose(dist.std(), reg.predict(X[:3], return_std=True)[1]))
        True
        """
        loc, scale = torch.from_numpy(self._y_mean), torch.from_numpy(self._y_scale)
        parts = [_member_gaussians(out, loc, scale) for out in self._member_outputs(X)]
        means = np.concatenate([mean.numpy() for mean, _ in parts], axis=1)  # (B, rows, k)
        variances = np.concatenate([var.numpy() for _, var in parts], axis=1)
        mixture = GaussianMixtureDistribution(means, variances, squeeze=self._y_1d)
        return mixture.scale_mixture(self.spread_factors_)

    def predict_interval(self, X: ArrayLike, confidence_level: float = 0.9) -> np.ndarray:
        """Central predictive interval: the quantiles of the predictive mixture.

        The bounds are the ``(1 - confidence_level) / 2`` and ``(1 + confidence_level)
        / 2`` quantiles of :meth:`predict_distribution`, the mixture of the networks'
        Gaussians (not of the Gaussian with its mean and standard deviation).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Query points.
        confidence_level : float, default=0.9
            Probability mass inside the interval, in (0, 1).

        Returns
        -------
        ndarray of shape (n_samples, 2) or (n_samples, n_targets, 2)
            Lower and upper bounds.

        Examples
        --------
        >>> import numpy as np
        >>> from sk_hypergan import HyperGANRegressor
        >>> X = np.linspace(-1, 1, 50)[:, None]
        >>> reg = HyperGANRegressor(max_epochs=5, random_state=0).fit(X, X.ravel())
        >>> bounds = reg.predict_interval(X, confidence_level=0.8)
        >>> bounds.shape, bool((bounds[:, 0] < bounds[:, 1]).all())
        ((50, 2), True)
        """
        check_scalar(
            confidence_level,
            "confidence_level",
            Real,
            min_val=0,
            max_val=1,
            include_boundaries="neither",
        )
        lower, upper = self.predict_distribution(X).interval(confidence_level)
        return np.stack([lower, upper], axis=-1)

    def sample_y(
        self, X: ArrayLike, n_samples: int = 1, random_state: RandomStateLike = 0
    ) -> np.ndarray:
        """Draw targets from the predictive distribution.

        Each draw uses its own freshly generated network (so a draw is one
        coherent function plus its predicted noise), then samples
        ``y ~ N(mean_b(x), var_b(x))``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
            Query points.
        n_samples : int, default=1
            Number of draws per row.
        random_state : int, RandomState instance or None, default=0
            Seed of the networks and of the noise.

        Returns
        -------
        ndarray of shape (n_rows, n_samples) or (n_rows, n_targets, n_samples)

        Examples
        --------
        >>> import numpy as np
        >>> from sk_hypergan import HyperGANRegressor
        >>> X = np.linspace(-1, 1, 50)[:, None]
        >>> reg = HyperGANRegressor(max_epochs=5, random_state=0).fit(X, X.ravel())
        >>> reg.sample_y(X[:4], n_samples=7).shape
        (4, 7)
        """
        check_is_fitted(self, "net_")
        check_scalar(n_samples, "n_samples", Integral, min_val=1)
        rng = check_random_state(random_state)
        network_seed = int(rng.randint(np.iinfo(np.int32).max))
        loc, scale = torch.from_numpy(self._y_mean), torch.from_numpy(self._y_scale)
        draws = []
        for out in self._member_outputs(X, n=n_samples, random_state=network_seed):
            mean, var = (t.numpy() for t in _member_gaussians(out, loc, scale))
            noise = rng.standard_normal(mean.shape)  # (n_samples, rows, k)
            draws.append(mean + np.sqrt(var) * noise)
        y = np.concatenate(draws, axis=1)  # (n_samples, rows, k)
        if not np.all(self.spread_factors_ == 1):
            # Calibrated: each draw's spread about the predictive mean times
            # one of the two factors, picked at random (the prediction
            # networks' mean, as predict's, hence a second pass: the draws'
            # own networks may be few).
            center = self._moments(X)[0]
            low, high = self.spread_factors_.T
            factor = np.where(rng.randint(2, size=y.shape) == 1, high, low)
            y = center + factor * (y - center)
        y = np.moveaxis(y, 0, -1)  # (rows, k, n_samples)
        return y[:, 0, :] if self._y_1d else y

    def _wrap_member(self, module):
        return _GaussianMember(module, self._y_mean, self._y_scale)

    def partial_fit(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> HyperGANRegressor:
        """One epoch of training on one batch of data (streaming, out-of-core).

        The first call (on an unfitted estimator) builds and initialises the
        networks exactly as :meth:`fit` does; every call then trains one epoch
        over ``(X, y)`` in minibatches of ``batch_size``. Calling it after
        :meth:`fit` continues training the fitted networks.

        Known limitation: ``y`` is standardised with the mean and standard
        deviation of the **first** batch (as a warm start keeps those of the
        first fit), and ``batch_size="auto"`` is resolved from the first
        batch's size. Make the first batch representative of the target's
        scale, or scale ``y`` yourself.

        Later calls use the current ``n_networks``, ``beta``,
        ``mixup_diversity``, ``weight_decay``, an integer ``batch_size`` and
        ``verbose``, and go on at the optimizer's learning rate; a parameter
        the networks were built from (see ``warm_start``) cannot change, a
        ``ValueError`` says which did. No call keeps a weight average
        (``weight_averaging``): the stream steps the model's weights.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training rows of this batch; later calls must have the same features.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets, with the same number of targets at every call.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative per-row weights, as in :meth:`fit`.

        Returns
        -------
        self : object
            The partially fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from sk_hypergan import HyperGANRegressor
        >>> rng = np.random.RandomState(0)
        >>> reg = HyperGANRegressor(random_state=0)
        >>> for _ in range(3):
        ...     X = rng.uniform(-1, 1, size=(64, 2))
        ...     reg = reg.partial_fit(X, X.sum(axis=1))
        >>> len(reg.history_)
        3
        """
        if not hasattr(self, "net_"):
            self._validate_params()
        return self._partial_fit(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
