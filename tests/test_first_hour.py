"""A new user's first hour with long data (issue 26): right, or refused in one line.

Each test is a step a new user took with their own hourly CSV of meters, or a
probe of the long-panel surfaces that sklstm 0.2 got wrong: a silent mix-up,
a late or misleading message, an option accepted and ignored. Every refusal
names the parameter, the value and the fix.
"""

import contextlib
import io

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler

from sklstm import (
    LSTMForecaster, LSTMRegressor, SequenceWindower, forecast, load_estimator, make_supervised,
    save_estimator,
)
from sklstm import cli
from sklstm.cli import main

FAST = {"units": 4, "max_steps": 3, "random_state": 0}
HORIZON = 6


def meters(n_meters=3, hours=24 * 8, tz=None):
    """Hourly kWh of a few meters that start on different days: meter, timestamp, kwh."""
    frames = []
    for i in range(n_meters):
        times = pd.date_range("2024-03-01", periods=hours, freq="h", tz=tz) + pd.Timedelta(
            days=i)
        hour = times.hour.to_numpy()
        kwh = 1 + i + np.sin(2 * np.pi * hour / 24) + 0.05 * np.cos(np.arange(hours))
        frames.append(pd.DataFrame({"meter": f"M{i:02d}", "timestamp": times, "kwh": kwh}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def data():
    return meters()


@pytest.fixture(scope="module")
def model(data):
    X, y = make_supervised(data, "kwh", series="meter", time="timestamp", horizon=HORIZON)
    return LSTMForecaster(season_length=24, **FAST).fit(X, y)


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


# --- framing: series= forgotten, times that are not times -------------------------------


@pytest.mark.parametrize("as_text", [False, True])
def test_forgetting_series_is_refused_naming_the_columns(data, as_text):
    if as_text:
        data = data.assign(timestamp=data["timestamp"].astype(str))
    with pytest.raises(ValueError, match=r"data looks long: its column 'timestamp' repeats "
                                         r"times .* once per value of 'meter'.*Pass "
                                         r"series='meter', time='timestamp'"):
        make_supervised(data, target="kwh", horizon=HORIZON)


def test_text_timestamps_are_refused_when_framed_not_at_forecast(data):
    text = data.assign(timestamp=data["timestamp"].astype(str))
    with pytest.raises(ValueError, match=r"time='timestamp' holds text .*pandas.to_datetime"):
        make_supervised(text, "kwh", series="meter", time="timestamp", horizon=HORIZON)


def test_a_panel_whose_longest_series_misses_a_day_is_read_on_its_step():
    days = pd.date_range("2024-01-01", periods=60, freq="D")
    data = pd.concat([pd.DataFrame({"id": "long", "day": days.delete(30),
                                    "y": np.sin(np.arange(59.0))}),
                      pd.DataFrame({"id": "short", "day": days[20:], "y": np.cos(np.arange(40.0))})])
    X, y = make_supervised(data, "y", series="id", time="day")
    model = LSTMForecaster(**FAST).fit(X, y)
    fc = forecast(model, data, target="y", series="id", time="day")
    assert fc["day"].tolist() == [days[-1] + pd.Timedelta(days=1)] * 2


def test_new_rows_with_whole_float_times_are_read_as_steps():
    data = pd.DataFrame({"id": "a", "t": np.arange(40), "y": np.sin(np.arange(40.0))})
    X, y = make_supervised(data, "y", series="id", time="t")
    model = LSTMForecaster(**FAST).fit(X.iloc[:30], y.iloc[:30])
    floats = X.iloc[30:].rename(index=float, level="t")
    np.testing.assert_allclose(model.predict(floats), model.predict(X)[30:], rtol=1e-6)


@pytest.mark.parametrize("change, match", [
    (lambda d: d.assign(meter=d["meter"].where(d.index != 5)),
     r"series='meter' is missing \(NaN\) on data row 5.*dropna\(subset=\['meter'\]\)"),
    (lambda d: d.iloc[:0], "data has no rows"),
    (lambda d: d.assign(meter=np.where(d["meter"] == "M01", 1, d["meter"]).astype(object))
     .assign(meter=lambda f: f["meter"].where(f["meter"] != "M02", "1")),
     r"series='meter' mixes ids of several kinds \(int, str\).*astype\(str\)"),
])
def test_ids_that_cannot_name_a_series_are_refused(data, change, match):
    with pytest.raises(ValueError, match=match):
        make_supervised(change(data), "kwh", series="meter", time="timestamp",
                        horizon=HORIZON)


@pytest.mark.parametrize("call", ["make_supervised", "forecast"])
def test_a_polars_frame_is_refused_naming_to_pandas(data, model, call):
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame({"meter": data["meter"].tolist(),
                          "timestamp": data["timestamp"].to_numpy(), "kwh": data["kwh"].to_numpy()})
    with pytest.raises(TypeError, match=r"polars.*DataFrame; convert it with data.to_pandas\(\)"):
        if call == "make_supervised":
            make_supervised(frame, "kwh", series="meter", time="timestamp")
        else:
            forecast(model, frame, target="kwh", series="meter", time="timestamp")


# --- fit and forecast: what reaches the model ---------------------------------------------


def test_forecast_of_a_long_model_without_series_says_to_pass_them(data, model):
    with pytest.raises(ValueError, match=r"fitted on a long panel .* pass series= and time=, "
                                         r"e.g. forecast\(model, data, target='kwh', "
                                         r"series='meter', time='timestamp'\)"):
        forecast(model, data, target="kwh")


def test_forecast_of_another_target_is_refused(data, model):
    with pytest.raises(ValueError, match=r"target='no_such_column', but the model was fitted "
                                         r"to forecast 'kwh'"):
        forecast(model, data, target="no_such_column", series="meter", time="timestamp")


def test_a_series_that_ends_on_an_unknown_value_is_refused_by_name(data, model):
    ended = data.copy()
    last = ended.groupby("meter").tail(1).index
    ended.loc[last[1], "kwh"] = np.nan
    with pytest.raises(ValueError, match=r"1 series end on an unknown value \(NaN in 'kwh'\).*"
                                         r"series 'M01' at timestamp=.*ffill"):
        forecast(model, ended, target="kwh", series="meter", time="timestamp")


def test_intervals_of_a_long_panel(data, model):
    fc = forecast(model, data, target="kwh", series="meter", time="timestamp", coverage=0.8)
    assert fc.columns.tolist() == ["meter", "timestamp", "forecast", "lower", "upper"]
    assert (fc["lower"] <= fc["forecast"]).all() and (fc["forecast"] <= fc["upper"]).all()


def test_a_step_that_drops_the_index_is_refused_and_set_output_keeps_it(data):
    X, y = make_supervised(data, "kwh", series="meter", time="timestamp", horizon=HORIZON)
    with pytest.raises(ValueError, match=r"y is indexed by \['meter', 'timestamp'\] \(a long "
                                         r"panel\) but X is ndarray.*set_output"):
        make_pipeline(StandardScaler(), LSTMForecaster(**FAST)).fit(X, y)
    pipe = make_pipeline(StandardScaler(), LSTMForecaster(**FAST)).set_output(transform="pandas")
    assert pipe.fit(X, y).predict(X).shape == y.shape


def test_y_in_another_order_than_x_is_refused(data):
    X, y = make_supervised(data, "kwh", series="meter", time="timestamp", horizon=HORIZON)
    with pytest.raises(ValueError, match=r"y's rows are in another order than X's.*"
                                         r"y.loc\[X.index\]"):
        LSTMForecaster(**FAST).fit(X, y.iloc[::-1])


@pytest.mark.parametrize("tz", ["Europe/Paris", None])
def test_a_model_of_zoned_times_saves_and_loads(tmp_path, tz):
    data = meters(2, tz=tz)
    X, y = make_supervised(data, "kwh", series="meter", time="timestamp", horizon=HORIZON)
    model = LSTMForecaster(**FAST).fit(X, y)
    loaded = load_estimator(save_estimator(model, tmp_path / "model.zip"))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert str(loaded.memory_["times"].tz) == str(tz)


# --- intervals and plots of the compositions users build ----------------------------------


def test_the_readme_pipeline_and_a_pipeline_ending_in_the_forecaster_give_intervals():
    from sklstm.datasets import load_seattle_weather

    weather = load_seattle_weather().iloc[:300]
    X, y = make_supervised(weather, "temp_max", features=["temp_max", "temp_min"])
    readme = TransformedTargetRegressor(
        regressor=Pipeline([("scale", MinMaxScaler()), ("window", SequenceWindower(7)),
                            ("lstm", LSTMRegressor(units=4, epochs=3, random_state=0))]),
        transformer=MinMaxScaler()).fit(X, y)
    ending = make_pipeline(FunctionTransformer(feature_names_out="one-to-one"),
                           LSTMForecaster(target_column="temp_max", **FAST))
    ending.set_output(transform="pandas").fit(X, y)
    for model in (readme, ending):
        fc = forecast(model, weather, target="temp_max", coverage=0.9)
        assert (fc["lower"] <= fc["forecast"]).all() and (fc["forecast"] <= fc["upper"]).all()
    plain = TransformedTargetRegressor(
        regressor=Pipeline([("window", SequenceWindower(7)),
                            ("lstm", LSTMRegressor(units=4, epochs=2, early_stopping=False))]),
        transformer=MinMaxScaler()).fit(X, y)
    with pytest.raises(ValueError, match=r"needs at least 9 held-out rows .*early_stopping=True"):
        forecast(plain, weather, target="temp_max", coverage=0.9)


def test_plot_forecast_draws_one_series_of_a_long_forecast(data, model):
    import matplotlib.pyplot as plt

    from sklstm.plotting import plot_forecast

    fc = forecast(model, data, target="kwh", series="meter", time="timestamp", coverage=0.8)
    ax = plot_forecast(data, forecast=fc, series="M01", tail=48)
    assert ax.get_xlabel().startswith("timestamp")
    assert [line.get_label() for line in ax.lines] == ["kwh (meter M01)", "forecast"]
    assert ax.collections  # the interval
    plt.close(ax.figure)
    with pytest.raises(ValueError, match=r"for long data .* series=<the id to draw>"):
        plot_forecast(data, forecast=fc)


# --- the command line -------------------------------------------------------------------


@pytest.fixture(scope="module")
def meters_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("meters") / "meters.csv"
    meters(3, hours=24 * 12).to_csv(path, index=False)
    return path


def test_a_typo_in_an_option_gets_a_did_you_mean(meters_csv):
    code, _, err = _run(["forecast", str(meters_csv), "--series", "meter",
                         "--season-lenght", "24"])
    assert code == 2 and "did you mean --season-length?" in err


def test_the_cli_says_to_pass_series_when_dates_repeat(meters_csv):
    code, _, err = _run(["forecast", str(meters_csv), "--target", "kwh"])
    assert code == 2 and "repeats" in err and "--series meter" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("args, message", [
    (["--splits", "1"], "--splits: must be at least 2"),
    (["--out", "/proc/sklstm-out"], "cannot create output directory"),
])
def test_long_options_are_checked_before_any_fit(meters_csv, args, message):
    code, out, err = _run(["forecast", str(meters_csv), "--series", "meter", *args])
    assert code == 2 and message in err and "fitting" not in out + err


def test_the_cli_finds_the_daily_season_of_hourly_data_and_writes_intervals(meters_csv, tmp_path):
    code, out, err = _run(["forecast", str(meters_csv), "--series", "meter", "--horizon", "6",
                           "--splits", "2", "--max-steps", "3", "--units", "4",
                           "--coverage", "0.5", "--out", str(tmp_path)])
    assert code == 0, err
    assert "season:   24 steps (a day): these hourly data repeat on it" in out
    # the weekly cycle, not found in a few weeks of hours, is named with the option that adds it
    assert "not found: 168 (a week), which --season-length 24 168 adds if the data have it" \
        in out
    fc = pd.read_csv(tmp_path / "forecast.csv")
    assert fc[["lower", "upper"]].notna().all().all()
    assert "next:" in out and "save_estimator" in out


def test_the_cli_finds_a_weekly_cycle_beside_the_daily_one(tmp_path):
    # five weeks of hours, higher at weekends: the week is found once the day is taken out
    data = meters(n_meters=2, hours=24 * 35)
    weekend = pd.to_datetime(data["timestamp"]).dt.day_of_week >= 5
    data["kwh"] += 0.6 * weekend + np.random.default_rng(0).normal(0, 0.05, len(data))
    path = tmp_path / "weekly.csv"
    data.to_csv(path, index=False)
    code, out, err = _run(["forecast", str(path), "--series", "meter", "--horizon", "6",
                           "--splits", "2", "--max-steps", "3", "--units", "4",
                           "--out", str(tmp_path / "out")])
    assert code == 0, err
    assert ("season:   24 steps (a day) and 168 steps (a week): these hourly data repeat on "
            "them") in out


@pytest.mark.parametrize("cycled, found", [
    ([False, True, True, True], True),  # the longest series is noise; most have the day
    ([True, False, False, False, False], False),  # only the longest has it: 1 in 5
])
def test_the_cli_season_is_the_one_a_share_of_the_series_repeat_on(tmp_path, cycled, found):
    rng = np.random.default_rng(0)
    frames = []
    for i, has_cycle in enumerate(cycled):
        hours = 24 * (20 if i == 0 else 12)  # the first series is the longest
        t = np.arange(hours)
        day = np.sin(2 * np.pi * t / 24) if has_cycle else 0.0
        frames.append(pd.DataFrame({
            "meter": f"m{i}", "timestamp": pd.date_range("2024-03-01", periods=hours, freq="h"),
            "kwh": 5 + day + np.cumsum(rng.normal(0, 0.3, hours))}))
    pd.concat(frames).to_csv(tmp_path / "share.csv", index=False)
    args = cli._build_parser().parse_args(["forecast", str(tmp_path / "share.csv"),
                                           "--series", "meter", "--target", "kwh"])
    cli._fill_defaults(args)
    said = cli._find_season(args, cli._load_long(args))
    assert (said is not None and said.startswith("24 steps (a day)")) == found


def test_the_cli_suggests_the_season_of_whole_number_steps(tmp_path):
    t = np.arange(24 * 10)
    rows = pd.DataFrame({"id": "a", "step": t, "y": np.sin(2 * np.pi * t / 24)
                         + 0.01 * np.cos(t)})
    path = tmp_path / "steps.csv"
    rows.to_csv(path, index=False)
    code, out, err = _run(["forecast", str(path), "--series", "id", "--date-column", "step",
                           "--horizon", "2", "--splits", "2", "--max-steps", "2", "--units", "4",
                           "--coverage", "0.5", "--out", str(tmp_path / "out")])
    assert code == 0, err
    assert "the data repeat every 24 steps: to use it, pass --season-length 24" in out
