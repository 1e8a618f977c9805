"""Reliability: bad inputs, training divergence, persistence and determinism.

Every bad input in ``BAD_INPUTS`` has a documented outcome per estimator
(docs/reliability.rst): an error whose message names the problem, or a fit
with finite predictions of the documented shapes.
"""

import io
import pickle
import warnings
from dataclasses import dataclass, field

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.exceptions import DataConversionWarning, NotFittedError
from skorch.callbacks import Callback
from skorch.exceptions import DeviceWarning
from torch import nn

from sk_hypergan import (
    DivergenceWarning,
    HyperGANClassifier,
    HyperGANRegressor,
    TrainingDivergedError,
)
from sk_hypergan.targets import conv2d, from_module, mlp

from conftest import TINY

ESTIMATORS = {"reg": HyperGANRegressor, "clf": HyperGANClassifier}

_rng = np.random.RandomState(0)
X20 = _rng.randn(20, 3)
Y_REG = X20[:, 0] + 0.1 * _rng.randn(20)
Y_CLF = np.array([0, 1] * 10)


def _with(a, index, value):
    a = np.array(a, dtype=float)
    a[index] = value
    return a


FIT = "fit"  # outcome: fits, predictions finite and of the documented shapes


@dataclass
class Case:
    """A bad input and its documented outcome for each estimator.

    ``reg`` / ``clf``: FIT, ``(ExceptionClass, match)``, or None (does not apply).
    ``X`` / ``y`` default to the clean data; ``y`` may be a dict per estimator.
    """

    id: str
    reg: object = None
    clf: object = None
    X: object = None
    y: object = None
    params: dict = field(default_factory=dict)
    X_predict: object = None
    warns: type = None

    def data(self, kind):
        X = X20 if self.X is None else self.X
        y = {"reg": Y_REG, "clf": Y_CLF} if self.y is None else self.y
        return X, (y[kind] if isinstance(y, dict) else y)


E = ValueError
TD = TrainingDivergedError


def both(exc, match):
    """The same error for the regressor and the classifier."""
    return (exc, match), (exc, match)


NAN_X = _with(X20, (0, 0), np.nan)
STRINGS_X = np.array([["a", "b", "c"]] * 20, dtype=object)
DF_STRINGS = pd.DataFrame({"a": X20[:, 0], "b": ["x"] * 20})
FIRST = {"reg": Y_REG[:1], "clf": Y_CLF[:1]}
NONE = {"reg": Y_REG[:0], "clf": Y_CLF[:0]}
SINGLE_MEMBER = {"clf": np.r_[np.zeros(19), 1]}
NO_STR = "could not convert string to float"
PARAMS = [
    ("n_networks", 0), ("n_networks", -3), ("n_networks", 1.5), ("n_networks", "many"),
    ("n_prediction_networks", 0), ("n_prediction_networks", -1),
    ("batch_size", 0), ("batch_size", -8), ("lr", 0.0), ("lr", -1.0),
    ("max_epochs", 0), ("max_epochs", -1), ("regularizer", "bogus"), ("beta", -1.0),
    ("validation_fraction", 1.5), ("mixer_hidden_sizes", (0,)), ("target", "mlp"),
    ("weight_averaging", 1.0), ("weight_averaging", -0.1),
]
BN = from_module(nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)))

