"""Streaming: ``partial_fit`` on both estimators (one epoch per call)."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from sk_hypergan import HyperGANClassifier, HyperGANRegressor

from conftest import FAST


@pytest.fixture(scope="module")
def stream_regression():
    rng = np.random.RandomState(0)
    X = rng.uniform(-2, 2, size=(320, 2))
    y = np.sin(1.5 * X[:, 0]) + 0.5 * X[:, 1] + 0.05 * rng.standard_normal(320)
    return X, y


@pytest.fixture(scope="module")
def stream_classification():
    X, y = make_blobs(n_samples=300, centers=3, n_features=2, random_state=0)
    return X, np.array(["a", "b", "c"])[y]


def test_regressor_streaming_learns(stream_regression):
    X, y = stream_regression
    batches = list(zip(np.array_split(X, 10), np.array_split(y, 10)))
    reg = HyperGANRegressor(**FAST).partial_fit(*batches[0])
    first = reg.score(X, y)
    for _ in range(6):
        for Xb, yb in batches:
            reg.partial_fit(Xb, yb)
    assert len(reg.history_) == 1 + 6 * len(batches)  # one epoch per call
    assert reg.score(X, y) > max(first + 0.2, 0.7)


def test_classifier_streaming_learns(stream_classification):
    X, y = stream_classification
    # The stream starts with one class only: ``classes`` announces them all.
    order = np.argsort(y != "a", kind="stable")
    X, y = X[order], y[order]
    batches = list(zip(np.array_split(X, 10), np.array_split(y, 10)))
    assert set(batches[0][1]) == {"a"}
    clf = HyperGANClassifier(**FAST).partial_fit(*batches[0], classes=["a", "b", "c"])
    first = clf.score(X, y)
    for _ in range(6):
        for Xb, yb in batches:
            clf.partial_fit(Xb, yb)
    assert clf.classes_.tolist() == ["a", "b", "c"]
    assert clf.predict_proba(X[:3]).shape == (3, 3)
    assert clf.score(X, y) > max(first + 0.3, 0.8)


def test_first_call_initialises_like_fit(stream_regression, stream_classification):
    X, y = stream_regression
    streamed = HyperGANRegressor(**FAST).partial_fit(X, y)
    # partial_fit never holds rows out nor averages the weights: compare with a fit
    # that does neither.
    fitted = HyperGANRegressor(
        **{**FAST, "max_epochs": 1}, early_stopping=False, weight_averaging=None
    ).fit(X, y)
    np.testing.assert_array_equal(streamed.predict(X), fitted.predict(X))
    Xc, yc = stream_classification
    streamed = HyperGANClassifier(**FAST).partial_fit(Xc, yc, classes=np.unique(yc))
    fitted = HyperGANClassifier(**{**FAST, "max_epochs": 1}, early_stopping=False).fit(Xc, yc)
    np.testing.assert_array_equal(streamed.predict_proba(Xc), fitted.predict_proba(Xc))


def test_partial_fit_after_early_stopped_fit_uses_every_row(stream_regression):
    X, y = stream_regression  # 320 rows: the fit holds 10% out and stops on them
    reg = HyperGANRegressor(**{**FAST, "max_epochs": 3}).fit(X, y)
    assert "valid_loss" in reg.history_[-1]
    reg.partial_fit(X[:100], y[:100])
    last = reg.history_[-1]
    assert "valid_loss" not in last
    assert sum(b["train_batch_size"] for b in last["batches"]) == 100
    # A later warm-started fit early-stops again.
    reg.set_params(warm_start=True, max_epochs=2).fit(X, y)
    assert "valid_loss" in reg.history_[-1] and len(reg.history_) == 6


def test_streaming_is_reproducible(stream_regression):
    X, y = stream_regression
    a, b = HyperGANRegressor(**FAST), HyperGANRegressor(**FAST)
    for Xb, yb in zip(np.array_split(X, 3), np.array_split(y, 3)):
        a.partial_fit(Xb, yb)
        b.partial_fit(Xb, yb)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


def test_regressor_keeps_first_batch_scaling(stream_regression):
    # Documented limitation: y is standardised with the first batch's statistics.
    X, y = stream_regression
    reg = HyperGANRegressor(**FAST).partial_fit(X[:50], y[:50])
    mean, scale = reg._y_mean.copy(), reg._y_scale.copy()
    reg.partial_fit(X[50:], 10 * y[50:])
    np.testing.assert_array_equal(reg._y_mean, mean)
    np.testing.assert_array_equal(reg._y_scale, scale)
    np.testing.assert_allclose(mean, [y[:50].mean()])


def test_classifier_classes_required_on_first_call(stream_classification):
    X, y = stream_classification
    with pytest.raises(ValueError, match="classes must be passed"):
        HyperGANClassifier(**FAST).partial_fit(X, y)


def test_classifier_classes_must_match(stream_classification):
    X, y = stream_classification
    clf = HyperGANClassifier(**FAST).partial_fit(X, y, classes=["a", "b", "c"])
    clf.partial_fit(X, y, classes=["c", "b", "a"])  # same set, any order
    with pytest.raises(ValueError, match="not the same as on the first call"):
        clf.partial_fit(X, y, classes=["a", "b", "c", "d"])


def test_classifier_labels_outside_classes(stream_classification):
    X, y = stream_classification
    with pytest.raises(ValueError, match="not in classes"):
        HyperGANClassifier(**FAST).partial_fit(X, y, classes=["a", "b"])
    clf = HyperGANClassifier(**FAST).partial_fit(X, y, classes=["a", "b", "c"])
    with pytest.raises(ValueError, match="not seen"):
        clf.partial_fit(X[:5], ["z"] * 5)


def test_classifier_needs_two_classes(stream_classification):
    X, y = stream_classification
    with pytest.raises(ValueError, match="at least 2 classes"):
        HyperGANClassifier(**FAST).partial_fit(X[y == "a"], y[y == "a"], classes=["a"])


@pytest.mark.parametrize("Estimator", [HyperGANRegressor, HyperGANClassifier])
def test_n_features_must_match(Estimator, stream_regression, stream_classification):
    X, y = stream_classification if Estimator is HyperGANClassifier else stream_regression
    kwargs = {"classes": np.unique(y)} if Estimator is HyperGANClassifier else {}
    est = Estimator(**FAST).partial_fit(X, y, **kwargs)
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(np.hstack([X, X[:, :1]]), y)
    assert est.n_features_in_ == X.shape[1]


def test_regressor_n_targets_must_match(stream_regression):
    X, y = stream_regression
    reg = HyperGANRegressor(**FAST).partial_fit(X, y)
    with pytest.raises(ValueError, match="targets"):
        reg.partial_fit(X, np.column_stack([y, y]))


@pytest.mark.parametrize("Estimator", [HyperGANRegressor, HyperGANClassifier])
def test_partial_fit_after_fit_continues(Estimator, stream_regression, stream_classification):
    X, y = stream_classification if Estimator is HyperGANClassifier else stream_regression
    est = Estimator(**{**FAST, "max_epochs": 3}).fit(X, y)
    before = est.predict(X) if Estimator is HyperGANRegressor else est.predict_proba(X)
    net = est.net_
    est.partial_fit(X, y)  # no classes needed: those of the fit
    after = est.predict(X) if Estimator is HyperGANRegressor else est.predict_proba(X)
    assert est.net_ is net  # the same networks, trained further
    assert len(est.history_) == 4
    assert not np.allclose(before, after)
    if Estimator is HyperGANClassifier:
        assert est.classes_.tolist() == ["a", "b", "c"]


def test_fit_after_partial_fit_starts_over(stream_regression):
    X, y = stream_regression
    reg = HyperGANRegressor(**{**FAST, "max_epochs": 2})
    reg.partial_fit(X, y).partial_fit(X, y).partial_fit(X, y)
    reg.fit(X, y)
    assert len(reg.history_) == 2
    np.testing.assert_array_equal(
        reg.predict(X), HyperGANRegressor(**{**FAST, "max_epochs": 2}).fit(X, y).predict(X)
    )


def test_partial_fit_validates_params(stream_regression):
    X, y = stream_regression
    with pytest.raises(ValueError, match="n_networks"):
        HyperGANRegressor(n_networks=0).partial_fit(X, y)
