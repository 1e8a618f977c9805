"""The skorch ``NeuralNet`` that trains a :class:`HyperNetwork`.

skorch runs the loop (epochs, batches, callbacks, history, progress output,
device placement); this subclass adds the regulariser (discriminator or MINE)
as a second module with its own optimizer, and overrides ``train_step`` for
HyperGAN's alternating updates.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from scipy import sparse
from skorch import NeuralNet
from skorch.callbacks import Callback, PassthroughScoring, PrintLog, ProgressBar
from skorch.dataset import Dataset, unpack_data
from skorch.utils import TeeGenerator, to_tensor
from torch.utils.data import DataLoader, Subset, default_collate

from ._callbacks import DivergenceGuard, WeightAveraging
from ._core.regularizers import REGULARIZERS

__all__ = ["HyperGANNet"]

#: Names of the callbacks that use the held-out split (the estimators add
#: them for early stopping), switched off while streaming.
EARLY_STOPPING = "early_stopping"
LR_SCHEDULER = "lr_scheduler"
VALIDATION_CALLBACKS = (EARLY_STOPPING, LR_SCHEDULER)
#: The weight average (``weight_averaging``), also off while streaming: a
#: stream's calls are single epochs, and an average restarted at every call
#: would only shorten its steps.
WEIGHT_AVERAGING = "weight_averaging"


class _Batch(tuple):
    """``(X rows, y rows)`` already gathered as one batch by :class:`_BatchDataset`,
    or ``(X rows, y rows, sample_weight rows)`` for a weighted fit.

    A weighted fit passes ``X`` to skorch as ``{"X": X, "sample_weight": w}``
    (skorch's own way to carry per-row data through its splits); the
    iterators unpack it into the 3-tuple, an unweighted fit keeps the pair.
    X rows of a sparse ``X`` (SciPy CSR) are a torch sparse CSR tensor.
    """


def _sparse_rows(X):
    """torch sparse CSR tensor of the SciPy CSR matrix (or array) ``X``,
    sharing its values (no copy for float32 data)."""
    with warnings.catch_warnings():
        # torch's notice that sparse CSR is in beta, once per process.
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return torch.sparse_csr_tensor(
            torch.from_numpy(X.indptr.astype(np.int64, copy=False)),
            torch.from_numpy(X.indices.astype(np.int64, copy=False)),
            torch.from_numpy(X.data),
            size=X.shape,
            check_invariants=False,  # SciPy's own structure, checked by validation
        )


def _rows(X, idx):
    """Rows ``idx`` (an index array or a slice) of a NumPy array or a SciPy
    CSR matrix, as a tensor (sparse CSR for sparse ``X``: only these rows)."""
    if sparse.issparse(X):
        return _sparse_rows(X[idx])
    return torch.from_numpy(X[idx])


def _unpack_weighted(X):
    """``(X, sample_weight or None)`` from what a fit passed to skorch."""
    if isinstance(X, dict):
        return X["X"], X["sample_weight"]
    return X, None


def _unpack(batch):
    """``(X, y, sample_weight or None)`` of a batch from any iterator."""
    if isinstance(batch, _Batch):  # the estimators' batches: no further checks
        return batch if len(batch) == 3 else (batch[0], batch[1], None)
    Xi, yi = unpack_data(batch)
    Xi, wi = _unpack_weighted(Xi)
    return Xi, yi, wi


class _BatchDataset(Dataset):
    """skorch ``Dataset`` that gathers a whole batch with one fancy index.

    ``DataLoader`` calls ``__getitems__`` with a batch's indices (the same
    shuffled indices as row by row), so one indexing replaces ``batch_size``
    ``__getitem__`` calls and their collation: same batches, less overhead.
    """

    def __getitems__(self, indices):
        if not (isinstance(self.X, np.ndarray) and isinstance(self.y, np.ndarray)):
            X, w = _unpack_weighted(self.X)
            if not (_is_rows(X) and isinstance(self.y, np.ndarray)):
                return [self[i] for i in indices]
            idx = np.asarray(indices)
            rows = (_rows(X, idx), torch.from_numpy(self.y[idx]))
            return _Batch(rows if w is None else rows + (torch.from_numpy(w[idx]),))
        idx = np.asarray(indices)
        return _Batch((torch.from_numpy(self.X[idx]), torch.from_numpy(self.y[idx])))


def _is_rows(X):
    """A NumPy array or SciPy CSR matrix, which :func:`_rows` gathers from."""
    return isinstance(X, np.ndarray) or (sparse.issparse(X) and X.format == "csr")


def _collate(batch):
    return batch if isinstance(batch, _Batch) else default_collate(batch)


def _in_memory_arrays(dataset):
    """``(X, y, sample_weight or None)`` behind a :class:`_BatchDataset` (or a
    ``Subset`` of one, as skorch's validation split gives): NumPy arrays, X
    possibly a SciPy CSR matrix; else None."""
    indices = None
    if isinstance(dataset, Subset):
        dataset, indices = dataset.dataset, np.asarray(dataset.indices)
    if not isinstance(dataset, _BatchDataset):
        return None
    (X, w), y = _unpack_weighted(dataset.X), dataset.y
    if not (_is_rows(X) and isinstance(y, np.ndarray)):
        return None
    if indices is not None:
        X, y = X[indices], y[indices]
        w = None if w is None else w[indices]
    return X, y, w


class _TensorBatches:
    """Minibatches of in-memory rows, gathered with one index per batch.

    What ``DataLoader(dataset, batch_size, shuffle)`` yields for in-memory
    arrays (a fresh ``torch.randperm`` per pass when shuffling; the last
    batch may be short), without its per-batch sampler, fetcher and collate
    machinery, which costs as much as a small training step.
    """

    def __init__(self, X, y, batch_size, shuffle, sample_weight=None):
        # A sparse X stays a SciPy CSR matrix: each batch's rows are sliced
        # from it and only they become a (sparse) tensor.
        self.X = X if sparse.issparse(X) else torch.from_numpy(np.ascontiguousarray(X))
        self.y = torch.from_numpy(np.ascontiguousarray(y))
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.w = None if sample_weight is None else torch.from_numpy(sample_weight)

    def __len__(self):
        return math.ceil(self.X.shape[0] / self.batch_size)

    def __iter__(self):
        if self.w is not None or sparse.issparse(self.X):
            yield from self._iter_general()
            return
        n = len(self.X)
        if not self.shuffle:
            for start in range(0, n, self.batch_size):
                stop = start + self.batch_size
                yield _Batch((self.X[start:stop], self.y[start:stop]))
            return
        for idx in torch.randperm(n).split(self.batch_size):
            yield _Batch((self.X[idx], self.y[idx]))

    def _iter_general(self):
        """The same batches (the same ``randperm`` draws) for a sparse X
        and/or with sample weights, which come as the batch's third item."""
        n = self.X.shape[0]
        if self.shuffle:
            batches = torch.randperm(n).split(self.batch_size)
        else:
            batches = (slice(a, a + self.batch_size) for a in range(0, n, self.batch_size))
        for idx in batches:
            rows = idx.numpy() if isinstance(idx, torch.Tensor) else idx
            Xi = _rows(self.X, rows) if sparse.issparse(self.X) else self.X[idx]
            batch = (Xi, self.y[idx])
            yield _Batch(batch if self.w is None else batch + (self.w[idx],))


#: Range of the mixing weight of :func:`_mixup`: points near the midpoint of
#: two rows, as far from both as a mix gets. With ``U(0, 1)`` the reward also
#: acts right next to the rows, where it costs calibration for less OOD
#: AUROC (chosen on held-aside digits splits; the user guide says which).
MIXUP_RANGE = (0.4, 0.6)


def _mixup(X):
    """Random convex combinations of the rows of ``X`` with other rows of the
    batch (mixup inputs, Zhang et al. 2018): ``lam * X + (1 - lam) * X[perm]``,
    ``lam ~ U(MIXUP_RANGE)`` per row."""
    low, high = MIXUP_RANGE
    lam = torch.rand((X.shape[0],) + (1,) * (X.dim() - 1), dtype=X.dtype, device=X.device)
    lam = low + (high - low) * lam
    partner = X[torch.randperm(X.shape[0], device=X.device)]
    return lam * X + (1 - lam) * partner


def _shuffled(X):
    """Rows whose features each come from a different random row of the batch
    (every feature permuted independently across the batch): each feature
    keeps its values, the dependence between features is gone. Inputs off
    the data that still look like it feature by feature."""
    flat = X.flatten(1)
    idx = torch.argsort(torch.rand(flat.shape, device=X.device), dim=0)
    return flat.gather(0, idx).view_as(X)


def _diversity_inputs(X):
    """Where ``mixup_diversity`` rewards disagreement, as many rows as ``X``:
    the first half mixup rows (:func:`_mixup`), between the data; the rest
    feature-shuffled rows (:func:`_shuffled`), off the data. The shuffled
    half was added for the conv2d target's OOD AUROC (chosen on held-aside
    digits splits; the user guide's ``mixup_diversity`` entry)."""
    # Both are drawn over the whole batch (partners and permutations from
    # every row), then halved.
    n = X.shape[0] // 2
    return torch.cat([_mixup(X)[:n], _shuffled(X)[n:]])


def _adam_options(device):
    """The fastest implementation of the same Adam update: ``fused`` (one
    kernel for all tensors; CPU since torch 2.4) or ``foreach``. The steps
    of many small tensors are mostly overhead, which this removes."""
    kind = torch.device(device or "cpu").type
    if kind == "cuda" or (kind == "cpu" and torch.__version__ >= (2, 4)):
        return {"fused": True}
    return {"foreach": True}


def _fan_in_scaled(optimizer, module):
    """``optimizer`` rebuilt with each weight matrix's learning rate divided by
    its fan-in (``lr_scale`` in its parameter group); biases keep ``lr``.

    Adam moves every parameter by about ``lr`` per step whatever its
    gradient's scale, so a generator's output ``W h + b`` would move by about
    ``lr * sum_j |h_j|`` through ``W`` (its hidden width times more than
    through ``b``): the generated weights took steps far larger than the
    rate says, which made any rate above 1e-3 unstable and smaller ones
    slow. Dividing by the fan-in (the Adam rule of muP, Yang et al. 2021)
    makes ``lr`` the step of the generated weights themselves, as it is for
    an ensemble's networks.
    """
    groups = {1.0: []}  # biases first: param_groups[0]["lr"] is ``lr``
    for p in module.parameters():
        scale = 1.0 / p.shape[1] if p.dim() >= 2 else 1.0
        groups.setdefault(scale, []).append(p)
    base = optimizer.param_groups[0]
    lr = base["lr"]
    settings = {k: v for k, v in base.items() if k not in ("params", "lr")}
    return type(optimizer)(
        [
            {"params": params, "lr": lr * scale, "lr_scale": scale, **settings}
            for scale, params in groups.items()
            if params
        ]
    )


class _PrintLog(PrintLog):
    """skorch's ``PrintLog``, which does nothing while the net is silent
    (skorch's formats its table every epoch, then prints it or not)."""

    def on_epoch_end(self, net, **kwargs):
        if net.verbose or self.sink is not print:
            super().on_epoch_end(net, **kwargs)


class HyperGANNet(NeuralNet):
    """skorch net for a :class:`~sk_hypergan._core.hypernetwork.HyperNetwork` module.

    Parameters
    ----------
    module, criterion, **kwargs
        As for :class:`skorch.NeuralNet`; ``module`` is ``HyperNetwork``.
    n_networks : int, default=16
        Networks generated per training step.
    beta : float, default=1.0
        Weight of the regulariser's term in the mixer's objective; 0 turns it off.
    regularizer : {"discriminator", "mine"}, default="discriminator"
        Code-space regulariser.
    regularizer_hidden : tuple of int, default=(64, 64)
        Hidden sizes of the discriminator or MINE statistics network.
    regularizer_lr : float or None, default=None
        Learning rate of the regulariser's optimizer (``lr`` if None).
    regularizer_interval : int, default=1
        Lazy regularisation (Karras et al., CVPR 2020, Sec. 3.1, for their
        R1 term): the regulariser is updated, and its term enters the mixer's
        objective, on every ``regularizer_interval``-th step only, weighted
        by ``regularizer_interval * beta`` so its average pull is unchanged.
        The supervised loss, which the regulariser only keeps from
        collapsing the codes, is optimised every step; the regulariser's
        share of a step's cost (about half of it for a small target) is paid
        ``1 / regularizer_interval`` as often. 1 is the paper's every-step
        alternation.
    scale_lr_by_fan_in : bool, default=False
        Train each weight matrix of the mixer and generators at
        ``lr / fan_in`` (see :func:`_fan_in_scaled`); biases at ``lr``.
    mixup_diversity : float, default=0.0
        Weight of the reward for disagreeing away from the training rows: the
        criterion's ``disagreement`` of the networks on
        :func:`_diversity_inputs` (mixup and feature-shuffled rows of the
        batch) is subtracted from the loss. 0 turns it off (and costs nothing).
    weight_averaging : float or None, default=None
        Decay of the moving average of the hypernetwork's weights that the
        module holds between training steps
        (:class:`~sk_hypergan._callbacks.WeightAveraging`); None: no average.
    """

    #: Networks (fixed noise) that score the validation rows each epoch.
    VALID_NETWORKS = 32

    def __init__(
        self,
        module,
        criterion,
        *,
        n_networks=16,
        beta=1.0,
        regularizer="discriminator",
        regularizer_hidden=(64, 64),
        regularizer_lr=None,
        regularizer_interval=1,
        scale_lr_by_fan_in=False,
        mixup_diversity=0.0,
        weight_averaging=None,
        **kwargs,
    ):
        kwargs.setdefault("dataset", _BatchDataset)
        for name in ("iterator_train__collate_fn", "iterator_valid__collate_fn"):
            kwargs.setdefault(name, _collate)
        for key, value in _adam_options(kwargs.get("device", "cpu")).items():
            kwargs.setdefault("optimizer__" + key, value)
        super().__init__(module, criterion, **kwargs)
        self.n_networks = n_networks
        self.beta = beta
        self.regularizer = regularizer
        self.regularizer_hidden = regularizer_hidden
        self.regularizer_lr = regularizer_lr
        self.regularizer_interval = regularizer_interval
        self.scale_lr_by_fan_in = scale_lr_by_fan_in
        self.mixup_diversity = mixup_diversity
        self.weight_averaging = weight_averaging

    @property
    def _default_callbacks(self):
        callbacks = list(super()._default_callbacks)
        # Per-epoch means of the two parts of the objective, shown by PrintLog
        # (which stays last).
        extra = [
            (name, PassthroughScoring(name=name, on_train=True))
            for name in ("train_data_loss", "train_regularizer_loss")
        ]
        # Before the guard: a step's weights are folded into the average
        # before the guard looks at its loss, so a rollback undoes both.
        extra.append((WEIGHT_AVERAGING, WeightAveraging()))
        # NaN/inf loss -> stop and roll back to the last finite state.
        extra.append(("divergence_guard", DivergenceGuard()))
        if self.verbose >= 2:
            # A tqdm bar over each epoch's batches (skorch's), from verbose=2.
            extra.append(("progress_bar", ProgressBar()))
        name, last = callbacks[-1]
        if name == "print_log" and type(last) is PrintLog:
            callbacks[-1] = (name, _PrintLog())
        return callbacks[:-1] + extra + callbacks[-1:]

    def get_iterator(self, dataset, training=False):
        """skorch's iterator, or for in-memory arrays (every ``fit`` of the
        estimators) the lighter :class:`_TensorBatches` with the same batches."""
        arrays = _in_memory_arrays(dataset)
        kwargs = self.get_params_for("iterator_train" if training else "iterator_valid")
        iterator = self.iterator_train if training else self.iterator_valid
        plain = iterator is DataLoader and set(kwargs) <= {"shuffle", "collate_fn", "batch_size"}
        if arrays is None or not plain or kwargs.get("collate_fn", _collate) is not _collate:
            return super().get_iterator(dataset, training=training)
        batch_size = kwargs.get("batch_size", self.batch_size)
        if batch_size == -1:
            batch_size = len(dataset)
        X, y, w = arrays
        shuffle = training and kwargs.get("shuffle")
        return _TensorBatches(X, y, batch_size, shuffle=shuffle, sample_weight=w)

    def get_split_datasets(self, X, y=None, **fit_params):
        train, valid = super().get_split_datasets(X, y, **fit_params)
        # The held-out rows, for the estimators' post-hoc calibration after
        # the fit (``pop_held_out``); never pickled.
        self._held_out = valid
        return train, valid

    def pop_held_out(self) -> tuple | None:
        """``(X, y, sample_weight or None)`` of the last training call's
        held-out split of in-memory arrays (None if it held no rows out),
        forgotten after."""
        valid = self.__dict__.pop("_held_out", None)
        return None if valid is None else _in_memory_arrays(valid)

    def training_state(self) -> dict[str, Any]:
        """``{name: object}`` of everything training updates -- the modules
        (hypernetwork, regulariser), the criterion and the optimizers --
        whose ``state_dict`` snapshots and restores a training run
        (:class:`~sk_hypergan._callbacks.DivergenceGuard`)."""
        names = [*self._modules, *self._criteria, *self._optimizers]
        return {name: getattr(self, name + "_") for name in names if hasattr(self, name + "_")}

    # -- training modes: a fresh fit is skorch's ``fit``; these two continue --
    def update_training(
        self, params: dict[str, Any], *, weight_decay: float, lr: float | None = None
    ) -> HyperGANNet:
        """Take the settings of a training call that continues a fitted net.

        Parameters
        ----------
        params : dict
            Net attributes to set (``n_networks``, ``beta``,
            ``mixup_diversity``, ``batch_size``, ``verbose``).
        weight_decay : float
            The optimizer's weight decay.
        lr : float or None
            The learning rate to start again from (each parameter group at
            ``lr`` times its fan-in scale), undoing what a schedule cut; None
            goes on at the current rates.
        """
        for name, value in params.items():
            setattr(self, name, value)
        for group in self.optimizer_.param_groups:
            group["weight_decay"] = weight_decay
            if lr is not None:
                group["lr"] = lr * group.get("lr_scale", 1.0)
        return self

    def partial_fit_stream(self, X: Any, y: Any, epochs: int) -> HyperGANNet:
        """``partial_fit`` on every row of ``X``, as one batch of a stream.

        A fit that early-stopped holds rows out, stops on them and schedules
        its learning rate on them, which a stream of batches must not: the
        split and the callbacks that use it (``VALIDATION_CALLBACKS``) are
        switched off for this call and restored after (set directly:
        ``set_params`` would re-initialise the callbacks), and so is the
        weight average (``WEIGHT_AVERAGING``): the stream steps the model's
        weights themselves.
        """
        split = self.train_split  # type: ignore[has-type]  # (skorch sets them dynamically)
        callbacks = self.callbacks_  # type: ignore[has-type]
        self.train_split = None
        off = (*VALIDATION_CALLBACKS, WEIGHT_AVERAGING)
        self.callbacks_ = [(name, cb) for name, cb in callbacks if name not in off]
        try:
            self.partial_fit(X, y, epochs=epochs)
        finally:
            self.train_split, self.callbacks_ = split, callbacks
        return self

    @property
    def uses_regularizer(self) -> bool:
        """bool: the regulariser acts only through a mixer, and only with beta > 0."""
        return self.beta > 0 and self.module_.mixer is not None

    def initialize_module(self):
        super().initialize_module()
        hyper = self.module_
        self.regularizer_ = REGULARIZERS[self.regularizer].from_hypernetwork(
            hyper, hidden=tuple(self.regularizer_hidden)
        )
        return self

    def get_all_learnable_params(self):
        # The main optimizer trains the mixer and generators only; the
        # regulariser has its own optimizer (alternating updates).
        yield from self.module_.named_parameters()

    def initialize_optimizer(self, *args, **kwargs):
        super().initialize_optimizer(*args, **kwargs)
        if self.scale_lr_by_fan_in:
            self.optimizer_ = _fan_in_scaled(self.optimizer_, self.module_)
        lr = self.regularizer_lr if self.regularizer_lr is not None else self.lr
        self.regularizer_optimizer_ = torch.optim.Adam(
            self.regularizer_.parameters(), lr=lr, betas=(0.5, 0.999), **_adam_options(self.device)
        )
        return self

    def infer(self, x, **fit_params):
        x = to_tensor(x, device=self.device)
        noise = self.module_.sample_noise(self.n_networks)
        return self.module_(x, noise)[0]

    def train_step(self, batch, **fit_params):
        """One HyperGAN step: generator update, then regulariser update.

        Eq. 1 of the paper: the supervised loss averaged over the ``B``
        generated networks, plus ``beta`` times the mixer's adversarial (or
        negative mutual-information) term. The step is overhead-bound on
        small tabular problems, so it launches as few kernels as it can: the
        modules switch to training mode once (not every step), and the
        discriminator's and the mixer's objectives share one backward pass.
        """
        if not self.module_.training:  # validation switched to evaluation mode
            self._set_training(True)
        Xi, yi, wi = _unpack(batch)
        Xi = to_tensor(Xi, device=self.device)
        yi = to_tensor(yi, device=self.device)
        noise = self.module_.sample_noise(self.n_networks)

        n = Xi.shape[0]
        mixing = self.mixup_diversity > 0
        if mixing and Xi.layout is not torch.strided:
            # Mixup and feature-shuffled rows are dense: this batch's rows
            # (only they, batch_size x n_features) take the dense path.
            Xi = Xi.to_dense()
        # With mixup_diversity, the same networks also see mixup and
        # feature-shuffled inputs (one batched forward); they are rewarded for
        # disagreeing there, between and off the training rows, where the data
        # do not pin them down: the function-space spread that the code-space
        # regulariser alone does not keep (benchmarks/ablations.py, OOD AUROC).
        inputs = torch.cat([Xi, _diversity_inputs(Xi)]) if mixing else Xi
        out_all, codes = self.module_(inputs, noise)
        out = out_all[:, :n] if mixing else out_all
        if wi is None:
            data_loss = self.criterion_(out, yi)
        else:  # weighted mean over the batch's rows (sklearn's MLPs)
            data_loss = self.criterion_(out, yi, to_tensor(wi, device=self.device))
        loss = data_loss
        if mixing:
            loss = loss - self.mixup_diversity * self.criterion_.disagreement(out_all[:, n:])
        self.optimizer_.zero_grad(set_to_none=True)
        step = self.__dict__.get("_regularizer_clock", 0)
        self._regularizer_clock = step + 1
        interval = max(1, int(self.regularizer_interval))
        regularized = self.uses_regularizer and step % interval == 0
        if regularized:
            # The regulariser is scored on the codes before this step's mixer
            # update, as with a separate update on detached codes (the
            # alternating scheme of Eq. 2); lazily, every interval-th step.
            generator_loss, reg_loss = self.regularizer_.losses(noise, codes)
            loss = loss + interval * self.beta * generator_loss
            self.regularizer_optimizer_.zero_grad(set_to_none=True)
            if self.regularizer_.separable:
                # Each term reaches its own parameters only (see ``losses``).
                (loss + reg_loss).backward()
            else:
                loss.backward(inputs=list(self.module_.parameters()), retain_graph=True)
                reg_loss.backward(inputs=list(self.regularizer_.parameters()))
        else:
            loss.backward()
        if self.__dict__.get("_notify_grads", True):
            self.notify(
                "on_grad_computed",
                named_parameters=TeeGenerator(self.get_all_learnable_params()),
                batch=batch,
                training=True,
            )
        self.optimizer_.step()
        self.history.record_batch("train_data_loss", data_loss.item())
        if regularized:
            self.regularizer_optimizer_.step()
            self.history.record_batch("train_regularizer_loss", reg_loss.item())
        return {"loss": loss.detach(), "y_pred": out.detach()}

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        # Whether a callback overrides ``on_grad_computed`` (skorch's
        # ``GradientNormClipping``, a user's), decided once per training call
        # so that the step skips building the notification otherwise.
        self._notify_grads = any(
            type(cb).on_grad_computed is not Callback.on_grad_computed
            for _, cb in self.callbacks_
        )
        try:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        except Exception:
            # skorch notifies ``on_train_end`` only after a loop that finished
            # or was interrupted. After an error (out of memory, a failing
            # callback) the module must still hold the model, not the
            # optimiser's raw weights mid-step, and no copies outlive the call.
            for _, cb in self.callbacks_:
                if hasattr(cb, "on_train_error"):
                    cb.on_train_error(self)
            raise

    def validation_step(self, batch, **fit_params):
        """Score held-out rows as predictions are scored: the loss of the
        ensemble's predictive distribution (mixture NLL or log loss of the
        mean probabilities), over a fixed set of ``VALID_NETWORKS`` networks,
        so that epochs compare without the noise of fresh draws."""
        self._set_training(False)
        Xi, yi, wi = _unpack(batch)
        with torch.no_grad():
            Xi = to_tensor(Xi, device=self.device)
            yi = to_tensor(yi, device=self.device)
            noise = self.module_.sample_noise(
                self.VALID_NETWORKS, generator=torch.Generator().manual_seed(0)
            )
            out = self.module_(Xi, noise)[0]
            if wi is None:
                loss = self.criterion_.ensemble_loss(out, yi)
            else:  # held-out rows weighted as the training rows are
                loss = self.criterion_.ensemble_loss(out, yi, to_tensor(wi, device=self.device))
        return {"loss": loss, "y_pred": out}

    def _rows_per_chunk(self, n_networks, max_elements=None):
        # Keep one activation tensor (networks x rows x width) near
        # max_elements floats: memory stays bounded however many rows come in.
        # On the CPU 2**19 (2 MiB) keeps it in cache between layers, which is
        # faster than larger chunks (benchmarks/speed_predict.py); a GPU wants
        # large kernels.
        if max_elements is None:
            max_elements = 2**19 if torch.device(self.device or "cpu").type == "cpu" else 2**24
        width = self.module_.target.max_width
        return max(1, max_elements // max(1, n_networks * width))

    @torch.no_grad()
    def generate(self, noise: torch.Tensor) -> dict[str, torch.Tensor]:
        """Parameters of the networks generated from ``noise`` (evaluation mode)."""
        self._set_training(False)
        hyper = self.module_
        return hyper.generate(hyper.codes(noise.to(self.device)))

    def _generate_cached(self, noise):
        """``generate(noise)``, reused while the noise and the values of the
        hypernetwork's parameters are exactly those of the last call, so
        repeated predictions skip the mixer and generators. Comparing values
        (not version counters, which e.g. fused optimizer kernels do not bump)
        keeps it right however the parameters change; the price is one copy
        of them."""
        weights = [p.detach() for p in self.module_.parameters()]
        cached = self.__dict__.get("_generated_cache")
        if (
            cached is not None
            and torch.equal(cached[0], noise)
            and len(cached[1]) == len(weights)
            and all(torch.equal(a, b) for a, b in zip(cached[1], weights))
        ):
            return cached[2]
        params = self.generate(noise)
        self._generated_cache = (noise.clone(), [w.clone() for w in weights], params)
        return params

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_generated_cache", None)  # recomputed on demand
        state.pop("_held_out", None)
        return state

    @torch.no_grad()
    def iter_member_outputs(self, X: Any, noise: torch.Tensor) -> Iterator[torch.Tensor]:
        """Yield the outputs ``(B, rows, n_outputs)`` of the networks generated
        from ``noise``, one chunk of rows of ``X`` (a float32 array or SciPy
        CSR matrix) at a time."""
        params = self._generate_cached(noise)
        step = self._rows_per_chunk(noise.shape[0])
        if sparse.issparse(X):  # only a chunk's rows become a (sparse) tensor
            chunks = (
                _rows(X, slice(start, start + step)).to(self.device)
                for start in range(0, X.shape[0], step)
            )
            yield from self.module_.target.forward_chunks(params, chunks)
            return
        X = torch.as_tensor(np.ascontiguousarray(X))  # no copy for a C-contiguous float32 array
        chunks = (X[start : start + step].to(self.device) for start in range(0, X.shape[0], step))
        yield from self.module_.target.forward_chunks(params, chunks)
