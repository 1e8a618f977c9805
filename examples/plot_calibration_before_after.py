"""
=================================================================
Calibration before and after, and one row's predictive mixture
=================================================================

A fit that holds rows out for early stopping (from 200 training rows on)
ends by fitting its calibration on those rows (``calibration="auto"``, the
default): the regressor's ``spread_factors_``, two factors on the spread of its
predictive mixture (the calibrated distribution is the equal mixture of the two
scaled copies: one sets the width, their ratio the tail weight), and the
classifier's ``temperature_`` on its networks' logits and
``pooled_temperature_`` on their averaged probabilities. All are fitted by the
held-out likelihood, never on test rows.

This example fits each estimator twice with the same seed, so the networks
are identical and only the calibration differs: once with
``calibration=None`` and once with the default. It then shows the coverage of
the regressor's central intervals at every level, a reliability diagram of
the classifier, and the predictive distribution of one row: the mixture of the
networks' Gaussians against the Gaussian with its mean and standard deviation.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm
from sklearn.calibration import CalibrationDisplay
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_hypergan import HyperGANClassifier, HyperGANRegressor

# Heteroscedastic 1-D-dominated regression with 3 features.
rng = np.random.RandomState(0)
X = rng.uniform(-3, 3, size=(1500, 3))
y = np.sin(X[:, 0]) * 3 + X[:, 1] + (0.3 + 0.4 * np.abs(X[:, 0])) * rng.standard_normal(1500)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)

regressors = {
    cal: make_pipeline(
        StandardScaler(), HyperGANRegressor(calibration=cal, random_state=0)
    ).fit(X_train, y_train)
    for cal in (None, "auto")
}
low, high = regressors["auto"][-1].spread_factors_[0]
print(f"fitted spread_factors_: {low:.3f}, {high:.3f}")

# %%
# Coverage by level
# -----------------
# The share of test rows inside ``predict_interval(X, level)`` (the mixture's
# central interval) against the level asked for: calibrated intervals lie on
# the diagonal.
levels = np.linspace(0.05, 0.95, 19)
fig, (ax_cov, ax_rel) = plt.subplots(1, 2, figsize=(11, 4.5))
for i, (cal, model) in enumerate(regressors.items()):
    scaler, reg = model[:-1], model[-1]
    Xt = scaler.transform(X_test)
    dist = reg.predict_distribution(Xt)
    coverage = []
    for level in levels:
        lower, upper = dist.interval(level)
        coverage.append(np.mean((y_test >= lower) & (y_test <= upper)))
    label = f"calibration={cal!r} (test NLL {-dist.logpdf(y_test).mean():.3f})"
    ax_cov.plot(levels, coverage, "o-", ms=3, color=f"C{i}", label=label)
ax_cov.plot([0, 1], [0, 1], "k:", lw=1)
ax_cov.set_xlabel("nominal level of the central interval")
ax_cov.set_ylabel("share of test rows inside")
ax_cov.set_title("HyperGANRegressor: interval coverage")
ax_cov.legend(fontsize=8)

# %%
# Reliability of the classifier
# -----------------------------
# The same comparison for :class:`~sk_hypergan.HyperGANClassifier` on the
# breast cancer data: the temperatures are fitted on the 10% of the training
# rows that early stopping holds out. Where it calibrates, the classifier's
# networks train with a little label smoothing (``label_smoothing="auto"``
# is 0.05 then, 0.02 where fewer than 50 rows are held out, as the 35 of
# these 341 training rows, and 0 otherwise); both fits here ask for 0.02, so
# that their networks are the same.
Xc, yc = load_breast_cancer(return_X_y=True)
Xc_train, Xc_test, yc_train, yc_test = train_test_split(
    Xc, yc, test_size=0.4, stratify=yc, random_state=0
)
for i, cal in enumerate((None, "auto")):
    clf = make_pipeline(
        StandardScaler(),
        HyperGANClassifier(calibration=cal, label_smoothing=0.02, random_state=0),
    ).fit(Xc_train, yc_train)
    proba = clf.predict_proba(Xc_test)
    T, tau = clf[-1].temperature_, clf[-1].pooled_temperature_
    name = f"calibration={cal!r}, T={T:.2f}, tau={tau:.2f}"
    print(f"{name}: test log loss {log_loss(yc_test, proba):.4f}")
    CalibrationDisplay.from_predictions(
        yc_test, proba[:, 1], n_bins=6, strategy="quantile", name=name, ax=ax_rel, color=f"C{i}"
    )
ax_rel.set_title("HyperGANClassifier: reliability (test rows)")
fig.tight_layout()
plt.show()

# %%
# One row's predictive distribution
# ---------------------------------
# ``predict_distribution`` returns the mixture of the sampled networks'
# Gaussians. Where the networks disagree the mixture is not a Gaussian, and
# its quantiles (``predict_interval``) differ from those of the Gaussian with
# the same mean and standard deviation.
model = regressors["auto"]
row = np.array([[2.5, 0.0, 0.0]])
dist = model[-1].predict_distribution(model[:-1].transform(row))
grid = np.linspace(dist.ppf(0.001)[0], dist.ppf(0.999)[0], 400)
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(grid, [dist.pdf([g])[0] for g in grid], label="mixture of the networks' Gaussians")
ax.plot(grid, norm.pdf(grid, dist.mean()[0], dist.std()[0]), "--",
        label="Gaussian, same mean and std")
lower, upper = dist.interval(0.9)
ax.axvspan(lower[0], upper[0], color="C0", alpha=0.1, label="90% interval of the mixture")
ax.set_xlabel("y")
ax.set_ylabel("density")
ax.set_title(f"Predictive distribution at x = {row[0].tolist()}")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
