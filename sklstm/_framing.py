"""Supervised framing (rows at time t, targets at t+1 .. t+horizon) and panels.

A panel is kept wide: one row per time point, one column per series, so
scikit-learn's splitters split time, never a series. ``long_to_wide`` and
``wide_to_long`` convert from and to the long layout (time, series, value).
"""

import re
import warnings
from collections import Counter

import numpy as np
import pandas as pd

from . import _calendar
from ._checks import check_positive_int, check_time_order, closest
from ._clock import clock_of, inferred_freq, panel_clock
from ._panel import Panel, check_one_kind_of_ids, series_name
from ._series import is_series_list


def _as_frame(data, name="data", column=None):
    """``data`` as a DataFrame: a Series becomes its one column (named ``column`` if unnamed)."""
    if isinstance(data, pd.Series):
        if data.name is None and column is not None:
            return data.to_frame(name=column)
        return data.to_frame()
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"{name} must be a pandas Series or DataFrame, got {type(data).__name__}; "
            "wrap arrays with pandas.DataFrame(...), or convert a polars DataFrame with "
            "data.to_pandas().set_index('<time column>')."
        )
    return data


def _shown(labels, limit=10):
    """``labels`` as a list for a message, cut after ``limit``."""
    labels = list(labels)
    extra = f" ... ({len(labels) - limit} more)" if len(labels) > limit else ""
    return f"{labels[:limit]}{extra}"


def _check_unique_columns(frame):
    """A column name given twice makes every use of it ambiguous: refuse it."""
    repeated = list(dict.fromkeys(frame.columns[frame.columns.duplicated()]))
    if repeated:
        raise ValueError(
            f"data has the column(s) {_shown(repeated)} more than once, so which one to "
            "use is ambiguous; rename the copies (e.g. data.columns = [...]) or drop them "
            "(data.loc[:, ~data.columns.duplicated()])."
        )


def _check_columns(param, value, names, columns):
    """Every one of ``names`` (given as ``param=value``) is a column, once."""
    repeated = [c for c, n in Counter(names).items() if n > 1]
    if repeated:
        raise ValueError(
            f"{param}={value!r} lists {repeated} more than once; "
            "name each column once."
        )
    missing = [c for c in names if c not in columns]
    if missing:
        close = closest(missing[0], columns)
        hint = f" Did you mean {close!r}?" if close else ""
        what = "is not a column" if names == [value] else f"names {missing}, not columns"
        raise ValueError(
            f"{param}={value!r} {what} of data; the columns are {_shown(columns)}.{hint}"
        )


def lead_name(column, step):
    """The name of ``column``'s value ``step`` steps after a row: ``price_t+3``."""
    return f"{column}_t+{step}"


def lead_frame(values, columns, steps, index):
    """``values`` (n, len(columns) * steps) as the columns ``c_t+1 .. c_t+steps``, column
    after column: the one layout of y and of the future-known columns."""
    names = [lead_name(c, k) for c in columns for k in range(1, steps + 1)]
    return pd.DataFrame(values, index=index, columns=names)


_LEAD = re.compile(r"^(?P<column>.+)_t\+(?P<step>[1-9][0-9]*)$")


def lead_columns(names):
    """The future-known columns among feature ``names``: ``{column: steps}`` (``price_t+1``
    .. ``price_t+3`` give ``{"price": 3}``)."""
    found = {}
    for name in names:
        match = _LEAD.match(str(name)) if isinstance(name, str) else None
        if match:
            column, step = match["column"], int(match["step"])
            found[column] = max(found.get(column, 0), step)
    return found


def _check_future(future, frame, exclude, param="future"):
    """``future`` as a list of numeric columns of ``frame``, none of them in ``exclude``."""
    if future is None:
        return []
    names = [future] if isinstance(future, str) else list(future)
    _check_columns(param, future, names, frame.columns)
    taken = [c for c in names if c in exclude]
    if taken:
        raise ValueError(
            f"{param}={future!r} names {taken}, which is the target, the series or the time; "
            "name the columns whose future values are known (a price, a promotion, a "
            "holiday)."
        )
    not_numeric = [c for c in names if not pd.api.types.is_numeric_dtype(frame[c])]
    if not_numeric:
        raise ValueError(
            f"{param}={future!r}: columns {not_numeric} are not numeric (dtypes "
            f"{[str(frame[c].dtype) for c in not_numeric]}); convert them first, e.g. "
            f"data[{not_numeric[0]!r}] = data[{not_numeric[0]!r}].astype(float)."
        )
    return names


