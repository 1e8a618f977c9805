"""The registry of methods: name -> a factory ``factory(seed, n_rows, quick)`` returning an
unfitted scikit-learn estimator.

Regressors answer ``predict(X, return_std=True)`` (Gaussian predictive mean and std, in
the target's units); classifiers answer ``predict_proba``. ``quick`` shrinks the training
budget (a few epochs / trees) for smoke tests; full runs use each method's spec, which is
recorded in the results (``spec``) and listed in ``benchmarks/README.md``.

Examples
--------
>>> est = make("reference_ensemble", seed=0, n_rows=100, quick=True)
>>> type(est[-1]).__name__
'BatchedEnsembleRegressor'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

#: Epochs of the neural methods in quick (smoke-test) runs.
QUICK_EPOCHS = 3

#: Largest training set on which the exact GP runs (memory and time are cubic).
GP_MAX_ROWS = 3000


@dataclass(frozen=True)
class Method:
    """One registered method.

    Attributes
    ----------
    name : str
    kind : {"regressor", "classifier"}
    factory : callable
        ``factory(seed, n_rows, quick, **params) -> estimator``.
    spec : str
        What it is, for the reports and the README.
    max_rows : int or None
        Training rows above which the method is skipped (None: never).
    """

    name: str
    kind: str
    factory: Callable
    spec: str
    max_rows: int | None = None


REGISTRY: dict[str, Method] = {}


def register(name, kind, spec, max_rows=None):
    """Decorator adding a factory to :data:`REGISTRY`."""

    def wrap(factory):
        REGISTRY[name] = Method(name, kind, factory, spec, max_rows)
        return factory

    return wrap


def make(name, seed, n_rows, quick=False, **params):
    """The unfitted estimator of method ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`REGISTRY`.
    seed : int
        Seeds the method (the split index in the UCI suite).
    n_rows : int
        Training rows (for rules that depend on the data size).
    quick : bool, default=False
        Smoke-test budget.
    **params
        Overrides passed to the method's estimator (e.g. HyperGAN's parameters).

    Returns
    -------
    estimator
    """
    if name not in REGISTRY:
        raise ValueError(f"Unknown method {name!r}; choose from {sorted(REGISTRY)}.")
    return REGISTRY[name].factory(seed, n_rows, quick, **params)


def skip_reason(name, n_rows):
    """Why ``name`` does not run on ``n_rows`` training rows, or None."""
    limit = REGISTRY[name].max_rows
    if limit is not None and n_rows > limit:
        return f"{name} skipped: {n_rows} > {limit} training rows"
    return None


def _epochs(quick):
    return {"max_epochs": QUICK_EPOCHS} if quick else {}


# -- regressors ------------------------------------------------------------------------------
@register(
    "hypergan", "regressor",
    "`make_pipeline(StandardScaler(), HyperGANRegressor(random_state=seed))`, the "
    "estimator's defaults",
)
def _hypergan(seed, n_rows, quick, **params):
    from sk_hypergan import HyperGANRegressor

    return make_pipeline(
        StandardScaler(), HyperGANRegressor(random_state=seed, **{**_epochs(quick), **params})
    )


@register(
    "reference_ensemble", "regressor",
    "the reference batched deep ensemble: 5 members, 50 ReLU units, Gaussian head, X and y "
    "standardised, Adam lr 3e-3, weight decay 1e-4, 100 epochs, batch 32 below 2,000 rows "
    "else 128, one batched computation, no early stopping "
    "(`harness.reference_ensemble.BatchedEnsembleRegressor`)",
)
def _reference_ensemble(seed, n_rows, quick, **params):
    from .reference_ensemble import BatchedEnsembleRegressor

    return make_pipeline(
        StandardScaler(),
        BatchedEnsembleRegressor(random_state=seed, **{**_epochs(quick), **params}),
    )


@register(
    "catboost", "regressor",
    "CatBoost virtual ensembles: y standardised, `RMSEWithUncertainty`, "
    "`posterior_sampling=True`, lr 0.03, up to 2,000 iterations, early stopping on 10% of "
    "the training rows (`od_type='Iter'`, `od_wait=100`, `use_best_model=True`), "
    "`virtual_ensembles_predict(prediction_type='TotalUncertainty', "
    "virtual_ensembles_count=10)`, variance = knowledge + data, `thread_count=1` "
    "(`harness.peers.CatBoostVirtualEnsembleRegressor`)",
)
def _catboost(seed, n_rows, quick, **params):
    from .peers import CatBoostVirtualEnsembleRegressor

    budget = {"iterations": 40, "od_wait": 10} if quick else {}
    return CatBoostVirtualEnsembleRegressor(random_state=seed, **{**budget, **params})


@register(
    "ngboost", "regressor",
    "`NGBRegressor()` defaults (Normal, 500 trees of depth 3, lr 0.01; trees seeded), "
    "predictive Normal from `pred_dist` (`harness.peers.NGBoostRegressor`)",
)
def _ngboost(seed, n_rows, quick, **params):
    from .peers import NGBoostRegressor

    return NGBoostRegressor(random_state=seed, **{**({"n_estimators": 20} if quick else {}),
                                                  **params})


@register(
    "gp", "regressor",
    "`GaussianProcessRegressor(ConstantKernel() * RBF(ones(n_features)) + WhiteKernel(), "
    f"normalize_y=True)` on standardised X (ARD); skipped above {GP_MAX_ROWS} training rows",
    max_rows=GP_MAX_ROWS,
)
def _gp(seed, n_rows, quick, n_features=None, **params):
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    length_scale = 1.0 if n_features is None else np.ones(n_features)
    kernel = ConstantKernel() * RBF(length_scale=length_scale) + WhiteKernel()
    if quick:  # smoke test: the kernel's initial hyperparameters, no optimisation
        params = {"optimizer": None, **params}
    gp = GaussianProcessRegressor(kernel=kernel, normalize_y=True, random_state=seed, **params)
    return make_pipeline(StandardScaler(), gp)


@register(
    "mc_dropout", "regressor",
    "one Gaussian-output MLP (50 ReLU units), dropout 0.05 on inputs and hidden layer, "
    "Adam 1e-3, 100 epochs, 100 dropout passes (`harness.baselines.MCDropoutRegressor`)",
)
def _mc_dropout(seed, n_rows, quick, **params):
    from .baselines import MCDropoutRegressor

    return make_pipeline(
        StandardScaler(), MCDropoutRegressor(random_state=seed, **{**_epochs(quick), **params})
    )


@register(
    "sequential_ensemble", "regressor",
    "5 Gaussian-output MLPs trained one after another (not batched), Adam 1e-3, 100 epochs "
    "(`harness.baselines.DeepEnsembleRegressor`); kept for the 1-D toy only, labelled so",
)
def _sequential_ensemble(seed, n_rows, quick, **params):
    from .baselines import DeepEnsembleRegressor

    return make_pipeline(
        StandardScaler(), DeepEnsembleRegressor(random_state=seed, **{**_epochs(quick), **params})
    )


# -- classifiers -----------------------------------------------------------------------------
@register(
    "hypergan_classifier", "classifier",
    "`make_pipeline(StandardScaler(), HyperGANClassifier(random_state=seed))`, defaults",
)
def _hypergan_classifier(seed, n_rows, quick, **params):
    from sk_hypergan import HyperGANClassifier

    return make_pipeline(
        StandardScaler(), HyperGANClassifier(random_state=seed, **{**_epochs(quick), **params})
    )


@register(
    "deep_ensemble_classifier", "classifier",
    "5 softmax MLPs (50 ReLU units) trained one after another, Adam 1e-3, 100 epochs "
    "(`harness.baselines.DeepEnsembleClassifier`)",
)
def _deep_ensemble_classifier(seed, n_rows, quick, **params):
    from .baselines import DeepEnsembleClassifier

    return make_pipeline(
        StandardScaler(), DeepEnsembleClassifier(random_state=seed, **{**_epochs(quick), **params})
    )


@register(
    "mc_dropout_classifier", "classifier",
    "one softmax MLP with dropout kept on at prediction (`harness.baselines."
    "MCDropoutClassifier`)",
)
def _mc_dropout_classifier(seed, n_rows, quick, **params):
    from .baselines import MCDropoutClassifier

    return make_pipeline(
        StandardScaler(), MCDropoutClassifier(random_state=seed, **{**_epochs(quick), **params})
    )


@register(
    "single_network", "classifier",
    "one softmax MLP (50 ReLU units), Adam 1e-3, 100 epochs "
    "(`harness.baselines.SingleNetworkClassifier`)",
)
def _single_network(seed, n_rows, quick, **params):
    from .baselines import SingleNetworkClassifier

    return make_pipeline(
        StandardScaler(),
        SingleNetworkClassifier(random_state=seed, **{**_epochs(quick), **params}),
    )


@register(
    "logistic", "classifier",
    "`make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))`",
)
def _logistic(seed, n_rows, quick, **params):
    from sklearn.linear_model import LogisticRegression

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, **params))


@register(
    "hist_gradient_boosting", "classifier",
    "`HistGradientBoostingClassifier(random_state=seed)` defaults (early stopping on 10% "
    "above 10,000 rows)",
)
def _hgb(seed, n_rows, quick, **params):
    from sklearn.ensemble import HistGradientBoostingClassifier

    budget = {"max_iter": 20} if quick else {}
    return HistGradientBoostingClassifier(random_state=seed, **{**budget, **params})


def final_step(estimator):
    """The last step of a pipeline (the estimator itself otherwise)."""
    return estimator[-1] if hasattr(estimator, "steps") else estimator


def final_input(estimator, X):
    """``X`` as the last step of a pipeline sees it (``X`` itself otherwise)."""
    return estimator[:-1].transform(X) if hasattr(estimator, "steps") else X


def predict_normal(estimator, X):
    """Gaussian predictive mean and std, plus the mean aleatoric / epistemic std where the
    estimator splits its uncertainty (``predict_uncertainty``).

    Returns
    -------
    mean, std : ndarray of shape (n_samples,)
    parts : dict
        ``mean_aleatoric_std``, ``mean_epistemic_std`` (empty when not split).
    """
    final = final_step(estimator)
    if hasattr(final, "predict_uncertainty"):
        u = final.predict_uncertainty(final_input(estimator, X))
        parts = {
            "mean_aleatoric_std": float(np.mean(u.aleatoric_std)),
            "mean_epistemic_std": float(np.mean(u.epistemic_std)),
        }
        return np.asarray(u.mean), np.asarray(u.std), parts
    mean, std = estimator.predict(X, return_std=True)
    return mean, std, {}


def predict_distribution(estimator, X):
    """The estimator's full predictive distribution (``predict_distribution``: HyperGAN's
    mixture of the networks' Gaussians), or None for a method without one."""
    final = final_step(estimator)
    if not hasattr(final, "predict_distribution"):
        return None
    return final.predict_distribution(final_input(estimator, X))


def jsonable_params(estimator):
    """``get_params(deep=False)`` of the final step as JSON values (repr for objects)."""
    final = final_step(estimator)

    def conv(v):
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        return repr(v)

    params = final.get_params(deep=False)
    return {"class": type(final).__name__, **{k: conv(v) for k, v in params.items()}}
