"""The pure-torch core: batched evaluation, initialisation, losses, regularisers."""

import numpy as np
import pytest
import torch
from torch import nn

from sk_hypergan._core import (
    REGULARIZERS,
    CodeDiscriminator,
    CrossEntropyLoss,
    GaussianNLLLoss,
    HyperNetwork,
    MINEStatistics,
    TargetNetwork,
)
from sk_hypergan.targets import conv2d, from_module, mlp

from _oracles import forward_looped

TARGETS = {
    "mlp": (mlp((16, 8)), 6, 3),
    "mlp-linear": (mlp(()), 6, 2),
    "conv2d": (conv2d((1, 4, 4), channels=(3, 5)), 16, 4),
    "from_module": (from_module(nn.Sequential(nn.Linear(6, 7), nn.Tanh(), nn.Linear(7, 2))), 6, 2),
}


@pytest.mark.parametrize("name", TARGETS)
def test_batched_equals_looped(name):
    target, n_in, n_out = TARGETS[name]
    net = target.build(n_in, n_out)
    params = {k: torch.randn(5, *s) for k, s in net.param_shapes.items()}
    X = torch.randn(9, n_in)
    batched = net.forward(params, X)
    assert batched.shape == (5, 9, n_out)
    torch.testing.assert_close(batched, forward_looped(net, params, X), rtol=1e-5, atol=1e-5)
    # The generic vmap path agrees with any specialised fast path too.
    torch.testing.assert_close(TargetNetwork.forward(net, params, X), batched, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", TARGETS)
def test_to_module_reproduces_member(name):
    target, n_in, n_out = TARGETS[name]
    net = target.build(n_in, n_out)
    params = {k: torch.randn(3, *s) for k, s in net.param_shapes.items()}
    X = torch.randn(4, n_in)
    module = net.to_module(params, 2)
    torch.testing.assert_close(module(X), net.forward(params, X)[2], rtol=1e-5, atol=1e-5)


def test_layers_group_weight_and_bias():
    net = mlp((4,)).build(3, 2)
    assert [layer.name for layer in net.layers] == ["0", "2"]
    assert net.layers[0].param_names == ("0.weight", "0.bias")
    assert net.n_params == 3 * 4 + 4 + 4 * 2 + 2


def test_buffers_are_rejected():
    with pytest.raises(ValueError, match="buffers"):
        TargetNetwork(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)))


@pytest.mark.parametrize("use_mixer", [True, False])
def test_generated_weights_start_at_standard_init_scale(use_mixer):
    # Hypernetwork initialisation: each generated parameter starts with mean 0
    # and the std of the target's own default initialisation.
    net = mlp((64,)).build(10, 2)
    hyper = HyperNetwork(net, use_mixer=use_mixer)
    params = hyper.generate(hyper.codes(hyper.sample_noise(2000)))
    for layer in net.layers:
        for name, std in zip(layer.param_names, layer.init_stds):
            p = params[name].detach()
            assert abs(float(p.std(0).mean()) - std) < 0.15 * std
            assert abs(float(p.mean(0).abs().mean())) < 0.15 * std


def test_codes_start_standardised():
    hyper = HyperNetwork(mlp((8,)).build(3, 2), noise_dim=16, latent_dim=4)
    codes = hyper.codes(hyper.sample_noise(4000)).detach()
    assert codes.shape == (4000, 2, 4)
    assert torch.allclose(codes.mean(0), torch.zeros(2, 4), atol=0.1)
    assert torch.allclose(codes.std(0), torch.ones(2, 4), atol=0.1)


def test_gradients_reach_mixer_and_generators():
    hyper = HyperNetwork(mlp((8,)).build(3, 2), noise_dim=8, latent_dim=4)
    out, codes = hyper(torch.randn(10, 3), hyper.sample_noise(6))
    GaussianNLLLoss()(out, torch.randn(10, 1)).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in hyper.parameters())