def _check_new_names(names, columns):
    """Columns that make_supervised adds may not take the name of a column of data."""
    clash = [c for c in names if c in columns]
    if clash:
        raise ValueError(
            f"make_supervised adds the column(s) {_shown(clash)}, which data already has; "
            "rename those columns of data (e.g. data.rename(columns={...}))."
        )


def make_supervised(data, target, *, horizon=1, features=None, series=None, time=None,
                    future=None, calendar=False):
    """Frame a series or DataFrame as ``(X, y)`` for forecasting ``horizon`` steps.

    Row ``t`` of X holds the chosen columns at time ``t`` (exogenous columns
    ride along); row ``t`` of y holds the target(s) at ``t+1, ..., t+horizon``.
    The last ``horizon`` rows have no complete future and are left out; they
    are still in ``data`` to forecast from.

    With a list of targets (a panel: one column per series), y has one
    column per series and step, and X holds **the target columns first, in
    the order given, then the other features**: a model for ``k`` series
    reads the first ``k`` columns of X as the series. Missing values (series
    that start late or stop early) pass through to X and y as NaN.

    With ``series=`` and ``time=``, ``data`` is a **long panel**: one row per
    series and time (``unique_id, ds, y``), series of any lengths and dates.
    X is then indexed by ``(series, time)``, sorted, with the ``target``
    column first and the other features after it; y holds the target's next
    ``horizon`` values of the same series; each series' last ``horizon``
    rows are left out. No row mixes series.

    With ``future=``, columns whose future values are known when the
    forecast is made (a price, a promotion, a holiday) are framed over the
    horizon too: X gains ``<column>_t+1 .. <column>_t+<horizon>``, the
    column's values at the same times as the targets, and
    :func:`forecast` takes those values for the steps after the data as a
    frame of future rows. ``calendar=True`` adds the calendar of each row's
    time (the sine and cosine of its place in the day, week or year); the
    calendar of the steps ahead follows from it, so :func:`forecast` makes
    it from the times, with no frame.

    Parameters
    ----------
    data : pandas.Series or pandas.DataFrame
        Observations in time order, one row per time point (wide), or, with
        ``series=``, one row per series and time (long). A wide index of
        dates, periods or numbers must be strictly increasing (no repeated
        or earlier label).
    target : str or list of str or None
        Column to forecast, or a list of series columns to forecast together;
        ignored (may be None) for a Series.
    horizon : int, default=1
        Number of future steps to predict.
    features : list of str or None, default=None
        Columns of X. None uses every numeric column. For a single ``target``
        the columns come in the order of ``data`` (or of ``features``) and
        the target is in X only if listed; for a list of targets, X is the
        targets, then the other numeric columns (or the columns of
        ``features`` that are not targets, in their order).
    series, time : str or None, default=None
        For long data: the columns of series ids and of times (integers,
        dates or anything ordered). Both or neither.
    future : str or list of str or None, default=None
        Numeric columns known ahead: X gains each one's values at the
        ``horizon`` steps after the row, named ``<column>_t+1`` ..., placed
        as ``y`` is: by time for long data (NaN where a step is missing),
        by row for wide data.
    calendar : bool, default=False
        Add the calendar columns of the times (dates or periods: X's index,
        or the ``time`` column): ``time_of_day``, ``day_of_week`` or
        ``time_of_year``, each as ``_sin`` and ``_cos``, for the cycles of 2
        to 200 steps of the data (hourly data: the day and the week; daily:
        the week; weekly, monthly, quarterly: the year).

    Returns
    -------
    X : pandas.DataFrame of shape (n_samples - horizon, n_features)
        The columns above, then the calendar columns, then the future-known
        ones (column after column, step after step).
    y : pandas.Series or pandas.DataFrame
        A Series named ``<target>_t+1`` for one ``target`` and ``horizon=1``;
        otherwise a DataFrame with columns ``<target>_t+1`` ...
        ``<target>_t+<horizon>``, series after series in the order of
        ``target`` (``a_t+1, a_t+2, b_t+1, b_t+2`` for ``["a", "b"]`` and
        ``horizon=2``).

    See Also
    --------
    long_to_wide : Turn long data (time, series, value) into the wide layout.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklstm import make_supervised
    >>> s = pd.Series([1.0, 2.0, 3.0, 4.0], name="temp")
    >>> X, y = make_supervised(s, "temp", horizon=2)
    >>> X["temp"].tolist(), y.values.tolist()
    ([1.0, 2.0], [[2.0, 3.0], [3.0, 4.0]])

    A panel of two series (``b`` starts late) and a shared calendar column:

    >>> panel = pd.DataFrame({"month": [1, 2, 3, 4],
    ...                       "a": [1.0, 2.0, 3.0, 4.0],
    ...                       "b": [None, 20.0, 30.0, 40.0]})
    >>> X, y = make_supervised(panel, ["a", "b"], horizon=2)
    >>> list(X.columns), list(y.columns)
    (['a', 'b', 'month'], ['a_t+1', 'a_t+2', 'b_t+1', 'b_t+2'])
    >>> y.values.tolist()
    [[2.0, 3.0, 20.0, 30.0], [3.0, 4.0, 30.0, 40.0]]

    A promotion planned ahead, framed over the horizon:

    >>> sales = pd.DataFrame({"sales": [5.0, 9.0, 6.0, 5.0],
    ...                       "promo": [0.0, 1.0, 0.0, 0.0]})
    >>> X, y = make_supervised(sales, "sales", horizon=2, future=["promo"])
    >>> X
       sales  promo  promo_t+1  promo_t+2
    0    5.0    0.0        1.0        0.0
    1    9.0    1.0        0.0        0.0
    """
    check_positive_int("horizon", horizon, fix="e.g. horizon=1 for one step ahead")
    if series is not None or time is not None:
        if series is None or time is None:
            raise ValueError(
                f"long data needs both series= and time= (got series={series!r}, "
                f"time={time!r}); name the column of series ids and the column of times."
            )
        return _make_supervised_long(data, target, series=series, time=time,
                                     horizon=horizon, features=features, future=future,
                                     calendar=calendar)
    frame = _as_frame(data)
    # a tuple that is a column (of MultiIndex columns) is one target, not a list
    panel = is_series_list(target, frame.columns)
    if isinstance(data, pd.Series):
        panel, target = False, frame.columns[0]
    _check_unique_columns(frame)
    _refuse_long_data(frame)
    check_time_order(frame.index, "the index of data")
    targets = list(target) if panel else [target]
    if not targets:
        raise ValueError(
            f"target={target!r} is empty; name the series columns to forecast, "
            "e.g. target=list(data.columns)."
        )
    _check_columns("target", target, targets, frame.columns)
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    not_numeric = [c for c in targets if c not in numeric]
    if not_numeric:
        raise ValueError(
            f"target={target!r}: columns {not_numeric} are not numeric "
            f"(dtypes {[str(frame[c].dtype) for c in not_numeric]}); "
            "convert them with pandas.to_numeric or pick numeric columns."
        )
    if features is None:
        features = numeric
    elif panel:
        _check_columns("features", features, list(features), frame.columns)
    else:  # one target: today's rules (repeats pass through)
        missing = [c for c in features if c not in frame.columns]
        if missing:
            raise ValueError(
                f"features {missing} are not columns of data {_shown(frame.columns)}."
            )
    columns = [*targets, *(c for c in features if c not in targets)] if panel else features
    if len(frame) <= horizon:
        raise ValueError(
            f"data has {len(frame)} rows, too few for horizon={horizon}; "
            f"need at least {horizon + 1}."
        )
    known = _check_future(future, frame, targets)
    n = len(frame) - horizon
    X = frame[list(columns)].iloc[:n].copy()
    added = []
    if calendar:
        clock, _ = clock_of(frame.index)
        names = _calendar.columns_for(clock)
        _check_new_names(names, frame.columns)
        added.append(_calendar.calendar_frame(frame.index[:n], names).set_axis(X.index))
    if known:
        added.append(leads_by_row(frame, known, horizon, n, X.index))
        _check_new_names(added[-1].columns, frame.columns)
    if added:
        X = pd.concat([X, *added], axis=1)
    y = leads_by_row(frame, targets, horizon, n, X.index)
    if not panel and horizon == 1:
        return X, y.iloc[:, 0]
    return X, y


