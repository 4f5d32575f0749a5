"""Time indexes as clocks: at which step of time each row's label is.

The windower places rows in time by their index labels, on the clock of
the fitted rows' index: integers on their regular step, a ``DatetimeIndex``
on its ``freq`` (or one pandas can infer), a ``PeriodIndex`` on its
frequency. A label missing from that clock is a missing step. Any other
index is described by a reason, for the warning of whoever falls back to
positions.
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


# A clock is a small tuple, saved with a fitted windower: ("int", step),
# ("date", freq, tz) or ("period", freq). Rows are placed by their labels'
# steps on it, so a missing label (a date that is not in X, the rows a
# KFold split held out) is a missing step, never the next row moved up.


def regular_step(values):
    """The step of increasing integers: their most common gap, if it is the smallest and
    every gap is a whole number of it (gaps are then missing labels); else None."""
    gaps = np.diff(np.asarray(values))
    if not len(gaps):
        return 1
    steps, counts = np.unique(gaps, return_counts=True)
    step = steps[np.argmax(counts)]
    if step <= 0 or step != steps[0] or (gaps % step).any():
        return None
    return int(step)


def clock_of(index):
    """How ``index`` is placed in time: ``(clock, None)``, or ``(None, reason)``.

    Integer labels step by their :func:`regular_step`, dates by their
    ``freq`` (or the one pandas infers), periods by their frequency.
    """
    if not (index.is_monotonic_increasing and index.is_unique):
        return None, "its labels are not increasing without duplicates"
    if isinstance(index, pd.PeriodIndex):
        return ("period", index.freqstr), None
    if isinstance(index, pd.DatetimeIndex):
        freq = inferred_freq(index)
        if freq is None:
            return None, (
                "its dates have no freq and pandas cannot infer one (irregular "
                "dates, or fewer than 3 rows); give them one, e.g. X.asfreq('D')"
            )
        return ("date", freq.freqstr, None if index.tz is None else str(index.tz)), None
    if pd.api.types.is_integer_dtype(index.dtype):
        step = index.step if isinstance(index, pd.RangeIndex) else regular_step(index)
        if step is None:
            return None, (
                "its integer labels have no regular step (their most common gap must be "
                "the smallest, and every gap a whole number of it)"
            )
        return ("int", int(step)), None
    return None, (
        f"its labels (dtype {index.dtype}) are not time steps: use integer "
        "positions, a DatetimeIndex or a PeriodIndex"
    )


def clock_mismatch(clock, index):
    """Why the labels ``index`` cannot be read on ``clock``, or None if they can."""
    if clock[0] == "int":
        if not pd.api.types.is_integer_dtype(index.dtype):
            return f"X has {index.dtype} labels, the fitted rows integer ones"
    elif clock[0] == "date":
        if not isinstance(index, pd.DatetimeIndex):
            return f"X has {index.dtype} labels, the fitted rows dates"
        tz = None if index.tz is None else str(index.tz)
        if tz != clock[2]:
            return f"X's dates are in time zone {tz}, the fitted ones in {clock[2]}"
    elif not (isinstance(index, pd.PeriodIndex) and index.freqstr == clock[1]):
        return f"X has {index.dtype} labels, the fitted rows periods of {clock[1]}"
    if not (index.is_monotonic_increasing and index.is_unique):
        return "X's labels are not increasing without duplicates"
    return None


def steps_on(clock, labels):
    """``(steps, None)``: each label's step on ``clock``, counted from the earliest label;
    or ``(None, reason)`` when a label is off the clock's grid."""
    if clock[0] == "date":
        freq = pd.tseries.frequencies.to_offset(clock[1])
        if not isinstance(freq, pd.offsets.Tick):  # calendar steps: days, months, weeks
            grid = pd.date_range(labels.min(), labels.max(), freq=freq)
            steps = grid.get_indexer(labels)
            if (steps < 0).any():
                return None, (f"X's date {labels[steps < 0][0]} is not on the fitted "
                              f"frequency {clock[1]}")
            return steps, None
        values, step, what = labels.as_unit("ns").asi8, freq.nanos, f"frequency {clock[1]}"
    elif clock[0] == "period":
        values, step, what = labels.asi8, labels.freq.n, f"frequency {clock[1]}"
    else:
        values, step, what = labels.to_numpy(dtype=np.int64), clock[1], f"step {clock[1]}"
    offsets = values - values.min() if len(values) else values
    if (offsets % step).any():
        return None, f"X's labels are not on the fitted {what}"
    return offsets // step, None


def labels_after(clock, labels, n_labels):
    """The ``n_labels`` labels that follow the last of ``labels`` on ``clock``."""
    last = labels[-1]
    if clock[0] == "int":
        return pd.Index(last + clock[1] * np.arange(1, n_labels + 1), name=labels.name)
    if clock[0] == "period":
        return pd.period_range(last + 1, periods=n_labels, freq=clock[1], name=labels.name)
    return pd.date_range(last, periods=n_labels + 1, freq=clock[1], name=labels.name)[1:]
