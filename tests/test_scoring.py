"""sample_y draws feed ensemble scoring rules (CRPS from ``scoringrules``)."""

import numpy as np
import pytest

from sk_hypergan import HyperGANRegressor

from conftest import FAST

sr = pytest.importorskip("scoringrules")


@pytest.fixture(scope="module")
def toy():
    rng = np.random.RandomState(0)
    X = rng.uniform(-2, 2, size=(160, 1))
    y = np.sin(2 * X[:, 0]) + 0.2 * rng.standard_normal(160)
    return X[:120], y[:120], X[120:], y[120:]


def test_crps_ensemble_of_sample_y(toy):
    X, y, X_test, y_test = toy
    reg = HyperGANRegressor(**FAST).fit(X, y)
    samples = reg.sample_y(X_test, n_samples=200)  # (rows, n_samples): ensemble on last axis
    crps = np.asarray(sr.crps_ensemble(y_test, samples))
    assert crps.shape == (len(y_test),)
    assert np.isfinite(crps).all() and (crps >= 0).all()

    # Close to the closed-form CRPS of the Gaussian with the same mean and std
    # (the predictive is a mixture, so only roughly).
    mean, std = reg.predict(X_test, return_std=True)
    gaussian = np.asarray(sr.crps_normal(y_test, mean, std))
    np.testing.assert_allclose(crps.mean(), gaussian.mean(), rtol=0.15)

    # Proper scoring: shifting the forecast away from the data scores worse.
    shifted = np.asarray(sr.crps_ensemble(y_test, samples + 2 * std[:, None]))
    assert shifted.mean() > crps.mean()


def test_crps_ensemble_multi_target(toy):
    X, y, X_test, y_test = toy
    Y = np.c_[y, -2 * y]
    reg = HyperGANRegressor(**{**FAST, "max_epochs": 5}).fit(X, Y)
    samples = reg.sample_y(X_test, n_samples=50)  # (rows, targets, n_samples)
    crps = np.asarray(sr.crps_ensemble(np.c_[y_test, -2 * y_test], samples))
    assert crps.shape == (len(y_test), 2)
    assert np.isfinite(crps).all()
