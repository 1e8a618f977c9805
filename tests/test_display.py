"""The Display classes: computed values, drawn artists, and errors."""

import sys

import numpy as np
import pytest
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_hypergan import (
    HyperGANClassifier,
    HyperGANRegressor,
    UncertaintyBandDisplay,
    UncertaintyHistogramDisplay,
)

from conftest import FAST

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

QUICK = {**FAST, "max_epochs": 5}  # the displays need fitted models, not good ones


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def toy_1d():
    rng = np.random.RandomState(0)
    X = rng.uniform(-2, 2, size=(40, 1))
    y = X.ravel() ** 3 + 0.3 * rng.standard_normal(40)
    return X, y


@pytest.fixture(scope="module")
def regressor(toy_1d):
    return HyperGANRegressor(**QUICK).fit(*toy_1d)


@pytest.fixture(scope="module")
def classifier(classification_data):
    return HyperGANClassifier(**QUICK).fit(*classification_data)


def test_band_from_estimator_artists(regressor, toy_1d):
    X, y = toy_1d
    disp = UncertaintyBandDisplay.from_estimator(
        regressor, X, y, x_range=(-4, 4), grid_resolution=50, n_std=2
    )
    grid = np.linspace(-4, 4, 50)
    u = regressor.predict_uncertainty(grid[:, None])

    np.testing.assert_allclose(disp.x, grid)
    np.testing.assert_allclose(disp.mean, u.mean)
    np.testing.assert_allclose(disp.std, u.std)
    np.testing.assert_allclose(disp.epistemic_std, u.epistemic_std)

    np.testing.assert_allclose(disp.line_.get_xdata(), grid)
    np.testing.assert_allclose(disp.line_.get_ydata(), u.mean)
    # The band polygon spans exactly mean -/+ 2 std.
    ys = disp.band_.get_paths()[0].vertices[:, 1]
    np.testing.assert_allclose(ys.min(), (u.mean - 2 * u.std).min(), rtol=1e-6)
    np.testing.assert_allclose(ys.max(), (u.mean + 2 * u.std).max(), rtol=1e-6)
    epi = disp.epistemic_band_.get_paths()[0].vertices[:, 1]
    assert epi.min() >= ys.min() - 1e-9 and epi.max() <= ys.max() + 1e-9
    np.testing.assert_allclose(disp.scatter_.get_offsets(), np.c_[X[:, 0], y])

    assert disp.ax_.get_xlabel() == "x0"
    labels = disp.ax_.get_legend_handles_labels()[1]
    assert labels == [
        "HyperGANRegressor mean",
        "±2 std (total)",
        "±2 std (epistemic)",
        "data",
    ]
    assert disp.figure_ is disp.ax_.figure


def test_band_plot_on_given_axes_without_epistemic(regressor, toy_1d):
    X, _ = toy_1d
    fig, ax = plt.subplots()
    disp = UncertaintyBandDisplay.from_estimator(
        regressor, X, ax=ax, show_epistemic=False, name="HG", band_kwargs={"color": "red"}
    )
    assert disp.ax_ is ax and disp.figure_ is fig
    assert disp.epistemic_band_ is None
    assert disp.scatter_ is None  # no y given
    assert disp.line_.get_label() == "HG mean"
    assert mpl.colors.same_color(disp.band_.get_facecolor()[0][:3], "red")
    # Default grid covers the data's range.
    assert disp.x.min() == X.min() and disp.x.max() == X.max()


def test_band_constructor_sorts_x():
    x = np.array([2.0, 0.0, 1.0])
    disp = UncertaintyBandDisplay(x=x, mean=x * 10, std=np.ones(3), n_std=1).plot()
    np.testing.assert_allclose(disp.line_.get_xdata(), [0, 1, 2])
    np.testing.assert_allclose(disp.line_.get_ydata(), [0, 10, 20])
    assert disp.epistemic_band_ is None and disp.scatter_ is None
    assert disp.line_.get_label() == "mean"


