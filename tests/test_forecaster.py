"""LSTMForecaster on wide rows: shapes, one trip through fit, trends, intervals, sklearn API.

Models are tiny and share one architecture where they can (sequence_length=5,
units=4, default batch size and learning rate), so the compiled training
steps are reused across tests. The guarantees every shape shares are in
test_one_forecaster.py.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

import keras

from sklstm import LSTMForecaster, make_supervised
from sklstm._conformal import calibration_size, conformal_rank

TINY = {"sequence_length": 5, "units": 4, "random_state": 0}


# --- data ------------------------------------------------------------------------------


def ar1(n, phi, rng):
    e = rng.standard_normal(n)
    out = np.zeros(n)
    for t in range(1, n):
        out[t] = phi * out[t - 1] + e[t]
    return out


@pytest.fixture(scope="module")
def seasonal():
    """800 steps of a period-10 cycle (amplitude 5) plus AR(1) noise."""
    rng = np.random.default_rng(0)
    t = np.arange(800)
    return pd.Series(5 * np.sin(2 * np.pi * t / 10) + ar1(800, 0.5, rng), name="s")


@pytest.fixture(scope="module")
def fitted(seasonal):
    """One-step model on the first 500 rows; calibration on 100 held-out rows."""
    X, y = make_supervised(seasonal, "s")
    X, y = X.to_numpy(), y.to_numpy()
    model = LSTMForecaster(**TINY, max_steps=200, validation_fraction=0.2).fit(X[:500], y[:500])
    return model, X, y


# --- shapes and the sklearn contract ------------------------------------------------------


def test_one_step_predict_and_interval_shapes(fitted):
    model, X, y = fitted
    pred = model.predict(X)
    lower, upper = model.predict_interval(X, coverage=0.8)
    assert pred.shape == lower.shape == upper.shape == y.shape
    assert np.all((lower < pred) & (pred < upper))
    assert model.n_features_in_ == 1 and model.n_outputs_ == 1
    assert isinstance(model.model_, keras.Model)
    assert len(model.history_["loss"]) * 2 >= model.n_steps_ // 2 >= 1


def test_learns_the_cycle_better_than_persistence(fitted):
    model, X, y = fitted
    test = slice(500, None)
    pred = model.predict(X)[test]
    assert mean_absolute_error(y[test], pred) < 0.8 * mean_absolute_error(y[test], X[test, 0])


def test_direct_multi_step_with_exogenous_dataframe(sine_frame):
    X, y = make_supervised(sine_frame, "y", horizon=3, features=["x", "y"])
    X_before = X.copy()
    model = LSTMForecaster(**TINY, target_column="y", max_steps=3)
    params_before = model.get_params()
    model.fit(X, y)
    assert model.target_index_ == 1
    assert list(model.feature_names_in_) == ["x", "y"]
    pred = model.predict(X)
    lower, upper = model.predict_interval(X, coverage=0.9)
    assert pred.shape == lower.shape == upper.shape == (len(X), 3)
    assert model.model_.output_shape[-1] == 3
    # one half-width per horizon step, in units of each window's changes
    width = (upper - pred) / (upper - pred)[:, :1]
    np.testing.assert_allclose(width, np.broadcast_to(width[0], width.shape), rtol=1e-9)
    # the held-out windows: 10% of those whose targets are all known (the honest
    # targets of the last 2 rows reach past the step after the last row)
    assert model.conformity_scores_.shape == (round(0.1 * (len(X) - 2)), 3)
    # fit changes neither the inputs nor the parameters, and adds only `_` attributes
    pd.testing.assert_frame_equal(X, X_before)
    assert model.get_params() == params_before
    public = [k for k in vars(model) if not k.startswith("_")]
    assert all(k in params_before or k.endswith("_") for k in public)


def test_same_random_state_same_predictions(seasonal):
    X, y = make_supervised(seasonal.iloc[:200], "s")
    first = LSTMForecaster(**TINY, max_steps=2).fit(X, y).predict(X)
    second = LSTMForecaster(**TINY, max_steps=2).fit(X, y).predict(X)
    np.testing.assert_array_equal(first, second)


def test_early_stopping_keeps_the_best_pass_and_the_held_out_rows_calibrate(seasonal):
    X, y = make_supervised(seasonal.iloc[:200], "s")
    plain = LSTMForecaster(**TINY, max_steps=3).fit(X, y)
    assert "val_loss" not in plain.history_
    assert len(plain.conformity_scores_) == round(0.1 * len(X))
    stopped = LSTMForecaster(**TINY, max_steps=400, batch_size=32, early_stopping=True,
                             n_iter_no_change=2).fit(X, y)
    val = stopped.history_["val_loss"]
    # the untrained network (the simple forecast) competes with every pass
    best = min(val + stopped.history_["start_val_loss"])
    assert len(val) < 400 // 6  # it stopped before the budget's passes
    held = slice(len(X) - len(stopped.conformity_scores_), None)
    assert stopped.conformity_scores_.mean() == pytest.approx(best, rel=1e-5)
    assert np.isfinite(stopped.predict(X)[held]).all()


# --- one trip of the data through fit -----------------------------------------------------


@pytest.mark.parametrize("params, panel", [({}, False), ({}, True)], ids=["series", "panel"])
def test_one_fit_validates_once_and_predicts_only_the_held_out_windows(
        sine_frame, monkeypatch, params, panel):
    """validate_data once (LSTMForecaster at its boundary: nothing downstream checks
    again), and no pass of the network besides training but one over the held-out
    windows that calibrate the intervals; their scores are those of predict."""
    import cProfile
    import pstats

    from sklstm import _engine

    target = ["y", "x"] if panel else "y"
    X, y = make_supervised(sine_frame, target, horizon=2)
    model = LSTMForecaster(**TINY, max_steps=2, target_column=target, **params)
    passes = []
    real = _engine.predict
    monkeypatch.setattr(_engine, "predict",
                        lambda net, windows: passes.append(len(windows)) or real(net, windows))
    profile = cProfile.Profile()
    profile.runcall(model.fit, X, y)
    validations = sum(
        stats[1] for (path, _, function), stats in pstats.Stats(profile).stats.items()
        if function == "validate_data" and path.endswith("sklearn/utils/validation.py"))
    assert validations == 1
    n_held = len(model.conformity_scores_)
    # 10% of a series' windows whose targets are all known, spread over the series
    assert passes == [n_held] and n_held == round(0.1 * (len(X) - 1))


def test_scaled_windows_are_made_per_batch_as_the_whole_would_be():
    from sklstm._panel import Panel, SeriesGrid
    from sklstm._recipe import ScaledWindows, scale_windows, window_stats

    rng = np.random.default_rng(0)
    values = np.column_stack([np.cumsum(rng.standard_normal(30)), rng.standard_normal(30)])
    grid = SeriesGrid(Panel(values, np.zeros(30, int), np.arange(30), 1), 4)
    rows = np.arange(3, 30)
    last, unit, own = window_stats(grid, rows, np.zeros(len(rows)))
    lazy = ScaledWindows(grid, rows, last, unit, fold=1)
    expected, _, _ = scale_windows(grid.windows(rows), np.zeros(len(rows)))
    assert lazy.shape == expected.shape and len(lazy) == len(rows)
    np.testing.assert_array_equal(np.asarray(lazy), expected)
    np.testing.assert_array_equal(own, expected[:, :, 0])
    some = np.array([3, 17, 20])
    np.testing.assert_array_equal(lazy[some], expected[some])
    np.testing.assert_array_equal(np.asarray(lazy[10:20][2:5]), expected[12:15])


def test_a_fit_never_holds_every_window():
    import gc
    import threading
    import tracemalloc

    n, length = 80_000, 32
    series = np.cumsum(np.random.default_rng(0).standard_normal((n + 1, 4)), axis=0)
    X, y = series[:-1], series[1:, 0]
    model = LSTMForecaster(sequence_length=length, units=2, max_steps=3, batch_size=1024,
                           random_state=0)
    # A first fit of the same data compiles every program the measured one
    # runs (tracing them costs megabytes that have nothing to do with windows),
    # and no earlier test's background compilation may allocate meanwhile.
    model.fit(X, y)
    for thread in threading.enumerate():
        if thread.name == "sklstm-precompile-predict":
            thread.join()
    gc.collect()
    tracemalloc.start()
    try:
        model.fit(X, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    windows = n * length * 4 * 8  # float64: what a copy of every window would take
    assert peak < windows / 4, f"peak {peak / 2**20:.1f} MiB, windows {windows / 2**20:.1f} MiB"


def test_grid_search_over_flat_params_with_time_series_split(seasonal):
    X, y = make_supervised(seasonal.iloc[:240], "s")
    search = GridSearchCV(
        LSTMForecaster(**TINY, max_steps=2),
        {"sequence_length": [5, 10], "units": [4]},
        cv=TimeSeriesSplit(2),
        scoring="neg_mean_absolute_error",
    ).fit(X, y)
    # the flat parameter reaches the network: the two candidates score differently,
    # and the refit best estimator is the candidate with the best mean score
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all() and scores[0] != scores[1]
    best = search.cv_results_["params"][int(np.argmax(scores))]["sequence_length"]
    assert search.best_estimator_.sequence_length_ == best
    assert search.best_estimator_.predict(X).shape == (len(X),)
    params = clone(search.best_estimator_).get_params()
    assert {"sequence_length", "units", "max_steps", "learning_rate"} <= set(params)


# --- trends -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trending():
    """y = 0.5 t + noise: the test rows lie far above the training range."""
    rng = np.random.default_rng(1)
    t = np.arange(240.0)
    return pd.Series(0.5 * t + rng.standard_normal(240), name="level")


def test_a_trend_is_followed_beyond_the_training_range(trending):
    """Every window is relative to its last value: the level never leaves what the network
    saw, and the series' drift carries the forecast up (persistence errs by about 1.2)."""
    X, y = make_supervised(trending, "level")
    X, y = X.to_numpy(), y.to_numpy()
    model = LSTMForecaster(**TINY, max_steps=100).fit(X[:160], y[:160])
    error = mean_absolute_error(y[160:], model.predict(X)[160:])
    persistence = mean_absolute_error(y[160:], X[160:, 0])
    assert error < 0.85 * persistence, (error, persistence)


