"""Behaviour of the estimators: they learn, their uncertainty is consistent,
and they work inside scikit-learn's tools."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import EarlyStopping

from sk_hypergan import HyperGANClassifier, HyperGANRegressor
from sk_hypergan._base import _VALID_THRESHOLD
from sk_hypergan.targets import conv2d, mlp

from conftest import FAST


@pytest.fixture(scope="module")
def fitted_regressor(regression_data):
    X, y = regression_data
    return HyperGANRegressor(max_epochs=60, random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def fitted_classifier(classification_data):
    X, y = classification_data
    return HyperGANClassifier(**FAST).fit(X, y)


def test_regressor_learns(fitted_regressor, regression_data):
    X, y = regression_data
    assert fitted_regressor.score(X, y) > 0.9


def test_regressor_uncertainty_decomposes(fitted_regressor, regression_data):
    X, _ = regression_data
    u = fitted_regressor.predict_uncertainty(X[:20])
    assert set(u) == {"mean", "std", "aleatoric_std", "epistemic_std"}
    assert all(v.shape == (20,) for v in u.values())
    assert (u.aleatoric_std > 0).all() and (u.epistemic_std >= 0).all()
    np.testing.assert_allclose(u.std**2, u.aleatoric_std**2 + u.epistemic_std**2)
    mean, std = fitted_regressor.predict(X[:20], return_std=True)
    np.testing.assert_array_equal(mean, u.mean)
    np.testing.assert_array_equal(std, u.std)


def test_epistemic_grows_away_from_data():
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(100, 1))
    y = np.sin(3 * X[:, 0]) + 0.1 * rng.standard_normal(100)
    reg = HyperGANRegressor(max_epochs=40, random_state=0).fit(X, y)
    inside = reg.predict_uncertainty(np.linspace(-1, 1, 50)[:, None]).epistemic_std.mean()
    outside = reg.predict_uncertainty(np.array([[-6.0], [6.0]])).epistemic_std.mean()
    assert outside > 3 * inside


def test_sample_networks_reproduce_the_ensemble(fitted_regressor, regression_data):
    X, _ = regression_data
    reg = clone(fitted_regressor).set_params(n_prediction_networks=10).fit(*regression_data)
    networks = reg.sample_networks(10)
    assert len(networks) == 10 and all(isinstance(n, torch.nn.Module) for n in networks)
    with torch.no_grad():
        outs = torch.stack([net(torch.as_tensor(X, dtype=torch.float32)) for net in networks])
    mean, var = outs[..., 0].double(), outs[..., 1].double()
    u = reg.predict_uncertainty(X)
    np.testing.assert_allclose(mean.mean(0).numpy(), u.mean, rtol=1e-4, atol=1e-4)
    # The standalone networks are uncalibrated: the ensemble's spread is theirs
    # times the calibration factor fitted on the held-out rows.
    s = reg.spread_scale_[0]
    np.testing.assert_allclose(s * var.mean(0).sqrt().numpy(), u.aleatoric_std, rtol=1e-4)
    np.testing.assert_allclose(
        s * mean.std(0, correction=0).numpy(), u.epistemic_std, rtol=1e-3, atol=1e-6
    )
    other = reg.sample_networks(2, random_state=1)
    with torch.no_grad():
        assert not torch.allclose(other[0](torch.ones(1, 3)), networks[0](torch.ones(1, 3)))


def test_sample_y_and_interval(fitted_regressor, regression_data):
    X, y = regression_data
    draws = fitted_regressor.sample_y(X[:5], n_samples=4000, random_state=0)
    assert draws.shape == (5, 4000)
    mean, std = fitted_regressor.predict(X[:5], return_std=True)
    np.testing.assert_allclose(draws.mean(axis=1), mean, atol=4 * std.max() / np.sqrt(4000) + 0.05)
    np.testing.assert_allclose(draws.std(axis=1), std, rtol=0.1)
    np.testing.assert_array_equal(
        draws, fitted_regressor.sample_y(X[:5], n_samples=4000, random_state=0)
    )
    bounds = fitted_regressor.predict_interval(X, confidence_level=0.9)
    assert bounds.shape == (len(X), 2)
    coverage = np.mean((y >= bounds[:, 0]) & (y <= bounds[:, 1]))
    assert 0.8 < coverage <= 1.0
    with pytest.raises(ValueError, match="confidence_level"):
        fitted_regressor.predict_interval(X, confidence_level=1.5)


def test_multi_output_regression(regression_data):
    X, y = regression_data
    Y = np.column_stack([y, -2 * y + 1])
    reg = HyperGANRegressor(**FAST).fit(X, Y)
    assert reg.predict(X).shape == (200, 2)
    u = reg.predict_uncertainty(X)
    assert all(v.shape == (200, 2) for v in u.values())
    assert reg.sample_y(X[:3], n_samples=5).shape == (3, 2, 5)
    assert reg.predict_interval(X[:3]).shape == (3, 2, 2)
    assert reg.score(X, Y) > 0.3


def test_classifier_probabilities_and_labels(fitted_classifier, classification_data):
    X, y = classification_data
    proba = fitted_classifier.predict_proba(X)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert set(fitted_classifier.predict(X)) <= {"a", "b", "c"}
    assert fitted_classifier.score(X, y) > 0.9
    np.testing.assert_allclose(np.exp(fitted_classifier.predict_log_proba(X)), proba)


def test_classifier_uncertainty_decomposes(fitted_classifier, classification_data):
    X, _ = classification_data
    u = fitted_classifier.predict_uncertainty(X)
    assert set(u) == {"total", "aleatoric", "epistemic"}
    assert all((v >= 0).all() and v.shape == (150,) for v in u.values())
    np.testing.assert_allclose(u.total, u.aleatoric + u.epistemic)
    assert (u.total <= np.log(3) + 1e-9).all()


def test_classifier_sample_networks_reproduce_proba(fitted_classifier, classification_data):
    X, _ = classification_data
    clf = fitted_classifier
    networks = clf.sample_networks(clf.n_prediction_networks)
    with torch.no_grad():
        logits = torch.stack([n(torch.as_tensor(X, dtype=torch.float32)) for n in networks])
    # 150 rows: the fit held rows out and calibrated, so the networks' logits
    # are divided by temperature_ and the log of their mean by pooled_temperature_.
    assert clf.temperature_ != 1.0
    mean = torch.softmax(logits.double() / clf.temperature_, -1).mean(0)
    expected = torch.softmax(torch.log(mean) / clf.pooled_temperature_, -1)
    np.testing.assert_allclose(expected.numpy(), clf.predict_proba(X), atol=1e-5)


def test_binary_integer_labels():
    rng = np.random.RandomState(0)
    X = rng.standard_normal((80, 2))
    y = (X[:, 0] > 0).astype(int) * 5 + 3  # labels 3 and 8
    clf = HyperGANClassifier(**FAST).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, [3, 8])
    assert clf.predict_proba(X).shape == (80, 2)
    assert clf.score(X, y) > 0.9


def test_history_records_both_losses(fitted_regressor):
    history = fitted_regressor.history_
    assert len(history) == 60
    for key in ("train_loss", "train_data_loss", "train_regularizer_loss", "dur"):
        assert np.isfinite(history[:, key]).all()
    assert history[-1, "train_data_loss"] < history[0, "train_data_loss"]


def test_beta_zero_has_no_regularizer_loss(regression_data):
    reg = HyperGANRegressor(**{**FAST, "max_epochs": 2}, beta=0).fit(*regression_data)
    assert "train_regularizer_loss" not in reg.history_[-1]


@pytest.mark.parametrize(
    "params", [dict(regularizer="mine"), dict(use_mixer=False), dict(target=mlp((16, 16), "tanh"))]
)
def test_variants_fit(regression_data, params):
    X, y = regression_data
    reg = HyperGANRegressor(**{**FAST, "max_epochs": 40}, **params).fit(X, y)
    assert reg.score(X, y) > 0.5


@pytest.mark.parametrize("regularizer", ["mine", "discriminator"])
def test_classifier_learns_with_either_regularizer(classification_data, regularizer):
    # "mine" is the classifier's default, the discriminator the regressor's:
    # both must keep working for both estimators.
    X, y = classification_data
    from sk_hypergan._core.regularizers import REGULARIZERS

    clf = HyperGANClassifier(**FAST, regularizer=regularizer).fit(X, y)
    assert type(clf.net_.regularizer_) is REGULARIZERS[regularizer]
    assert "train_regularizer_loss" in clf.history_[-1]
    assert clf.score(X, y) > 0.9


def test_conv2d_target_on_digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X, y = X[:400] / 16.0, y[:400]
    # Generated conv nets sit on a loss plateau for their first ~500 steps
    # (known, see the closing notes); 80 epochs of 10 steps get past it.
    clf = HyperGANClassifier(target=conv2d((1, 8, 8)), **{**FAST, "max_epochs": 80})
    clf.fit(X[:300], y[:300])
    assert clf.score(X[300:], y[300:]) > 0.7


def test_warm_start_continues_training(regression_data):
    reg = HyperGANRegressor(**{**FAST, "max_epochs": 3}, warm_start=True)
    reg.fit(*regression_data)
    net = reg.net_
    reg.fit(*regression_data)
    assert reg.net_ is net and len(reg.history_) == 6
    # A new max_epochs applies to the next warm-started fit.
    reg.set_params(max_epochs=2).fit(*regression_data)
    assert len(reg.history_) == 8


def test_callbacks_and_verbose(regression_data, capsys):
    reg = HyperGANRegressor(
        **{**FAST, "max_epochs": 50},
        lr=1e-9,
        callbacks=[EarlyStopping(monitor="train_loss", patience=2, threshold=1e-3)],
        verbose=1,
    )
    reg.fit(*regression_data)
    assert len(reg.history_) < 50
    out = capsys.readouterr().out
    assert "train_loss" in out and "train_regularizer_loss" in out
    # The user's callback object is copied, not mutated by the fit.
    assert reg.callbacks[0].dynamic_threshold_ is None


def test_early_stopping_records_valid_loss(classification_data):
    clf = HyperGANClassifier(
        **{**FAST, "max_epochs": 2}, early_stopping=True, validation_fraction=0.2
    )
    clf.fit(*classification_data)
    assert np.isfinite(clf.history_[:, "valid_loss"]).all()


@pytest.mark.parametrize("early_stopping, n_rows, expected", [
    ("auto", 150, False), ("auto", 300, True), (True, 150, True), (False, 300, False),
])
def test_early_stopping_auto_holds_out_rows_from_200_rows(early_stopping, n_rows, expected):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_rows, 3))
    reg = HyperGANRegressor(**{**FAST, "max_epochs": 2}, early_stopping=early_stopping)
    reg.fit(X, X.sum(axis=1))
    assert ("valid_loss" in reg.history_[-1]) is expected


def _fit_on_noise(**params):
    """A small regressor fitted on pure-noise targets (300 rows, so early
    stopping holds rows out): the held-out loss stops improving early."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(300, 5)), rng.normal(size=300)
    reg = HyperGANRegressor(**{**FAST, **params})
    return X, y, reg.fit(X, y)