def leads_by_row(frame, columns, horizon, n, index):
    """``columns``' values at each of the first ``n`` rows' next ``horizon`` rows, by position
    (wide data), as :func:`lead_frame`."""
    values = frame[columns].to_numpy()
    if values.dtype in (object, bool):  # nullable dtypes (pd.NA becomes NaN), flags
        values = frame[columns].astype("float64").to_numpy()
    # (n, n_columns, horizon): the future of each column
    ahead = np.lib.stride_tricks.sliding_window_view(values[1:], horizon, axis=0)[:n]
    return lead_frame(ahead.reshape(n, -1).copy(), columns, horizon, index)


def _plain(label):
    return label.item() if isinstance(label, np.generic) else label


def _time_columns(frame):
    """Columns holding times: dates, or text whose first values read as dates."""
    found = []
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            found.append(column)
        elif values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            head = values.dropna().astype(str).head(20)
            # written as dates (2024-03-17, 17/03/2024, 10:00), not ids that pandas could read
            if len(head) and head.str.contains(r"\d{1,4}[-/.]\d{1,2}|\d{1,2}:\d{2}").all():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    if pd.to_datetime(head, errors="coerce").notna().all():
                        found.append(column)
    return found


def _refuse_long_data(frame):
    """Refuse long data framed as one series: a time column that repeats, once per series.

    ``make_supervised(df, target="kwh")`` on meters' rows (meter, timestamp,
    kwh) would frame every meter as one series whose windows cross meters.
    """
    for time in _time_columns(frame):
        if not frame[time].duplicated().any():
            continue
        ids = [c for c in frame.columns if c != time
               and not pd.api.types.is_numeric_dtype(frame[c])
               and not frame.duplicated([c, time]).any()]
        if ids:
            repeated = frame[time][frame[time].duplicated()].iloc[0]
            raise ValueError(
                f"data looks long: its column {time!r} repeats times (e.g. {str(repeated)!r}), "
                f"once per value of "
                f"{ids[0]!r}; framed as one series, every {ids[0]!r} would run into the next. "
                f"Pass series={ids[0]!r}, time={time!r} to frame each series on its own."
            )