def test_band_slice_holds_other_features_at_median(regression_data):
    X, y = regression_data[0][:60], regression_data[1][:60]
    model = make_pipeline(StandardScaler(), HyperGANRegressor(**QUICK)).fit(X, y)
    disp = UncertaintyBandDisplay.from_estimator(model, X, feature=1, grid_resolution=7)
    grid = np.tile(np.median(X, axis=0), (7, 1))
    grid[:, 1] = np.linspace(X[:, 1].min(), X[:, 1].max(), 7)
    mean, std = model.predict(grid, return_std=True)
    np.testing.assert_allclose(disp.mean, mean)
    np.testing.assert_allclose(disp.std, std)
    assert disp.epistemic_std is not None  # found through the pipeline's last step
    assert disp.ax_.get_xlabel() == "x1"


def test_band_feature_name_with_dataframe(regression_data):
    pd = pytest.importorskip("pandas")
    X, y = regression_data[0][:60], regression_data[1][:60]
    Xdf = pd.DataFrame(X, columns=["a", "b", "c"])
    reg = HyperGANRegressor(**QUICK).fit(Xdf, y)
    disp = UncertaintyBandDisplay.from_estimator(reg, Xdf, y, feature="c", grid_resolution=5)
    assert disp.ax_.get_xlabel() == "c"
    np.testing.assert_allclose(disp.x_data, X[:, 2])
    with pytest.raises(ValueError, match="not a column"):
        UncertaintyBandDisplay.from_estimator(reg, Xdf, feature="z")


def test_band_any_regressor_with_return_std(toy_1d):
    X, y = toy_1d
    gp = GaussianProcessRegressor(alpha=0.1, optimizer=None).fit(X, y)
    disp = UncertaintyBandDisplay.from_estimator(gp, X, y, grid_resolution=11)
    assert disp.epistemic_std is None and disp.epistemic_band_ is None
    np.testing.assert_allclose(disp.std, gp.predict(disp.x[:, None], return_std=True)[1])


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        ({"feature": 3}, ValueError, "out of range"),
        ({"feature": "x"}, ValueError, "DataFrame"),
        ({"feature": 1.5}, TypeError, "int or a str"),
        ({"grid_resolution": 1}, ValueError, "grid_resolution"),
        ({"n_std": 0}, ValueError, "n_std"),
    ],
)
def test_band_errors(regressor, toy_1d, kwargs, err, match):
    with pytest.raises(err, match=match):
        UncertaintyBandDisplay.from_estimator(regressor, toy_1d[0], **kwargs)


def test_band_y_length_classifier_and_column_target(regressor, classifier, toy_1d):
    X, y = toy_1d
    with pytest.raises(ValueError, match="y has 5 values for the 40 rows of X"):
        UncertaintyBandDisplay.from_estimator(regressor, X, y[:5])
    with pytest.raises(TypeError, match="got a classifier, HyperGANClassifier"):
        UncertaintyBandDisplay.from_estimator(classifier, X)
    column = HyperGANRegressor(**QUICK).fit(X, y[:, None])  # one target, as a column
    disp = UncertaintyBandDisplay.from_estimator(column, X, y[:, None], grid_resolution=7)
    assert disp.mean.shape == (7,) and disp.y_data.shape == (40,)


def test_histogram_groups_with_nan_or_none():
    scores = np.arange(4.0)
    disp = UncertaintyHistogramDisplay.from_predictions(scores, groups=[1.0, np.nan, 1.0, np.nan])
    assert disp.labels == ["1.0", "nan"]
    np.testing.assert_array_equal(disp.scores[1], [1.0, 3.0])
    disp = UncertaintyHistogramDisplay.from_predictions(
        scores, groups=np.array(["a", None, "a", None], dtype=object)
    )
    assert disp.labels == ["None", "a"]
    np.testing.assert_array_equal(disp.scores[0], [1.0, 3.0])


