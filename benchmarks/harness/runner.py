"""Fit one method on one split and score it: the loop body every regression suite shares."""

from __future__ import annotations

import time
import traceback
import warnings

from . import methods
from .scoring import COVERAGE_LEVELS, coverage_key, gaussian_scores, mixture_scores

#: Per-split metrics of a regression record (means and standard errors are taken of these).
REGRESSION_METRICS = (
    "nll", "rmse", "crps", *map(coverage_key, COVERAGE_LEVELS),
    "nll_mixture", "crps_mixture", "fit_seconds", "predict_seconds",
    "mean_aleatoric_std", "mean_epistemic_std",
)


def fit_score_regressor(name, seed, data, quick=False, params=None):
    """Fit method ``name`` on the training rows and score its Gaussian predictive.

    Failures are recorded (``status="error"``), not raised, so a long run survives one
    failing fit; a method over its row limit is ``"skipped"``.

    Parameters
    ----------
    name : str
        A regressor of :data:`harness.methods.REGISTRY`.
    seed : int
    data : tuple
        ``X_train, y_train, X_test, y_test``.
    quick : bool, default=False
    params : dict or None, default=None
        Overrides of the method's parameters.

    Returns
    -------
    record : dict
        ``status``, the scores of :func:`harness.scoring.gaussian_scores`, ``fit_seconds``,
        ``predict_seconds``, the mean aleatoric / epistemic std where split,
        ``fit_warnings``.
    estimator : estimator or None
        The fitted estimator (None unless ``status == "ok"``).
    """
    X_train, y_train, X_test, y_test = data
    record = {"seed": seed}
    reason = methods.skip_reason(name, len(X_train))
    if reason:
        return {**record, "status": "skipped", "reason": reason}, None
    extra = {"n_features": X_train.shape[1]} if name == "gp" else {}
    try:
        est = methods.make(name, seed, len(X_train), quick, **extra, **(params or {}))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            est.fit(X_train, y_train)
            fit_seconds = time.perf_counter() - start
        start = time.perf_counter()
        mean, std, parts = methods.predict_normal(est, X_test)
        predict_seconds = time.perf_counter() - start
        # A method with a non-Gaussian predictive distribution (HyperGAN's mixture) is
        # also scored on it; its coverages are then those of its own intervals.
        dist = methods.predict_distribution(est, X_test)
        extra_scores = mixture_scores(y_test, dist) if dist is not None else {}
    except Exception as exc:  # recorded, the run goes on
        traceback.print_exc()
        return {**record, "status": "error", "reason": f"{type(exc).__name__}: {exc}"}, None
    return {
        **record,
        "status": "ok",
        **gaussian_scores(y_test, mean, std),
        **extra_scores,
        "fit_seconds": fit_seconds,
        "predict_seconds": predict_seconds,
        **parts,
        "fit_warnings": sorted({f"{w.category.__name__}: {str(w.message)[:200]}"
                                for w in caught}),
    }, est