def _make_supervised_long(data, target, *, series, time, horizon, features, future, calendar):
    """make_supervised for long data: X indexed by (series, time), y the next *times*' values.

    Each series is placed on the panel's clock (one step, inferred once);
    row ``t``'s targets are the series' values at the steps ``t+1 ..
    t+horizon``, NaN where a step is missing, so that the windows and the
    targets agree on what a step is.
    """
    if not isinstance(data, pd.DataFrame):
        polars = type(data).__module__.split(".")[0] == "polars"
        raise TypeError(
            f"with series= and time=, data must be a long pandas DataFrame (one row per "
            f"series and time), got {type(data).__module__}.{type(data).__name__}"
            + ("; convert it with data.to_pandas()." if polars else ".")
        )
    for param, value in (("series", series), ("time", time), ("target", target)):
        if isinstance(value, (list, tuple)):
            raise ValueError(
                f"{param}={value!r}: with series= and time=, {param} names one column "
                f"(long data holds every series in one {param} column)."
            )
        _check_columns(param, value, [value], data.columns)
    if len({series, time, target}) < 3:
        raise ValueError(
            f"series={series!r}, time={time!r} and target={target!r} must be three different "
            "columns."
        )
    if features is None:
        features = [c for c in data.columns if c not in (series, time, target)
                    and pd.api.types.is_numeric_dtype(data[c])
                    and not pd.api.types.is_bool_dtype(data[c])]
    else:
        features = [c for c in features if c != target]
        _check_columns("features", features, features, data.columns)
    if not len(data):
        raise ValueError("data has no rows; pass the long history (one row per series and "
                         "time).")
    known = _check_future(future, data, (series, time, target))
    frame = data[[series, time, target, *features,
                  *(c for c in known if c not in features)]]
    for column in (target, *features):
        if not pd.api.types.is_numeric_dtype(frame[column]):
            bad = pd.to_numeric(frame[column], errors="coerce").isna() & frame[column].notna()
            row = frame[bad].iloc[0] if bad.any() else frame.iloc[0]
            raise ValueError(
                f"column {column!r} is not numeric (dtype {frame[column].dtype}): "
                f"{series_name(row[series])} has {_plain(row[column])!r} at "
                f"{time}={_plain(row[time])!r}; "
                "convert it with pandas.to_numeric or drop the rows."
            )
    ids = frame[series]
    if ids.isna().any():
        row = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise ValueError(
            f"series={series!r} is missing (NaN) on data row {row}; every row needs a "
            f"series id: drop those rows first, e.g. data.dropna(subset=[{series!r}])."
        )
    check_one_kind_of_ids(pd.unique(ids), series)
    codes, labels = pd.factorize(ids, sort=True)
    times = pd.Index(frame[time])
    clock, steps = panel_clock(times, codes, labels, what=time)
    order = np.lexsort((steps, codes))
    frame, codes, steps = frame.iloc[order], codes[order], steps[order]
    panel = Panel(frame[[target, *known]].to_numpy(dtype=float), codes, steps, len(labels))
    last = panel.last_steps()[codes]
    keep = steps + horizon <= last
    short = np.flatnonzero(np.bincount(codes[keep], minlength=len(labels)) == 0)
    if len(short):
        spans = panel.spans()
        raise ValueError(
            f"{len(short)} series span {horizon} or fewer steps, too few for "
            f"horizon={horizon} (one row to forecast from plus the horizon): "
            f"{_shown([_plain(labels[i]) for i in short])} (the first spans "
            f"{spans[short[0]]}); drop them, e.g. "
            f"data[data.groupby({series!r})[{series!r}].transform('size') > {horizon}], "
            "or lower horizon."
        )
    rows = np.flatnonzero(keep)
    ahead = panel.ahead(horizon, rows)  # (rows, 1 + len(known), horizon), by time
    X = frame.iloc[rows].set_index([series, time])[[target, *features]]
    added = []
    if calendar:
        names = _calendar.columns_for(clock)
        _check_new_names(names, data.columns)
        added.append(_calendar.calendar_frame(X.index.get_level_values(1), names)
                     .set_axis(X.index))
    if known:
        added.append(lead_frame(ahead[:, 1:].reshape(len(rows), -1), known, horizon, X.index))
        _check_new_names(added[-1].columns, data.columns)
    if added:
        X = pd.concat([X, *added], axis=1)
    y = lead_frame(ahead[:, 0], [target], horizon, X.index)
    return X, y


