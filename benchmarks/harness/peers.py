"""Peers built on other libraries, wrapped to the harness's interface
(``predict(X, return_std=True)``): CatBoost with virtual ensembles and NGBoost.

Examples
--------
>>> import numpy as np
>>> X = np.linspace(-1, 1, 200)[:, None]
>>> reg = CatBoostVirtualEnsembleRegressor(iterations=40, random_state=0).fit(X, X.ravel())
>>> mean, std = reg.predict(X[:3], return_std=True)
>>> mean.shape, bool((std > 0).all())
((3,), True)
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted


class CatBoostVirtualEnsembleRegressor(RegressorMixin, BaseEstimator):
    """CatBoost with virtual ensembles (Malinin, Prokhorenkova & Ustimenko, ICLR 2021).

    ``y`` standardised on the training rows; ``CatBoostRegressor(loss_function=
    "RMSEWithUncertainty", posterior_sampling=True, learning_rate=0.03, iterations=2000,
    od_type="Iter", od_wait=100, use_best_model=True)`` early-stopped on
    ``validation_fraction`` of the training rows; prediction by
    ``virtual_ensembles_predict(X, prediction_type="TotalUncertainty",
    virtual_ensembles_count=10)``, whose columns are the mean, the knowledge (epistemic)
    and the data (aleatoric) variance; the predictive variance is their sum.

    Parameters
    ----------
    iterations : int, default=2000
    learning_rate : float, default=0.03
    od_wait : int, default=100
    validation_fraction : float, default=0.1
    virtual_ensembles_count : int, default=10
    thread_count : int, default=1
    random_state : int or None, default=None
        Seeds CatBoost and the validation split.
    """

    def __init__(
        self,
        iterations=2000,
        learning_rate=0.03,
        od_wait=100,
        validation_fraction=0.1,
        virtual_ensembles_count=10,
        thread_count=1,
        random_state=None,
    ):
        self.iterations = iterations
        self.learning_rate = learning_rate
        self.od_wait = od_wait
        self.validation_fraction = validation_fraction
        self.virtual_ensembles_count = virtual_ensembles_count
        self.thread_count = thread_count
        self.random_state = random_state

    def fit(self, X, y):
        from catboost import CatBoostRegressor

        X = np.asarray(X, dtype=float)
        self.y_scaler_ = StandardScaler().fit(np.reshape(y, (-1, 1)))
        z = self.y_scaler_.transform(np.reshape(y, (-1, 1))).ravel()
        X_tr, X_val, z_tr, z_val = train_test_split(
            X, z, test_size=self.validation_fraction, random_state=self.random_state
        )
        self.model_ = CatBoostRegressor(
            loss_function="RMSEWithUncertainty",
            posterior_sampling=True,
            learning_rate=self.learning_rate,
            iterations=self.iterations,
            od_type="Iter",
            od_wait=self.od_wait,
            use_best_model=True,
            random_seed=0 if self.random_state is None else self.random_state,
            thread_count=self.thread_count,
            allow_writing_files=False,
            verbose=False,
        )
        self.model_.fit(X_tr, z_tr, eval_set=(X_val, z_val))
        self.n_features_in_ = X.shape[1]
        return self

    def predict_uncertainty(self, X):
        """Mean, total std and its aleatoric / epistemic parts, original units."""
        from sklearn.utils import Bunch

        check_is_fitted(self, "model_")
        # A virtual ensemble uses the last half of the trees: never more members than that.
        count = max(1, min(self.virtual_ensembles_count, self.model_.tree_count_ // 2))
        out = self.model_.virtual_ensembles_predict(
            np.asarray(X, dtype=float),
            prediction_type="TotalUncertainty",
            virtual_ensembles_count=count,
        )
        scale, loc = self.y_scaler_.scale_[0], self.y_scaler_.mean_[0]
        knowledge, data = out[:, 1] * scale**2, out[:, 2] * scale**2
        return Bunch(
            mean=out[:, 0] * scale + loc,
            std=np.sqrt(knowledge + data),
            aleatoric_std=np.sqrt(data),
            epistemic_std=np.sqrt(knowledge),
        )

    def predict(self, X, return_std=False):
        u = self.predict_uncertainty(X)
        return (u.mean, u.std) if return_std else u.mean


class NGBoostRegressor(RegressorMixin, BaseEstimator):
    """``NGBRegressor`` with its defaults (Normal, 500 trees of depth 3, learning rate
    0.01), the trees seeded for repeatability; ``predict(X, return_std=True)`` reads the
    predictive Normal of ``pred_dist``.

    Parameters
    ----------
    n_estimators : int, default=500
    random_state : int or None, default=None
    """

    def __init__(self, n_estimators=500, random_state=None):
        self.n_estimators = n_estimators
        self.random_state = random_state

    def fit(self, X, y):
        from ngboost import NGBRegressor
        from ngboost.learners import default_tree_learner

        # NGBoost's random_state does not reach its trees, whose tie-breaking between
        # equally good splits is random: seed a copy of the default tree.
        tree = clone(default_tree_learner).set_params(random_state=self.random_state)
        self.model_ = NGBRegressor(
            Base=tree, n_estimators=self.n_estimators, random_state=self.random_state,
            verbose=False,
        ).fit(X, y)
        self.n_features_in_ = np.shape(X)[1]
        return self

    def predict(self, X, return_std=False):
        check_is_fitted(self, "model_")
        dist = self.model_.pred_dist(X)
        mean, std = dist.params["loc"], dist.params["scale"]
        return (mean, std) if return_std else mean