# --- conformal intervals -------------------------------------------------------------------


@pytest.mark.parametrize("coverage", [0.5, 0.8, 0.9])
def test_interval_coverage_on_held_back_rows_is_near_nominal(fitted, coverage):
    model, X, y = fitted
    lower, upper = model.predict_interval(X, coverage=coverage)
    test = slice(500, None)  # 299 rows never seen in fit
    covered = np.mean((lower[test] <= y[test]) & (y[test] <= upper[test]))
    assert abs(covered - coverage) < 0.1, covered


def test_wider_coverage_gives_wider_intervals(fitted):
    model, X, _ = fitted
    lo80, hi80 = model.predict_interval(X[:20], coverage=0.8)
    lo95, hi95 = model.predict_interval(X[:20], coverage=0.95)
    assert np.all(hi95 - lo95 > hi80 - lo80)


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"trend": "linear"}, ValueError,
         "trend must be one of 'deprecated', 'none', 'last', 'diff', 'highway', got 'linear'"),
        ({"sequence_length": 0}, ValueError, "sequence_length must be a positive int"),
        ({"validation_fraction": 1.5}, ValueError, "validation_fraction must be a number in"),
        ({"target_column": 3}, ValueError, r"target_column=3 is out of range for X with 1 column"),
        ({"target_column": "temp"}, ValueError, "is a column name, but X has no column names"),
        ({"early_stopping": "yes"}, TypeError, "early_stopping must be True or False"),
        ({"early_stopping": "no"}, TypeError, "early_stopping must be True or False, got 'no'"),
        ({"random_state": "0"}, TypeError, "random_state must be .*got '0' of type str"),
        ({"random_state": -5}, ValueError, "random_state must be an int in"),
        ({"units": 0}, ValueError, r"units must be a positive int \(>= 1\)"),
        ({"epochs": 1.5}, TypeError, r"epochs must be one of 'deprecated' or a positive int "
                                     r"\(>= 1\), got 1.5; pass max_steps"),
        ({"max_steps": 0}, ValueError, r"max_steps must be one of 'auto' or a positive int"),
    ],
)
def test_bad_parameters_are_named_in_the_error(params, error, match):
    X = np.arange(40.0).reshape(-1, 1)
    with pytest.raises(error, match=match):
        LSTMForecaster(**{**TINY, **params}).fit(X, X[:, 0] + 1)