def _check_time_values(values, time):
    """Times must sort as time: numbers, dates or periods, not text ('1/10' sorts before '1/9')."""
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "mixed", "mixed-integer"):
        example = next(v for v in values if isinstance(v, str))
        raise ValueError(
            f"time={time!r} holds text (e.g. {example!r}), which sorts as text, not "
            f"as time ('1/10/2024' before '1/9/2024'); convert it first, e.g. "
            f"data[{time!r}] = pandas.to_datetime(data[{time!r}], format='%m/%d/%Y') "
            "(or format='%d/%m/%Y' for day-first dates)."
        )


def long_to_wide(data, *, time, series, value, freq=None):
    """Turn long data (one row per time and series) into one column per series.

    The wide layout is the one :func:`make_supervised` and scikit-learn's
    ``TimeSeriesSplit`` expect: one row per time point, so a split cuts time,
    never a series. A series with no value at a time point (it starts late,
    stops early or skips) is NaN there.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data with (at least) the columns ``time``, ``series`` and
        ``value``; each (time, series) pair at most once.
    time : str
        Column of time points (numbers, dates or periods; text is refused,
        since it sorts as text); it becomes the index, sorted.
    series : str
        Column of series names; each name becomes a column, sorted.
    value : str
        Column of observations.
    freq : str or pandas.DateOffset or None, default=None
        If given, the rows are reindexed to this regular frequency (e.g.
        ``"MS"`` for month starts), so a time point that no series observed
        becomes a row of NaN instead of a silent jump. If None, a
        ``DatetimeIndex`` gets the frequency pandas can infer (if any).

    Returns
    -------
    wide : pandas.DataFrame of shape (n_time_points, n_series)
        Indexed by the sorted time points (index named ``time``).

    Raises
    ------
    ValueError
        If a column is missing, a row has no time or series, a (time, series)
        pair repeats, or a time point is off the ``freq`` grid.

    See Also
    --------
    wide_to_long : The inverse.
    make_supervised : Frame the wide data as ``(X, y)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklstm import long_to_wide
    >>> long = pd.DataFrame({"day": [1, 2, 3, 2, 3],
    ...                      "store": ["a", "a", "a", "b", "b"],
    ...                      "sales": [5.0, 6.0, 7.0, 10.0, 11.0]})
    >>> long_to_wide(long, time="day", series="store", value="sales")
           a     b
    day
    1    5.0   NaN
    2    6.0  10.0
    3    7.0  11.0
    """
    frame = _as_frame(data)
    for param, column in {"time": time, "series": series, "value": value}.items():
        _check_columns(param, column, [column], frame.columns)
    if len({time, series, value}) < 3:
        raise ValueError(
            f"time={time!r}, series={series!r} and value={value!r} must be three "
            "different columns."
        )
    unplaced = frame[[time, series]].isna().any(axis=1)
    if unplaced.any():
        raise ValueError(
            f"{int(unplaced.sum())} rows have no {time!r} or no {series!r} (NaN), "
            f"e.g. data row {frame.index[unplaced][0]!r}; they cannot be placed: "
            f"drop them first, e.g. data.dropna(subset=[{time!r}, {series!r}])."
        )
    _check_time_values(frame[time], time)
    if freq is not None and not pd.api.types.is_datetime64_any_dtype(frame[time]):
        raise ValueError(
            f"freq={freq!r} needs datetimes in time={time!r}, got dtype "
            f"{frame[time].dtype}; convert with pandas.to_datetime or pass freq=None."
        )
    repeated = frame.duplicated([time, series], keep=False)
    if repeated.any():
        pairs = frame.loc[repeated, [time, series]].drop_duplicates()
        shown = list(pairs.itertuples(index=False, name=None))
        raise ValueError(
            f"{len(pairs)} ({time}, {series}) pairs occur more than once, e.g. "
            f"{_shown(shown, limit=3)}; long_to_wide needs one {value!r} per "
            "pair: aggregate first, e.g. "
            f"data.groupby([{time!r}, {series!r}], as_index=False)[{value!r}].mean()."
        )
    wide = frame.pivot(index=time, columns=series, values=value).sort_index()
    wide.columns.name = None
    if freq is not None:
        grid = pd.date_range(wide.index.min(), wide.index.max(), freq=freq, name=time)
        off = wide.index.difference(grid)
        if len(off):
            raise ValueError(
                f"freq={freq!r}: {len(off)} time points are off its grid, e.g. "
                f"{_shown(off.astype(str), limit=3)}; pass the frequency of the "
                "data (e.g. 'D', 'MS', 'W-SUN') or freq=None."
            )
        wide = wide.reindex(grid)
    elif isinstance(wide.index, pd.DatetimeIndex):
        wide.index = pd.DatetimeIndex(wide.index, freq=inferred_freq(wide.index))
    return wide


