"""Bad input: a clear error naming the parameter, the rule and the value; nothing mutated."""

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from sklstm import LSTMRegressor, SequenceWindower

X2 = np.arange(20.0).reshape(10, 2)
X3 = SequenceWindower(3).fit_transform(X2)
y = np.arange(10.0)


def _inf(a):
    a = a.copy()
    a[4, 0] = np.inf
    return a


def _nan(a):
    a = a.copy()
    a[4, 0] = np.nan
    return a


WINDOWER_CASES = [
    ({"sequence_length": 0}, X2, ValueError, r"sequence_length must be a positive int \(>= 1\), got 0"),
    ({"sequence_length": -2}, X2, ValueError, "sequence_length must be a positive int"),
    ({"sequence_length": 2.5}, X2, TypeError, r"sequence_length must be a positive int \(>= 1\), got 2.5"),
    ({"sequence_length": "5"}, X2, TypeError, "got '5' of type str"),
    ({"padding": "zeros"}, X2, ValueError, "padding must be one of 'mask', 'edge', got 'zeros'"),
    ({}, np.arange(5.0), ValueError, "Expected 2D array, got 1D array"),
    ({}, X3, ValueError, "Found array with dim 3"),
    ({}, X2[:0], ValueError, "Found array with 0 sample"),
    ({"padding": "edge"}, _nan(X2), ValueError,
     r"X contains NaN \(1 value\(s\), the first at row 4, column 0\); padding='edge' needs"),
    ({}, _inf(X2), ValueError, "Input X contains infinity"),
    ({}, pd.DataFrame({"t": [1.0, 2.0], "weather": ["sun", "rain"]}), ValueError,
     r"column\(s\) \['weather'\] are not numeric"),
]


@pytest.mark.parametrize("params, X, error, match", WINDOWER_CASES)
def test_windower_rejects_bad_input(params, X, error, match):
    before = X.copy()
    with pytest.raises(error, match=match):
        SequenceWindower(**params).fit(X)
    if isinstance(X, pd.DataFrame):
        pd.testing.assert_frame_equal(X, before)
    else:
        np.testing.assert_array_equal(X, before)


REGRESSOR_CASES = [
    ({"units": 0}, X3, y, ValueError, r"units must be a positive int \(>= 1\) or a non-empty tuple of them, got 0"),
    ({"units": (4, 0)}, X3, y, ValueError, "units must be a positive int"),
    ({"units": ()}, X3, y, ValueError, r"units must be a positive int .* or a non-empty tuple of them, got \(\)"),
    ({"units": "50"}, X3, y, TypeError, r"units must be a positive int \(>= 1\) or a non-empty tuple of them, got '50'"),
    ({"epochs": 0}, X3, y, ValueError, "epochs must be a positive int"),
    ({"batch_size": 1.5}, X3, y, TypeError, r"batch_size must be a positive int \(>= 1\), got 1.5"),
    ({"dropout": 1.0}, X3, y, ValueError, r"dropout must be a number in \[0, 1\), got 1\.0"),
    ({"learning_rate": -1}, X3, y, ValueError, "learning_rate must be a number > 0, got -1"),
    ({"validation_fraction": 0.0}, X3, y, ValueError, "validation_fraction must be a number in"),
    ({"unit": 3}, X3, y, TypeError, "unknown parameter 'unit'. Did you mean 'units'"),
    ({"random_state": -5}, X3, y, ValueError,
     r"random_state must be an int in \[0, 4294967295\], a numpy.random.RandomState or None, "
     r"got -5; pass an int seed"),
    ({"random_state": 2**40}, X3, y, ValueError, "random_state must be .*got 1099511627776"),
    ({"random_state": "0"}, X3, y, TypeError, "random_state must be .*got '0' of type str"),
    ({"tol": -1.0}, X3, y, ValueError, "tol must be a number >= 0, got -1.0"),
    ({"tol": np.nan}, X3, y, ValueError, "tol must be a number >= 0, got nan"),
    ({"shuffle": "no"}, X3, y, TypeError, "shuffle must be True or False, got 'no'"),
    ({"early_stopping": "no"}, X3, y, TypeError, "early_stopping must be True or False, got 'no'"),
    ({"warm_start": 1}, X3, y, TypeError, "warm_start must be True or False, got 1"),
    ({"learning_rate": np.inf}, X3, y, ValueError, "learning_rate must be a number > 0, got inf"),
    ({}, X3, y[:-1], ValueError, "inconsistent numbers of samples"),
    ({}, X3[:0], y[:0], ValueError, "Found array with 0 sample"),
    ({}, _inf(X2), y, ValueError, "Input X contains infinity"),
    ({}, X3, _nan(y.reshape(-1, 1)).ravel(), ValueError,
     r"y contains NaN \(1 value\(s\), the first at row 4\); .*fill them first"),
    ({}, np.zeros((10, 2, 2, 2)), y, ValueError, "X must be 3-D"),
    ({}, X3, None, ValueError, "requires y to be passed"),
]


@pytest.mark.parametrize("params, X, y_, error, match", REGRESSOR_CASES)
def test_regressor_rejects_bad_input(params, X, y_, error, match):
    reg = LSTMRegressor(**{"epochs": 1, **params})
    with pytest.raises(error, match=match):
        reg.fit(X, y_)
    assert not hasattr(reg, "model_")


@pytest.mark.parametrize("rate", [np.float32(0.01), np.float64(0.01), 1])
def test_numpy_and_int_learning_rates_are_accepted(rate):
    reg = LSTMRegressor(units=2, epochs=1, random_state=0, learning_rate=rate).fit(X3, y)
    assert float(reg.model_.optimizer.learning_rate) == pytest.approx(float(rate))


def test_predict_before_fit():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        LSTMRegressor().predict(X3)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        SequenceWindower().transform(X2)


@pytest.fixture(scope="module")
def fitted():
    return LSTMRegressor(units=2, epochs=1, random_state=0).fit(X3, y)


def test_different_feature_count_at_predict(fitted):
    w = SequenceWindower(3).fit(X2)
    with pytest.raises(ValueError, match="X has 3 features, but SequenceWindower is expecting 2"):
        w.transform(np.ones((4, 3)))
    other = SequenceWindower(4).fit_transform(X2)
    with pytest.raises(ValueError, match=r"windows of shape .*=\(4, 2\), but LSTMRegressor was fitted on \(3, 2\)"):
        fitted.predict(other)


def test_inputs_are_not_mutated(fitted):
    frame = pd.DataFrame(X2, columns=["a", "b"])
    frame_before = frame.copy()
    X_before, y_before = X3.copy(), y.copy()
    SequenceWindower(3).fit_transform(frame)
    LSTMRegressor(units=2, epochs=1, random_state=0).fit(X3, y).predict(X3)
    pd.testing.assert_frame_equal(frame, frame_before)
    np.testing.assert_array_equal(X3, X_before)
    np.testing.assert_array_equal(y, y_before)
