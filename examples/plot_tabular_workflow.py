"""
==========================================================
A mixed-type tabular workflow: wages and credit defaults
==========================================================

What tabular data usually looks like: a pandas frame with numeric and string
columns, and some missing cells. The estimators slot into the usual
scikit-learn toolbox as :class:`~sklearn.neural_network.MLPRegressor` and
:class:`~sklearn.neural_network.MLPClassifier` do: a
:class:`~sklearn.compose.ColumnTransformer` imputes, scales and one-hot
encodes (its output may be a sparse matrix, which the estimators take as it
is), and the HyperGAN estimator then adds what a point predictor lacks: an
uncertainty per row, split into noise (aleatoric) and model doubt
(epistemic).

Two public data sets, 2,000-row copies shipped in ``examples/data/`` (see the
SOURCES.md there):

* March 1988 Current Population Survey: regression of ``log(wage)`` on
  education, experience, ethnicity, region, city and part-time work, compared
  with :class:`~sklearn.ensemble.HistGradientBoostingRegressor`;
* simulated credit-card defaults: an imbalanced classification (3% defaults)
  with ``class_weight="balanced"``, compared with
  :class:`~sklearn.linear_model.LogisticRegression`.

The fits are kept short so that the gallery builds quickly (``max_epochs``
of 30 and 20: the whole example takes under a minute on one core); the
default 200 epochs with early stopping fit better.
"""

# %%
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.stats import norm
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, log_loss, r2_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sk_hypergan import HyperGANClassifier, HyperGANRegressor

# The fits below are kept short so that the gallery builds quickly; each would
# otherwise warn that it ran out of max_epochs before early stopping ended it.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

try:
    DATA = Path(__file__).resolve().parent / "data"
except NameError:  # run cell by cell, from the examples folder
    DATA = Path("data")

# %%
# The wage data: a frame with string categories
# ----------------------------------------------
# The copy has no missing cells; we blank 5% of ``experience`` and ``region``
# at random to show the imputation step a real survey extract needs.
cps = pd.read_csv(DATA / "cps1988_2000.csv")
rng = np.random.RandomState(0)
for column in ("experience", "region"):
    cps.loc[rng.uniform(size=len(cps)) < 0.05, column] = np.nan
X = cps.drop(columns="wage")
y = np.log(cps["wage"])
print(X.head())
print(X.isna().sum())

numeric = ["education", "experience"]
categorical = ["ethnicity", "smsa", "region", "parttime"]


def preprocessing(sparse):
    """Impute and scale the numbers, impute and one-hot encode the strings.
    ``sparse_threshold=1`` keeps the one-hot output sparse, as it is for
    columns with many categories."""
    return ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                categorical,
            ),
        ],
        sparse_threshold=1.0 if sparse else 0.0,
    )


X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
hypergan = make_pipeline(
    preprocessing(sparse=True), HyperGANRegressor(max_epochs=30, random_state=0)
)
hypergan.fit(X_train, y_train)
print(type(hypergan[0].transform(X_test.head())))  # sparse rows go in

# HistGradientBoostingRegressor takes dense input.
hgb = make_pipeline(preprocessing(sparse=False), HistGradientBoostingRegressor(random_state=0))
hgb.fit(X_train, y_train)

# %%
# Accuracy, and what only the HyperGAN gives
# -------------------------------------------
# The mean predictions are about as accurate; the HyperGAN also gives a
# predictive distribution, scored here by its log-likelihood and by the
# coverage of its 90% intervals.
u = hypergan[-1].predict_uncertainty(hypergan[0].transform(X_test))
print(f"R^2  HyperGAN {r2_score(y_test, u.mean):.3f}   HGB {hgb.score(X_test, y_test):.3f}")
print(f"HyperGAN mean log-likelihood {norm.logpdf(y_test, u.mean, u.std).mean():.3f}")
bounds = hypergan[-1].predict_interval(hypergan[0].transform(X_test), confidence_level=0.9)
inside = (bounds[:, 0] <= y_test) & (y_test <= bounds[:, 1])
print(f"coverage of the 90% intervals: {inside.mean():.2f}")

