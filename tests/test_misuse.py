"""Misuse that was silently wrong or confusing (issue 18): each case is now right or refused.

Every test here failed on the code before issue 18. The fixes are rules in
one place each: one time-order rule (``_checks.check_time_order``) and one
placement rule (``_time_index``) for every window, one dtype path
(``_checks.validate_data``), one check that y follows ``target_column``
(``_series.check_targets_follow``) and one check of the scale of the data
(``_checks.check_scales``).
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from sklstm import LSTMForecaster, LSTMRegressor, SequenceWindower

TINY = dict(units=3, epochs=2, batch_size=16, random_state=0)


@pytest.fixture
def no_runtime_warnings():
    """Turn numpy's RuntimeWarnings into errors inside the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


# --- one dtype path ------------------------------------------------------------


def test_float16_input_is_widened_without_overflow_warnings(no_runtime_warnings):
    series = np.sin(np.arange(60.0) / 4).astype(np.float16)
    X, y = series[:-1].reshape(-1, 1), series[1:]
    model = LSTMForecaster(sequence_length=4, **TINY).fit(X, y)
    assert model.predict(X).dtype == np.float64
    windows = SequenceWindower(3).fit_transform(X)
    assert windows.dtype == np.float64
    LSTMRegressor(**TINY).fit(windows, y).predict(windows)


def test_complex_input_is_refused_in_one_line():
    X = np.arange(300.0).reshape(-1, 1) + 1j
    with pytest.raises(ValueError) as error:
        SequenceWindower(3).fit(X)
    message = str(error.value)
    assert "\n" not in message and len(message) < 200
    assert "SequenceWindower takes real numbers" in message and "X.real" in message


def test_nan_in_one_series_names_the_cell_and_the_fix():
    X = pd.DataFrame({"a": np.arange(30.0)}, index=pd.date_range("2024-01-01", periods=30))
    X.iloc[5, 0] = np.nan
    with pytest.raises(ValueError) as error:
        LSTMForecaster(**TINY).fit(X, np.arange(30.0))
    message = str(error.value)
    assert "HistGradientBoosting" not in message
    assert "X contains NaN (1 value(s), the first at row 5 (Timestamp('2024-01-06" in message
    assert "column 'a'" in message and "X.interpolate()" in message


def test_a_panel_with_no_known_target_warns_nothing_of_its_own(no_runtime_warnings):
    X = np.column_stack([np.sin(np.arange(40.0)), np.cos(np.arange(40.0))])
    windows = SequenceWindower(3).fit_transform(X)
    with pytest.raises(ValueError, match=r"y has no known \(non-NaN\) target"):
        LSTMRegressor(n_series=2, **TINY).fit(windows, np.full((40, 2), np.nan))
