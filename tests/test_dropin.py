"""Drop-in use on tabular data (issue 16): sparse X, sample_weight,
class_weight, metadata routing, the progress bar."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn import config_context
from sklearn.metrics import make_scorer, r2_score
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MaxAbsScaler

from sk_hypergan import HyperGANClassifier, HyperGANRegressor
from sk_hypergan._core.losses import CrossEntropyLoss, GaussianNLLLoss
from sk_hypergan._net import _Batch
from sk_hypergan.targets import conv2d, from_module, mlp

from conftest import FAST

QUICK = {**FAST, "max_epochs": 4}  # equalities and plumbing: a short fit is enough


def _data(n=120, d=12, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(size=(n, d))
    X[X < 0.7] = 0  # about 30% stored entries
    y = X @ rng.normal(size=d) + 0.1 * rng.normal(size=n)
    return X, y


SPARSE = [sp.csr_matrix, sp.csc_matrix, sp.csr_array, sp.coo_matrix]


# -- sparse X ----------------------------------------------------------------
@pytest.mark.parametrize("container", SPARSE)
def test_regressor_sparse_equals_dense(container):
    X, y = _data()
    dense = HyperGANRegressor(**QUICK).fit(X, y)
    sparse_fit = HyperGANRegressor(**QUICK).fit(container(X), y)
    Xs = container(X)
    # The same networks on sparse and dense rows: float32 round-off only.
    for method in ("predict", "predict_interval"):
        np.testing.assert_allclose(
            getattr(dense, method)(Xs), getattr(dense, method)(X), rtol=1e-5, atol=1e-5
        )
    u_s, u_d = dense.predict_uncertainty(Xs), dense.predict_uncertainty(X)
    for key in u_d:
        np.testing.assert_allclose(u_s[key], u_d[key], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        dense.sample_y(Xs, n_samples=3), dense.sample_y(X, n_samples=3), rtol=1e-5, atol=1e-5
    )
    # Training on sparse rows follows the dense fit (same batches and noise).
    np.testing.assert_allclose(sparse_fit.predict(X), dense.predict(X), rtol=1e-4, atol=1e-4)


def test_classifier_sparse_equals_dense_with_partial_fit():
    X, y = _data()
    y = (y > np.median(y)).astype(int)
    Xs = sp.csr_matrix(X)
    dense = HyperGANClassifier(**QUICK).fit(X, y).partial_fit(X, y)
    sparse_fit = HyperGANClassifier(**QUICK).fit(Xs, y).partial_fit(Xs, y)
    np.testing.assert_allclose(dense.predict_proba(Xs), dense.predict_proba(X), atol=1e-6)
    np.testing.assert_allclose(sparse_fit.predict_proba(X), dense.predict_proba(X), atol=1e-4)
    u_s, u_d = dense.predict_uncertainty(Xs), dense.predict_uncertainty(X)
    np.testing.assert_allclose(u_s.epistemic, u_d.epistemic, atol=1e-5)


def test_mlp_forward_sparse_gradients_match_dense():
    from sk_hypergan._net import _sparse_rows

    X, _ = _data(n=30, d=7)
    net = mlp((5,)).build(7, 2)
    params = {
        n: torch.randn(3, *s, requires_grad=True) for n, s in net.param_shapes.items()
    }
    out_d = net.forward(params, torch.from_numpy(X.astype(np.float32)))
    grads_d = torch.autograd.grad(out_d.square().sum(), list(params.values()))
    out_s = net.forward(params, _sparse_rows(sp.csr_matrix(X.astype(np.float32))))
    grads_s = torch.autograd.grad(out_s.square().sum(), list(params.values()))
    torch.testing.assert_close(out_s, out_d, rtol=1e-5, atol=1e-5)
    for g_s, g_d in zip(grads_s, grads_d):
        torch.testing.assert_close(g_s, g_d, rtol=1e-4, atol=1e-4)


def test_sparse_is_never_densified(monkeypatch):
    """Fit and predict slice rows of the CSR matrix: nothing densifies it."""
    X, y = _data()

    def refuse(self, *args, **kwargs):
        raise AssertionError("a whole sparse matrix was densified")

    for cls in (sp.csr_matrix, sp.csr_array):
        monkeypatch.setattr(cls, "toarray", refuse)
        monkeypatch.setattr(cls, "todense", refuse)
    reg = HyperGANRegressor(**QUICK).fit(sp.csr_matrix(X), y)
    reg.predict(sp.csr_matrix(X))


def test_sparse_predict_chunks_are_sparse():
    X, y = _data(n=300)
    reg = HyperGANRegressor(**QUICK).fit(X, y)
    reg.net_._rows_per_chunk = lambda n, max_elements=None: 64  # several chunks
    noise = reg._networks.noise(4)
    outs = list(reg.net_.iter_member_outputs(sp.csr_matrix(X.astype(np.float32)), noise))
    assert [o.shape[1] for o in outs] == [64, 64, 64, 64, 44]
    dense = torch.cat(list(reg.net_.iter_member_outputs(X.astype(np.float32), noise)), 1)
    torch.testing.assert_close(torch.cat(outs, 1), dense, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "target",
    [conv2d(input_shape=(1, 3, 4)), from_module(torch.nn.Sequential(torch.nn.Linear(12, 2)))],
)
def test_sparse_needs_mlp_target(target):
    X, y = _data()
    reg = HyperGANRegressor(target=target, **QUICK)
    assert not reg.__sklearn_tags__().input_tags.sparse
    with pytest.raises(ValueError, match="Sparse X is supported with the mlp target only"):
        reg.fit(sp.csr_matrix(X), y)
    reg.fit(X, y)
    with pytest.raises(ValueError, match="Sparse X is supported with the mlp target only"):
        reg.predict(sp.csr_matrix(X))


def test_sparse_tag():
    assert HyperGANRegressor().__sklearn_tags__().input_tags.sparse
    assert HyperGANClassifier(target=mlp((8,))).__sklearn_tags__().input_tags.sparse


# -- sample_weight -----------------------------------------------------------
def _outputs(est, X):
    """Outputs (B, rows, k) of a fitted estimator's prediction networks on X."""
    net = est.net_
    noise = est._networks.noise(6, 0)
    with torch.no_grad():
        return net.module_(torch.from_numpy(X.astype(np.float32)), noise.to(net.device))[0]


