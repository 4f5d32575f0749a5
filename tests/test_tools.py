"""The tools users combine sklstm with, each recipe of docs/user-guide/other-tools.md.

Each test runs its tool's recipe on tiny models and skips when the tool is
not installed: ``pip install -e ".[tools]"`` installs sktime, skforecast,
MAPIE, Optuna and dask-ml; CI does, in its own virtualenv, with
``SKLSTM_REQUIRE_TOOLS=1``: there a missing one fails instead of skipping.
The ``mlflow`` and ``onnx`` extras (about 60 packages between them) are not
installed in CI; their recipes run here where they are installed. polars
and skops, in the test extra, are tested in test_dataframes.py and
test_persistence.py.
"""

import importlib
import os

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler

from sklstm import (
    LSTMForecaster,
    LSTMRegressor,
    SequenceWindower,
    make_supervised,
    skops_trusted_types,
)

TINY = {"units": 4, "epochs": 2, "random_state": 0}  # LSTMRegressor
TINY_FORECASTER = {"units": 4, "max_steps": 5, "random_state": 0}


def need(module):
    """Import a tool: skip without it, or fail where CI requires every tool."""
    if os.environ.get("SKLSTM_REQUIRE_TOOLS"):
        return importlib.import_module(module)
    return pytest.importorskip(module)


@pytest.fixture(scope="module")
def daily():
    """160 days of a noisy weekly cycle, and a second column."""
    rng = np.random.default_rng(0)
    t = np.arange(160.0)
    index = pd.date_range("2024-01-01", periods=160, freq="D")
    return pd.DataFrame({"load": 10 + 3 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 0.3, 160),
                         "temp": np.cos(t / 20)}, index=index)


def test_sktime_make_reduction_recursive_and_grid_search(daily):
    need("sktime")
    from sktime.forecasting.compose import TransformedTargetForecaster, make_reduction
    from sktime.forecasting.model_selection import ForecastingGridSearchCV
    from sktime.performance_metrics.forecasting import MeanAbsoluteError
    from sktime.split import ExpandingWindowSplitter
    from sktime.transformations.series.adapt import TabularToSeriesAdaptor

    y = daily["load"]
    forecaster = TransformedTargetForecaster([
        ("scale", TabularToSeriesAdaptor(MinMaxScaler())),
        ("lstm", make_reduction(LSTMRegressor(**TINY), window_length=7, strategy="recursive")),
    ])
    pred = forecaster.fit(y.iloc[:-7]).predict(fh=np.arange(1, 8))
    assert pred.index.equals(y.index[-7:]) and np.isfinite(pred).all()
    # each row of lags is one univariate sequence: n_features_in_ is the window
    assert forecaster.steps_[-1][1].estimator_.n_features_in_ == 7
    search = ForecastingGridSearchCV(
        forecaster, param_grid={"lstm__window_length": [5, 7]},
        cv=ExpandingWindowSplitter(fh=[1, 2], initial_window=120, step_length=20),
        scoring=MeanAbsoluteError(), error_score="raise",
    ).fit(y)
    assert search.best_params_["lstm__window_length"] in (5, 7)


def test_skforecast_recursive_with_lags_in_time_order(daily):
    need("skforecast")
    from skforecast.recursive import ForecasterRecursive

    y = daily["load"]
    forecaster = ForecasterRecursive(
        estimator=make_pipeline(FunctionTransformer(np.fliplr), LSTMRegressor(**TINY)),
        lags=7, transformer_y=MinMaxScaler(),
    )
    forecaster.fit(y=y.iloc[:-7])  # skforecast's fit returns None
    pred = forecaster.predict(steps=7)
    assert pred.index.equals(y.index[-7:]) and np.isfinite(pred.to_numpy()).all()


def test_mapie_prefit_on_a_bare_pipeline_of_multivariate_windows(daily):
    need("mapie")
    from mapie.regression import SplitConformalRegressor

    X, y = make_supervised(daily, "load")
    pipe = make_pipeline(MinMaxScaler(), SequenceWindower(7), LSTMRegressor(**TINY))
    pipe.fit(X.iloc[:100], y.iloc[:100])
    # MAPIE probes the last step with predict(np.zeros((1, n_features_in_)))
    mapie = SplitConformalRegressor(pipe, confidence_level=0.8, prefit=True)
    mapie.conformalize(X.iloc[100:130], y.iloc[100:130])
    pred, bounds = mapie.predict_interval(X.iloc[130:])
    np.testing.assert_allclose(pred, pipe.predict(X.iloc[130:]))
    assert np.all(bounds[:, 0, 0] <= pred) and np.all(pred <= bounds[:, 1, 0])


