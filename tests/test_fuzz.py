"""Property-based fuzzing of both estimators with hypothesis.

Random small data sets (2-30 rows, 1-5 features, scales 1e-3..1e3, integer or
string labels with 2-5 classes) and tiny fits: only documented exceptions may
be raised, and predictions must be finite and of the documented shapes.
"""

import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sk_hypergan import DivergenceWarning, HyperGANClassifier, HyperGANRegressor
from sk_hypergan.targets import mlp

# More examples for a deeper run: SK_HYPERGAN_FUZZ_EXAMPLES=500 pytest tests/test_fuzz.py
MAX_EXAMPLES = int(os.environ.get("SK_HYPERGAN_FUZZ_EXAMPLES", 30))
SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,  # write nothing into the repository
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

unit_floats = st.floats(-1, 1, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def data_sets(draw, kind):
    n_rows = draw(st.integers(2, 30))
    n_features = draw(st.integers(1, 5))
    x_scale = 10.0 ** draw(st.integers(-3, 3))
    X = draw(hnp.arrays(np.float64, (n_rows, n_features), elements=unit_floats)) * x_scale
    if kind == "reg":
        y_scale = 10.0 ** draw(st.integers(-3, 3))
        y = draw(hnp.arrays(np.float64, n_rows, elements=unit_floats)) * y_scale
    else:
        n_classes = draw(st.integers(2, 5))
        label_sets = [
            np.arange(n_classes),  # 0, 1, ...
            np.arange(n_classes) * 7 - 3,  # negative and unevenly spaced ints
            np.array(["a", "b", "c", "d", "e"][:n_classes]),  # strings
        ]
        labels = draw(st.sampled_from(label_sets))
        y = labels[draw(hnp.arrays(np.int64, n_rows, elements=st.integers(0, n_classes - 1)))]
    return X, y


def estimator_params():
    return st.fixed_dictionaries(
        {
            "max_epochs": st.integers(1, 3),
            "n_networks": st.integers(1, 4),
            "n_samples": st.integers(1, 5),
            "batch_size": st.integers(1, 32),
            "noise_dim": st.integers(1, 4),
            "latent_dim": st.integers(1, 4),
            "use_mixer": st.booleans(),
            "regularizer": st.sampled_from(["discriminator", "mine"]),
            "random_state": st.integers(0, 2**31 - 2),
        }
    )


SMALL = dict(mixer_hidden_sizes=(8,), generator_hidden_sizes=(8,), target=mlp((8,)))


def _fit(est, X, y):
    """Fit; return False when the fit failed in a documented way."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)  # documented: rolled back, finite
        try:
            est.fit(X, y)
        except ValueError as exc:  # TrainingDivergedError is a ValueError too
            message = str(exc)
            documented = ("only one class", "Training diverged")
            assert any(m in message for m in documented), message
            if "only one class" in message:
                assert len(np.unique(y)) == 1
            return False
    return True


def _run(kind, body):
    """Run the hypothesis test ``body`` and return how many examples it ran."""
    count = []

    @SETTINGS
    @given(data=data_sets(kind), params=estimator_params())
    def test(data, params):
        count.append(1)
        body(*data, params)

    test()
    return len(count)


def check_regressor(X, y, params):
    est = HyperGANRegressor(**SMALL, **params)
    if not _fit(est, X, y):
        return
    u = est.predict_uncertainty(X)
    for name, value in u.items():
        assert value.shape == (len(X),), name
        assert np.isfinite(value).all(), name
    assert (u.std >= 0).all() and (u.aleatoric_std >= 0).all() and (u.epistemic_std >= 0).all()
    np.testing.assert_array_equal(est.predict(X), u.mean)
    bounds = est.predict_interval(X)
    assert bounds.shape == (len(X), 2) and (bounds[:, 0] <= bounds[:, 1]).all()


def check_classifier(X, y, params):
    est = HyperGANClassifier(**SMALL, **params)
    if not _fit(est, X, y):
        return
    np.testing.assert_array_equal(est.classes_, np.unique(y))
    proba = est.predict_proba(X)
    assert proba.shape == (len(X), len(est.classes_))
    assert np.isfinite(proba).all() and (proba >= 0).all() and (proba <= 1).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    pred = est.predict(X)
    assert pred.shape == (len(X),) and pred.dtype == est.classes_.dtype
    assert np.isin(pred, est.classes_).all()
    u = est.predict_uncertainty(X)
    for name, value in u.items():
        assert value.shape == (len(X),) and np.isfinite(value).all() and (value >= 0).all(), name


@pytest.mark.parametrize("kind", ["reg", "clf"])
def test_fuzz(kind, record_property):
    n = _run(kind, check_regressor if kind == "reg" else check_classifier)
    record_property("hypothesis_examples", n)
    print(f"{kind}: {n} hypothesis examples")
    assert n >= MAX_EXAMPLES // 2
