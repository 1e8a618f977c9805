"""A grid search distributed with Dask gives the same answer as a local one.

``GridSearchCV(..., n_jobs=-1)`` under ``joblib.parallel_config(backend="dask")``
sends every (candidate, fold) fit to a ``dask.distributed`` worker. The
estimators seed everything from ``random_state`` (initialisation, shuffling,
noise, the prediction ensemble) and leave no global state behind, so each fit
is a pure function of its inputs: the distributed search must reproduce the
local, sequential one.

Threads: a worker process that let torch use every core would, with several
workers per machine, oversubscribe the cores (``n_workers * n_cores``
threads fighting for ``n_cores``), which is slow and, with OpenMP's spinning
threads, can be far slower than one thread each. Dask's nanny already starts
workers with ``OMP_NUM_THREADS=1`` (config ``distributed.nanny.pre-spawn-environ``),
which torch reads at start-up; the test also calls ``torch.set_num_threads(1)``
on every worker (``client.run``), so the limit holds whatever that config says,
and checks it. One torch thread per worker, ``threads_per_worker=1`` and as
many workers as cores is the recommended layout for these small networks. The
local reference runs with one torch thread too, so both sides sum in the same
order.

The cluster listens on the loopback interface only and has no dashboard.
"""

import numpy as np
import pytest

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

import joblib  # noqa: E402
import torch  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from sk_hypergan import HyperGANRegressor  # noqa: E402

from conftest import FAST  # noqa: E402

PARAM_GRID = {"lr": [1e-3, 3e-3], "n_networks": [4, 8]}


def _search():
    return GridSearchCV(
        HyperGANRegressor(**{**FAST, "max_epochs": 5}), PARAM_GRID, cv=2, n_jobs=-1
    )


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = distributed.Client(cluster)
    try:
        client.run(torch.set_num_threads, 1)
        yield client
    finally:
        client.close()
        cluster.close()


def test_grid_search_on_dask_matches_local(client, regression_data):
    X, y = regression_data
    X, y = X[:120], y[:120]

    # Workers run one torch thread each (no oversubscription).
    assert set(client.run(torch.get_num_threads).values()) == {1}

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the local fits and both refits: one thread, as the workers
    try:
        local = _search().set_params(n_jobs=1).fit(X, y)
        with joblib.parallel_config(backend="dask"):
            remote = _search().fit(X, y)
    finally:
        torch.set_num_threads(threads)

    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"], rtol=1e-6
    )
    np.testing.assert_allclose(remote.predict(X[:5]), local.predict(X[:5]), rtol=1e-6)
    # The candidate fits really ran on the workers (which had to import the package).
    assert all(client.run(lambda: "sk_hypergan" in __import__("sys").modules).values())
