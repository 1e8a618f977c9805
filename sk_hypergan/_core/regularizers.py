"""Diversity regularisers on the code space: a GAN discriminator or a MINE term.

Both keep the mixer ``Q`` from collapsing all codes onto one maximum-likelihood
solution. Each is built by ``from_hypernetwork`` and offers ``losses``: from
one forward pass, the term added (times ``beta``) to the mixer's objective and
the regulariser's own training objective, for a training step that
backpropagates each into its own parameters.

Pure PyTorch: nothing here knows about scikit-learn.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from .hypernetwork import HyperNetwork

#: Spectrally normalised weights and biases of a :class:`LipschitzMLP`, one pair per layer.
Weights = list[tuple[torch.Tensor, torch.Tensor]]


class LipschitzMLP(nn.Module):
    """MLP whose weight matrices are divided by their spectral norm (Miyato et al. 2018).

    A Lipschitz critic keeps the gradient it sends to the mixer bounded: with
    an unconstrained discriminator, once it wins, ``-log D(Q(s))`` explodes,
    the codes leave the region the generators know, and the generated
    networks (and the supervised loss) blow up.

    As ``torch.nn.utils.spectral_norm`` (one power iteration per training
    forward, the estimate ``sigma = u^T W v`` differentiated through ``W``),
    but the normalised weights are computed once by :meth:`normalized` and can
    then serve several forward passes of one step, some of them with the
    weights detached (:meth:`forward`'s ``weights``), so that the
    discriminator's and the mixer's objectives share one backward pass.

    Examples
    --------
    >>> import torch
    >>> net = LipschitzMLP([3, 8, 1])
    >>> net(torch.randn(5, 3)).shape
    torch.Size([5, 1])
    """

    def __init__(self, sizes: Sequence[int]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        for i, layer in enumerate(self._linears()):
            u = F.normalize(torch.randn(layer.out_features), dim=0)
            self.register_buffer(f"u{i}", u)

    def _linears(self) -> Iterable[nn.Linear]:
        """``self.layers``, typed as the ``nn.Linear`` layers they are."""
        return cast(Iterable[nn.Linear], self.layers)

    def normalized(self) -> Weights:
        """``[(W_i / sigma_i, b_i)]``; in training mode one power iteration
        updates each ``u_i`` first."""
        out: Weights = []
        for i, layer in enumerate(self._linears()):
            W, u = layer.weight, getattr(self, f"u{i}")
            with torch.no_grad():
                v = F.normalize(W.t() @ u, dim=0)
                if self.training:
                    u.copy_(F.normalize(W @ v, dim=0))
                u = u.clone()  # the buffer may change before the backward pass
            sigma = torch.dot(u, W @ v)
            out.append((W / sigma, layer.bias))
        return out

    def forward(self, x: torch.Tensor, weights: Weights | None = None) -> torch.Tensor:
        weights = self.normalized() if weights is None else weights
        for i, (W, b) in enumerate(weights):
            if i:
                x = F.leaky_relu(x, 0.01)
            x = F.linear(x, W, b)
        return x


__all__ = ["LipschitzMLP", "CodeDiscriminator", "MINEStatistics", "REGULARIZERS"]


class CodeDiscriminator(nn.Module):
    """Discriminator ``D`` between per-layer codes and the prior ``N(0, I)``.

    HyperGAN (Sec. 3, Eq. 2): ``D`` is trained to tell codes ``Q(s)`` from
    prior samples; the mixer minimises the non-saturating adversarial loss
    ``-log D(Q(s))``. As in the authors' code, ``D`` sees each per-layer code.

    Parameters
    ----------
    latent_dim : int
        Dimension of a per-layer code.
    hidden : tuple of int, default=(64, 64)
        Hidden sizes.

    Examples
    --------
    >>> import torch
    >>> d = CodeDiscriminator(latent_dim=4)
    >>> generator_loss, own_loss = d.losses(None, torch.randn(10, 2, 4))
    >>> bool(generator_loss > 0), bool(own_loss > 0)
    (True, True)
    """

    #: One backward pass of the sum of ``losses`` trains both sides correctly.
    separable = True

    def __init__(self, latent_dim: int, hidden: Sequence[int] = (64, 64)) -> None:
        super().__init__()
        self.net = LipschitzMLP([latent_dim, *hidden, 1])

    @classmethod
    def from_hypernetwork(
        cls, hyper: HyperNetwork, hidden: Sequence[int] = (64, 64)
    ) -> CodeDiscriminator:
        """The discriminator for ``hyper``'s per-layer codes."""
        return cls(latent_dim=hyper.latent_dim, hidden=hidden)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        """Logit of "drawn from the prior" for each code ``(..., latent_dim)``."""
        return self.net(codes).squeeze(-1)

    def losses(
        self, noise: torch.Tensor | None, codes: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(generator_loss, loss)`` whose sum has the right gradients for both
        players: the mixer's term sees ``D`` with its weights detached, ``D``'s
        term sees the codes detached, so one ``backward`` of
        ``data_loss + beta * generator_loss + loss`` sends each term to its own
        parameters only (the alternating updates of Eq. 2, both scored on the
        codes before this step's updates). One spectral-norm power iteration
        serves both terms. ``noise`` is unused (the signature is shared with
        :class:`MINEStatistics`)."""
        weights = self.net.normalized()
        frozen = [(W.detach(), b.detach()) for W, b in weights]
        fake_for_mixer = self.net(codes, frozen).squeeze(-1)
        logits = self.net(torch.cat([torch.randn_like(codes), codes.detach()]), weights)
        real, fake = logits.squeeze(-1).chunk(2)
        # -log sigmoid(t) == softplus(-t): the non-saturating generator loss,
        # and D's sum of the mean losses on real and on fake samples (Eq. 2).
        generator = F.softplus(-fake_for_mixer).mean()
        own = F.softplus(-real).mean() + F.softplus(fake).mean()
        return generator, own


class MINEStatistics(nn.Module):
    """Statistics network ``T(s, z)`` of a MINE mutual-information estimate.

    The second reference (gtegner/hyper-gan) replaces ``D`` with the
    Donsker-Varadhan bound (Belghazi et al. 2018, Eq. 10)
    ``I(s; z) >= E_joint[T] - log E_marginal[exp T]``, the marginal pairs
    made by shuffling the codes. ``T`` maximises the bound; the mixer
    maximises it too (its term in ``losses`` is ``-I``), so distinct noise
    keeps distinct codes.

    Parameters
    ----------
    noise_dim : int
        Dimension of the noise ``s``.
    latent_dim : int
        Dimension of a per-layer code.
    n_layers : int
        Number of per-layer codes; ``T`` sees their concatenation.
    hidden : tuple of int, default=(64, 64)
        Hidden sizes (the reference uses 400-400).

    Examples
    --------
    >>> import torch
    >>> t = MINEStatistics(noise_dim=8, latent_dim=4, n_layers=2)
    >>> t.mutual_information(torch.randn(16, 8), torch.randn(16, 2, 4)).shape
    torch.Size([])
    """

    def __init__(
        self, noise_dim: int, latent_dim: int, n_layers: int, hidden: Sequence[int] = (64, 64)
    ) -> None:
        super().__init__()
        self.net = LipschitzMLP([noise_dim + n_layers * latent_dim, *hidden, 1])

    @classmethod
    def from_hypernetwork(
        cls, hyper: HyperNetwork, hidden: Sequence[int] = (64, 64)
    ) -> MINEStatistics:
        """The statistics network for ``hyper``'s noise and per-layer codes."""
        return cls(
            noise_dim=hyper.noise_dim,
            latent_dim=hyper.latent_dim,
            n_layers=hyper.n_layers,
            hidden=hidden,
        )

    def mutual_information(self, noise: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        """Donsker-Varadhan lower bound on ``I(s; z)`` from a batch of noise
        ``(B, noise_dim)`` and its codes ``(B, n_layers, latent_dim)``."""
        z = codes.reshape(codes.shape[0], -1)
        weights = self.net.normalized()  # one power iteration for both passes
        joint = self.net(torch.cat([noise, z], dim=1), weights).squeeze(-1)
        shuffled = z[torch.randperm(z.shape[0], device=z.device)]
        marginal = self.net(torch.cat([noise, shuffled], dim=1), weights).squeeze(-1)
        return joint.mean() - (torch.logsumexp(marginal, 0) - math.log(marginal.shape[0]))

    #: Both sides maximise the same bound: the two terms are backpropagated
    #: separately (into the mixer, times beta, and into ``T``).
    separable = False

    def losses(self, noise: torch.Tensor, codes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(generator_loss, loss)`` from one estimate: both maximise the
        bound, so they are the same value (backpropagated into the mixer and
        into ``T`` respectively)."""
        negative_mi = -self.mutual_information(noise, codes)
        return negative_mi, negative_mi


#: ``regularizer`` name -> class; each is built with ``from_hypernetwork(hyper, hidden)``.
REGULARIZERS: dict[str, type[CodeDiscriminator] | type[MINEStatistics]] = {
    "discriminator": CodeDiscriminator,
    "mine": MINEStatistics,
}