@pytest.mark.parametrize("Est", [HyperGANRegressor, HyperGANClassifier])
def test_weighted_loss_equals_repeated_rows(Est):
    """For the same networks, integer weights == repeated rows, zero weight ==
    dropped row: in the criterion (training) and in the net's validation step
    (held-out split)."""
    X, y = _data(n=40)
    if Est is HyperGANClassifier:
        y = (y > np.median(y)).astype(int)
    est = Est(**QUICK).fit(X, y)
    w = np.random.RandomState(1).randint(0, 4, size=len(y))
    repeat = np.repeat(np.arange(len(y)), w)
    y_enc = est._transform_y(y)
    out = _outputs(est, X)
    crit = est.net_.criterion_
    wt = torch.from_numpy(w.astype(np.float32))
    yt = torch.from_numpy(y_enc)
    torch.testing.assert_close(crit(out, yt, wt), crit(out[:, repeat], yt[repeat]))
    torch.testing.assert_close(
        crit.ensemble_loss(out, yt, wt), crit.ensemble_loss(out[:, repeat], yt[repeat])
    )
    X32 = torch.from_numpy(X.astype(np.float32))
    weighted = est.net_.validation_step(_Batch((X32, yt, wt)))["loss"]
    repeated = est.net_.validation_step(_Batch((X32[repeat], yt[repeat])))["loss"]
    torch.testing.assert_close(weighted, repeated)


@pytest.mark.parametrize("loss", [GaussianNLLLoss(), CrossEntropyLoss()])
def test_unit_weights_equal_unweighted_loss(loss):
    out = torch.randn(3, 10, 2)
    y = torch.randn(10, 1) if isinstance(loss, GaussianNLLLoss) else torch.randint(0, 2, (10,))
    ones = torch.ones(10)
    torch.testing.assert_close(loss(out, y, ones), loss(out, y))
    torch.testing.assert_close(loss.ensemble_loss(out, y, 3 * ones), loss.ensemble_loss(out, y))


def test_unit_sample_weight_matches_unweighted_fit():
    X, y = _data()
    a = HyperGANRegressor(**QUICK).fit(X, y)
    b = HyperGANRegressor(**QUICK).fit(X, y, sample_weight=np.ones(len(y)))
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-4, atol=1e-4)


def test_weighted_fit_with_early_stopping_and_partial_fit():
    X, y = _data(n=240)
    w = np.r_[np.zeros(40), np.ones(200)]
    reg = HyperGANRegressor(early_stopping=True, **QUICK).fit(X, y, sample_weight=w)
    assert "valid_loss" in reg.history_[-1]
    reg.partial_fit(X, y, sample_weight=w)
    assert np.isfinite(reg.predict(X)).all()


@pytest.mark.parametrize("Est", [HyperGANRegressor, HyperGANClassifier])
def test_bad_sample_weight(Est):
    X, y = _data(n=30)
    y = (y > 0).astype(int)
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        Est(**QUICK).fit(X, y, sample_weight=np.r_[-1.0, np.ones(29)])
    with pytest.raises(ValueError, match=r"sample_weight.shape == \(29,\), expected \(30,\)"):
        Est(**QUICK).fit(X, y, sample_weight=np.ones(29))
    with pytest.raises(ValueError, match="Sample weights must be 1D"):
        Est(**QUICK).partial_fit(X, y, sample_weight=np.ones((30, 2)), **(
            {"classes": [0, 1]} if Est is HyperGANClassifier else {}
        ))


