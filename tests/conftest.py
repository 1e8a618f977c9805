import numpy as np
import pytest
import torch

from sk_hypergan.targets import mlp

# The test networks are tiny: one torch thread is fastest, and under
# pytest-xdist it keeps the worker processes from oversubscribing the cores.
torch.set_num_threads(1)

#: The fast-fit settings the tests share (``from conftest import FAST``): a
#: small ensemble trained briefly, enough for the fits to learn the test data
#: sets. A test that needs a longer or a shorter fit overrides one key, as in
#: ``HyperGANRegressor(**{**FAST, "max_epochs": 40})``.
FAST = dict(max_epochs=15, n_networks=8, n_prediction_networks=30, random_state=0)

#: For scikit-learn's estimator checks (tests/test_common.py, tests/test_cuda.py):
#: ~50 checks x 2 estimators within the CI budget, each fit long enough to meet
#: scikit-learn's score bars.
CHECKS = {**FAST, "max_epochs": 30}

#: Tiny fits for tests of behaviour rather than of learning (bad inputs,
#: persistence, fuzzing): two epochs of few, narrow networks.
TINY = dict(
    max_epochs=2,
    n_networks=4,
    n_prediction_networks=5,
    noise_dim=4,
    latent_dim=4,
    mixer_hidden_sizes=(8,),
    generator_hidden_sizes=(8,),
    target=mlp((8,)),
    random_state=0,
)


@pytest.fixture(autouse=True)
def _seed():
    np.random.seed(0)
    torch.manual_seed(0)
    yield


@pytest.fixture(scope="module")
def regression_data():
    rng = np.random.RandomState(0)
    X = rng.uniform(-2, 2, size=(200, 3))
    y = X[:, 0] ** 2 + np.sin(2 * X[:, 1]) + 0.1 * rng.standard_normal(200)
    return X, y


@pytest.fixture(scope="module")
def classification_data():
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=150, centers=3, n_features=4, random_state=0)
    return X, np.array(["a", "b", "c"])[y]
