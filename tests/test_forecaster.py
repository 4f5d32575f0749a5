"""LSTMForecaster: shapes, trend handling, conformal intervals, sklearn API.

Models are tiny and share one architecture where they can (sequence_length=5,
units=4, default batch size and learning rate), so the compiled training
steps are reused across tests.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

from sklstm import LSTMForecaster, LSTMRegressor, make_supervised
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
    model = LSTMForecaster(**TINY, epochs=100, validation_fraction=0.2).fit(X[:500], y[:500])
    return model, X, y


# --- shapes and the sklearn contract ------------------------------------------------------


def test_one_step_predict_and_interval_shapes(fitted):
    model, X, y = fitted
    pred = model.predict(X)
    lower, upper = model.predict_interval(X, coverage=0.8)
    assert pred.shape == lower.shape == upper.shape == y.shape
    assert np.all((lower < pred) & (pred < upper))
    assert model.n_features_in_ == 1 and model.n_outputs_ == 1
    assert isinstance(model.regressor_, LSTMRegressor)
    assert model.history_ is model.regressor_.history_
    assert len(model.history_["val_loss"]) == len(model.history_["loss"]) >= 1


def test_learns_the_cycle_better_than_persistence(fitted):
    model, X, y = fitted
    test = slice(500, None)
    pred = model.predict(X)[test]
    assert mean_absolute_error(y[test], pred) < 0.8 * mean_absolute_error(y[test], X[test, 0])


def test_direct_multi_step_with_exogenous_dataframe(sine_frame):
    X, y = make_supervised(sine_frame, "y", horizon=3, features=["x", "y"])
    X_before = X.copy()
    model = LSTMForecaster(**TINY, target_column="y", epochs=3)
    params_before = model.get_params()
    model.fit(X, y)
    assert model.target_index_ == 1
    assert list(model.feature_names_in_) == ["x", "y"]
    pred = model.predict(X)
    lower, upper = model.predict_interval(X, coverage=0.9)
    assert pred.shape == lower.shape == upper.shape == (len(X), 3)
    assert model.regressor_.n_outputs_ == 3
    # one half-width per horizon step
    np.testing.assert_allclose(upper - pred, np.broadcast_to(upper[0] - pred[0], pred.shape))
    assert model.conformity_scores_.shape == (round(0.1 * len(X)), 3)
    # fit changes neither the inputs nor the parameters, and adds only `_` attributes
    pd.testing.assert_frame_equal(X, X_before)
    assert model.get_params() == params_before
    public = [k for k in vars(model) if not k.startswith("_")]
    assert all(k in params_before or k.endswith("_") for k in public)


def test_same_random_state_same_predictions(seasonal):
    X, y = make_supervised(seasonal.iloc[:200], "s")
    first = LSTMForecaster(**TINY, epochs=2).fit(X, y).predict(X)
    second = LSTMForecaster(**TINY, epochs=2).fit(X, y).predict(X)
    np.testing.assert_array_equal(first, second)


def test_without_early_stopping_the_held_out_rows_still_calibrate(seasonal):
    X, y = make_supervised(seasonal.iloc[:200], "s")
    model = LSTMForecaster(**TINY, epochs=3, early_stopping=False).fit(X, y)
    assert len(model.history_["loss"]) == 3 and "val_loss" not in model.history_
    assert len(model.conformity_scores_) == round(0.1 * len(X))


# --- one trip of the data through fit -----------------------------------------------------


def _count_calls(monkeypatch, owner, name, sizes=None):
    """Replace ``owner.name`` by a wrapper counting its calls (and the rows of its first arg)."""
    calls = []
    original = getattr(owner, name)

    def counted(*args, **kwargs):
        calls.append(len(args[1]) if sizes else None)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


@pytest.mark.parametrize("params, panel", [
    ({}, False), ({"trend": "highway"}, False), ({"trend": "last"}, True),
    ({"early_stopping": False}, False),
], ids=["diff", "highway", "panel", "no-early-stopping"])
def test_one_fit_validates_once_windows_once_and_predicts_only_what_it_must(
        sine_frame, monkeypatch, params, panel):
    """validate_data at most 4 times: LSTMForecaster at its boundary, the scalers of X
    and y, SciKeras's identity feature encoder (nothing downstream checks again);
    the windower once; no pass of the network besides training but, without early
    stopping, one over the held-out rows that calibrate the intervals."""
    import cProfile
    import pstats

    from sklstm import SequenceWindower

    target = ["y", "x"] if panel else "y"
    X, y = make_supervised(sine_frame, target, horizon=2)
    model = LSTMForecaster(**TINY, epochs=2, target_column=target, **params)
    windowed = _count_calls(monkeypatch, SequenceWindower, "_window")
    network = _count_calls(monkeypatch, LSTMRegressor, "_network_output", sizes=True)
    profile = cProfile.Profile()
    profile.runcall(model.fit, X, y)
    validations = sum(
        stats[1] for (path, _, function), stats in pstats.Stats(profile).stats.items()
        if function == "validate_data" and path.endswith("sklearn/utils/validation.py"))
    assert 1 <= validations <= 4
    assert len(windowed) == 1
    n_held = round(0.1 * len(X))
    assert network == ([] if model.early_stopping else [n_held])
    # the held-out predictions are the training loop's: those of predict on those rows
    held = slice(len(X) - n_held, None)
    errors = np.abs(y.to_numpy()[held] - model.predict(X)[held])
    np.testing.assert_allclose(model.conformity_scores_, errors, rtol=1e-5, atol=1e-6)


def test_relative_windows_are_made_per_block_as_the_whole_would_be():
    from sklstm import SequenceWindower
    from sklstm._forecaster import RelativeWindows

    rng = np.random.default_rng(0)
    columns = rng.standard_normal((30, 3))
    raw = np.cumsum(rng.standard_normal((30, 2)), axis=0)
    windows = SequenceWindower(4).fit_transform(np.column_stack([columns, raw]))
    relative = RelativeWindows(windows, [0, 2], np.array([2.0, 0.5]))
    # as the whole array: the targets' past minus their last value, in units of scale
    expected = windows[:, :, :3].copy()
    expected[:, :, [0, 2]] = (windows[:, :, 3:] - windows[:, -1:, 3:]) / [2.0, 0.5]
    assert relative.shape == expected.shape and len(relative) == 30
    np.testing.assert_array_equal(np.asarray(relative), expected)
    rows = np.array([3, 17, 29])
    np.testing.assert_array_equal(relative[rows], expected[rows])
    np.testing.assert_array_equal(np.asarray(relative[10:20][2:5]), expected[12:15])
    np.testing.assert_array_equal(np.asarray(relative[:5], dtype=np.float32),
                                  expected[:5].astype(np.float32))


def test_a_diff_fit_never_holds_every_window():
    import gc
    import threading
    import tracemalloc

    n, length = 80_000, 32
    series = np.cumsum(np.random.default_rng(0).standard_normal((n + 1, 4)), axis=0)
    X, y = series[:-1], series[1:, 0]
    model = LSTMForecaster(sequence_length=length, units=2, epochs=1, batch_size=1024,
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
    windows = n * length * 4 * 8  # float64: what the copy of every window took
    assert peak < windows / 4, f"peak {peak / 2**20:.1f} MiB, windows {windows / 2**20:.1f} MiB"


def test_grid_search_over_flat_params_with_time_series_split(seasonal):
    X, y = make_supervised(seasonal.iloc[:240], "s")
    search = GridSearchCV(
        LSTMForecaster(**TINY, epochs=2),
        {"trend": ["none", "diff"], "units": [4]},
        cv=TimeSeriesSplit(2),
        scoring="neg_mean_absolute_error",
    ).fit(X, y)
    # the flat parameter reaches the network: the two candidates score differently,
    # and the refit best estimator is the candidate with the best mean score
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all() and scores[0] != scores[1]
    best = search.cv_results_["params"][int(np.argmax(scores))]["trend"]
    assert search.best_estimator_.trend == best
    assert search.best_estimator_.predict(X).shape == (len(X),)
    params = clone(search.best_estimator_).get_params()
    assert {"sequence_length", "units", "trend", "epochs", "learning_rate"} <= set(params)


# --- trend handling ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trending():
    """y = 0.5 t + noise: the test rows lie far above the training range."""
    rng = np.random.default_rng(1)
    t = np.arange(240.0)
    return pd.Series(0.5 * t + rng.standard_normal(240), name="level")


@pytest.fixture(scope="module")
def trend_errors(trending):
    X, y = make_supervised(trending, "level")
    X, y = X.to_numpy(), y.to_numpy()
    errors = {}
    for trend in ("none", "last", "diff", "highway"):
        model = LSTMForecaster(**TINY, trend=trend, epochs=30).fit(X[:160], y[:160])
        errors[trend] = mean_absolute_error(y[160:], model.predict(X)[160:])
    return errors


@pytest.mark.parametrize("trend", ["last", "diff", "highway"])
def test_trend_handling_beats_no_trend_beyond_the_training_range(trend_errors, trend):
    # "none" can only predict inside the scaled range it saw (<= about 80);
    # the test rows climb to 120
    assert trend_errors[trend] < 0.5 * trend_errors["none"], trend_errors


def test_differencing_stays_close_to_the_trend(trend_errors):
    # noise sd 1 and slope 0.5: persistence errs by about 1.2 on average
    assert trend_errors["diff"] < 2.0, trend_errors


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
        ({"trend": "linear"}, ValueError, "trend must be one of 'none', 'last', 'diff', 'highway', got 'linear'"),
        ({"sequence_length": 0}, ValueError, "sequence_length must be a positive int"),
        ({"validation_fraction": 1.5}, ValueError, "validation_fraction must be a number in"),
        ({"target_column": 3}, ValueError, r"target_column=3 is out of range for X with 1 column"),
        ({"target_column": "temp"}, ValueError, "is a column name, but X has no column names"),
        ({"early_stopping": "yes"}, TypeError, "early_stopping must be True or False"),
        ({"early_stopping": "no"}, TypeError, "early_stopping must be True or False, got 'no'"),
        ({"random_state": "0"}, TypeError, "random_state must be .*got '0' of type str"),
        ({"random_state": -5}, ValueError, "random_state must be an int in"),
        ({"units": 0}, ValueError, r"units must be a positive int \(>= 1\)"),
        ({"epochs": 1.5}, TypeError, r"epochs must be a positive int \(>= 1\), got 1.5"),
    ],
)
def test_bad_parameters_are_named_in_the_error(params, error, match):
    X = np.arange(40.0).reshape(-1, 1)
    with pytest.raises(error, match=match):
        LSTMForecaster(**{**TINY, **params}).fit(X, X[:, 0] + 1)


@pytest.mark.parametrize("trend", ["diff", "none"])
def test_data_whose_range_overflows_is_refused(trend):
    # finite values, but max - min (and the one-step changes) overflow float64
    X = (np.where(np.arange(60) % 2, 1.5e308, -1.5e308) * np.linspace(0.5, 1, 60)).reshape(-1, 1)
    with pytest.raises(ValueError, match=r"the range of X overflows float64 \(values up to "
                                         r"1\.5e\+308\).*rescale the data first"):
        LSTMForecaster(**TINY, epochs=1, trend=trend).fit(X[:-1], X[1:, 0])


def test_huge_but_representable_data_gives_finite_predictions():
    X = (1.5e308 * (0.7 + 0.3 * np.sin(np.arange(80.0) / 4))).reshape(-1, 1)
    model = LSTMForecaster(**TINY, epochs=1).fit(X[:-1], X[1:, 0])
    assert np.isfinite(model.predict(X[:-1])).all()


def test_float32_learning_rate_is_accepted(seasonal):
    X, y = make_supervised(seasonal.iloc[:100], "s")
    model = LSTMForecaster(**TINY, epochs=1, learning_rate=np.float32(0.003)).fit(X, y)
    assert model.predict(X).shape == (len(X),)


def test_too_few_calibration_rows_for_the_coverage(fitted):
    _model, X, y = fitted
    few = LSTMForecaster(**TINY, epochs=1).fit(X[:40], y[:40])  # 4 held-out rows
    with pytest.raises(ValueError, match=r"needs at least 9 held-out calibration rows, but fit kept 4"):
        few.predict_interval(X, coverage=0.9)
    lower, _upper = few.predict_interval(X, coverage=0.5)
    assert lower.shape == (len(X),)


@pytest.mark.parametrize("coverage, needed", [(0.99999999, 99999999), (0.999999999999, 999999999999)])
def test_coverage_too_close_to_one_says_how_many_rows_it_needs(fitted, coverage, needed):
    # computed in closed form: no search over row counts, no StopIteration
    model, X, _ = fitted
    with pytest.raises(ValueError, match=f"needs at least {needed} held-out calibration rows"):
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
    model = LSTMForecaster(**TINY, epochs=2).fit(X, y)
    before = model.predict(X)
    wide = pd.concat([X, X.rename(columns={"s": "other"})], axis=1)
    with pytest.raises(ValueError, match="units must be a positive int"):
        model.set_params(units=0).fit(wide, y)
    assert model.n_features_in_ == 1 and list(model.feature_names_in_) == ["s"]
    np.testing.assert_array_equal(model.predict(X), before)


def test_a_refit_on_the_other_layout_keeps_nothing_of_the_first(seasonal):
    X, y = make_supervised(seasonal.iloc[:120], "s")  # wide, 1-D y
    model = LSTMForecaster(sequence_length=4, units=2, epochs=1, random_state=0).fit(X, y)
    wide_only = {"windower_", "scaler_X_", "diff_scale_"}
    assert wide_only <= set(vars(model)) and model.y_ndim_ == 1
    long = pd.DataFrame({"id": np.repeat(["a", "b"], 60), "t": np.tile(np.arange(60), 2),
                         "v": seasonal.iloc[:120].to_numpy()})
    XL, yL = make_supervised(long, "v", series="id", time="t", horizon=3)
    assert model.fit(XL, yL).predict(XL).shape == (len(XL), 3)  # not the wide fit's 1-D
    assert not wide_only & set(vars(model)) and model.y_ndim_ == 2  # its own, not the first
    assert model.fit(X, y).predict(X).shape == (len(X),) and not hasattr(model, "series_")


# --- sample_weight --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def weighted_data(seasonal):
    """200 rows; rows 40-49 and 190-194 (in the held-out end) carry wrong targets."""
    X, y = make_supervised(seasonal.iloc[:201], "s")
    X, y = X.to_numpy(), y.to_numpy()
    wrong = np.zeros(len(y), dtype=bool)
    wrong[40:50] = wrong[190:195] = True
    weights = np.where(wrong, 0.0, 1.0)
    return X, y, np.where(wrong, y + 40.0, y), weights


def test_rows_of_weight_zero_count_for_nothing(weighted_data):
    X, y, y_wrong, weights = weighted_data
    model = LSTMForecaster(**TINY, epochs=3, validation_fraction=0.2)
    clean = clone(model).fit(X, y, sample_weight=weights)
    wrong = clone(model).fit(X, y_wrong, sample_weight=weights)
    # whatever their targets, rows of weight 0 change no weight, scale or interval
    np.testing.assert_array_equal(wrong.predict(X), clean.predict(X))
    np.testing.assert_array_equal(wrong.conformity_scores_, clean.conformity_scores_)
    # the held-out rows are the last 20% of the 185 rows that count, the wrong ones left out
    assert clean.conformity_scores_.shape == (37, 1)
    assert wrong.scaler_y_.data_max_ == clean.scaler_y_.data_max_
    unweighted = clone(model).fit(X, y_wrong)
    assert not np.allclose(unweighted.predict(X), clean.predict(X))


@pytest.mark.parametrize("early_stopping", [True, False])
def test_weights_of_one_change_nothing(weighted_data, early_stopping):
    X, y, _, _ = weighted_data
    model = LSTMForecaster(**TINY, epochs=3, early_stopping=early_stopping)
    np.testing.assert_allclose(clone(model).fit(X, y, sample_weight=np.ones(len(y))).predict(X),
                               clone(model).fit(X, y).predict(X), rtol=1e-6)


def test_weights_reach_every_fold_of_a_grid_search_through_routing(weighted_data):
    import sklearn

    X, y, y_wrong, weights = weighted_data
    cv = TimeSeriesSplit(n_splits=2)
    with sklearn.config_context(enable_metadata_routing=True):
        model = (LSTMForecaster(**TINY, epochs=2)
                 .set_fit_request(sample_weight=True).set_score_request(sample_weight=False))
        search = GridSearchCV(model, {"units": [4]}, cv=cv).fit(X, y_wrong, sample_weight=weights)
    for k, (train, test) in enumerate(cv.split(X)):
        alone = LSTMForecaster(**TINY, epochs=2).fit(X[train], y_wrong[train],
                                                     sample_weight=weights[train])
        assert search.cv_results_[f"split{k}_test_score"][0] == pytest.approx(
            alone.score(X[test], y_wrong[test]), rel=1e-6)
    np.testing.assert_allclose(
        search.best_estimator_.predict(X),
        LSTMForecaster(**TINY, epochs=2).fit(X, y, sample_weight=weights).predict(X), rtol=1e-6)


@pytest.mark.parametrize("weights, match", [
    (np.ones(5), r"one weight per row of X \(200\), got shape \(5,\)"),
    (np.r_[1.0, -1.0, np.ones(198)], r"finite and >= 0, got -1.0 at row 1"),
    (np.zeros(200), "zero for every row"),
])
def test_bad_sample_weight_is_refused(weighted_data, weights, match):
    X, y, _, _ = weighted_data
    with pytest.raises(ValueError, match=match):
        LSTMForecaster(**TINY, epochs=1).fit(X, y, sample_weight=weights)


def test_long_panels_refuse_sample_weight():
    long = pd.DataFrame({"id": np.repeat(["a", "b"], 30), "t": np.tile(np.arange(30), 2),
                         "v": np.sin(np.arange(60.0))})
    X, y = make_supervised(long, "v", series="id", time="t")
    with pytest.raises(ValueError, match="sample_weight is not supported for long panels"):
        LSTMForecaster(**TINY).fit(X, y, sample_weight=np.ones(len(y)))