def test_data_whose_changes_overflow_is_refused():
    # finite values, but the one-step changes overflow float64
    X = (np.where(np.arange(60) % 2, 1.5e308, -1.5e308) * np.linspace(0.5, 1, 60)).reshape(-1, 1)
    with pytest.raises(ValueError, match=r"the range of X overflows float64 "
                                         r"\(values up to 1\.5e\+308\).*rescale the data first"):
        LSTMForecaster(**TINY, max_steps=1).fit(X[:-1], X[1:, 0])


def test_huge_but_representable_data_gives_finite_predictions():
    X = (1.5e308 * (0.7 + 0.3 * np.sin(np.arange(80.0) / 4))).reshape(-1, 1)
    model = LSTMForecaster(**TINY, max_steps=1).fit(X[:-1], X[1:, 0])
    assert np.isfinite(model.predict(X[:-1])).all()


def test_float32_learning_rate_is_accepted(seasonal):
    X, y = make_supervised(seasonal.iloc[:100], "s")
    model = LSTMForecaster(**TINY, max_steps=1, learning_rate=np.float32(0.003)).fit(X, y)
    assert model.predict(X).shape == (len(X),)


def test_too_few_calibration_rows_for_the_coverage(fitted):
    _model, X, y = fitted
    few = LSTMForecaster(**TINY, max_steps=1).fit(X[:40], y[:40])  # 4 held-out windows
    with pytest.raises(ValueError, match=r"needs at least 9 held-out windows to calibrate on, "
                                         r"but fit kept 4"):
        few.predict_interval(X, coverage=0.9)
    lower, _upper = few.predict_interval(X, coverage=0.5)
    assert lower.shape == (len(X),)


