"""Shared scikit-learn facade of the two estimators.

Validation, seeding, device choice, building and fitting the skorch net, and
drawing the prediction ensemble live here; the subclasses only encode targets
and reduce the networks' outputs to predictions.
"""

from __future__ import annotations

import copy
import math
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real
from typing import Any, TypeVar

import numpy as np
import torch
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state, check_scalar
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
from skorch.callbacks import Callback, EarlyStopping, LRScheduler
from skorch.dataset import ValidSplit
from skorch.history import History
from torch import nn

from ._core.hypernetwork import HyperNetwork
from ._core.regularizers import REGULARIZERS
from ._ensemble import NetworkDistribution, torch_threads
from ._net import EARLY_STOPPING, LR_SCHEDULER, HyperGANNet
from ._typing import ArrayLike, RandomStateLike
from .targets import MLP, mlp

__all__ = ["BaseHyperGAN"]

_E = TypeVar("_E", bound="BaseHyperGAN")

_MAX_SEED = np.iinfo(np.int32).max
_FLOAT32_MAX = float(np.finfo(np.float32).max)

#: ``early_stopping="auto"`` holds out a validation split from this many rows on
#: (the split then has at least 20 rows); the classifier's threshold is lower.
EARLY_STOPPING_MIN_ROWS = 200

#: ``lr_schedule="plateau"`` multiplies the learning rate by this factor ...
PLATEAU_FACTOR = 0.3
#: ... once the held-out loss has not improved for more than
#: ``n_iter_no_change // PLATEAU_PATIENCE_DIVISOR`` epochs (torch's patience),
#: so one cut happens before early stopping gives up on a stall.
PLATEAU_PATIENCE_DIVISOR = 2


class _PlateauScheduler(LRScheduler):
    """skorch's ``LRScheduler`` without its torch scheduler in the pickle.

    The torch scheduler holds the optimizer, which skorch pickles specially
    only as ``net.optimizer_``: kept here it would be pickled a second time
    (a copy the unpickled scheduler would then drive) and, for a CUDA-fitted
    model, would not load on a CPU-only machine. It is rebuilt at the start of
    every training call anyway (``on_train_begin``).
    """

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("lr_scheduler_", None)
        return state


#: Smallest decrease of the held-out loss that counts as an improvement, for
#: early stopping and the plateau schedule alike. Absolute: a relative one
#: misbehaves for negative losses (Gaussian NLL).
_VALID_THRESHOLD = 1e-4

#: Parameters the networks and their training set-up are built from. A
#: warm-started ``fit`` goes on training the networks it has, so it cannot
#: change these; the other parameters take effect on every ``fit``.
_BUILD_PARAMS = (
    "target",
    "noise_dim",
    "latent_dim",
    "mixer_hidden_sizes",
    "generator_hidden_sizes",
    "use_mixer",
    "regularizer",
    "early_stopping",
    "validation_fraction",
    "n_iter_no_change",
    "lr_schedule",
    "callbacks",
)
#: Those of them that only set up the held-out split, which a stream of
#: batches (``partial_fit``) does not use.
_HELD_OUT_PARAMS = ("early_stopping", "validation_fraction", "n_iter_no_change", "lr_schedule")


def _signature(value):
    """A comparable summary of a parameter's value; objects with parameters
    (targets, skorch callbacks) by their type and parameters."""
    if hasattr(value, "get_params"):
        params = sorted(value.get_params(deep=False).items())
        return type(value).__qualname__, tuple((k, _signature(v)) for k, v in params)
    if isinstance(value, torch.nn.Module):  # from_module: its layers and their sizes
        return repr(value)
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(_signature(v) for v in value)
    if value is None or isinstance(value, (str, bool, Integral, Real)):
        return value
    return type(value).__qualname__


