"""Metrics and aggregation, computed the same way for every method.

Regression: Gaussian NLL, RMSE, central-interval coverage, CRPS of the Gaussian predictive
(closed form, via ``scoringrules``). Classification: accuracy, log loss, Brier score,
expected calibration error, entropy and mutual information of member probabilities.

The expected calibration error is written here because no maintained scikit-learn function
exists (``sklearn.calibration.calibration_curve`` gives one class's reliability curve) and
the packages that have one are heavy dependencies for ten lines.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import entr
from scipy.stats import norm, sem
from sklearn.metrics import accuracy_score, log_loss, root_mean_squared_error

#: Levels of the central intervals whose coverage the regression suites report.
COVERAGE_LEVELS = (0.5, 0.8, 0.9, 0.95)


def coverage_key(level):
    """The metric name of a central interval's coverage: ``coverage_90`` for 0.9."""
    return f"coverage_{round(100 * level)}"


def interval_coverage(y, intervals):
    """``{coverage_key(level): share of y inside}`` for ``intervals``, a mapping of
    level -> ``(lower, upper)`` arrays."""
    return {coverage_key(q): float(np.mean((y >= lo) & (y <= hi)))
            for q, (lo, hi) in intervals.items()}


def gaussian_scores(y, mean, std, levels=COVERAGE_LEVELS):
    """Test RMSE, mean Gaussian NLL, mean CRPS and central-interval coverage.

    Parameters
    ----------
    y, mean, std : array-like of shape (n_samples,)
        Targets and the Gaussian predictive mean and standard deviation, in the
        target's original units.
    levels : tuple of float, default=COVERAGE_LEVELS
        Nominal coverages of the central intervals ``mean +- z * std``.

    Returns
    -------
    dict
        ``rmse``, ``nll`` (per point, natural log), ``crps`` (None when
        ``scoringrules`` is missing) and ``coverage_<level>`` of the Gaussian's central
        interval at every level of ``levels``.

    Examples
    --------
    >>> s = gaussian_scores([0.0, 1.0], [0.0, 1.0], [1.0, 1.0])
    >>> round(s["nll"], 4), s["rmse"], s["coverage_90"]
    (0.9189, 0.0, 1.0)
    """
    y, mean, std = (np.asarray(a, dtype=float) for a in (y, mean, std))
    half_widths = {q: norm.ppf(0.5 + q / 2) * std for q in levels}
    coverage = interval_coverage(y, {q: (mean - h, mean + h) for q, h in half_widths.items()})
    try:
        import scoringrules

        crps = float(np.mean(scoringrules.crps_normal(y, mean, std)))
    except ImportError:  # optional: recorded as missing
        crps = None
    return {
        "rmse": float(root_mean_squared_error(y, mean)),
        "nll": float(-np.mean(norm.logpdf(y, loc=mean, scale=std))),
        "crps": crps,
        **coverage,
    }


def mixture_scores(y, dist):
    """Scores of a Gaussian-mixture predictive distribution (``n_components`` per row).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
    dist : object
        With ``means`` and ``variances`` of shape (n_components, n_samples, 1),
        ``logpdf(y)`` and ``interval(level)``, as
        :class:`sk_hypergan.GaussianMixtureDistribution`.

    Returns
    -------
    dict
        ``nll_mixture``, ``crps_mixture`` (``scoringrules.crps_mixnorm``; None when
        ``scoringrules`` is missing) and ``coverage_<level>`` of the mixture's central
        intervals for every level of :data:`COVERAGE_LEVELS`.
    """
    y = np.asarray(y, dtype=float)
    out = {"nll_mixture": float(-np.mean(dist.logpdf(y)))}
    try:
        import scoringrules

        m = dist.means[..., 0].T  # (n_samples, n_components)
        s = np.sqrt(dist.variances[..., 0]).T
        out["crps_mixture"] = float(np.mean(scoringrules.crps_mixnorm(y, m, s)))
    except ImportError:
        out["crps_mixture"] = None
    out.update(interval_coverage(y, {q: dist.interval(q) for q in COVERAGE_LEVELS}))
    return out