def test_early_stopping_stops_and_keeps_the_best_epoch():
    # Pure noise targets: the held-out loss stops improving early, so the fit
    # ends long before max_epochs, n_iter_no_change epochs after its best
    # epoch, and the networks kept are those of the best epoch.
    X, y, reg = _fit_on_noise(max_epochs=200, n_iter_no_change=5)
    valid = np.array(reg.history_[:, "valid_loss"])
    best_epoch = dict(reg.net_.callbacks_)["early_stopping"].best_epoch_
    assert len(valid) < 200
    assert len(valid) - best_epoch == 5
    assert valid[best_epoch - 1] <= valid.min() + 1e-4
    # Restored: scoring the held-out rows again gives the best epoch's loss.
    net = reg.net_
    _, held_out = net.get_split_datasets(X.astype(np.float32), reg._transform_y(y))
    losses, sizes = [], []
    for batch in net.get_iterator(held_out):
        losses.append(net.validation_step(batch)["loss"].item())
        sizes.append(len(batch[1]))
    np.testing.assert_allclose(np.average(losses, weights=sizes), valid[best_epoch - 1], rtol=1e-5)


def test_max_epochs_reached_while_improving_warns():
    # A learnable target and 3 epochs: the held-out loss still improves when
    # the budget ends, so the fit says so (as sklearn's MLPs do at max_iter).
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3))
    reg = HyperGANRegressor(**{**FAST, "max_epochs": 3})
    expected = r"max_epochs=3 epochs before .*n_iter_no_change=20 .*best epoch: 3 of 3"
    with pytest.warns(ConvergenceWarning, match=expected):
        reg.fit(X, X.sum(axis=1))
    # A warm start that again runs all its 3 epochs warns too; the history
    # (and the best epoch) counts every epoch of both fits.
    with pytest.warns(ConvergenceWarning, match=r"best epoch: [4-6] of 6"):
        reg.set_params(warm_start=True).fit(X, X.sum(axis=1))


