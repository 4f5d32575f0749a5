"""Long panels: one row per (series, time), windows per series, one global network.

Long data (``unique_id, ds, y`` as statsforecast and neuralforecast name it)
holds series of different lengths and dates. It stays long: X is indexed by
a ``(series, time)`` MultiIndex, and each series' rows are placed on its own
time grid, so a window never crosses series and a missing step is padded,
never filled by the next row. Training samples windows (cost grows with
gradient steps, not with the data), and each window is scaled by itself:
its values relative to the last one, in units of its mean absolute one-step
change (the scaling that made NHITS and N-BEATS beat seasonal naive on M4).
The network learns the correction to the best simple forecast of the
window (``_simple_forecasts``) and reads the window a season per step.
"""

import numbers
import warnings
from contextlib import contextmanager

import numpy as np
import pandas as pd
from sklearn.model_selection import BaseCrossValidator

from . import _simple_forecasts as simple_forecasts
from ._checks import FLOAT32_MAX, check_positive_int
from ._time_index import inferred_freq

# sequence_length="auto": this many seasons, or this many horizons, whichever
# is longer (measured on M4 Weekly and a synthetic hourly panel: benchmarks/m4.md)
AUTO_SEASONS = 2
AUTO_HORIZONS = 4
FOLD_FROM = 96  # windows of at least this many steps are read a season per LSTM step
SCALE_CHUNK = 8192  # windows scaled at a time
AUTO_EPOCHS = 40  # max_steps="auto": at most this many passes over the windows
MAX_WINDOWS = 262_144  # windows held for training (a few hundred MB); more steps reuse them
PASS_TOLERANCE = 0.95  # whole passes may take 5% fewer steps than max_steps, for more windows
LOSS_FLOOR = 0.01  # of the divergence warning, in scaled units (flat windows drift)
MAX_SCALED = 1e6  # scaled targets are clipped here: a jump after a flat window stays finite


def is_long(X):
    """Whether X is a long panel: a DataFrame indexed by (series, time)."""
    return isinstance(getattr(X, "index", None), pd.MultiIndex)


