"""forecast(): future index, direct and recursive roll-forward, intervals, errors.

Index and recursion logic is tested with linear models (exact, no Keras);
the LSTM tests reuse the tiny architecture of test_forecaster.py.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from sklstm import (
    LSTMForecaster,
    LSTMRegressor,
    PersistenceRegressor,
    SequenceWindower,
    forecast,
    make_supervised,
)

TINY = {"sequence_length": 5, "units": 4, "random_state": 0}


def daily(values, name="temp", start="2024-01-01"):
    return pd.Series(values, name=name, index=pd.date_range(start, periods=len(values), freq="D"))


@pytest.fixture(scope="module")
def series():
    return daily(np.arange(10.0) ** 1.5)


@pytest.fixture(scope="module")
def persistence_h3(series):
    X, y = make_supervised(series, "temp", horizon=3)
    return PersistenceRegressor().fit(X, y)


# --- index of the future ------------------------------------------------------


@pytest.mark.parametrize(
    "index, expected",
    [
        (pd.date_range("2024-01-30", periods=4, freq="D"),
         pd.date_range("2024-02-03", periods=3, freq="D")),
        (pd.date_range("2024-01-01", periods=4, freq="W-MON"),
         pd.date_range("2024-01-29", periods=3, freq="W-MON")),
        (pd.date_range("2024-01-01 00:00", periods=4, freq="h"),
         pd.date_range("2024-01-01 04:00", periods=3, freq="h")),
        # no freq attribute, but regular: the frequency is inferred
        (pd.DatetimeIndex(["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"]),
         pd.DatetimeIndex(["2024-05-31", "2024-06-30", "2024-07-31"])),
        (pd.period_range("2024-01", periods=4, freq="M"),
         pd.period_range("2024-05", periods=3, freq="M")),
        (pd.RangeIndex(4), pd.RangeIndex(4, 7)),
        (pd.RangeIndex(10, 18, 2), pd.RangeIndex(18, 24, 2)),
        (pd.Index(["a", "b", "c", "d"]), pd.RangeIndex(4, 7)),
    ],
)
def test_future_index_continues_the_data(index, expected):
    data = pd.Series([1.0, 2.0, 3.0, 4.0], index=index, name="v")
    X, y = make_supervised(data, "v", horizon=3)
    out = forecast(PersistenceRegressor().fit(X, y), data, target="v")
    assert type(out.index) is type(expected)
    assert list(out.index) == list(expected)
    if isinstance(index, pd.DatetimeIndex):
        assert out.index.freq is not None


def test_irregular_dates_are_rejected_with_a_fix(persistence_h3):
    data = pd.Series(
        [1.0, 2.0, 3.0, 4.0], name="temp",
        index=pd.DatetimeIndex(["2024-01-01", "2024-01-02", "2024-01-05", "2024-01-06"]),
    )
    with pytest.raises(ValueError, match=r"cannot tell the frequency.*asfreq\('D'\)"):
        forecast(persistence_h3, data, target="temp")


# --- direct --------------------------------------------------------------------------------


def test_direct_reads_the_head_at_the_last_row(series, persistence_h3):
    out = forecast(persistence_h3, series, target="temp")
    assert list(out.columns) == ["forecast"]
    np.testing.assert_array_equal(out["forecast"], [series.iloc[-1]] * 3)
    assert out.index[0] == series.index[-1] + pd.Timedelta(days=1)


def test_direct_horizon_can_be_shorter_not_longer(series, persistence_h3):
    assert len(forecast(persistence_h3, series, target="temp", horizon=2)) == 2
    with pytest.raises(ValueError, match=r"horizon=4 is longer than the estimator's output \(3 step"):
        forecast(persistence_h3, series, target="temp", horizon=4)


def test_dataframe_history_with_exogenous_columns():
    frame = pd.DataFrame(
        {"temp": np.arange(8.0), "wind": np.ones(8)},
        index=pd.date_range("2024-01-01", periods=8, freq="D"),
    )
    X, y = make_supervised(frame, "temp", horizon=2, features=["wind", "temp"])
    model = PersistenceRegressor(target_column="temp").fit(X, y)
    before = frame.copy()
    out = forecast(model, frame, target="temp")  # features from feature_names_in_
    np.testing.assert_array_equal(out["forecast"], [7.0, 7.0])
    pd.testing.assert_frame_equal(frame, before)


# --- recursive -----------------------------------------------------------------------------


def test_recursive_rolls_a_one_step_model_forward_exactly():
    # x[t+1] = 0.5 x[t] + 1, so a linear one-step model is exact
    values = [10.0]
    for _ in range(19):
        values.append(0.5 * values[-1] + 1)
    history = daily(values, name="x")
    X, y = make_supervised(history, "x")
    model = LinearRegression().fit(X.to_numpy(), y.to_numpy())
    out = forecast(model, history, target="x", horizon=4, method="recursive")
    expected, last = [], values[-1]
    for _ in range(4):
        last = 0.5 * last + 1
        expected.append(last)
    np.testing.assert_allclose(out["forecast"], expected)
    pd.testing.assert_index_equal(
        out.index, pd.date_range("2024-01-21", periods=4, freq="D"), check_names=False
    )


def test_recursive_persistence_repeats_the_last_value(series):
    X, y = make_supervised(series, "temp")
    model = PersistenceRegressor().fit(X, y)
    out = forecast(model, series, target=None, horizon=5, method="recursive")
    np.testing.assert_array_equal(out["forecast"], [series.iloc[-1]] * 5)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"method": "recursive"}, "method='recursive' needs horizon"),
        ({"method": "recursive", "horizon": 3, "coverage": 0.9}, "not available with method='recursive'"),
        ({"method": "recursive", "horizon": 3, "features": ["wind", "temp"]},
         r"needs a model of the target alone, but features=\['wind', 'temp'\]"),
        ({"method": "sideways"}, "method must be one of 'direct', 'recursive', got 'sideways'"),
        ({"horizon": 0}, "horizon must be a positive int"),
        ({"coverage": 1.2}, "coverage must be a number in"),
        ({"features": ["temp"]}, r"fitted on 2 feature\(s\), but features=\['temp'\] has 1"),
        ({"features": ["rain"]}, r"features \['rain'\] are not columns of data"),
    ],
)
def test_misuse_is_explained(kwargs, match):
    frame = pd.DataFrame({"temp": np.arange(8.0), "wind": np.ones(8)})
    X, y = make_supervised(frame, "temp", features=["wind", "temp"])
    model = PersistenceRegressor(target_column=1).fit(X.to_numpy(), y.to_numpy())
    with pytest.raises(ValueError, match=match):
        forecast(model, frame, target="temp", **{"features": ["wind", "temp"], **kwargs})


def test_recursive_needs_a_one_step_model(series, persistence_h3):
    with pytest.raises(ValueError, match="needs a one-step model, but the estimator predicts 3"):
        forecast(persistence_h3, series, target="temp", horizon=2, method="recursive")


@pytest.mark.parametrize(
    "data, target, error, match",
    [
        (np.arange(5.0), "temp", TypeError, "data must be a pandas Series or DataFrame"),
        (pd.DataFrame({"a": [1.0, 2.0]}), "temp", ValueError, r"target='temp' is not a column of data"),
        (pd.Series([1.0, 2.0], name="a"), "temp", ValueError, "does not match the Series name 'a'"),
    ],
)
def test_bad_data_or_target(persistence_h3, data, target, error, match):
    with pytest.raises(error, match=match):
        forecast(persistence_h3, data, target=target)


def _reversed(series):
    return series.iloc[::-1]


def _repeated(series):
    return series.iloc[[0, 1, 2, 2, 3, 4, 5]]


def _backwards_numbers(series):
    return series.set_axis([0, 1, 2, 3, 5, 4, 6, 7, 8, 9])


@pytest.mark.parametrize(
    "disorder, match",
    [
        (_reversed, r"the index of data is not in time order \(row 2: 2024-01-09 after "
                    r"2024-01-10\); sort it, e.g. data.sort_index\(\)"),
        (_repeated, "the index of data repeats 2024-01-03; keep one row per time step"),
        (_backwards_numbers, r"not in time order \(row 6: 4 after 5\)"),
    ],
)
def test_unsorted_or_repeated_time_index_is_refused(series, persistence_h3, disorder, match):
    # the CLI's rule: "future" dates after a reversed index would lie in the past
    data = disorder(series)
    with pytest.raises(ValueError, match=match):
        forecast(persistence_h3, data, target="temp")
    with pytest.raises(ValueError, match=match):
        make_supervised(data, "temp")


def test_labels_without_an_order_are_taken_as_given(series):
    X, y = make_supervised(series.set_axis(list("jihgfedcba")), "temp")
    assert list(X.index) == list("jihgfedcb")


def test_coverage_needs_predict_interval(series, persistence_h3):
    with pytest.raises(TypeError, match="needs an estimator with predict_interval"):
        forecast(persistence_h3, series, target="temp", coverage=0.9)


def test_unfitted_estimator_is_rejected(series):
    with pytest.raises(NotFittedError, match="not fitted"):
        forecast(PersistenceRegressor(), series, target="temp")


# --- with LSTM models ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sine_h3(sine_frame):
    X, y = make_supervised(sine_frame, "y", horizon=3, features=["x", "y"])
    return LSTMForecaster(**TINY, target_column="y", max_steps=3).fit(X, y)


def test_lstm_forecaster_direct_with_interval(sine_frame, sine_h3):
    out = forecast(sine_h3, sine_frame, target="y", coverage=0.8)
    assert list(out.columns) == ["forecast", "lower", "upper"]
    assert np.all((out["lower"] < out["forecast"]) & (out["forecast"] < out["upper"]))
    np.testing.assert_allclose(out["forecast"], sine_h3.predict(sine_frame[["x", "y"]])[-1])
    pd.testing.assert_index_equal(
        out.index, pd.date_range(sine_frame.index[-1], periods=4, freq="D")[1:], check_names=False
    )


def test_a_forecast_predicts_from_the_last_window_only(sine_frame, sine_h3, monkeypatch):
    rows = []
    for name in ("predict", "predict_interval"):
        method = getattr(LSTMForecaster, name)
        monkeypatch.setattr(LSTMForecaster, name, lambda self, X, *a, _m=method, **k: (
            rows.append(len(X)), _m(self, X, *a, **k))[1])
    forecast(sine_h3, sine_frame, target="y", coverage=0.8)
    assert rows == [5, 5]  # sequence_length rows, not the whole history


def test_grid_search_and_its_best_estimator(sine_frame):
    series = sine_frame["y"]
    X, y = make_supervised(series, "y")
    search = GridSearchCV(
        LSTMForecaster(**TINY, max_steps=2), {"units": [TINY["units"]]}, cv=TimeSeriesSplit(2)
    ).fit(X, y)
    direct = forecast(search, series, target="y", coverage=0.5)
    best = forecast(search.best_estimator_, series, target="y", coverage=0.5)
    pd.testing.assert_frame_equal(direct, best)
    rolled = forecast(search.best_estimator_, series, target="y", horizon=3, method="recursive")
    assert rolled["forecast"].iloc[0] == pytest.approx(direct["forecast"].iloc[0])
    assert len(rolled) == 3 and np.all(np.isfinite(rolled["forecast"]))


def test_recommended_pipeline_in_a_transformed_target_regressor(sine_frame):
    series = sine_frame["y"]
    X, y = make_supervised(series, "y")
    pipe = Pipeline([
        ("scale", MinMaxScaler()),
        ("window", SequenceWindower(5)),
        ("lstm", LSTMRegressor(units=4, epochs=2, learning_rate=0.003, random_state=0)),
    ])
    model = TransformedTargetRegressor(regressor=pipe, transformer=MinMaxScaler()).fit(X, y)
    out = forecast(model, series, target="y", horizon=3, method="recursive")
    assert out.shape == (3, 1)
    assert out["forecast"].iloc[0] == pytest.approx(model.predict(series.to_frame())[-1])