BAD_INPUTS = [
    # -- X -----------------------------------------------------------------
    Case("nan_in_X", *both(E, "Input X contains NaN"), X=NAN_X),
    Case("inf_in_X", *both(E, "Input X contains infinity"), X=_with(X20, (0, 0), np.inf)),
    Case("empty_X", *both(E, r"0 sample\(s\)"), X=X20[:0], y=NONE),
    Case("one_row", FIT, (E, "only one class"), X=X20[:1], y=FIRST),
    Case("one_feature", FIT, FIT, X=X20[:, :1]),
    Case("zero_features", *both(E, r"0 feature\(s\)"), X=X20[:, :0]),
    Case("X_1d", *both(E, "Expected 2D array"), X=X20[:, 0]),
    Case("X_3d", *both(E, "dim 3"), X=X20[:, :, None]),
    Case("constant_features", FIT, FIT, X=np.ones((20, 3))),
    Case("bool_X", FIT, FIT, X=X20 > 0),
    Case("numeric_strings_X", FIT, FIT, X=X20.astype(str)),
    Case("string_X", *both(E, NO_STR), X=STRINGS_X),
    Case("dataframe_string_column", *both(E, NO_STR), X=DF_STRINGS),
    Case("complex_X", *both(E, "Complex data not supported"), X=X20 + 1j),
    # Sparse X fits with the mlp target (its first layer is a sparse product);
    # other targets need dense rows.
    Case("sparse_X", FIT, FIT, X=sp.csr_matrix(X20), X_predict=X20),
    Case(
        "sparse_X_conv2d",
        *both(E, "Sparse X is supported with the mlp target only"),
        X=sp.csr_matrix(X20),
        params={"target": conv2d(input_shape=(1, 1, 3), channels=(2,), pool=False)},
    ),
    # Within float32 but huge: the Gaussian NLL overflows at once -> clear error;
    # the classifier's cross-entropy stays finite and it fits.
    Case("huge_X_1e30", (TD, "scale X"), FIT, X=X20 * 1e30),
    Case("X_beyond_float32", *both(E, "float32 range"), X=X20 * 1e39),
    Case("predict_X_beyond_float32", *both(E, "float32 range"), X_predict=X20 * 1e39),
    Case("predict_nan_in_X", *both(E, "Input X contains NaN"), X_predict=NAN_X),
    Case("predict_wrong_n_features", *both(E, "X has 2 features, but .* is expecting 3"),
         X_predict=X20[:, :2]),
    # -- y -----------------------------------------------------------------
    Case("nan_in_y", *both(E, "Input y contains NaN"),
         y={"reg": _with(Y_REG, 0, np.nan), "clf": _with(Y_CLF, 0, np.nan)}),
    Case("inf_in_y", (E, "Input y contains infinity"), None, y={"reg": _with(Y_REG, 0, np.inf)}),
    Case("y_wrong_length", *both(E, "inconsistent numbers of samples"),
         y={"reg": Y_REG[:10], "clf": Y_CLF[:10]}),
    Case("constant_y", FIT, None, y={"reg": np.full(20, 3.0)}),
    Case("huge_y_1e30", FIT, None, y={"reg": Y_REG * 1e30}),
    Case("y_std_beyond_1e150", (E, "y is too large"), None, y={"reg": Y_REG * 1e200}),
    Case("string_y_regressor", (E, NO_STR), None, y={"reg": np.array(["a"] * 20)}),
    Case("y_2d_multioutput_regressor", FIT, None, y={"reg": np.c_[Y_REG, -Y_REG]}),
    Case("one_class", None, (E, "only one class"), y={"clf": np.zeros(20)}),
    Case("class_with_single_member", None, FIT, y=SINGLE_MEMBER),
    Case("class_with_single_member_stratified_split", None, (E, "a class has a single row"),
         y=SINGLE_MEMBER, params={"early_stopping": True, "validation_fraction": 0.2}),
    Case("string_labels", None, FIT, y={"clf": np.array(["yes", "no"] * 10)}),
    Case("continuous_y_classifier", None, (E, "Unknown label type"), y={"clf": Y_REG}),
    Case("column_vector_y_classifier", None, FIT, y={"clf": Y_CLF[:, None]},
         warns=DataConversionWarning),
    Case("multilabel_y_classifier", None, (E, "y should be a 1d array"),
         y={"clf": np.c_[Y_CLF, 1 - Y_CLF]}),
    Case("multiclass_multioutput_y_classifier", None, (E, "y should be a 1d array"),
         y={"clf": np.c_[Y_CLF, Y_CLF * 2]}),
    # -- parameters (InvalidParameterError is a ValueError and a TypeError) -------
    *[
        Case(f"param_{name}={value!r}", *both(E, f"'{name}' parameter"), params={name: value})
        for name, value in PARAMS
    ],
    *[
        Case(f"param_device={device!r}", *both(E, "Unknown device"), params={"device": device})
        for device in ["tpu9", "bogus", "meta", "mps"]
    ],
    Case("param_device='cuda'_without_gpu", *both(E, "no CUDA device"), params={"device": "cuda"}),
    Case("target_unknown_activation", *both(E, "'activation' parameter"),
         params={"target": mlp((8,), activation="bogus")}),
    Case("target_module_wrong_n_outputs", *both(E, "needs 2 outputs per row"),
         params={"target": from_module(nn.Linear(3, 7))}),
    Case("target_module_wrong_n_inputs", *both(E, "failed on input of shape"),
         params={"target": from_module(nn.Linear(5, 2))}),
    Case("target_module_with_buffers", *both(E, "parameters only"), params={"target": BN}),
    Case("callbacks_not_callbacks", *both(TypeError, "must hold skorch callbacks"),
         params={"callbacks": [1, ("named", "not a callback")]}),
    Case("target_module_with_dropout", *both(E, "dropout layers"),
         params={"target": from_module(nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5),
                                                     nn.Linear(4, 2)))}),
    Case("target_not_a_module", *both(TypeError, "needs a torch.nn.Module"),
         params={"target": from_module("linear")}),
    Case("conv2d_shape_mismatch", *both(E, "holds 4 values per row, but X has 3"),
         params={"target": conv2d((1, 2, 2))}),
    Case("conv2d_shape_not_3d", *both(E, "channels, height, width"),
         params={"target": conv2d((3,))}),
    # -- training ----------------------------------------------------------------
    Case("absurd_lr_1e6", *both(TD, "Lower the learning rate"), params={"lr": 1e6}),
]
CASES = [
    pytest.param(case, kind, id=f"{case.id}-{kind}")
    for case in BAD_INPUTS
    for kind in ("reg", "clf")
    if getattr(case, kind) is not None
]


