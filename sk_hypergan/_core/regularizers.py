"""Diversity regularisers on the code space: a GAN discriminator or a MINE term.

Both keep the mixer ``Q`` from collapsing all codes onto one maximum-likelihood
solution. Each offers ``loss`` (its own training objective, on detached codes),
``generator_loss`` (the term added, times ``beta``, to the mixer's objective)
and ``losses`` (both from one forward pass, for a training step that
backpropagates each into its own parameters).

Pure PyTorch: nothing here knows about scikit-learn.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .hypernetwork import make_mlp


def _lipschitz_mlp(sizes):
    """MLP with spectrally normalised layers (Miyato et al. 2018).

    A Lipschitz critic keeps the gradient it sends to the mixer bounded: with
    an unconstrained discriminator, once it wins, ``-log D(Q(s))`` explodes,
    the codes leave the region the generators know, and the generated
    networks (and the supervised loss) blow up.
    """
    mlp = make_mlp(sizes, activation=nn.LeakyReLU)
    for i, layer in enumerate(mlp):
        if isinstance(layer, nn.Linear):
            mlp[i] = nn.utils.spectral_norm(layer)
    return mlp

__all__ = ["CodeDiscriminator", "MINEStatistics", "REGULARIZERS"]


class CodeDiscriminator(nn.Module):
    """Discriminator ``D`` between per-layer codes and the prior ``N(0, I)``.

    HyperGAN (Sec. 3, Eq. 2): ``D`` is trained to tell codes ``Q(s)`` from
    prior samples; the mixer minimises the non-saturating adversarial loss
    ``-log D(Q(s))``. As in the authors' code, ``D`` sees each per-layer code.

    Parameters
    ----------
    noise_dim : int
        Dimension of the noise (unused; the signature is shared with MINE).
    latent_dim : int
        Dimension of a per-layer code.
    n_layers : int
        Number of per-layer codes (unused; the signature is shared with MINE).
    hidden : tuple of int, default=(64, 64)
        Hidden sizes.

    Examples
    --------
    >>> import torch
    >>> d = CodeDiscriminator(noise_dim=8, latent_dim=4, n_layers=2)
    >>> codes = torch.randn(10, 2, 4)
    >>> bool(d.loss(torch.randn(10, 8), codes) > 0)
    True
    """

    def __init__(self, noise_dim, latent_dim, n_layers, hidden=(64, 64)):
        super().__init__()
        self.net = _lipschitz_mlp([latent_dim, *hidden, 1])

    def forward(self, codes):
        return self.net(codes).squeeze(-1)

    def loss(self, noise, codes):
        return self.losses(noise, codes.detach())[1]

    def generator_loss(self, noise, codes):
        fake = self(codes)
        return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))

    def losses(self, noise, codes):
        """``(generator_loss, loss)`` from one forward pass on prior samples
        and (attached) codes: the same values as the two methods, at the cost
        of one pass (and one spectral-norm power iteration) instead of two.
        Backpropagate the first into the mixer only and the second into
        ``D`` only (``backward(inputs=...)``)."""
        logits = self(torch.cat([torch.randn_like(codes), codes]))
        real, fake = logits.chunk(2)
        generator = F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
        # Sum of the mean losses on real and on fake samples, as in Eq. 2.
        own = F.binary_cross_entropy_with_logits(
            real, torch.ones_like(real)
        ) + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
        return generator, own


class MINEStatistics(nn.Module):
    """Statistics network ``T(s, z)`` of a MINE mutual-information estimate.

    The second reference (gtegner/hyper-gan) replaces ``D`` with the
    Donsker-Varadhan bound (Belghazi et al. 2018, Eq. 10)
    ``I(s; z) >= E_joint[T] - log E_marginal[exp T]``, the marginal pairs
    made by shuffling the codes. ``T`` maximises the bound; the mixer
    maximises it too (``generator_loss`` is ``-I``), so distinct noise keeps
    distinct codes.

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

    def __init__(self, noise_dim, latent_dim, n_layers, hidden=(64, 64)):
        super().__init__()
        self.net = _lipschitz_mlp([noise_dim + n_layers * latent_dim, *hidden, 1])

    def mutual_information(self, noise, codes):
        z = codes.reshape(codes.shape[0], -1)
        joint = self.net(torch.cat([noise, z], dim=1)).squeeze(-1)
        shuffled = z[torch.randperm(z.shape[0], device=z.device)]
        marginal = self.net(torch.cat([noise, shuffled], dim=1)).squeeze(-1)
        return joint.mean() - (torch.logsumexp(marginal, 0) - math.log(marginal.shape[0]))

    def loss(self, noise, codes):
        return -self.mutual_information(noise, codes.detach())

    def generator_loss(self, noise, codes):
        return -self.mutual_information(noise, codes)

    def losses(self, noise, codes):
        """``(generator_loss, loss)`` from one estimate: both maximise the
        bound, so they are the same value (backpropagated into the mixer and
        into ``T`` respectively)."""
        negative_mi = -self.mutual_information(noise, codes)
        return negative_mi, negative_mi


REGULARIZERS = {"discriminator": CodeDiscriminator, "mine": MINEStatistics}
