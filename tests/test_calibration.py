"""Post-hoc calibration on the held-out rows (``calibration="auto"``)."""

import pickle

import numpy as np
import pytest
from scipy.integrate import trapezoid
from scipy.special import log_softmax, logsumexp

from sk_hypergan import HyperGANClassifier, HyperGANRegressor
from sk_hypergan._calibration import (
    fit_pooled_temperature,
    fit_spread_factors,
    fit_spread_scale,
    fit_temperature,
)
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


def _two_copies_nll(means, variances, y, factors):
    mixture = GaussianMixtureDistribution(means, variances)
    return -mixture.scale_mixture(factors).logpdf(y).mean()


def test_spread_factors_find_heavy_tails_and_only_there():
    rng = np.random.default_rng(4)
    means = rng.normal(0, 0.2, size=(8, 1500, 1))
    variances = np.full_like(means, 0.5)
    heavy = 0.8 * rng.standard_t(3, size=(1500, 1))  # peaked, heavy-tailed residuals
    low, high = fit_spread_factors(means, variances, heavy)[0]
    assert high / low > 2
    # no worse than the best single factor, which is the k = 0 case of the search
    one = fit_spread_scale(means, variances, heavy)[0]
    assert _two_copies_nll(means, variances, heavy, [low, high]) < _two_copies_nll(
        means, variances, heavy, [one, one]
    ) - 0.01
    # Gaussian residuals of the mixture's own width: the two copies stay close
    gaussian = rng.normal(0, np.sqrt(0.5 + 0.04), size=(1500, 1))
    low, high = fit_spread_factors(means, variances, gaussian)[0]
    assert high / low < 1.3
    assert 0.85 < np.sqrt((low**2 + high**2) / 2) < 1.15


def test_spread_factors_per_target_and_weighted():
    rng = np.random.default_rng(5)
    means = np.zeros((4, 1000, 2))
    variances = np.ones_like(means)
    y = np.c_[rng.standard_t(3, 1000), rng.normal(0, 3, 1000)]
    factors = fit_spread_factors(means, variances, y)
    assert factors.shape == (2, 2) and np.all(factors[:, 0] <= factors[:, 1])
    assert factors[0, 1] / factors[0, 0] > factors[1, 1] / factors[1, 0]
    w = np.r_[np.zeros(500), np.ones(500)]
    y_w = np.r_[rng.normal(0, 5, 500), rng.normal(0, 0.5, 500)][:, None]
    weighted = fit_spread_factors(means[..., :1], variances[..., :1], y_w, w)
    assert np.sqrt(np.mean(weighted**2)) < 0.7


def test_scale_mixture_is_a_density_with_the_mean_and_the_mean_square_factor():
    rng = np.random.default_rng(6)
    means, variances = rng.normal(size=(5, 1)), rng.uniform(0.1, 1, size=(5, 1))
    grid = np.linspace(-40, 40, 80001)
    mixture = GaussianMixtureDistribution(means + 0 * grid, variances + 0 * grid, squeeze=True)
    two = mixture.scale_mixture([0.6, 2.0])
    assert two.n_components == 10
    assert trapezoid(two.pdf(grid), grid) == pytest.approx(1.0, abs=1e-4)
    np.testing.assert_allclose(two.mean(), mixture.mean())
    np.testing.assert_allclose(two.var(), (0.36 + 4.0) / 2 * mixture.var())
    np.testing.assert_allclose(two.cdf(two.ppf(np.full(grid.shape, 0.3))), 0.3, atol=1e-9)
    # equal factors: the one scaled copy
    same = mixture.scale_mixture([1.7, 1.7])
    assert same.n_components == 5
    np.testing.assert_allclose(same.logpdf(grid), mixture.scaled(1.7).logpdf(grid))


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
    assert reg.spread_scale_.shape == (1,) and reg.spread_factors_.shape == (1, 2)
    assert reg.spread_scale_[0] != 1.0
    np.testing.assert_allclose(reg.spread_scale_, np.sqrt(np.mean(reg.spread_factors_**2, 1)))
    off = HyperGANRegressor(**FAST, calibration=None).fit(X, y)
    np.testing.assert_array_equal(off.spread_scale_, [1.0])
    np.testing.assert_array_equal(off.spread_factors_, [[1.0, 1.0]])
    small = HyperGANRegressor(**FAST).fit(X[:150], y[:150])  # no held-out split
    np.testing.assert_array_equal(small.spread_scale_, [1.0])
    no_split = HyperGANRegressor(**FAST, early_stopping=False).fit(X, y)
    np.testing.assert_array_equal(no_split.spread_scale_, [1.0])


