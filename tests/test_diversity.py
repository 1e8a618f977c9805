"""Tests of sk_hypergan.weight_diversity (the paper's per-layer diversity measure)."""

import numpy as np
import pytest
import torch
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_hypergan import HyperGANClassifier, HyperGANRegressor, weight_diversity
from sk_hypergan.targets import conv2d, mlp

from conftest import FAST


@pytest.fixture(scope="module")
def fitted_classifier(classification_data):
    X, y = classification_data
    return HyperGANClassifier(mlp((8, 8)), **{**FAST, "max_epochs": 2}).fit(X, y)


def test_keys_are_layer_names_and_values_positive(fitted_classifier):
    div = weight_diversity(fitted_classifier, n=20)
    names = [layer.name for layer in fitted_classifier.net_.module_.target.layers]
    assert list(div) == names == ["0", "2", "4"]
    assert all(isinstance(v, float) and np.isfinite(v) and v > 0 for v in div.values())


def test_deterministic_with_random_state(fitted_classifier):
    a = weight_diversity(fitted_classifier, n=20, random_state=3)
    assert a == weight_diversity(fitted_classifier, n=20, random_state=3)
    assert a == weight_diversity(fitted_classifier, n=20, random_state=np.random.RandomState(3))
    assert a != weight_diversity(fitted_classifier, n=20, random_state=4)


def test_leaves_global_rng_untouched(fitted_classifier):
    state = torch.get_rng_state()
    weight_diversity(fitted_classifier, n=5)
    assert torch.equal(state, torch.get_rng_state())


def test_matches_norms_of_sampled_networks(fitted_classifier):
    # The definition, recomputed from standalone networks drawn with the same noise.
    div = weight_diversity(fitted_classifier, n=30, random_state=1)
    networks = fitted_classifier.sample_networks(30, random_state=1)
    for name, value in div.items():
        norms = np.array(
            [
                np.sqrt(sum(float((p.detach().double() ** 2).sum()) for p in layer.parameters()))
                for layer in (getattr(net, name) for net in networks)
            ]
        )
        assert value == pytest.approx(norms.std() / norms.mean(), rel=1e-5)


def test_regressor_pipeline_and_conv_target():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(40, 16))
    reg = make_pipeline(
        StandardScaler(),
        HyperGANRegressor(conv2d((1, 4, 4), channels=(2,)), **{**FAST, "max_epochs": 1}),
    ).fit(X, X.sum(axis=1))
    div = weight_diversity(reg, n=10)
    assert list(div) == [layer.name for layer in reg[-1].net_.module_.target.layers]
    assert all(v > 0 for v in div.values())


def test_errors(fitted_classifier):
    with pytest.raises(ValueError, match="n must be"):
        weight_diversity(fitted_classifier, n=1)
    with pytest.raises(TypeError, match="HyperGANClassifier or HyperGANRegressor"):
        weight_diversity(StandardScaler(), n=10)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        weight_diversity(HyperGANClassifier(), n=10)