def auto_sequence_length(horizon, season_length):
    """sequence_length="auto": two seasons or four horizons, in whole seasons."""
    m = season_length or 1
    return m * -(-max(AUTO_SEASONS * m, AUTO_HORIZONS * horizon) // m)


def lstm_fold(sequence_length, season_length):
    """Steps of the window the LSTM reads at once: a season for long windows, else 1.

    A window of ``FOLD_FROM`` steps or more, in whole seasons, is read a
    season per LSTM step (the hourly panels' 192 hours: 8 steps; fits about
    10 times faster, as well or better: benchmarks/m4.md); a shorter one
    step by step (on monthly US employment, 48 months read as 4 seasons
    fitted worse than as 48 steps).
    """
    m = season_length or 1
    long_enough = sequence_length >= FOLD_FROM and sequence_length % m == 0
    return m if m > 1 and long_enough else 1


def fold_windows(windows, fold):
    """Windows (n, L, F) read ``fold`` steps at a time: (n, L / fold, fold * F).

    With the season as ``fold``, the LSTM reads a whole season per step:
    ``L / m`` recurrent steps instead of ``L`` (an hourly window of 8 days
    is 8 steps, not 192), and each step holds one day's shape. A view where
    ``windows`` is contiguous.
    """
    n, L, F = windows.shape
    return windows.reshape(n, L // fold, fold * F)


# --- framing ----------------------------------------------------------------


def _plain(label):
    """A label as users wrote it: numpy scalars as Python ones (2, not np.int64(2))."""
    return label.item() if isinstance(label, np.generic) else label


def _name_series(series):
    return f"series {_plain(series)!r}"


def make_supervised_long(data, target, *, series, time, horizon, features):
    """make_supervised for long data: X indexed by (series, time), y the next values."""
    from ._framing import _check_columns, _shown

    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"with series= and time=, data must be a long pandas DataFrame (one row per "
            f"series and time), got {type(data).__name__}."
        )
    for param, value in (("series", series), ("time", time), ("target", target)):
        if isinstance(value, (list, tuple)):
            raise ValueError(
                f"{param}={value!r}: with series= and time=, {param} names one column "
                f"(long data holds every series in one {param} column)."
            )
        _check_columns(param, value, [value], data.columns)
    if features is None:
        features = [c for c in data.columns if c not in (series, time, target)
                    and pd.api.types.is_numeric_dtype(data[c])]
    else:
        features = [c for c in features if c != target]
        _check_columns("features", features, features, data.columns)
    frame = data[[series, time, target, *features]]
    for column in (target, *features):
        if not pd.api.types.is_numeric_dtype(frame[column]):
            bad = pd.to_numeric(frame[column], errors="coerce").isna() & frame[column].notna()
            row = frame[bad].iloc[0]
            raise ValueError(
                f"column {column!r} is not numeric (dtype {frame[column].dtype}): "
                f"{_name_series(row[series])} has {_plain(row[column])!r} at "
                f"{time}={_plain(row[time])!r}; "
                "convert it with pandas.to_numeric or drop the rows."
            )
    frame = frame.sort_values([series, time], kind="stable")
    repeated = frame.duplicated([series, time])
    if repeated.any():
        row = frame[repeated].iloc[0]
        raise ValueError(
            f"{_name_series(row[series])} has more than one row at {time}={_plain(row[time])!r}; "
            f"keep one row per series and time, e.g. data.drop_duplicates([{series!r}, "
            f"{time!r}])."
        )
    codes, labels = pd.factorize(frame[series], sort=False)
    lengths = np.bincount(codes, minlength=len(labels))
    short = np.flatnonzero(lengths <= horizon)
    if len(short):
        shown = _shown([labels[i] for i in short])
        raise ValueError(
            f"{len(short)} series have {horizon} or fewer rows, too few for "
            f"horizon={horizon} (one row to forecast from plus the horizon): {shown} "
            f"(the first has {lengths[short[0]]}); drop them, e.g. "
            f"data[data.groupby({series!r})[{series!r}].transform('size') > {horizon}], "
            "or lower horizon."
        )
    values = frame[target].to_numpy(dtype=float)
    # position of each row in its series, and the rows that have a full future
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    position = np.arange(len(frame)) - np.repeat(starts, lengths)
    keep = position < np.repeat(lengths, lengths) - horizon
    rows = np.flatnonzero(keep)
    future = values[rows[:, None] + np.arange(1, horizon + 1)]
    X = frame.iloc[rows].set_index([series, time])[[target, *features]]
    names = [f"{target}_t+{k}" for k in range(1, horizon + 1)]
    y = pd.DataFrame(future, index=X.index, columns=names)
    return X, y


# --- time grids -------------------------------------------------------------


def panel_freq(times, codes):
    """The panel's time step: an int for integer times, a pandas offset, or None.

    Inferred once, from the longest series (the others are checked against
    it when placed); None where there is no regular step (positions then).
    """
    if pd.api.types.is_integer_dtype(times.dtype):
        values = times.to_numpy(dtype=np.int64)
        same = codes[1:] == codes[:-1]
        steps = np.diff(values)[same]
        step = int(np.gcd.reduce(steps)) if len(steps) else 1
        return max(step, 1)
    if isinstance(times, pd.DatetimeIndex) or pd.api.types.is_datetime64_any_dtype(times.dtype):
        longest = np.bincount(codes).argmax()
        return inferred_freq(pd.DatetimeIndex(times[codes == longest][-200:]))
    return None


def time_ordinals(times, codes, freq):
    """Integer step numbers of the times (per series, on the panel's grid).

    Within a series, consecutive steps differ by 1 and a missing step shows
    as a jump; without a regular ``freq``, rows count as steps.
    """
    if freq is None:
        starts = np.r_[0, np.flatnonzero(np.diff(codes)) + 1]
        lengths = np.diff(np.r_[starts, len(codes)])
        return np.arange(len(codes)) - np.repeat(starts, lengths)
    if isinstance(freq, numbers.Integral):
        return times.to_numpy(dtype=np.int64) // int(freq)
    times = pd.DatetimeIndex(times)
    grid = pd.date_range(times.min(), times.max(), freq=freq)
    ordinals = grid.searchsorted(times)
    off = (ordinals >= len(grid)) | (grid[np.minimum(ordinals, len(grid) - 1)] != times)
    if off.any():
        where = int(np.flatnonzero(off)[0])
        raise ValueError(
            f"time {times[where]} is not on the panel's {freq.freqstr} grid (the step "
            "inferred from its longest series); give every series the same frequency, "
            "e.g. by resampling."
        )
    return ordinals.astype(np.int64)


def future_times(last, freq, horizon):
    """The ``horizon`` times after each of ``last`` (one per series), as a flat array."""
    steps = np.arange(1, horizon + 1)
    if freq is None:
        raise ValueError(
            "cannot tell the time step of the panel (its times are neither integers nor "
            "regular dates), so forecast() cannot date the forecast; use integer times "
            "or dates of one frequency."
        )
    if isinstance(freq, numbers.Integral):
        return (np.asarray(last, dtype=np.int64)[:, None] + int(freq) * steps).ravel()
    return np.concatenate(
        [pd.date_range(t, periods=horizon + 1, freq=freq)[1:].to_numpy() for t in last]
    )


class SeriesGrid:
    """The rows of a long panel laid out per series on their time grid.

    Each series gets ``sequence_length - 1`` padding steps before its first
    time and a NaN wherever a step is missing; ``windows(rows)`` then reads
    the window ending at each row from one strided view, without copying
    more than the windows asked for.
    """

    def __init__(self, values, codes, ordinals, sequence_length):
        self.sequence_length = L = int(sequence_length)
        first = np.full(codes.max() + 1, np.iinfo(np.int64).max)
        np.minimum.at(first, codes, ordinals)
        last = np.full(codes.max() + 1, np.iinfo(np.int64).min)
        np.maximum.at(last, codes, ordinals)
        present = last >= first
        spans = np.where(present, last - first + 1, 0)
        base = np.r_[0, np.cumsum(spans + L - 1)[:-1]]
        self.positions = base[codes] + (L - 1) + (ordinals - first[codes])
        flat = np.full((int((spans + L - 1).sum()), values.shape[1]), np.nan, dtype=np.float32)
        flat[self.positions] = values
        # (n_steps - L + 1, n_features, L): a view, nothing copied
        self._view = np.lib.stride_tricks.sliding_window_view(flat, L, axis=0)

    def windows(self, rows):
        """Windows ending at ``rows``: an array (len(rows), sequence_length, n_features)."""
        return np.ascontiguousarray(
            self._view[self.positions[rows] - self.sequence_length + 1].transpose(0, 2, 1)
        )


def scale_windows(windows, targets=None):
    """Each window relative to its last target value, in units of its own changes.

    The target (feature 0) becomes ``(value - last) / scale``, with
    ``scale`` the window's mean absolute one-step change; other features are
    standardised within the window. ``windows`` (a fresh float32 array) is
    scaled in place. Returns the scaled windows, the scaled targets (float32,
    or None), and ``(last, scale)`` to undo it.
    """
    values = windows[:, :, 0]
    last = values[:, -1].astype(np.float64)
    scale = np.empty(len(windows))
    with _quiet_nan_warnings():
        for start in range(0, len(windows), SCALE_CHUNK):  # bounded temporaries
            chunk = values[start:start + SCALE_CHUNK]
            scale[start:start + SCALE_CHUNK] = np.nanmean(np.abs(np.diff(chunk, axis=1)), axis=1)
    # a flat (or one-value) window: its size, or 1 for zeros, as the unit
    fallback = np.where(np.abs(last) > 0, np.abs(last), 1.0)
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, fallback)
    values -= last[:, None].astype(np.float32)
    values /= scale[:, None].astype(np.float32)
    if windows.shape[2] > 1:
        others = windows[:, :, 1:]
        with _quiet_nan_warnings():
            mean = np.nanmean(others, axis=1, keepdims=True)
            std = np.nanstd(others, axis=1, keepdims=True)
        std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
        others -= np.nan_to_num(mean)
        others /= std
    z = None
    if targets is not None:
        z = np.clip((targets - last[:, None]) / scale[:, None], -MAX_SCALED, MAX_SCALED)
        z = z.astype(np.float32)
    return windows, z, (last, scale)