def test_regressor_calibration_rescales_every_prediction_about_the_mean():
    X, y = _data()
    on = HyperGANRegressor(**FAST).fit(X, y)
    off = HyperGANRegressor(**FAST, calibration=None).fit(X, y)  # the same networks
    s, (low, high) = on.spread_scale_[0], on.spread_factors_[0]
    u_on, u_off = on.predict_uncertainty(X[:20]), off.predict_uncertainty(X[:20])
    np.testing.assert_allclose(u_on.mean, u_off.mean)
    for part in ("std", "aleatoric_std", "epistemic_std"):
        np.testing.assert_allclose(u_on[part], s * u_off[part], rtol=1e-6)
    d_on = on.predict_distribution(X[:20])
    d_two = off.predict_distribution(X[:20]).scale_mixture(on.spread_factors_)
    np.testing.assert_allclose(d_on.std(), u_on.std, rtol=1e-6)
    np.testing.assert_allclose(d_on.logpdf(y[:20]), d_two.logpdf(y[:20]), rtol=1e-6)
    lo_on, hi_on = d_on.interval(0.8)
    lo_two, hi_two = d_two.interval(0.8)
    np.testing.assert_allclose(hi_on - lo_on, hi_two - lo_two, rtol=1e-6)
    np.testing.assert_allclose(
        on.predict_interval(X[:20], 0.8), np.stack([lo_on, hi_on], axis=-1)
    )
    # the same networks and noise, each draw's spread times one of the two factors
    draws_on, draws_off = on.sample_y(X[:20], 50), off.sample_y(X[:20], 50)
    center = u_on.mean[:, None]
    ratio = (draws_on - center) / (draws_off - center)
    assert np.all(np.isclose(ratio, low, rtol=1e-6) | np.isclose(ratio, high, rtol=1e-6))
    if high > low:
        assert 0.3 < np.isclose(ratio, high, rtol=1e-6).mean() < 0.7


def test_regressor_scale_per_target():
    X, y = _data()
    Y = np.c_[y, 10 * y + np.random.RandomState(1).standard_normal(len(y))]
    reg = HyperGANRegressor(**FAST).fit(X, Y)
    assert reg.spread_scale_.shape == (2,) and reg.spread_factors_.shape == (2, 2)
    assert reg.predict_interval(X[:4]).shape == (4, 2, 2)


def test_calibration_held_out_rows_are_not_pickled_and_survive_round_trip():
    X, y = _data()
    reg = HyperGANRegressor(**FAST).fit(X, y)
    assert "_held_out" not in reg.net_.__dict__
    back = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(back.spread_factors_, reg.spread_factors_)
    np.testing.assert_allclose(
        back.predict(X[:5], return_std=True), reg.predict(X[:5], return_std=True)
    )


def test_partial_fit_keeps_and_warm_start_refits_the_scale():
    X, y = _data()
    reg = HyperGANRegressor(**FAST).fit(X, y)
    fitted = reg.spread_scale_.copy()
    factors = reg.spread_factors_.copy()
    reg.partial_fit(X[:64], y[:64])  # holds no rows out: the factors stay
    np.testing.assert_array_equal(reg.spread_scale_, fitted)
    np.testing.assert_array_equal(reg.spread_factors_, factors)
    reg.set_params(warm_start=True, max_epochs=3).fit(X, y)  # holds rows out again
    assert reg.spread_scale_[0] != fitted[0]
    reg.set_params(calibration=None).fit(X, y)
    np.testing.assert_array_equal(reg.spread_scale_, [1.0])
    first = HyperGANRegressor(**FAST).partial_fit(X, y)  # streaming from the start
    np.testing.assert_array_equal(first.spread_scale_, [1.0])


