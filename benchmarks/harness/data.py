"""Data sets of the benchmarks.

- UCI regression (Hernandez-Lobato & Adams 2015): seven sets with 20 canonical 90/10
  train/test splits each, in ``benchmarks/data/uci/<name>/``;
- mixed-type tabular sets in ``benchmarks/data/tabular/`` (see its README): ``cps1988``
  (regression of ``log(wage)``) and ``default`` (imbalanced binary), string columns
  one-hot encoded; they have no canonical splits, so :func:`holdout_split` fixes one
  (seed published with the results);
- ``friedman1``: ``make_friedman1(n_samples=200_000, noise=1.0, random_state=0)``.

Every loader returns ``X_train, y_train, X_test, y_test`` (float64 features).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
UCI_DIR = DATA_DIR / "uci"
TABULAR_DIR = DATA_DIR / "tabular"

UCI_DATASETS = ("boston", "concrete", "energy", "kin8nm", "naval", "power", "wine")

#: Seed and test fraction of the fixed split of the sets without canonical splits.
HOLDOUT_SEED = 0
HOLDOUT_TEST_SIZE = 0.1


@functools.cache
def _read_uci(name):
    directory = UCI_DIR / name
    data = np.loadtxt(directory / "data.txt")
    features = np.loadtxt(directory / "index_features.txt", dtype=int, ndmin=1)
    target = int(np.loadtxt(directory / "index_target.txt", dtype=int))
    return data[:, features], data[:, target]


def n_uci_splits(name):
    """Number of canonical splits of a UCI data set (20 for all seven)."""
    return int(np.loadtxt(UCI_DIR / name / "n_splits.txt"))


def load_uci(name, split):
    """One canonical train/test split of a UCI data set, in original units.

    Parameters
    ----------
    name : str
        One of :data:`UCI_DATASETS`.
    split : int
        ``0 <= split < n_uci_splits(name)``.

    Returns
    -------
    X_train, y_train, X_test, y_test : ndarray
    """
    if name not in UCI_DATASETS:
        raise ValueError(f"Unknown UCI data set {name!r}; choose from {UCI_DATASETS}.")
    X, y = _read_uci(name)
    directory = UCI_DIR / name
    train = np.loadtxt(directory / f"index_train_{split}.txt", dtype=int, ndmin=1)
    test = np.loadtxt(directory / f"index_test_{split}.txt", dtype=int, ndmin=1)
    return X[train], y[train], X[test], y[test]


def _one_hot_frame(frame):
    """Numeric columns as they are, string columns one-hot encoded (all levels)."""
    import pandas as pd

    return pd.get_dummies(frame, dtype=float).to_numpy(dtype=float)


@functools.cache
def load_cps1988_xy():
    """CPS 1988 (28,155 rows): ``X`` with ethnicity, smsa, region, parttime one-hot
    encoded, ``y = log(wage)`` (weekly wage in dollars)."""
    import pandas as pd

    frame = pd.read_csv(TABULAR_DIR / "cps1988.csv")
    y = np.log(frame.pop("wage").to_numpy(dtype=float))
    return _one_hot_frame(frame), y


@functools.cache
def load_default_xy():
    """Default (10,000 rows, 333 positives): ``X`` = student (one-hot), balance, income;
    ``y`` = 1 for ``default == "Yes"``."""
    import pandas as pd

    frame = pd.read_csv(TABULAR_DIR / "default.csv")
    y = (frame.pop("default") == "Yes").to_numpy(dtype=int)
    return _one_hot_frame(frame), y


@functools.cache
def load_friedman1_xy(n_samples=200_000):
    """``make_friedman1(n_samples, noise=1.0, random_state=0)``."""
    from sklearn.datasets import make_friedman1

    return make_friedman1(n_samples=n_samples, noise=1.0, random_state=0)


def holdout_split(X, y, seed=HOLDOUT_SEED, test_size=HOLDOUT_TEST_SIZE, stratify=False):
    """The fixed 90/10 split of a set without canonical splits.

    Parameters
    ----------
    X, y : ndarray
    seed : int, default=0
    test_size : float, default=0.1
    stratify : bool, default=False
        Stratify by ``y`` (classification).

    Returns
    -------
    X_train, y_train, X_test, y_test : ndarray
    """
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=y if stratify else None
    )
    return X_tr, y_tr, X_te, y_te


def load(name, split=0, max_train=None):
    """Any regression set by name: a UCI set's canonical ``split``, or the fixed split
    of ``cps1988`` / ``friedman1`` (``split`` is then its seed).

    Parameters
    ----------
    name : str
    split : int, default=0
    max_train : int or None, default=None
        Keep only the first ``max_train`` training rows and as many test rows (quick runs).

    Returns
    -------
    X_train, y_train, X_test, y_test : ndarray
    """
    if name in UCI_DATASETS:
        data = load_uci(name, split)
    elif name == "cps1988":
        data = holdout_split(*load_cps1988_xy(), seed=split)
    elif name == "friedman1":
        data = holdout_split(*load_friedman1_xy(), seed=split)
    else:
        raise ValueError(f"Unknown data set {name!r}.")
    if max_train is not None:
        X_tr, y_tr, X_te, y_te = data
        data = X_tr[:max_train], y_tr[:max_train], X_te[:max_train], y_te[:max_train]
    return data


def synthetic_regression(n_rows, seed, n_features=8):
    """The timing suites' data: ``X ~ N(0, I)`` with ``n_features`` columns,
    ``y = sin(x0) + x1 * x2 + N(0, 0.1^2)`` (only the timing matters).

    Examples
    --------
    >>> X, y = synthetic_regression(5, 0)
    >>> X.shape, y.shape
    ((5, 8), (5,))
    """
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n_rows, n_features))
    y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2] + 0.1 * rng.standard_normal(n_rows)
    return X, y
