"""The skorch ``NeuralNet`` that trains a :class:`HyperNetwork`.

skorch runs the loop (epochs, batches, callbacks, history, progress output,
device placement); this subclass adds the regulariser (discriminator or MINE)
as a second module with its own optimizer, and overrides ``train_step`` for
HyperGAN's alternating updates.
"""

from __future__ import annotations

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import PassthroughScoring
from skorch.dataset import unpack_data
from skorch.utils import TeeGenerator, to_tensor

from ._callbacks import DivergenceGuard
from ._core.regularizers import REGULARIZERS

__all__ = ["HyperGANNet"]


class HyperGANNet(NeuralNet):
    """skorch net for a :class:`~sk_hypergan._core.hypernetwork.HyperNetwork` module.

    Parameters
    ----------
    module, criterion, **kwargs
        As for :class:`skorch.NeuralNet`; ``module`` is ``HyperNetwork``.
    n_networks : int, default=16
        Networks generated per training step.
    beta : float, default=1.0
        Weight of the regulariser's term in the mixer's objective; 0 turns it off.
    regularizer : {"discriminator", "mine"}, default="discriminator"
        Code-space regulariser.
    regularizer_hidden : tuple of int, default=(64, 64)
        Hidden sizes of the discriminator or MINE statistics network.
    regularizer_lr : float or None, default=None
        Learning rate of the regulariser's optimizer (``lr`` if None).
    """

    def __init__(
        self,
        module,
        criterion,
        *,
        n_networks=16,
        beta=1.0,
        regularizer="discriminator",
        regularizer_hidden=(64, 64),
        regularizer_lr=None,
        **kwargs,
    ):
        super().__init__(module, criterion, **kwargs)
        self.n_networks = n_networks
        self.beta = beta
        self.regularizer = regularizer
        self.regularizer_hidden = regularizer_hidden
        self.regularizer_lr = regularizer_lr

    @property
    def _default_callbacks(self):
        callbacks = list(super()._default_callbacks)
        # Per-epoch means of the two parts of the objective, shown by PrintLog
        # (which stays last).
        extra = [
            (name, PassthroughScoring(name=name, on_train=True))
            for name in ("train_data_loss", "train_regularizer_loss")
        ]
        # NaN/inf loss -> stop and roll back to the last finite state.
        extra.append(("divergence_guard", DivergenceGuard()))
        return callbacks[:-1] + extra + callbacks[-1:]

    @property
    def uses_regularizer(self):
        """bool: the regulariser acts only through a mixer, and only with beta > 0."""
        return self.beta > 0 and self.module_.mixer is not None

    def initialize_module(self):
        super().initialize_module()
        hyper = self.module_
        self.regularizer_ = REGULARIZERS[self.regularizer](
            noise_dim=hyper.noise_dim,
            latent_dim=hyper.latent_dim,
            n_layers=hyper.n_layers,
            hidden=tuple(self.regularizer_hidden),
        )
        return self

    def get_all_learnable_params(self):
        # The main optimizer trains the mixer and generators only; the
        # regulariser has its own optimizer (alternating updates).
        yield from self.module_.named_parameters()

    def initialize_optimizer(self, *args, **kwargs):
        super().initialize_optimizer(*args, **kwargs)
        lr = self.regularizer_lr if self.regularizer_lr is not None else self.lr
        self.regularizer_optimizer_ = torch.optim.Adam(
            self.regularizer_.parameters(), lr=lr, betas=(0.5, 0.999)
        )
        return self

    def infer(self, x, **fit_params):
        x = to_tensor(x, device=self.device)
        noise = self.module_.sample_noise(self.n_networks)
        return self.module_(x, noise)[0]

    def train_step(self, batch, **fit_params):
        """One HyperGAN step: generator update, then regulariser update.

        Eq. 1 of the paper: the supervised loss averaged over the ``B``
        generated networks, plus ``beta`` times the mixer's adversarial (or
        negative mutual-information) term.
        """
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        Xi = to_tensor(Xi, device=self.device)
        yi = to_tensor(yi, device=self.device)
        noise = self.module_.sample_noise(self.n_networks)

        self.optimizer_.zero_grad()
        out, codes = self.module_(Xi, noise)
        data_loss = self.get_loss(out, yi, X=Xi, training=True)
        loss = data_loss
        if self.uses_regularizer:
            loss = loss + self.beta * self.regularizer_.generator_loss(noise, codes)
        loss.backward()
        self.notify(
            "on_grad_computed",
            named_parameters=TeeGenerator(self.get_all_learnable_params()),
            batch=batch,
            training=True,
        )
        self.optimizer_.step()
        self.history.record_batch("train_data_loss", data_loss.item())

        if self.uses_regularizer:
            self.regularizer_optimizer_.zero_grad()
            reg_loss = self.regularizer_.loss(noise, codes.detach())
            reg_loss.backward()
            self.regularizer_optimizer_.step()
            self.history.record_batch("train_regularizer_loss", reg_loss.item())
        return {"loss": loss.detach(), "y_pred": out.detach()}

    def _rows_per_chunk(self, n_networks, max_elements=2**24):
        # Keep one activation tensor (networks x rows x width) near
        # max_elements floats: memory stays bounded however many rows come in.
        width = self.module_.target.max_width
        return max(1, max_elements // max(1, n_networks * width))

    @torch.no_grad()
    def generate(self, noise):
        """Parameters of the networks generated from ``noise`` (evaluation mode)."""
        self._set_training(False)
        hyper = self.module_
        return hyper.generate(hyper.codes(noise.to(self.device)))

    @torch.no_grad()
    def iter_member_outputs(self, X, noise):
        """Yield the outputs ``(B, rows, n_outputs)`` of the networks generated
        from ``noise``, one chunk of rows of ``X`` (a float32 array) at a time."""
        params = self.generate(noise)
        step = self._rows_per_chunk(noise.shape[0])
        for start in range(0, X.shape[0], step):
            x = torch.as_tensor(np.ascontiguousarray(X[start : start + step]), device=self.device)
            yield self.module_.target.forward(params, x)