def _classes(n=300):
    from sklearn.datasets import make_classification

    return make_classification(n_samples=n, n_features=5, random_state=0)


def test_classifier_temperatures_apply_to_the_logits_and_to_their_average():
    X, y = _classes()
    # One label smoothing for both fits, so that their networks are the same.
    clf = HyperGANClassifier(**FAST, label_smoothing=0.02).fit(X, y)
    assert clf.temperature_ != 1.0 and clf.pooled_temperature_ != 1.0
    off = HyperGANClassifier(**FAST, label_smoothing=0.02, calibration=None).fit(X, y)
    assert off.temperature_ == off.pooled_temperature_ == 1.0
    logits = np.stack([net(np.asarray(X[:10], dtype=np.float32)) for net in _networks(off)])
    log_p = log_softmax(logits / clf.temperature_, axis=-1)
    mean = np.exp(log_p).mean(axis=0)
    expected = np.exp(log_softmax(np.log(mean) / clf.pooled_temperature_, axis=-1))
    np.testing.assert_allclose(clf.predict_proba(X[:10]), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(clf.predict(X[:10]), clf.classes_[mean.argmax(axis=1)])
    # predict_uncertainty describes the networks at temperature_
    u = clf.predict_uncertainty(X[:10])
    np.testing.assert_allclose(u.total, -(mean * np.log(mean)).sum(axis=1), rtol=1e-5)
    np.testing.assert_allclose(u.total, u.aleatoric + u.epistemic)


def test_pooled_temperature_minimises_the_log_loss_of_the_average():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=400)
    # averages that put 0.6 on a class, right 97% of the time: underconfident
    right = rng.random(400) < 0.97
    top = np.where(right, y, (y + 1) % 3)
    proba = np.full((400, 3), 0.2)
    proba[np.arange(400), top] = 0.6
    log_proba = np.log(proba)
    tau = fit_pooled_temperature(log_proba, y)

    def nll(t):
        return -log_softmax(log_proba / t, axis=-1)[np.arange(400), y].mean()

    assert tau < 1
    assert nll(tau) < nll(1.0)
    assert nll(tau) <= min(nll(tau * 1.05), nll(tau / 1.05)) + 1e-2
    # a few rows, all right: the prior keeps tau from running to its bound
    assert fit_pooled_temperature(log_proba[right][:20], y[right][:20]) > 0.2


def test_calibrated_classifier_keeps_its_temperatures_through_partial_fit():
    X, y = _classes()
    clf = HyperGANClassifier(**FAST).fit(X, y)
    fitted = clf.temperature_, clf.pooled_temperature_
    clf.partial_fit(X[:64], y[:64])  # holds no rows out: both stay
    assert (clf.temperature_, clf.pooled_temperature_) == fitted
    clf.set_params(calibration=None).fit(X, y)
    assert clf.temperature_ == clf.pooled_temperature_ == 1.0