@pytest.mark.parametrize("params", [
    {"max_epochs": 200, "n_iter_no_change": 5},  # early stopping ends the fit
    {"max_epochs": 3, "early_stopping": False},  # nothing held out: no criterion
])
def test_no_convergence_warning_when_stopped_or_nothing_held_out(params):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        _fit_on_noise(**params)


def test_partial_fit_does_not_warn_about_max_epochs(regression_data):
    reg = HyperGANRegressor(**{**FAST, "max_epochs": 1})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg.partial_fit(*regression_data)


@pytest.mark.parametrize("lr_schedule", ["auto", "plateau", "constant"])
def test_lr_schedule_lowers_the_rate_when_the_held_out_loss_stalls(lr_schedule):
    # Pure noise targets: the held-out loss stalls at once. "plateau" then
    # multiplies the rate by 0.3 after more than n_iter_no_change // 2 = 4
    # stalled epochs (at least once before the fit stops); "constant" keeps lr.
    _, _, reg = _fit_on_noise(
        max_epochs=100, n_iter_no_change=8, lr=1e-3, lr_schedule=lr_schedule
    )
    lr = reg.net_.optimizer_.param_groups[0]["lr"]
    names = dict(reg.net_.callbacks_)
    if lr_schedule in ("auto", "plateau"):  # "auto" is "plateau" for the regressor
        assert "lr_scheduler" in names
        # Reductions by exactly the documented factor.
        n_cuts = round(np.log(lr / 1e-3) / np.log(0.3))
        assert n_cuts >= 1
        assert lr == pytest.approx(1e-3 * 0.3**n_cuts)
        # The first cut comes at the end of the 5th epoch without an
        # improvement (by more than _VALID_THRESHOLD) on the best held-out loss.
        # ``event_lr`` is the rate an epoch trained with (the last epoch,
        # ended by early stopping before the scheduler ran, has none).
        valid = reg.history_[:, "valid_loss"]
        rates = [h.get("event_lr") for h in reg.history_]
        cut = next(i for i, r in enumerate(rates) if r is not None and r < 1e-3)
        best, stalled = np.inf, 0
        for loss in valid[:cut]:  # up to the epoch whose end made the cut
            best, stalled = (loss, 0) if loss < best - _VALID_THRESHOLD else (best, stalled + 1)
        assert stalled == 5
    else:
        assert "lr_scheduler" not in names
        assert lr == 1e-3


