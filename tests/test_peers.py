"""The benchmark peers: the reference batched ensemble equals its members trained apart,
and every peer learns and reports a coherent predictive distribution."""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
pytest.importorskip("harness")
from harness import methods  # noqa: E402
from harness.reference_ensemble import MIN_VARIANCE, BatchedEnsembleRegressor  # noqa: E402


def _data(n=64, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-2, 2, (n, 3))
    return X, np.sin(X[:, 0]) + 0.5 * X[:, 1] + 0.1 * rng.standard_normal(n)


def test_batched_members_equal_members_trained_apart():
    X, y = _data()
    est = BatchedEnsembleRegressor(n_members=3, max_epochs=3, batch_size=16, random_state=4)
    est.fit(X, y)
    # The same initialisation and shuffles, drawn as fit draws them.
    rng = np.random.RandomState(4)
    gen = torch.Generator().manual_seed(int(rng.randint(np.iinfo(np.int32).max)))
    init = est._init_params(X.shape[1], gen)
    perms = [torch.argsort(torch.rand(3, len(X), generator=gen), dim=1) for _ in range(3)]
    Xt = torch.as_tensor(est.x_scaler_.transform(X), dtype=torch.float32)
    yt = torch.as_tensor(est.y_scaler_.transform(y[:, None]).ravel(), dtype=torch.float32)
    for m in range(3):  # each member alone: its own parameters, optimiser and shuffles
        p = {k: v.detach()[m].clone().requires_grad_(True) for k, v in init.items()}
        opt = torch.optim.Adam(p.values(), lr=est.lr, weight_decay=est.weight_decay)
        for perm in perms:
            for idx in perm[m].split(16):
                out = torch.relu(Xt[idx] @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
                var = F.softplus(out[:, 1]) + MIN_VARIANCE
                loss = F.gaussian_nll_loss(out[:, 0], yt[idx], var, full=True)
                opt.zero_grad()
                loss.backward()
                opt.step()
        for k in p:
            torch.testing.assert_close(p[k].detach(), est.params_[k][m], atol=2e-5, rtol=1e-4)


def test_reference_ensemble_learns():
    X, y = _data(300)
    est = BatchedEnsembleRegressor(max_epochs=60, random_state=0).fit(X, y)
    u = est.predict_uncertainty(X)
    assert np.sqrt(np.mean((u.mean - y) ** 2)) < 0.3 * y.std()
    np.testing.assert_allclose(u.std**2, u.aleatoric_std**2 + u.epistemic_std**2, rtol=1e-6)
    assert (u.epistemic_std > 0).all()


@pytest.mark.parametrize("name", ["catboost", "ngboost", "gp", "mc_dropout",
                                  "reference_ensemble", "hypergan"])
def test_regression_peers_learn(name):
    X, y = _data(300)
    params = {"n_features": 3} if name == "gp" else {}
    est = methods.make(name, 0, len(X), quick=False, **params)
    if name in ("mc_dropout", "hypergan", "reference_ensemble"):
        est.set_params(**{f"{est.steps[-1][0]}__max_epochs": 30})
    if name == "catboost":
        est.set_params(iterations=300)
    est.fit(X, y)
    mean, std = est.predict(X, return_std=True)
    assert mean.shape == std.shape == (len(X),) and (std > 0).all()
    assert np.sqrt(np.mean((mean - y) ** 2)) < 0.5 * y.std()


def test_catboost_variance_is_knowledge_plus_data():
    X, y = _data(300)
    est = methods.make("catboost", 0, len(X), quick=True).fit(X, y)
    u = est.predict_uncertainty(X)
    np.testing.assert_allclose(u.std**2, u.aleatoric_std**2 + u.epistemic_std**2, rtol=1e-9)
    assert est.model_.get_param("loss_function") == "RMSEWithUncertainty"
    assert est.model_.get_param("posterior_sampling") is True


@pytest.mark.parametrize("name", [m for m, v in methods.REGISTRY.items()
                                  if v.kind == "classifier"])
def test_classifiers_learn(name):
    rng = np.random.RandomState(0)
    X = rng.standard_normal((200, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    est = methods.make(name, 0, len(X), quick=False)
    if hasattr(est, "steps") and "max_epochs" in est[-1].get_params():
        est.set_params(**{f"{est.steps[-1][0]}__max_epochs": 30})
    proba = est.fit(X, y).predict_proba(X)
    assert proba.shape == (200, 2)
    np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-5)
    assert (proba.argmax(1) == y).mean() > 0.9


def test_gp_is_skipped_above_its_row_limit():
    assert methods.skip_reason("gp", methods.GP_MAX_ROWS + 1)
    assert methods.skip_reason("gp", methods.GP_MAX_ROWS) is None
