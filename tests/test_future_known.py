"""Future-known covariates and calendar columns: framing, forecasting, refusals, save/load.

The framing is checked against tables written out by hand; the forecast
paths against ``predict`` on the rows make_supervised framed from the whole
data (the future values are the data's own), with a linear model where the
numbers must be exact; one tiny LSTM shows that a covariate that drives the
target is worth learning from.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from sklstm import (
    LSTMForecaster,
    forecast,
    load_estimator,
    make_supervised,
    save_estimator,
)

H = 3


# --- framing: hand-computed tables ---------------------------------------------------


def test_wide_future_columns_are_the_values_at_the_target_times():
    data = pd.DataFrame({"sales": [5.0, 9.0, 6.0, 5.0, 7.0],
                         "promo": [0.0, 1.0, 0.0, 0.0, 1.0],
                         "price": [2.0, 1.5, 2.0, 2.0, 1.0]})
    X, y = make_supervised(data, "sales", horizon=2, future=["promo", "price"])
    assert list(X.columns) == ["sales", "promo", "price", "promo_t+1", "promo_t+2",
                               "price_t+1", "price_t+2"]
    expected = [[5.0, 0.0, 2.0, 1.0, 0.0, 1.5, 2.0],
                [9.0, 1.0, 1.5, 0.0, 0.0, 2.0, 2.0],
                [6.0, 0.0, 2.0, 0.0, 1.0, 2.0, 1.0]]
    assert X.to_numpy().tolist() == expected
    assert y.to_numpy().tolist() == [[9.0, 6.0], [6.0, 5.0], [5.0, 7.0]]
    assert data.columns.tolist() == ["sales", "promo", "price"]  # data untouched
    flags = data.astype({"promo": bool})  # a flag column reads as 0 and 1
    X_flags, _ = make_supervised(flags, "sales", horizon=2, future=["promo"], features=[])
    assert X_flags.to_numpy().tolist() == [[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]]


def test_wide_panel_puts_future_columns_after_targets_and_features():
    data = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [10.0, 20.0, 30.0],
                         "promo": [0.0, 1.0, 1.0]})
    X, _ = make_supervised(data, ["a", "b"], horizon=1, future="promo")
    assert list(X.columns) == ["a", "b", "promo", "promo_t+1"]
    assert X["promo_t+1"].tolist() == [1.0, 1.0]


def test_long_future_columns_are_placed_by_time_not_by_row():
    # series "a" skips time 4: its row at 3 has no value at 4, its row at 2 none at 4
    long = pd.DataFrame({"id": ["a"] * 4 + ["b"] * 3,
                         "t": [1, 2, 3, 5, 1, 2, 3],
                         "v": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                         "p": [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0]})
    X, y = make_supervised(long, "v", series="id", time="t", horizon=2, future=["p"])
    assert list(X.columns) == ["v", "p", "p_t+1", "p_t+2"]
    assert X.index.tolist() == [("a", 1), ("a", 2), ("a", 3), ("b", 1)]
    nan = np.nan
    np.testing.assert_array_equal(
        X[["p_t+1", "p_t+2"]].to_numpy(), [[10.0, 20.0], [20.0, nan], [nan, 30.0], [50.0, 60.0]])
    np.testing.assert_array_equal(y.to_numpy(), [[1.0, 2.0], [2.0, nan], [nan, 3.0], [5.0, 6.0]])


def test_calendar_columns_by_hand():
    # 2024-01-01 was a Monday; 06:00 is a quarter of the day, 12:00 half of it
    times = pd.DatetimeIndex(["2024-01-01 00:00", "2024-01-01 06:00", "2024-01-01 12:00"])
    hourly = pd.DataFrame({"load": [1.0, 2.0, 3.0, 4.0]},
                          index=pd.date_range("2024-01-01", periods=4, freq="6h"))
    X, _ = make_supervised(hourly, "load", calendar=True)
    assert list(X.columns) == ["load", "time_of_day_sin", "time_of_day_cos",
                               "day_of_week_sin", "day_of_week_cos"]
    np.testing.assert_allclose(X["time_of_day_sin"], [0.0, 1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(X["time_of_day_cos"], [1.0, 0.0, -1.0], atol=1e-12)
    week = 2 * np.pi * np.array([0.0, 0.25, 0.5]) / 7
    np.testing.assert_allclose(X["day_of_week_sin"], np.sin(week), atol=1e-12)
    assert X.index.equals(times)


def test_calendar_of_months_is_the_time_of_year_for_periods_and_long_data():
    monthly = pd.DataFrame({"v": np.arange(14.0)},
                           index=pd.period_range("2023-01", periods=14, freq="M"))
    X, _ = make_supervised(monthly, "v", calendar=True)
    assert list(X.columns) == ["v", "time_of_year_sin", "time_of_year_cos"]
    # January 1st is the year's start; 2024-01 (a year on) again
    np.testing.assert_allclose(X.iloc[[0, 12]][["time_of_year_sin", "time_of_year_cos"]],
                               [[0.0, 1.0], [0.0, 1.0]], atol=1e-12)
    long = monthly.rename_axis("month").reset_index().assign(id="x")
    long["month"] = long["month"].dt.to_timestamp()
    XL, _ = make_supervised(long, "v", series="id", time="month", calendar=True)
    np.testing.assert_allclose(XL["time_of_year_cos"].to_numpy()[:3],
                               X["time_of_year_cos"].to_numpy()[:3], atol=0.02)


@pytest.mark.parametrize("kwargs, message", [
    ({"future": ["nope"]}, r"future=\['nope'\] names \['nope'\], not columns"),
    ({"future": ["sales"]}, "is the target, the series or the time"),
    ({"future": ["kind"]}, r"not numeric .*astype\(float\)"),
    ({"future": ["promo", "promo"]}, "more than once"),
])
def test_future_refusals_name_the_column_and_the_fix(kwargs, message):
    data = pd.DataFrame({"sales": [1.0, 2.0, 3.0], "promo": [0.0, 1.0, 0.0],
                         "kind": ["x", "y", "z"]})
    with pytest.raises(ValueError, match=message):
        make_supervised(data, "sales", **kwargs)


def test_calendar_refusals():
    irregular = pd.DataFrame({"v": [1.0, 2.0, 3.0, 4.0]},
                             index=pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-05",
                                                   "2024-01-11"]))
    with pytest.raises(ValueError, match=r"no frequency .* data.asfreq\('D'\)"):
        make_supervised(irregular, "v", calendar=True)
    steps = pd.DataFrame({"v": np.arange(5.0)})
    with pytest.raises(ValueError, match=r"calendar=True needs times that are dates.*integer"):
        make_supervised(steps, "v", calendar=True)
    yearly = steps.set_axis(pd.period_range("2000", periods=5, freq="Y"))
    with pytest.raises(ValueError, match="no calendar cycle of 2 to 200 steps"):
        make_supervised(yearly, "v", calendar=True)
    clash = steps.set_axis(pd.date_range("2024-01-01", periods=5, freq="D")).assign(
        day_of_week_sin=0.0)
    with pytest.raises(ValueError, match=r"adds the column\(s\) \['day_of_week_sin'"):
        make_supervised(clash, "v", calendar=True)
    taken = pd.DataFrame({"v": [1.0, 2.0, 3.0], "p": [0.0, 1.0, 0.0], "p_t+1": 0.0})
    with pytest.raises(ValueError, match=r"adds the column\(s\) \['p_t\+1'\]"):
        make_supervised(taken, "v", future=["p"])


# --- forecast: exact with a linear model ------------------------------------------


@pytest.fixture(scope="module")
def promo_days():
    """Daily sales that are 10 plus 5 on promotion days, planned ahead."""
    rng = np.random.default_rng(1)
    promo = (rng.random(60) < 0.3).astype(float)
    index = pd.date_range("2024-01-01", periods=60, freq="D", name="day")
    return pd.DataFrame({"sales": 10.0 + 5.0 * promo, "promo": promo}, index=index)


def test_linear_forecast_reads_the_future_frame(promo_days):
    X, y = make_supervised(promo_days, "sales", horizon=H, features=["promo"],
                           future=["promo"])
    model = LinearRegression().fit(X, y)
    history, ahead = promo_days.iloc[:-H], promo_days.iloc[-H:]
    out = forecast(model, history, target="sales", future=ahead[["promo"]])
    np.testing.assert_allclose(out["forecast"], ahead["sales"], atol=1e-9)
    assert out.index.equals(ahead.index)


def test_linear_wide_panel_forecast_reads_the_shared_future_frame(promo_days):
    panel = promo_days.assign(other=20.0 + 8.0 * promo_days["promo"])
    X, y = make_supervised(panel, ["sales", "other"], horizon=H, features=[],
                           future=["promo"])
    model = LinearRegression().fit(X.drop(columns=["sales", "other"]), y)
    history, ahead = panel.iloc[:-H], panel.iloc[-H:]
    out = forecast(model, history, target=["sales", "other"],
                   features=[f"promo_t+{k}" for k in range(1, H + 1)],
                   future=ahead[["promo"]])
    np.testing.assert_allclose(out[["sales", "other"]], ahead[["sales", "other"]], atol=1e-9)


def test_forecast_refuses_missing_or_misaligned_future(promo_days):
    X, y = make_supervised(promo_days, "sales", horizon=H, future=["promo"])
    model = LinearRegression().fit(X, y)
    history, ahead = promo_days.iloc[:-H], promo_days.iloc[-H:][["promo"]]
    with pytest.raises(ValueError, match=r"reads promo_t\+1 .. promo_t\+3.*pass future="):
        forecast(model, history, target="sales")
    with pytest.raises(ValueError, match="future has no row at '2024-02-27"):
        forecast(model, history, target="sales", future=ahead.iloc[1:])
    with pytest.raises(ValueError, match="future has no row at '2024-02-27"):
        forecast(model, history, target="sales", future=ahead.reset_index(drop=True))
    gap = ahead.copy()
    gap.iloc[1, 0] = np.nan
    with pytest.raises(ValueError, match="no value \\(NaN\\) of 'promo' at '2024-02-28"):
        forecast(model, history, target="sales", future=gap)
    with pytest.raises(ValueError, match="future has no column 'promo'.*columns are \\['p'\\]"):
        forecast(model, history, target="sales", future=ahead.rename(columns={"promo": "p"}))
    twice = pd.concat([ahead.iloc[:1].assign(promo=-1.0), ahead])  # would shift every value
    with pytest.raises(ValueError, match="more than one row for '2024-02-27'"):
        forecast(model, history, target="sales", future=twice)
    with pytest.raises(ValueError, match="time zone UTC, but data's are in None"):
        forecast(model, history, target="sales", future=ahead.tz_localize("UTC"))
    with pytest.raises(TypeError, match="future must be a pandas DataFrame"):
        forecast(model, history, target="sales", future=ahead.to_numpy())
    plain = LinearRegression().fit(*make_supervised(promo_days, "sales", horizon=H))
    with pytest.raises(ValueError, match="the model reads none"):
        forecast(plain, history, target="sales", future=ahead)


def test_linear_forecast_makes_the_calendar_of_the_future_dates():
    days = pd.date_range("2024-01-01", periods=50, freq="D", name="day")
    phase = 2 * np.pi * days.day_of_week / 7
    sales = pd.DataFrame({"sales": 10.0 + 2.0 * np.sin(phase) - np.cos(phase)}, index=days)
    X, y = make_supervised(sales, "sales", horizon=H, features=[], calendar=True)
    assert list(X.columns) == ["day_of_week_sin", "day_of_week_cos"]
    model = LinearRegression().fit(X, y)
    out = forecast(model, sales.iloc[:-H], target="sales")
    np.testing.assert_allclose(out["forecast"], sales["sales"].iloc[-H:], atol=1e-9)
    with pytest.raises(ValueError, match=r"the model's calendar \['day_of_week_sin', "
                                         r"'day_of_week_cos'\] needs times that are dates.*"
                                         "or pass data indexed by its dates"):
        forecast(model, sales.reset_index(drop=True), target="sales")


# --- a covariate that drives the target: a tiny LSTM, with and without ------------


TEST_DAYS = 30


@pytest.fixture(scope="module")
def promo_panel():
    """Eight stores whose sales jump by 8 on promotion days (planned, random)."""
    rng = np.random.default_rng(0)
    days = pd.date_range("2024-01-01", periods=240, freq="D")
    frames = []
    for store in range(8):
        promo = (rng.random(len(days)) < 0.2).astype(float)
        sales = (10 + 3 * np.sin(2 * np.pi * np.arange(len(days)) / 7 + store) + 8 * promo
                 + rng.normal(0, 0.3, len(days)))
        frames.append(pd.DataFrame({"store": f"s{store}", "day": days, "sales": sales,
                                    "promo": promo}))
    return pd.concat(frames, ignore_index=True)


def _fit(panel, future):
    X, y = make_supervised(panel, "sales", series="store", time="day", horizon=H,
                           future=future)
    days = X.index.get_level_values("day")
    start = days.max() - pd.Timedelta(days=TEST_DAYS)
    train = days <= start - pd.Timedelta(days=H)  # no test-block target in training
    model = LSTMForecaster(units=16, max_steps=300, random_state=0).fit(X[train], y[train])
    test = days > start
    return model, X[test], y[test]


@pytest.fixture(scope="module")
def promo_models(promo_panel):
    return {"with": _fit(promo_panel, ["promo"]), "without": _fit(promo_panel, None)}


def test_a_covariate_that_drives_the_target_wins_widely(promo_models):
    errors = {name: np.abs(model.predict(X) - y.to_numpy()).mean()
              for name, (model, X, y) in promo_models.items()}
    # measured: 1.24 with the promotions ahead, 2.55 without
    assert errors["with"] < 0.7 * errors["without"], errors


def test_long_forecast_with_future_is_predict_on_the_framed_rows(promo_panel, promo_models,
                                                                 tmp_path):
    model, _, _ = promo_models["with"]
    last_days = promo_panel["day"].unique()[-H:]
    history = promo_panel[~promo_panel["day"].isin(last_days)]
    ahead = promo_panel[promo_panel["day"].isin(last_days)][["store", "day", "promo"]]
    out = forecast(model, history, target="sales", series="store", time="day", future=ahead)
    X, _ = make_supervised(promo_panel, "sales", series="store", time="day", horizon=H,
                           future=["promo"])
    expected = model.predict(X)[X.index.get_level_values("day") == history["day"].max()]
    np.testing.assert_allclose(out["forecast"].to_numpy().reshape(-1, H), expected,
                               rtol=1e-5, atol=1e-5)
    assert (out["day"].to_numpy().reshape(-1, H) == np.asarray(last_days)).all()

    path = tmp_path / "promo.zip"
    save_estimator(model, path)
    again = forecast(load_estimator(path), history, target="sales", series="store",
                     time="day", future=ahead)
    np.testing.assert_allclose(again["forecast"], out["forecast"], rtol=1e-6)

    with pytest.raises(ValueError, match="future has no row for series 's3' at day="):
        forecast(model, history, target="sales", series="store", time="day",
                 future=ahead[ahead["store"] != "s3"])
    twice = pd.concat([ahead, ahead.iloc[:1].assign(promo=5.0)])
    with pytest.raises(ValueError, match="more than one row for series 's0' at '2024-08-25'"):
        forecast(model, history, target="sales", series="store", time="day", future=twice)
    with pytest.raises(ValueError, match="future has no column 'store'.*columns 'store', 'day'"):
        forecast(model, history, target="sales", series="store", time="day",
                 future=ahead.drop(columns="store"))
    zoned = ahead.assign(day=ahead["day"].dt.tz_localize("UTC"))
    with pytest.raises(ValueError, match="time zone UTC, but data's are in None"):
        forecast(model, history, target="sales", series="store", time="day", future=zoned)
    shuffled = ahead.sample(frac=1.0, random_state=0)  # any order: placed by series and time
    np.testing.assert_allclose(
        forecast(model, history, target="sales", series="store", time="day",
                 future=shuffled)["forecast"], out["forecast"])


def test_calendar_model_forecasts_from_the_times_alone(promo_panel):
    X, y = make_supervised(promo_panel, "sales", series="store", time="day", horizon=H,
                           calendar=True)
    assert {"day_of_week_sin", "day_of_week_cos"} <= set(X.columns)
    model = LSTMForecaster(units=4, max_steps=5, random_state=0).fit(X, y)
    out = forecast(model, promo_panel, target="sales", series="store", time="day")
    last = X.index.get_level_values("day") == X.index.get_level_values("day").max()
    assert out.shape == (8 * H, 3) and np.isfinite(out["forecast"]).all()
    # the last framed day's forecast from the history up to it is predict on its row
    history = promo_panel[promo_panel["day"] <= X.index.get_level_values("day").max()]
    np.testing.assert_allclose(
        forecast(model, history, target="sales", series="store", time="day")["forecast"]
        .to_numpy().reshape(-1, H), model.predict(X)[last], rtol=1e-5, atol=1e-5)


def test_wide_lstm_forecast_with_future_is_predict_on_the_last_framed_row(promo_days):
    X, y = make_supervised(promo_days, "sales", horizon=H, future=["promo"], calendar=True)
    model = LSTMForecaster(units=4, max_steps=5, sequence_length=7, random_state=0).fit(X, y)
    history, ahead = promo_days.iloc[:-H], promo_days.iloc[-H:]
    out = forecast(model, history, target="sales", future=ahead[["promo"]], coverage=0.8)
    np.testing.assert_allclose(out["forecast"], model.predict(X)[-1], rtol=1e-5, atol=1e-5)
    assert (out["lower"] <= out["forecast"]).all() and out.index.equals(ahead.index)


# --- the command line: --calendar ------------------------------------------------------


def _cli(argv):
    import contextlib
    import io

    from sklstm.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_the_cli_adds_the_calendar_and_forecasts_from_the_dates(tmp_path):
    times = pd.date_range("2024-03-01", periods=24 * 10, freq="h")
    rows = pd.DataFrame({"meter": "m1", "timestamp": times,
                         "kwh": 2 + np.sin(2 * np.pi * times.hour / 24)})
    rows.to_csv(tmp_path / "kwh.csv", index=False)
    code, out, err = _cli(["forecast", str(tmp_path / "kwh.csv"), "--series", "meter",
                           "--horizon", "4", "--splits", "2", "--max-steps", "2", "--units", "4",
                           "--calendar", "--out", str(tmp_path / "out")])
    assert code == 0, err
    assert ("calendar: time_of_day_sin, time_of_day_cos, day_of_week_sin, day_of_week_cos "
            "(--calendar), from the dates") in out
    assert "make_supervised(..., calendar=True) is this model" in out
    fc = pd.read_csv(tmp_path / "out" / "forecast.csv")
    assert len(fc) == 4 and fc["forecast"].notna().all()


def test_the_cli_refuses_a_calendar_of_integer_steps_in_its_own_words(tmp_path):
    pd.DataFrame({"t": range(200), "y": np.arange(200.0)}).to_csv(tmp_path / "s.csv", index=False)
    code, out, err = _cli(["forecast", str(tmp_path / "s.csv"), "--date-column", "t",
                           "--calendar", "--out", str(tmp_path / "out")])
    assert code == 2 and "fitting" not in out + err
    assert "--calendar needs dates, but the times of the data are whole-number steps" in err
    assert "leave out --calendar, or name a column of dates with --date-column" in err