@contextmanager
def _quiet_nan_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows (masked steps)
        yield


# --- cross-validation ---------------------------------------------------------


class PanelSplit(BaseCrossValidator):
    """Time-series cross-validation for long panels: the next steps of every series.

    Fold ``k`` of ``n_splits`` tests, in every series, the ``test_size``
    rows that follow its training rows; training is every row before them
    (less ``gap`` rows), series by series, so no test step comes before a
    training step of its series. Rows are counted per series from its end,
    as the M4 competition holds out each series' last ``horizon`` values.

    Series come from the first level of X's MultiIndex (as
    ``make_supervised(data, target, series=..., time=...)`` gives), or from
    ``groups`` for arrays. ``GridSearchCV`` and ``cross_validate`` take it
    as ``cv=``.

    Parameters
    ----------
    n_splits : int, default=3
        Number of folds, the last one ending at each series' end.

    test_size : int or None, default=None
        Test rows per series and fold; None takes the width of ``y`` (the
        horizon), or 1 for 1-D ``y``.

    gap : int or "auto", default="auto"
        Rows left out between training and test, per series. "auto" is the
        width of ``y`` minus 1: a training row's targets then never reach
        into the test block, so the scores are honest for multi-step ``y``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklstm import PanelSplit, make_supervised
    >>> data = pd.DataFrame({"id": ["a"] * 6 + ["b"] * 4, "t": list(range(6)) + list(range(4)),
    ...                      "y": range(10)})
    >>> X, y = make_supervised(data, "y", series="id", time="t", horizon=1)
    >>> [(train.tolist(), test.tolist()) for train, test in PanelSplit(2).split(X, y)]
    [([0, 1, 2, 5], [3, 6]), ([0, 1, 2, 3, 5, 6], [4, 7])]
    """

    def __init__(self, n_splits=3, *, test_size=None, gap="auto"):
        self.n_splits = n_splits
        self.test_size = test_size
        self.gap = gap

    def get_n_splits(self, X=None, y=None, groups=None):
        return self.n_splits

    def _check(self, y):
        check_positive_int("n_splits", self.n_splits, fix="e.g. PanelSplit(n_splits=3)")
        width = 1 if y is None or np.ndim(y) == 1 else np.shape(y)[1]
        test_size = width if self.test_size is None else self.test_size
        check_positive_int("test_size", test_size, fix="e.g. test_size=1, or None for the horizon")
        gap = width - 1 if self.gap == "auto" else self.gap
        if not isinstance(gap, numbers.Integral) or isinstance(gap, bool) or gap < 0:
            raise ValueError(
                f"gap must be an int >= 0 or 'auto', got {self.gap!r}; e.g. gap='auto' "
                "(the horizon minus 1) or gap=0."
            )
        return int(test_size), int(gap)

    def split(self, X, y=None, groups=None):
        """Yield (train, test) positions, fold by fold.

        Parameters
        ----------
        X : DataFrame indexed by (series, time), or array-like with ``groups``
        y : array-like, optional
            Its width sets ``test_size`` and ``gap`` when they are left to
            their defaults.
        groups : array-like of shape (n_samples,), optional
            The series of each row, when X has no MultiIndex.
        """
        test_size, gap = self._check(y)
        if is_long(X):
            groups = X.index.get_level_values(0)
        elif groups is None:
            raise ValueError(
                "PanelSplit needs the series of each row: pass X indexed by (series, time), "
                "as make_supervised(data, target, series=..., time=...) gives, or groups="
                "<series of each row> (in time order within each series)."
            )
        codes = pd.factorize(np.asarray(groups))[0]
        order = np.argsort(codes, kind="stable")
        lengths = np.bincount(codes)
        # rows counted from the end of their series
        from_end = np.empty(len(codes), dtype=np.int64)
        starts = np.r_[0, np.cumsum(lengths)[:-1]]
        ranks = np.arange(len(codes)) - np.repeat(starts, lengths)
        from_end[order] = np.repeat(lengths, lengths) - ranks
        long_enough = lengths[codes] > self.n_splits * test_size + gap
        if not long_enough.any():
            raise ValueError(
                f"no series has more than n_splits * test_size + gap = "
                f"{self.n_splits} * {test_size} + {gap} rows, so no fold has training "
                "rows; lower n_splits or test_size, or give longer series."
            )
        for k in range(self.n_splits, 0, -1):
            test_end, test_start = (k - 1) * test_size, k * test_size
            test = long_enough & (from_end > test_end) & (from_end <= test_start)
            train = from_end > test_start + gap
            yield np.flatnonzero(train), np.flatnonzero(test)


