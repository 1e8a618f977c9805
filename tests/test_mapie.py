"""HyperGANRegressor inside MAPIE's conformal regressors, unchanged (MAPIE 1.x API)."""

import math

import numpy as np
import pytest
from sklearn.base import clone

from sk_hypergan import HyperGANRegressor

from conftest import FAST

pytest.importorskip("mapie")
from mapie.regression import CrossConformalRegressor, SplitConformalRegressor  # noqa: E402

QUICK = {**FAST, "max_epochs": 10}


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.uniform(-2, 2, size=(300, 2))
    y = X[:, 0] ** 2 + X[:, 1] + (0.2 + 0.3 * np.abs(X[:, 0])) * rng.standard_normal(300)
    # train / conformalize / test
    return (X[:150], y[:150]), (X[150:225], y[150:225]), (X[225:], y[225:])


@pytest.fixture(scope="module")
def fitted(data):
    (X, y), _, _ = data
    return HyperGANRegressor(**QUICK).fit(X, y)


def _coverage(y, intervals):
    return np.mean((intervals[:, 0] <= y) & (y <= intervals[:, 1]))


def test_split_conformal_prefit_matches_definition(data, fitted):
    _, (X_cal, y_cal), (X_test, y_test) = data
    mapie = SplitConformalRegressor(fitted, confidence_level=0.9, prefit=True)
    mapie.conformalize(X_cal, y_cal)
    points, intervals = mapie.predict_interval(X_test)

    assert points.shape == (len(X_test),) and intervals.shape == (len(X_test), 2, 1)
    # Point predictions are the estimator's own (deterministic) mean.
    np.testing.assert_allclose(points, fitted.predict(X_test))
    # Absolute score: mean +/- the ceil((n+1)*0.9)-th smallest calibration residual.
    residuals = np.sort(np.abs(y_cal - fitted.predict(X_cal)))
    q = residuals[math.ceil((len(y_cal) + 1) * 0.9) - 1]
    np.testing.assert_allclose(intervals[:, 0, 0], points - q, rtol=1e-6)
    np.testing.assert_allclose(intervals[:, 1, 0], points + q, rtol=1e-6)


def test_split_conformal_fits_a_clone(data):
    (X, y), (X_cal, y_cal), (X_test, y_test) = data
    reg = HyperGANRegressor(**QUICK)
    mapie = SplitConformalRegressor(reg, confidence_level=[0.5, 0.9], prefit=False)
    mapie.fit(X, y).conformalize(X_cal, y_cal)
    points, intervals = mapie.predict_interval(X_test)
    assert not hasattr(reg, "net_")  # MAPIE fitted a clone, as sklearn meta-estimators do
    assert intervals.shape == (len(X_test), 2, 2)
    width50, width90 = np.diff(intervals, axis=1)[:, 0].T
    assert (width90 >= width50).all()
    # Same seed, same data: the clone predicts what a direct fit predicts.
    np.testing.assert_allclose(points, clone(reg).fit(X, y).predict(X_test), rtol=1e-5)


def test_std_normalised_score_uses_return_std(data, fitted):
    # MAPIE's StdConformityScore calls predict(X, return_std=True): adaptive
    # intervals mean +/- q * std from HyperGAN's own predictive std.
    scores = pytest.importorskip("mapie.conformity_scores")
    if not hasattr(scores, "StdConformityScore"):
        pytest.skip("this MAPIE version has no StdConformityScore")
    _, (X_cal, y_cal), (X_test, _) = data
    mapie = SplitConformalRegressor(
        fitted, confidence_level=0.9, conformity_score=scores.StdConformityScore(), prefit=True
    )
    points, intervals = mapie.conformalize(X_cal, y_cal).predict_interval(X_test)
    mean, std = fitted.predict(X_test, return_std=True)
    np.testing.assert_allclose(points, mean)
    half = (intervals[:, 1, 0] - intervals[:, 0, 0]) / 2
    ratio = half / std
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-5)  # one quantile times each row's std
    cal_mean, cal_std = fitted.predict(X_cal, return_std=True)
    # The quantile is MAPIE's business (its interpolation differs by version):
    # about 90% of the standardised calibration residuals fall below it.
    z = np.abs(y_cal - cal_mean) / cal_std
    assert abs(np.mean(z <= ratio[0]) - 0.9) <= 0.05


def test_cross_conformal(data):
    (X, y), _, (X_test, y_test) = data
    mapie = CrossConformalRegressor(
        HyperGANRegressor(**{**QUICK, "max_epochs": 5}),
        confidence_level=0.9,
        method="plus",
        cv=2,
        random_state=0,
    ).fit_conformalize(X, y)
    points, intervals = mapie.predict_interval(X_test)
    assert points.shape == (len(X_test),) and intervals.shape == (len(X_test), 2, 1)
    assert np.isfinite(intervals).all()
    assert (intervals[:, 0, 0] <= points).all() and (points <= intervals[:, 1, 0]).all()
    assert _coverage(y_test, intervals[:, :, 0]) >= 0.7