def check_predictions(est, X, kind, n_targets=None):
    """Finite predictions of the documented shapes."""
    n = len(X)
    if kind == "reg":
        mean, std = est.predict(X, return_std=True)
        shape = (n,) if n_targets is None else (n, n_targets)
        assert mean.shape == std.shape == shape
        assert np.isfinite(mean).all() and np.isfinite(std).all() and (std >= 0).all()
        u = est.predict_uncertainty(X)
        assert all(np.isfinite(v).all() and v.shape == shape for v in u.values())
    else:
        proba = est.predict_proba(X)
        assert proba.shape == (n, len(est.classes_))
        assert np.isfinite(proba).all() and (proba >= 0).all() and (proba <= 1).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
        assert set(est.predict(X)) <= set(est.classes_)
        u = est.predict_uncertainty(X)
        assert all(np.isfinite(v).all() and (v >= 0).all() and v.shape == (n,) for v in u.values())


@pytest.mark.parametrize("case, kind", CASES)
def test_bad_input(case, kind):
    if "cuda" in case.id and torch.cuda.is_available():
        pytest.skip("a CUDA device is available")
    expected = getattr(case, kind)
    X, y = case.data(kind)
    est = ESTIMATORS[kind](**{**TINY, **case.params})
    X_predict = X if case.X_predict is None else case.X_predict
    if expected == FIT:
        with warnings.catch_warnings():
            warnings.simplefilter("error", DivergenceWarning)
            if case.warns is None:
                est.fit(X, y)
            else:
                with pytest.warns(case.warns):
                    est.fit(X, y)
        y_arr = np.asarray(y)
        n_targets = y_arr.shape[1] if kind == "reg" and y_arr.ndim == 2 else None
        check_predictions(est, np.asarray(X_predict, dtype=float), kind, n_targets)
    else:
        exc, match = expected
        with pytest.raises(exc, match=match):
            est.fit(X, y)
            if case.X_predict is not None:
                est.predict(X_predict)


@pytest.mark.parametrize("kind", ["reg", "clf"])
@pytest.mark.parametrize(
    "method", ["predict", "predict_uncertainty", "sample_networks", "history_"]
)
def test_not_fitted(kind, method):
    est = ESTIMATORS[kind]()
    with pytest.raises(NotFittedError, match="not fitted yet"):
        if method == "history_":
            _ = est.history_
        elif method == "sample_networks":
            est.sample_networks(2)
        else:
            getattr(est, method)(X20)


def test_not_fitted_proba():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        HyperGANClassifier().predict_proba(X20)


def test_warm_start_bad_inputs():
    clf = HyperGANClassifier(**TINY, warm_start=True).fit(X20, Y_CLF)
    with pytest.raises(ValueError, match="classes not seen in the first fit"):
        clf.fit(X20, np.r_[Y_CLF[:-1], 7])
    with pytest.raises(ValueError, match="X has 2 features, but .* is expecting 3"):
        clf.fit(X20[:, :2], Y_CLF)
    reg = HyperGANRegressor(**TINY, warm_start=True).fit(X20, Y_REG)
    with pytest.raises(ValueError, match="y has 2 targets, but the model was fitted with 1"):
        reg.fit(X20, np.c_[Y_REG, Y_REG])