def test_lr_schedule_auto_is_constant_for_the_classifier(classification_data):
    X, y = classification_data
    X, y = np.tile(X, (3, 1)), np.tile(y, 3)  # enough rows for early stopping
    clf = HyperGANClassifier(**{**FAST, "max_epochs": 3}).fit(X, y)
    assert "valid_loss" in clf.history_[-1]
    assert "lr_scheduler" not in dict(clf.net_.callbacks_)
    plateau = clone(clf).set_params(lr_schedule="plateau").fit(X, y)
    assert "lr_scheduler" in dict(plateau.net_.callbacks_)


def test_n_networks_auto_is_32_for_the_classifier_16_for_the_regressor(
    classification_data, regression_data
):
    params = {**FAST, "max_epochs": 1}
    del params["n_networks"]
    clf = HyperGANClassifier(**params).fit(*classification_data)
    reg = HyperGANRegressor(**params).fit(*regression_data)
    assert (clf.n_networks, reg.n_networks) == ("auto", "auto")  # sklearn: params untouched
    assert (clf.net_.n_networks, reg.net_.n_networks) == (32, 16)
    # Each training step generates that many networks (held-out scoring, if
    # any, draws its own fixed set, seeded through ``generator``).
    drawn = []
    sample_noise = clf.net_.module_.sample_noise

    def recording(n, **kwargs):
        if "generator" not in kwargs:
            drawn.append(n)
        return sample_noise(n, **kwargs)

    clf.net_.module_.sample_noise = recording
    clf.partial_fit(*classification_data)
    assert drawn and set(drawn) == {32}


