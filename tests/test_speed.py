"""The fast paths give the answers of the plain ones.

Chunked, buffer-reusing prediction against one unchunked pass and against a
Python loop over the sampled networks; the batched training data path
against row-by-row collation; the optimisers' implementation switch.
"""

import numpy as np
import pytest
import torch
from skorch.dataset import Dataset

from sk_hypergan import HyperGANClassifier, HyperGANRegressor
from sk_hypergan._net import _BatchDataset, _collate
from sk_hypergan.targets import mlp

from _oracles import forward_looped
from conftest import FAST as SHARED

# Shorter fits; 12 prediction networks size the chunks tested below.
FAST = {**SHARED, "max_epochs": 3, "n_prediction_networks": 12}


@pytest.mark.parametrize("hidden", [(), (7,), (16, 8, 5)])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_forward_chunks_equals_forward(hidden, activation):
    net = mlp(hidden, activation=activation).build(6, 3)
    params = {k: torch.randn(5, *s) for k, s in net.param_shapes.items()}
    X = torch.randn(40, 6)
    # Chunk sizes that grow (the buffers are reallocated) and shrink (reused).
    sizes = [3, 11, 1, 20, 5]
    chunks = list(net.forward_chunks(params, X.split(sizes)))
    assert [c.shape for c in chunks] == [(5, n, 3) for n in sizes]
    torch.testing.assert_close(torch.cat(chunks, dim=1), net.forward(params, X))
    looped = forward_looped(net, params, X)
    torch.testing.assert_close(torch.cat(chunks, dim=1), looped, rtol=1e-5, atol=1e-5)


def test_inplace_activation_only_without_autograd():
    net = mlp((8,)).build(3, 2)
    params = {k: torch.randn(4, *s, requires_grad=True) for k, s in net.param_shapes.items()}
    X = torch.randn(6, 3)
    out = net.forward(params, X)
    out.sum().backward()  # the ReLU kept its input for autograd
    looped = {k: v.detach().clone().requires_grad_() for k, v in params.items()}
    forward_looped(net, looped, X).sum().backward()
    for k in params:
        torch.testing.assert_close(params[k].grad, looped[k].grad, rtol=1e-5, atol=1e-5)


def test_prediction_does_not_depend_on_chunks(regression_data):
    X, y = regression_data
    reg = HyperGANRegressor(**FAST).fit(X, y)
    chunked = reg.predict_uncertainty(X)
    assert reg.net_._rows_per_chunk(reg.n_prediction_networks, max_elements=10 * 12 * 50) == 10
    reg.net_._rows_per_chunk = lambda n_networks, max_elements=None: 7
    small = reg.predict_uncertainty(X)
    reg.net_._rows_per_chunk = lambda n_networks, max_elements=None: len(X)
    whole = reg.predict_uncertainty(X)
    for key in chunked:
        np.testing.assert_allclose(small[key], chunked[key], rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(whole[key], chunked[key], rtol=1e-6, atol=1e-7)


def test_moments_match_a_loop_over_the_networks(regression_data):
    X, y = regression_data
    # Uncalibrated, as the standalone networks are (tests/test_calibration.py has the scale).
    reg = HyperGANRegressor(**FAST, calibration=None).fit(X, y)
    u = reg.predict_uncertainty(X)
    with torch.no_grad():
        rows = torch.as_tensor(X, dtype=torch.float32)
        networks = reg.sample_networks(reg.n_prediction_networks)
        out = torch.stack([net(rows) for net in networks])
    means, variances = out[..., 0].double(), out[..., 1].double()
    np.testing.assert_allclose(u.mean, means.mean(0).numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(u.aleatoric_std**2, variances.mean(0).numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(
        u.epistemic_std**2, means.var(0, unbiased=False).numpy(), rtol=1e-4, atol=1e-6
    )


@pytest.mark.parametrize("y_dtype", [np.float32, np.int64])
def test_batch_dataset_gives_the_collated_batches(y_dtype):
    rng = np.random.RandomState(0)
    X = rng.standard_normal((50, 4)).astype(np.float32)
    y = rng.randint(0, 3, size=(50, 1) if y_dtype is np.float32 else 50).astype(y_dtype)
    kwargs = dict(batch_size=16, shuffle=True)
    for ds_fast, ds_slow in [(_BatchDataset(X, y), Dataset(X, y))]:
        torch.manual_seed(0)
        fast = list(torch.utils.data.DataLoader(ds_fast, collate_fn=_collate, **kwargs))
        torch.manual_seed(0)
        slow = list(torch.utils.data.DataLoader(ds_slow, **kwargs))
        assert len(fast) == len(slow) == 4
        for (xf, yf), (xs, ys) in zip(fast, slow):
            torch.testing.assert_close(xf, xs, rtol=0, atol=0)
            torch.testing.assert_close(yf, ys, rtol=0, atol=0)
    # A validation split hands the dataset to DataLoader through a Subset.
    subset = torch.utils.data.Subset(_BatchDataset(X, y), np.arange(10, 30))
    (xb, yb), = torch.utils.data.DataLoader(subset, batch_size=32, collate_fn=_collate)
    torch.testing.assert_close(xb, torch.from_numpy(X[10:30]), rtol=0, atol=0)


def test_optimisers_use_a_multi_tensor_implementation(classification_data):
    X, y = classification_data
    net = HyperGANClassifier(**FAST).fit(X, y).net_
    for opt in (net.optimizer_, net.regularizer_optimizer_):
        group = opt.param_groups[0]
        assert group.get("fused") or group.get("foreach")


def test_generated_networks_are_reused_only_while_valid(regression_data):
    import pickle

    X, y = regression_data
    reg = HyperGANRegressor(**FAST).fit(X, y)
    first = reg.predict(X)
    np.testing.assert_array_equal(reg.predict(X), first)  # served from the cache
    assert "_generated_cache" not in pickle.loads(pickle.dumps(reg)).net_.__dict__
    reg.sample_y(X[:3], n_samples=2)  # other noise: other networks
    np.testing.assert_array_equal(reg.predict(X), first)
    reg.partial_fit(X, y)  # training changes the hypernetwork (fused kernels included)
    trained = reg.predict(X)
    assert not np.allclose(trained, first)
    uncached = HyperGANRegressor(**FAST).fit(X, y).partial_fit(X, y).predict(X)
    np.testing.assert_array_equal(trained, uncached)
    with torch.no_grad():  # a change that no version counter sees
        next(reg.net_.module_.parameters()).data.mul_(1.5)
    assert not np.allclose(reg.predict(X), trained)