def wide_to_long(data, *, series_name="series", value_name="value", dropna=True):
    """Turn wide data (one column per series) into one row per time and series.

    The inverse of :func:`long_to_wide`: every column of ``data`` is a series
    (drop shared exogenous columns first), and the index holds the time points.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per time point, one column per series.
    series_name : str, default="series"
        Name of the column of series names.
    value_name : str, default="value"
        Name of the column of values.
    dropna : bool, default=True
        Leave out rows whose value is NaN (the times a series did not
        observe, such as before a late start).

    Returns
    -------
    long : pandas.DataFrame
        Columns: the time (named after the index, or ``"time"`` if it has no
        name), ``series_name`` and ``value_name``; series after series, in
        the order of ``data``'s columns, each in time order.

    See Also
    --------
    long_to_wide : The inverse.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklstm import wide_to_long
    >>> wide = pd.DataFrame({"a": [5.0, 6.0], "b": [None, 10.0]},
    ...                     index=pd.Index([1, 2], name="day"))
    >>> wide_to_long(wide, series_name="store", value_name="sales")
       day store  sales
    0    1     a    5.0
    1    2     a    6.0
    2    2     b   10.0
    """
    frame = _as_frame(data)
    time_name = frame.index.name if frame.index.name is not None else "time"
    names = {"series_name": series_name, "value_name": value_name, "the time": time_name}
    clash = [k for k, v in names.items() if list(names.values()).count(v) > 1]
    if clash or value_name in frame.columns:
        raise ValueError(
            f"series_name={series_name!r}, value_name={value_name!r} and the time "
            f"column {time_name!r} must differ from each other and value_name "
            f"from the columns of data; pick other names, e.g. value_name='y'."
        )
    long = frame.melt(ignore_index=False, var_name=series_name, value_name=value_name)
    long = long.rename_axis(time_name).reset_index()
    if dropna:
        long = long.dropna(subset=[value_name]).reset_index(drop=True)
    return long
