"""One clock: at which step of time each row's label is, and the labels after the data.

Rows are placed in time by their labels on a *clock*: integers on their
regular step, dates on their frequency (given, or inferred once from the
data), periods on their own frequency. A label missing from the clock is a
missing step, never the next row moved up. The clock of a panel is inferred
once, from its longest series, and every series is checked against it;
:func:`labels_after` is the one maker of future labels, for every shape.

A clock is a small tuple, saved with fitted estimators: ``("int", step)``,
``("date", freq, tz)`` or ``("period", freq)``. Any other index is described
by a reason, for the warning of whoever falls back to positions.
"""

from collections import Counter

import numpy as np
import pandas as pd


def index_of(X):
    """The pandas index of X, or None for arrays (and DataFrames without one)."""
    index = getattr(X, "index", None)
    return index if isinstance(index, pd.Index) else None


def is_default_index(index):
    """True for ``RangeIndex(0, n)``: the index pandas gives data that had none."""
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def _infer(dates):
    """The frequency pandas infers from ``dates`` (sorted, unique), or None."""
    if len(dates) < 3:
        return None
    try:
        return pd.DatetimeIndex(dates, freq="infer").freq
    except ValueError:
        return None


def _inferred_on_runs(dates):
    """The frequency pandas infers on most short runs of ``dates`` (sorted, unique), or None.

    A missing date breaks pandas' inference on the whole index; on runs of
    five consecutive dates most runs still show the step.
    """
    if len(dates) <= 5:
        return _infer(dates)
    stride = max(1, (len(dates) - 5) // 50)
    found = Counter(_infer(dates[i:i + 5]) for i in range(0, len(dates) - 4, stride))
    found.pop(None, None)
    if not found:
        return None
    return found.most_common(1)[0][0]


def inferred_freq(index):
    """The ``freq`` of a DatetimeIndex, or the one pandas infers (missing dates allowed), or None.

    Inferred on the last 1,000 dates, then checked on every date: each must
    lie on the frequency's grid (a missing date is a missing step).
    """
    if index.freq is not None:
        return index.freq
    dates = pd.DatetimeIndex(index).unique().sort_values()
    freq = _inferred_on_runs(dates[-1000:])
    if freq is None:
        return None
    freq = pd.tseries.frequencies.to_offset(freq)
    if _off_grid(dates, freq).any():
        return None
    return freq


def _off_grid(dates, freq):
    """Which of ``dates`` (sorted) are not on ``freq``'s grid from the first of them."""
    if isinstance(freq, pd.offsets.Tick):
        ns = dates.as_unit("ns").asi8
        return (ns - ns[0]) % freq.nanos != 0
    grid = pd.date_range(dates[0], dates[-1], freq=freq)
    return grid.get_indexer(dates) < 0


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
    """How ``index`` (one series) is placed in time: ``(clock, None)``, or ``(None, reason)``.

    Integer labels step by their :func:`regular_step`, dates by their
    ``freq`` (or the one :func:`inferred_freq` finds), periods by their frequency.
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
    or ``(None, reason)`` when a label is off the clock's grid. ``labels`` need not be sorted."""
    if not len(labels):
        return np.zeros(0, dtype=np.int64), None
    if clock[0] == "date":
        freq = pd.tseries.frequencies.to_offset(clock[1])
        if not isinstance(freq, pd.offsets.Tick):  # calendar steps: days, months, weeks
            grid = pd.date_range(labels.min(), labels.max(), freq=freq)
            steps = grid.get_indexer(labels)
            if (steps < 0).any():
                return None, (f"X's date {labels[steps < 0][0]} is not on the fitted "
                              f"frequency {clock[1]}")
            return steps.astype(np.int64), None
        values, step, what = labels.as_unit("ns").asi8, freq.nanos, f"frequency {clock[1]}"
    elif clock[0] == "period":
        values, step, what = labels.asi8, labels.freq.n, f"frequency {clock[1]}"
    else:
        values, step, what = labels.to_numpy(dtype=np.int64), clock[1], f"step {clock[1]}"
    offsets = values - values.min()
    if (offsets % step).any():
        return None, f"X's labels are not on the fitted {what}"
    return (offsets // step).astype(np.int64), None


def labels_after(clock, last, n_labels, name=None):
    """The ``n_labels`` labels on ``clock`` that follow the label ``last``: the one maker of
    future labels (a forecast's dates, the rows after an update)."""
    if clock[0] == "int":
        return pd.Index(last + clock[1] * np.arange(1, n_labels + 1), name=name)
    if clock[0] == "period":
        return pd.period_range(last + 1, periods=n_labels, freq=clock[1], name=name)
    return pd.date_range(last, periods=n_labels + 1, freq=clock[1], name=name)[1:]


def future_index(index, horizon):
    """The ``horizon`` labels after ``index`` (one series' history).

    Dates continue with the index's ``freq`` (or the one pandas infers),
    periods with their own frequency, equally spaced integers with their
    step, and anything else as a :class:`~pandas.RangeIndex` continuing the
    data's positions.
    """
    clock, _ = clock_of(index) if len(index) else (None, None)
    if isinstance(index, pd.DatetimeIndex) and clock is None:
        raise ValueError(
            "cannot tell the frequency of data's DatetimeIndex (no freq, and "
            "pandas cannot infer one from irregular or too few dates); "
            "give it one, e.g. data.asfreq('D')."
        )
    if clock is not None and (clock[0] != "int" or pd.api.types.is_integer_dtype(index.dtype)):
        if clock[0] == "int":
            start, step = int(index[-1]) + clock[1], clock[1]
            return pd.RangeIndex(start, start + step * horizon, step, name=index.name)
        return labels_after(clock, index[-1], horizon, name=index.name)
    return pd.RangeIndex(len(index), len(index) + horizon, name=index.name)


# --- panels: one clock for every series ------------------------------------------


def _name(label):
    return repr(label.item() if isinstance(label, np.generic) else label)


def time_kind(times):
    """``"int"``, ``"date"`` or ``"period"`` for a panel's time values, else a clear error.

    Whole-number floats count as integers (a CSV column with an empty cell
    reads as floats); text is refused, since it sorts as text ('1/10/2024'
    before '1/9/2024'), and so is anything else that is not a time.
    """
    dtype = times.dtype
    if isinstance(times, pd.PeriodIndex) or isinstance(dtype, pd.PeriodDtype):
        return "period"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "date"
    if pd.api.types.is_bool_dtype(dtype):
        return None
    if pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype):
        return "int"
    inferred = pd.api.types.infer_dtype(times, skipna=True)
    if inferred == "period":
        return "period"
    return None


def panel_clock(times, codes, labels, *, what="time"):
    """The clock of a long panel and each row's step on it: ``(clock, steps)``.

    ``times`` (an Index) and ``codes`` (each row's series number; ``labels``
    names them) are the panel's rows. The step is inferred once, from the
    longest series, and every series is held to it: a time off its grid, a
    series that steps by a multiple of it (weekly rows in a daily panel),
    text, missing (NaN) and repeated times are refused with the series and
    the time named. A missing step within a series is allowed: it is padded.
    """
    kind = time_kind(times)
    if kind is None:
        example = next((t for t in times if t is not None and not pd.isna(t)), None)
        text = isinstance(example, str)
        fix = (f"convert it first, e.g. data[{what!r}] = pandas.to_datetime(data[{what!r}]) "
               "(add format='%d/%m/%Y' for day-first dates)" if text
               else "use integers, dates (pandas.to_datetime) or periods")
        raise ValueError(
            f"time={what!r} holds {'text' if text else f'{times.dtype} values'} "
            f"(e.g. {example!r}), which is not a time: "
            f"{'it sorts as text, not as time' if text else 'it has no step'}; {fix}."
        )
    missing = np.asarray(pd.isna(times))
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise ValueError(
            f"series {_name(labels[codes[row]])} has a missing {what} (NaN) at data row "
            f"{row}; every row needs a time: drop those rows first, e.g. "
            f"data.dropna(subset=[{what!r}])."
        )
    if kind == "int":
        values = np.asarray(times, dtype=float)
        whole = values == np.round(values)
        if not whole.all():
            row = int(np.flatnonzero(~whole)[0])
            raise ValueError(
                f"series {_name(labels[codes[row]])} has {what}={values[row]!r}, not a whole "
                f"number: integer times count steps; round them, or use dates."
            )
        ordinals, tz = values.astype(np.int64), None
    elif kind == "date":
        dates = pd.DatetimeIndex(times)
        tz = None if dates.tz is None else str(dates.tz)
        ordinals = (dates if tz is None else dates.tz_convert("UTC").tz_localize(None))
        ordinals = ordinals.as_unit("ns").asi8
    else:
        periods = pd.PeriodIndex(times)
        ordinals, tz = periods.asi8.astype(np.int64), None

    order = np.lexsort((ordinals, codes))
    c, o = codes[order], ordinals[order]
    same_series = c[1:] == c[:-1]
    repeated = same_series & (o[1:] == o[:-1])
    if repeated.any():
        row = order[int(np.flatnonzero(repeated)[0]) + 1]
        raise ValueError(
            f"series {_name(labels[codes[row]])} has more than one row at {what}="
            f"{_name(times[row])}; keep one row per series and time, e.g. "
            f"data.drop_duplicates([<series>, {what!r}])."
        )
    lengths = np.bincount(codes, minlength=len(labels))
    longest = int(np.argmax(lengths))
    own = np.sort(ordinals[codes == longest])
    if kind == "date":
        freq = _inferred_on_runs(pd.DatetimeIndex(own[-1000:]))
        if freq is None:
            raise ValueError(
                f"cannot tell the step of the panel's dates: its longest series "
                f"{_name(labels[longest])} has {len(own)} date(s) without a regular step "
                "(such as hourly, daily or monthly); resample the data to one step first."
            )
        freq = pd.tseries.frequencies.to_offset(freq)
        clock = ("date", freq.freqstr, tz)
        steps, reason = steps_on(clock[:2] + (None,), pd.DatetimeIndex(ordinals))
        if reason is not None:
            off = _off_grid(pd.DatetimeIndex(np.sort(ordinals)), freq)
            first_off = pd.DatetimeIndex(np.sort(ordinals))[off][0]
            row = int(np.flatnonzero(ordinals == first_off.value)[0])
            raise _off_the_step(times, row, labels[codes[row]], freq.freqstr, labels[longest],
                                what)
    else:
        if kind == "period":
            periods = pd.PeriodIndex(times)
            step, clock = periods.freq.n, ("period", periods.freqstr)
        else:
            step = regular_step(own)
            if step is None:  # the longest series skips: the largest step all gaps share
                gaps = np.diff(o)[same_series]
                step = int(np.gcd.reduce(gaps)) if len(gaps) else 1
            clock = ("int", int(step))
        gaps = np.diff(o)[same_series]
        off = np.zeros(len(same_series), dtype=bool)
        off[same_series] = gaps % step != 0
        if off.any():
            row = order[int(np.flatnonzero(off)[0]) + 1]
            raise _off_the_step(times, row, labels[codes[row]], step, labels[longest], what)
        steps = (ordinals - o.min()) // step
    _refuse_mixed_steps(steps, codes, order, labels, times, clock, what)
    return clock, steps.astype(np.int64)


def _off_the_step(times, row, series, step, longest, what):
    """The error for a time of ``series`` (data row ``row``) off the panel's ``step``."""
    return ValueError(
        f"series {_name(series)} has {what}={_name(times[row])}, off the panel's step {step} "
        f"(inferred from its longest series {_name(longest)}); give every series the same "
        "step, e.g. by resampling."
    )


def _refuse_mixed_steps(steps, codes, order, labels, times, clock, what):
    """A series whose every step is a multiple of the panel's (weekly rows in a daily panel)."""
    s, c = steps[order], codes[order]
    same = c[1:] == c[:-1]
    gaps = np.diff(s)[same]
    if not len(gaps):
        return
    series = c[1:][same]
    n = int(codes.max()) + 1
    shared = np.zeros(n, dtype=np.int64)
    np.gcd.at(shared, series, gaps)
    count = np.bincount(series, minlength=n)
    mixed = np.flatnonzero((shared > 1) & (count >= 2))
    if len(mixed):
        j = int(mixed[0])
        unit = clock[1] if clock[0] != "int" else f"{clock[1]} time unit(s)"
        raise ValueError(
            f"series {_name(labels[j])} steps by {int(shared[j])} of the panel's step "
            f"({unit}, inferred from its longest series): its rows are not on the same "
            f"clock as the others'. Give every series the same step (resample it), or "
            "forecast it in a panel of its own."
        )


def future_labels(clock, last, horizon):
    """The ``horizon`` labels after each label of ``last`` (one per series), as one flat Index.

    Series that end at the same time share their future labels, so dates are
    made once per distinct end (:func:`labels_after`), not once per series.
    """
    if clock[0] == "int":
        last = np.asarray(last, dtype=np.int64)
        return pd.Index((last[:, None] + clock[1] * np.arange(1, horizon + 1)).ravel())
    codes, ends = pd.factorize(pd.Index(last))
    futures = [labels_after(clock, end, horizon) for end in ends]
    if not futures:
        return pd.Index([])
    table = futures[0].append(futures[1:]) if len(futures) > 1 else futures[0]
    at = (np.asarray(codes)[:, None] * horizon + np.arange(horizon)).ravel()
    return table[at]