def _as_float32(X):
    """Writable C-contiguous float32 ``X`` (torch refuses read-only memory);
    copies only if needed. Values beyond the float32 range would become inf.
    A sparse ``X`` (CSR after validation) stays sparse: float32 values,
    canonical structure (sorted, no duplicate entries)."""
    if sparse.issparse(X):
        _as_float32(X.data)  # the range check, on the stored values
        X = X.astype(np.float32)  # a copy: the caller's matrix is not touched
        X.sum_duplicates()
        return X
    if X.dtype != np.float32 and X.size and (X.max() > _FLOAT32_MAX or X.min() < -_FLOAT32_MAX):
        raise ValueError(
            f"X contains values beyond the float32 range (|x| > {_FLOAT32_MAX:.4g}), "
            "which the networks compute in; scale X (e.g. with StandardScaler)."
        )
    return np.require(X, dtype=np.float32, requirements=["C", "W"])


def _check_sizes(value, name):
    """Hidden sizes of the mixer / generators: a tuple of positive ints."""
    if isinstance(value, Integral) and not isinstance(value, bool):
        value = (value,)
    value = tuple(value)
    if not all(isinstance(v, Integral) and not isinstance(v, bool) and v > 0 for v in value):
        raise ValueError(f"The {name!r} parameter must be a tuple of positive ints. Got {value!r}.")
    return tuple(int(v) for v in value)


