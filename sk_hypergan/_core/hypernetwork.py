"""Mixer and per-layer generators: noise in, a batch of network parameters out.

HyperGAN (Ratzlaff & Fuxin, 2019, Sec. 3): noise ``s ~ N(0, I)`` goes through
the mixer ``Q`` to a mixed code, split into one code ``z_i`` per target layer;
generator ``G_i`` maps ``z_i`` to the weights and bias of layer ``i``. A batch
of ``B`` noise vectors gives ``B`` target networks.

Pure PyTorch: nothing here knows about scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import torch
from torch import nn

from .target_network import Params, TargetNetwork

__all__ = ["make_mlp", "HyperNetwork"]


def make_mlp(sizes: Sequence[int], activation: type[nn.Module] = nn.ELU) -> nn.Sequential:
    """``nn.Sequential`` of Linear layers with ``activation`` between them.

    Examples
    --------
    >>> make_mlp([3, 8, 2])
    Sequential(
      (0): Linear(in_features=3, out_features=8, bias=True)
      (1): ELU(alpha=1.0)
      (2): Linear(in_features=8, out_features=2, bias=True)
    )
    """
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i > 0:
            layers.append(activation())
        layers.append(nn.Linear(n_in, n_out))
    return nn.Sequential(*layers)


@torch.no_grad()
def _standardize_last_layer(
    mlp: nn.Sequential,
    inputs: torch.Tensor,
    scale: float | torch.Tensor = 1.0,
    eps: float = 1e-3,
) -> None:
    """Rescale ``mlp``'s last Linear so its outputs on ``inputs`` have mean 0, std ``scale``.

    A data-dependent initialisation (as LSUV, Mishkin & Matas 2016): the
    generated weights then start exactly at the target's standard
    initialisation scale, which decides whether the hypernetwork trains.
    """
    out = mlp(inputs)
    mean, std = out.mean(0), out.std(0)
    std = std.clamp_min(eps * float(std.median().clamp_min(eps)))
    last = cast(nn.Linear, mlp[-1])
    last.weight.div_(std[:, None])
    last.bias.sub_(mean).div_(std)
    last.weight.mul_(scale if not torch.is_tensor(scale) else scale[:, None])
    last.bias.mul_(scale)


class HyperNetwork(nn.Module):
    """Mixer ``Q`` and per-layer generators ``G_i`` for a :class:`TargetNetwork`.

    Parameters
    ----------
    target : TargetNetwork
        Layout and forward of the generated networks.
    noise_dim : int, default=32
        Dimension of the noise ``s``. Ignored without a mixer, where the noise
        is the concatenation of the per-layer codes.
    latent_dim : int, default=32
        Dimension of each per-layer code ``z_i``.
    mixer_hidden : tuple of int, default=(128,)
        Hidden sizes of the mixer.
    generator_hidden : tuple of int, default=(128,)
        Hidden sizes of every generator.
    use_mixer : bool, default=True
        If False, the per-layer codes are drawn independently from ``N(0, I)``
        (the paper's "no mixer" ablation).
    n_init_samples : int, default=1024
        Noise draws used by the data-dependent initialisation.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from sk_hypergan._core.target_network import TargetNetwork
    >>> _ = torch.manual_seed(0)
    >>> target = TargetNetwork(nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 1)))
    >>> hyper = HyperNetwork(target, noise_dim=8, latent_dim=4)
    >>> noise = hyper.sample_noise(10)
    >>> out, codes = hyper(torch.randn(5, 3), noise)
    >>> out.shape, codes.shape
    (torch.Size([10, 5, 1]), torch.Size([10, 2, 4]))
    """

    def __init__(
        self,
        target: TargetNetwork,
        noise_dim: int = 32,
        latent_dim: int = 32,
        mixer_hidden: Sequence[int] = (128,),
        generator_hidden: Sequence[int] = (128,),
        use_mixer: bool = True,
        n_init_samples: int = 1024,
    ) -> None:
        super().__init__()
        self.target = target
        self.n_layers = len(target.layers)
        self.latent_dim = latent_dim
        self.use_mixer = use_mixer
        code_dim = self.n_layers * latent_dim
        self.noise_dim = noise_dim if use_mixer else code_dim
        self.mixer: nn.Sequential | None = (
            make_mlp([noise_dim, *mixer_hidden, code_dim]) if use_mixer else None
        )
        self.generators = nn.ModuleList(
            make_mlp([latent_dim, *generator_hidden, layer.numel]) for layer in target.layers
        )
        self._initialize(n_init_samples)

    @torch.no_grad()
    def _initialize(self, n_samples: int) -> None:
        noise = self.sample_noise(n_samples)
        if self.mixer is not None:
            # Codes start standardised, i.e. matched in mean and scale to the
            # N(0, I) prior the discriminator compares them with.
            _standardize_last_layer(self.mixer, noise)
        codes = self.codes(noise)
        for i, (layer, gen) in enumerate(zip(self.target.layers, self.generators)):
            scale = torch.cat([torch.full((n,), s) for n, s in zip(layer.numels, layer.init_stds)])
            _standardize_last_layer(cast(nn.Sequential, gen), codes[:, i], scale=scale)

    def sample_noise(
        self,
        n: int,
        generator: torch.Generator | None = None,
        device: str | torch.device | None = None,
    ) -> torch.Tensor:
        """Draw ``n`` noise vectors ``s ~ N(0, I)`` (on the CPU first, for
        reproducibility across devices, then moved to ``device``)."""
        noise = torch.randn(n, self.noise_dim, generator=generator)
        device = device if device is not None else next(self.parameters()).device
        return noise.to(device)

    def codes(self, noise: torch.Tensor) -> torch.Tensor:
        """Per-layer codes ``z = Q(s)``, shape ``(B, n_layers, latent_dim)``."""
        z = self.mixer(noise) if self.mixer is not None else noise
        return z.reshape(noise.shape[0], self.n_layers, self.latent_dim)

    def generate(self, codes: torch.Tensor) -> Params:
        """Parameters of ``B`` networks from their codes: ``{name: (B, *shape)}``."""
        flats = [gen(codes[:, i]) for i, gen in enumerate(self.generators)]
        return self.target.unflatten(flats)

    def forward(self, X: torch.Tensor, noise: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Outputs ``(B, n_rows, n_outputs)`` of the networks generated from ``noise``,
        and their codes ``(B, n_layers, latent_dim)``."""
        codes = self.codes(noise)
        return self.target.forward(self.generate(codes), X), codes
