"""Many series, one network: LSTMRegressor(n_series=...) and LSTMForecaster(target_column=[...]).

A panel keeps one row per time point; every series' window is a sample of
one shared LSTM. The tests show that no sample mixes two series, that no
window holds a later row, that unknown targets are skipped, and that the
usual guarantees (CV with the windower's memory, clone, pickle, the safe
format, grid search) hold.
"""

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from sklstm import (
    LSTMForecaster,
    LSTMRegressor,
    SequenceWindower,
    load_estimator,
    save_estimator,
)
from sklstm._series import known_targets, stack_series, stack_targets, unstack_predictions

NAN = np.nan
TINY = dict(units=3, epochs=2, batch_size=16, random_state=0)
FORECASTER = dict(units=3, max_steps=10, batch_size=16, random_state=0)


def panel(n_rows=80, n_series=3, seed=0):
    """n_series sines of different scales plus one shared calendar column; y one step ahead."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_rows + 1)
    series = np.column_stack([
        (10 ** j) * (np.sin(t / (4 + j)) + 0.1 * rng.standard_normal(len(t)))
        for j in range(n_series)
    ])
    calendar = np.cos(2 * np.pi * t / 12)
    frame = pd.DataFrame(np.column_stack([series, calendar]),
                         columns=[f"s{j}" for j in range(n_series)] + ["calendar"],
                         index=pd.date_range("2000-01-01", periods=n_rows + 1, freq="MS"))
    X = frame.iloc[:-1]
    y = pd.DataFrame(series[1:], index=X.index, columns=[f"s{j}_t+1" for j in range(n_series)])
    return X, y


def test_each_sample_holds_one_series_and_the_shared_columns():
    # rows of (a, b, shared), sequence_length 2: hand-computed samples
    X = np.array([[1.0, 10.0, 100.0], [2.0, 20.0, 200.0], [3.0, 30.0, 300.0]])
    windows = SequenceWindower(2).fit_transform(X)
    samples = stack_series(windows, n_series=2, with_ids=True)
    expected = np.array([
        [[NAN, NAN, 0.0], [1.0, 100.0, 0.0]],     # row 0, series a
        [[NAN, NAN, 1.0], [10.0, 100.0, 1.0]],    # row 0, series b
        [[1.0, 100.0, 0.0], [2.0, 200.0, 0.0]],   # row 1, series a
        [[10.0, 100.0, 1.0], [20.0, 200.0, 1.0]],
        [[2.0, 200.0, 0.0], [3.0, 300.0, 0.0]],
        [[20.0, 200.0, 1.0], [30.0, 300.0, 1.0]],
    ])
    np.testing.assert_array_equal(samples, expected)
    y = np.array([[1.0, 2.0, 10.0, 20.0], [3.0, NAN, 30.0, 40.0]])   # 2 series x 2 steps
    np.testing.assert_array_equal(stack_targets(y, 2), [[1, 2], [10, 20], [3, NAN], [30, 40]])
    np.testing.assert_array_equal(known_targets(stack_targets(y, 2)), [True, True, False, True])
    np.testing.assert_array_equal(unstack_predictions(stack_targets(y, 2), 2), y)


@st.composite
def ragged_panels(draw):
    n_rows = draw(st.integers(2, 30))
    n_series = draw(st.integers(1, 4))
    n_shared = draw(st.integers(0, 2))
    sequence_length = draw(st.integers(1, 8))
    # value = 1000 * (series + 1) + row: every value says where it came from
    values = 1000.0 * (np.arange(n_series) + 1) + np.arange(n_rows)[:, None]
    starts = draw(st.lists(st.integers(0, n_rows), min_size=n_series, max_size=n_series))
    for j, start in enumerate(starts):
        values[:start, j] = NAN
    shared = -1.0 - np.arange(n_rows)[:, None] - 100.0 * np.arange(n_shared)
    return np.column_stack([values, shared]), n_series, sequence_length


@settings(max_examples=100, deadline=None)
@given(ragged_panels())
def test_no_sample_mixes_series_or_reads_a_later_row(case):
    X, n_series, sequence_length = case
    windows = SequenceWindower(sequence_length).fit_transform(X)
    samples = stack_series(windows, n_series, with_ids=True)
    n_rows = len(X)
    for i in range(n_rows):
        for j in range(n_series):
            sample = samples[i * n_series + j]
            own = sample[:, 0]
            known = own[~np.isnan(own)]
            # only series j, only rows up to i, at their true steps
            assert np.all(known // 1000 == j + 1)
            rows = (known - 1000 * (j + 1)).astype(int)
            assert np.all(rows <= i)
            steps = np.flatnonzero(~np.isnan(own))
            np.testing.assert_array_equal(rows, i - (sequence_length - 1) + steps)
            np.testing.assert_array_equal(sample[:, -1], j)  # its own series number
            shared = sample[:, 1:-1]
            assert np.all(np.isnan(shared) | (shared < 0))    # shared columns, never a series


@pytest.fixture(scope="module")
def fitted_panel():
    X, y = panel()
    model = LSTMRegressor(n_series=3, series_embedding=2, **TINY)
    windows = SequenceWindower(4).fit_transform(MinMaxScaler().fit_transform(X))
    return model.fit(windows, y.to_numpy()), windows


def test_a_series_prediction_depends_on_its_own_window_only(fitted_panel):
    model, windows = fitted_panel
    pred = model.predict(windows)
    assert pred.shape == (len(windows), 3)
    other = windows.copy()
    other[:, :, 1] += 5.0  # another series' values, past and present
    changed = model.predict(other)
    np.testing.assert_array_equal(changed[:, [0, 2]], pred[:, [0, 2]])
    assert not np.allclose(changed[:, 1], pred[:, 1])


def test_unknown_targets_are_skipped_not_trained_on_as_zeros():
    X, y = panel()
    windows = SequenceWindower(4).fit_transform(MinMaxScaler().fit_transform(X))
    ragged = y.to_numpy().copy()
    ragged[:30, 2] = NAN
    zeros = ragged.copy()
    zeros[:30, 2] = 0.0
    params = dict(n_series=3, early_stopping=False, shuffle=False, **TINY)
    skipped = LSTMRegressor(**params).fit(windows, ragged)
    # a NaN target in the loss would make it NaN
    assert np.isfinite(skipped.history_["loss"]).all()
    trained_as_zero = LSTMRegressor(**params).fit(windows, zeros)
    assert not np.allclose(skipped.predict(windows), trained_as_zero.predict(windows))
    for name in ("n_outputs_", "network_n_outputs_"):
        assert getattr(skipped, name) == (3 if name == "n_outputs_" else 1)


def test_held_out_rows_of_unknown_targets_are_predicted_but_not_scored():
    X, y = panel()
    windows = SequenceWindower(4).fit_transform(MinMaxScaler().fit_transform(X))
    ragged = y.to_numpy().copy()
    ragged[-3:, 1] = NAN  # the second series stops before the end of the held-out rows
    reg = LSTMRegressor(n_series=3, validation_fraction=0.1, **TINY).fit(windows, ragged)
    held = reg.validation_rows_
    np.testing.assert_array_equal(held, np.arange(len(y) - 8, len(y)))
    pred = reg.predict(windows)[held]
    np.testing.assert_allclose(reg.validation_predictions_, pred, rtol=1e-6, atol=1e-7)
    # the kept (best) weights' validation loss is the mean over the known targets only
    known = ~np.isnan(ragged[held])
    losses = (pred - ragged[held]) ** 2
    assert min(reg.history_["val_loss"]) == pytest.approx(losses[known].mean(), rel=1e-4)


@pytest.mark.parametrize("params, y_width, match", [
    ({"n_series": 5}, 5, r"n_series=5 is more than the 4 feature\(s\)"),
    ({"n_series": 3}, 4, r"y has 4 column\(s\), not a multiple of n_series=3"),
    ({"series_embedding": 2}, 3, "series_embedding=2 needs n_series"),
    ({"n_series": 3, "series_embedding": -1}, 3, "series_embedding must be an int >= 0"),
    ({"n_series": 0}, 3, r"n_series must be None or a positive int \(>= 1\), got 0"),
])
def test_panel_parameters_get_clear_errors(params, y_width, match):
    X, y = panel()
    windows = SequenceWindower(3).fit_transform(X.to_numpy())
    Y = np.tile(y.to_numpy(), 2)[:, :y_width]
    with pytest.raises((ValueError, TypeError), match=match):
        LSTMRegressor(**params, **TINY).fit(windows, Y)


def readme_panel_pipeline():
    pipe = Pipeline([
        ("scale", MinMaxScaler()),
        ("window", SequenceWindower(4)),
        ("lstm", LSTMRegressor(n_series=3, **TINY)),
    ])
    return TransformedTargetRegressor(regressor=pipe, transformer=MinMaxScaler())


@pytest.mark.parametrize("make", [
    readme_panel_pipeline,
    lambda: LSTMForecaster(sequence_length=4, target_column=["s0", "s1", "s2"], **FORECASTER),
    lambda: LSTMForecaster(sequence_length=6, target_column=[0, 1, 2], units=2,
                           max_steps=10, random_state=0),
], ids=["pipeline", "forecaster-by-name", "forecaster-by-position"])
def test_cv_on_a_panel_uses_each_series_memory(make):
    X, y = panel()
    cv = TimeSeriesSplit(3)
    result = cross_validate(make(), X, y, cv=cv, return_estimator=True,
                            scoring="neg_mean_absolute_error")
    assert np.isfinite(result["test_score"]).all()
    for (train, test), fitted in zip(cv.split(X), result["estimator"]):
        whole = fitted.predict(X.iloc[: test[-1] + 1])[test]
        np.testing.assert_allclose(fitted.predict(X.iloc[test]), whole, rtol=1e-5, atol=1e-6)
        assert fitted.predict(X.iloc[test]).shape == (len(test), 3)


def test_forecaster_knows_each_series_by_its_own_training_rows():
    X, y = panel()
    model = LSTMForecaster(sequence_length=4, target_column=["s0", "s1", "s2"],
                           **FORECASTER).fit(X.iloc[:60], y.iloc[:60])
    changes = np.abs(np.diff(X.iloc[:60].to_numpy()[:, :3], axis=0)).mean(axis=0)
    np.testing.assert_allclose(model.series_scale_, changes)
    assert model.n_series_ == 3 and list(model.target_index_) == [0, 1, 2]
    lower, upper = model.predict_interval(X.iloc[60:], coverage=0.5)
    assert lower.shape == upper.shape == (20, 3) and np.all(lower <= upper)


def test_forecaster_skips_a_series_before_it_starts():
    X, y = panel()
    X, y = X.copy(), y.copy()
    X.iloc[:25, 1] = NAN  # series s1 starts in row 25
    y.iloc[:24, 1] = NAN
    model = LSTMForecaster(sequence_length=4, target_column=["s0", "s1", "s2"], **FORECASTER)
    pred = model.fit(X, y).predict(X)
    assert np.isfinite(model.history_["loss"]).all()
    assert np.isfinite(pred[30:]).all() and np.isnan(pred[:25, 1]).all()


def test_clone_pickle_and_safe_format_keep_a_panel_model(tmp_path):
    X, y = panel()
    for model in (
        readme_panel_pipeline(),
        LSTMForecaster(sequence_length=4, target_column=["s0", "s1", "s2"], **FORECASTER),
    ):
        model.fit(X.iloc[:60], y.iloc[:60])
        expected = model.predict(X.iloc[60:])
        copies = [pickle.loads(pickle.dumps(model)),
                  load_estimator(save_estimator(model, tmp_path / f"{type(model).__name__}.zip"))]
        for copy in copies:
            np.testing.assert_array_equal(copy.predict(X.iloc[60:]), expected)
        refit = clone(model).fit(X.iloc[:60], y.iloc[:60])
        np.testing.assert_allclose(refit.predict(X.iloc[60:]), expected, rtol=1e-6)


def test_grid_search_over_window_and_units():
    X, y = panel()
    search = GridSearchCV(
        LSTMForecaster(target_column=["s0", "s1", "s2"], **FORECASTER),
        {"sequence_length": [3, 5], "units": [2, 3]},
        cv=TimeSeriesSplit(2), scoring="neg_mean_absolute_error", error_score="raise",
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.predict(X).shape == y.shape


@pytest.fixture(scope="module")
def two_step_panel_model():
    X, _ = panel()
    history = X.copy()
    from sklstm import make_supervised

    X2, y2 = make_supervised(history, target=["s0", "s1", "s2"], horizon=2)
    model = LSTMForecaster(sequence_length=4, target_column=["s0", "s1", "s2"], **FORECASTER)
    return model.fit(X2, y2), history


def test_forecast_gives_every_series_at_once_wide_or_long(two_step_panel_model):
    from sklstm import forecast

    model, history = two_step_panel_model
    last = model.predict(history)[-1].reshape(3, 2)  # series-major: (series, step)
    wide = forecast(model, history, target=["s0", "s1", "s2"])
    assert list(wide.columns) == ["s0", "s1", "s2"] and len(wide) == 2
    np.testing.assert_allclose(wide.to_numpy(), last.T)
    pd.testing.assert_index_equal(
        wide.index, pd.date_range(history.index[-1], periods=3, freq="MS")[1:], check_names=False)
    long = forecast(model, history, target=["s0", "s1", "s2"], coverage=0.5, layout="long",
                    horizon=1)
    assert list(long.columns) == ["series", "forecast", "lower", "upper"]
    assert list(long["series"]) == ["s0", "s1", "s2"]
    np.testing.assert_allclose(long["forecast"], last[:, 0])
    assert (long["lower"] <= long["forecast"]).all() and (long["forecast"] <= long["upper"]).all()
    with_interval = forecast(model, history, target=["s0", "s1", "s2"], coverage=0.5)
    np.testing.assert_allclose(with_interval["forecast"].to_numpy(), wide.to_numpy())


@pytest.mark.parametrize("kwargs, match", [
    ({"method": "recursive", "horizon": 2}, "method='direct'"),
    ({"horizon": 3}, r"horizon=3 is longer than the estimator's output \(2 step"),
    ({"layout": "tall"}, "layout must be one of 'wide', 'long'"),
])
def test_forecast_of_a_panel_refuses_what_it_cannot_do(two_step_panel_model, kwargs, match):
    from sklstm import forecast

    model, history = two_step_panel_model
    with pytest.raises(ValueError, match=match):
        forecast(model, history, target=["s0", "s1", "s2"], **kwargs)
    with pytest.raises(ValueError, match=r"\['nope'\] are not among its columns"):
        forecast(model, history, target=["s0", "nope"])


def test_a_series_that_stops_early_is_calibrated_on_its_own_last_windows():
    X, y = panel()
    X, y = X.copy(), y.copy()
    X.iloc[70:, 2] = NAN  # series s2 stops in row 70
    y.iloc[69:, 2] = NAN
    model = LSTMForecaster(sequence_length=4, target_column=["s0", "s1", "s2"],
                           validation_fraction=0.2, **FORECASTER).fit(X, y)
    # every series holds out as many of its own last known windows: s2's before row 70
    assert len(model.conformity_scores_) % 3 == 0
    lower, upper = model.predict_interval(X.iloc[:60], coverage=0.5)
    assert np.isfinite(lower[4:]).all() and np.all(lower[4:] <= upper[4:])
    with pytest.warns(UserWarning, match=r"have no value of target_column \(NaN\)"):
        pred = model.predict(X.iloc[60:])
    assert np.isnan(pred[10:, 2]).all() and np.isfinite(pred[:, :2]).all()


def test_series_order_must_match_between_y_target_column_and_forecast():
    from sklstm import forecast, make_supervised

    X, _ = panel()
    X2, y2 = make_supervised(X, target=["s0", "s1"], horizon=1)
    with pytest.raises(ValueError, match=r"does not follow the order of the series in y's "
                                         r"columns \['s0', 's1'\]"):
        LSTMForecaster(sequence_length=3, target_column=["s1", "s0"], **FORECASTER).fit(X2, y2)
    model = LSTMForecaster(sequence_length=3, target_column=["s0", "s1"], **FORECASTER).fit(X2, y2)
    with pytest.raises(ValueError, match=r"Pass target=\['s0', 's1'\]"):
        forecast(model, X, target=["s1", "s0"])


def test_score_of_a_ragged_panel_uses_the_known_targets():
    X, y = panel()
    X, y = X.copy(), y.copy()
    X.iloc[:20, 1] = NAN
    y.iloc[:19, 1] = NAN
    model = LSTMForecaster(sequence_length=4, target_column=["s0", "s1", "s2"], **FORECASTER)
    score = model.fit(X, y).score(X, y)
    pred = model.predict(X)
    from sklearn.metrics import r2_score

    known = ~np.isnan(pred[:, 1]) & ~np.isnan(y.to_numpy()[:, 1])
    expected = np.mean([r2_score(y.iloc[:, 0], pred[:, 0]),
                        r2_score(y.to_numpy()[known, 1], pred[known, 1]),
                        r2_score(y.iloc[:, 2], pred[:, 2])])
    assert score == pytest.approx(expected)


def test_a_panel_without_any_known_target_is_a_clear_error():
    X, y = panel()
    windows = SequenceWindower(3).fit_transform(X.to_numpy())
    with pytest.raises(ValueError, match=r"y has no known \(non-NaN\) target in the \d+ "
                                         r"training row\(s\) of its n_series=3 series"):
        LSTMRegressor(n_series=3, **TINY).fit(windows, np.full((len(X), 3), NAN))


def test_an_empty_or_repeated_list_of_series_is_a_clear_error():
    X, y = panel()
    for columns in ([], ["s0", "s0"]):
        with pytest.raises(ValueError, match="must name each series once, and at least one"):
            LSTMForecaster(sequence_length=3, target_column=columns, **FORECASTER).fit(X, y)
