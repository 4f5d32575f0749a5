"""Property-based tests (hypothesis) of SequenceWindower.

For any valid ``sequence_length``, number of rows and of features, in both
padding modes: the output shape, agreement with a naive loop over rows, no
look-ahead, padding exactly where the history is short, flat form equal to
the reshaped 3-D form, and the input left untouched.
"""

import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sklstm import SequenceWindower

MAX_EXAMPLES = int(os.environ.get("SKLSTM_HYPOTHESIS_EXAMPLES", "100"))
FLAGS = ("C_CONTIGUOUS", "F_CONTIGUOUS", "OWNDATA", "WRITEABLE", "ALIGNED")
FINITE = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def series(draw, min_rows=1, max_rows=40, max_features=4):
    """A finite float array (n_samples, n_features) and a sequence_length."""
    n_samples = draw(st.integers(min_rows, max_rows))
    n_features = draw(st.integers(1, max_features))
    X = draw(arrays(np.float64, (n_samples, n_features), elements=FINITE))
    sequence_length = draw(st.integers(1, max_rows + 5))
    padding = draw(st.sampled_from(["mask", "edge"]))
    return X, sequence_length, padding


def naive_windows(X, sequence_length, padding):
    """The windower's rule, one row and one step at a time."""
    n_samples, n_features = X.shape
    out = np.empty((n_samples, sequence_length, n_features))
    for t in range(n_samples):
        for step in range(sequence_length):
            source = t - (sequence_length - 1) + step
            if source >= 0:
                out[t, step] = X[source]
            elif padding == "mask":
                out[t, step] = np.nan
            else:
                out[t, step] = X[0]
    return out


@settings(max_examples=MAX_EXAMPLES, deadline=None)
@given(series())
def test_shape_and_agreement_with_naive_loop(case):
    X, sequence_length, padding = case
    out = SequenceWindower(sequence_length, padding=padding).fit_transform(X)
    assert out.shape == (X.shape[0], sequence_length, X.shape[1])
    np.testing.assert_array_equal(out, naive_windows(X, sequence_length, padding))


@settings(max_examples=MAX_EXAMPLES, deadline=None)
@given(series(min_rows=2), st.data())
def test_no_look_ahead(case, data):
    """Changing any rows after t never changes output rows 0..t."""
    X, sequence_length, padding = case
    t = data.draw(st.integers(0, len(X) - 2), label="t")
    changed = X.copy()
    changed[t + 1:] = data.draw(
        arrays(np.float64, changed[t + 1:].shape, elements=FINITE), label="new rows"
    )
    windower = SequenceWindower(sequence_length, padding=padding).fit(X)
    np.testing.assert_array_equal(
        windower.transform(changed)[: t + 1], windower.transform(X)[: t + 1]
    )


@settings(max_examples=MAX_EXAMPLES, deadline=None)
@given(series())
def test_padding_exactly_where_history_is_short(case):
    X, sequence_length, padding = case
    out = SequenceWindower(sequence_length, padding=padding).fit_transform(X)
    n_samples = len(X)
    # row t has min(t + 1, sequence_length) real steps, at the end of its window
    n_padded = np.maximum(sequence_length - 1 - np.arange(n_samples), 0)
    step = np.arange(sequence_length)
    is_padding = step[np.newaxis, :] < n_padded[:, np.newaxis]
    if padding == "mask":
        np.testing.assert_array_equal(np.isnan(out).all(axis=2), is_padding)
        assert not np.isnan(out[~is_padding]).any()
    else:
        assert not np.isnan(out).any()
        np.testing.assert_array_equal(
            out[is_padding], np.broadcast_to(X[0], out[is_padding].shape)
        )
    # the last step of every window is the row itself
    np.testing.assert_array_equal(out[:, -1, :], X)