def expected_calibration_error(y_true, proba, n_bins=15, classes=None):
    """Top-label expected calibration error with equal-width bins (Guo et al., ICML 2017).

    ``ECE = sum_b (n_b / n) * |accuracy_b - confidence_b|``, the rows binned by their
    maximum probability into ``n_bins`` equal-width bins on [0, 1] (a confidence of 1 goes
    to the last bin).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    proba : array-like of shape (n_samples, n_classes)
        Columns in the order of ``classes``.
    n_bins : int, default=15
    classes : array-like of shape (n_classes,) or None, default=None
        Label of each column; None means ``0 .. n_classes - 1``.

    Returns
    -------
    float
        In [0, 1]; 0 is perfectly calibrated.

    Examples
    --------
    >>> round(expected_calibration_error([0, 1], np.array([[0.9, 0.1], [0.2, 0.8]])), 6)
    0.15
    """
    proba = np.asarray(proba, dtype=float)
    y_true = np.asarray(y_true)
    classes = np.arange(proba.shape[1]) if classes is None else np.asarray(classes)
    confidence = proba.max(axis=1)
    correct = classes[proba.argmax(axis=1)] == y_true
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        in_bin = bins == b
        if in_bin.any():
            ece += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(ece)


def classification_scores(y, proba, classes):
    """Accuracy, log loss, Brier score (:func:`brier`) and ECE of predicted probabilities.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
    proba : array-like of shape (n_samples, n_classes)
    classes : array-like of shape (n_classes,)
        Label of each column.

    Returns
    -------
    dict
    """
    proba = np.asarray(proba, dtype=float)
    classes = np.asarray(classes)
    return {
        "accuracy": float(accuracy_score(y, classes[proba.argmax(1)])),
        "log_loss": float(log_loss(y, proba, labels=classes)),
        "brier": brier(y, proba, classes),
        "ece": expected_calibration_error(y, proba, classes=classes),
    }


def brier(y, proba, classes):
    """Brier score as ``sklearn.metrics.brier_score_loss`` defines it from 1.7 on: binary,
    the mean squared error of the positive class's probability; multiclass, the squared
    error summed over classes (written here: 1.6 takes no multiclass input)."""
    onehot = (np.asarray(y)[:, None] == np.asarray(classes)[None, :]).astype(float)
    if len(classes) == 2:
        return float(np.mean((proba[:, 1] - onehot[:, 1]) ** 2))
    return float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))


def entropy(p):
    """Shannon entropy in nats along the last axis (0 log 0 = 0)."""
    return entr(np.asarray(p, dtype=float)).sum(axis=-1)


def mutual_information(member_proba):
    """Epistemic score of member probabilities ``(n_members, n_rows, n_classes)``: the
    entropy of the mean minus the mean entropy (BALD), clipped at 0."""
    member_proba = np.asarray(member_proba, dtype=float)
    total = entropy(member_proba.mean(axis=0))
    return np.clip(total - entropy(member_proba).mean(axis=0), 0.0, None)


def mean_pairwise_disagreement(member_proba):
    """Fraction of rows on which two members' arg-max classes differ, averaged over all
    pairs of members (a functional diversity measure)."""
    labels = np.asarray(member_proba).argmax(axis=-1)  # (n_members, n_rows)
    n_members = labels.shape[0]
    if n_members < 2:
        return 0.0
    n_classes = np.asarray(member_proba).shape[-1]
    counts = np.stack([(labels == c).sum(axis=0) for c in range(n_classes)])
    agree = (counts * (counts - 1) / 2).sum(axis=0)
    return float(1.0 - agree.mean() / (n_members * (n_members - 1) / 2))


def finite_or_none(x):
    """``float(x)``, or None for NaN / inf / None."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def mean_se(values):
    """``{"mean", "se"}`` of a list of numbers (Nones dropped; se None below 2 values).

    Examples
    --------
    >>> mean_se([1.0, 3.0])
    {'mean': 2.0, 'se': 1.0}
    """
    values = [v for v in values if v is not None]
    if not values:
        return {"mean": None, "se": None}
    se = sem(values, ddof=1) if len(values) > 1 else None
    return {"mean": float(np.mean(values)), "se": finite_or_none(se)}


def summarize(records, metrics):
    """Mean and standard error over the successful records of each metric.

    Parameters
    ----------
    records : list of dict
        One per split, each with ``status`` ("ok", "skipped" or "error").
    metrics : sequence of str

    Returns
    -------
    dict
        ``n_ok``, ``status`` ("ok", "partial", "skipped", "error"), ``splits`` (the
        records) and ``{metric: {"mean", "se"}}`` for each metric present.
    """
    ok = [r for r in records if r["status"] == "ok"]
    summary = {"n_ok": len(ok), "splits": records}
    if not ok:
        statuses = {r["status"] for r in records}
        summary["status"] = "skipped" if statuses == {"skipped"} else "error"
        summary["reason"] = records[0].get("reason") if records else None
        return summary
    summary["status"] = "ok" if len(ok) == len(records) else "partial"
    for metric in metrics:
        values = [r.get(metric) for r in ok if r.get(metric) is not None]
        if values:
            summary[metric] = mean_se(values)
    return summary
