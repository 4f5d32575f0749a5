"""
Scaling a grid search out with Dask
===================================

``GridSearchCV`` hands its fits to joblib, and joblib can hand them to a
Dask cluster: ``with joblib.parallel_backend("dask"): search.fit(X, y)``.
Nothing in the search changes, and with a fixed ``random_state`` the
results are exactly those of the local search. Here the cluster is a
``LocalCluster`` of two worker processes on this machine; on a real cluster
only the ``Client`` line changes (see the "Scaling out" guide).
"""

# %%
# The data and the search: a week of past daily maximum temperatures (and
# more) predicts tomorrow's, tuned over the window length and the LSTM size
# with ``TimeSeriesSplit`` folds.
import time

import joblib
import matplotlib.pyplot as plt
import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from sklstm import LSTMRegressor, SequenceWindower, make_supervised
from sklstm.datasets import load_seattle_weather

weather = load_seattle_weather()
X, y = make_supervised(weather, "temp_max", features=["temp_max", "temp_min", "wind"])


def make_search():
    model = TransformedTargetRegressor(
        regressor=Pipeline([
            ("scale", MinMaxScaler()),
            ("window", SequenceWindower(sequence_length=7)),
            ("lstm", LSTMRegressor(units=16, epochs=60, random_state=0)),
        ]),
        transformer=MinMaxScaler(),
    )
    grid = {
        "regressor__window__sequence_length": [7, 14, 28],
        "regressor__lstm__units": [16, 32],
    }
    return GridSearchCV(
        model, grid, cv=TimeSeriesSplit(n_splits=4),
        scoring="neg_mean_absolute_error",
    )


# %%
# The local search, as a reference. Its first fit also fills sklstm's JAX
# compilation cache (``~/.cache/sklstm/jax``, or ``SKLSTM_CACHE_DIR``).
#
# Dask starts its workers as fresh Python processes that import this script,
# so the work is guarded by ``if __name__ == "__main__":``, as in any script
# that starts a ``LocalCluster``.
if __name__ == "__main__":
    import jax

    start = time.perf_counter()
    local = make_search().fit(X, y)
    local_seconds = time.perf_counter() - start
    cache = jax.config.jax_compilation_cache_dir
    print(f"local search: {local_seconds:.1f} s, compilation cache: {cache}")

# %%
# The cluster: two worker processes with one thread each (an LSTM fit is
# already multi-threaded inside XLA); ``silence_logs`` keeps the workers'
# shutdown notices out of this page. ``env`` points the workers at the same
# compilation cache, so they load the programs compiled above instead of
# compiling them again; on a real cluster use a shared directory or let each
# machine keep its own. Then the same search, sent to the workers by joblib.
if __name__ == "__main__":
    from dask.distributed import Client, LocalCluster, get_task_stream

    env = {"SKLSTM_CACHE_DIR": cache} if cache else {}
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, env=env,
        dashboard_address=None, silence_logs="ERROR",
    )
    client = Client(cluster)
    start = time.perf_counter()
    with get_task_stream(client) as stream, joblib.parallel_backend("dask"):
        distributed = make_search().fit(X, y)
    dask_seconds = time.perf_counter() - start
    print(f"Dask search: {dask_seconds:.1f} s on {len(client.scheduler_info()['workers'])} workers")

# %%
# Same seeds, same results: every fold score, the ranking and the refitted
# model's predictions are identical to the local search's.
if __name__ == "__main__":
    for key in ("mean_test_score", "split0_test_score", "rank_test_score"):
        np.testing.assert_array_equal(distributed.cv_results_[key], local.cv_results_[key])
    np.testing.assert_array_equal(distributed.predict(X), local.predict(X))
    print("best:", distributed.best_params_, f"MAE {-distributed.best_score_:.3f}")

    # Which worker ran which fit, and the scores of both searches.
    fig, (ax_tasks, ax_scores) = plt.subplots(1, 2, figsize=(11, 3.6))
    workers = sorted({task["worker"] for task in stream.data})
    t0 = min(s["start"] for task in stream.data for s in task["startstops"])
    for task in stream.data:
        row = workers.index(task["worker"])
        for span in task["startstops"]:
            if span["action"] == "compute":
                ax_tasks.barh(row, span["stop"] - span["start"], left=span["start"] - t0,
                              height=0.6, color="tab:blue", edgecolor="white")
    ax_tasks.set_yticks(range(len(workers)), [f"worker {i}" for i in range(len(workers))])
    ax_tasks.set_xlabel("seconds since the first task")
    ax_tasks.set_title("Fits on the Dask workers\n(each worker's first task imports Keras and JAX)")

    labels = [
        f"{p['regressor__window__sequence_length']} days\n{p['regressor__lstm__units']} units"
        for p in local.cv_results_["params"]
    ]
    position = np.arange(len(labels))
    ax_scores.bar(position - 0.2, -local.cv_results_["mean_test_score"], 0.4, label="local")
    ax_scores.bar(position + 0.2, -distributed.cv_results_["mean_test_score"], 0.4, label="Dask")
    ax_scores.set_xticks(position, labels)
    ax_scores.set_ylabel("mean absolute error (°C)\nover the test folds")
    ax_scores.set_title("Identical scores, local and on Dask")
    ax_scores.set_ylim(0, 1.3 * ax_scores.get_ylim()[1])
    ax_scores.legend(loc="upper right", ncols=2)
    fig.tight_layout()

# %%
# Shut the cluster down when done.
if __name__ == "__main__":
    client.close()
    cluster.close()
    plt.show()
