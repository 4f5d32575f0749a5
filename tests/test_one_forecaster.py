"""One forecaster: the guarantees every shape of data gets from the one recipe.

A single series, a wide panel and a long panel go through one panel layout
and one recipe, so each guarantee is checked on each shape: honest
cross-validation (the real past, no test target trained on), framing by
time, intervals, saves of a default model, numerics at any level.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import TimeSeriesSplit

from sklstm import LSTMForecaster, PanelSplit, forecast, load_estimator, make_supervised, save_estimator

TINY = {"units": 4, "max_steps": 30, "random_state": 0}
HORIZON = 3


def _series(n, seed, level=0.0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return level + 3 * np.sin(2 * np.pi * t / 7) + np.cumsum(rng.normal(0, 0.3, n))


@pytest.fixture(scope="module")
def single():
    data = pd.DataFrame({"y": _series(160, 0)},
                        index=pd.date_range("2021-01-01", periods=160, freq="D"))
    return make_supervised(data, "y", horizon=HORIZON)


@pytest.fixture(scope="module")
def wide():
    data = pd.DataFrame({"a": _series(160, 1), "b": _series(160, 2, level=50),
                         "x": np.cos(np.arange(160.0))},
                        index=pd.date_range("2021-01-01", periods=160, freq="D"))
    return make_supervised(data, ["a", "b"], horizon=HORIZON)


@pytest.fixture(scope="module")
def long():
    frames = [pd.DataFrame({"id": name, "t": np.arange(start, start + n),
                            "y": _series(n, seed, level)})
              for name, start, n, seed, level in [("a", 0, 150, 3, 0), ("b", 20, 120, 4, 10),
                                                  ("c", 5, 100, 5, -5)]]
    return make_supervised(pd.concat(frames, ignore_index=True), "y", series="id", time="t",
                           horizon=HORIZON)


SHAPES = {
    "single": ({}, "timeseries"),
    "wide": ({"target_column": ["a", "b"]}, "timeseries"),
    "long": ({}, "panel"),
}


def _splits(kind, X, y):
    cv = TimeSeriesSplit(3) if kind == "timeseries" else PanelSplit(3, test_size=8)
    return list(cv.split(X, y))


@pytest.mark.parametrize("shape", SHAPES)
def test_a_fold_is_predicted_with_its_real_past(shape, request):
    X, y = request.getfixturevalue(shape)
    params, kind = SHAPES[shape]
    train, test = _splits(kind, X, y)[1]
    model = LSTMForecaster(**TINY, **params).fit(X.iloc[train], y.iloc[train])
    np.testing.assert_allclose(model.predict(X.iloc[test]), model.predict(X)[test], rtol=1e-6,
                               atol=1e-6)


@pytest.mark.parametrize("shape", SHAPES)
def test_the_test_blocks_targets_inside_y_train_change_nothing(shape, request):
    X, y = request.getfixturevalue(shape)
    params, kind = SHAPES[shape]
    train, test = _splits(kind, X, y)[1]
    X_train, y_train = X.iloc[train], y.iloc[train]
    # the training rows' targets that lie after the step following their last row
    # are the test block's targets: move them far
    moved = y_train.copy()
    if shape == "long":
        rank = X_train.groupby(level=0).cumcount(ascending=False).to_numpy()
        for k in range(1, HORIZON):
            moved.iloc[rank < k, k] += 1000.0
    else:
        for k in range(1, HORIZON):
            columns = [c for c in y.columns if c.endswith(f"_t+{k + 1}")]
            moved.iloc[-k:, [y.columns.get_loc(c) for c in columns]] += 1000.0
    assert not moved.equals(y_train)
    first = LSTMForecaster(**TINY, **params).fit(X_train, y_train).predict(X.iloc[test])
    second = LSTMForecaster(**TINY, **params).fit(X_train, moved).predict(X.iloc[test])
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("shape", SHAPES)
def test_intervals_on_every_shape(shape, request):
    X, y = request.getfixturevalue(shape)
    params, _ = SHAPES[shape]
    model = LSTMForecaster(**TINY, **params, validation_fraction=0.2).fit(X, y)
    pred = model.predict(X)
    lower, upper = model.predict_interval(X, coverage=0.8)
    assert lower.shape == upper.shape == pred.shape
    assert np.all(lower <= pred) and np.all(pred <= upper)
    wider_lower, wider_upper = model.predict_interval(X, coverage=0.95)
    assert np.all(wider_upper - wider_lower >= upper - lower - 1e-9)


@pytest.mark.parametrize("shape", SHAPES)
def test_a_default_model_saves_loads_and_predicts_the_same(shape, request, tmp_path):
    X, y = request.getfixturevalue(shape)
    params, _ = SHAPES[shape]
    # every parameter at its default, but the budget and the seed
    model = LSTMForecaster(max_steps=5, random_state=0, **params).fit(X, y)
    assert model.units == "auto" and model.sequence_length == "auto"
    save_estimator(model, tmp_path / "model.zip")
    loaded = load_estimator(tmp_path / "model.zip")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_long_framing_is_by_time_not_by_rows():
    data = pd.DataFrame({"id": "a", "t": [1, 2, 3, 5, 6], "y": [10.0, 20.0, 30.0, 50.0, 60.0]})
    X, y = make_supervised(data, "y", series="id", time="t", horizon=2)
    # t=3's next times are 4 (missing: unknown) and 5; rows whose next two times lie
    # within the series (up to t=6) are t=1, 2 and 3
    assert X.index.get_level_values("t").tolist() == [1, 2, 3]
    np.testing.assert_array_equal(y.to_numpy(), [[20, 30], [30, np.nan], [np.nan, 50]])


@pytest.mark.parametrize("times, match", [
    (["2024-01-01", "2024-01-02", "2024-01-03"], "holds text"),
    ([1.0, np.nan, 3.0], "missing time"),
    ([1.5, 2.5, 3.5], "not a whole number"),
])
def test_long_times_that_are_not_times_are_refused_by_name(times, match):
    data = pd.DataFrame({"id": "a", "time": times, "y": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match=match):
        make_supervised(data, "y", series="id", time="time")


def test_a_series_on_another_step_is_refused_by_name():
    data = pd.concat([
        pd.DataFrame({"id": "daily", "t": np.arange(30), "y": np.arange(30.0)}),
        pd.DataFrame({"id": "weekly", "t": np.arange(0, 70, 7), "y": np.arange(10.0)}),
    ])
    with pytest.raises(ValueError, match="series 'weekly' steps by 7"):
        make_supervised(data, "y", series="id", time="t")


def test_dates_and_periods_are_read_on_their_step_with_a_missing_day():
    days = pd.date_range("2024-01-01", periods=40, freq="D").delete(17)
    data = pd.DataFrame({"id": "a", "day": days, "y": np.arange(39.0)})
    X, y = make_supervised(data, "y", series="id", time="day")
    # the day before the missing one has an unknown target
    assert np.isnan(y.loc[("a", days[16])]).all()
    months = pd.DataFrame({"id": "m", "month": pd.period_range("2020-01", periods=30, freq="M"),
                           "y": np.arange(30.0)})
    model = LSTMForecaster(**TINY).fit(*make_supervised(months, "y", series="id", time="month"))
    fc = forecast(model, months, target="y", series="id", time="month")
    assert fc["month"].tolist() == [pd.Period("2022-07", freq="M")]


def test_a_constant_series_beside_others_is_forecast_at_its_level():
    rng = np.random.default_rng(0)
    frames = [pd.DataFrame({"id": "flat", "t": np.arange(200), "y": np.full(200, 1e6)})]
    frames += [pd.DataFrame({"id": f"s{i}", "t": np.arange(200),
                             "y": 100 * i + np.cumsum(rng.normal(0, 1, 200))}) for i in range(3)]
    data = pd.concat(frames, ignore_index=True)
    model = LSTMForecaster(**TINY).fit(*make_supervised(data, "y", series="id", time="t"))
    fc = forecast(model, data, target="y", series="id", time="t")
    assert abs(fc.loc[fc["id"] == "flat", "forecast"].iloc[0] - 1e6) < 1e-3


@pytest.mark.parametrize("level", [1e9, 1e12])
def test_a_series_at_a_high_level_keeps_its_steps(level):
    t = np.arange(300)
    values = level + 50 * np.sin(2 * np.pi * t / 10)
    data = pd.DataFrame({"id": "a", "t": t, "y": values})
    model = LSTMForecaster(**TINY).fit(*make_supervised(data, "y", series="id", time="t"))
    shifted = data.assign(y=values - level)
    small = LSTMForecaster(**TINY).fit(*make_supervised(shifted, "y", series="id", time="t"))
    high = forecast(model, data, target="y", series="id", time="t")["forecast"].iloc[0]
    low = forecast(small, shifted, target="y", series="id", time="t")["forecast"].iloc[0]
    # windows are scaled in float64: the level moves the forecast by float64's rounding only
    assert abs((high - level) - low) < 1e-3


def test_deprecated_parameters_warn_and_name_what_replaces_them(single):
    X, y = single
    with pytest.warns(FutureWarning, match="trend='diff' was deprecated .* no effect"):
        LSTMForecaster(**TINY, trend="diff").fit(X, y)
    with pytest.warns(FutureWarning, match="epochs=2 was deprecated .* max_steps"):
        model = LSTMForecaster(units=4, random_state=0, epochs=2).fit(X, y)
    assert len(model.history_["loss"]) <= 2
    with pytest.raises(ValueError, match="pass only max_steps"), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        LSTMForecaster(units=4, epochs=2, max_steps=10).fit(X, y)


def test_sample_weight_on_a_long_panel_leaves_rows_of_weight_zero_out(long):
    X, y = long
    weights = np.ones(len(X))
    weights[X.index.get_level_values(0) == "c"] = 0
    moved = y.copy()
    moved[X.index.get_level_values(0) == "c"] += 1000.0
    first = LSTMForecaster(**TINY).fit(X, y, sample_weight=weights).predict(X)
    second = LSTMForecaster(**TINY).fit(X, moved, sample_weight=weights).predict(X)
    np.testing.assert_array_equal(first, second)


def test_update_moves_a_long_panels_memory_forward(long):
    X, y = long
    last_two = X.groupby(level=0).cumcount(ascending=False).to_numpy() < 2
    model = LSTMForecaster(**TINY).fit(X[~last_two], y[~last_two])
    expected = model.predict(X)[last_two]
    rows = X[last_two]
    first, second = rows.groupby(level=0).head(1), rows.groupby(level=0).tail(1)
    model.update(first)
    np.testing.assert_allclose(model.predict(second), expected[1::2], rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="after the remembered ones"):
        model.update(first)


def test_short_series_train_the_forecasting_network_again_on_every_window():
    # six steps ahead, the 5 windows before each 30-row series' held-out one reach into
    # its targets: a large share of the windows, and the newest data, kept out of
    # training; the network is trained a second time, on all of them (not for 400 rows)
    rng = np.random.default_rng(0)

    def fitted(n_rows):
        frame = pd.DataFrame({"id": np.repeat(["a", "b"], n_rows),
                              "t": np.tile(np.arange(n_rows), 2),
                              "y": rng.normal(size=2 * n_rows).cumsum()})
        X, y = make_supervised(frame, target="y", series="id", time="t", horizon=6)
        return LSTMForecaster(units=4, max_steps=7, random_state=0).fit(X, y)

    short, long_ = fitted(30), fitted(400)
    assert (short.n_steps_, len(short.history_["loss"])) == (14, 7)
    assert (long_.n_steps_, len(long_.history_["loss"])) == (7, 7)
