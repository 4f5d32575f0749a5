import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import TimeSeriesSplit, cross_val_score

from sklstm import PersistenceRegressor, make_supervised


@pytest.fixture(scope="module")
def frame():
    return pd.DataFrame(
        {"wind": [9.0, 8.0, 7.0, 6.0, 5.0], "temp": [1.0, 3.0, 2.0, 5.0, 4.0]}
    )


@pytest.mark.parametrize("target_column", [1, -1, "temp"])
def test_predicts_the_target_column_at_t(frame, target_column):
    X, y = make_supervised(frame, "temp")
    model = PersistenceRegressor(target_column=target_column).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), [1.0, 3.0, 2.0, 5.0])
    assert model.target_index_ == 1
    assert model.predict(X).shape == y.shape


def test_tiles_the_last_value_over_a_multi_step_horizon(frame):
    X, y = make_supervised(frame, "temp", horizon=3)
    model = PersistenceRegressor(target_column="temp").fit(X, y)
    np.testing.assert_array_equal(model.predict(X), [[1.0, 1.0, 1.0], [3.0, 3.0, 3.0]])
    assert model.n_outputs_ == 3


def test_mae_equals_the_mean_absolute_one_step_change():
    series = pd.Series([2.0, 5.0, 4.0, 4.0, 8.0, 7.0], name="s")
    X, y = make_supervised(series, "s")
    pred = PersistenceRegressor().fit(X, y).predict(X)
    # |5-2|, |4-5|, |4-4|, |8-4|, |7-8|
    assert mean_absolute_error(y, pred) == pytest.approx((3 + 1 + 0 + 4 + 1) / 5)


def test_works_in_cross_validation_with_time_series_split():
    series = pd.Series(np.arange(30.0), name="s")
    X, y = make_supervised(series, "s")
    scores = cross_val_score(
        PersistenceRegressor(), X, y, cv=TimeSeriesSplit(3), scoring="neg_mean_absolute_error"
    )
    np.testing.assert_allclose(scores, -1.0)  # a unit-slope line is always one behind


@pytest.mark.parametrize(
    "X, target_column, error, match",
    [
        (np.ones((4, 2)), "temp", ValueError, "is a column name, but X has no column names"),
        (pd.DataFrame({"a": [1.0, 2.0]}), "temp", ValueError, r"not a column of X; columns are \['a'\]"),
        (np.ones((4, 2)), 2, ValueError, r"out of range for X with 2 column\(s\)"),
        (np.ones((4, 2)), -3, ValueError, "out of range"),
        (np.ones((4, 2)), 1.0, TypeError, "target_column must be an int, a column name or a list"),
        (np.ones((4, 2)), True, TypeError, "target_column must be an int, a column name or a list"),
    ],
)
def test_bad_target_column_is_named_in_the_error(X, target_column, error, match):
    with pytest.raises(error, match=match):
        PersistenceRegressor(target_column=target_column).fit(X, np.ones(len(X)))


def test_does_not_mutate_the_input(frame):
    X, y = make_supervised(frame, "temp")
    before = X.copy()
    PersistenceRegressor(target_column="temp").fit(X, y).predict(X)[:] = -1
    pd.testing.assert_frame_equal(X, before)


def test_a_list_of_series_repeats_each_series_own_last_value(frame):
    panel = frame.assign(rain=[0.0, 1.0, 0.0, 2.0, 0.0])
    X, y = make_supervised(panel, ["temp", "wind"], horizon=2, features=["rain"])
    model = PersistenceRegressor(target_column=["temp", "wind"]).fit(X, y)
    # y is series-major: temp_t+1, temp_t+2, wind_t+1, wind_t+2
    np.testing.assert_array_equal(
        model.predict(X), [[1.0, 1.0, 9.0, 9.0], [3.0, 3.0, 8.0, 8.0], [2.0, 2.0, 7.0, 7.0]])
    np.testing.assert_array_equal(model.target_index_, [0, 1])


def test_a_list_of_series_needs_one_y_column_per_series_and_step(frame):
    X, y = make_supervised(frame, ["temp", "wind"], horizon=2)
    with pytest.raises(ValueError, match=r"y has 3 column\(s\) for target_column's 2 series"):
        PersistenceRegressor(target_column=["temp", "wind"]).fit(X, y.iloc[:, :3])
