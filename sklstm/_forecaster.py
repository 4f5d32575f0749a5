"""LSTMForecaster: sklstm's recommended forecasting recipe as one regressor."""

import numbers
import re
import warnings

import keras
import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._baselines import resolve_target_column, resolve_target_columns
from ._checks import (
    FLOAT_DTYPES, NONE, SHARED_CONSTRAINTS, Interval, Options, check_fraction, check_numeric,
    check_sample_weight, check_same_as_fitted, check_spans, dominating_values, is_constant,
    shared_constraints, validate_data, validate_params, validation_size,
)
from ._long import auto_sequence_length, fit_long, is_long, predict_long, score_long
from ._conformal import calibration_size, conformal_rank
from ._regressor import LSTMRegressor, _as_slice, _same, all_or_nothing
from ._series import (
    check_outputs_per_series, check_panel_y, check_targets_follow, is_series_list, known_targets_r2,
    plain_list,
)
from ._state import PlainState
from ._time_index import index_of
from ._windower import SequenceWindower

TRENDS = ("none", "last", "diff", "highway")

# defaults of the "auto" parameters, measured (docs/forecasting.md, benchmarks/m4.md)
WIDE_SEQUENCE_LENGTH = 14
WIDE_BATCH_SIZE = 32
WIDE_UNITS = 32
LONG_UNITS = 64
LONG_BATCH_SIZE = 256
LONG_MAX_STEPS = 1000


def _check_spans(X, y, levels, targets):
    """Refuse finite data whose ranges or changes overflow float64 when scaled.

    Overflow gives infinity; NaN (an unknown value of a ragged panel) is fine.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        changes = y - levels
        spans = {
            "the range of X": np.nanmax(X, axis=0) - np.nanmin(X, axis=0),
            "the range of y": np.nanmax(y, axis=0) - np.nanmin(y, axis=0),
            "y minus the last value of target_column": changes,
            "the range of y minus the last value": (np.nanmax(changes, axis=0)
                                                    - np.nanmin(changes, axis=0)),
            "one-step changes of target_column": np.diff(targets, axis=0),
        }
    check_spans(spans, {"X": X, "y": y})


def _warn_if_one_value_dominates(X, y, names):
    """Warn when one training value sets the scale of a column alone (an outlier, or a typo)."""
    found = dominating_values(X, names) or dominating_values(
        y, [f"y[:, {j}]" for j in range(y.shape[1])])
    if found:
        name, row, value, span = found[0]
        more = f" (and {len(found) - 1} more column(s))" if len(found) > 1 else ""
        warnings.warn(
            f"One value sets the scale of {name}{more} alone: {value:.4g} at row {row}, "
            f"while the other values span {span:.4g}. Scaled with it, they are squeezed "
            "together and every forecast can be off by a part of that value. If it is an "
            "error, fix or drop that row; if it is real, clip or transform the column "
            "(e.g. numpy.log1p) before fitting.",
            UserWarning, stacklevel=4,
        )


def _fit_scaler(scaler, values):
    """Fit a MinMaxScaler or MaxAbsScaler; a column is constant only within float64's
    resolution of its values (scikit-learn would flatten any range below 2.2e-15)."""
    scaler.fit(values)
    if isinstance(scaler, MinMaxScaler):
        low, high = scaler.data_min_, scaler.data_max_
        resolved = ~is_constant(low, high) & (scaler.data_range_ < 10 * np.finfo(float).eps)
        first, last = scaler.feature_range
        scaler.scale_[resolved] = (last - first) / scaler.data_range_[resolved]
        scaler.min_[resolved] = first - low[resolved] * scaler.scale_[resolved]
    else:
        largest = scaler.max_abs_
        resolved = ~is_constant(0.0, largest) & (largest < 10 * np.finfo(float).eps)
        scaler.scale_[resolved] = largest[resolved]
    return scaler


def _rows(rows):
    """A range of rows as a slice (a view of what it indexes), positions as they are."""
    return slice(rows.start, rows.stop) if isinstance(rows, range) else _as_slice(rows)


def _target_first(target_index, n_features):
    """Column positions with the target(s) first, then the others in X's order."""
    targets = np.atleast_1d(target_index)
    return np.r_[targets, np.setdiff1d(np.arange(n_features), targets)].astype(int)


def _scaled(scaler, values):
    """``scaler.transform(values)`` for values already validated: the scaler's arithmetic.

    MinMaxScaler's transform is ``X * scale_ + min_`` and MaxAbsScaler's
    ``X / scale_`` (their documented fitted attributes); calling transform
    would validate the rows a second time.
    """
    if isinstance(scaler, MaxAbsScaler):
        return values / scaler.scale_
    return values * scaler.scale_ + scaler.min_


