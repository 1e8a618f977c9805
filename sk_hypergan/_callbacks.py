"""skorch callbacks of the HyperGAN net.

:class:`DivergenceGuard` makes sure that ``fit`` never returns a model whose
parameters are NaN or infinite: a diverging fit is stopped and rolled back to
the last state known to be finite (with a :class:`DivergenceWarning`), or, if
no such state exists, fails with a :class:`TrainingDivergedError`.
:class:`WeightAveraging` keeps an exponential moving average of the
hypernetwork's weights and makes it the model outside the training steps.
"""

from __future__ import annotations

import copy
import math
import warnings

import torch
from sklearn.exceptions import ConvergenceWarning
from skorch.callbacks import Callback

__all__ = ["DivergenceGuard", "DivergenceWarning", "TrainingDivergedError", "WeightAveraging"]

_ADVICE = (
    "Lower the learning rate (lr={lr!r}), or scale X (and y), e.g. with "
    "sklearn.preprocessing.StandardScaler."
)


class DivergenceWarning(ConvergenceWarning):
    """Training diverged (a NaN or infinite loss) and was rolled back.

    The fitted model holds the last state whose parameters and loss were
    finite, and training stopped there. A subclass of
    :class:`sklearn.exceptions.ConvergenceWarning`, so filters on that class
    also apply.
    """


class TrainingDivergedError(FloatingPointError, ValueError):
    """Training diverged before reaching any state with a finite loss.

    Raised by ``fit``; the estimator is then not fitted. Both a
    :class:`FloatingPointError` and a :class:`ValueError`.
    """


def _clone(obj):
    """Copy of a (module or optimizer) state dict: tensors cloned, containers
    rebuilt, other leaves (numbers, strings, None) shared. Much cheaper than
    ``copy.deepcopy``, which matters when it runs every epoch."""
    if torch.is_tensor(obj):
        return obj.detach().clone()
    if isinstance(obj, dict):
        return {k: _clone(v) for k, v in obj.items()}
    if type(obj) in (list, tuple):
        return type(obj)(_clone(v) for v in obj)
    return copy.deepcopy(obj)


def _all_finite(tensors):
    # One check over all values (a concatenation), not one per tensor: it
    # runs every epoch, and small kernels are what an epoch costs.
    flat = [t.detach().reshape(-1) for t in tensors if t.is_floating_point()]
    return bool(torch.isfinite(torch.cat(flat)).all()) if flat else True


class DivergenceGuard(Callback):
    """Stop and roll back a training run whose loss becomes NaN or infinite.

    After every epoch the guard checks that the parameters are finite (every
    training batch's loss was checked as it came), then keeps a copy of the
    state of every module and optimizer of the net. As soon as a
    training batch reports a non-finite loss, training stops (skorch's
    ``KeyboardInterrupt`` mechanism, as in ``EarlyStopping``) and the last
    good state is restored with a :class:`DivergenceWarning`. If the run
    diverged before any good state (in the first epoch of a fresh fit), a
    :class:`TrainingDivergedError` is raised instead. The same check runs at
    the end of training, with the loss on one batch of the training data
    (a forward pass, on a forked random stream), so an interrupted fit
    (Ctrl-C) never leaves NaN parameters behind either. A warm start counts
    its starting state as good.

    The copies are dropped at the end of training, also when it ends in an
    error, so a pickled net does not carry them.
    """

    def initialize(self):
        self._reset()
        return self

    def _reset(self):
        self.good_state_ = None
        self.good_epoch_ = None
        self.diverged_at_ = None
        self._probe = None

    # -- state ----------------------------------------------------------------
    @staticmethod
    def _components(net):
        return net.training_state()

    def _snapshot(self, net):
        self.good_state_ = {
            name: _clone(obj.state_dict()) for name, obj in self._components(net).items()
        }
        self.good_epoch_ = len(net.history)

    def _restore(self, net):
        components = self._components(net)
        for name, state in self.good_state_.items():
            # load_state_dict of an optimizer keeps references: give it a copy.
            components[name].load_state_dict(_clone(state))

    def _is_good(self, net, probe=True):
        """Finite parameters and (``probe``) a finite loss on the probe batch."""
        params = [p for obj in self._components(net).values()
                  if isinstance(obj, torch.nn.Module) for p in obj.parameters()]
        if not _all_finite(params):
            return False
        if self._probe is None or not probe:
            return True
        with torch.random.fork_rng(devices=[]):
            loss = net.validation_step(self._probe)["loss"]
        return bool(torch.isfinite(loss).all())

    # -- hooks ----------------------------------------------------------------
    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self._reset()
        if X is not None:
            dataset = net.get_dataset(X, y)
            self._probe = next(iter(net.get_iterator(dataset, training=False)), None)
        if len(net.history) and self._is_good(net):
            self._snapshot(net)  # warm start: the state we start from is good

    def on_batch_end(self, net, batch=None, training=None, **kwargs):
        if not training:
            return
        row = net.history[-1, "batches", -1]
        if not all(math.isfinite(v) for k, v in row.items() if k.endswith("_loss")):
            self.diverged_at_ = (len(net.history), len(net.history[-1, "batches"]))
            raise KeyboardInterrupt

    def on_epoch_end(self, net, **kwargs):
        # Every training batch's loss was checked already; the probe batch is
        # only needed where no batch follows the last update (on_train_end).
        if self._is_good(net, probe=False):
            self._snapshot(net)
        else:
            self.diverged_at_ = (len(net.history), None)
            raise KeyboardInterrupt

    def on_train_end(self, net, X=None, y=None, **kwargs):
        try:
            if self.diverged_at_ is None and self._is_good(net):
                return
            epoch, batch = self.diverged_at_ or (len(net.history), None)
            where = f"epoch {epoch}" + (f", batch {batch}" if batch else "")
            advice = _ADVICE.format(lr=net.lr)
            if self.good_state_ is None:
                raise TrainingDivergedError(
                    f"Training diverged: the loss became NaN or infinite in {where}, "
                    f"before any finite state was reached. {advice}"
                )
            self._restore(net)
            warnings.warn(
                f"Training diverged: the loss became NaN or infinite in {where}. "
                f"Training stopped and the model was restored to its state at the "
                f"end of epoch {self.good_epoch_}. {advice}",
                DivergenceWarning,
                stacklevel=2,
            )
        finally:
            self._reset()

    def on_train_error(self, net, **kwargs):
        """Drop the copies when training ends in an error (not a hook of
        skorch's: ``HyperGANNet.fit_loop`` calls it)."""
        self._reset()


