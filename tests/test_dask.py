"""GridSearchCV on a real dask.distributed cluster through joblib.

One module-scoped LocalCluster (2 worker processes, 1 thread each) that
shares this process's JAX compilation cache, as docs/scale-out.md explains.
The Dask search must give exactly the local search's results, and fitted
estimators and searches must survive the trip to and from the workers.
"""

import logging
import os
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from sklstm import LSTMRegressor, SequenceWindower
from sklstm._backend import enable_compilation_cache

distributed = pytest.importorskip("distributed")

REPO = Path(__file__).resolve().parents[1]


def make_search():
    pipe = Pipeline([
        ("scale", MinMaxScaler()),
        ("window", SequenceWindower(5)),
        ("lstm", LSTMRegressor(units=4, epochs=3, batch_size=16, random_state=0)),
    ])
    return GridSearchCV(
        pipe, {"lstm__units": [3, 4]}, cv=TimeSeriesSplit(n_splits=2), error_score="raise"
    )


def import_sklstm():
    import sklstm._regressor  # noqa: F401

    return True


@pytest.fixture(scope="module")
def client():
    env = {"PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    cache = enable_compilation_cache()  # this process's cache dir, or None
    if cache:
        env["SKLSTM_CACHE_DIR"] = str(cache)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        silence_logs=logging.ERROR, env=env,
    )
    client = distributed.Client(cluster)
    # the workers import Keras and JAX while this process runs the local search
    warm_up = [
        client.submit(import_sklstm, workers=[address], pure=False)
        for address in client.scheduler_info()["workers"]
    ]
    yield client
    del warm_up
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def data(sine_xy):
    X, y = sine_xy
    return X[:100], y[:100]


@pytest.fixture(scope="module")
def local_search(data):
    return make_search().fit(*data)


def test_dask_search_equals_local_search(client, data, local_search):
    """The client fixture starts first, so workers warm up during the local search."""
    X, y = data
    search = make_search()
    with distributed.get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
        search.fit(X, y)
    workers = {task["worker"] for task in tasks.data}
    assert len(tasks.data) >= 4 and workers <= set(client.scheduler_info()["workers"])
    assert all(client.run(lambda: "sklstm._regressor" in sys.modules).values())
    for key in ("params", "mean_test_score", "split0_test_score", "split1_test_score", "rank_test_score"):
        np.testing.assert_array_equal(search.cv_results_[key], local_search.cv_results_[key], err_msg=key)
    assert search.best_params_ == local_search.best_params_
    np.testing.assert_array_equal(search.predict(X), local_search.predict(X))


def fit_on_worker(estimator, X, y):
    return estimator.fit(X, y)


def predict_on_worker(estimator, X):
    return estimator.predict(X)


def test_fitted_search_and_estimator_travel_to_and_from_workers(client, data, local_search):
    X, y = data
    # a fitted search goes to a worker and predicts as it does here
    remote = client.submit(predict_on_worker, local_search, X).result()
    np.testing.assert_array_equal(remote, local_search.predict(X))
    # an estimator fitted on a worker comes back and predicts as if fitted here
    pipe = clone(local_search.best_estimator_)
    from_worker = client.submit(fit_on_worker, pipe, X, y).result()
    np.testing.assert_array_equal(from_worker.predict(X), local_search.best_estimator_.predict(X))


def test_a_panel_model_fitted_on_a_worker_predicts_as_here(client):
    from sklstm import LSTMForecaster

    rng = np.random.default_rng(0)
    X = np.cumsum(rng.standard_normal((60, 3)), axis=0)
    y = np.vstack([X[1:], X[-1:]])
    model = LSTMForecaster(sequence_length=4, units=3, max_steps=2, random_state=0,
                           target_column=[0, 1, 2])
    from_worker = client.submit(fit_on_worker, model, X, y).result()
    local = clone(model).fit(X, y)
    np.testing.assert_array_equal(from_worker.predict(X), local.predict(X))