def _check_float32_range(columns, chunk_size=4096):
    """Refuse scaled rows the float32 network would see as infinite (NaN is a masked value)."""
    limit = float(np.finfo(np.float32).max)
    for start in range(0, len(columns), chunk_size):
        chunk = np.abs(columns[start : start + chunk_size])
        if (chunk > limit).any():
            raise ValueError(
                f"X lies far outside the range of the training rows: scaled by that "
                f"range it reaches {np.nanmax(chunk):.3g}, beyond float32's range "
                f"({limit:.3g}) in which the network computes. Check X's units, or refit "
                "on data that spans these values."
            )


class RelativeWindows:
    """Windows whose target channels are relative to their last value, made on demand.

    ``trend="diff"`` shows the network the target's past minus its last value
    (in units of ``scale``): a transform of each whole window, which a
    sliding-window view cannot hold. This object stands for those windows
    without making them all: indexing it with rows (as the training loop
    does per batch) returns the finished float64 windows of those rows only,
    a slice returns another such object, and ``numpy.asarray`` makes them
    all. ``windows`` is the windower's read-only view of the scaled columns
    with the raw targets riding along as its last channels.

    Parameters
    ----------
    windows : ndarray of shape (n, sequence_length, n_features + n_targets)
    positions : list of int
        The channel of each target among the first ``n_features``.
    scale : float or ndarray of shape (n_targets,)
    """

    ndim = 3

    def __init__(self, windows, positions, scale):
        self.windows, self.positions, self.scale = windows, list(positions), scale
        n, sequence_length, n_channels = windows.shape
        self.shape = (n, sequence_length, n_channels - len(self.positions))
        self.dtype = windows.dtype

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, rows):
        if isinstance(rows, slice):
            return RelativeWindows(self.windows[rows], self.positions, self.scale)
        return self._finish(self.windows[rows])

    def __array__(self, dtype=None, copy=None):
        out = self._finish(self.windows)
        return out if dtype is None else out.astype(dtype, copy=False)

    def _finish(self, block):
        n_targets = len(self.positions)
        raw = block[..., -n_targets:]
        out = np.array(block[..., :-n_targets])
        out[..., self.positions] = (raw - raw[..., -1:, :]) / self.scale
        return out