# %%
# Uncertainty per category
# ------------------------
# Per region and part-time status: the predicted noise (aleatoric std) next to
# the spread of the residuals actually seen there, and the model's doubt
# (epistemic std), which grows where rows are rarer (part-time workers are
# under 10% of the rows).
frame = X_test.assign(
    aleatoric=u.aleatoric_std,
    epistemic=u.epistemic_std,
    residual=np.asarray(y_test) - u.mean,
)
fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
for ax, column in zip(axes, ["region", "parttime"]):
    groups = frame.groupby(column)
    summary = pd.DataFrame(
        {
            "predicted noise (aleatoric std)": groups["aleatoric"].mean(),
            "std of the residuals": groups["residual"].std(),
            "model doubt (epistemic std)": groups["epistemic"].mean(),
        }
    )
    summary.plot.bar(ax=ax, rot=0)
    counts = groups.size()
    ax.set_xticklabels([f"{k}\n(n={counts[k]})" for k in summary.index])
    ax.set_title(f"log(wage) uncertainty by {column}")
axes[0].set_ylabel("standard deviation of log(wage)")
axes[0].legend(loc="lower left", fontsize=8, framealpha=0.9)
axes[1].get_legend().remove()
fig.tight_layout()

# %%
# An imbalanced classification: credit-card defaults
# --------------------------------------------------
# 67 defaults among 2,000 rows. ``class_weight="balanced"`` weighs each class
# by the inverse of its frequency (as in ``LogisticRegression``), and a
# ``sample_weight`` could be passed to ``fit`` on top of it (routed through a
# ``Pipeline`` or ``GridSearchCV`` with ``set_fit_request(sample_weight=True)``
# under metadata routing).
default = pd.read_csv(DATA / "default_2000.csv")
Xd = default.drop(columns="default")
yd = default["default"]
Xd_train, Xd_test, yd_train, yd_test = train_test_split(
    Xd, yd, test_size=0.25, stratify=yd, random_state=0
)
credit = ColumnTransformer(
    [("num", StandardScaler(), ["balance", "income"]), ("cat", OneHotEncoder(), ["student"])]
)
models = {
    "HyperGANClassifier": HyperGANClassifier(
        max_epochs=20, class_weight="balanced", random_state=0
    ),
    "LogisticRegression": LogisticRegression(class_weight="balanced"),
}
for name, model in models.items():
    pipe = make_pipeline(credit, model).fit(Xd_train, yd_train)
    proba = pipe.predict_proba(Xd_test)[:, 1]
    print(
        f"{name:20s} ROC AUC {roc_auc_score(yd_test == 'Yes', proba):.3f}  "
        f"balanced accuracy {balanced_accuracy_score(yd_test, pipe.predict(Xd_test)):.3f}  "
        f"log loss {log_loss(yd_test, pipe.predict_proba(Xd_test)):.3f}"
    )
    models[name] = pipe

# %%
# Where the classifier is unsure
# ------------------------------
# The epistemic part of the predictive entropy (the networks' disagreement)
# along the balance, for students and non-students: it peaks where defaults
# begin, the few rows that decide the boundary.
clf = models["HyperGANClassifier"]
grid = pd.DataFrame(
    {
        "balance": np.tile(np.linspace(0, 2600, 100), 2),
        "income": Xd["income"].median(),
        "student": np.repeat(["No", "Yes"], 100),
    }
)
ud = clf[-1].predict_uncertainty(clf[0].transform(grid))
proba = clf.predict_proba(grid)[:, 1]
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4), sharex=True)
for student, rows in grid.groupby("student").groups.items():
    ax1.plot(grid.loc[rows, "balance"], proba[rows], label=f"student={student}")
    ax2.plot(grid.loc[rows, "balance"], ud.epistemic[rows], label=f"student={student}")
ax1.set(xlabel="balance", ylabel="P(default)", title="predicted probability (balanced)")
ax2.set(xlabel="balance", ylabel="nats", title="epistemic uncertainty")
ax1.legend()
fig.tight_layout()
plt.show()