def resolve_device(device: str) -> str:
    """``"auto"`` -> CUDA when available, else CPU; a clear error for a missing GPU."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but no CUDA device is available; "
            "use device='cpu' or device='auto'."
        )
    try:
        if torch.device(device).type == "meta":
            raise RuntimeError("meta tensors hold no data, so nothing can be trained")
        torch.empty(0, device=device)  # the backend must exist on this machine
    except (RuntimeError, ImportError, AssertionError) as exc:
        raise ValueError(f"Unknown device {device!r}: {exc}") from exc
    return device


class BaseHyperGAN(BaseEstimator, metaclass=ABCMeta):
    """Parameters and machinery shared by the HyperGAN estimators.

    A subclass encodes its targets (``_encode_y``, ``_transform_y``), fits its
    post-hoc calibration (``_calibrate``) and reduces the networks' outputs
    to predictions; everything else lives here.
    """

    _parameter_constraints: dict = {
        "target": [HasMethods(["build"]), None],
        "n_networks": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "n_prediction_networks": [Interval(Integral, 1, None, closed="left")],
        "noise_dim": [Interval(Integral, 1, None, closed="left")],
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "mixer_hidden_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "generator_hidden_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "use_mixer": ["boolean"],
        "regularizer": [StrOptions(set(REGULARIZERS))],
        "beta": [Interval(Real, 0, None, closed="left")],
        "mixup_diversity": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "lr": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "weight_averaging": [Interval(Real, 0, 1, closed="left"), None],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "lr_schedule": [StrOptions({"auto", "plateau", "constant"})],
        "calibration": [StrOptions({"auto"}), None],
        "callbacks": [list, None],
        "device": [StrOptions({"cpu", "cuda", "auto"}), str],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        target=None,
        *,
        n_networks="auto",
        n_prediction_networks=100,
        noise_dim=32,
        latent_dim=32,
        mixer_hidden_sizes=(128,),
        generator_hidden_sizes=(128,),
        use_mixer=True,
        regularizer="discriminator",
        beta=1.0,
        mixup_diversity="auto",
        max_epochs=200,
        batch_size="auto",
        lr="auto",
        weight_decay=0.0,
        weight_averaging=0.99,
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=20,
        lr_schedule="auto",
        calibration="auto",
        callbacks=None,
        device="cpu",
        verbose=0,
        warm_start=False,
        random_state=None,
        n_threads=1,
    ):
        self.target = target
        self.n_networks = n_networks
        self.n_prediction_networks = n_prediction_networks
        self.noise_dim = noise_dim
        self.latent_dim = latent_dim
        self.mixer_hidden_sizes = mixer_hidden_sizes
        self.generator_hidden_sizes = generator_hidden_sizes
        self.use_mixer = use_mixer
        self.regularizer = regularizer
        self.beta = beta
        self.mixup_diversity = mixup_diversity
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.weight_averaging = weight_averaging
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.lr_schedule = lr_schedule
        self.calibration = calibration
        self.callbacks = callbacks
        self.device = device
        self.verbose = verbose
        self.warm_start = warm_start
        self.random_state = random_state
        self.n_threads = n_threads

    def set_params(self: _E, **params: Any) -> _E:
        """Set parameters, as :meth:`sklearn.base.BaseEstimator.set_params`.

        ``target=None`` stands for ``mlp()``, so that its nested parameters
        (``target__hidden_layer_sizes``, ...) can be set, and searched by
        ``GridSearchCV``, without passing a target first.
        """
        if self.target is None and "target" not in params and any(
            key.startswith("target__") for key in params
        ):
            self.target = mlp()
        return super().set_params(**params)

    # -- hooks for the subclasses -------------------------------------------
    @abstractmethod
    def _encode_y(self, y):
        """Validate and encode ``y``; return (encoded y, n_outputs, criterion class)."""

    @abstractmethod
    def _transform_y(self, y):
        """Encode ``y`` with the encoding fixed by the first fit (warm start)."""

    def _y_validation_kwargs(self):
        return {}

    def _stratify(self):
        return False

    #: What ``n_networks="auto"`` means for this estimator.
    _auto_n_networks = 16
    #: What ``lr_schedule="auto"`` means for this estimator.
    _auto_lr_schedule = "constant"
    #: What ``mixup_diversity="auto"`` means for this estimator.
    _auto_mixup_diversity = 0.0
    #: What ``lr="auto"`` means for this estimator.
    _auto_lr = 1e-3
    #: Whether the hypernetwork's weight matrices learn at ``lr / fan_in``
    #: (``HyperGANNet``'s ``scale_lr_by_fan_in``).
    _scale_lr_by_fan_in = False
    #: Steps between regulariser updates (``HyperGANNet``'s ``regularizer_interval``).
    _regularizer_interval = 1
    #: Learning rate of the regulariser's optimizer (None: the net's ``lr``).
    _regularizer_lr = None

    #: ``batch_size="auto"``: ``n_samples // AUTO_BATCH_DIVISOR`` rows per step,
    #: within [32, AUTO_BATCH_MAX], and at least 4 steps per epoch on tiny data.
    AUTO_BATCH_DIVISOR = 32
    AUTO_BATCH_MAX = 256

    def _batch_size(self, n_samples):
        """``batch_size``, with "auto" resolved for ``n_samples`` training rows.

        Small data keeps the small batches that fit it well (and tiny data,
        e.g. 20 points, still gets a few hundred steps in 100 epochs); larger
        data takes larger batches, so that an epoch costs a bounded number of
        steps: a step costs about the same from 32 to 256 rows (a few hundred
        short kernels, the networks batched).
        """
        if self.batch_size != "auto":
            return self.batch_size
        floor = min(32, max(1, math.ceil(n_samples / 4)))
        return int(min(self.AUTO_BATCH_MAX, max(floor, n_samples // self.AUTO_BATCH_DIVISOR)))

    def _lr(self, n_samples):
        """``lr``, with "auto" resolved (``_auto_lr``) for ``n_samples`` rows."""
        return float(self._resolved("lr"))

    #: ``early_stopping="auto"`` holds rows out from this many training rows on.
    _early_stopping_min_rows = EARLY_STOPPING_MIN_ROWS

    def _resolved(self, name):
        """Parameter ``name``, with "auto" replaced by this estimator's
        ``_auto_<name>``."""
        value = getattr(self, name)
        return getattr(self, "_auto_" + name) if value == "auto" else value

    def _uses_early_stopping(self, y_enc):
        """Whether this fit holds out a validation split and stops on it.

        "auto": from ``_early_stopping_min_rows`` rows on, and for a
        classifier only if a stratified split can hold every class.
        """
        if not self.early_stopping:
            return False
        problem = self._validation_split_problem(y_enc)
        if self.early_stopping == "auto":
            return len(y_enc) >= self._early_stopping_min_rows and problem is None
        if problem is not None:
            raise ValueError(
                f"early_stopping=True holds out validation_fraction={self.validation_fraction} "
                f"of the {len(y_enc)} training rows, but {problem}. Use early_stopping='auto' "
                "(which holds rows out only where it can) or early_stopping=False."
            )
        return True

    def _n_held_out(self, n_samples):
        """Rows a fit on ``n_samples`` rows holds out: as many as skorch's
        ValidSplit takes (through scikit-learn's shuffle splits, stratified for
        a classifier)."""
        return math.ceil(self.validation_fraction * n_samples)

    def _validation_split_problem(self, y_enc):
        """Why the held-out split cannot be drawn from ``y_enc`` (None if it can)."""
        n = len(y_enc)
        n_valid = self._n_held_out(n)
        if n_valid >= n:
            return "that would leave no rows to train on"
        if self._stratify():
            counts = np.bincount(y_enc)
            counts = counts[counts > 0]
            if counts.min() < 2:
                return "a class has a single row, which a stratified split cannot put on both sides"
            if n_valid < len(counts):
                return f"{n_valid} held-out rows cannot hold all {len(counts)} classes"
            n_train = n - n_valid
            if n_train < len(counts):
                return f"the {n_train} rows left to train on cannot hold all {len(counts)} classes"
        return None

    # -- fitting ---------------------------------------------------------------
    def _accepts_sparse(self):
        """Sparse X needs the mlp target, whose first layer is a sparse product."""
        return self.target is None or isinstance(self.target, MLP)

    def _check_sparse(self, X):
        if sparse.issparse(X) and not self._accepts_sparse():
            raise ValueError(
                f"Sparse X is supported with the mlp target only (its first layer is a "
                f"sparse product); the {type(self.target).__name__} target needs dense data: "
                "convert X with X.toarray(), or use target=mlp(...)."
            )

    def _validate_X(self, X, reset):
        self._check_sparse(X)
        return validate_data(
            self, X, reset=reset, dtype=[np.float64, np.float32], accept_sparse="csr"
        )

    def _sample_weight(self, y, sample_weight, streaming=False):
        """The per-row weights of a fit (None when unweighted): validated
        ``sample_weight``; the classifier multiplies in its ``class_weight``."""
        if sample_weight is None:
            return None
        return _check_sample_weight(sample_weight, y, dtype=np.float64, ensure_non_negative=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = self._accepts_sparse()
        return tags

    def _build_net(self, n_outputs, criterion, device, y, sample_weight=None, early_stopping=False):
        """The unfitted net for the encoded targets ``y`` (and the per-row
        ``sample_weight``, None when unweighted) of a fit that builds new networks."""
        n_samples = len(y)
        target = self.target if self.target is not None else mlp()
        train_split = None
        callbacks = copy.deepcopy(self.callbacks) or []
        for item in callbacks:
            cb = item[1] if isinstance(item, tuple) and len(item) == 2 else item
            is_class = isinstance(cb, type) and issubclass(cb, Callback)
            if not (isinstance(cb, Callback) or is_class):
                raise TypeError(
                    "callbacks must hold skorch callbacks (instances or classes) or "
                    f"(name, callback) pairs; got {item!r}."
                )
        if early_stopping:
            # Seeded from the fit's torch seed (set in _fit), so the split is reproducible.
            train_split = ValidSplit(
                self.validation_fraction,
                stratified=self._stratify(),
                random_state=torch.initial_seed() % _MAX_SEED,
            )
            # Stop once the held-out loss of the ensemble's predictive
            # distribution has not improved for n_iter_no_change epochs, and
            # keep the networks of the best epoch.
            callbacks.append(
                (
                    EARLY_STOPPING,
                    EarlyStopping(
                        monitor="valid_loss",
                        patience=self.n_iter_no_change,
                        threshold=_VALID_THRESHOLD,
                        threshold_mode="abs",
                        load_best=True,
                    ),
                )
            )
            if self._resolved("lr_schedule") == "plateau":
                # Lower the step size when the held-out loss stalls: the
                # generated networks then settle instead of hovering around
                # the optimum at the noise level of the initial rate, which on
                # near-deterministic targets decides the NLL (UCI naval:
                # benchmarks/uci.py).
                callbacks.append(
                    (
                        LR_SCHEDULER,
                        _PlateauScheduler(
                            policy="ReduceLROnPlateau",
                            monitor="valid_loss",
                            factor=PLATEAU_FACTOR,
                            patience=max(1, self.n_iter_no_change // PLATEAU_PATIENCE_DIVISOR),
                            threshold=_VALID_THRESHOLD,
                            threshold_mode="abs",
                        ),
                    )
                )
        return HyperGANNet(
            module=HyperNetwork,
            module__target=target.build(self.n_features_in_, n_outputs),
            module__noise_dim=self.noise_dim,
            module__latent_dim=self.latent_dim,
            module__mixer_hidden=_check_sizes(self.mixer_hidden_sizes, "mixer_hidden_sizes"),
            module__generator_hidden=_check_sizes(
                self.generator_hidden_sizes, "generator_hidden_sizes"
            ),
            module__use_mixer=self.use_mixer,
            criterion=criterion,
            optimizer=torch.optim.Adam,
            optimizer__weight_decay=self.weight_decay,
            lr=self._lr(n_samples),
            max_epochs=self.max_epochs,
            iterator_train__shuffle=True,
            train_split=train_split,
            callbacks=callbacks or None,
            device=device,
            regularizer=self.regularizer,
            regularizer_interval=self._regularizer_interval,
            regularizer_lr=self._regularizer_lr,
            scale_lr_by_fan_in=self._scale_lr_by_fan_in,
            **self._training_params(n_samples),
        )

    def _training_params(self, n_samples):
        """The net's settings that every ``fit`` (a warm one too) takes from
        the estimator's current parameters; the learning rate and weight decay
        live in the optimizer."""
        return {
            "n_networks": int(self._resolved("n_networks")),
            "beta": self.beta,
            "mixup_diversity": float(self._resolved("mixup_diversity")),
            "weight_averaging": self.weight_averaging,
            "batch_size": self._batch_size(n_samples),
            "verbose": self.verbose,
        }

    def _fit(self, X, y, reset, epochs=None, sample_weight=None, **encode_params):
        self._check_sparse(X)
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=[np.float64, np.float32],
            accept_sparse="csr",
            **self._y_validation_kwargs(),
        )
        streaming = epochs is not None  # partial_fit: one pass over every row
        n_epochs = epochs if streaming else self.max_epochs
        rng = check_random_state(self.random_state)
        fit_seed = rng.randint(_MAX_SEED)
        if reset:
            # A failed fit must not leave the previous networks beside the
            # new classes_ / n_features_in_ (silently wrong predictions).
            self.__dict__.pop("net_", None)
            y_enc, n_outputs, criterion = self._encode_y(y, **encode_params)
            device = resolve_device(self.device)
            # The prediction ensemble is fixed at fit time: every predict call
            # evaluates the same n_prediction_networks networks.
            self._noise_seed = int(rng.randint(_MAX_SEED))
        else:
            y_enc = self._transform_y(y)
            device = self.net_.device
            if streaming:
                # partial_fit: a fresh seed per call (shuffling, noise), still
                # reproducible from random_state, so calls do not replay one stream.
                fit_seed = (fit_seed + len(self.net_.history)) % _MAX_SEED
        X32 = _as_float32(X)
        weights = self._sample_weight(y, sample_weight, streaming=streaming)
        if weights is not None:
            # skorch carries per-row data through its splits as a dict X
            # (HyperGANNet's iterators unpack it; see _net._Batch).
            X32 = {"X": X32, "sample_weight": weights.astype(np.float32)}
        devices = [torch.device(device).index or 0] if str(device).startswith("cuda") else []
        epochs_before = 0 if reset else len(self.net_.history)
        # Seed torch for this fit only (target template, initialisation,
        # shuffling, noise), leaving the caller's global RNG state untouched.
        with torch.random.fork_rng(devices=devices), torch_threads(self.n_threads):
            torch.manual_seed(fit_seed)
            if reset:
                # Streaming (partial_fit) sees one batch at a time: no split.
                stop = not streaming and self._uses_early_stopping(y_enc)
                net = self._build_net(
                    n_outputs, criterion, device, y_enc, weights, early_stopping=stop
                )
                self._built_from = {name: _signature(getattr(self, name)) for name in _BUILD_PARAMS}
                if streaming:  # skorch's fit is initialize + partial_fit
                    net.initialize().partial_fit_stream(X32, y_enc, n_epochs)
                else:
                    net.fit(X32, y_enc, epochs=n_epochs)
            elif streaming:
                net = self._warm_net(len(y), streaming=True)
                net.partial_fit_stream(X32, y_enc, n_epochs)
            else:  # warm start: as the first fit, early stopping included,
                net = self._warm_net(len(y))
                net.partial_fit(X32, y_enc, epochs=n_epochs)
        self.net_ = net
        if not streaming:
            self._warn_if_improving(net, len(net.history) - epochs_before)
        held_out = net.pop_held_out()
        if reset or not streaming:  # partial_fit holds no rows out: keeps the last calibration
            self._calibrate(held_out if self.calibration == "auto" else None)
        return self

    def _warn_if_improving(self, net, epochs_run):
        """A ``ConvergenceWarning`` where the fit held rows out but ran all
        ``max_epochs`` before early stopping ended it, as sklearn's MLPs warn
        when ``max_iter`` ends their optimisation: the networks may be
        undertrained (UCI naval at the default 200 epochs; user guide,
        ``max_epochs``)."""
        stopper = dict(net.callbacks_).get(EARLY_STOPPING)
        if stopper is None or epochs_run < self.max_epochs or stopper.misses_ >= stopper.patience:
            return
        warnings.warn(
            f"{type(self).__name__} ran all max_epochs={self.max_epochs} epochs before its "
            f"held-out loss went n_iter_no_change={stopper.patience} epochs without "
            f"improving (best epoch: {stopper.best_epoch_} of {len(net.history)}); the "
            "networks may be undertrained. Raise max_epochs to train longer.",
            ConvergenceWarning,
            stacklevel=4,
        )

    @abstractmethod
    def _calibrate(self, held_out):
        """Fit (or, with ``held_out=None``, reset) the post-hoc calibration
        (the classifier's temperature, the regressor's spread factors) on the
        held-out rows ``(X, y_encoded, sample_weight)``."""

    def _warm_net(self, n_samples, streaming=False):
        """The fitted net, with this estimator's current training parameters,
        for a warm-started ``fit`` or (``streaming``) a later ``partial_fit``."""
        changed = [
            name
            for name in _BUILD_PARAMS
            if not (streaming and name in _HELD_OUT_PARAMS)
            and _signature(getattr(self, name)) != self._built_from[name]
        ]
        # The device by where the networks are: a GPU-fitted model loaded on a
        # CPU-only machine sits on the CPU and goes on with device="cpu".
        if torch.device(resolve_device(self.device)).type != torch.device(self.net_.device).type:
            changed.append("device")
        if changed:
            how = "partial_fit" if streaming else "warm_start=True"
            raise ValueError(
                f"{how} goes on training the fitted networks, which were built with other "
                f"values of {', '.join(changed)}. Call fit with warm_start=False (or fit a "
                "clone) to build new networks with the new values."
            )
        params = self._training_params(n_samples)
        if streaming and self.batch_size == "auto":  # "auto": from the first batch
            del params["batch_size"]
        # A warm fit starts from the initial rate again (a schedule may have
        # cut it); a stream goes on at the current one.
        lr = None if streaming else self._lr(n_samples)
        return self.net_.update_training(params, weight_decay=self.weight_decay, lr=lr)

    def fit(self: _E, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> _E:
        """Fit the hypernetwork: a whole distribution of networks in one fit.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (NumPy array, pandas DataFrame, or a SciPy sparse
            matrix or array with the ``mlp`` target; no NaN).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative per-row weights. The data term of each step is the
            weighted mean ``sum(w_i * loss_i) / sum(w_i)`` over the batch's
            rows (as in scikit-learn's MLPs): an integer weight counts a row
            that many times, a zero weight drops it. The early-stopping
            split's held-out loss is weighted the same way; the code-space
            regulariser (which sees no rows) and ``mixup_diversity`` are not.

        Returns
        -------
        self : object
            The fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from scipy.sparse import random as sparse_random
        >>> from sk_hypergan import HyperGANRegressor
        >>> X = sparse_random(100, 30, density=0.1, format="csr", random_state=0)
        >>> y = X @ np.arange(30.0)
        >>> w = np.r_[np.full(50, 2.0), np.ones(50)]  # the first 50 rows count twice
        >>> reg = HyperGANRegressor(max_epochs=5, random_state=0).fit(X, y, sample_weight=w)
        >>> reg.predict(X[:3]).shape
        (3,)
        """
        self._validate_params()
        warm = self.warm_start and hasattr(self, "net_")
        return self._fit(X, y, reset=not warm, sample_weight=sample_weight)

    def _partial_fit(self, X, y, sample_weight=None, **encode_params):
        """One epoch on ``(X, y)``; the first call (no ``net_`` yet) builds and
        initialises the networks exactly as ``fit`` does, later calls (and
        calls after ``fit``) continue training them."""
        first = not hasattr(self, "net_")
        return self._fit(
            X, y, reset=first, epochs=1, sample_weight=sample_weight, **encode_params
        )

    @property
    def history_(self) -> History:
        """skorch ``History``: per epoch ``train_loss`` (the mixer and generators'
        objective), ``train_data_loss`` (the supervised part) and
        ``train_regularizer_loss`` (the discriminator's or MINE's loss)."""
        check_is_fitted(self, "net_")
        return self.net_.history

    # -- the fitted distribution of networks -------------------------------------
    @property
    def _networks(self):
        """The fitted :class:`~sk_hypergan._ensemble.NetworkDistribution`."""
        check_is_fitted(self, "net_")
        return NetworkDistribution(self.net_, self._noise_seed, self.n_threads)

    def _outputs(self, X32, n=None, random_state=None, networks=None):
        """Yield the outputs ``(n, rows, n_outputs)`` of ``n`` networks (None:
        the prediction networks; a caller's own ``n`` is validated by the
        caller, under its argument's name) on validated float32 rows ``X32``,
        as computed (float32, on the net's device). ``networks`` is the
        fitted distribution, if the caller already holds it."""
        networks = self._networks if networks is None else networks
        if n is None:
            # Read at prediction time: set_params may have changed it since the fit.
            n = check_scalar(self.n_prediction_networks, "n_prediction_networks", Integral,
                             min_val=1)
        yield from networks.outputs(X32, networks.noise(n, random_state))

    def _member_outputs(self, X, n=None, random_state=None, dtype=torch.float64, device="cpu"):
        """Validate ``X``, then yield chunks of member outputs ``(n, rows,
        n_outputs)`` (see ``_outputs``) as ``dtype`` tensors (None: as
        computed, float32) on ``device`` (None: the net's, where reductions
        over the networks belong, so that only their results cross to the
        host)."""
        networks = self._networks  # not fitted: NotFittedError before X is looked at
        X32 = _as_float32(self._validate_X(X, reset=False))
        for out in self._outputs(X32, n, random_state, networks=networks):
            yield out.to(device=device or out.device, dtype=dtype or out.dtype)

    def _held_out_outputs(self, X32):
        """The prediction networks' outputs ``(n_prediction_networks, rows,
        n_outputs)`` on the held-out rows (float32, validated by the fit), as
        a float64 CPU array."""
        chunks = [out.to("cpu", torch.float64) for out in self._outputs(X32)]
        return torch.cat(chunks, dim=1).numpy()

    def _wrap_member(self, module):
        return module

    def sample_networks(self, n: int, random_state: RandomStateLike = None) -> list[nn.Module]:
        """Draw ``n`` standalone networks from the learned distribution.

        Parameters
        ----------
        n : int
            Number of networks.
        random_state : int, RandomState instance or None, default=None
            Seed of the noise. None uses the seed of the prediction ensemble,
            so ``sample_networks(n_prediction_networks)`` returns exactly the
            networks that ``predict`` averages.

        Returns
        -------
        list of torch.nn.Module
            CPU modules mapping float32 tensors ``(rows, n_features)`` to the
            outputs described in the estimator's docstring; looping over them
            reproduces the ensemble's predictions.
        """
        networks = self._networks
        check_scalar(n, "n", Integral, min_val=1)
        modules = networks.modules(networks.noise(n, random_state))
        return [self._wrap_member(module) for module in modules]