@pytest.mark.parametrize("coverage, needed", [(0.99999999, 99999999), (0.999999999999, 999999999999)])
def test_coverage_too_close_to_one_says_how_many_rows_it_needs(fitted, coverage, needed):
    # computed in closed form: no search over row counts, no StopIteration
    model, X, _ = fitted
    with pytest.raises(ValueError, match=f"needs at least {needed} held-out windows"):
        model.predict_interval(X, coverage=coverage)


@pytest.mark.parametrize("coverage", [0.5, 0.8, 0.9, 0.95, 0.99, 0.123, 2 / 3, 0.999])
def test_calibration_size_is_the_fewest_rows_the_rank_allows(coverage):
    fewest = next(n for n in range(1, 10**4) if conformal_rank(n, coverage) <= n)
    assert calibration_size(coverage) == fewest
    assert conformal_rank(fewest - 1, coverage) > fewest - 1 or fewest == 1


@pytest.mark.parametrize("coverage", [0, 1, 1.5, "90%"])
def test_bad_coverage(fitted, coverage):
    model, X, _ = fitted
    with pytest.raises(ValueError, match="coverage must be a number in"):
        model.predict_interval(X, coverage=coverage)


def test_predict_checks_the_number_of_features(fitted):
    model, X, _ = fitted
    with pytest.raises(ValueError, match="features"):
        model.predict(np.hstack([X, X]))


def test_a_failed_refit_keeps_the_previous_fitted_state(seasonal):
    X, y = make_supervised(seasonal.iloc[:200], "s")
    model = LSTMForecaster(**TINY, max_steps=2).fit(X, y)
    before = model.predict(X)
    wide = pd.concat([X, X.rename(columns={"s": "other"})], axis=1)
    with pytest.raises(ValueError, match="units must be a positive int"):
        model.set_params(units=0).fit(wide, y)
    assert model.n_features_in_ == 1 and list(model.feature_names_in_) == ["s"]
    np.testing.assert_array_equal(model.predict(X), before)


