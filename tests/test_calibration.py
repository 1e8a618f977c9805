"""Post-hoc calibration on the held-out rows (``calibration="auto"``)."""

import pickle

import numpy as np
import pytest
from scipy.integrate import trapezoid
from scipy.special import log_softmax, logsumexp

from sk_hypergan import HyperGANClassifier, HyperGANRegressor
from sk_hypergan._calibration import fit_spread_scale, fit_temperature
from sk_hypergan._distribution import GaussianMixtureDistribution

from conftest import FAST


def _data(n=300, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-2, 2, size=(n, 2))
    y = np.sin(2 * X[:, 0]) + X[:, 1] + 0.3 * rng.standard_normal(n)
    return X, y


# -- the fitting functions -----------------------------------------------------------------
def test_spread_scale_minimises_the_mixture_nll():
    rng = np.random.default_rng(0)
    means = rng.normal(0, 0.3, size=(8, 400, 1))
    variances = np.full_like(means, 0.25)
    y = rng.normal(0, 1.5, size=(400, 1))  # wider than the mixture (std ~0.58)
    s = fit_spread_scale(means, variances, y)[0]
    assert s > 1.5

    mixture = GaussianMixtureDistribution(means, variances)

    def nll(scale):
        return -mixture.scaled(scale).logpdf(y).mean()

    assert nll(s) < nll(1.0)
    assert nll(s) <= min(nll(s * 1.05), nll(s / 1.05)) + 1e-2


def test_scaled_mixture_is_a_density_with_the_same_mean():
    rng = np.random.default_rng(1)
    means, variances = rng.normal(size=(5, 1)), rng.uniform(0.1, 1, size=(5, 1))
    grid = np.linspace(-30, 30, 60001)
    mixture = GaussianMixtureDistribution(means + 0 * grid, variances + 0 * grid, squeeze=True)
    scaled = mixture.scaled(2.5)
    assert trapezoid(scaled.pdf(grid), grid) == pytest.approx(1.0, abs=1e-4)  # numpy 1.x too
    np.testing.assert_allclose(scaled.mean(), mixture.mean())
    np.testing.assert_allclose(scaled.std(), 2.5 * mixture.std())


def test_spread_scale_honours_sample_weight():
    rng = np.random.default_rng(2)
    means = np.zeros((4, 200, 1))
    variances = np.ones_like(means)
    y = np.r_[rng.normal(0, 3, 100), rng.normal(0, 0.5, 100)][:, None]
    w = np.r_[np.zeros(100), np.ones(100)]  # only the narrow half counts
    assert fit_spread_scale(means, variances, y, w)[0] < 0.7
    assert fit_spread_scale(means, variances, y)[0] > 1.5


def test_temperature_minimises_the_log_loss():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=300)
    base = rng.normal(size=(300, 3))
    base[np.arange(300), y] += 1.0  # informative, and overconfident once times 5
    logits = 5 * (base + rng.normal(0, 0.1, size=(6, 300, 3)))
    t = fit_temperature(logits, y)

    def nll(temp):
        lp = log_softmax(logits / temp, axis=-1)[:, np.arange(300), y]
        return -(logsumexp(lp, axis=0) - np.log(6)).mean()

    assert t > 1
    # the optimum of the log loss, up to the prior's small pull towards 1
    assert nll(t) < nll(1.0)
    assert nll(t) <= min(nll(t * 1.05), nll(t / 1.05)) + 1e-2


# -- the estimators ------------------------------------------------------------------------
def test_regressor_fits_a_scale_only_where_rows_are_held_out():
    X, y = _data()
    reg = HyperGANRegressor(**FAST).fit(X, y)
    assert reg.spread_scale_.shape == (1,)
    assert reg.spread_scale_[0] != 1.0
    off = HyperGANRegressor(**FAST, calibration=None).fit(X, y)
    np.testing.assert_array_equal(off.spread_scale_, [1.0])
    small = HyperGANRegressor(**FAST).fit(X[:150], y[:150])  # no held-out split
    np.testing.assert_array_equal(small.spread_scale_, [1.0])
    no_split = HyperGANRegressor(**FAST, early_stopping=False).fit(X, y)
    np.testing.assert_array_equal(no_split.spread_scale_, [1.0])


