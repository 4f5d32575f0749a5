"""Any DataFrame scikit-learn accepts: pandas and polars read through one dtype rule.

sklstm reads a DataFrame's columns and dtypes through narwhals, as
scikit-learn does, so polars works wherever pandas does (except where a
time index is needed: polars has none, so its rows are placed by position,
as an array's are).
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sklstm import LSTMForecaster, LSTMRegressor, SequenceWindower, forecast, make_supervised

pl = pytest.importorskip("polars")

TINY = {"sequence_length": 4, "units": 2, "max_steps": 2, "random_state": 0}


@pytest.fixture(scope="module")
def frames():
    t = np.arange(60.0)
    data = {"temp": np.sin(t / 5), "load": np.cos(t / 7)}
    return pd.DataFrame(data), pl.DataFrame(data)


def test_windower_windows_polars_as_numpy(frames):
    pandas_X, polars_X = frames
    windower = SequenceWindower(3).fit(polars_X)
    np.testing.assert_array_equal(windower.transform(polars_X[40:]),
                                  SequenceWindower(3).fit(pandas_X.to_numpy())
                                  .transform(pandas_X.to_numpy()[40:]))
    assert list(windower.feature_names_in_) == ["temp", "load"]


def test_windower_polars_output_names_the_lags(frames):
    _, polars_X = frames
    windower = SequenceWindower(2, flatten=True).set_output(transform="polars")
    out = windower.fit_transform(polars_X)
    assert isinstance(out, pl.DataFrame)
    assert out.columns == ["temp_t-1", "load_t-1", "temp_t", "load_t"]
    np.testing.assert_array_equal(out.to_numpy()[1], polars_X.to_numpy()[:2].ravel())


def test_pipeline_with_polars_output_predicts_as_with_arrays(frames):
    pandas_X, polars_X = frames
    y = pandas_X["temp"].shift(-1).fillna(0.0).to_numpy()

    def pipe():
        return make_pipeline(MinMaxScaler(), SequenceWindower(3, padding="edge", flatten=True),
                             Ridge())

    polars_pipe = pipe().set_output(transform="polars").fit(polars_X, y)
    assert polars_pipe[-1].feature_names_in_[0] == "temp_t-2"
    np.testing.assert_allclose(polars_pipe.predict(polars_X),
                               pipe().fit(pandas_X.to_numpy(), y).predict(pandas_X.to_numpy()))


@pytest.mark.parametrize("container", ["pandas", "polars"])
def test_lstm_pipeline_under_a_dataframe_output_config_says_nothing(frames, container):
    pandas_X, polars_X = frames
    X = polars_X if container == "polars" else pandas_X
    with sklearn.config_context(transform_output=container), warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # SciKeras's encoder used to warn here
        pipe = make_pipeline(MinMaxScaler(), SequenceWindower(3),
                             LSTMRegressor(units=2, epochs=1, random_state=0))
        assert pipe.fit(X, pandas_X["temp"].to_numpy()).predict(X).shape == (60,)


@pytest.fixture(scope="module")
def by_pandas(frames):
    pandas_X = frames[0]
    y = pandas_X["temp"].shift(-1).fillna(0.0).to_numpy()
    return LSTMForecaster(**TINY, target_column="temp").fit(pandas_X, y)


def test_forecaster_fits_polars_as_pandas(frames, by_pandas):
    pandas_X, polars_X = frames
    y = pandas_X["temp"].shift(-1).fillna(0.0).to_numpy()
    by_polars = LSTMForecaster(**TINY, target_column="temp").fit(polars_X, pl.Series(y))
    np.testing.assert_allclose(by_polars.predict(polars_X), by_pandas.predict(pandas_X),
                               rtol=1e-6)
    assert list(by_polars.feature_names_in_) == ["temp", "load"]
    lower, upper = by_polars.predict_interval(polars_X, coverage=0.5)
    assert np.all(lower <= upper)


@pytest.mark.parametrize("estimator", [SequenceWindower(3), LSTMForecaster(**TINY)],
                         ids=["windower", "forecaster"])
def test_text_and_date_columns_are_named_for_every_library(frames, estimator):
    _, polars_X = frames
    X = polars_X.with_columns(pl.lit("a").alias("label"),
                              pl.lit(pd.Timestamp("2024-01-01")).alias("day"))
    with pytest.raises(ValueError, match=r"column\(s\) \['label', 'day'\] are not numeric"):
        estimator.fit(X, np.zeros(len(X)))


def test_boolean_columns_are_numeric_in_both_libraries(frames):
    pandas_X, polars_X = frames
    flags = np.arange(60) % 2 == 0
    by_pandas = SequenceWindower(2).fit_transform(pandas_X.assign(flag=flags))
    by_polars = SequenceWindower(2).fit_transform(polars_X.with_columns(flag=pl.Series(flags)))
    np.testing.assert_array_equal(by_polars, by_pandas)


@pytest.mark.parametrize("call", [lambda X, model: make_supervised(X, "temp"),
                                  lambda X, model: forecast(model, X, target="temp")],
                         ids=["make_supervised", "forecast"])
def test_time_indexed_functions_say_how_to_convert_polars(frames, by_pandas, call):
    with pytest.raises(TypeError, match=r"data\.to_pandas\(\)\.set_index"):
        call(frames[1], by_pandas)
