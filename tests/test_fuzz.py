"""Property-based fuzzing of both estimators with hypothesis.

Random small data sets (2-30 rows, 1-5 features, scales 1e-3..1e3, integer or
string labels with 2-5 classes) and tiny fits: only documented exceptions may
be raised, and predictions must be finite and of the documented shapes.
"""

import os
import warnings

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sk_hypergan import DivergenceWarning, HyperGANClassifier, HyperGANRegressor

from conftest import TINY

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
            "n_prediction_networks": st.integers(1, 5),
            "batch_size": st.integers(1, 32),
            "noise_dim": st.integers(1, 4),
            "latent_dim": st.integers(1, 4),
            "use_mixer": st.booleans(),
            "regularizer": st.sampled_from(["discriminator", "mine"]),
            "random_state": st.integers(0, 2**31 - 2),
        }
    )


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
    assert est.n_features_in_ == X.shape[1]
    return True


# Each test also runs one plain example (explicit, before the generated ones),
# so the checks after a successful fit run whatever hypothesis draws.
PLAIN_X = np.linspace(-1, 1, 24).reshape(12, 2)
PLAIN_PARAMS = dict(
    max_epochs=2, n_networks=2, n_prediction_networks=3, batch_size=4, noise_dim=2,
    latent_dim=2, use_mixer=True, regularizer="discriminator", random_state=0,
)


@SETTINGS
@given(data=data_sets("reg"), params=estimator_params())
@example(data=(PLAIN_X, PLAIN_X.sum(axis=1)), params=PLAIN_PARAMS)
def test_fuzz_regressor(data, params):
    X, y = data
    est = HyperGANRegressor(**{**TINY, **params})
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


@SETTINGS
@given(data=data_sets("clf"), params=estimator_params())
@example(data=(PLAIN_X, np.array(["a", "b", "c"] * 4)), params=PLAIN_PARAMS)
def test_fuzz_classifier(data, params):
    X, y = data
    est = HyperGANClassifier(**{**TINY, **params})
    if not _fit(est, X, y):
        return
    np.testing.assert_array_equal(est.classes_, np.unique(y))
    assert len(est.classes_) >= 2  # a single class is refused (in _fit)
    proba = est.predict_proba(X)
    assert proba.shape == (len(X), len(est.classes_))
    assert np.isfinite(proba).all() and (proba >= 0).all() and (proba <= 1).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    pred = est.predict(X)
    assert pred.shape == (len(X),) and pred.dtype == est.classes_.dtype
    np.testing.assert_array_equal(pred, est.classes_[proba.argmax(axis=1)])
    u = est.predict_uncertainty(X)
    for name, value in u.items():
        assert value.shape == (len(X),) and np.isfinite(value).all() and (value >= 0).all(), name