@settings(max_examples=MAX_EXAMPLES, deadline=None)
@given(series())
def test_flat_form_equals_reshaped_3d(case):
    X, sequence_length, padding = case
    windows = SequenceWindower(sequence_length, padding=padding).fit_transform(X)
    flat_windower = SequenceWindower(sequence_length, padding=padding, flatten=True).fit(X)
    flat = flat_windower.transform(X)
    np.testing.assert_array_equal(flat, windows.reshape(len(X), -1))
    names = flat_windower.get_feature_names_out()
    assert len(names) == flat.shape[1] == sequence_length * X.shape[1]
    assert len(set(names)) == len(names)


@settings(max_examples=MAX_EXAMPLES // 2, deadline=None)
@given(series(), st.booleans(), st.booleans())
def test_input_unchanged_and_output_read_only(case, as_frame, read_only):
    X, sequence_length, padding = case
    if read_only:
        X.flags.writeable = False
    source = pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])]) if as_frame else X
    snapshot = source.copy()
    flags = {name: X.flags[name] for name in FLAGS}
    out = SequenceWindower(sequence_length, padding=padding).fit_transform(source)
    if as_frame:
        pd.testing.assert_frame_equal(source, snapshot)
    else:
        np.testing.assert_array_equal(source, snapshot)
    assert {name: X.flags[name] for name in FLAGS} == flags
    # the 3-D output is a read-only view: writing to it cannot reach the input
    with pytest.raises(ValueError, match="read-only"):
        out[0, 0, 0] = 1.0


@st.composite
def split_series(draw):
    """A series whose value is its row number, a TimeSeriesSplit-like cut with a gap."""
    n_samples = draw(st.integers(3, 60))
    n_train = draw(st.integers(1, n_samples - 1))
    gap = draw(st.integers(0, n_samples - n_train - 1))
    sequence_length = draw(st.integers(1, 20))
    kind = draw(st.sampled_from(["range", "dates", "periods"]))
    index = {
        "range": pd.RangeIndex(5, 5 + n_samples),
        "dates": pd.date_range("2020-01-01", periods=n_samples, freq="D"),
        "periods": pd.period_range("2020-01", periods=n_samples, freq="M"),
    }[kind]
    X = pd.DataFrame({"t": np.arange(n_samples, dtype=float)}, index=index)
    return X, n_train, gap, sequence_length


@settings(max_examples=MAX_EXAMPLES, deadline=None)
@given(split_series())
def test_windows_read_true_positions_and_never_a_later_row(case):
    """Training windows hold training rows only; test windows hold each row's true past."""
    X, n_train, gap, sequence_length = case
    train, test = X.iloc[:n_train], X.iloc[n_train + gap:]
    windower = SequenceWindower(sequence_length)
    train_windows = windower.fit_transform(train)[:, :, 0]
    test_windows = windower.transform(test)[:, :, 0]
    remembered = set(range(max(n_train - (sequence_length - 1), 0), n_train))
    for rows, windows, known in [
        (np.arange(n_train), train_windows, set(range(n_train))),
        (np.arange(n_train + gap, len(X)), test_windows,
         remembered | set(range(n_train + gap, len(X)))),
    ]:
        for t, window in zip(rows, windows):
            wanted = t - (sequence_length - 1) + np.arange(sequence_length)
            expected = np.where(np.isin(wanted, list(known)), wanted, np.nan)
            np.testing.assert_array_equal(window, expected)


@settings(max_examples=MAX_EXAMPLES, deadline=None)
@given(series(min_rows=2), st.data())
# a split before the last row leaves one row, which the windower rightly says it guesses
@pytest.mark.filterwarnings("ignore:SequenceWindower takes this one row:UserWarning")
def test_arrays_that_continue_the_fitted_rows_match_the_whole_series(case, data):
    X, sequence_length, padding = case
    # a row-number column: an array whose first row repeats row 0 reads as a
    # restart (padded by design), which this property is not about
    X = np.column_stack([np.arange(len(X), dtype=float), X])
    split = data.draw(st.integers(1, len(X) - 1), label="split")
    windower = SequenceWindower(sequence_length, padding=padding).fit(X[:split])
    whole = SequenceWindower(sequence_length, padding=padding).fit_transform(X)
    np.testing.assert_array_equal(windower.transform(X[split:]), whole[split:])
