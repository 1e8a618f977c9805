"""The estimators on a CUDA device.

Skipped where torch sees no GPU (as in CI); on a GPU machine run
``python -m pytest tests/test_cuda.py``. The rest of the suite runs on the
CPU there too: these tests are the ones that put the networks on the GPU.
"""

import pickle

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sk_hypergan import HyperGANClassifier, HyperGANRegressor, weight_diversity
from sk_hypergan.targets import conv2d

from conftest import CHECKS, FAST

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

# The shared settings (tests/conftest.py), on the GPU.
CUDA_CHECKS = {**CHECKS, "device": "cuda"}  # as tests/test_common.py
CUDA = {**FAST, "device": "cuda"}


def _on_cuda(est):
    return all(p.is_cuda for p in est.net_.module_.parameters())


@pytest.fixture(scope="module")
def fitted_regressor(regression_data):
    return HyperGANRegressor(max_epochs=60, random_state=0, device="cuda").fit(*regression_data)


@parametrize_with_checks([HyperGANRegressor(**CUDA_CHECKS), HyperGANClassifier(**CUDA_CHECKS)])
def test_sklearn_compatible_on_cuda(estimator, check):
    check(estimator)


def test_regressor_on_cuda_learns_and_decomposes(fitted_regressor, regression_data):
    X, y = regression_data
    reg = fitted_regressor
    assert _on_cuda(reg)
    assert reg.score(X, y) > 0.9  # as on the CPU (tests/test_estimators.py)
    u = reg.predict_uncertainty(X)
    assert isinstance(u.mean, np.ndarray)  # answers come back to the host
    np.testing.assert_allclose(u.std**2, u.aleatoric_std**2 + u.epistemic_std**2, rtol=1e-6)


def test_classifier_conv2d_on_cuda_with_the_diversity_reward():
    """The classifier's defaults (32 networks per step), the mixup and shuffled
    rows of ``mixup_diversity`` (off by default) and an image target, all on
    the GPU."""
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X / 16.0, y, test_size=0.3, random_state=0)
    clf = HyperGANClassifier(
        target=conv2d((1, 8, 8)), max_epochs=40, n_prediction_networks=30, random_state=0,
        mixup_diversity=0.3, device="cuda",
    ).fit(X_tr, y_tr)
    assert _on_cuda(clf)
    assert clf.score(X_te, y_te) > 0.9
    proba = clf.predict_proba(X_te)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert np.isfinite(clf.predict_uncertainty(X_te).epistemic).all()


def test_sample_networks_from_cuda_are_cpu_modules_that_reproduce_predict(
    fitted_regressor, regression_data
):
    """Batched on the GPU == one network at a time on the CPU (float32 tolerance)."""
    X, _ = regression_data
    reg = fitted_regressor
    networks = reg.sample_networks(reg.n_prediction_networks)
    assert all(p.device.type == "cpu" for net in networks for p in net.parameters())
    with torch.no_grad():
        outs = torch.stack([net(torch.as_tensor(X, dtype=torch.float32)) for net in networks])
    u = reg.predict_uncertainty(X)
    np.testing.assert_allclose(outs[..., 0].double().mean(0).numpy(), u.mean, rtol=1e-4, atol=1e-4)
    aleatoric = outs[..., 1].double().mean(0).sqrt().numpy()
    np.testing.assert_allclose(aleatoric, u.aleatoric_std, rtol=1e-4)


def test_same_random_state_same_model_on_cuda(regression_data):
    X, y = regression_data
    a = HyperGANRegressor(**CUDA).fit(X, y).predict(X)
    b = HyperGANRegressor(**CUDA).fit(X, y).predict(X)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "params", [{"regularizer": "mine"}, {"lr_schedule": "plateau", "early_stopping": True}]
)
def test_variants_on_cuda(regression_data, params):
    X, y = regression_data
    reg = HyperGANRegressor(**{**CUDA, **params}).fit(X, y)
    assert _on_cuda(reg) and reg.score(X, y) > 0.5


def test_partial_fit_and_warm_start_on_cuda(classification_data):
    X, y = classification_data
    clf = HyperGANClassifier(**CUDA)
    for _ in range(3):
        clf.partial_fit(X, y, classes=np.unique(y))
    assert _on_cuda(clf) and len(clf.history_) == 3
    reg = HyperGANRegressor(**{**CUDA, "max_epochs": 2, "warm_start": True})
    Xr = X.astype(float)
    reg.fit(Xr, Xr[:, 0]).fit(Xr, Xr[:, 0])
    assert len(reg.history_) == 4


def test_warm_start_stays_on_the_device_it_was_fitted_on(regression_data):
    X, y = regression_data
    reg = HyperGANRegressor(**{**CUDA, "max_epochs": 2, "warm_start": True}).fit(X, y)
    with pytest.raises(ValueError, match="other values of device"):
        reg.set_params(device="cpu").fit(X, y)
    reg.set_params(device="cuda:0").fit(X, y)  # the same device, named by index
    assert _on_cuda(reg) and len(reg.history_) == 4


def test_pipeline_grid_search_on_cuda(regression_data):
    X, y = regression_data
    pipe = make_pipeline(StandardScaler(), HyperGANRegressor(**{**CUDA, "max_epochs": 5}))
    search = GridSearchCV(pipe, {"hyperganregressor__beta": [0.0, 1.0]}, cv=2).fit(X, y)
    assert _on_cuda(search.best_estimator_[-1])
    assert search.predict(X).shape == (len(X),)


def test_pickle_round_trip_on_cuda(fitted_regressor, regression_data):
    X, _ = regression_data
    reg = fitted_regressor
    loaded = pickle.loads(pickle.dumps(reg))
    assert _on_cuda(loaded)
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))


def test_weight_diversity_of_a_cuda_model(fitted_regressor):
    div = weight_diversity(fitted_regressor)
    assert all(np.isfinite(v) and v > 0 for v in div.values())


def test_device_index_and_a_missing_index(regression_data):
    X, y = regression_data
    reg = HyperGANRegressor(**{**CUDA, "max_epochs": 1, "device": "cuda:0"}).fit(X, y)
    assert _on_cuda(reg)
    missing = f"cuda:{torch.cuda.device_count()}"
    with pytest.raises(ValueError, match="Unknown device"):
        HyperGANRegressor(**{**CUDA, "device": missing}).fit(X, y)