# --- the global network: fit, predict, forecast ---------------------------------


def _check_long_X(X, owner):
    if X.index.nlevels != 2:
        raise ValueError(
            f"{owner} takes a long panel indexed by (series, time), but X's index has "
            f"{X.index.nlevels} levels {list(X.index.names)}; frame it with "
            "make_supervised(data, target, series=..., time=...)."
        )


def _check_float32_range(name, values, index, columns, owner):
    """Refuse values the float32 grid would hold as infinity, naming series, time and column.

    ``values`` are rows of ``index`` (series, time); the row is looked up
    only when a value is out of range.
    """
    with np.errstate(invalid="ignore"):
        beyond = np.abs(values) > FLOAT32_MAX
    if beyond.any():
        row, column = np.argwhere(beyond.reshape(len(values), -1))[0]
        value = values.reshape(len(values), -1)[row, column]
        series, time = index[row]
        raise ValueError(
            f"{owner}: {name}'s column {_plain(columns[column])!r} holds {value:.3g} in "
            f"{_name_series(series)} at time {_plain(time)!r}, beyond float32's range "
            f"(|value| > {FLOAT32_MAX:.3g}); windows are computed in float32, where it is "
            "infinite. Fix that value if it is an error, or rescale the series first "
            "(divide it by a power of ten)."
        )


