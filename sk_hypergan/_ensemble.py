"""The fitted distribution of networks: where a fitted estimator draws its networks.

Prediction, post-hoc calibration, ``sample_networks``, ``weight_diversity`` and
the regressor's predictive distribution all draw their networks through one
:class:`NetworkDistribution`: noise from a seed, the networks that noise
generates, and their outputs on rows, computed in batches under the
estimator's thread policy. It knows nothing of scikit-learn or of what the
outputs mean (the estimators turn them into predictions).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from sklearn.utils import check_random_state

__all__ = ["NetworkDistribution", "torch_threads"]

_MAX_SEED = np.iinfo(np.int32).max


@contextlib.contextmanager
def torch_threads(n_threads: int | None) -> Iterator[None]:
    """Run the block with torch's intra-op thread count set to ``n_threads``
    (None: unchanged), restoring the caller's setting after it.

    The networks are small: a training step or a prediction chunk is a few
    hundred short kernels, which extra threads only slow down (they must be
    woken and joined for every kernel), badly so when the other cores are
    busy (docs/scaling.rst).
    """
    if n_threads is None or n_threads == torch.get_num_threads():
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class NetworkDistribution:
    """The networks a trained hypernetwork generates, drawn reproducibly.

    Parameters
    ----------
    net : HyperGANNet
        The fitted skorch net (its ``module_`` is the hypernetwork).
    noise_seed : int
        Seed of the prediction networks' noise (``random_state=None`` below).
    n_threads : int or None, default=None
        Torch's intra-op threads while computing outputs (None: unchanged).
    """

    def __init__(self, net: Any, noise_seed: int, n_threads: int | None = None):
        self.net = net
        self.noise_seed = noise_seed
        self.n_threads = n_threads

    @property
    def layers(self) -> list:
        """The target's layers (``LayerSpec``), in order."""
        return self.net.module_.target.layers

    def noise(self, n: int, random_state: Any = None) -> torch.Tensor:
        """Noise of ``n`` networks (a CPU tensor). ``random_state`` seeds it
        (an int, a ``RandomState`` whose next draw is the seed); None is the
        prediction networks' seed, so equal ``n`` gives the same networks."""
        seed = self.noise_seed if random_state is None else random_state
        generator = torch.Generator().manual_seed(int(check_random_state(seed).randint(_MAX_SEED)))
        return self.net.module_.sample_noise(n, generator=generator, device="cpu")

    def parameters(self, noise: torch.Tensor) -> dict:
        """The generated parameters ``{name: (n, *shape)}`` of the networks of ``noise``."""
        return self.net.generate(noise)

    def outputs(self, X: Any, noise: torch.Tensor) -> Iterator[torch.Tensor]:
        """Yield the outputs ``(n, rows, n_outputs)`` (float32, on the net's
        device) of the networks of ``noise`` on validated float32 rows ``X``
        (an array or a SciPy CSR matrix), one chunk of rows at a time."""
        with torch_threads(self.n_threads):
            yield from self.net.iter_member_outputs(X, noise)

    def modules(self, noise: torch.Tensor) -> list:
        """The networks of ``noise`` as standalone CPU modules, in order."""
        params = self.parameters(noise)
        target = self.net.module_.target
        return [target.to_module(params, i) for i in range(noise.shape[0])]
