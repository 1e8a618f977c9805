import numpy as np
import pytest
import torch

# The test networks are tiny: one torch thread is fastest, and under
# pytest-xdist it keeps the worker processes from oversubscribing the cores.
torch.set_num_threads(1)


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