def test_label_smoothing_auto_where_the_fit_calibrates():
    X, y = _classes(600)
    assert HyperGANClassifier(**FAST).fit(X, y).label_smoothing_ == 0.05
    # less where fewer than 50 rows are held out (10% of 490 rows: 49)
    assert HyperGANClassifier(**FAST).fit(X[:490], y[:490]).label_smoothing_ == 0.02
    assert HyperGANClassifier(**FAST).fit(X[:491], y[:491]).label_smoothing_ == 0.05
    wider = HyperGANClassifier(**FAST, validation_fraction=0.2).fit(X[:300], y[:300])
    assert wider.label_smoothing_ == 0.05
    X, y = X[:300], y[:300]
    # no held-out rows (too few rows, or early stopping off) or no calibration: none
    assert HyperGANClassifier(**FAST).fit(X[:100], y[:100]).label_smoothing_ == 0.0
    off = HyperGANClassifier(**FAST, early_stopping=False).fit(X, y)
    assert off.label_smoothing_ == 0.0
    uncalibrated = HyperGANClassifier(**FAST, calibration=None).fit(X, y)
    assert uncalibrated.label_smoothing_ == 0.0
    assert uncalibrated.net_.criterion_.label_smoothing == 0.0
    # an explicit value is used as it is
    small = HyperGANClassifier(**FAST, label_smoothing=0.1).fit(X[:100], y[:100])
    assert small.label_smoothing_ == small.net_.criterion_.label_smoothing == 0.1


@pytest.mark.parametrize("n_rows, holds_out", [(119, False), (120, True)])
def test_classifier_holds_rows_out_from_120_rows(n_rows, holds_out):
    # Lower than the regressor's 200: on small data the held-out rows pay
    # for themselves through the temperatures (user guide, the end of the
    # mixup_diversity entry).
    X, y = _classes()
    clf = HyperGANClassifier(**{**FAST, "max_epochs": 2}).fit(X[:n_rows], y[:n_rows])
    assert ("valid_loss" in clf.history_[-1]) is holds_out
    assert (clf.temperature_ != 1.0) is holds_out


def test_label_smoothing_through_warm_start_and_partial_fit():
    X, y = _classes(600)
    clf = HyperGANClassifier(**FAST).fit(X, y)
    clf.partial_fit(X[:64], y[:64])  # "auto" goes on with the fit's value
    assert clf.label_smoothing_ == clf.net_.criterion_.label_smoothing == 0.05
    clf.set_params(label_smoothing=0.0).partial_fit(X[:64], y[:64])
    assert clf.label_smoothing_ == clf.net_.criterion_.label_smoothing == 0.0
    # a warm fit resolves "auto" for its own rows
    clf.set_params(label_smoothing="auto", warm_start=True).fit(X[:300], y[:300])
    assert clf.label_smoothing_ == clf.net_.criterion_.label_smoothing == 0.02
    clf.set_params(calibration=None).fit(X, y)
    assert clf.label_smoothing_ == clf.net_.criterion_.label_smoothing == 0.0
    stream = HyperGANClassifier(**FAST).partial_fit(X, y, classes=np.unique(y))
    assert stream.label_smoothing_ == 0.0  # a stream holds no rows out


def test_label_smoothing_spreads_by_the_class_frequencies():
    X, y = _classes()
    rare = np.r_[np.flatnonzero(y != 1), np.flatnonzero(y == 1)[:20]]
    X, y = X[rare], y[rare]
    clf = HyperGANClassifier(**{**FAST, "max_epochs": 2}).fit(X, y)
    frequencies = np.bincount(y) / len(y)
    np.testing.assert_allclose(clf.net_.criterion_.smoothing_prior.numpy(), frequencies,
                               rtol=1e-6)
    # weighted by the rows' weights: "balanced" classes weigh the same
    balanced = HyperGANClassifier(**{**FAST, "max_epochs": 2}, class_weight="balanced")
    balanced.fit(X, y)
    np.testing.assert_allclose(balanced.net_.criterion_.smoothing_prior.numpy(),
                               np.full(len(frequencies), 1 / len(frequencies)), rtol=1e-6)
    # a warm fit keeps the prior of the fit that built the networks
    clf.set_params(warm_start=True).fit(X[y != 1], y[y != 1])
    np.testing.assert_allclose(clf.net_.criterion_.smoothing_prior.numpy(), frequencies,
                               rtol=1e-6)


@pytest.mark.parametrize("value", [1.0, -0.1, "yes"])
def test_label_smoothing_is_validated(value):
    X, y = _classes(60)
    with pytest.raises(ValueError, match="label_smoothing"):
        HyperGANClassifier(**FAST, label_smoothing=value).fit(X, y)


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
