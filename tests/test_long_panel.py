"""Long panels and the one recipe: framing, windows per series, the splitter, the model."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_validate

from sklstm import (
    LSTMForecaster,
    PanelSplit,
    forecast,
    load_estimator,
    make_supervised,
    save_estimator,
)
from sklstm import _simple_forecasts as simple_forecasts
from sklstm._panel import Panel, SeriesGrid
from sklstm._recipe import (
    Settings,
    _passes,
    affordable_fold,
    auto_steps,
    resolve_units,
    scale_windows,
)

HORIZON = 3


def _panel(n_series=4, seed=0):
    """Unaligned seasonal series of different lengths and starts, integer times."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n_series):
        n = 60 + 7 * i
        start = 5 * i
        t = np.arange(start, start + n)
        values = 10 * (i + 1) + np.sin(2 * np.pi * t / 6) + 0.1 * rng.standard_normal(n)
        frames.append(pd.DataFrame({"unique_id": f"s{i}", "ds": t, "y": values}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def panel():
    return _panel()


@pytest.fixture(scope="module")
def framed(panel):
    return make_supervised(panel, target="y", series="unique_id", time="ds", horizon=HORIZON)


@pytest.fixture(scope="module")
def fitted(framed):
    X, y = framed
    return LSTMForecaster(sequence_length=8, units=4, max_steps=30, season_length=6,
                          random_state=0).fit(X, y)


# --- framing ----------------------------------------------------------------------


def test_framing_by_hand_for_two_unaligned_series():
    data = pd.DataFrame({
        "id": ["b", "a", "a", "b", "a", "b", "a", "b"],
        "t": [12, 1, 2, 10, 3, 11, 4, 13],
        "y": [3.0, 10.0, 20.0, 1.0, 30.0, 2.0, 40.0, 4.0],
        "x": [0.3, 1.0, 2.0, 0.1, 3.0, 0.2, 4.0, 0.4],
    })
    X, y = make_supervised(data, target="y", series="id", time="t", horizon=2)
    # rows sorted by series then time; each series' last 2 rows have no full future
    assert X.index.tolist() == [("a", 1), ("a", 2), ("b", 10), ("b", 11)]
    assert X.columns.tolist() == ["y", "x"]
    assert X.to_numpy().tolist() == [[10.0, 1.0], [20.0, 2.0], [1.0, 0.1], [2.0, 0.2]]
    assert y.columns.tolist() == ["y_t+1", "y_t+2"]
    assert y.to_numpy().tolist() == [[20.0, 30.0], [30.0, 40.0], [2.0, 3.0], [3.0, 4.0]]
    assert y.index.equals(X.index)


@pytest.mark.parametrize("change, message", [
    (lambda d: pd.concat([d, d.iloc[[3]]]), r"series 'a' has more than one row at t=3"),
    (lambda d: d.assign(y=d["y"].astype(object).where(d.index != 6, "n/a")),
     r"column 'y' is not numeric .*series 'b' has 'n/a' at t=1"),
    (lambda d: d[(d["id"] == "a") | (d["t"] < 2)], r"\['b'\] \(the first spans 2\)"),
])
def test_framing_errors_name_the_series(change, message):
    data = pd.DataFrame({"id": ["a"] * 5 + ["b"] * 5, "t": list(range(5)) * 2,
                         "y": np.arange(10.0)})
    with pytest.raises(ValueError, match=message):
        make_supervised(change(data), target="y", series="id", time="t", horizon=2)


def test_windows_never_mix_series_nor_hold_a_later_step():
    # value = 1000 * series + time, with a missing step in series 1
    codes = np.r_[np.zeros(6, int), np.ones(5, int), np.full(4, 2)]
    times = np.r_[np.arange(6), [3, 4, 6, 7, 8], np.arange(10, 14)]
    values = (1000.0 * codes + times)[:, None]
    L = 4
    grid = SeriesGrid(Panel(values, codes, times, 3), L)
    windows = grid.windows(np.arange(len(codes)))[:, :, 0]
    for row, window in enumerate(windows):
        expected = 1000.0 * codes[row] + times[row] - np.arange(L - 1, -1, -1)
        present = np.isin(expected, values[codes == codes[row], 0])
        # exactly the L steps up to the row, of its own series; absent steps padded
        np.testing.assert_array_equal(window[present], expected[present])
        assert np.isnan(window[~present]).all()
    assert np.isnan(windows[codes == 1][2, 2])  # time 5 is missing in series 1


def test_scale_windows_is_relative_to_the_last_value_in_units_of_changes():
    windows = np.array([[[1.0], [3.0], [7.0]], [[np.nan], [5.0], [5.0]],
                        [[4.0], [4.0], [4.0]]])
    # a flat window takes its series' typical change, else a millionth of its level
    fallback = np.array([0.0, 2.0, 0.0])
    scaled, z, (last, unit) = scale_windows(windows, fallback, np.array([[9.0], [6.0], [5.0]]))
    assert scaled.dtype == z.dtype == np.float32 and last.dtype == unit.dtype == np.float64
    np.testing.assert_allclose(unit, [3.0, 2.0, 4e-6])  # mean |change| (2, 4); flat
    np.testing.assert_allclose(scaled[0, :, 0], [-2.0, -4 / 3, 0.0], rtol=1e-6)
    np.testing.assert_allclose(z[:, 0], [2 / 3, 0.5, 0.25e6], rtol=1e-6)
    assert np.isnan(scaled[1, 0, 0])


def _windows_and_future(make_series, n_series=40, length=80, L=12, h=4):
    """Windows of ``n_series`` series (scaled by their last value), targets, and from_end."""
    windows, future, from_end = [], [], []
    for k in range(n_series):
        series = make_series(k, np.arange(length))
        n = length - L - h + 1
        windows += [series[i:i + L] for i in range(n)]
        future += [series[i + L:i + L + h] for i in range(n)]
        from_end += list(range(n - 1, -1, -1))
    windows, future = np.array(windows), np.array(future)
    return windows - windows[:, -1:], future - windows[:, -1:], np.array(from_end)


def test_the_simple_forecast_is_the_best_one_on_each_series_latest_windows():
    rng = np.random.default_rng(0)
    choose = simple_forecasts.choose

    def season(t):
        return np.sin(2 * np.pi * t / 4)

    # a fixed season under noise: the mean of the three seasons the window holds
    noisy = _windows_and_future(lambda k, t: season(t) + rng.standard_normal(len(t)))
    assert choose(*noisy, 4) == {"kind": "mean", "season": 4, "n_seasons": 3}
    # ... and under noise with rare large jumps: their median
    jumps = _windows_and_future(lambda k, t: season(t) + 0.1 * rng.standard_normal(len(t))
                                + 20 * rng.standard_normal(len(t)) * (rng.random(len(t)) < 0.1))
    assert choose(*jumps, 4)["kind"] == "median"
    # random walks: the last value, with or without a season
    walks = _windows_and_future(lambda k, t: np.cumsum(rng.standard_normal(len(t))))
    assert choose(*walks, 4) == {"kind": "last"}
    assert choose(*walks, None) == {"kind": "last"}

    # AR(2) cycles: a linear autoregression
    def ar2(k, t):
        out = np.zeros(len(t))
        for i in range(2, len(t)):
            out[i] = 1.6 * out[i - 1] - 0.9 * out[i - 2] + rng.standard_normal()
        return out

    chosen = choose(*_windows_and_future(ar2), None)
    assert chosen["kind"] == "linear" and chosen["coef"].shape == (12, 4)
    assert chosen["fit"] in simple_forecasts.LINEAR_FITS


def test_the_latest_windows_decide_not_the_earlier_ones():
    # seasonal at first, a random walk in each series' latest stretch: the last value
    def change(k, t):
        walk = np.cumsum(np.random.default_rng(k).standard_normal(len(t)))
        return np.where(t < 60, 5 * np.sin(2 * np.pi * t / 4), walk - walk[60] + 5 * np.sin(
            2 * np.pi * 60 / 4))

    values, z, from_end = _windows_and_future(change)
    assert simple_forecasts.choose(values, z, from_end, 4) == {"kind": "last"}
    # the same windows judged as if all were the latest would pick the season
    assert simple_forecasts.choose(values, z, np.zeros_like(from_end), 4)["kind"] != "last"


def test_latest_span_reaches_back_only_to_have_enough_windows():
    latest_span = simple_forecasts.latest_span
    many = np.tile(np.arange(50), 10)  # 10 series: 10 windows per row from the end
    assert latest_span(many, 12) == 12  # 120 windows of the last 12 rows: enough
    assert latest_span(many, 2) == 7  # 20 would choose: back to 7 rows, 70 windows
    few = np.arange(30)  # one series of 30 windows: all of them
    assert latest_span(few, 1) == 30
    assert latest_span(np.array([], dtype=int), 3) == 3


def test_a_flat_panel_fits_and_forecasts_its_level():
    """Flat windows have no changes to scale by and a zero Gram matrix: neither may
    give NaN, and the network, started at the simple forecast, keeps the level."""
    rows = [{"id": k, "t": t, "y": 5.0 * (k + 1)} for k in range(3) for t in range(40)]
    data = pd.DataFrame(rows)
    X, y = make_supervised(data, "y", series="id", time="t", horizon=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no NaN, no false divergence
        model = LSTMForecaster(sequence_length=8, units=2, random_state=0).fit(X, y)
    fc = forecast(model, data, target="y", series="id", time="t")
    # JAX's |x| has gradient 1 at 0, so the correction drifts a little and anneals back
    np.testing.assert_allclose(fc["forecast"], np.repeat([5.0, 10.0, 15.0], 2), rtol=1e-3)
    coef = simple_forecasts.robust_linear(np.zeros((50, 4)), np.zeros((50, 2)))
    assert np.isfinite(coef).all()


@pytest.mark.parametrize("max_steps, batch_size", [(1, 16), (7, 16), (50, 16), (9, 150)])
def test_training_takes_max_steps_or_nearly(framed, max_steps, batch_size):
    """At most max_steps, and nearly all of them where the panel's ~270 windows are
    passed over several times (50 steps of 16: passes of 25 or 10 batches; 9 of 150:
    nine passes of one batch)."""
    X, y = framed
    model = LSTMForecaster(sequence_length=8, units=2, batch_size=batch_size,
                           max_steps=max_steps, early_stopping=False, random_state=0).fit(X, y)
    assert 0.9 * max_steps <= model.n_steps_ <= max_steps


def test_passes_take_the_most_steps_on_the_most_windows():
    assert _passes(300, 47, 256) == (300, 2, 23)  # 46 steps on all windows, not 24
    assert _passes(2112, 330, 256) == (2112, 9, 36)  # 324 steps on all, not 330 on 1536
    assert _passes(68_600, 1000, 256) == (64_000, 250, 4)
    assert _passes(10**7, 1000, 256) == (256_000, 1000, 1)
    assert _passes(10**7, 3000, 256) == (256_000, 1000, 3)  # at most MAX_WINDOWS held
    assert _passes(5, 3, 256) == (5, 1, 3)


AUTO = Settings(sequence_length="auto", units="auto", season_length=None, max_steps="auto",
                batch_size=256, learning_rate=0.003, dropout=0.0, early_stopping=False,
                validation_fraction=0.1, n_iter_no_change=10, seed=0, verbose=0)


@pytest.mark.parametrize("n_windows, lstm_steps, steps, units", [
    (2_100, 24, 329, 64),  # 22 monthly series: at most 40 passes over ~8 batches
    (61_000, 8, 1000, 64),  # 88 hourly series: 4 passes are 954 steps, at least 1000
    (330_000, 4, 9000, 128),  # 414 hourly series: 4 passes (5157 steps) reach 3000: all 9000
    (330_000, 8, 6500, 128),  # the same read in 8 LSTM steps: as many as their cost allows
    (180_000, 8, 2813, 64),  # 4 passes over ~703 batches, under 3000: no more
    (2_000_000, 4, 9000, 128),  # at most 9000 steps
    (370_000, 52, 1000, 64),  # M4 Weekly's windows of 52 LSTM steps cost as 1000 steps
    (370_000, 26, 2000, 64),  # half as long a read: twice the steps for the same cost
])
def test_the_auto_budget_fits_the_panel(n_windows, lstm_steps, steps, units):
    assert auto_steps(n_windows, 256, lstm_steps) == steps
    assert resolve_units(AUTO, steps) == (units,)
    # a size given is kept; a budget given (or epochs) keeps the default size
    assert resolve_units(Settings(**{**AUTO.__dict__, "units": (32, 16)}), steps) == (32, 16)
    assert resolve_units(Settings(**{**AUTO.__dict__, "max_steps": steps}), steps) == (64,)
    assert resolve_units(Settings(**{**AUTO.__dict__, "passes": 20}), steps) == (64,)


@pytest.mark.parametrize("length, fold, n_windows, wider, steps", [
    (52, 1, 370_000, 4, 4000),  # M4 Weekly: 4 weeks per LSTM step, 4000 steps, all 13 LSTM steps afford
    (192, 1, 330_000, 12, 3250),  # hourly windows without a season: 16 LSTM steps
    (192, 24, 330_000, 48, 9000),  # 8 days of hours: two days per step afford 9000 steps
    (336, 24, 330_000, 48, 7428),  # two weeks: two days per step, the most 7 LSTM steps afford
    (336, 24, 150_000, 24, 2344),  # fewer windows: a day per step affords their 4 passes
    (312, 24, 330_000, 24, 4000),  # 13 days: no whole number of days divides them
    (48, 1, 2_100, 1, 329),  # a small panel's passes cost little: read step by step
    (52, 1, 60_000, 1, 1000),  # 4 passes within 1000 steps: no fold
    (53, 1, 370_000, 1, 1000),  # no fold divides 53 into 4 to 16 steps
    (140, 1, 25_600, 1, 1000),  # 4 passes within the least budget: read as before
])
def test_a_long_window_is_folded_only_to_afford_its_passes(length, fold, n_windows, wider,
                                                          steps):
    assert affordable_fold(length, fold, n_windows, AUTO) == wider
    assert auto_steps(n_windows, 256, length // wider) == steps
    given = Settings(**{**AUTO.__dict__, "max_steps": 1000})
    assert affordable_fold(length, fold, n_windows, given) == fold  # a budget given: as fitted


def test_the_latest_windows_leave_room_for_earlier_ones(framed, monkeypatch):
    """With a budget smaller than the latest windows, half the windows are earlier
    ones, so the linear candidate and the network see more than the last stretch."""
    X, y = framed
    seen = {}
    real = simple_forecasts.choose

    def spy(values, z, from_end, *args, **kwargs):
        seen.update(from_end=from_end, span=kwargs["span"])
        return real(values, z, from_end, *args, **kwargs)

    monkeypatch.setattr(simple_forecasts, "choose", spy)
    LSTMForecaster(sequence_length=8, units=2, batch_size=8, max_steps=1,
                   random_state=0).fit(X, y)
    # 16 latest windows per series at least (64 of 4 series); 8 windows sampled
    assert seen["span"] >= 16 and len(seen["from_end"]) == 8
    assert (seen["from_end"] < seen["span"]).sum() == 4  # 4 latest, 4 earlier


def test_values_beyond_float32_are_windowed_in_float64(framed):
    """The windows are scaled in float64 first: a value float32 cannot hold only makes the
    windows that hold it large (clipped), it neither fails nor spoils the others."""
    X, y = framed
    X, y = X.copy(), y.copy()
    row = np.flatnonzero(X.index.get_level_values(0) == "s2")[5]
    X.iloc[row, 0] = 1e39
    model = LSTMForecaster(sequence_length=8, units=2, max_steps=3, random_state=0).fit(X, y)
    others = X.index.get_level_values(0) != "s2"
    assert np.isfinite(model.predict(X)[others]).all()


def test_simple_forecasts_by_hand():
    values = np.array([[1.0, 2.0, 3.0, 10.0, 4.0, 5.0, 6.0, 0.0]])  # L = 8, season 2
    forecast = simple_forecasts.forecast
    np.testing.assert_allclose(forecast({"kind": "last"}, values, 3), [[0, 0, 0]])
    np.testing.assert_allclose(
        forecast({"kind": "mean", "season": 2, "n_seasons": 1}, values, 3), [[6, 0, 6]])
    np.testing.assert_allclose(
        forecast({"kind": "mean", "season": 2, "n_seasons": 2}, values, 3), [[5, 2.5, 5]])
    np.testing.assert_allclose(
        forecast({"kind": "median", "season": 2, "n_seasons": 3}, values, 3), [[4, 5, 4]])
    padded = np.array([[np.nan, np.nan, 3.0, 10.0, 4.0, 5.0, 6.0, 0.0]])
    # a padded step counts as the last value (0) in a mean and is skipped by a median
    np.testing.assert_allclose(
        forecast({"kind": "mean", "season": 2, "n_seasons": 4}, padded, 2), [[13 / 4, 15 / 4]])
    np.testing.assert_allclose(
        forecast({"kind": "median", "season": 2, "n_seasons": 4}, padded, 2), [[4, 5]])


# --- the splitter --------------------------------------------------------------------


def test_panel_split_tests_the_next_steps_of_every_series(framed):
    X, y = framed
    cv = PanelSplit(n_splits=3)  # test_size from y's width: 3; no gap
    series = X.index.get_level_values(0).to_numpy()
    times = X.index.get_level_values(1).to_numpy()
    ends = []
    for train, test in cv.split(X, y):
        for s in np.unique(series):
            tr, te = times[train][series[train] == s], times[test][series[test] == s]
            assert len(te) == HORIZON
            assert tr.max() + 1 == te.min()  # the test rows continue the training rows
            ends.append(te.max())
    last = pd.Series(times).groupby(series).max()
    assert set(ends[-4:]) == set(last)  # the last fold ends at each series' end


def test_panel_split_needs_series(framed):
    X, y = framed
    with pytest.raises(ValueError, match="needs the series of each row"):
        next(PanelSplit().split(X.to_numpy(), y))
    groups = X.index.get_level_values(0)
    by_groups = [t.tolist() for _, t in PanelSplit().split(X.to_numpy(), y, groups)]
    assert by_groups == [t.tolist() for _, t in PanelSplit().split(X, y)]


# --- the global model ---------------------------------------------------------------


def test_one_fit_validates_once_and_predicts_only_the_held_out_windows(framed, monkeypatch):
    """A fit checks X and y at its boundary (validate_data once), hands the network
    windows of checked rows, and runs it only on the held-out windows besides training."""
    import cProfile
    import pstats

    from sklstm import _engine

    X, y = framed
    passes = []
    real = _engine.predict
    monkeypatch.setattr(_engine, "predict",
                        lambda model, windows: passes.append(len(windows)) or real(model, windows))
    profile = cProfile.Profile()
    model = LSTMForecaster(sequence_length=8, units=4, max_steps=3, early_stopping=False)
    profile.runcall(model.fit, X, y)
    calls = {function: stats[1] for (path, _, function), stats in
             pstats.Stats(profile).stats.items() if path.endswith("sklearn/utils/validation.py")}
    assert calls.get("validate_data", 0) == 1
    assert passes == [len(model.conformity_scores_)]  # 4 series, one held-out window each


def test_predict_continues_the_training_rows(framed, fitted):
    X, y = framed
    train, test = list(PanelSplit(n_splits=1, gap=0).split(X, y))[0]
    model = clone(fitted).fit(X.iloc[train], y.iloc[train])
    full = model.predict(X)
    np.testing.assert_allclose(model.predict(X.iloc[test]), full[test], rtol=1e-5, atol=1e-5)
    shuffled = np.random.default_rng(0).permutation(test)
    np.testing.assert_allclose(model.predict(X.iloc[shuffled]), full[shuffled],
                               rtol=1e-5, atol=1e-5)


def test_forecast_is_long_with_the_next_times(panel, fitted):
    fc = forecast(fitted, panel, target="y", series="unique_id", time="ds")
    assert fc.columns.tolist() == ["unique_id", "ds", "forecast"]
    assert len(fc) == 4 * HORIZON
    last = panel.groupby("unique_id")["ds"].max()
    for s, group in fc.groupby("unique_id"):
        assert group["ds"].tolist() == [last[s] + k for k in range(1, HORIZON + 1)]
    assert np.isfinite(fc["forecast"]).all()
    # the series' own levels (10, 20, 30, 40) come back, not one shared level
    levels = fc.groupby("unique_id")["forecast"].mean()
    assert (np.abs(levels.to_numpy() - [10, 20, 30, 40]) < 3).all()
    # the forecast is the prediction of each series' last row (windowed alone)
    whole = panel.set_index(["unique_id", "ds"])[["y"]]
    last_rows = whole.groupby(level=0).cumcount(ascending=False).to_numpy() == 0
    np.testing.assert_allclose(fc["forecast"].to_numpy().reshape(4, HORIZON),
                               fitted.predict(whole)[last_rows], rtol=1e-6)


def test_forecast_with_dates(panel):
    dated = panel.assign(ds=pd.Timestamp("2024-01-01") + pd.to_timedelta(panel["ds"], "h"))
    X, y = make_supervised(dated, target="y", series="unique_id", time="ds", horizon=HORIZON)
    model = LSTMForecaster(sequence_length=8, units=4, max_steps=5, random_state=0).fit(X, y)
    fc = forecast(model, dated, target="y", series="unique_id", time="ds")
    last = dated.groupby("unique_id")["ds"].max()
    first = fc.groupby("unique_id")["ds"].min()
    assert (first - last == pd.Timedelta("1h")).all()


def test_forecast_refuses_a_missing_series(panel, fitted):
    with pytest.raises(ValueError, match=r"no rows for 1 series .*\['s2'\]"):
        forecast(fitted, panel[panel["unique_id"] != "s2"], target="y",
                 series="unique_id", time="ds")


def test_a_series_shorter_than_a_window_is_padded(framed):
    X, y = framed
    keep = (X.index.get_level_values(0) != "s0") | (X.index.get_level_values(1) < 5)
    model = LSTMForecaster(sequence_length=8, units=2, max_steps=1).fit(X[keep], y[keep])
    assert model.sequence_length_ == 8 and np.isfinite(model.predict(X[keep])).all()


def test_wide_and_long_are_not_mixed(framed, fitted):
    X, y = framed
    with pytest.raises(ValueError, match=r"fitted on a long panel \(X indexed by series and "
                                         r"time\) but X is wide rows"):
        fitted.predict(X.to_numpy())
    wide = LSTMForecaster(sequence_length=4, units=2, max_steps=1).fit(
        X.to_numpy()[:40], y.to_numpy()[:40])
    with pytest.raises(ValueError, match="fitted on wide rows but X is a long panel"):
        wide.predict(X)


def test_grid_search_and_cross_validate_with_panel_split(framed):
    X, y = framed
    model = LSTMForecaster(units=2, max_steps=3, random_state=0)
    search = GridSearchCV(model, {"sequence_length": [4, 6], "units": [2, 3]},
                          cv=PanelSplit(n_splits=2)).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_estimator_.layout_ == "long"
    scores = cross_validate(model, X, y, cv=PanelSplit(n_splits=2))["test_score"]
    assert len(scores) == 2 and np.isfinite(scores).all()


def test_save_load_pickle_and_clone_keep_predictions(framed, fitted, tmp_path):
    X, _ = framed
    expected = fitted.predict(X)
    loaded = load_estimator(save_estimator(fitted, tmp_path / "model.zip"))
    np.testing.assert_allclose(loaded.predict(X), expected, rtol=1e-6)
    np.testing.assert_allclose(pickle.loads(pickle.dumps(fitted)).predict(X), expected,
                               rtol=1e-6)
    assert clone(fitted).get_params() == fitted.get_params()
    assert not hasattr(clone(fitted), "series_")


def test_several_seasons_set_the_window_the_fold_and_the_candidates():
    from sklstm._recipe import auto_sequence_length, lstm_fold

    # a day and a week of hours: two weeks of window, read a day per LSTM step (before
    # the budget of a large panel widens it: affordable_fold)
    assert auto_sequence_length(48, (24, 168)) == 336
    assert lstm_fold(336, (168, 24)) == 24
    assert auto_sequence_length(1, 365.25) == 730 and simple_forecasts.seasons(365.25) == (365,)
    candidates = list(simple_forecasts._candidates(336, (24, 168)))
    assert {c.get("season") for c in candidates} == {None, 24, 168}
    assert {"kind": "median", "season": 24, "n_seasons": 14} in candidates
    # a week-long pattern the daily season cannot tell: the weekly mean wins
    t = np.arange(24 * 7 * 8)
    values = np.where((t // 24) % 7 >= 5, 5.0, 0.0) + np.sin(2 * np.pi * t / 24)
    data = pd.DataFrame({"id": "a", "t": t, "y": values})
    X, y = make_supervised(data, "y", series="id", time="t", horizon=24)
    model = LSTMForecaster(season_length=(24, 168), units=2, max_steps=1).fit(X, y)
    assert model.simple_forecast_["season"] == 168
    with pytest.raises(ValueError, match=r"season_length must be None or a number >= 1 or a "
                                         r"non-empty tuple of them"):
        LSTMForecaster(season_length=(24, 0)).fit(X, y)


def _hourly_panel(weekly, n_series=6, n_days=28, seed=0):
    """Hourly series with a daily cycle and noise, and with ``weekly``, a weekend's drop."""
    rng = np.random.default_rng(seed)
    t = np.arange(24 * n_days)
    frames = []
    for i in range(n_series):
        values = (10 + 3 * np.sin(2 * np.pi * (t + 3 * i) / 24) + rng.normal(0, 0.3, len(t))
                  - 4 * weekly * ((t // 24) % 7 >= 5))
        frames.append(pd.DataFrame({"id": f"s{i}", "t": t + 100 * i, "y": values}))
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("weekly, length", [(True, 336), (False, 96)])
def test_a_longer_season_sets_the_auto_window_only_where_the_series_repeat_on_it(weekly, length):
    # season_length=(24, 168), horizon 24: two weeks of window where the series repeat weekly,
    # else the day's rule (four horizons); the weekly simple forecasts stay on offer either way
    X, y = make_supervised(_hourly_panel(weekly), "y", series="id", time="t", horizon=24)
    model = LSTMForecaster(season_length=(24, 168), units=2, max_steps=1).fit(X, y)
    assert model.sequence_length_ == length
    given = LSTMForecaster(season_length=(24, 168), sequence_length=336, units=2, max_steps=1)
    assert given.fit(X, y).sequence_length_ == 336  # a length given is kept


def test_the_season_test_needs_three_seasons_and_tests_a_week_without_the_days():
    t = np.arange(24 * 28, dtype=float)
    daily = np.sin(2 * np.pi * t / 24) + 0.3 * np.random.default_rng(0).normal(size=len(t))
    weekend = daily - 4.0 * ((t // 24) % 7 >= 5)
    assert simple_forecasts.repeats_every(daily, 24) is True
    # the changes over a day: what is left repeats every week only with a week's own pattern
    assert simple_forecasts.repeats_every(daily, 168, differenced=24) is False
    assert simple_forecasts.repeats_every(weekend, 168, differenced=24) is True
    assert simple_forecasts.repeats_every(weekend[:24 * 20], 168, differenced=24) is None


def test_a_positive_series_is_not_forecast_below_its_window(tmp_path):
    """Two series falling by 1.5 a step, 20 apart: their scaled windows are the same, so
    the network corrects both alike. The one that went below 0 goes on falling from its
    last value, -8.5; the one above 0 throughout stops at the lowest value of its window
    (its last, 11.5) instead of falling as far."""
    t = np.arange(60)
    data = pd.concat([pd.DataFrame({"id": "above", "t": t, "y": 100 - 1.5 * t}),
                      pd.DataFrame({"id": "crosses", "t": t, "y": 80 - 1.5 * t})])
    X, y = make_supervised(data, "y", series="id", time="t", horizon=5)
    model = LSTMForecaster(sequence_length=8, units=4, max_steps=200, random_state=0).fit(X, y)
    np.testing.assert_array_equal(model.series_positive_, [True, False])
    fc = forecast(model, data, target="y", series="id", time="t", coverage=0.5)
    above, crosses = fc[fc["id"] == "above"], fc[fc["id"] == "crosses"]
    assert (crosses["forecast"] < -8.5 - 1).all()  # the correction, unfloored
    np.testing.assert_allclose(above["forecast"], 11.5)
    assert (above["lower"] <= above["forecast"]).all()
    assert (above["forecast"] <= above["upper"]).all()
    # the intervals are sized on the held-out forecasts, floored as these are: the floored
    # one misses the falling truth by more than the other (their scaled windows are alike)
    scores = model.conformity_scores_  # the held-out rows, "above"'s then "crosses"'
    n = len(scores) // 2
    assert (scores[:n].mean(axis=0) > scores[n:].mean(axis=0) + 0.1).all()
    loaded = load_estimator(save_estimator(model, tmp_path / "floor.zip"))
    np.testing.assert_array_equal(loaded.series_positive_, [True, False])
    pd.testing.assert_frame_equal(
        forecast(loaded, data, target="y", series="id", time="t", coverage=0.5), fc)