def test_mapie_prefit_on_a_forecaster(daily):
    need("mapie")
    from mapie.regression import SplitConformalRegressor

    X, y = make_supervised(daily, "load")
    model = LSTMForecaster(sequence_length=7, **TINY_FORECASTER).fit(X.iloc[:100], y.iloc[:100])
    mapie = SplitConformalRegressor(model, confidence_level=0.8, prefit=True)
    mapie.conformalize(X.iloc[100:130], y.iloc[100:130])
    assert mapie.predict_interval(X.iloc[130:])[1].shape == (len(X) - 130, 2, 1)


def test_optuna_search_cv(daily):
    need("optuna_integration")
    import optuna
    from optuna.distributions import IntDistribution
    from optuna_integration import OptunaSearchCV

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    X, y = make_supervised(daily, "load", horizon=2)
    search = OptunaSearchCV(
        LSTMForecaster(**TINY_FORECASTER), {"sequence_length": IntDistribution(5, 8)},
        cv=TimeSeriesSplit(n_splits=2), n_trials=2, random_state=0, error_score="raise",
    ).fit(X, y)
    assert 5 <= search.best_params_["sequence_length"] <= 8
    assert search.predict(X).shape == y.shape


def test_mlflow_default_format_skops(daily, tmp_path):
    mlflow = pytest.importorskip("mlflow")  # the mlflow extra, not in CI

    X, y = make_supervised(daily, "load", horizon=2)
    model = LSTMForecaster(sequence_length=7, **TINY_FORECASTER).fit(X, y)
    path = tmp_path / "model"
    mlflow.sklearn.save_model(model, path, skops_trusted_types=skops_trusted_types())
    assert (path / "model.skops").is_file()  # mlflow's default, not a pickle
    np.testing.assert_array_equal(mlflow.sklearn.load_model(str(path)).predict(X),
                                  model.predict(X))
    served = mlflow.pyfunc.load_model(str(path))
    np.testing.assert_array_equal(served.predict(X), model.predict(X))


def test_dask_ml_grid_search(daily):
    need("dask_ml")
    import dask
    from dask_ml.model_selection import GridSearchCV

    X, y = make_supervised(daily, "load", horizon=2)
    with dask.config.set(scheduler="threads"):
        search = GridSearchCV(LSTMForecaster(**TINY_FORECASTER), {"sequence_length": [5, 7]},
                              cv=TimeSeriesSplit(n_splits=2)).fit(X, y)
    assert search.best_params_["sequence_length"] in (5, 7)
    assert search.predict(X).shape == y.shape


def test_onnx_export_of_the_network_with_jax2onnx(daily):
    pytest.importorskip("jax2onnx")  # the onnx extra, not in CI
    ort = pytest.importorskip("onnxruntime")
    from jax2onnx import to_onnx

    X, y = make_supervised(daily, "load")
    model = LSTMForecaster(sequence_length=7, **TINY_FORECASTER).fit(X, y)
    network = model.model_
    # its input is scaled windows; any float32 array of its shape compares the two
    windows = np.random.default_rng(0).normal(size=(8, *network.input_shape[1:]))
    windows = windows.astype(np.float32)
    windows[0, :2] = np.nan  # a window padded with NaN: masked steps
    trainable = [v.value for v in network.trainable_variables]
    non_trainable = [v.value for v in network.non_trainable_variables]

    def forward(x):
        return network.stateless_call(trainable, non_trainable, x, training=False)[0]

    onnx_model = to_onnx(forward, inputs=[("B", *windows.shape[1:])])
    session = ort.InferenceSession(onnx_model.SerializeToString())
    out = session.run(None, {session.get_inputs()[0].name: windows})[0]
    assert np.isfinite(out).all()  # the padded window is masked in ONNX too
    np.testing.assert_allclose(out, np.asarray(network.predict(windows, verbose=0)), atol=1e-5)