def test_warm_start_applies_training_parameters():
    clf = HyperGANClassifier(**TINY, warm_start=True).fit(X20, Y_CLF)
    clf.set_params(weight_decay=0.5, n_networks=3, beta=0.0, mixup_diversity=0.0, batch_size=7)
    clf.fit(X20, Y_CLF)
    net = clf.net_
    assert net.optimizer_.param_groups[0]["weight_decay"] == 0.5
    assert (net.n_networks, net.beta, net.mixup_diversity, net.batch_size) == (3, 0.0, 0.0, 7)
    assert len(clf.history_) == 2 * TINY["max_epochs"]


@pytest.mark.parametrize(
    "params",
    [
        {"target": mlp((3,))},
        {"noise_dim": 5},
        {"use_mixer": False},
        {"regularizer": "discriminator"},  # the classifier's default is "mine"
        {"early_stopping": True},
        {"callbacks": [("noop", Callback())]},
    ],
)
def test_warm_start_refuses_to_change_what_the_networks_were_built_from(params):
    clf = HyperGANClassifier(**TINY, warm_start=True).fit(X20, Y_CLF)
    name = next(iter(params))
    with pytest.raises(ValueError, match=f"other values of {name}.*warm_start=False"):
        clf.set_params(**params).fit(X20, Y_CLF)
    # Unchanged parameters (also after a pickle round trip, which copies
    # callbacks and targets) go on training.
    clf = HyperGANClassifier(**TINY, warm_start=True, callbacks=[("noop", Callback())])
    loaded = pickle.loads(pickle.dumps(clf.fit(X20, Y_CLF)))
    assert len(loaded.fit(X20, Y_CLF).history_) == 2 * TINY["max_epochs"]


def test_partial_fit_applies_training_parameters_and_refuses_build_changes():
    clf = HyperGANClassifier(**TINY).partial_fit(X20, Y_CLF, classes=[0, 1])
    lr = clf.net_.optimizer_.param_groups[0]["lr"]
    clf.set_params(n_networks=3, weight_decay=0.1, early_stopping=True).partial_fit(X20, Y_CLF)
    assert clf.net_.n_networks == 3 and len(clf.history_) == 2
    assert clf.net_.optimizer_.param_groups[0]["weight_decay"] == 0.1
    assert clf.net_.optimizer_.param_groups[0]["lr"] == lr  # a stream keeps its rate
    with pytest.raises(ValueError, match="partial_fit goes on training .* latent_dim"):
        clf.set_params(latent_dim=6).partial_fit(X20, Y_CLF)


def test_failed_refit_leaves_no_stale_model():
    """A refit that fails after validation must not keep the previous networks
    beside the new classes_ / n_features_in_."""
    clf = HyperGANClassifier(**TINY).fit(X20, Y_CLF)
    with pytest.raises(ValueError, match="holds 4 values per row"):
        clf.set_params(target=conv2d((1, 2, 2))).fit(X20, np.arange(20) % 3)
    with pytest.raises(NotFittedError):
        clf.predict(X20)


@pytest.mark.parametrize(
    "kind, X, y, fraction, match",
    [
        ("clf", X20[:4], Y_CLF[:4], 0.1, "1 held-out rows cannot hold all 2 classes"),
        ("clf", X20, np.r_[Y_CLF[:-1], 2], 0.1, "a class has a single row"),
        ("clf", X20, Y_CLF, 0.95, "the 1 rows left to train on cannot hold all 2 classes"),
        ("reg", X20[:1], Y_REG[:1], 0.1, "no rows to train on"),
    ],
)
def test_explicit_early_stopping_on_too_few_rows_names_the_parameter(kind, X, y, fraction, match):
    est = ESTIMATORS[kind](**TINY, early_stopping=True, validation_fraction=fraction)
    with pytest.raises(ValueError, match=f"early_stopping=True .*{match}"):
        est.fit(X, y)