def test_regressor_scale_widens_every_prediction_about_the_mean():
    X, y = _data()
    on = HyperGANRegressor(**FAST).fit(X, y)
    off = HyperGANRegressor(**FAST, calibration=None).fit(X, y)  # the same networks
    s = on.spread_scale_[0]
    u_on, u_off = on.predict_uncertainty(X[:20]), off.predict_uncertainty(X[:20])
    np.testing.assert_allclose(u_on.mean, u_off.mean)
    for part in ("std", "aleatoric_std", "epistemic_std"):
        np.testing.assert_allclose(u_on[part], s * u_off[part], rtol=1e-6)
    d_on, d_off = on.predict_distribution(X[:20]), off.predict_distribution(X[:20])
    np.testing.assert_allclose(d_on.std(), u_on.std, rtol=1e-6)
    lo_on, hi_on = d_on.interval(0.8)
    lo_off, hi_off = d_off.interval(0.8)
    np.testing.assert_allclose(hi_on - lo_on, s * (hi_off - lo_off), rtol=1e-6)
    np.testing.assert_allclose(
        on.predict_interval(X[:20], 0.8), np.stack([lo_on, hi_on], axis=-1)
    )
    draws_on, draws_off = on.sample_y(X[:20], 5), off.sample_y(X[:20], 5)
    center = u_on.mean[:, None]
    np.testing.assert_allclose(draws_on - center, s * (draws_off - center), rtol=1e-8)


def test_regressor_scale_per_target():
    X, y = _data()
    Y = np.c_[y, 10 * y + np.random.RandomState(1).standard_normal(len(y))]
    reg = HyperGANRegressor(**FAST).fit(X, Y)
    assert reg.spread_scale_.shape == (2,)
    assert reg.predict_interval(X[:4]).shape == (4, 2, 2)


def test_calibration_held_out_rows_are_not_pickled_and_survive_round_trip():
    X, y = _data()
    reg = HyperGANRegressor(**FAST).fit(X, y)
    assert "_held_out" not in reg.net_.__dict__
    back = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(back.spread_scale_, reg.spread_scale_)
    np.testing.assert_allclose(
        back.predict(X[:5], return_std=True), reg.predict(X[:5], return_std=True)
    )


def test_partial_fit_keeps_and_warm_start_refits_the_scale():
    X, y = _data()
    reg = HyperGANRegressor(**FAST).fit(X, y)
    fitted = reg.spread_scale_.copy()
    reg.partial_fit(X[:64], y[:64])  # holds no rows out: the scale stays
    np.testing.assert_array_equal(reg.spread_scale_, fitted)
    reg.set_params(warm_start=True, max_epochs=3).fit(X, y)  # holds rows out again
    assert reg.spread_scale_[0] != fitted[0]
    reg.set_params(calibration=None).fit(X, y)
    np.testing.assert_array_equal(reg.spread_scale_, [1.0])
    first = HyperGANRegressor(**FAST).partial_fit(X, y)  # streaming from the start
    np.testing.assert_array_equal(first.spread_scale_, [1.0])


def test_classifier_temperature_applies_to_the_networks_logits():
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=300, n_features=5, random_state=0)
    clf = HyperGANClassifier(**FAST).fit(X, y)
    assert clf.temperature_ != 1.0
    off = HyperGANClassifier(**FAST, calibration=None).fit(X, y)
    assert off.temperature_ == 1.0
    logits = np.stack([net(np.asarray(X[:10], dtype=np.float32)) for net in _networks(off)])
    expected = np.exp(log_softmax(logits / clf.temperature_, axis=-1)).mean(axis=0)
    np.testing.assert_allclose(clf.predict_proba(X[:10]), expected, rtol=1e-5, atol=1e-6)
    u = clf.predict_uncertainty(X[:10])
    np.testing.assert_allclose(u.total, u.aleatoric + u.epistemic)


def _networks(est):
    import torch

    def call(module):
        def f(X):
            with torch.no_grad():
                return module(torch.from_numpy(X)).double().numpy()

        return f

    return [call(m) for m in est.sample_networks(est.n_prediction_networks)]


def test_calibration_parameter_is_validated():
    X, y = _data(50)
    with pytest.raises(ValueError, match="calibration"):
        HyperGANRegressor(calibration="isotonic").fit(X, y)


def test_temperature_prior_keeps_a_few_right_rows_from_sending_it_to_zero():
    # 20 held-out rows, every one predicted right: the log loss alone falls as T -> 0.
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, size=20)
    logits = np.zeros((4, 20, 2))
    logits[:, np.arange(20), y] = 2.0
    lp = lambda t: log_softmax(logits / t, axis=-1)[:, np.arange(20), y].mean()  # noqa: E731
    assert lp(0.05) > lp(1.0)  # the unpenalised optimum is the bound
    assert 0.3 < fit_temperature(logits, y) < 1.0
    # with many such rows, the evidence wins
    many = np.tile(logits, (1, 50, 1))
    assert fit_temperature(many, np.tile(y, 50)) < fit_temperature(logits, y)
