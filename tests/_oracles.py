"""Reference implementations the fast paths are tested against."""

import torch
from torch.func import functional_call


def forward_looped(net, params, X):
    """``net.forward(params, X)`` as a Python loop over the ``B`` networks, each
    evaluated by ``functional_call`` on the template (no vmap, no fast path)."""
    n = next(iter(params.values())).shape[0]
    one = [{k: v[i] for k, v in params.items()} for i in range(n)]
    return torch.stack([functional_call(net.module, p, (X,)) for p in one])