def test_auto_early_stopping_holds_no_rows_out_where_too_few_would_train():
    # 150 rows (above the classifier's 120 for "auto"); 0.99 would leave 1 training row
    # for 3 classes, which scikit-learn's stratified split refuses.
    X = np.random.RandomState(0).randn(150, 3)
    y = np.repeat([0, 1, 2], 50)
    clf = HyperGANClassifier(**TINY, validation_fraction=0.99).fit(X, y)
    assert "valid_loss" not in clf.history_[-1] and clf.temperature_ == 1.0


def test_method_arguments_are_validated(fitted):
    with pytest.raises(ValueError, match="n == -1, must be >= 1"):
        fitted.sample_networks(-1)
    with pytest.raises(TypeError, match="n_prediction_networks must be an instance of int"):
        clone_ = pickle.loads(pickle.dumps(fitted)).set_params(n_prediction_networks=2.5)
        clone_.predict(X20)
    if isinstance(fitted, HyperGANRegressor):
        with pytest.raises(ValueError, match="n_samples == 0, must be >= 1"):
            fitted.sample_y(X20, n_samples=0)
        with pytest.raises(TypeError, match="confidence_level must be an instance of"):
            fitted.predict_interval(X20, confidence_level="x")


# -- divergence -------------------------------------------------------------------