def test_mixup_diversity_auto_and_what_it_does(classification_data, regression_data):
    X, y = classification_data
    clf = HyperGANClassifier(**FAST).fit(X, y)
    reg = HyperGANRegressor(**{**FAST, "max_epochs": 2}).fit(*regression_data)
    assert (clf.net_.mixup_diversity, reg.net_.mixup_diversity) == (0.0, 0.0)
    # The reward moves the networks apart between the training rows: their
    # mutual information on mixed rows is well above what the diversity term
    # alone leaves there, while they still fit the rows themselves.
    off = clf
    strong = clone(clf).set_params(mixup_diversity=1.0).fit(X, y)
    rng = np.random.RandomState(0)
    lam = rng.uniform(size=(len(X), 1))
    mixed = lam * X + (1 - lam) * X[rng.permutation(len(X))]
    mi = [m.predict_uncertainty(mixed).epistemic.mean() for m in (off, strong)]
    assert mi[1] > 1.5 * mi[0]
    assert strong.score(X, y) > 0.9


def test_fitted_model_with_the_schedule_pickles_without_its_torch_scheduler():
    import pickle

    X, y, reg = _fit_on_noise(max_epochs=30, n_iter_no_change=4)
    scheduler = dict(reg.net_.callbacks_)["lr_scheduler"]
    assert hasattr(scheduler, "lr_scheduler_")  # present while fitted in memory
    loaded = pickle.loads(pickle.dumps(reg))
    assert not hasattr(dict(loaded.net_.callbacks_)["lr_scheduler"], "lr_scheduler_")
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))
    # A warm start rebuilds it on the loaded optimizer, from the initial rate.
    loaded.set_params(warm_start=True, max_epochs=2).fit(X, y)
    rebuilt = dict(loaded.net_.callbacks_)["lr_scheduler"].lr_scheduler_
    assert rebuilt.optimizer is loaded.net_.optimizer_
    assert loaded.history_[-2, "event_lr"] == loaded.net_.lr


def test_lr_schedule_needs_a_held_out_split(regression_data):
    # Without early stopping there is no held-out loss to schedule on.
    reg = HyperGANRegressor(**{**FAST, "max_epochs": 3}, early_stopping=False).fit(
        *regression_data
    )
    assert "lr_scheduler" not in dict(reg.net_.callbacks_)
    assert reg.net_.optimizer_.param_groups[0]["lr"] == reg.net_.lr


def test_pipeline_grid_search_and_cross_val(regression_data):
    X, y = regression_data
    # Nested target parameters need an explicit target, as Pipeline steps do.
    pipe = make_pipeline(
        StandardScaler(), HyperGANRegressor(target=mlp((16,)), **{**FAST, "max_epochs": 5})
    )
    grid = GridSearchCV(
        pipe,
        {
            "hyperganregressor__beta": [0.0, 1.0],
            "hyperganregressor__target__hidden_layer_sizes": [(8,), (32,)],
        },
        cv=2,
    ).fit(X, y)
    assert len(grid.cv_results_["mean_test_score"]) == 4
    assert grid.best_estimator_[-1].target.hidden_layer_sizes in [(8,), (32,)]
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and np.isfinite(scores).all()


def test_nested_target_parameters_of_the_default_target(classification_data):
    """target=None means mlp(): its parameters can be set and grid-searched."""
    X, y = classification_data
    clf = HyperGANClassifier(**FAST).set_params(target__hidden_layer_sizes=(7,))
    assert clf.target.hidden_layer_sizes == (7,)
    grid = {"target__hidden_layer_sizes": [(3,), (5,)]}
    search = GridSearchCV(HyperGANClassifier(**{**FAST, "max_epochs": 2}), grid, cv=2).fit(X, y)
    sizes = search.best_estimator_.net_.module_.target.param_shapes["0.weight"][0]
    assert sizes == search.best_params_["target__hidden_layer_sizes"][0]


def test_dataframe_input_keeps_feature_names(regression_data):
    pd = pytest.importorskip("pandas")
    X, y = regression_data
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    reg = HyperGANRegressor(**{**FAST, "max_epochs": 2}).fit(df, y)
    np.testing.assert_array_equal(reg.feature_names_in_, ["a", "b", "c"])
    np.testing.assert_allclose(reg.predict(df), reg.predict(X))


def test_float32_and_float64_inputs_agree(regression_data):
    X, y = regression_data
    reg = HyperGANRegressor(**{**FAST, "max_epochs": 2}).fit(X, y)
    np.testing.assert_allclose(reg.predict(X.astype(np.float32)), reg.predict(X))


def test_unavailable_cuda_is_a_clear_error(regression_data):
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    with pytest.raises(ValueError, match="no CUDA device"):
        HyperGANRegressor(device="cuda").fit(*regression_data)
    reg = HyperGANRegressor(**{**FAST, "max_epochs": 1}, device="auto").fit(*regression_data)
    assert str(reg.net_.device) == "cpu"
