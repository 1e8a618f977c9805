"""``weight_averaging``: the model is the moving average of the optimiser's weights."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from test_reliability import ESTIMATORS, X20, Y_CLF, Y_REG, PoisonAtEpoch, check_predictions

from sk_hypergan import DivergenceWarning, HyperGANClassifier, HyperGANRegressor

from conftest import FAST, TINY

Y = {"reg": Y_REG, "clf": Y_CLF}


def _weights(net):
    """Copies of the module's parameters as they are now."""
    return [p.detach().clone() for p in net.module_.parameters()]


class RecordWeights(Callback):
    """Test helper: the module's weights when training starts, and after every
    training step the optimiser's (raw) weights and the module's."""

    def on_train_begin(self, net, **kwargs):
        self.start = _weights(net)
        self.raw, self.held, self.stepped = [], [], []

    def on_batch_begin(self, net, training=None, **kwargs):
        if training:  # what the step starts from (after WeightAveraging's swap)
            self.stepped.append(_weights(net))

    def on_batch_end(self, net, training=None, **kwargs):
        if training:
            averaging = dict(net.callbacks_)["weight_averaging"]
            self.raw.append([w.clone() for w in averaging.raw_])
            self.held.append(_weights(net))


class RecordAtEpochEnd(Callback):
    """Test helper: the module's weights at the end of every epoch."""

    def on_train_begin(self, net, **kwargs):
        self.weights = []

    def on_epoch_end(self, net, **kwargs):
        self.weights.append(_weights(net))


def _proba_or_mean(est, X):
    return est.predict_proba(X) if hasattr(est, "predict_proba") else est.predict(X)


def test_defaults_average_the_regressor_only():
    assert HyperGANRegressor().weight_averaging == 0.99
    assert HyperGANClassifier().weight_averaging is None


@pytest.mark.parametrize("kind", ["reg", "clf"])
def test_decay_zero_is_training_without_an_average(kind):
    Est, y = ESTIMATORS[kind], Y[kind]
    plain = Est(**{**TINY, "max_epochs": 4}, weight_averaging=None).fit(X20, y)
    averaged = Est(**{**TINY, "max_epochs": 4}, weight_averaging=0.0).fit(X20, y)
    np.testing.assert_array_equal(_proba_or_mean(plain, X20), _proba_or_mean(averaged, X20))


@pytest.mark.parametrize("kind", ["reg", "clf"])
def test_the_module_holds_the_moving_average_of_the_raw_weights(kind):
    Est, y = ESTIMATORS[kind], Y[kind]
    decay = 0.8
    est = Est(**{**TINY, "max_epochs": 3, "batch_size": 5}, weight_averaging=decay,
              early_stopping=False, callbacks=[("record", RecordWeights())])
    est.fit(X20, y)
    recorder = dict(est.net_.callbacks_)["record"]  # the estimator fits a copy
    assert len(recorder.raw) == 12  # 3 epochs x 4 batches
    # Adam steps the raw weights: each step starts where the previous one ended.
    for before, after in zip(recorder.stepped, [recorder.start, *recorder.raw]):
        for b, a in zip(before, after):
            torch.testing.assert_close(b, a)
    average = recorder.start
    for t, (raw, held) in enumerate(zip(recorder.raw, recorder.held), start=1):
        d = min(decay, (1 + t) / (10 + t))
        average = [d * a + (1 - d) * r for a, r in zip(average, raw)]
        for a, h in zip(average, held):
            torch.testing.assert_close(h, a)
    # The raw weights moved away from the average, and the fitted model is the average.
    assert any(not torch.equal(r, a) for r, a in zip(recorder.raw[-1], average))
    for p, a in zip(est.net_.module_.parameters(), average):
        torch.testing.assert_close(p.detach(), a)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_averaged_fit_learns_and_drops_its_copies(classification_data):
    X, y = classification_data
    clf = HyperGANClassifier(**FAST, weight_averaging=0.99).fit(X, y)
    assert clf.score(X, y) > 0.9
    averaging = dict(clf.net_.callbacks_)["weight_averaging"]
    assert averaging.raw_ is None and averaging.average_ is None
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize("kind", ["reg", "clf"])
def test_a_warm_start_averages_with_the_current_decay(kind):
    Est, y = ESTIMATORS[kind], Y[kind]
    params = {**TINY, "batch_size": 5, "early_stopping": False, "warm_start": True}
    cold, warm = (Est(**params, weight_averaging=None).fit(X20, y) for _ in range(2))
    np.testing.assert_array_equal(_proba_or_mean(cold, X20), _proba_or_mean(warm, X20))
    cold.fit(X20, y)  # the same continuation, without and with an average
    warm.set_params(weight_averaging=0.9).fit(X20, y)
    assert warm.net_.weight_averaging == 0.9
    assert not np.array_equal(_proba_or_mean(warm, X20), _proba_or_mean(cold, X20))