class WeightAveraging(Callback):
    """Exponential moving average of the hypernetwork's weights (``net.weight_averaging``).

    Polyak averaging (Polyak & Juditsky 1992) of the mixer's and generators'
    parameters along the optimiser's path, as an exponential moving average
    with decay ``d_t = min(d, (1 + t) / (10 + t))`` after ``t`` steps (the
    warm-up of TensorFlow's ``ExponentialMovingAverage``: while the path is
    short, recent steps weigh more). Between training steps the module holds
    the average, so everything that looks at the model -- the held-out loss
    of each epoch, early stopping's copy of the best epoch, the divergence
    guard's snapshots, the calibration and the predictions -- sees it. Each
    training step swaps the optimiser's own (raw) weights in, lets Adam step
    them, and folds them into the average. ``net.weight_averaging`` None
    (the default) does nothing. The training loss in the history is that of
    the raw weights (the step's), the held-out loss that of the average.

    Each training call (``fit``, a warm start) starts its average afresh
    from the weights it starts from, and the raw weights are dropped at its
    end, so a pickled model carries only the average. A callback that edits
    the weights between steps edits the average: the raw weights the next
    step takes do not see it. A training call that ends in an error also
    leaves the average in the module.
    """

    def initialize(self):
        self._reset()
        return self

    def _reset(self):
        self.params_ = None  # the module's parameters, while training
        self.raw_ = None  # the optimiser's weights, while training
        self.average_ = None  # the average's tensors, while a step runs (else None)
        self.steps_ = 0

    def _point(self, tensors):
        # Swapping what the parameters point to, not copying values: each
        # step then costs one averaging kernel, not four copies as well.
        for p, t in zip(self.params_, tensors):
            p.data = t

    def on_train_begin(self, net, **kwargs):
        self._reset()
        if getattr(net, "weight_averaging", None) is not None:
            # Listed once: walking the module's parameters costs more than the average.
            self.params_ = list(net.module_.parameters())
            self.raw_ = [p.detach().clone() for p in self.params_]

    def on_batch_begin(self, net, training=None, **kwargs):
        if training and self.raw_ is not None:
            # What the module holds is the average, edits since the last step
            # included; set before the swap, so an interrupt restores it.
            self.average_ = [p.data for p in self.params_]
            self._point(self.raw_)  # Adam steps these in place

    def on_batch_end(self, net, training=None, **kwargs):
        if not training or self.average_ is None:
            return
        self.steps_ += 1
        t = self.steps_
        decay = min(net.weight_averaging, (1 + t) / (10 + t))
        torch._foreach_lerp_(self.average_, self.raw_, 1 - decay)
        self._point(self.average_)
        self.average_ = None

    def on_train_end(self, net, **kwargs):
        if self.average_ is not None:  # interrupted inside a step: the model is the average
            self._point(self.average_)
        self._reset()

    def on_train_error(self, net, **kwargs):
        """As ``on_train_end``, when training ends in an error (not a hook
        of skorch's: ``HyperGANNet.fit_loop`` calls it)."""
        self.on_train_end(net)

    def __getstate__(self):
        # A net pickled while training (skorch's Checkpoint) keeps the
        # average in its module; the copies would only double its size.
        state = self.__dict__.copy()
        state.update(params_=None, raw_=None, average_=None)
        return state
