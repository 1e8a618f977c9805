"""Hand-built uncertainty baselines, as a competent user would write them.

Small scikit-learn-style estimators in plain PyTorch, used by the benchmark
scripts to compare :mod:`sk_hypergan` with the alternatives people build by
hand:

- :class:`DeepEnsembleRegressor` / :class:`DeepEnsembleClassifier`:
  ``n_members`` networks from independent initialisations, trained one after
  another (Lakshminarayanan, Pritzel & Blundell, NeurIPS 2017).
- :class:`MCDropoutRegressor` / :class:`MCDropoutClassifier`: one network with
  dropout kept on at prediction time (Gal & Ghahramani, ICML 2016).
- :class:`SingleNetworkClassifier`: one softmax network (no epistemic
  uncertainty), the plain baseline.

Shared defaults, chosen once and never tuned on test data: one hidden layer of
50 ReLU units, Adam with ``lr=1e-3``, ``batch_size="auto"``, ``max_epochs=100``,
no weight decay and no early stopping. (These are *not* HyperGAN's budget, which stops
early within 200 epochs; every "vs deep ensemble" regression figure uses the batched
:class:`~harness.reference_ensemble.BatchedEnsembleRegressor` instead. The
one-after-another :class:`DeepEnsembleRegressor` remains for the classifier suites and
the 1-D toy, labelled as such.) Regressors standardise ``y``
internally and report predictions in the target's original units; they handle
a single target only.

Examples
--------
>>> import numpy as np
>>> X = np.linspace(-1, 1, 40)[:, None]
>>> reg = DeepEnsembleRegressor(n_members=2, max_epochs=2, random_state=0).fit(X, X.ravel())
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
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelEncoder, StandardScaler
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

__all__ = [
    "mlp_module",
    "conv2d_module",
    "conv2d_factory",
    "DeepEnsembleRegressor",
    "MCDropoutRegressor",
    "SingleNetworkClassifier",
    "DeepEnsembleClassifier",
    "MCDropoutClassifier",
]

_MAX_SEED = np.iinfo(np.int32).max


def resolve_batch_size(batch_size, n_samples):
    """``"auto"``: HyperGAN's rule when these baselines were written (about 32 steps
    per epoch, 32 to 256 rows per step, at least 4 steps per epoch on tiny data),
    frozen here so the baselines do not move with the package's defaults."""
    if batch_size == "auto":
        floor = min(32, max(1, math.ceil(n_samples / 4)))
        return int(min(256, max(floor, n_samples // 32)))
    return batch_size

#: Floor of a predicted variance (standardised units), as in sk_hypergan, so
#: the Gaussian NLL stays finite when a network becomes very confident.
MIN_VARIANCE = 1e-6

#: Rows per forward pass at prediction time (bounds memory, not results).
_PREDICT_CHUNK = 4096


# -- architectures ---------------------------------------------------------------
def mlp_module(n_features_in, n_outputs, hidden_layer_sizes=(50,), dropout=0.0):
    """ReLU MLP; with ``dropout > 0`` a dropout layer precedes every linear layer.

    Dropout on the inputs and before every dense layer is the placement of
    Gal's UCI experiments (yaringal/DropoutUncertaintyExps, ``net.py``).

    Parameters
    ----------
    n_features_in, n_outputs : int
        Input and output widths.
    hidden_layer_sizes : tuple of int, default=(50,)
        Hidden widths.
    dropout : float, default=0.0
        Drop probability; 0 adds no dropout layers.

    Returns
    -------
    torch.nn.Sequential
    """
    layers, width = [], n_features_in
    for size in (*hidden_layer_sizes, n_outputs):
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        layers += [nn.Linear(width, size), nn.ReLU()]
        width = size
    return nn.Sequential(*layers[:-1])  # no activation after the output layer


def conv2d_module(input_shape, n_outputs, channels=(8, 16), kernel_size=3, dropout=0.0):
    """The convolutional architecture of ``sk_hypergan.targets.conv2d``.

    Rows are reshaped to ``input_shape``; each convolution (same padding) is
    followed by a ReLU and a 2x2 max-pool while the image is at least 2x2;
    a linear layer maps the flattened features to the outputs. For
    ``(1, 8, 8)``: conv(1->8) - relu - pool - conv(8->16) - relu - pool -
    flatten - linear(64 -> n_outputs). With ``dropout > 0`` a dropout layer
    follows every convolution block (so one precedes the linear layer).

    Parameters
    ----------
    input_shape : tuple of int
        ``(channels, height, width)``.
    n_outputs : int
        Output width.
    channels : tuple of int, default=(8, 16)
        Output channels of each convolution.
    kernel_size : int, default=3
        Square kernel size.
    dropout : float, default=0.0
        Drop probability; 0 adds no dropout layers.

    Returns
    -------
    torch.nn.Sequential
    """
    c, h, w = input_shape
    layers = [nn.Unflatten(1, tuple(input_shape))]
    for c_out in channels:
        layers += [nn.Conv2d(c, c_out, kernel_size, padding=kernel_size // 2), nn.ReLU()]
        c = c_out
        if h >= 2 and w >= 2:
            layers.append(nn.MaxPool2d(2))
            h, w = h // 2, w // 2
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    layers += [nn.Flatten(), nn.Linear(c * h * w, n_outputs)]
    return nn.Sequential(*layers)


def conv2d_factory(input_shape, channels=(8, 16), kernel_size=3, dropout=0.0):
    """A ``module_factory`` building :func:`conv2d_module` for the classifiers.

    Examples
    --------
    >>> net = conv2d_factory((1, 8, 8))(64, 10)
    >>> net(torch.zeros(2, 64)).shape
    torch.Size([2, 10])
    """

    def factory(n_features_in, n_outputs):
        return conv2d_module(input_shape, n_outputs, channels, kernel_size, dropout)

    return factory


# -- training and evaluation -------------------------------------------------------
def _gaussian_head(out):
    """Outputs ``(..., 2)`` -> mean, variance; softplus variance as in
    Lakshminarayanan et al. 2017, Sec. 2.2.1."""
    return out[..., 0], F.softplus(out[..., 1]) + MIN_VARIANCE


def _gaussian_nll(out, y):
    mean, var = _gaussian_head(out)
    return F.gaussian_nll_loss(mean, y, var, full=True)


def _train(module, loss_fn, X, y, *, max_epochs, batch_size, lr, weight_decay):
    """Minibatch Adam on reshuffled rows every epoch (last batch may be short)."""
    optimizer = torch.optim.Adam(module.parameters(), lr=lr, weight_decay=weight_decay)
    module.train()
    for _ in range(max_epochs):
        for idx in torch.randperm(len(X), device=X.device).split(batch_size):
            optimizer.zero_grad()
            loss_fn(module(X[idx]), y[idx]).backward()
            optimizer.step()
    return module


@torch.no_grad()
def _forward(module, X):
    """Outputs for all rows, in chunks, on the CPU; the module's train/eval mode is kept."""
    return torch.cat([module(chunk) for chunk in X.split(_PREDICT_CHUNK)]).cpu()


def _seeded(seed, fn, *args, **kwargs):
    """Run ``fn`` under ``torch.manual_seed(seed)`` without touching the
    caller's global torch RNG state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        return fn(*args, **kwargs)


def _as_tensor(X):
    # Writable float32 (torch refuses read-only memory); copies only if needed.
    return torch.as_tensor(np.require(X, dtype=np.float32, requirements=["C", "W"]))


def _has_dropout(module):
    return any(isinstance(m, nn.modules.dropout._DropoutNd) for m in module.modules())


# -- shared estimator machinery ----------------------------------------------------
class _TorchEstimator(BaseEstimator):
    """Parameters and training loop shared by all baselines."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like"],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "device": [str],
    }

    def _dropout(self):
        """Dropout of the networks; the MC-dropout subclasses return their parameter."""
        return 0.0

    def _build_module(self, n_features_in, n_outputs):
        return mlp_module(n_features_in, n_outputs, tuple(self.hidden_layer_sizes), self._dropout())

    def _train_one(self, seed, X, y, loss_fn, n_outputs):
        """Build and train one network under its own seed (initialisation and
        shuffling), as a user looping over members would."""

        def build_and_train():
            module = self._build_module(X.shape[1], n_outputs).to(X.device)
            return _train(
                module,
                loss_fn,
                X,
                y,
                max_epochs=self.max_epochs,
                batch_size=resolve_batch_size(self.batch_size, len(X)),
                lr=self.lr,
                weight_decay=self.weight_decay,
            )

        return _seeded(seed, build_and_train)


class _MemberOutputs:
    """``_member_outputs(X) -> (n_members, n_rows, n_outputs)`` for both kinds.

    Deep ensembles evaluate each trained network; MC dropout evaluates one
    network ``n_samples`` times with dropout on, under a seed fixed at fit
    time so ``predict`` is deterministic.
    """

    def _fit_members(self, X, y, loss_fn, n_outputs):
        rng = check_random_state(self.random_state)
        X, y = X.to(self.device), y.to(self.device)
        if hasattr(self, "n_members"):
            seeds = rng.randint(_MAX_SEED, size=self.n_members)
            self.members_ = [self._train_one(s, X, y, loss_fn, n_outputs) for s in seeds]
            for member in self.members_:
                member.eval()
        else:
            self.module_ = self._train_one(rng.randint(_MAX_SEED), X, y, loss_fn, n_outputs)
            self._predict_seed = int(rng.randint(_MAX_SEED))

    def _member_outputs(self, X):
        check_is_fitted(self)
        X = _as_tensor(validate_data(self, X, reset=False, dtype=[np.float64, np.float32]))
        X = X.to(self.device)
        if hasattr(self, "members_"):
            return torch.stack([_forward(m, X) for m in self.members_]).double()
        if not hasattr(self, "n_samples"):  # a single deterministic network
            self.module_.eval()
            return _forward(self.module_, X)[None].double()
        self.module_.train()  # keep dropout on: each pass is one sampled network

        def sample():
            return torch.stack([_forward(self.module_, X) for _ in range(self.n_samples)])

        return _seeded(self._predict_seed, sample).double()


# -- regressors ---------------------------------------------------------------------
class _GaussianRegressor(_MemberOutputs, RegressorMixin, _TorchEstimator):
    """Members with a Gaussian (mean, softplus variance) head, mixed at prediction."""

    def fit(self, X, y):
        """Fit on standardised ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Targets.

        Returns
        -------
        self : object
        """
        self._validate_params()
        X, y = validate_data(self, X, y, y_numeric=True, dtype=[np.float64, np.float32])
        self.y_scaler_ = StandardScaler().fit(np.asarray(y, dtype=np.float64).reshape(-1, 1))
        y_std = self.y_scaler_.transform(np.reshape(y, (-1, 1))).ravel()
        self._fit_members(_as_tensor(X), _as_tensor(y_std), _gaussian_nll, n_outputs=2)
        return self

    def predict_uncertainty(self, X):
        """Mixture mean and std, split into aleatoric and epistemic parts.

        Law of total variance over the members: predictive variance =
        mean of the members' variances (aleatoric) + variance of their
        means (epistemic).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        Bunch
            ``mean``, ``std``, ``aleatoric_std``, ``epistemic_std``, each of
            shape (n_samples,), in the target's units.
        """
        means, variances = _gaussian_head(self._member_outputs(X))
        loc, scale = self.y_scaler_.mean_[0], self.y_scaler_.scale_[0]
        aleatoric = variances.mean(0).numpy() * scale**2
        epistemic = means.var(0, unbiased=False).numpy() * scale**2
        return Bunch(
            mean=means.mean(0).numpy() * scale + loc,
            std=np.sqrt(aleatoric + epistemic),
            aleatoric_std=np.sqrt(aleatoric),
            epistemic_std=np.sqrt(epistemic),
        )

    def predict(self, X, return_std=False):
        """Predictive mean, and optionally the predictive std.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        return_std : bool, default=False

        Returns
        -------
        y_mean : ndarray of shape (n_samples,)
        y_std : ndarray of shape (n_samples,), only if ``return_std``
        """
        u = self.predict_uncertainty(X)
        return (u.mean, u.std) if return_std else u.mean


class DeepEnsembleRegressor(_GaussianRegressor):
    """Deep ensemble of Gaussian-output MLPs (Lakshminarayanan et al. 2017).

    Each member is an MLP whose two outputs are a mean and a softplus
    variance, trained on the Gaussian NLL (``torch.nn.functional.
    gaussian_nll_loss``) from its own random initialisation; members are
    trained one after another. The prediction is the Gaussian matching the
    uniform mixture of the members: mean of means, variance = mean of
    variances + variance of means. (The paper's optional adversarial-training
    step is not used.)

    Parameters
    ----------
    n_members : int, default=5
        Networks in the ensemble (M=5 in the paper's UCI table).
    hidden_layer_sizes : tuple of int, default=(50,)
        Hidden widths (one layer of 50: the UCI protocol).
    max_epochs : int, default=100
        Epochs per member.
    batch_size : int or "auto", default="auto"
        "auto" is HyperGANRegressor's rule (about 32 steps per epoch, 32 to 256
        rows per step), so both get the same training budget.
        Rows per Adam step.
    lr : float, default=1e-3
        Adam learning rate.
    weight_decay : float, default=0.0
        Adam (L2) weight decay.
    random_state : int, RandomState instance or None, default=None
        Seeds every member's initialisation and shuffling.
    device : str, default="cpu"
        Torch device the networks train and predict on ("cpu", "cuda", ...);
        answers come back as NumPy arrays on the host.

    Attributes
    ----------
    members_ : list of torch.nn.Module
        The trained networks (outputs in standardised units).
    y_scaler_ : sklearn.preprocessing.StandardScaler
        The target standardisation.
    n_features_in_ : int
        Number of features seen during fit.
    """

    _parameter_constraints = {
        **_TorchEstimator._parameter_constraints,
        "n_members": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        n_members=5,
        *,
        hidden_layer_sizes=(50,),
        max_epochs=100,
        batch_size="auto",
        lr=1e-3,
        weight_decay=0.0,
        random_state=None,
        device="cpu",
    ):
        self.n_members = n_members
        self.hidden_layer_sizes = hidden_layer_sizes
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.device = device


class MCDropoutRegressor(_GaussianRegressor):
    """MC-dropout MLP with a heteroscedastic Gaussian head.

    One MLP with dropout on its inputs and before every linear layer (the
    placement of Gal's UCI code), trained on the Gaussian NLL of a (mean,
    softplus variance) head; at prediction dropout stays on and ``n_samples``
    stochastic passes are mixed like ensemble members (mean of variances +
    variance of means).

    The heteroscedastic head (Kendall & Gal, NeurIPS 2017) is used instead of
    the homoscedastic noise precision ``tau`` of Gal & Ghahramani (2016),
    because ``tau`` (and the dropout rate) are chosen there by a grid search
    on held-out data; the learned variance needs no such search, so one
    default configuration serves all datasets. The prior-derived weight decay
    of Gal's code (``l**2 (1 - p) / (2 N tau)`` with ``l = 1e-2``) is of order
    1e-7 on these data sizes, hence ``weight_decay=0``.

    Parameters
    ----------
    dropout : float, default=0.05
        Drop probability (in the middle of Gal's UCI grid 0.005-0.1).
    n_samples : int, default=100
        Stochastic forward passes at prediction time.
    hidden_layer_sizes : tuple of int, default=(50,)
        Hidden widths.
    max_epochs : int, default=100
        Training epochs.
    batch_size : int or "auto", default="auto"
        "auto" is HyperGANRegressor's rule (about 32 steps per epoch, 32 to 256
        rows per step), so both get the same training budget.
        Rows per Adam step.
    lr : float, default=1e-3
        Adam learning rate.
    weight_decay : float, default=0.0
        Adam (L2) weight decay.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling and the prediction dropout masks.
    device : str, default="cpu"
        Torch device the networks train and predict on ("cpu", "cuda", ...);
        answers come back as NumPy arrays on the host.

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network (outputs in standardised units).
    y_scaler_ : sklearn.preprocessing.StandardScaler
        The target standardisation.
    n_features_in_ : int
        Number of features seen during fit.
    """

    _parameter_constraints = {
        **_TorchEstimator._parameter_constraints,
        "dropout": [Interval(Real, 0, 1, closed="neither")],
        "n_samples": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        dropout=0.05,
        n_samples=100,
        *,
        hidden_layer_sizes=(50,),
        max_epochs=100,
        batch_size="auto",
        lr=1e-3,
        weight_decay=0.0,
        random_state=None,
        device="cpu",
    ):
        self.dropout = dropout
        self.n_samples = n_samples
        self.hidden_layer_sizes = hidden_layer_sizes
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.device = device

    def _dropout(self):
        return self.dropout

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Dropout masks depend on the batch's rows, so predictions on a
        # subset or a permutation of X differ slightly.
        tags.non_deterministic = True
        return tags


# -- classifiers ----------------------------------------------------------------------
class _SoftmaxClassifier(_MemberOutputs, ClassifierMixin, _TorchEstimator):
    """Softmax members trained on cross-entropy; probabilities averaged."""

    _parameter_constraints = {
        **_TorchEstimator._parameter_constraints,
        "input_shape": [tuple, list, None],
        "module_factory": [callable, None],
    }

    def _build_module(self, n_features_in, n_outputs):
        if self.module_factory is not None:
            module = self.module_factory(n_features_in, n_outputs)
            if self._dropout() > 0 and not _has_dropout(module):
                raise ValueError(
                    "module_factory built a network without dropout layers; MC dropout "
                    "needs them (e.g. conv2d_factory(input_shape, dropout=0.1))."
                )
            return module
        if self.input_shape is not None:
            return conv2d_module(tuple(self.input_shape), n_outputs, dropout=self._dropout())
        return super()._build_module(n_features_in, n_outputs)

    def fit(self, X, y):
        """Fit on integer-encoded labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : object
        """
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        y_enc = torch.as_tensor(encoder.transform(y), dtype=torch.long)
        self._fit_members(_as_tensor(X), y_enc, F.cross_entropy, n_outputs=len(self.classes_))
        return self

    def predict_member_proba(self, X):
        """Class probabilities of every member (or dropout sample).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_members, n_samples, n_classes)
            For entropy / mutual-information computations.
        """
        return torch.softmax(self._member_outputs(X), dim=-1).numpy()

    def predict_proba(self, X):
        """Mean of the members' class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return self.predict_member_proba(X).mean(axis=0)

    def predict(self, X):
        """Most probable class under :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)  # checks fitted before classes_ is read
        return self.classes_[proba.argmax(axis=1)]


_CLASSIFIER_PARAMS_DOC = """
    hidden_layer_sizes : tuple of int, default=(50,)
        Hidden widths of the default MLP.
    input_shape : tuple of int or None, default=None
        ``(channels, height, width)``: use the convolutional architecture of
        ``sk_hypergan.targets.conv2d(input_shape)`` (see :func:`conv2d_module`)
        instead of the MLP.
    module_factory : callable or None, default=None
        ``module_factory(n_features_in, n_classes) -> torch.nn.Module`` mapping
        float32 rows to logits; overrides ``hidden_layer_sizes`` and
        ``input_shape``.
    max_epochs : int, default=100
        Training epochs (per member).
    batch_size : int or "auto", default="auto"
        "auto" is HyperGANRegressor's rule (about 32 steps per epoch, 32 to 256
        rows per step), so both get the same training budget.
        Rows per Adam step.
    lr : float, default=1e-3
        Adam learning rate.
    weight_decay : float, default=0.0
        Adam (L2) weight decay.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation and shuffling (and dropout masks at prediction).
    device : str, default="cpu"
        Torch device the networks train and predict on ("cpu", "cuda", ...);
        answers come back as NumPy arrays on the host.
"""


class SingleNetworkClassifier(_SoftmaxClassifier):
    __doc__ = (
        """One softmax network trained on cross-entropy: the no-uncertainty baseline.

    ``predict_member_proba`` returns one member, so its mutual information is 0.

    Parameters
    ----------"""
        + _CLASSIFIER_PARAMS_DOC
        + """
    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network (outputs logits).
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    """
    )

    def __init__(
        self,
        *,
        hidden_layer_sizes=(50,),
        input_shape=None,
        module_factory=None,
        max_epochs=100,
        batch_size="auto",
        lr=1e-3,
        weight_decay=0.0,
        random_state=None,
        device="cpu",
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.input_shape = input_shape
        self.module_factory = module_factory
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.device = device


class DeepEnsembleClassifier(_SoftmaxClassifier):
    __doc__ = (
        """Deep ensemble of softmax networks (Lakshminarayanan et al. 2017).

    ``n_members`` networks trained one after another from independent
    initialisations on cross-entropy; ``predict_proba`` averages their
    probabilities.

    Parameters
    ----------
    n_members : int, default=5
        Networks in the ensemble."""
        + _CLASSIFIER_PARAMS_DOC
        + """
    Attributes
    ----------
    members_ : list of torch.nn.Module
        The trained networks (outputs logits).
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = DeepEnsembleClassifier(2, input_shape=(1, 8, 8), max_epochs=1, random_state=0)
    >>> clf.fit(X[:200] / 16, y[:200]).predict_member_proba(X[:5] / 16).shape
    (2, 5, 10)
    """
    )

    _parameter_constraints = {
        **_SoftmaxClassifier._parameter_constraints,
        "n_members": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        n_members=5,
        *,
        hidden_layer_sizes=(50,),
        input_shape=None,
        module_factory=None,
        max_epochs=100,
        batch_size="auto",
        lr=1e-3,
        weight_decay=0.0,
        random_state=None,
        device="cpu",
    ):
        self.n_members = n_members
        self.hidden_layer_sizes = hidden_layer_sizes
        self.input_shape = input_shape
        self.module_factory = module_factory
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.device = device


class MCDropoutClassifier(_SoftmaxClassifier):
    __doc__ = (
        """MC-dropout softmax network (Gal & Ghahramani 2016).

    One network with dropout (MLP: on the inputs and before every linear
    layer; conv: after every convolution block) trained on cross-entropy;
    ``predict_proba`` averages ``n_samples`` stochastic passes with dropout on.
    A ``module_factory`` must include its own dropout layers.

    Parameters
    ----------
    dropout : float, default=0.1
        Drop probability (smaller than the classic 0.5 because the default
        networks are narrow).
    n_samples : int, default=100
        Stochastic forward passes at prediction time."""
        + _CLASSIFIER_PARAMS_DOC
        + """
    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network (outputs logits).
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    """
    )

    _parameter_constraints = {
        **_SoftmaxClassifier._parameter_constraints,
        "dropout": [Interval(Real, 0, 1, closed="neither")],
        "n_samples": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        dropout=0.1,
        n_samples=100,
        *,
        hidden_layer_sizes=(50,),
        input_shape=None,
        module_factory=None,
        max_epochs=100,
        batch_size="auto",
        lr=1e-3,
        weight_decay=0.0,
        random_state=None,
        device="cpu",
    ):
        self.dropout = dropout
        self.n_samples = n_samples
        self.hidden_layer_sizes = hidden_layer_sizes
        self.input_shape = input_shape
        self.module_factory = module_factory
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.device = device

    def _dropout(self):
        return self.dropout

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Dropout masks depend on the batch's rows, so predictions on a
        # subset or a permutation of X differ slightly.
        tags.non_deterministic = True
        return tags