@pytest.mark.parametrize("kind", ["reg", "clf"])
def test_partial_fit_steps_the_weights_without_an_average(kind):
    Est, y = ESTIMATORS[kind], Y[kind]
    kwargs = {"classes": [0, 1]} if kind == "clf" else {}
    plain, averaged = (Est(**TINY, weight_averaging=w) for w in (None, 0.9))
    for _ in range(3):
        plain.partial_fit(X20, y, **kwargs)
        averaged.partial_fit(X20, y, **kwargs)
    np.testing.assert_array_equal(_proba_or_mean(plain, X20), _proba_or_mean(averaged, X20))


@pytest.mark.parametrize("kind", ["reg", "clf"])
def test_early_stopping_keeps_the_average_of_the_best_epoch(kind):
    Est, y = ESTIMATORS[kind], Y[kind]
    rng = np.random.RandomState(1)
    X = rng.randn(200, 3)
    # Labels unrelated to X: the held-out loss soon stops improving.
    y = rng.randn(200) if kind == "reg" else rng.randint(2, size=200)
    est = Est(**{**TINY, "max_epochs": 30}, early_stopping=True, n_iter_no_change=3,
              weight_averaging=0.9, callbacks=[("at_epoch_end", RecordAtEpochEnd())])
    est.fit(X, y)
    best = [i for i, b in enumerate(est.history_[:, "valid_loss_best"]) if b][-1]
    assert best < len(est.history_) - 1  # it stopped after the best epoch
    held = dict(est.net_.callbacks_)["at_epoch_end"].weights[best]
    for p, h in zip(est.net_.module_.parameters(), held):
        torch.testing.assert_close(p.detach(), h)


@pytest.mark.parametrize("kind", ["reg", "clf"])
def test_divergence_with_an_average_restores_a_finite_state(kind):
    Est, y = ESTIMATORS[kind], Y[kind]
    est = Est(**{**TINY, "max_epochs": 5}, weight_averaging=0.9, callbacks=[PoisonAtEpoch(3)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.warns(DivergenceWarning, match="end of epoch 2"):
            est.fit(X20, y)
    assert all(torch.isfinite(p).all() for p in est.net_.module_.parameters())
    check_predictions(est, X20, kind)


class FailAtStep(RecordWeights):
    """Test helper: :class:`RecordWeights` that raises inside the training step
    ``fail_at`` of a training call (after ``WeightAveraging`` swapped the raw
    weights in)."""

    fail_at = None

    def on_batch_begin(self, net, training=None, **kwargs):
        super().on_batch_begin(net, training=training, **kwargs)
        if training and len(self.stepped) == self.fail_at:
            raise RuntimeError("a failing callback")


@pytest.mark.parametrize("kind", ["reg", "clf"])
def test_a_training_call_that_fails_mid_step_leaves_the_average(kind):
    Est, y = ESTIMATORS[kind], Y[kind]
    est = Est(**{**TINY, "batch_size": 5}, early_stopping=False, warm_start=True,
              weight_averaging=0.9, callbacks=[("fail", FailAtStep())])
    est.fit(X20, y)
    callbacks = dict(est.net_.callbacks_)  # the estimator fits a copy
    callbacks["fail"].fail_at = 6  # the second step of the warm start's second epoch
    with pytest.raises(RuntimeError, match="a failing callback"):
        est.fit(X20, y)
    assert len(callbacks["fail"].stepped) == 6
    for p, h in zip(est.net_.module_.parameters(), callbacks["fail"].held[-1]):
        torch.testing.assert_close(p.detach(), h)  # the average, not the raw weights
    assert callbacks["weight_averaging"].raw_ is None
    assert callbacks["divergence_guard"].good_state_ is None