class LSTMForecaster(PlainState, RegressorMixin, BaseEstimator):
    """sklstm's recommended forecasting recipe as one scikit-learn regressor.

    ``fit(X, y)`` takes rows at time ``t`` (every feature, exogenous columns
    included, e.g. from :func:`make_supervised`) and the targets at
    ``t+1`` (1-D ``y``) or ``t+1 .. t+h`` (2-D ``y``, one ``h``-wide head:
    direct multi-step). Inside, a :class:`~sklearn.preprocessing.MinMaxScaler`
    scales X and another scales the target, both fitted on the training rows
    only; a :class:`SequenceWindower` gives every row its window of the past;
    an :class:`LSTMRegressor` learns from the windows. Every parameter is flat,
    so a grid search can tune them::

        GridSearchCV(LSTMForecaster(), {"sequence_length": [7, 14],
                                        "units": [16, 32],
                                        "trend": ["diff", "none", "highway"]},
                     cv=TimeSeriesSplit(5))

    Parameters
    ----------
    sequence_length : int or "auto", default="auto"
        Time steps of history in each window. "auto": 14 (or two seasons,
        if longer) for wide data; for a long panel, the longer of two
        seasons and four horizons in whole seasons, cut to the shortest
        series (but not below one horizon).

    units : int, tuple of int or "auto", default="auto"
        LSTM state size; a tuple stacks LSTM layers. "auto": 32 for wide
        data, 64 for a long panel (whose LSTM reads a season per step, so a
        larger state costs little; measured in ``benchmarks/m4.md``).

    season_length : int or None, default=None
        Steps per season (24 for hourly data with a daily cycle, 12 for
        monthly, 52 for weekly), as statsforecast's ``season_length``. For
        a long panel it sets the window's length ("auto"), offers seasonal
        simple forecasts (the last season, the mean or median of the last
        few) for the network to correct, and lets the LSTM read the window a
        season per step. None for no season.

    target_column : int, str or list of them, default=0
        Column of X holding the series being forecast (its value at ``t``):
        an int position, or a column name when X is a DataFrame. A list
        names several series (a panel, e.g. from
        ``make_supervised(data, target=[...])``): one shared network learns
        them all, each series' window a sample of it, each series scaled on
        its own training rows; ``y`` then holds one column per series and
        horizon step, series-major, and NaN marks unknown values (series
        that start late or stop early), which the loss skips.

    series_embedding : int, default=0
        With a list ``target_column``, the size of a learned vector per
        series, so the shared network can tell the series apart; 0 for none.

    trend : {"diff", "last", "none", "highway"}, default="diff"
        How the level of the series is handled, since a network extrapolates
        poorly outside the range it was trained on.

        - ``"diff"``: differencing, inverted on predict. The network learns
          the change from the last observed value of ``target_column`` (the
          forecast is that value plus the predicted change: persistence plus
          a learned correction), and sees the target's past relative to that
          value, in units of its largest one-step change in training. Nothing
          depends on the level, so a trending series never leaves the range
          the network was trained on.
        - ``"last"``: learn the change from the last observed value, but see
          the (scaled) levels of the past. Keeps level information, e.g. for
          mean reversion; inputs may leave the training range.
        - ``"none"``: learn the scaled target itself from scaled levels.
        - ``"highway"``: as ``"none"``, plus a linear autoregressive skip path
          over the target's last ``sequence_length`` scaled values added to
          the LSTM output (the highway of LSTNet, Lai et al. 2018), starting
          as the last value. Not a trend but an option of the network, kept
          here under this name: ``trend="none"`` with
          ``LSTMRegressor(highway=1)`` inside.

        Exogenous columns always enter as scaled levels.

    epochs : int, default=200
        Maximum passes over the training rows (early stopping usually ends
        training well before). Wide data only.

    max_steps : int or "auto", default="auto"
        Long panels only: at most this many gradient steps of training
        ("auto": 1000, or at most 40 passes over the windows of a small
        panel if that is fewer; ``n_steps_`` says how many were taken). The
        windows are sampled from every series (``max_steps * batch_size``
        of them, at most 262,144); a panel with fewer windows is passed
        over several whole times, as many as fit in the steps. The cost
        follows the steps, not the size of the panel.

    batch_size : int or "auto", default="auto"
        Windows per gradient step; "auto" is 32 for wide data, 256 for a
        long panel.

    learning_rate : float, default=0.003
        Adam step size.

    dropout : float, default=0.0
        Fraction of LSTM inputs dropped while training.

    early_stopping : bool, default=True
        Stop when the loss on the held-out rows (see ``validation_fraction``)
        has not improved for ``n_iter_no_change`` epochs; keep the best
        weights.

    validation_fraction : float, default=0.1
        Fraction of the training rows, taken from the end, that are never
        trained on: they choose the stopping epoch (with ``early_stopping``)
        and calibrate :meth:`predict_interval`.

    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs. Wide data only (a long
        panel trains for ``max_steps``).

    random_state : int, RandomState or None, default=None
        Seeds the network; an int gives reproducible fits.

    verbose : int, default=0
        1 shows a progress bar over epochs.

    Attributes
    ----------
    layout_ : {"wide", "long"}
        Whether fit saw wide rows or a long panel (X indexed by series and
        time, from ``make_supervised(..., series=, time=)``).

    regressor_ : LSTMRegressor
        The fitted network (``regressor_.model_`` is the Keras model).

    history_ : dict of str to list of float
        Loss per epoch (``"loss"``, ``"val_loss"``), from ``regressor_``.

    scaler_X_ : MinMaxScaler
        Scaler of X, fitted on the training rows.

    scaler_y_ : MinMaxScaler or MaxAbsScaler
        Scaler of the learned target (the change from the last value when
        ``trend`` is ``"diff"`` or ``"last"``), fitted on the training rows; a
        MaxAbsScaler for a panel's changes, so that no change stays 0 for
        every series.

    diff_scale_ : float or ndarray of shape (n_series_,)
        Largest one-step change of the target column (of each series) in
        training, the unit of the relative inputs with ``trend="diff"``.

    windower_ : SequenceWindower
        Windower of the scaled X (and of the raw target column, with
        ``trend="diff"``); it remembers the end of the training rows.

    target_index_ : int or ndarray of int
        Position of ``target_column`` in X (one per series for a panel).

    n_series_ : int or None
        Number of series of a panel (a list ``target_column``, or a long
        panel), else None.

    n_outputs_ : int
        Width of ``y`` (1 for 1-D ``y``).

    y_ndim_ : int
        Number of dimensions of ``y`` seen in fit; predict returns the same.

    conformity_scores_ : ndarray of shape (n_calibration, n_outputs_)
        Absolute errors on the held-out end of the training rows, for
        :meth:`predict_interval`.

    series_ : ndarray of shape (n_series_,)
        Long panels: the series ids seen in fit.

    sequence_length_ : int
        Long panels: the window length used (``sequence_length`` resolved).

    n_steps_ : int
        Long panels: the gradient steps trained.

    simple_forecast_ : dict
        Long panels: the simple forecast whose correction the network learns
        (the best on the training windows of: the last value, the mean or
        median of the last few seasons, a robust linear autoregression);
        ``{"kind": "last"}``, ``{"kind": "mean" or "median", "season": m,
        "n_seasons": k}`` or ``{"kind": "linear", "coef": array}``.

    fold_ : int
        Long panels: time steps the LSTM reads at once (the season, when the
        window holds whole seasons: one LSTM step per season; else 1).

    freq_ : int, str or None
        Long panels: the time step (an int for integer times, a pandas
        frequency string for dates, None for positions).

    columns_ : ndarray of int
        X's columns in the network's order: the target (a panel's series)
        first, then the others.

    memory_codes_, memory_times_, memory_values_ : ndarray
        Long panels: the last ``sequence_length_`` training rows of each
        series (series number, time, values), the past of rows that
        continue them.

    series_scale_ : ndarray of shape (n_series_,)
        Long panels: each series' mean absolute one-step change, the unit
        of :meth:`score`.

    series_name_, time_name_ : str or None
        Long panels: the names of X's index levels.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during :term:`fit`, when X has string column
        names.

    See Also
    --------
    PersistenceRegressor : The "tomorrow = today" baseline to beat.
    forecast : Forecast beyond the data with a fitted forecaster.
    make_supervised : Frame a series as ``(X, y)``.

    Notes
    -----
    Prediction intervals are split-conformal: the absolute errors on the
    held-out last ``validation_fraction`` of the training rows give, per
    horizon step, the half-width that covers ``coverage`` of them (with the
    finite-sample correction). Those rows also choose the stopping epoch,
    which makes the intervals very slightly optimistic; with a changing
    noise level (e.g. seasons) coverage holds on average, not in every
    season.

    The defaults (``epochs``, ``batch_size``, ``learning_rate``,
    ``n_iter_no_change``, ``trend``) were chosen by a measured comparison on
    synthetic series of 500 and 5000 points; ``docs/forecasting.md`` gives
    the numbers and ``benchmarks/bench_forecast_quality.py defaults`` reruns it.
    A fit that raises (or is interrupted) leaves the previous fitted state.

    As with :class:`SequenceWindower`, ``predict`` windows each row with the
    rows before it, and rows that continue the training rows (a test fold,
    the days after the training data) with the end of the training rows:
    ``predict(X_test)`` equals ``predict(X_full)[test]``. A DataFrame is
    placed in time by its index, an array by the rule of
    :class:`SequenceWindower`; for rows that arrive one at a time,
    :meth:`update` moves the remembered end forward. y must follow
    ``target_column``: when y is exactly the next value of another column of
    X, fit says which ``target_column`` fits.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import LSTMForecaster
    >>> series = np.sin(np.arange(120.0) / 5)
    >>> X, y = series[:-1].reshape(-1, 1), series[1:]
    >>> model = LSTMForecaster(sequence_length=5, units=4, epochs=3, random_state=0)
    >>> model.fit(X, y).predict(X).shape
    (119,)
    >>> lower, upper = model.predict_interval(X, coverage=0.9)
    >>> bool(np.all(lower <= upper))
    True
    """

    _parameter_constraints = shared_constraints(
        "target_column", "series_embedding", "epochs", "learning_rate", "dropout",
        "early_stopping", "validation_fraction", "n_iter_no_change", "random_state", "verbose",
        sequence_length=[Interval(numbers.Integral, 1, None), Options("auto")],
        units=[*SHARED_CONSTRAINTS["units"], Options("auto")],
        season_length=[NONE, Interval(numbers.Integral, 1, None)],
        max_steps=[Options("auto"), Interval(numbers.Integral, 1, None)],
        trend=[Options(*TRENDS)],
        batch_size=[*SHARED_CONSTRAINTS["batch_size"], Options("auto")],
    )
    _nan_hint = (
        "one series needs every value: fill them first (e.g. X.interpolate() or X.ffill()) "
        "or drop those rows; NaN marks an unknown value only in a panel "
        "(target_column=[...])"
    )
    _parameter_hints = {
        "sequence_length": "pass the number of past time steps per window, e.g. 14",
    }

    def __init__(
        self,
        sequence_length="auto",
        units="auto",
        *,
        season_length=None,
        target_column=0,
        series_embedding=0,
        trend="diff",
        epochs=200,
        max_steps="auto",
        batch_size="auto",
        learning_rate=0.003,
        dropout=0.0,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        random_state=None,
        verbose=0,
    ):
        self.sequence_length = sequence_length
        self.units = units
        self.season_length = season_length
        self.target_column = target_column
        self.series_embedding = series_embedding
        self.trend = trend
        self.epochs = epochs
        self.max_steps = max_steps
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.dropout = dropout
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.verbose = verbose

    # --- helpers ----------------------------------------------------------

    def _check_params(self):
        validate_params(self)

    def _sequence_length(self, horizon=1):
        if self.sequence_length != "auto":
            return self.sequence_length
        if getattr(self, "layout_", "wide") == "long":
            return auto_sequence_length(horizon, self.season_length)
        return max(WIDE_SEQUENCE_LENGTH, 2 * (self.season_length or 1))

    def _units(self):
        if self.units != "auto":
            return self.units
        return LONG_UNITS if getattr(self, "layout_", "wide") == "long" else WIDE_UNITS

    def _batch_size(self):
        if self.batch_size != "auto":
            return self.batch_size
        return LONG_BATCH_SIZE if getattr(self, "layout_", "wide") == "long" else WIDE_BATCH_SIZE

    def _max_steps(self):
        return LONG_MAX_STEPS if self.max_steps == "auto" else self.max_steps

    def _levels(self, X):
        """Current value of the target column(s), shaped to broadcast over y."""
        if self.n_series_ is None:
            return X[:, self.target_index_, np.newaxis]
        # y is series-major: each series' level repeats over its horizon steps
        return np.repeat(X[:, self.target_index_], self.n_outputs_ // self.n_series_, axis=1)

    def _feature_names(self):
        """X's columns for messages: "X's column 'temp'", or "X's column 0"."""
        names = getattr(self, "feature_names_in_", None)
        return [f"X's column {name!r}" if names is not None else f"X's column {name}"
                for name in (names if names is not None else range(self.n_features_in_))]

    def _network_columns(self):
        """X's columns in the network's order: the target (a panel's series) first.

        The highway reads the first column, and a panel's samples hold their own
        series first. A single series fitted by sklstm 0.2 kept X's order.
        """
        if hasattr(self, "columns_"):
            return self.columns_
        if self.n_series_ is None:
            return np.arange(self.n_features_in_)
        return _target_first(self.target_index_, self.n_features_in_)

    def _window_input(self, X, *, fit=False):
        """What the windower reads: the scaled X in the network's order (and the raw targets).

        X is validated (its rows are scaled by the scalers' arithmetic, not checked again).
        """
        columns = _scaled(self.scaler_X_, X)[:, self._network_columns()]
        if not fit:  # new rows may lie far outside the training rows' range
            _check_float32_range(columns)
        if self.trend == "diff":
            # the raw targets ride along as last columns, so that one windower,
            # and its memory of the rows before, serves both
            columns = np.column_stack([columns, X[:, np.atleast_1d(self.target_index_)]])
        return columns

    def _windows(self, X, index, *, fit=False):
        """Windows of the scaled X; with trend="diff" the target is relative to its last value.

        X is validated; the windower windows it without checking it again.
        """
        window = (self.windower_._fit_transform_checked if fit
                  else self.windower_._transform_checked)
        windows = window(self._window_input(X, fit=fit), index)
        if self.trend != "diff":
            return windows
        targets = np.atleast_1d(self.target_index_)
        at = [int(np.flatnonzero(self._network_columns() == t)[0]) for t in targets]
        return RelativeWindows(windows, at, self.diff_scale_)

    def _validate_X(self, X):
        """X as a float array, and its pandas index (which places it in time)."""
        check_is_fitted(self)
        check_numeric(X, type(self).__name__)
        index = index_of(X)
        finite = "allow-nan" if self.n_series_ is not None else True
        return validate_data(self, X, dtype=FLOAT_DTYPES, reset=False,
                             ensure_all_finite=finite), index

    def _predict_raw(self, X, index):
        """Predictions of shape (n_samples, n_outputs_) in y's units."""
        z = self.regressor_._predict_checked(self._windows(X, index)).reshape(len(X), -1)
        return self._from_network(z, X)

    def _from_network(self, z, X):
        """The network's (scaled) output for rows X in y's units: unscaled, plus the level."""
        y = self.scaler_y_.inverse_transform(z)
        if self.trend in ("last", "diff"):
            y = y + self._levels(X)
        return y

    def _shape_like_y(self, y):
        # fits by sklstm 0.2 keep y_ndim_ as _y_ndim
        y_ndim = getattr(self, "y_ndim_", None) or self._y_ndim
        return y[:, 0] if y_ndim == 1 else y

    def _largest_step(self, X):
        """Largest one-step change of each target in training (1 where none), the unit of diff."""
        steps = np.abs(np.diff(X[:, self.target_index_], axis=0))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN series
            largest = np.nanmax(steps, axis=0) if len(steps) else np.ones(np.shape(steps)[1:])
        largest = np.where(np.isfinite(largest) & (largest > 0), largest, 1.0)
        return float(largest) if self.n_series_ is None else largest

    def _check_panel(self, y, y_names):
        n_series = len(self.target_index_)
        check_outputs_per_series(1 if y.ndim == 1 else y.shape[1], n_series,
                                 f" for target_column's {n_series} series;")
        # y named by make_supervised (<series>_t+<k>) must follow target_column's order
        # (names or positions: positions are named by X's columns)
        steps = [re.fullmatch(r"(.*)_t\+\d+", str(name)) for name in y_names or []]
        names = getattr(self, "feature_names_in_", None)
        series = ([str(names[i]) for i in self.target_index_] if names is not None
                  else list(self.target_column))
        if steps and all(steps) and all(isinstance(c, str) for c in series):
            in_y = list(dict.fromkeys(step.group(1) for step in steps))
            if in_y != series:
                raise ValueError(
                    f"target_column={plain_list(self.target_column)} does not follow the order "
                    f"of the series in y's columns {in_y}; each series' level would be "
                    f"applied to another's targets. Pass target_column={in_y}."
                )

    def _n_holdout(self, n_samples):
        # LSTMRegressor's own early-stopping split, so the rows match
        return validation_size(n_samples, self.validation_fraction)

    # --- public API -------------------------------------------------------

    def fit(self, X, y, sample_weight=None):
        """Scale, window and train on rows at time t and their targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows in time order; row ``t`` holds every feature at time ``t``.

        y : array-like of shape (n_samples,) or (n_samples, horizon)
            Target at ``t+1``, or at ``t+1 .. t+horizon`` for direct
            multi-step forecasting with one ``horizon``-wide head.

        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row's target in the training loss (wide data).
            A row of weight 0 is left out of training, of the scaling of
            ``y``, of early stopping and of calibration, as if its target
            were unknown; it stays in X as the past of the rows after it.
            The held-out rows are the last ``validation_fraction`` of the
            rows with weight > 0; they are never trained on, so their
            weights only decide whether they count.

        Returns
        -------
        self : LSTMForecaster
            The fitted forecaster.
        """
        with all_or_nothing(self):
            return self._fit(X, y, sample_weight)

    def _fit(self, X, y, sample_weight=None):
        self._check_params()
        self._reset()
        check_numeric(X, type(self).__name__)
        if is_long(X) and sample_weight is not None:
            raise ValueError(
                "sample_weight is not supported for long panels (X indexed by series and "
                "time) yet: their windows are sampled, not taken row by row. Drop the rows "
                "to leave out before make_supervised, or fit wide data."
            )
        if is_long(X):
            self.layout_ = "long"
            return fit_long(self, X, y, dict(
                units=self._units(), dropout=self.dropout, learning_rate=self.learning_rate,
                verbose=self.verbose,
            ))
        if self.max_steps != "auto":
            raise ValueError(
                f"max_steps={self.max_steps!r} sets the training of long panels (X indexed "
                "by series and time); wide data trains by epochs: pass epochs=... instead, "
                "or max_steps='auto'."
            )
        self.layout_ = "wide"
        X, y, index = self._validate_wide(X, y)
        # the rows whose targets count (weight > 0): they train, scale y and calibrate
        weights = None if sample_weight is None else check_sample_weight(sample_weight, len(X))
        z = self._fit_scalers(X, y, weights)
        self.windower_ = SequenceWindower(self._sequence_length())
        windows = self._windows(X, index, fit=True)
        self.regressor_ = self._train(windows, z, weights)
        self.history_ = self.regressor_.history_
        self.conformity_scores_ = self._calibrate(X, y, windows, weights)
        return self

    def _reset(self):
        """Forget the previous fit's state (fit puts it back if it fails): a refit on
        the other layout must not leave the first one's attributes behind."""
        params = self.get_params(deep=False)
        for name in [n for n in vars(self) if n not in params
                     and (n.endswith("_") and not n.startswith("__") or n == "_y_ndim")]:
            delattr(self, name)

    def _validate_wide(self, X, y):
        """X and y (2-D), validated once for the whole fit, and X's index."""
        index = index_of(X)
        panel = is_series_list(self.target_column)
        if panel:
            y_names = list(y.columns) if hasattr(y, "columns") else None
            # a ragged panel: series that start late or stop early are NaN
            X = validate_data(self, X, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan")
            y = check_panel_y(X, y)
            self.target_index_ = resolve_target_columns(
                self, self.target_column, self.n_features_in_
            )
            self._check_panel(y, y_names)
        else:
            with np.errstate(over="ignore", invalid="ignore"):  # _check_spans explains overflow
                X, y = validate_data(
                    self, X, y, multi_output=True, y_numeric=True, dtype=FLOAT_DTYPES
                )
            self.target_index_ = resolve_target_column(
                self, self.target_column, self.n_features_in_
            )
        self.n_series_ = len(self.target_index_) if panel else None
        self.y_ndim_ = y.ndim
        y = y.reshape(len(y), -1)
        self.n_outputs_ = y.shape[1]
        check_targets_follow(X, y, self.target_index_, self.target_column,
                             getattr(self, "feature_names_in_", None))
        self.columns_ = _target_first(self.target_index_, self.n_features_in_)
        return X, y, index

    def _fit_scalers(self, X, y, weights=None):
        """Fit the scalers (and the unit of diff) on the training rows; the scaled target.

        The targets of rows of weight 0 count for nothing here, as if unknown (NaN).
        """
        levels = self._levels(X)
        counted = y if weights is None else np.where(weights[:, np.newaxis] > 0, y, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns of a panel
            _check_spans(X, counted, levels, X[:, np.atleast_1d(self.target_index_)])
        _warn_if_one_value_dominates(X, counted, self._feature_names())
        z = y - levels if self.trend in ("last", "diff") else y
        self.diff_scale_ = self._largest_step(X)
        self.scaler_X_ = _fit_scaler(MinMaxScaler(), X)
        # a panel's changes are scaled by their largest size, so that no change
        # stays 0 whatever the series' history: the shared network's neutral
        # output is persistence for every series (measured in benchmarks/panel.md)
        panel_changes = self.n_series_ is not None and self.trend in ("last", "diff")
        z_counted = z if weights is None else np.where(weights[:, np.newaxis] > 0, z, np.nan)
        self.scaler_y_ = _fit_scaler(MaxAbsScaler() if panel_changes else MinMaxScaler(),
                                     z_counted)
        return _scaled(self.scaler_y_, z)

    def _held_out(self, n_samples, weights):
        """The rows that train and the held-out last rows, as ``(start, stop)`` ranges, or
        as positions (increasing) of rows of weight > 0 when there are weights."""
        if weights is None:
            n_train = n_samples - self._n_holdout(n_samples)
            return range(n_train), range(n_train, n_samples)
        rows = np.flatnonzero(weights)
        n_train = len(rows) - self._n_holdout(len(rows))
        return rows[:n_train], rows[n_train:]

    def _train(self, windows, z, weights=None):
        """The fitted LSTMRegressor; it holds out the last rows (see :meth:`_calibrate`)."""
        seed = self.random_state
        if not isinstance(seed, numbers.Integral):
            seed = int(check_random_state(seed).randint(np.iinfo(np.int32).max))
        train, held = self._held_out(len(windows), weights)
        regressor = LSTMRegressor(
            units=self._units(),
            dropout=self.dropout,
            epochs=self.epochs,
            batch_size=self._batch_size(),
            learning_rate=self.learning_rate,
            early_stopping=self.early_stopping and len(held) > 0,
            validation_fraction=self.validation_fraction,
            n_iter_no_change=self.n_iter_no_change,
            random_state=int(seed),
            verbose=self.verbose,
            n_series=self.n_series_,
            series_embedding=self.series_embedding if self.n_series_ else 0,
            # the highway reads the first column: the target (a panel sample's own series)
            highway=1 if self.trend == "highway" else None,
        )
        if self.early_stopping and len(held):
            # LSTMRegressor drops the rows of weight 0 and holds out the same last rows
            return regressor._fit_checked(windows, z, sample_weight=weights)
        train = _rows(train)
        return regressor._fit_checked(windows[train], z[train],
                                      sample_weight=None if weights is None else weights[train])

    def _calibrate(self, X, y, windows, weights=None):
        """Absolute errors on the held-out last rows, from the predictions the loop kept.

        With early stopping the training loop predicted those rows at every
        epoch and kept the best epoch's predictions; without it they are
        predicted once here (never all rows).
        """
        _, held = self._held_out(len(X), weights)
        if not len(held):
            return np.empty((0, self.n_outputs_))
        regressor = self.regressor_
        rows = _rows(held)
        if np.array_equal(regressor.validation_rows_, held):
            z = regressor.validation_predictions_
        else:
            z = regressor._predict_checked(windows[rows])
        pred = self._from_network(z.reshape(len(held), -1), X[rows])
        return np.abs(y[rows] - pred)

    def predict(self, X):
        """Forecast the target for every row of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows in time order, with the columns seen in fit; each row is
            windowed with the rows before it, from X or, for rows that
            continue the training rows, from their end (see
            :class:`SequenceWindower`).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, horizon)
            Shaped like the training ``y``.
        """
        check_is_fitted(self)
        if self._is_long_fit(X):
            return self._shape_like_y(predict_long(self, X))
        X, index = self._validate_X(X)
        return self._shape_like_y(self._predict_raw(X, index))

    def _check_loaded(self):
        """A loaded forecaster's parameters must be those its parts were fitted with.

        Raises ValueError naming what differs (an edited save); called by
        :func:`sklstm.load_estimator`.
        """
        regressor = getattr(self, "regressor_", None)
        if regressor is None:
            return
        fitted = {"units": regressor.units, "dropout": regressor.dropout}
        if getattr(self, "layout_", "wide") == "long":
            length = self.sequence_length_
        else:
            length = self.windower_.sequence_length
        if self.sequence_length != "auto":
            fitted["sequence_length"] = length
        changed = {name: (was, getattr(self, name)) for name, was in fitted.items()
                   if not _same(was, getattr(self, name))}
        check_same_as_fitted(changed, "network")

    def update(self, X):
        """Remember rows of X as the newest past of the rows after them; no training.

        For rows that arrive one at a time (online use, or a tool that
        predicts step by step): predict a row, then ``update`` with it once
        its values are known, and the next row's window holds it. Without
        ``update``, every one-row array is windowed after the end of the
        training rows (with a warning). See :meth:`SequenceWindower.update`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows after the training rows (or after the last update), with
            the columns seen in fit; a DataFrame is placed by its index.

        Returns
        -------
        self : LSTMForecaster
            The forecaster, its windower remembering up to X's last row.
        """
        check_is_fitted(self)
        if getattr(self, "layout_", "wide") == "long":
            raise ValueError(
                "update is not available for long panels, which place every row by its "
                "series and time: pass the history to predict or forecast(..., series=, "
                "time=) instead."
            )
        X, index = self._validate_X(X)
        self.windower_._update_checked(self._window_input(X), index)
        return self

    def _is_long_fit(self, X):
        """Whether the fit was on a long panel; X must then be one too (and vice versa)."""
        long_fit = getattr(self, "layout_", "wide") == "long"
        if long_fit != is_long(X):
            kinds = ("a long panel", "wide rows")
            fitted, given = kinds if long_fit else kinds[::-1]
            raise ValueError(
                f"{type(self).__name__} was fitted on {fitted} but X is {given}; pass X "
                "framed as in fit (make_supervised with or without series= and time=)."
            )
        return long_fit

    def predict_interval(self, X, coverage=0.9):
        """Split-conformal prediction intervals around :meth:`predict`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows in time order, as for :meth:`predict`.

        coverage : float, default=0.9
            Target fraction of future values inside the interval, in (0, 1).

        Returns
        -------
        lower, upper : ndarray, each shaped like :meth:`predict`'s output
            Interval bounds; each horizon step has its own half-width.
        """
        check_is_fitted(self)
        if getattr(self, "layout_", "wide") == "long":
            raise ValueError(
                "predict_interval is not available yet for long panels (the global "
                "network keeps no calibration rows); use predict, or fit on wide data."
            )
        check_fraction(
            "coverage", coverage, low_inclusive=False,
            fix="e.g. coverage=0.9 for a 90% interval",
        )
        scores = self.conformity_scores_
        # per output: a ragged panel's unknown targets (NaN) calibrate nothing
        n_known = np.isfinite(scores).sum(axis=0) if scores.size else np.zeros(1, dtype=int)
        n_cal = int(n_known.max())
        rank = conformal_rank(n_cal, coverage)
        if rank > n_cal:
            raise ValueError(
                f"predict_interval(coverage={coverage}) needs at least "
                f"{calibration_size(coverage)} held-out calibration rows, "
                f"but fit kept {n_cal} (validation_fraction={self.validation_fraction} "
                "of the training rows); fit on more rows, raise "
                "validation_fraction or lower coverage."
            )
        ranks = np.array([conformal_rank(int(n), coverage) for n in n_known])
        enough = ranks <= n_known
        if not enough.all():
            warnings.warn(
                f"{int((~enough).sum())} output(s) of y have fewer than "
                f"{calibration_size(coverage)} known calibration rows for "
                f"coverage={coverage} (their series is unknown at the end of the training "
                "rows): their bounds are NaN.",
                UserWarning, stacklevel=2,
            )
        ordered = np.sort(scores, axis=0)  # NaN last
        half_width = np.where(enough, ordered[np.minimum(ranks, len(scores)) - 1,
                                              np.arange(scores.shape[1])], np.nan)
        X, index = self._validate_X(X)
        y = self._predict_raw(X, index)
        return self._shape_like_y(y - half_width), self._shape_like_y(y + half_width)

    def score(self, X, y, sample_weight=None):
        """R² of the predictions; for a panel, over each output's known targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows in time order, as for :meth:`predict`.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True targets; for a panel, NaN marks an unknown value, left out.

        sample_weight : array-like of shape (n_samples,), default=None
            Per-row weights.

        Returns
        -------
        score : float
            R² (averaged over the outputs, as scikit-learn does).
        """
        check_is_fitted(self)
        if self._is_long_fit(X):
            return score_long(self, X, y, sample_weight)
        if getattr(self, "n_series_", None) is None:
            return super().score(X, y, sample_weight=sample_weight)
        return known_targets_r2(y, self.predict(X), sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        # a few epochs on the checks' tiny i.i.d. data need not reach R^2 > 0.5
        tags.regressor_tags.poor_score = True
        tags.non_deterministic = keras.backend.backend() != "jax"
        return tags
