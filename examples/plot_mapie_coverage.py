"""
===========================================================
Interval coverage: HyperGAN's own intervals and MAPIE's
===========================================================

:meth:`~sk_hypergan.HyperGANRegressor.predict_interval` reads central
intervals off the predictive mean and standard deviation. Their coverage is
only as good as the model's uncertainty. Conformal prediction, here with
`MAPIE <https://github.com/scikit-learn-contrib/MAPIE>`__, calibrates
intervals on held-out data and guarantees the coverage on average (for
exchangeable data), whatever the model.

The regressor goes into MAPIE's ``SplitConformalRegressor`` unchanged. We fit
one model on 75% of the training rows, keep 25% to conformalize, and compare
on the test rows, at several confidence levels:

- HyperGAN's own ``predict_interval``;
- MAPIE, absolute residual score: the same width on every row;
- MAPIE, ``StdConformityScore``: the residuals divided by HyperGAN's predicted
  std, so the intervals keep HyperGAN's shape (wide where it is unsure) and
  only their overall scale is calibrated.

The data are the UCI *energy efficiency* data (heating load), canonical split 0
of the benchmark, read from ``benchmarks/data/uci`` of the repository; if that
folder is absent, scikit-learn's diabetes data are used instead.
"""

# %%
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_hypergan import HyperGANRegressor

# The fits below are kept short so that the gallery builds quickly; each would
# otherwise warn that it ran out of max_epochs before early stopping ended it.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

# The repository's copy of the data, looked up from the working directory
# (examples/ when the documentation is built, or the repository root).
UCI = next(
    (
        folder / "benchmarks" / "data" / "uci" / "energy"
        for folder in [Path.cwd(), *Path.cwd().parents]
        if (folder / "benchmarks" / "data" / "uci" / "energy" / "data.txt").exists()
    ),
    None,
)


def load_uci_split(directory, split=0):
    """A UCI benchmark split: data.txt plus the column and row index files."""
    data = np.loadtxt(directory / "data.txt")
    features = np.loadtxt(directory / "index_features.txt", dtype=int, ndmin=1)
    target = int(np.loadtxt(directory / "index_target.txt", dtype=int))
    train = np.loadtxt(directory / f"index_train_{split}.txt", dtype=int)
    test = np.loadtxt(directory / f"index_test_{split}.txt", dtype=int)
    X, y = data[:, features], data[:, target]
    return X[train], y[train], X[test], y[test]


if UCI is not None:
    name = "UCI energy, split 0"
    X_train, y_train, X_test, y_test = load_uci_split(UCI)
else:
    name = "diabetes"
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)

X_fit, X_cal, y_fit, y_cal = train_test_split(X_train, y_train, test_size=0.25, random_state=0)
print(f"{name}: {len(y_fit)} rows to fit, {len(y_cal)} to conformalize, {len(y_test)} to test")

model = make_pipeline(
    StandardScaler(), HyperGANRegressor(max_epochs=80, batch_size=64, random_state=0)
)
model.fit(X_fit, y_fit)

# %%
# Intervals at several confidence levels
# --------------------------------------
from mapie.conformity_scores import StdConformityScore
from mapie.regression import SplitConformalRegressor

levels = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95]
scaler, reg = model[:-1], model[-1]
intervals = {
    "HyperGAN predict_interval": np.stack(
        [reg.predict_interval(scaler.transform(X_test), confidence_level=c) for c in levels],
        axis=-1,
    )  # (n_test, 2, n_levels), MAPIE's layout
}
scores = {"MAPIE, absolute": "absolute", "MAPIE, std-normalised": StdConformityScore()}
for label, score in scores.items():
    mapie = SplitConformalRegressor(
        model, confidence_level=levels, conformity_score=score, prefit=True
    )
    mapie.conformalize(X_cal, y_cal)
    intervals[label] = mapie.predict_interval(X_test)[1]


def coverage(y, bounds):
    return ((bounds[:, 0] <= y[:, None]) & (y[:, None] <= bounds[:, 1])).mean(axis=0)


def mean_width(bounds):
    return (bounds[:, 1] - bounds[:, 0]).mean(axis=0)


# %%
# Coverage and width
# ------------------
# Coverage should sit on the diagonal; among methods that do, narrower is
# better. With :math:`n` test rows, a coverage estimate at level :math:`c` has
# a standard error of about :math:`\sqrt{c(1 - c)/n}`:
print(f"standard error of the coverage at 90%: {np.sqrt(0.9 * 0.1 / len(y_test)):.3f}")
fig, (ax_cov, ax_width) = plt.subplots(1, 2, figsize=(11, 4.2))
ax_cov.plot([0.45, 1], [0.45, 1], "k:", label="nominal")
for label, bounds in intervals.items():
    ax_cov.plot(levels, coverage(y_test, bounds), marker="o", label=label)
    ax_width.plot(levels, mean_width(bounds), marker="o", label=label)
ax_cov.set_xlabel("confidence level")
ax_cov.set_ylabel("empirical coverage on the test rows")
ax_cov.legend()
ax_width.set_xlabel("confidence level")
ax_width.set_ylabel("mean interval width (target units)")
ax_width.legend()
fig.suptitle(name)
fig.tight_layout()
plt.show()

# %%
# At 90%:
i90 = levels.index(0.9)
table = pd.DataFrame(
    {
        "coverage": {k: coverage(y_test, b)[i90] for k, b in intervals.items()},
        "mean width": {k: mean_width(b)[i90] for k, b in intervals.items()},
    }
)
print(table.round(3))

# %%
# Adaptive widths
# ---------------
# The absolute score gives every row the same width; the std-normalised score
# keeps HyperGAN's row-by-row widths, only rescaled by one factor learned on
# the conformalization rows.
std = reg.predict(scaler.transform(X_test), return_std=True)[1]
fig, ax = plt.subplots(figsize=(6, 4))
for label, bounds in intervals.items():
    ax.scatter(std, bounds[:, 1, i90] - bounds[:, 0, i90], s=12, label=label)
ax.set_xlabel("HyperGAN predictive std")
ax.set_ylabel("width of the 90% interval")
ax.legend()
plt.show()
