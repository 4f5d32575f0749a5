"""Time indexes as regular grids: which labels come just before a row.

The windower places rows in time by their index labels. That works for an
index on a regular grid: a ``RangeIndex`` or equally spaced integers, a
``DatetimeIndex`` with a ``freq`` (or one pandas can infer) and a
``PeriodIndex``. Anything else is described by a reason, for the warning
of whoever falls back to positions.
"""

import numpy as np
import pandas as pd


def index_of(X):
    """The pandas index of X, or None for arrays (and DataFrames without one)."""
    index = getattr(X, "index", None)
    return index if isinstance(index, pd.Index) else None


def is_default_index(index):
    """True for ``RangeIndex(0, n)``: the index pandas gives data that had none."""
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def inferred_freq(index):
    """The ``freq`` of a DatetimeIndex, or the one pandas infers, or None."""
    if index.freq is not None:
        return index.freq
    if len(index) < 3:
        return None
    return pd.DatetimeIndex(index, freq="infer").freq


def grid_tail(index, n_labels):
    """The last ``n_labels`` labels of ``index`` as a regular grid, or why not.

    Returns ``(grid, None)``, where ``grid`` is a ``RangeIndex`` (integer
    labels, with their step), a ``DatetimeIndex`` with its ``freq`` or a
    ``PeriodIndex``; or ``(None, reason)``.
    """
    if not (index.is_monotonic_increasing and index.is_unique):
        return None, "its labels are not increasing without duplicates"
    start = len(index) - n_labels
    if isinstance(index, pd.PeriodIndex):
        return index[start:], None
    if isinstance(index, pd.DatetimeIndex):
        freq = inferred_freq(index)
        if freq is None:
            return None, (
                "its dates have no freq and pandas cannot infer one (irregular "
                "dates, or fewer than 3 rows); give them one, e.g. X.asfreq('D')"
            )
        return pd.DatetimeIndex(index[start:], freq=freq), None
    if isinstance(index, pd.RangeIndex):
        return index[start:], None
    if pd.api.types.is_integer_dtype(index.dtype):
        steps = np.unique(np.diff(index.to_numpy()))
        if len(steps) > 1:
            return None, "its integer labels are not equally spaced"
        step = int(steps[0]) if len(steps) else 1
        first = int(index[start]) if n_labels else int(index[-1]) + step
        return pd.RangeIndex(first, first + step * n_labels, step), None
    return None, (
        f"its labels (dtype {index.dtype}) are not time steps: use integer "
        "positions, a DatetimeIndex or a PeriodIndex"
    )


def labels_before(grid, index, n_labels):
    """The ``n_labels`` labels on ``grid`` just before ``index[0]``, oldest first.

    Returns ``(labels, None)``, or ``(None, reason)`` when ``index`` is not
    on the same kind of grid.
    """
    if not (index.is_monotonic_increasing and index.is_unique):
        return None, "X's labels are not increasing without duplicates"
    first = index[0]
    if isinstance(grid, pd.RangeIndex):
        if not pd.api.types.is_integer_dtype(index.dtype):
            return None, f"X has {index.dtype} labels, the fitted rows integer ones"
        return first - grid.step * np.arange(n_labels, 0, -1), None
    if isinstance(grid, pd.DatetimeIndex):
        if not isinstance(index, pd.DatetimeIndex):
            return None, f"X has {index.dtype} labels, the fitted rows dates"
        if index.tz != grid.tz:
            return None, f"X's dates are in time zone {index.tz}, the fitted ones in {grid.tz}"
        if not grid.freq.is_on_offset(first):
            return None, f"X's first date {first} is not on the fitted frequency {grid.freqstr}"
        return pd.date_range(end=first, periods=n_labels + 1, freq=grid.freq)[:-1], None
    if not (isinstance(index, pd.PeriodIndex) and index.freq == grid.freq):
        return None, f"X has {index.dtype} labels, the fitted rows {grid.dtype}"
    return pd.period_range(end=first, periods=n_labels + 1, freq=grid.freq)[:-1], None


def ordered_last_label(index):
    """The last label of an ordered index of dates or numbers (as a 1-label index), else None.

    Labels that cannot be placed on a grid can still be compared: a later X
    whose first label is not after it does not continue the fitted rows.
    """
    kind = index.dtype.kind
    if kind not in "iufM" or not (index.is_monotonic_increasing and index.is_unique):
        return None
    return index[-1:]


def starts_by(index, last_label):
    """True if ``index`` begins at or before ``last_label`` (None: cannot tell)."""
    if index is None or last_label is None or index.dtype.kind != last_label.dtype.kind:
        return False
    try:
        return bool(index[0] <= last_label[0])
    except TypeError:  # dates in another time zone, say
        return False
