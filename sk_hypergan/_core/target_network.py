"""Parameter layout and batched forward of the networks a hypernetwork generates.

A :class:`TargetNetwork` wraps a *template* ``torch.nn.Module``. The template's
own parameters are never trained: they only fix the layout (names and shapes)
and provide the forward computation. Generated parameters carry a leading
network axis ``B`` and are evaluated for all ``B`` networks in one batched call
(``torch.func.vmap`` over ``functional_call``), never a Python loop over
networks.

Pure PyTorch: nothing here knows about scikit-learn.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import torch
from torch import nn
from torch.func import functional_call, vmap

__all__ = ["LayerSpec", "TargetNetwork", "MLPNetwork"]


@dataclass(frozen=True)
class LayerSpec:
    """One generated layer: the parameters one generator produces together.

    Attributes
    ----------
    name : str
        Name of the submodule owning the parameters (e.g. ``"0"``).
    param_names : tuple of str
        Full parameter names as in ``module.named_parameters()``.
    shapes : tuple of torch.Size
        Shape of each parameter, without the network axis.
    init_stds : tuple of float
        Standard deviation of each parameter under the template's standard
        initialisation; generated parameters start at this scale.
    """

    name: str
    param_names: tuple[str, ...]
    shapes: tuple[torch.Size, ...]
    init_stds: tuple[float, ...]

    @property
    def numels(self) -> tuple[int, ...]:
        return tuple(math.prod(s) for s in self.shapes)

    @property
    def numel(self) -> int:
        return sum(self.numels)


#: Generated parameters: name -> tensor ``(B, *shape)``, one slice per network.
Params = dict[str, torch.Tensor]


def _init_std(param: torch.Tensor, fan_in: int) -> float:
    """Scale of a parameter under its module's default initialisation.

    The empirical std of the freshly initialised tensor respects whatever
    initialisation the template uses; a small tensor (e.g. the bias of a
    one-output layer) gives too noisy an estimate, so it falls back to
    PyTorch's default ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``.
    """
    if param.numel() >= 16:
        std = float(param.detach().float().std())
        if std > 0:
            return std
    return 1.0 / math.sqrt(3.0 * max(fan_in, 1))


class TargetNetwork:
    """Layout and batched functional forward of a generated network.

    Parameters
    ----------
    module : torch.nn.Module
        Template network mapping ``(n_rows, n_features_in)`` to
        ``(n_rows, n_outputs)``. It must hold parameters only (no buffers such
        as BatchNorm running statistics), since every generated network would
        otherwise share one mutable state.
    n_features_in : int, optional
        Input width; when given, a dry run measures the largest activation
        (``max_width``), which bounds prediction memory.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> net = TargetNetwork(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)))
    >>> [layer.name for layer in net.layers]
    ['0', '2']
    >>> params = {n: torch.zeros(5, *s) for n, s in net.param_shapes.items()}
    >>> net.forward(params, torch.ones(7, 3)).shape
    torch.Size([5, 7, 2])
    """

    def __init__(self, module: nn.Module, n_features_in: int | None = None) -> None:
        if not isinstance(module, nn.Module):
            raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}.")
        buffers = [name for name, _ in module.named_buffers()]
        if buffers:
            raise ValueError(
                "The target module must hold parameters only; it has buffers "
                f"{buffers} (e.g. BatchNorm running statistics), which generated "
                "networks cannot share. Use a normalisation without running "
                "statistics (e.g. LayerNorm without affine parameters) instead."
            )
        dropout = [
            name
            for name, m in module.named_modules()
            if isinstance(m, nn.modules.dropout._DropoutNd) and m.p > 0
        ]
        if dropout:
            raise ValueError(
                f"The target module has dropout layers {dropout}: a generated "
                "network must compute a fixed function of its weights (the "
                "networks' spread comes from the hypernetwork). Remove them or "
                "set their p to 0."
            )
        params = list(module.named_parameters())
        if not params:
            raise ValueError("The target module has no parameters to generate.")
        self.module = copy.deepcopy(module).cpu().requires_grad_(False)
        self.layers = self._group_layers(params)
        self.max_width = self._max_width(n_features_in)

    def _max_width(self, n_features_in: int | None) -> int:
        """Largest activation (values per row) inside the network, from a dry run.

        Prediction sizes its row chunks with it, so memory stays bounded.
        """
        widths = [shape[0] for layer in self.layers for shape in layer.shapes[:1]]
        if n_features_in is None:
            return max(widths)
        hooks = [
            m.register_forward_hook(lambda m, i, o: widths.append(o[0].numel()))
            for m in self.module.modules()
        ]
        try:
            with torch.no_grad():
                self.module(torch.zeros(1, n_features_in))
        finally:
            for h in hooks:
                h.remove()
        return max(widths)

    @staticmethod
    def _group_layers(named_params: list[tuple[str, nn.Parameter]]) -> tuple[LayerSpec, ...]:
        # One generator per owning submodule (weight and bias together), as in
        # the paper's one-generator-per-layer design.
        groups: dict[str, list[tuple[str, nn.Parameter]]] = {}
        for name, param in named_params:
            owner = name.rpartition(".")[0]
            groups.setdefault(owner, []).append((name, param))
        layers = []
        for owner, items in groups.items():
            weights = [p for _, p in items if p.dim() >= 2]
            fan_in = math.prod(weights[0].shape[1:]) if weights else items[0][1].numel()
            layers.append(
                LayerSpec(
                    name=owner,
                    param_names=tuple(n for n, _ in items),
                    shapes=tuple(p.shape for _, p in items),
                    init_stds=tuple(_init_std(p, fan_in) for _, p in items),
                )
            )
        return tuple(layers)

    @property
    def param_shapes(self) -> dict[str, torch.Size]:
        """dict: parameter name -> shape (without the network axis)."""
        return {n: s for layer in self.layers for n, s in zip(layer.param_names, layer.shapes)}

    @property
    def n_params(self) -> int:
        """int: number of generated parameters per network."""
        return sum(layer.numel for layer in self.layers)

    def unflatten(self, flat_layers: list[torch.Tensor]) -> Params:
        """Split per-layer flat vectors ``(B, numel)`` into named parameters."""
        params = {}
        for layer, flat in zip(self.layers, flat_layers):
            chunks = torch.split(flat, list(layer.numels), dim=-1)
            for name, shape, chunk in zip(layer.param_names, layer.shapes, chunks):
                params[name] = chunk.reshape(flat.shape[0], *shape)
        return params

    def forward(self, params: Params, X: torch.Tensor) -> torch.Tensor:
        """Evaluate ``B`` networks on the same rows.

        Parameters
        ----------
        params : dict of str to torch.Tensor
            Generated parameters, each of shape ``(B, *shape)``.
        X : torch.Tensor of shape (n_rows, ...)
            Input rows, shared by all networks.

        Returns
        -------
        torch.Tensor of shape (B, n_rows, n_outputs)
        """
        return vmap(self._forward_one, in_dims=(0, None))(params, X)

    def _forward_one(self, params: Params, X: torch.Tensor) -> torch.Tensor:
        return functional_call(self.module, params, (X,))

    @torch.no_grad()
    def forward_chunks(
        self, params: Params, chunks: Iterable[torch.Tensor]
    ) -> Iterator[torch.Tensor]:
        """Yield :meth:`forward` on each tensor of rows in ``chunks`` (an
        iterable), without autograd; subclasses may reuse memory between
        chunks."""
        for X in chunks:
            yield self.forward(params, X)

    def to_module(self, params: Params, index: int) -> nn.Module:
        """A standalone copy of the template holding network ``index``'s parameters."""
        module = copy.deepcopy(self.module)
        state = {name: params[name][index].detach().cpu().clone() for name in self.param_shapes}
        module.load_state_dict(state)
        return module.requires_grad_(True)