def test_noise_reproducible_with_generator():
    hyper = HyperNetwork(mlp((8,)).build(3, 2))
    a = hyper.sample_noise(5, generator=torch.Generator().manual_seed(1))
    b = hyper.sample_noise(5, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b)


def test_gaussian_nll_matches_torch_reference():
    out = torch.randn(3, 7, 2)
    y = torch.randn(7, 1)
    mean = out[..., :1]
    var = torch.nn.functional.softplus(out[..., 1:]) + 1e-6
    expected = torch.distributions.Normal(mean, var.sqrt()).log_prob(y.expand(3, 7, 1)).neg().mean()
    torch.testing.assert_close(GaussianNLLLoss()(out, y), expected)


def test_cross_entropy_averages_networks():
    logits = torch.randn(4, 6, 3)
    y = torch.randint(0, 3, (6,))
    per_net = torch.stack([nn.functional.cross_entropy(logits[i], y) for i in range(4)])
    torch.testing.assert_close(CrossEntropyLoss()(logits, y), per_net.mean())


def test_gaussian_ensemble_loss_is_the_mixture_nll():
    out = torch.randn(5, 7, 4, dtype=torch.float64)  # 5 networks, 2 targets
    y = torch.randn(7, 2, dtype=torch.float64)
    mean, var = out[..., :2], torch.nn.functional.softplus(out[..., 2:]) + 1e-6
    # Per network: joint density of both targets; mixture: mean over networks.
    density = torch.distributions.Normal(mean, var.sqrt()).log_prob(y).sum(-1).exp()
    expected = -density.mean(0).log().mean() / 2
    torch.testing.assert_close(GaussianNLLLoss().ensemble_loss(out, y), expected)


def test_cross_entropy_ensemble_loss_is_the_log_loss_of_mean_probabilities():
    logits = torch.randn(4, 6, 3, dtype=torch.float64)
    y = torch.randint(0, 3, (6,))
    mean_proba = logits.softmax(-1).mean(0)
    expected = -mean_proba[torch.arange(6), y].log().mean()
    torch.testing.assert_close(CrossEntropyLoss().ensemble_loss(logits, y), expected)


def test_cross_entropy_disagreement_is_the_mutual_information():
    logits = torch.randn(4, 6, 3, dtype=torch.float64) * 3
    p = logits.softmax(-1).numpy()
    mean_p = p.mean(0)
    entropy = lambda q: -(q * np.log(q)).sum(-1)  # noqa: E731
    expected = (entropy(mean_p) - entropy(p).mean(0)).mean()
    got = CrossEntropyLoss().disagreement(logits)
    np.testing.assert_allclose(float(got), expected, rtol=1e-10)
    assert 0 <= float(got) <= np.log(3)
    # The same network four times: no disagreement.
    assert float(CrossEntropyLoss().disagreement(logits[:1].expand(4, -1, -1))) == pytest.approx(0)


def test_gaussian_disagreement_is_the_epistemic_share_of_the_variance():
    out = torch.randn(5, 7, 4, dtype=torch.float64)  # 5 networks, 2 targets
    mean, var = out[..., :2], torch.nn.functional.softplus(out[..., 2:]) + 1e-6
    epistemic = mean.var(0, unbiased=False)
    expected = (epistemic / (epistemic + var.mean(0))).mean()
    got = GaussianNLLLoss().disagreement(out)
    torch.testing.assert_close(got, expected)
    assert 0 <= float(got) < 1