def test_metadata_routing_pipeline_gridsearch_cross_validate(monkeypatch):
    X, y = _data(n=60)
    w = np.arange(60, dtype=float) % 3
    seen = []
    original = HyperGANRegressor._sample_weight

    def spy(self, y, sample_weight, streaming=False):
        seen.append(None if sample_weight is None else len(sample_weight))
        return original(self, y, sample_weight, streaming)

    monkeypatch.setattr(HyperGANRegressor, "_sample_weight", spy)
    with config_context(enable_metadata_routing=True):
        reg = HyperGANRegressor(**QUICK).set_fit_request(sample_weight=True)
        pipe = Pipeline([("scale", MaxAbsScaler()), ("reg", reg)])
        pipe.fit(sp.csr_matrix(X), y, sample_weight=w)
        assert seen == [60]
        seen.clear()
        # Weighted R^2 on the test folds.
        r2 = make_scorer(r2_score).set_score_request(sample_weight=True)
        search = GridSearchCV(pipe, {"reg__beta": [0.5, 1.0]}, cv=KFold(3), scoring=r2)
        search.fit(X, y, sample_weight=w)
        assert seen == [40] * 6 + [60]  # every fold and the refit got its rows' weights
        seen.clear()
        cross_validate(pipe, X, y, cv=KFold(2), scoring=r2, params={"sample_weight": w})
        assert seen == [30, 30]
        # Not requested: an error, not silently unweighted.
        plain = Pipeline([("reg", HyperGANRegressor(**QUICK))])
        with pytest.raises(ValueError, match="sample_weight"):
            plain.fit(X, y, sample_weight=w)


# -- class_weight ------------------------------------------------------------
def _imbalanced():
    X, y = _data(n=100)
    labels = np.where(y > np.quantile(y, 0.8), "rare", "common")
    return X, labels


def test_class_weight_balanced_and_dict():
    from sklearn.utils.class_weight import compute_sample_weight

    X, y = _imbalanced()
    clf = HyperGANClassifier(class_weight="balanced", **QUICK)
    clf.fit(X, y)
    np.testing.assert_allclose(
        clf._sample_weight(y, None), compute_sample_weight("balanced", y)
    )
    clf.set_params(class_weight={"rare": 4.0})
    np.testing.assert_allclose(
        clf._sample_weight(y, np.full(len(y), 0.5)), np.where(y == "rare", 2.0, 0.5)
    )
    clf.fit(X, y)
    # The rare class gains probability when it weighs more.
    plain = HyperGANClassifier(**QUICK).fit(X, y)
    rare = list(clf.classes_).index("rare")
    assert clf.predict_proba(X)[:, rare].mean() > plain.predict_proba(X)[:, rare].mean()


def test_class_weight_errors():
    X, y = _imbalanced()
    with pytest.raises(ValueError, match=r"class_weight has labels \['typo'\]"):
        HyperGANClassifier(class_weight={"typo": 2.0}, **QUICK).fit(X, y)
    with pytest.raises(ValueError, match="class_weight='balanced' is not supported by partial_fit"):
        HyperGANClassifier(class_weight="balanced", **QUICK).partial_fit(
            X, y, classes=["common", "rare"]
        )
    with pytest.raises(ValueError, match="class_weight"):
        HyperGANClassifier(class_weight="heavy", **QUICK).fit(X, y)
    # A dict works with partial_fit.
    HyperGANClassifier(class_weight={"rare": 3}, **QUICK).partial_fit(
        X, y, classes=["common", "rare"]
    )


# -- progress bar --------------------------------------------------------------
def test_verbose_2_shows_a_progress_bar(capsys):
    X, y = _data(n=40)
    HyperGANRegressor(**QUICK).fit(X, y)
    assert capsys.readouterr().err == ""
    reg = HyperGANRegressor(verbose=2, **{**QUICK, "max_epochs": 2}).fit(X, y)
    captured = capsys.readouterr()
    assert "it/s" in captured.err or "s/it" in captured.err  # tqdm's bar
    assert "epoch" in captured.out  # and the per-epoch table
    assert "progress_bar" in dict(reg.net_.callbacks_)


def test_classifier_weighted_sparse_with_stratified_early_stopping():
    """Weights travel through skorch's stratified held-out split (as a dict X)."""
    rng = np.random.RandomState(0)
    X = rng.randn(300, 5)
    y = (X[:, 0] > 0.8).astype(int)
    clf = HyperGANClassifier(class_weight="balanced", early_stopping=True, **QUICK)
    clf.fit(sp.csr_matrix(X), y, sample_weight=rng.uniform(0.5, 1.5, size=300))
    assert np.isfinite(clf.history_[:, "valid_loss"]).all()
