"""
=====================================================
Tuning beta and the architecture with GridSearchCV
=====================================================

The estimators are ordinary scikit-learn estimators, so their parameters,
including the nested parameters of the target architecture, can be searched
inside a :class:`~sklearn.pipeline.Pipeline` with
:class:`~sklearn.model_selection.GridSearchCV`. Here: the weight of the
diversity term ``beta`` and the hidden layer sizes of the generated networks,
``target__hidden_layer_sizes``.

Choosing ``beta`` needs a score that looks at the predicted uncertainty:
:math:`R^2` (the regressor's default ``score``) only sees the mean. The
search below ranks candidates by the Gaussian log-likelihood of the held-out
folds, computed from ``predict(X, return_std=True)``, and records
:math:`R^2` next to it.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.stats import norm
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sk_hypergan import HyperGANRegressor
from sk_hypergan.targets import mlp

# The fits below are kept short so that the gallery builds quickly; each would
# otherwise warn that it ran out of max_epochs before early stopping ended it.
warnings.filterwarnings("ignore", category=ConvergenceWarning)


def log_likelihood(estimator, X, y):
    """Mean Gaussian log-likelihood of y under the predictive mean and std."""
    mean, std = estimator.predict(X, return_std=True)  # a Pipeline passes return_std on
    return norm.logpdf(y, mean, std).mean()


X, y = load_diabetes(return_X_y=True)
model = Pipeline(
    [
        ("scale", StandardScaler()),
        (
            "hypergan",
            HyperGANRegressor(
                target=mlp((50,)),
                max_epochs=15,
                batch_size=64,
                n_networks=4,
                n_prediction_networks=50,
                random_state=0,
            ),
        ),
    ]
)
param_grid = {
    "hypergan__beta": [0.1, 1.0, 10.0],
    "hypergan__target__hidden_layer_sizes": [(16,), (64,)],
}
search = GridSearchCV(
    model,
    param_grid,
    scoring={"log_likelihood": log_likelihood, "r2": "r2"},
    refit="log_likelihood",
    cv=KFold(3, shuffle=True, random_state=0),
)
search.fit(X, y)
print("best parameters:", search.best_params_)
print(f"best mean log-likelihood: {search.best_score_:.3f}")

# %%
# The results, one line per architecture.
results = pd.DataFrame(search.cv_results_)
results["hidden"] = results["param_hypergan__target__hidden_layer_sizes"].astype(str)
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for metric, ax in zip(["log_likelihood", "r2"], axes):
    for hidden, rows in results.groupby("hidden"):
        ax.errorbar(
            rows["param_hypergan__beta"].astype(float),
            rows[f"mean_test_{metric}"],
            yerr=rows[f"std_test_{metric}"],
            marker="o",
            capsize=3,
            label=f"hidden_layer_sizes={hidden}",
        )
    ax.set_xscale("log")
    ax.set_xlabel("beta")
    ax.set_ylabel(f"held-out {metric} (mean ± std over folds)")
    ax.legend()
axes[0].set_title("Gaussian log-likelihood (higher is better)")
axes[1].set_title("$R^2$ (higher is better)")
fig.tight_layout()
plt.show()

# %%
# The refitted best pipeline is an ordinary fitted estimator:
best = search.best_estimator_
mean, std = best.predict(X[:5], return_std=True)
print(np.c_[y[:5], mean.round(1), std.round(1)])
