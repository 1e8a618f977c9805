"""Target factories: printing, equality, cloning, nested grid-search parameters."""

import pytest
from sklearn.base import clone
from torch import nn

from sk_hypergan import HyperGANRegressor
from sk_hypergan.targets import MLP, Conv2d, FromModule, conv2d, from_module, mlp


def test_factories_return_configured_targets():
    assert mlp((10, 5), "tanh") == MLP(hidden_layer_sizes=(10, 5), activation="tanh")
    assert conv2d((1, 8, 8), channels=(4,)) == Conv2d((1, 8, 8), channels=(4,))
    module = nn.Linear(3, 2)
    assert from_module(module) == FromModule(module)


def test_repr_shows_changed_settings():
    assert repr(mlp()) == "MLP()"
    assert repr(mlp((64, 64), "tanh")) == "MLP(activation='tanh', hidden_layer_sizes=(64, 64))"


def test_equality_and_hash():
    assert mlp((3,)) == mlp((3,))
    assert mlp((3,)) != mlp((4,))
    assert mlp((3,)) != conv2d((1, 2, 2))
    assert hash(mlp((3,))) == hash(mlp((3,)))


def test_clone_gives_equal_independent_copy():
    target = mlp((7,))
    copy = clone(target)
    assert copy == target and copy is not target


def test_nested_params_through_estimator():
    est = HyperGANRegressor(target=mlp((8,)))
    assert est.get_params()["target__hidden_layer_sizes"] == (8,)
    est.set_params(target__hidden_layer_sizes=(16, 16))
    assert est.target == mlp((16, 16))
    cloned = clone(est)
    assert cloned.target == mlp((16, 16)) and cloned.target is not est.target


@pytest.mark.parametrize(
    "target, n_in, match",
    [
        (mlp(activation="bogus"), 3, "activation"),
        (mlp((0,)), 3, "positive ints"),
        (mlp("wide"), 3, "positive ints"),
        (conv2d((1, 3, 3)), 8, "holds 9 values per row"),
        (conv2d((8, 8)), 64, r"\(channels, height, width\)"),
        (from_module(nn.Linear(3, 5)), 3, "needs 2 outputs"),
        (from_module(nn.Linear(4, 2)), 3, "failed on input"),
    ],
)
def test_invalid_targets_raise_clear_errors(target, n_in, match):
    with pytest.raises(ValueError, match=match):
        target.build(n_in, 2)


def test_from_module_requires_module():
    with pytest.raises(TypeError, match="torch.nn.Module"):
        from_module("linear").build(3, 2)


def test_conv2d_layout_for_digits():
    net = conv2d((1, 8, 8)).build(64, 10)
    shapes = net.param_shapes
    assert shapes["1.weight"] == (8, 1, 3, 3)
    assert shapes["4.weight"] == (16, 8, 3, 3)
    assert shapes["8.weight"] == (10, 16 * 2 * 2)
