"""A real mixed-type workflow on the offline copies in examples/data/: a pandas
frame with string categories and missing cells -> ColumnTransformer (sparse
one-hot output) -> HyperGAN estimator, against the practitioner's default."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, r2_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sk_hypergan import HyperGANClassifier, HyperGANRegressor

from conftest import FAST

DATA = Path(__file__).resolve().parents[1] / "examples" / "data"


def _preprocessing(numeric, categorical, sparse=True):
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


@pytest.mark.slow
def test_wage_regression_from_a_frame_with_missing_cells():
    cps = pd.read_csv(DATA / "cps1988_2000.csv")
    rng = np.random.RandomState(0)
    for column in ("experience", "region"):  # incomplete records
        cps.loc[rng.uniform(size=len(cps)) < 0.05, column] = np.nan
    X, y = cps.drop(columns="wage"), np.log(cps["wage"])
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    cols = (["education", "experience"], ["ethnicity", "smsa", "region", "parttime"])

    pre = _preprocessing(*cols).fit(X_train)
    assert sp.issparse(pre.transform(X_test))  # the estimator gets sparse rows
    model = make_pipeline(
        _preprocessing(*cols), HyperGANRegressor(**FAST)
    ).fit(X_train, y_train)
    hgb = make_pipeline(
        _preprocessing(*cols, sparse=False), HistGradientBoostingRegressor(random_state=0)
    ).fit(X_train, y_train)

    mean, std = model.predict(X_test, return_std=True)
    assert r2_score(y_test, mean) > hgb.score(X_test, y_test) - 0.1
    # The intervals mean something on real data: 90% ones cover 80-98%.
    bounds = model[-1].predict_interval(model[0].transform(X_test), confidence_level=0.9)
    coverage = np.mean((bounds[:, 0] <= y_test) & (y_test <= bounds[:, 1]))
    assert 0.8 < coverage < 0.98
    # Sparse rows and the same rows densified give the same predictions.
    rows = model[0].transform(X_test)
    np.testing.assert_allclose(
        model[-1].predict(rows), model[-1].predict(rows.toarray()), rtol=1e-5, atol=1e-5
    )
    # Fewer rows, more doubt: part-time workers (under 10% of the rows).
    u = model[-1].predict_uncertainty(rows)
    part_time = (X_test["parttime"] == "yes").to_numpy()
    assert u.epistemic_std[part_time].mean() > u.epistemic_std[~part_time].mean()


@pytest.mark.slow
def test_imbalanced_defaults_with_class_weight():
    default = pd.read_csv(DATA / "default_2000.csv")
    X, y = default.drop(columns="default"), default["default"]
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    pre = ColumnTransformer(
        [("num", StandardScaler(), ["balance", "income"]), ("cat", OneHotEncoder(), ["student"])]
    )
    fast = {**FAST, "max_epochs": 10}
    balanced = make_pipeline(pre, HyperGANClassifier(class_weight="balanced", **fast))
    plain = make_pipeline(pre, HyperGANClassifier(**fast))
    logistic = make_pipeline(pre, LogisticRegression(class_weight="balanced"))
    for model in (balanced, plain, logistic):
        model.fit(X_train, y_train)

    auc = roc_auc_score(y_test == "Yes", balanced.predict_proba(X_test)[:, 1])
    auc_logistic = roc_auc_score(y_test == "Yes", logistic.predict_proba(X_test)[:, 1])
    assert auc > auc_logistic - 0.05
    # Weighting the rare class finds more of the defaults than not weighting.
    recall = [np.mean(m.predict(X_test)[y_test == "Yes"] == "Yes") for m in (balanced, plain)]
    assert recall[0] > recall[1]
    assert balanced_accuracy_score(y_test, balanced.predict(X_test)) > 0.75
