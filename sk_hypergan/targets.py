"""Target-architecture factories: describe the networks HyperGAN generates.

A target is a small scikit-learn-style object: it stores its settings, prints
them, compares equal to a target with the same settings, survives
:func:`sklearn.base.clone`, and exposes its settings to grid searches as nested
parameters (``target__hidden_layer_sizes``). At ``fit`` time the estimator
calls :meth:`build` with the number of input features and outputs, which
returns the pure-torch :class:`~sk_hypergan._core.target_network.TargetNetwork`.

Examples
--------
>>> from sk_hypergan.targets import mlp
>>> mlp((64, 64), activation="tanh")
MLP(activation='tanh', hidden_layer_sizes=(64, 64))
>>> mlp((64,)) == mlp((64,))
True
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from numbers import Integral
from typing import Any

import torch
from sklearn.base import BaseEstimator
from torch import nn

from ._core.target_network import MLPNetwork, TargetNetwork

__all__ = ["ACTIVATIONS", "MLP", "Conv2d", "FromModule", "mlp", "conv2d", "from_module"]

#: Activation name -> ``torch.nn`` module class, as in sklearn's ``MLPRegressor``
#: (plus the modern ``elu``, ``gelu`` and ``silu``).
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "identity": nn.Identity,
    "logistic": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
}


def _check_activation(activation: str) -> type[nn.Module]:
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"The 'activation' parameter of the target must be one of "
            f"{sorted(ACTIVATIONS)}. Got {activation!r} instead."
        )
    return ACTIVATIONS[activation]


def _check_positive_ints(value: Any, name: str, allow_empty: bool = True) -> tuple[int, ...]:
    if isinstance(value, Integral) and not isinstance(value, bool):
        value = (value,)
    try:
        value = tuple(value)
    except TypeError:
        raise TypeError(
            f"The {name!r} parameter of the target must be a tuple of ints. Got {value!r}."
        ) from None
    if (not value and not allow_empty) or not all(
        isinstance(v, Integral) and not isinstance(v, bool) and int(v) > 0 for v in value
    ):
        raise ValueError(
            f"The {name!r} parameter of the target must be a tuple of positive ints. Got {value!r}."
        )
    return tuple(int(v) for v in value)


class _Target(BaseEstimator):
    """Base of the target factories: settings in, :class:`TargetNetwork` out."""

    def build(  # pragma: no cover - abstract
        self, n_features_in: int, n_outputs: int
    ) -> TargetNetwork:
        """Build the pure-torch target network for the given input and output sizes.

        Parameters
        ----------
        n_features_in : int
            Number of input features (columns of ``X``).
        n_outputs : int
            Number of raw outputs per row (``2 * n_targets`` for the Gaussian
            regression head, ``n_classes`` for classification).

        Returns
        -------
        TargetNetwork
        """
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _Target)
            and type(self) is type(other)
            and self.get_params(deep=False) == other.get_params(deep=False)
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(sorted(self.get_params(deep=False).items()))))


class MLP(_Target):
    """Fully connected target network.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(50,)
        Width of each hidden layer (``()`` gives a linear model).
    activation : {"relu", "tanh", "logistic", "identity", "elu", "gelu", "silu"}, default="relu"
        Activation between layers.

    Examples
    --------
    >>> from sk_hypergan.targets import MLP
    >>> net = MLP((16,)).build(n_features_in=4, n_outputs=2)
    >>> for name, shape in net.param_shapes.items():
    ...     print(name, tuple(shape))
    0.weight (16, 4)
    0.bias (16,)
    2.weight (2, 16)
    2.bias (2,)
    """

    def __init__(
        self, hidden_layer_sizes: int | Sequence[int] = (50,), activation: str = "relu"
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation

    def build(self, n_features_in: int, n_outputs: int) -> MLPNetwork:
        hidden = _check_positive_ints(self.hidden_layer_sizes, "hidden_layer_sizes")
        act = _check_activation(self.activation)
        sizes = (n_features_in, *hidden, n_outputs)
        layers: list[nn.Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            if i > 0:
                layers.append(act())
            layers.append(nn.Linear(n_in, n_out))
        return MLPNetwork(nn.Sequential(*layers), act())


class Conv2d(_Target):
    """Convolutional target for image-like rows (flat features reshaped).

    Each row of ``X`` is reshaped to ``input_shape``; each convolution (same
    padding) is followed by the activation and, if ``pool``, a 2x2 max-pool
    while the image is at least 2x2; a linear layer maps the flattened
    features to the outputs.

    Parameters
    ----------
    input_shape : tuple of int
        ``(channels, height, width)``, e.g. ``(1, 8, 8)`` for sklearn's digits.
    channels : tuple of int, default=(8, 16)
        Output channels of each convolution.
    kernel_size : int, default=3
        Size of every (square) kernel.
    activation : str, default="relu"
        Activation after each convolution (as in :class:`MLP`).
    pool : bool, default=True
        Whether to 2x2 max-pool after each convolution.

    Examples
    --------
    >>> from sk_hypergan.targets import Conv2d
    >>> net = Conv2d((1, 8, 8), channels=(4,)).build(n_features_in=64, n_outputs=10)
    >>> [layer.name for layer in net.layers]
    ['1', '5']
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        channels: int | Sequence[int] = (8, 16),
        kernel_size: int = 3,
        activation: str = "relu",
        pool: bool = True,
    ) -> None:
        self.input_shape = input_shape
        self.channels = channels
        self.kernel_size = kernel_size
        self.activation = activation
        self.pool = pool

    def build(self, n_features_in: int, n_outputs: int) -> TargetNetwork:
        shape = _check_positive_ints(self.input_shape, "input_shape", allow_empty=False)
        if len(shape) != 3:
            raise ValueError(
                f"input_shape must be (channels, height, width). Got {self.input_shape!r}."
            )
        c, h, w = shape
        if c * h * w != n_features_in:
            raise ValueError(
                f"input_shape={shape} holds {c * h * w} values per row, but X has "
                f"{n_features_in} features."
            )
        channels = _check_positive_ints(self.channels, "channels")
        (kernel_size,) = _check_positive_ints(self.kernel_size, "kernel_size")
        act = _check_activation(self.activation)
        layers: list[nn.Module] = [nn.Unflatten(1, shape)]
        for c_out in channels:
            layers += [nn.Conv2d(c, c_out, kernel_size, padding=kernel_size // 2), act()]
            c = c_out
            if self.pool and h >= 2 and w >= 2:
                layers.append(nn.MaxPool2d(2))
                h, w = h // 2, w // 2
        h_out, w_out = _conv_output_hw(layers, shape)
        layers += [nn.Flatten(), nn.Linear(c * h_out * w_out, n_outputs)]
        return TargetNetwork(nn.Sequential(*layers), n_features_in=n_features_in)


def _conv_output_hw(layers: list[nn.Module], shape: tuple[int, ...]) -> tuple[int, int]:
    """Spatial size after the convolution stack, found by a dry run on one zero row."""
    with torch.no_grad():
        out = nn.Sequential(*layers)(torch.zeros(1, shape[0] * shape[1] * shape[2]))
    return out.shape[-2], out.shape[-1]


class FromModule(_Target):
    """Any parameters-only ``torch.nn.Module`` as the template of the generated networks.

    The module's parameters are never trained themselves: they fix the layout,
    and generated parameters are swapped in with
    :func:`torch.func.functional_call`.

    Parameters
    ----------
    module : torch.nn.Module
        Maps ``(n_rows, n_features)`` float tensors to ``(n_rows, n_outputs)``,
        where ``n_outputs`` is ``2 * n_targets`` for :class:`HyperGANRegressor`
        (a mean and a variance per target) and ``n_classes`` for
        :class:`HyperGANClassifier` (logits). It must have no buffers.

    Examples
    --------
    >>> from torch import nn
    >>> from sk_hypergan.targets import FromModule
    >>> target = FromModule(nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)))
    >>> target.build(n_features_in=4, n_outputs=3).n_params
    67
    """

    def __init__(self, module: nn.Module) -> None:
        self.module = module

    def build(self, n_features_in: int, n_outputs: int) -> TargetNetwork:
        if not isinstance(self.module, nn.Module):
            raise TypeError(
                f"from_module needs a torch.nn.Module, got {type(self.module).__name__}."
            )
        module = copy.deepcopy(self.module).cpu()
        try:
            with torch.no_grad():
                out = module(torch.zeros(2, n_features_in))
        except Exception as exc:  # any failure here is a shape mismatch in user code
            raise ValueError(
                f"The target module failed on input of shape (n_rows, {n_features_in}) "
                f"(the number of features in X): {exc}"
            ) from exc
        if tuple(out.shape) != (2, n_outputs):
            raise ValueError(
                f"The target module maps (n_rows, {n_features_in}) to {tuple(out.shape[1:])} "
                f"per row, but the estimator needs {n_outputs} outputs per row "
                "(2 per regression target for a mean and a variance, or one logit per class)."
            )
        return TargetNetwork(module, n_features_in=n_features_in)


def mlp(hidden_layer_sizes: int | Sequence[int] = (50,), activation: str = "relu") -> MLP:
    """Fully connected target; see :class:`MLP`.

    Examples
    --------
    >>> from sk_hypergan.targets import mlp
    >>> mlp((100, 100))
    MLP(hidden_layer_sizes=(100, 100))
    """
    return MLP(hidden_layer_sizes=hidden_layer_sizes, activation=activation)


def conv2d(
    input_shape: Sequence[int],
    channels: int | Sequence[int] = (8, 16),
    kernel_size: int = 3,
    activation: str = "relu",
    pool: bool = True,
) -> Conv2d:
    """Convolutional target for image-like rows; see :class:`Conv2d`.

    Examples
    --------
    >>> from sk_hypergan.targets import conv2d
    >>> conv2d((1, 8, 8))
    Conv2d(input_shape=(1, 8, 8))
    """
    return Conv2d(
        input_shape=input_shape,
        channels=channels,
        kernel_size=kernel_size,
        activation=activation,
        pool=pool,
    )


def from_module(module: nn.Module) -> FromModule:
    """Any parameters-only ``torch.nn.Module`` as template; see :class:`FromModule`.

    Examples
    --------
    >>> from torch import nn
    >>> from sk_hypergan.targets import from_module
    >>> from_module(nn.Linear(3, 2))
    FromModule(module=Linear(in_features=3, out_features=2, bias=True))
    """
    return FromModule(module=module)