def _series_codes(X, known=None):
    """Codes of X's series (in ``known``'s order first, then new ones), labels and times."""
    labels = X.index.get_level_values(0)
    times = X.index.get_level_values(1)
    if known is None:
        codes, uniques = pd.factorize(labels)
        return codes, np.asarray(uniques), times
    index = pd.Index(known)
    codes = index.get_indexer(labels)
    new = codes < 0
    if new.any():  # series the model never saw: forecast from their own rows
        extra, _ = pd.factorize(labels[new])
        codes[new] = len(index) + extra
    return codes, None, times


def _sorted_rows(codes, ordinals, labels_of, owner):
    """Row order by (series, time); a repeated time is an error naming the series."""
    order = np.lexsort((ordinals, codes))
    c, o = codes[order], ordinals[order]
    same = (c[1:] == c[:-1]) & (o[1:] == o[:-1])
    if same.any():
        row = order[int(np.flatnonzero(same)[0]) + 1]
        raise ValueError(
            f"{owner}: {_name_series(labels_of(row))} has more than one row at one time "
            "step; keep one row per series and time."
        )
    return order


def fit_long(forecaster, X, y, regressor_params):
    """Fit ``forecaster`` (an LSTMForecaster) on a long panel; sets its fitted attributes."""
    from sklearn.utils import check_random_state
    from ._baselines import resolve_target_column
    from ._checks import FLOAT_DTYPES, check_array, validate_data
    from ._regressor import LSTMRegressor

    owner = type(forecaster).__name__
    _check_long_X(X, owner)
    index = X.index
    values = validate_data(forecaster, X, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan")
    y_columns = getattr(y, "columns", None)
    y = check_array(y, owner=owner, ensure_2d=False, dtype=FLOAT_DTYPES,
                    ensure_all_finite="allow-nan", input_name="y")
    if len(y) != len(values):
        raise ValueError(f"X has {len(values)} rows but y has {len(y)}; pass y of X's rows.")
    y_ndim = y.ndim
    y = y.reshape(len(y), -1)
    horizon = y.shape[1]
    target = resolve_target_column(forecaster, forecaster.target_column, values.shape[1])
    columns = np.r_[target, np.setdiff1d(np.arange(values.shape[1]), [target])]
    values = values[:, columns]

    _check_float32_range("X", values, index, np.asarray(X.columns)[columns], owner)
    _check_float32_range("y", y, index,
                         range(y.shape[1]) if y_columns is None else y_columns, owner)
    codes, labels, times = _series_codes(X)
    freq = panel_freq(times, codes)
    ordinals = time_ordinals(times, codes, freq)
    order = _sorted_rows(codes, ordinals, lambda row: labels[codes[row]], owner)
    if not np.array_equal(order, np.arange(len(order))):  # make_supervised's X is sorted
        codes, ordinals, values, y = codes[order], ordinals[order], values[order], y[order]
        times = times[order]

    lengths = np.bincount(codes, minlength=len(labels))
    L = forecaster._sequence_length(horizon)
    m = forecaster.season_length or 1
    if forecaster.sequence_length == "auto" and L > lengths.min():
        # the window shrinks to the shortest series (in whole seasons where it
        # holds one), down to one horizon
        L = int(lengths.min())
        L = max(L // m * m if L >= m else L, horizon)
    short = np.flatnonzero(lengths < L)
    if len(short):
        from ._framing import _shown
        fix = (f"pass sequence_length <= {lengths.min()}" if forecaster.sequence_length != "auto"
               else f"pass a sequence_length <= {lengths.min()} explicitly")
        raise ValueError(
            f"{len(short)} series are shorter than one window plus the horizon "
            f"(sequence_length={L} rows of X, i.e. {L + horizon} values with "
            f"horizon={horizon}): {_shown([labels[i] for i in short])}, the first with "
            f"{lengths[short[0]]} rows ({lengths[short[0]] + horizon} values); drop them, "
            f"or {fix}."
        )

    grid = SeriesGrid(values, codes, ordinals, L)
    known = np.isfinite(y).all(axis=1) & np.isfinite(values[:, 0])
    candidates = np.flatnonzero(known)
    if not len(candidates):
        raise ValueError(f"{owner}: no row has a known value and a fully known y to train on.")
    seed = forecaster.random_state
    rng = check_random_state(seed)
    batch_size = forecaster._batch_size()
    steps = forecaster._max_steps()
    if forecaster.max_steps == "auto":
        # a small panel stops at AUTO_EPOCHS passes over its windows (more overfits)
        steps = min(steps, max(1, int(np.ceil(AUTO_EPOCHS * len(candidates) / batch_size))))
    # sampled windows, the same ones each pass: the cost follows the steps, the
    # memory at most MAX_WINDOWS; a panel with fewer windows than the steps
    # take is passed over several times
    n_windows, n_batches, epochs = _passes(len(candidates), steps, batch_size)
    # each series' latest windows, which choose the simple forecast, are among
    # them (at most half of them, so that earlier windows are too)
    from_end = _from_end(codes)
    span = simple_forecasts.latest_span(from_end[candidates], horizon)
    is_latest = from_end[candidates] < span
    latest, others = candidates[is_latest], candidates[~is_latest]
    n_latest = min(len(latest), simple_forecasts.SAMPLE,
                   max(n_windows // 2, n_windows - len(others)))
    if len(latest) > n_latest:
        latest = np.sort(rng.choice(latest, n_latest, replace=False))
    if len(others) > n_windows - len(latest):
        others = rng.choice(others, n_windows - len(latest), replace=False)
    rows = np.union1d(latest, others)
    windows, z, _ = scale_windows(grid.windows(rows), y[rows])
    # the network learns the correction to the best simple forecast
    simple = simple_forecasts.choose(windows[:, :, 0], z, from_end[rows],
                                     forecaster.season_length, span=span)
    z -= simple_forecasts.forecast(simple, windows[:, :, 0], horizon)
    fold = lstm_fold(L, m)

    regressor = LSTMRegressor(
        **regressor_params,
        loss="mae",
        learning_rate_schedule="cosine",
        head_initializer="zeros",  # training starts from the simple forecast
        epochs=epochs,
        batch_size=batch_size,
        early_stopping=False,
        random_state=int(rng.randint(np.iinfo(np.int32).max)),
    )
    # the loss is in units of each window's changes: below 1% of one is no divergence
    regressor._loss_floor = LOSS_FLOOR
    regressor._fit_checked(fold_windows(windows, fold), z)  # windows of checked rows

    # what predict needs: the last rows of each series, the grid's step, the series
    tail = from_end < L
    forecaster.regressor_ = regressor
    forecaster.history_ = regressor.history_
    forecaster.layout_ = "long"
    forecaster.series_ = labels
    forecaster.sequence_length_ = L
    forecaster.simple_forecast_ = simple
    forecaster.fold_ = fold
    forecaster.n_steps_ = epochs * n_batches
    forecaster.freq_ = freq if freq is None or isinstance(freq, numbers.Integral) else freq.freqstr
    forecaster.columns_ = columns
    forecaster.memory_codes_ = codes[tail]
    forecaster.memory_times_ = np.asarray(times[tail])
    forecaster.memory_values_ = values[tail].astype(np.float32)
    forecaster.series_scale_ = _series_scale(values[:, 0], codes, len(labels))
    forecaster.n_outputs_ = horizon
    forecaster.n_series_ = len(labels)
    forecaster.target_index_ = target
    forecaster.y_ndim_ = y_ndim
    forecaster.time_name_ = index.names[1]
    forecaster.series_name_ = index.names[0]
    forecaster.conformity_scores_ = np.empty((0, horizon))
    return forecaster


def _passes(n_candidates, steps, batch_size):
    """``(n_windows, batches per pass, passes)``: whole passes within ``steps``.

    The training loop runs ``ceil(n_windows / batch_size)`` batches a pass.
    Of the pass lengths that fit the candidate windows (and MAX_WINDOWS),
    the longest whose whole passes take within 5% of the most steps any
    takes: all of a small panel's windows, rather than a few more steps on
    fewer of them.
    """
    most = min(steps * batch_size, MAX_WINDOWS, n_candidates)
    batches = np.arange(1, -(-most // batch_size) + 1)
    taken = batches * (steps // batches)
    n_batches = int(batches[taken >= PASS_TOLERANCE * taken.max()].max())
    return min(most, n_batches * batch_size), n_batches, steps // n_batches


def _from_end(codes):
    """For rows sorted by series, how many rows of their series come after them."""
    lengths = np.bincount(codes)
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    rank = np.arange(len(codes)) - np.repeat(starts, lengths)[: len(codes)]
    return lengths[codes] - 1 - rank


def _series_scale(target, codes, n_series):
    """Each series' mean absolute one-step change (1 where it has none): the unit of score."""
    change = np.abs(np.diff(target))
    same = codes[1:] == codes[:-1]
    total = np.bincount(codes[1:][same], weights=np.nan_to_num(change[same]), minlength=n_series)
    count = np.bincount(codes[1:][same], weights=np.isfinite(change[same]), minlength=n_series)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = total / count
    return np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)


def _rows_with_memory(forecaster, X, values):
    """X's rows with the remembered training rows before them, sorted by (series, time)."""
    codes, _, times = _series_codes(X, forecaster.series_)
    n_known = len(forecaster.series_)
    first_time = pd.Series(np.asarray(times)).groupby(codes).min()
    memory = forecaster.memory_codes_
    in_X = np.isin(memory, first_time.index)
    keep = in_X.copy()
    keep[in_X] = forecaster.memory_times_[in_X] < first_time.loc[memory[in_X]].to_numpy()
    all_codes = np.r_[memory[keep], codes]
    all_times = pd.Index(np.r_[forecaster.memory_times_[keep], np.asarray(times)])
    all_values = np.r_[forecaster.memory_values_[keep], values]
    is_X = np.r_[np.zeros(keep.sum(), bool), np.ones(len(codes), bool)]
    freq = forecaster.freq_
    if freq is not None and not isinstance(freq, numbers.Integral):
        freq = pd.tseries.frequencies.to_offset(freq)
    ordinals = time_ordinals(all_times, all_codes, freq)
    new_series = pd.unique(X.index.get_level_values(0)[codes >= n_known])
    labels = [*forecaster.series_, *new_series]
    order = _sorted_rows(all_codes, ordinals, lambda row: labels[all_codes[row]],
                         type(forecaster).__name__)
    return all_codes[order], ordinals[order], all_values[order], is_X[order], order


def predict_long(forecaster, X, only=None):
    """Predictions for the rows of a long X, in X's row order: (n_rows, horizon).

    ``only`` (a boolean mask of X's rows) predicts those rows alone, the
    others windowing them; their rows of the result are NaN.
    """
    from ._checks import FLOAT_DTYPES, validate_data

    _check_long_X(X, type(forecaster).__name__)
    values = validate_data(forecaster, X, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan",
                           reset=False)[:, forecaster.columns_]
    _check_float32_range("X", values, X.index, np.asarray(X.columns)[forecaster.columns_],
                         type(forecaster).__name__)
    codes, ordinals, all_values, is_X, order = _rows_with_memory(forecaster, X, values)
    grid = SeriesGrid(all_values, codes, ordinals, forecaster.sequence_length_)
    rows = np.flatnonzero(is_X)
    # X's rows come after the memory's in ``order``
    in_X = order[rows] - (len(order) - len(X))
    if only is not None:
        wanted = only[in_X]
        rows, in_X = rows[wanted], in_X[wanted]
    windows, _, (last, scale) = scale_windows(grid.windows(rows))
    z = forecaster.regressor_._predict_checked(fold_windows(windows, forecaster.fold_))
    z = z.reshape(len(rows), -1) + simple_forecasts.forecast(
        forecaster.simple_forecast_, windows[:, :, 0], forecaster.n_outputs_
    )
    out = np.full((len(X), forecaster.n_outputs_), np.nan)
    out[in_X] = last[:, None] + scale[:, None] * z
    return out


def score_long(forecaster, X, y, sample_weight=None):
    """R² over every series and step, each series in units of its own changes."""
    from sklearn.metrics import r2_score

    y = np.asarray(y, dtype=float).reshape(len(X), -1)
    pred = predict_long(forecaster, X)
    codes, _, _ = _series_codes(X, forecaster.series_)
    n_new = max(0, codes.max() + 1 - len(forecaster.series_))
    unit = np.r_[forecaster.series_scale_, np.ones(n_new)][codes][:, None]  # new series: 1
    return r2_score(y / unit, pred / unit, sample_weight=sample_weight)


def forecast_long(forecaster, data, *, target, series, time, features, horizon):
    """The next ``horizon`` values of every series of long ``data``, as a long frame."""
    fitted = getattr(forecaster, "layout_", None)
    if fitted != "long":
        raise ValueError(
            "forecast(..., series=, time=) needs an estimator fitted on a long panel "
            "(X from make_supervised(data, target, series=..., time=...)); this one was "
            "fitted on wide data: call forecast without series= and time=."
        )
    if horizon is not None and horizon != forecaster.n_outputs_:
        raise ValueError(
            f"horizon={horizon}, but the model forecasts {forecaster.n_outputs_} steps "
            "(the width of y in fit); pass horizon=None."
        )
    names = list(forecaster.feature_names_in_) if features is None else list(features)
    from ._framing import _check_columns, _shown

    _check_columns("series", series, [series], data.columns)
    _check_columns("time", time, [time], data.columns)
    _check_columns("features", names, names, data.columns)
    frame = data.sort_values([series, time], kind="stable")
    missing = pd.Index(forecaster.series_).difference(pd.Index(frame[series].unique()))
    if len(missing):
        raise ValueError(
            f"data has no rows for {len(missing)} series the model was fitted on: "
            f"{_shown(list(missing))}; forecast needs the history of every fitted series "
            "(its last sequence_length values), or drop those series and refit."
        )
    L = forecaster.sequence_length_
    tail = frame.groupby(series, sort=False).tail(L)
    X = tail.set_index([series, time])[names]
    # the last row of each series is forecast from; the others only window it
    last = X.groupby(level=0, sort=False).cumcount(ascending=False).to_numpy() == 0
    pred = predict_long(forecaster, X, only=last)
    labels = X.index.get_level_values(0)[last]
    last_times = X.index.get_level_values(1)[last]
    freq = forecaster.freq_
    if freq is not None and not isinstance(freq, numbers.Integral):
        freq = pd.tseries.frequencies.to_offset(freq)
    h = forecaster.n_outputs_
    return pd.DataFrame({
        series: np.repeat(np.asarray(labels), h),
        time: future_times(np.asarray(last_times), freq, h),
        "forecast": pred[last].ravel(),
    })