def test_mixup_inputs_are_convex_combinations_of_two_rows():
    from sk_hypergan._net import _mixup

    torch.manual_seed(0)
    X = torch.eye(12)  # row i is the i-th corner of the simplex
    mixed = _mixup(X)
    assert mixed.shape == X.shape
    assert (mixed >= 0).all()
    torch.testing.assert_close(mixed.sum(1), torch.ones(12))
    assert ((mixed > 0).sum(1) <= 2).all()
    # Near the midpoint: each row keeps a weight in MIXUP_RANGE (or 1, when
    # paired with itself).
    own = mixed.diagonal()
    assert (((own >= 0.4) & (own <= 0.6)) | (own == 1)).all()
    # Rows of any shape mix with one weight per row.
    images = torch.rand(8, 1, 4, 4)
    torch.manual_seed(1)
    mixed = _mixup(images)
    torch.manual_seed(1)
    lam = 0.4 + 0.2 * torch.rand(8, 1, 1, 1)
    partner = images[torch.randperm(8)]
    torch.testing.assert_close(mixed, lam * images + (1 - lam) * partner)


def test_shuffled_rows_permute_every_feature_independently():
    from sk_hypergan._net import _shuffled

    torch.manual_seed(0)
    X = torch.arange(200.0).reshape(20, 10)  # every value distinct
    shuffled = _shuffled(X)
    assert shuffled.shape == X.shape
    # Each column holds the same values, in another order...
    torch.testing.assert_close(shuffled.sort(0).values, X)
    # ...and the columns were permuted independently: rows mix features of
    # several original rows.
    source_rows = (shuffled // 10).long()
    assert (source_rows != source_rows[:, :1]).any(1).all()
    images = torch.rand(8, 1, 4, 4)
    assert _shuffled(images).shape == images.shape


def test_diversity_inputs_are_half_mixup_half_shuffled_rows():
    from sk_hypergan._net import _diversity_inputs, _mixup, _shuffled

    X = torch.rand(9, 5)
    torch.manual_seed(3)
    got = _diversity_inputs(X)
    torch.manual_seed(3)
    expected = torch.cat([_mixup(X)[:4], _shuffled(X)[4:]])
    torch.testing.assert_close(got, expected)


def test_regulariser_losses_are_the_two_players_objectives():
    # The discriminator's ``losses`` (one pass, used by the training step) are
    # the mixer's non-saturating ``-log D(Q(s))`` and D's cross-entropy on
    # prior draws against codes (Eq. 2), on the same prior draw (evaluation
    # mode: no spectral-norm power iteration between the calls).
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    torch.manual_seed(0)
    d = CodeDiscriminator(latent_dim=3, hidden=(8,)).eval()
    codes = torch.randn(10, 2, 3)
    torch.manual_seed(1)
    generator, own = d.losses(None, codes)
    torch.manual_seed(1)
    real, fake = d(torch.randn_like(codes)), d(codes)
    torch.testing.assert_close(generator, bce(fake, torch.ones_like(fake)))
    expected = bce(real, torch.ones_like(real)) + bce(fake, torch.zeros_like(fake))
    torch.testing.assert_close(own, expected)
    # MINE: both players maximise the same bound.
    t = MINEStatistics(noise_dim=4, latent_dim=3, n_layers=2, hidden=(8,)).eval()
    noise = torch.randn(10, 4)
    torch.manual_seed(2)
    generator, own = t.losses(noise, codes)
    torch.manual_seed(2)
    torch.testing.assert_close(own, -t.mutual_information(noise, codes))
    torch.testing.assert_close(generator, own)


def test_regularisers_are_built_for_the_hypernetwork():
    hyper = HyperNetwork(mlp((8,)).build(3, 2), noise_dim=5, latent_dim=4)
    d = REGULARIZERS["discriminator"].from_hypernetwork(hyper, hidden=(6,))
    assert isinstance(d, CodeDiscriminator) and d.net.layers[0].in_features == 4
    t = REGULARIZERS["mine"].from_hypernetwork(hyper, hidden=(6,))
    assert isinstance(t, MINEStatistics) and t.net.layers[0].in_features == 5 + 2 * 4


def test_discriminator_learns_to_separate_shifted_codes():
    d = CodeDiscriminator(latent_dim=2, hidden=(16,))
    opt = torch.optim.Adam(d.parameters(), lr=1e-2)
    codes = torch.randn(256, 1, 2) + 3.0
    first = d.losses(None, codes)[1].item()
    for _ in range(100):
        opt.zero_grad()
        loss = d.losses(None, codes)[1]
        loss.backward()
        opt.step()
    assert loss.item() < 0.3 * first
    # The mixer's adversarial loss is then high for these codes.
    assert d.losses(None, codes)[0].item() > 1.0


def test_mine_estimates_dependence():
    t = MINEStatistics(noise_dim=2, latent_dim=2, n_layers=1, hidden=(32,))
    opt = torch.optim.Adam(t.parameters(), lr=1e-2)
    s = torch.randn(512, 2)
    for _ in range(200):
        opt.zero_grad()
        t.losses(s, s[:, None, :])[1].backward()
        opt.step()
    dependent = t.mutual_information(s, s[:, None, :]).item()
    independent = t.mutual_information(s, torch.randn(512, 1, 2)).item()
    # The estimate after 200 steps lies near 0.5 (it varies with the CPU's
    # kernels), the independent pair's near 0: a margin, not a knife edge.
    assert dependent > 0.35 and independent < 0.1


def test_cross_entropy_label_smoothing_is_the_training_loss_only():
    import torch.nn.functional as F

    from sk_hypergan._core.losses import CrossEntropyLoss

    logits = torch.randn(3, 8, 4, generator=torch.Generator().manual_seed(0))
    y = torch.arange(8) % 4
    smooth, plain = CrossEntropyLoss(label_smoothing=0.1), CrossEntropyLoss()
    expected = F.cross_entropy(logits.reshape(24, 4), y.repeat(3), label_smoothing=0.1)
    torch.testing.assert_close(smooth(logits, y), expected)
    assert not torch.isclose(smooth(logits, y), plain(logits, y))
    weights = torch.ones(8)
    torch.testing.assert_close(smooth(logits, y, weights), expected)
    # the held-out score is the plain log loss of the average
    torch.testing.assert_close(smooth.ensemble_loss(logits, y), plain.ensemble_loss(logits, y))


def test_cross_entropy_smooths_towards_the_prior():
    from sk_hypergan._core.losses import CrossEntropyLoss

    logits = torch.randn(3, 8, 4, generator=torch.Generator().manual_seed(0))
    y = torch.arange(8) % 4
    weights = torch.rand(8, generator=torch.Generator().manual_seed(1))
    # an even prior is torch's label smoothing, weighted or not
    even, torchs = CrossEntropyLoss(0.1, torch.full((4,), 0.25)), CrossEntropyLoss(0.1)
    torch.testing.assert_close(even(logits, y), torchs(logits, y))
    torch.testing.assert_close(even(logits, y, weights), torchs(logits, y, weights))
    # the loss is the cross-entropy against (1 - eps) one-hot + eps prior
    prior = torch.tensor([0.7, 0.1, 0.1, 0.1])
    target = 0.9 * torch.nn.functional.one_hot(y, 4) + 0.1 * prior
    expected = -(target * logits.log_softmax(-1)).sum(-1).mean()
    torch.testing.assert_close(CrossEntropyLoss(0.1, prior)(logits, y), expected)
    # a rare class's optimum stays rare: the minimiser of the smoothed loss
    # for a row of class 0 gives class 3 probability 0.1 * prior[3]
    free = torch.zeros(1, 1, 4, requires_grad=True)
    opt = torch.optim.LBFGS([free], max_iter=200)
    loss = CrossEntropyLoss(0.1, prior)

    def closure():
        opt.zero_grad()
        value = loss(free, torch.zeros(1, dtype=torch.long))
        value.backward()
        return value

    opt.step(closure)
    p = free.detach().softmax(-1).flatten()
    torch.testing.assert_close(p, 0.9 * torch.eye(4)[0] + 0.1 * prior, atol=1e-4, rtol=0)
    # the prior follows the module to another device (a buffer)
    assert "smoothing_prior" in dict(CrossEntropyLoss(0.1, prior).named_buffers())