class PoisonAtEpoch(Callback):
    """Test helper: sets a mixer weight to NaN at the start of epoch ``epoch`` (1-based)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == self.epoch:
            with torch.no_grad():
                next(net.module_.parameters()).fill_(float("nan"))


@pytest.mark.parametrize("kind", ["reg", "clf"])
@pytest.mark.parametrize("y_scale", [1.0, 1e30])
def test_absurd_lr_never_predicts_nan(kind, y_scale):
    y = Y_REG * y_scale if kind == "reg" else Y_CLF
    est = ESTIMATORS[kind](**{**TINY, "lr": 1e6, "max_epochs": 3, "batch_size": 5})
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        try:
            est.fit(X20, y)
        except TrainingDivergedError as exc:
            assert "diverged" in str(exc) and "lr=1000000.0" in str(exc)
            with pytest.raises(NotFittedError):
                est.predict(X20)
            return
    check_predictions(est, X20, kind)


@pytest.mark.parametrize("kind", ["reg", "clf"])
def test_divergence_restores_last_good_state(kind):
    y = Y_REG if kind == "reg" else Y_CLF
    # No weight average: the poisoned weight is then the one the next step uses, so
    # that step's loss is NaN (tests/test_weight_averaging.py poisons an average).
    params = {**TINY, "max_epochs": 5, "weight_averaging": None}
    est = ESTIMATORS[kind](**params, callbacks=[PoisonAtEpoch(3)])
    with pytest.warns(DivergenceWarning, match="epoch 3, batch 1.*end of epoch 2"):
        est.fit(X20, y)
    assert len(est.history_) == 3  # stopped in the epoch that diverged
    check_predictions(est, X20, kind)
    # The restored state is exactly the state after epoch 2.
    ref = ESTIMATORS[kind](**{**params, "max_epochs": 2}).fit(X20, y)
    method = "predict" if kind == "reg" else "predict_proba"
    np.testing.assert_array_equal(getattr(est, method)(X20), getattr(ref, method)(X20))
    # The copies of the state do not stay in the fitted net.
    guard = dict(est.net_.callbacks_)["divergence_guard"]
    assert guard.good_state_ is None and guard._probe is None


@pytest.mark.parametrize("kind", ["reg", "clf"])
def test_divergence_before_any_good_state_raises(kind):
    est = ESTIMATORS[kind](**TINY, callbacks=[PoisonAtEpoch(1)])
    y = Y_REG if kind == "reg" else Y_CLF
    with pytest.raises(TrainingDivergedError, match="before any finite state"):
        est.fit(X20, y)
    with pytest.raises(NotFittedError):
        est.predict(X20)
    assert issubclass(TrainingDivergedError, FloatingPointError)
    assert issubclass(TrainingDivergedError, ValueError)


def test_warm_start_divergence_keeps_previous_model():
    est = HyperGANRegressor(**TINY, warm_start=True).fit(X20, Y_REG)
    before = est.predict(X20)
    # A warm start keeps the first fit's net and starts again from ``lr``.
    est.set_params(lr=1e6)
    with pytest.warns(DivergenceWarning, match="restored to its state at the end of epoch 2"):
        est.fit(X20, Y_REG)
    np.testing.assert_array_equal(est.predict(X20), before)
    est.set_params(lr=1e-3)
    est.fit(X20, Y_REG)  # the optimizer state was restored too
    assert np.isfinite(est.predict(X20)).all()


# -- persistence ------------------------------------------------------------------


def _outputs(est, X):
    if isinstance(est, HyperGANRegressor):
        u = est.predict_uncertainty(X)
        return [est.predict(X), *u.values(), est.predict_interval(X), est.sample_y(X, 3)]
    u = est.predict_uncertainty(X)
    return [est.predict(X), est.predict_proba(X), *u.values()]


@pytest.fixture(scope="module", params=["reg", "clf"])
def fitted(request):
    kind = request.param
    return ESTIMATORS[kind](**TINY).fit(X20, Y_REG if kind == "reg" else Y_CLF)


def _assert_same_outputs(a, b, X=X20):
    outs_a, outs_b = _outputs(a, X), _outputs(b, X)
    assert len(outs_a) == len(outs_b)
    for out_a, out_b in zip(outs_a, outs_b):
        np.testing.assert_array_equal(out_a, out_b)


def test_pickle_round_trip(fitted):
    loaded = pickle.loads(pickle.dumps(fitted))
    _assert_same_outputs(fitted, loaded)
    for a, b in zip(fitted.sample_networks(3), loaded.sample_networks(3)):
        for pa, pb in zip(a.parameters(), b.parameters()):
            assert torch.equal(pa, pb)


def test_joblib_round_trip(fitted, tmp_path):
    joblib.dump(fitted, tmp_path / "model.joblib")
    _assert_same_outputs(fitted, joblib.load(tmp_path / "model.joblib"))


def test_loaded_model_keeps_training(fitted):
    loaded = pickle.loads(pickle.dumps(fitted))
    y = Y_REG if isinstance(fitted, HyperGANRegressor) else Y_CLF
    loaded.set_params(warm_start=True).fit(X20, y)
    assert len(loaded.history_) == 2 * TINY["max_epochs"]


def test_skorch_save_and_load_params(fitted, tmp_path):
    """Weights-only persistence: skorch's save_params / load_params.

    The estimator around the net (encoding of y, classes, the seed of the
    prediction ensemble) is rebuilt by fitting the same estimator (same
    parameters, random_state and y) briefly, then the weights are loaded.
    """
    names = ("params", "regularizer", "optimizer")
    files = {f"f_{name}": tmp_path / f"{name}.pt" for name in names}
    fitted.net_.save_params(**files, f_history=tmp_path / "history.json")
    y = Y_REG if isinstance(fitted, HyperGANRegressor) else Y_CLF
    skeleton = type(fitted)(**{**fitted.get_params(deep=False), "max_epochs": 1}).fit(X20, y)
    skeleton.net_.load_params(**files, f_history=tmp_path / "history.json")
    _assert_same_outputs(fitted, skeleton)
    assert len(skeleton.history_) == TINY["max_epochs"]


class _NotATensor:
    pass


def test_load_params_is_weights_only(fitted, tmp_path):
    """skorch loads parameters with torch.load(weights_only=True) by default:
    a file holding an arbitrary Python object is refused."""
    assert fitted.net_.torch_load_kwargs is None  # skorch's default: weights_only=True
    path = tmp_path / "evil.pt"
    torch.save({"obj": _NotATensor()}, path)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        pickle.loads(pickle.dumps(fitted)).net_.load_params(f_params=path)


def test_fitted_on_cuda_loads_on_cpu_simulated(fitted, monkeypatch):
    """skorch's __setstate__ maps CUDA tensors to the CPU when no GPU is there.

    Simulated: the net is marked as a CUDA net before pickling, and CUDA is
    reported unavailable while loading.
    """
    marked = pickle.loads(pickle.dumps(fitted))
    marked.net_.device = "cuda"
    blob = pickle.dumps(marked)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        loaded = pickle.loads(blob)
    messages = [str(w.message) for w in record if w.category is DeviceWarning]
    assert any("no CUDA devices are available" in m for m in messages)
    assert any("Setting self.device = cpu" in m for m in messages)
    assert torch.device(loaded.net_.device).type == "cpu"
    assert all(p.device.type == "cpu" for p in loaded.net_.module_.parameters())
    _assert_same_outputs(fitted, loaded)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("kind", ["reg", "clf"])
def test_fitted_on_gpu_loads_on_cpu(kind, monkeypatch):
    y = Y_REG if kind == "reg" else Y_CLF
    gpu = ESTIMATORS[kind](**{**TINY, "device": "cuda"}).fit(X20, y)
    buffer = io.BytesIO()
    joblib.dump(gpu, buffer)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    buffer.seek(0)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        cpu = joblib.load(buffer)
    assert any(w.category is DeviceWarning for w in record)
    assert torch.device(cpu.net_.device).type == "cpu"
    for a, b in zip(_outputs(gpu, X20), _outputs(cpu, X20)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


# -- determinism ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["reg", "clf"])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_same_random_state_same_model(kind, early_stopping):
    y = Y_REG if kind == "reg" else Y_CLF
    params = {**TINY, "early_stopping": early_stopping, "validation_fraction": 0.25}
    np.random.seed(1)
    a = ESTIMATORS[kind](**params).fit(X20, y)
    np.random.seed(2)  # the global RNGs play no part
    torch.manual_seed(2)
    b = ESTIMATORS[kind](**params).fit(X20, y)
    _assert_same_outputs(a, b)
    np.testing.assert_array_equal(a.history_[:, "train_loss"], b.history_[:, "train_loss"])


@pytest.mark.parametrize("kind", ["reg", "clf"])
def test_different_random_state_different_networks(kind):
    y = Y_REG if kind == "reg" else Y_CLF
    a = ESTIMATORS[kind](**TINY).fit(X20, y)
    b = ESTIMATORS[kind](**{**TINY, "random_state": 1}).fit(X20, y)
    pa = next(a.sample_networks(1)[0].parameters())
    pb = next(b.sample_networks(1)[0].parameters())
    assert not torch.equal(pa, pb)
    method = "predict" if kind == "reg" else "predict_proba"
    assert not np.array_equal(getattr(a, method)(X20), getattr(b, method)(X20))


def test_predict_is_repeatable(fitted):
    _assert_same_outputs(fitted, fitted)
    torch.manual_seed(123)  # the global RNG plays no part in predictions
    _assert_same_outputs(fitted, fitted)


@pytest.mark.parametrize("kind", ["reg", "clf"])
@pytest.mark.parametrize("random_state", [0, None])
def test_fit_leaves_global_rng_untouched(kind, random_state):
    y = Y_REG if kind == "reg" else Y_CLF
    torch_state = torch.get_rng_state()
    np_state = np.random.get_state()
    params = {**TINY, "random_state": random_state, "early_stopping": True}
    est = ESTIMATORS[kind](**{**params, "validation_fraction": 0.25})
    est.fit(X20, y)
    est.predict(X20)
    assert torch.equal(torch.get_rng_state(), torch_state)
    if random_state is not None:  # None draws its seed from NumPy's global RNG (sklearn convention)
        np.testing.assert_array_equal(np.random.get_state()[1], np_state[1])


class InterruptAt(Callback):
    """Test helper: raises KeyboardInterrupt (as Ctrl-C would) in epoch ``epoch``."""

    def __init__(self, epoch, where="on_epoch_end"):
        self.epoch = epoch
        self.where = where

    def on_epoch_end(self, net, **kwargs):
        if self.where == "on_epoch_end" and len(net.history) == self.epoch:
            raise KeyboardInterrupt

    def on_batch_end(self, net, training=None, **kwargs):
        if self.where == "on_batch_end" and training and len(net.history) == self.epoch:
            raise KeyboardInterrupt


@pytest.mark.parametrize("kind", ["reg", "clf"])
@pytest.mark.parametrize("where", ["on_epoch_end", "on_batch_end"])
def test_interrupted_fit_leaves_usable_model(kind, where):
    """skorch catches KeyboardInterrupt in fit: the estimator is fitted with the
    state reached so far, and the history shows the epochs that ran."""
    y = Y_REG if kind == "reg" else Y_CLF
    params = {**TINY, "max_epochs": 5, "batch_size": 5}
    est = ESTIMATORS[kind](**params, callbacks=[InterruptAt(2, where)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        est.fit(X20, y)
    assert len(est.history_) == 2
    check_predictions(est, X20, kind)
    if where == "on_batch_end":  # stopped after the first batch of epoch 2
        assert len(est.history_[-1, "batches"]) == 1
