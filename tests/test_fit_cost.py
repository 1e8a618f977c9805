"""The fit-cost machinery: one backward pass for both players, lazy regularisation,
fan-in-scaled rates, the in-memory batch iterator and the thread policy."""

import numpy as np
import pytest
import torch

from sk_hypergan import HyperGANClassifier, HyperGANRegressor
from sk_hypergan._core import CodeDiscriminator
from sk_hypergan._net import _fan_in_scaled, _TensorBatches


def test_one_backward_gives_each_player_its_own_gradient():
    # d(data + beta * G + D_loss) must equal d(data + beta * G) for the codes'
    # side and d(D_loss) for the discriminator: the same gradients as two
    # separate backward passes (the alternating updates of Eq. 2).
    torch.manual_seed(0)
    d = CodeDiscriminator(latent_dim=3, hidden=(8, 8)).eval()
    source = torch.randn(10, 2, 3, requires_grad=True)
    codes = source * 2.0  # the mixer's side: gradients reach ``source``
    torch.manual_seed(1)
    generator, own = d.losses(None, codes)
    (3.0 * generator + own).backward()
    joint_codes = source.grad.clone()
    joint_d = [p.grad.clone() for p in d.parameters()]

    source.grad = None
    d.zero_grad()
    torch.manual_seed(1)
    generator, own = d.losses(None, source * 2.0)
    expected_codes = torch.autograd.grad(3.0 * generator, source, retain_graph=True)[0]
    expected_d = torch.autograd.grad(own, list(d.parameters()))
    torch.testing.assert_close(joint_codes, expected_codes)
    for got, want in zip(joint_d, expected_d):
        torch.testing.assert_close(got, want)


def test_lazy_regularisation_updates_the_discriminator_every_interval_steps():
    rng = np.random.RandomState(0)
    X, y = rng.randn(64, 3), rng.randn(64)
    reg = HyperGANRegressor(max_epochs=1, batch_size=64, early_stopping=False,
                            random_state=0).fit(X, y)
    net = reg.net_
    assert net.regularizer_interval == 4
    batch = (torch.as_tensor(X[:32], dtype=torch.float32),
             torch.as_tensor(y[:32, None], dtype=torch.float32))
    changed = []
    for _ in range(8):
        before = [p.detach().clone() for p in net.regularizer_.parameters()]
        net.train_step(batch)
        after = list(net.regularizer_.parameters())
        changed.append(any(not torch.equal(a, b) for a, b in zip(before, after)))
    # 8 steps: every 4th updates the discriminator.
    updates = [i for i, c in enumerate(changed) if c]
    assert len(updates) == 2 and updates[1] - updates[0] == 4
    # The classifier keeps the paper's every-step alternation.
    clf = HyperGANClassifier(max_epochs=1, random_state=0).fit(X, y > 0)
    assert clf.net_.regularizer_interval == 1


def test_fan_in_scaled_rates():
    module = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ELU(), torch.nn.Linear(4, 2))
    opt = _fan_in_scaled(torch.optim.Adam(module.parameters(), lr=0.1), module)
    rates = {id(p): g["lr"] for g in opt.param_groups for p in g["params"]}
    assert rates[id(module[0].weight)] == pytest.approx(0.1 / 8)
    assert rates[id(module[2].weight)] == pytest.approx(0.1 / 4)
    assert rates[id(module[0].bias)] == rates[id(module[2].bias)] == pytest.approx(0.1)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)  # biases first
    assert sum(len(g["params"]) for g in opt.param_groups) == 4


def test_regressor_rates_and_batches_grow_with_the_rows():
    reg = HyperGANRegressor()
    assert reg._batch_size(20) == 5 and reg._batch_size(455) == 32
    assert reg._batch_size(2000) == 125 and reg._batch_size(10**6) == 256
    assert reg._lr(20) == pytest.approx(1e-2 * np.sqrt(5 / 32))
    assert reg._lr(455) == reg._lr(10**6) == pytest.approx(1e-2)
    assert HyperGANRegressor(lr=0.5)._lr(10**6) == 0.5
    assert HyperGANClassifier()._lr(10**6) == pytest.approx(1e-3)


@pytest.mark.parametrize("shuffle", [True, False])
def test_tensor_batches_cover_every_row_once(shuffle):
    X = np.arange(50, dtype=np.float32).reshape(25, 2)
    y = np.arange(25, dtype=np.float32)
    batches = list(_TensorBatches(X, y, 8, shuffle))
    assert [len(b[0]) for b in batches] == [8, 8, 8, 1]
    assert len(_TensorBatches(X, y, 8, shuffle)) == 4
    rows = torch.cat([b[1] for b in batches]).numpy()
    np.testing.assert_array_equal(np.sort(rows), y)
    if not shuffle:
        np.testing.assert_array_equal(rows, y)
    for Xb, yb in batches:  # X and y rows stay paired
        np.testing.assert_array_equal(Xb[:, 0].numpy(), 2 * yb.numpy())


@pytest.mark.parametrize("n_threads, inside", [(1, 1), (None, 2)])
def test_thread_limit_applies_inside_and_is_restored(n_threads, inside):
    from skorch.callbacks import Callback

    seen = []

    class Record(Callback):
        def on_epoch_end(self, net, **kwargs):
            seen.append(torch.get_num_threads())

    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        rng = np.random.RandomState(0)
        X, y = rng.randn(40, 2), rng.randn(40)
        HyperGANRegressor(max_epochs=2, n_threads=n_threads, callbacks=[Record()],
                          random_state=0).fit(X, y)
        assert seen == [inside, inside]
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(previous)
