"""The regressor's predictive mixture: moments, densities, quantiles, draws."""

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import norm

from sk_hypergan import GaussianMixtureDistribution, HyperGANRegressor

from conftest import FAST

rng = np.random.RandomState(0)
MEANS = rng.normal(size=(7, 5, 2))
VARS = rng.uniform(0.1, 2.0, size=(7, 5, 2))


def test_moments_are_the_law_of_total_variance():
    d = GaussianMixtureDistribution(MEANS, VARS)
    np.testing.assert_allclose(d.mean(), MEANS.mean(0))
    np.testing.assert_allclose(d.var(), VARS.mean(0) + MEANS.var(0))
    np.testing.assert_allclose(d.std() ** 2, d.var())


def test_density_integrates_to_one_and_matches_the_cdf():
    d = GaussianMixtureDistribution(MEANS[:, :1, :1], VARS[:, :1, :1])
    total, _ = integrate.quad(lambda t: float(d.pdf(t)[0, 0]), -30, 30)
    assert total == pytest.approx(1.0, abs=1e-6)
    part, _ = integrate.quad(lambda t: float(d.pdf(t)[0, 0]), -30, 0.3)
    assert part == pytest.approx(float(d.cdf(0.3)[0, 0]), abs=1e-6)


def test_one_component_is_that_gaussian():
    d = GaussianMixtureDistribution(MEANS[:1], VARS[:1])
    sd = np.sqrt(VARS[0])
    np.testing.assert_allclose(d.logpdf(0.2), norm.logpdf(0.2, MEANS[0], sd))
    np.testing.assert_allclose(d.ppf(0.9), norm.ppf(0.9, MEANS[0], sd), atol=1e-9)


@pytest.mark.parametrize("q", [0.025, 0.3, 0.5, 0.95])
def test_ppf_inverts_cdf(q):
    d = GaussianMixtureDistribution(MEANS, VARS)
    np.testing.assert_allclose(d.cdf(d.ppf(q)), q, atol=1e-9)
    lo, hi = d.interval(0.8)
    np.testing.assert_allclose(d.cdf(hi) - d.cdf(lo), 0.8, atol=1e-9)


def test_draws_follow_the_mixture():
    d = GaussianMixtureDistribution(MEANS[:, :2, :1], VARS[:, :2, :1])
    draws = d.rvs(size=20000, random_state=0)
    assert draws.shape == (20000, 2, 1)
    np.testing.assert_allclose(draws.mean(0), d.mean(), atol=0.05)
    np.testing.assert_allclose(draws.var(0), d.var(), rtol=0.05)
    # Kolmogorov-Smirnov distance to the mixture's cdf is small.
    x = np.sort(draws[:, 0, 0])
    one = GaussianMixtureDistribution(MEANS[:, :1, 0], VARS[:, :1, 0], squeeze=True)
    cdf = np.array([one.cdf(v)[0] for v in x[::100]])
    ks = np.abs(cdf - np.arange(1, x.size + 1, 100) / x.size).max()
    assert ks < 0.02


def test_bad_arguments_are_named():
    d = GaussianMixtureDistribution(MEANS, VARS)
    with pytest.raises(ValueError, match="q must lie"):
        d.ppf(1.0)
    with pytest.raises(ValueError, match="confidence"):
        d.interval(1.5)
    with pytest.raises(ValueError, match="does not broadcast"):
        d.cdf(np.zeros(3))
    with pytest.raises(ValueError, match="share a shape"):
        GaussianMixtureDistribution(MEANS, VARS[:3])


def test_regressor_distribution_agrees_with_its_predictions():
    X = np.linspace(-2, 2, 120)[:, None]
    y = np.sin(2 * X.ravel()) + 0.2 * rng.standard_normal(120)
    reg = HyperGANRegressor(**{**FAST, "max_epochs": 20}).fit(X, y)
    n = reg.n_prediction_networks
    d = reg.predict_distribution(X)
    u = reg.predict_uncertainty(X)
    assert d.n_components == n and d.mean().shape == (120,)
    np.testing.assert_allclose(d.mean(), u.mean, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(d.std(), u.std, rtol=1e-5)
    bounds = reg.predict_interval(X, confidence_level=0.9)
    np.testing.assert_allclose(bounds[:, 0], d.ppf(0.05))
    np.testing.assert_allclose(bounds[:, 1], d.ppf(0.95))
    # The networks are the same ones sample_networks returns.
    members = reg.sample_networks(n)
    import torch
    with torch.no_grad():
        out = np.stack([m(torch.as_tensor(X[:4], dtype=torch.float32)).numpy() for m in members])
    np.testing.assert_allclose(d.means[:, :4, 0], out[..., 0], rtol=1e-4, atol=1e-5)
    # Multi-output y keeps its target axis.
    Y = np.column_stack([y, -y])
    reg2 = HyperGANRegressor(**{**FAST, "max_epochs": 5}).fit(X, Y)
    d2 = reg2.predict_distribution(X[:6])
    assert d2.mean().shape == (6, 2) and d2.logpdf(Y[:6]).shape == (6, 2)
    assert reg2.predict_interval(X[:6]).shape == (6, 2, 2)