def test_a_refit_on_the_other_layout_keeps_nothing_of_the_first(seasonal):
    X, y = make_supervised(seasonal.iloc[:120], "s")  # wide, 1-D y
    model = LSTMForecaster(sequence_length=4, units=2, max_steps=1, random_state=0).fit(X, y)
    wide_only = {"n_series_"} if model.n_series_ is not None else set()
    assert model.layout_ == "wide" and model.clock_ == ("int", 1) and model.y_ndim_ == 1
    long = pd.DataFrame({"id": np.repeat(["a", "b"], 60), "t": np.tile(np.arange(60), 2),
                         "v": seasonal.iloc[:120].to_numpy()})
    XL, yL = make_supervised(long, "v", series="id", time="t", horizon=3)
    assert model.fit(XL, yL).predict(XL).shape == (len(XL), 3)  # not the wide fit's 1-D
    assert model.layout_ == "long" and model.clock_ == ("int", 1) and model.y_ndim_ == 2
    assert not wide_only & set(vars(model))
    assert model.fit(X, y).predict(X).shape == (len(X),) and not hasattr(model, "series_name_")


# --- sample_weight --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def weighted_data(seasonal):
    """200 rows; rows 40-49 and 185-189 (in the held-out end) carry wrong targets."""
    X, y = make_supervised(seasonal.iloc[:201], "s")
    X, y = X.to_numpy(), y.to_numpy()
    wrong = np.zeros(len(y), dtype=bool)
    wrong[40:50] = wrong[185:190] = True
    weights = np.where(wrong, 0.0, 1.0)
    return X, y, np.where(wrong, y + 40.0, y), weights


def test_rows_of_weight_zero_count_for_nothing(weighted_data):
    X, y, y_wrong, weights = weighted_data
    model = LSTMForecaster(**TINY, max_steps=3, validation_fraction=0.2)
    clean = clone(model).fit(X, y, sample_weight=weights)
    wrong = clone(model).fit(X, y_wrong, sample_weight=weights)
    # whatever their targets, rows of weight 0 change no weight, scale or interval
    np.testing.assert_array_equal(wrong.predict(X), clean.predict(X))
    np.testing.assert_array_equal(wrong.conformity_scores_, clean.conformity_scores_)
    # the held-out windows are 20% of the 185 rows that count, the wrong ones left out
    assert clean.conformity_scores_.shape == (37, 1)
    unweighted = clone(model).fit(X, y_wrong)
    assert not np.allclose(unweighted.predict(X), clean.predict(X))


@pytest.mark.parametrize("early_stopping", [True, False])
def test_weights_of_one_change_nothing(weighted_data, early_stopping):
    X, y, _, _ = weighted_data
    model = LSTMForecaster(**TINY, max_steps=3, early_stopping=early_stopping)
    np.testing.assert_allclose(clone(model).fit(X, y, sample_weight=np.ones(len(y))).predict(X),
                               clone(model).fit(X, y).predict(X), rtol=1e-6)


def test_weights_reach_every_fold_of_a_grid_search_through_routing(weighted_data):
    import sklearn

    X, y, y_wrong, weights = weighted_data
    cv = TimeSeriesSplit(n_splits=2)
    with sklearn.config_context(enable_metadata_routing=True):
        model = (LSTMForecaster(**TINY, max_steps=2)
                 .set_fit_request(sample_weight=True).set_score_request(sample_weight=False))
        search = GridSearchCV(model, {"units": [4]}, cv=cv).fit(X, y_wrong, sample_weight=weights)
    for k, (train, test) in enumerate(cv.split(X)):
        alone = LSTMForecaster(**TINY, max_steps=2).fit(X[train], y_wrong[train],
                                                     sample_weight=weights[train])
        assert search.cv_results_[f"split{k}_test_score"][0] == pytest.approx(
            alone.score(X[test], y_wrong[test]), rel=1e-6)
    np.testing.assert_allclose(
        search.best_estimator_.predict(X),
        LSTMForecaster(**TINY, max_steps=2).fit(X, y, sample_weight=weights).predict(X),
        rtol=1e-6)


@pytest.mark.parametrize("weights, match", [
    (np.ones(5), r"one weight per row of X \(200\), got shape \(5,\)"),
    (np.r_[1.0, -1.0, np.ones(198)], r"finite and >= 0, got -1.0 at row 1"),
    (np.zeros(200), "zero for every row"),
])
def test_bad_sample_weight_is_refused(weighted_data, weights, match):
    X, y, _, _ = weighted_data
    with pytest.raises(ValueError, match=match):
        LSTMForecaster(**TINY, max_steps=1).fit(X, y, sample_weight=weights)
