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
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklstm import LSTMForecaster, LSTMRegressor, make_supervised
from sklstm._forecaster import calibration_size, conformal_rank

TINY = {"sequence_length": 5, "units": 4, "random_state": 0}

# Two checks cannot pass for any forecaster that windows its rows.
WINDOW_FAILURES = {
    "check_methods_sample_order_invariance": (
        "each row is predicted from the window of rows before it, so shuffled "
        "rows give other windows by design"
    ),
    "check_methods_subset_invariance": (
        "a subset of rows has other windows (the rows before each one differ)"
    ),
}


@pytest.mark.slow  # ~40 fits on differently shaped data: 40 s with a cold compilation cache
# the WINDOW_FAILURES checks predict one row at a time, which the windower warns about
@pytest.mark.filterwarnings("ignore:SequenceWindower takes this one row:UserWarning")
@parametrize_with_checks(
    [LSTMForecaster(sequence_length=3, units=4, epochs=2, random_state=0)],
    expected_failed_checks=lambda est: WINDOW_FAILURES,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


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