def test_band_rejects_multi_target(toy_1d):
    X, y = toy_1d
    reg = HyperGANRegressor(**QUICK).fit(X, np.c_[y, -y])
    with pytest.raises(ValueError, match="single target"):
        UncertaintyBandDisplay.from_estimator(reg, X)


def test_histogram_from_estimator_groups(classifier, classification_data):
    X, _ = classification_data
    X_all = np.r_[X, X + 20.0]
    groups = np.r_[["in"] * len(X), ["out"] * len(X)]
    disp = UncertaintyHistogramDisplay.from_estimator(
        classifier, X_all, groups=groups, score="epistemic", bins=12
    )
    u = classifier.predict_uncertainty(X_all)
    np.testing.assert_allclose(disp.scores[0], u.epistemic[: len(X)])
    np.testing.assert_allclose(disp.scores[1], u.epistemic[len(X) :])
    assert disp.labels == ["in", "out"]
    assert disp.ax_.get_legend_handles_labels()[1] == ["in", "out"]
    assert disp.ax_.get_xlabel().startswith("epistemic")
    assert disp.ax_.get_ylabel() == "density"
    assert disp.ax_.get_title() == "HyperGANClassifier"
    assert len(disp.bin_edges_) == 13 and len(disp.patches_) == 2
    # Shared bins, unit area each.
    widths = np.diff(disp.bin_edges_)
    for counts in disp.counts_:
        assert counts.shape == (12,)
        np.testing.assert_allclose((counts * widths).sum(), 1.0)


def test_histogram_counts_match_numpy():
    scores = np.array([0.1, 0.2, 0.2, 0.9, 1.0])
    disp = UncertaintyHistogramDisplay.from_predictions(scores, bins=3, density=False)
    counts, edges = np.histogram(scores, bins=3)
    np.testing.assert_array_equal(disp.counts_[0], counts)
    np.testing.assert_allclose(disp.bin_edges_, edges)
    assert disp.ax_.get_ylabel() == "count"
    assert disp.ax_.get_legend() is None  # one unlabeled group


def test_histogram_regressor_scores(regressor, toy_1d):
    X, _ = toy_1d
    disp = UncertaintyHistogramDisplay.from_estimator(regressor, X, score="aleatoric")
    np.testing.assert_allclose(disp.scores[0], regressor.predict_uncertainty(X).aleatoric_std)
    assert disp.ax_.get_xlabel() == "aleatoric std"


def test_histogram_callable_score_and_errors(classifier, classification_data):
    X, _ = classification_data

    def max_proba(est, X):
        return est.predict_proba(X).max(axis=1)

    disp = UncertaintyHistogramDisplay.from_estimator(classifier, X, score=max_proba)
    np.testing.assert_allclose(disp.scores[0], classifier.predict_proba(X).max(axis=1))
    assert disp.ax_.get_xlabel() == "max_proba"

    with pytest.raises(ValueError, match="Unknown score 'nope'"):
        UncertaintyHistogramDisplay.from_estimator(classifier, X, score="nope")
    with pytest.raises(TypeError, match="no predict_uncertainty"):
        UncertaintyHistogramDisplay.from_estimator(StandardScaler().fit(X), X)
    with pytest.raises(ValueError, match="one label per score"):
        UncertaintyHistogramDisplay.from_predictions(np.ones(3), groups=["a", "b"])
    with pytest.raises(ValueError, match="2 labels for 1 groups"):
        UncertaintyHistogramDisplay(scores=[np.ones(3)], labels=["a", "b"]).plot()


@pytest.mark.parametrize(
    "make",
    [
        lambda: UncertaintyBandDisplay(x=[0, 1], mean=[0, 1], std=[1, 1]).plot(),
        lambda: UncertaintyHistogramDisplay(scores=[[0.1, 0.2]]).plot(),
        lambda: UncertaintyHistogramDisplay.from_predictions([0.1, 0.2]),
    ],
)
def test_missing_matplotlib_message(monkeypatch, make):
    # A None entry in sys.modules makes the import raise ImportError.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="requires matplotlib.*pip install matplotlib"):
        make()