class MLPNetwork(TargetNetwork):
    """A :class:`TargetNetwork` for a stack of ``nn.Linear`` layers, with a fast path.

    The generic ``vmap`` path is correct for any template; for MLPs, explicit
    batched matrix products are faster: the first layer's input is shared by
    every network, so one wide GEMM ``[W_1; ...; W_B] @ X^T`` (bias fused)
    serves them all, and the later layers are one ``baddbmm`` each.
    Activations are kept features-major, ``(B, width, n_rows)``, so every
    product has the rows as its long, contiguous dimension (a layer with few
    outputs is then a fast product, not ``n_rows`` tiny ones), and without
    autograd the activation is applied in place.

    Parameters
    ----------
    template : torch.nn.Module
        ``nn.Sequential`` alternating ``nn.Linear`` layers and activations;
        it fixes the layout and is what :meth:`to_module` copies.
    activation : torch.nn.Module
        The same elementwise activation as in ``template``, applied between
        layers by the fast path.
    """

    def __init__(self, template: nn.Sequential, activation: nn.Module) -> None:
        super().__init__(template, n_features_in=cast(nn.Linear, template[0]).in_features)
        self.activation = activation
        # In-place twin of the activation (when the module has one), for
        # evaluation without autograd: no new activation tensor per layer.
        self._activation_inplace: nn.Module | None = None
        if isinstance(getattr(activation, "inplace", None), bool):
            twin: Any = copy.copy(activation)
            twin.inplace = True
            self._activation_inplace = twin

    def forward(
        self,
        params: Params,
        X: torch.Tensor,
        _buffers: list[torch.Tensor] | None = None,
        _sparse_weight: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Outputs ``(B, n_rows, n_outputs)`` of the ``B`` networks on ``X``: a
        dense tensor, or a sparse CSR one (``torch.sparse_csr_tensor``), whose
        first layer is then a sparse-dense product (with ``_sparse_weight``,
        :meth:`_first_weight_t`, computed once for many chunks)."""
        h: torch.Tensor | None = None
        n_layers = len(self.layers)
        for i, layer in enumerate(self.layers):
            W = params[layer.param_names[0]]  # (B, out, in), nn.Linear layout
            b = params[layer.param_names[1]]  # (B, out)
            B, n_out, n_in = W.shape
            out = None
            if _buffers is not None and i < n_layers - 1:
                out = _buffer(_buffers, i % 2, (B, n_out, X.shape[0]), W)
            if h is None and X.layout is torch.sparse_csr:
                # Sparse rows (one-hot features): (N, in) @ (in, B*out), a product
                # over the stored entries only, never a densified X.
                Wt = self._first_weight_t(params) if _sparse_weight is None else _sparse_weight
                h = torch.addmm(b.reshape(1, B * n_out), X, Wt)
                h = h.T.reshape(B, n_out, X.shape[0])  # features-major, as below
            elif h is None:
                # One GEMM for all networks: (B*out, in) @ (in, N) + bias.
                h = torch.addmm(
                    b.reshape(B * n_out, 1),
                    W.reshape(B * n_out, n_in),
                    X.T,
                    out=None if out is None else out.view(B * n_out, X.shape[0]),
                )
                h = h.view(B, n_out, X.shape[0])
            else:
                h = torch.baddbmm(b[:, :, None], W, h, out=out)  # (B, out, N)
            if i < n_layers - 1:
                act = self._activation_inplace
                if act is None or (torch.is_grad_enabled() and h.requires_grad):
                    act = self.activation
                h = act(h)
        assert h is not None  # the template has at least one layer
        return h.transpose(1, 2)

    @torch.no_grad()
    def forward_chunks(
        self, params: Params, chunks: Iterable[torch.Tensor]
    ) -> Iterator[torch.Tensor]:
        # The hidden activations of every chunk go to the same two buffers
        # (alternating between layers): no large allocation, and none of its
        # page faults, per chunk. The outputs are new tensors.
        buffers: list[torch.Tensor] = []
        weight_t = None
        for X in chunks:
            if X.layout is torch.sparse_csr and weight_t is None:
                weight_t = self._first_weight_t(params)
            yield self.forward(params, X, _buffers=buffers, _sparse_weight=weight_t)

    def _first_weight_t(self, params: Params) -> torch.Tensor:
        """The first layer's weights of all networks as one row-major
        ``(in, B * out)`` matrix, the right operand of a sparse ``X``'s product
        (a transposed view would be copied by every product)."""
        W = params[self.layers[0].param_names[0]]
        return W.reshape(-1, W.shape[-1]).T.contiguous()


def _buffer(
    buffers: list[torch.Tensor], k: int, shape: tuple[int, ...], like: torch.Tensor
) -> torch.Tensor:
    """A ``shape`` view of the ``k``-th reusable buffer, grown when too small."""
    size = math.prod(shape)
    while len(buffers) <= k:
        buffers.append(like.new_empty(0))
    if buffers[k].numel() < size:
        buffers[k] = like.new_empty(size)
    return buffers[k][:size].view(shape)
