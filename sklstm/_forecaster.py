"""LSTMForecaster: sklstm's forecasting recipe as one scikit-learn regressor."""

import numbers
import warnings

import keras
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from . import _legacy, _recipe
from ._baselines import resolve_target_column, resolve_target_columns
from ._checks import (
    FLOAT_DTYPES, _when, NONE, SEASONS, SHARED_CONSTRAINTS, Interval, Options, as_units,
    check_array,
    check_fraction, check_numeric, check_same_as_fitted, check_sample_weight, check_spans,
    check_time_order, shared_constraints, validate_data, validate_params,
)
from ._clock import index_of
from ._conformal import calibration_size, conformal_rank
from ._layouts import (
    is_long, long_fit, long_rows, memory_of, series_targets, wide_fit, wide_outputs, wide_rows,
)
from ._series import (
    check_outputs_per_series, check_targets_follow, is_series_list, known_targets_r2, plain_list,
)
from ._state import PlainState, all_or_nothing, same_value

DEPRECATED = "deprecated"  # the default of a deprecated parameter

#: Parameters that no longer apply: what became of each, named in its FutureWarning.
DEPRECATIONS = {
    "trend": "every window is now taken relative to its last value, and the network learns "
             "the correction of a simple forecast (what trend='diff' did), for every shape of "
             "data; trend has no effect. Remove it",
    "epochs": "training is counted in gradient steps for every shape of data; epochs=N is "
              "read as N passes over the training windows. Pass max_steps=... instead",
    "series_embedding": "every window is scaled by itself, so the series need no learned "
                        "vector to be told apart; series_embedding has no effect. Remove it",
}
TRENDS = ("none", "last", "diff", "highway")


class LSTMForecaster(PlainState, RegressorMixin, BaseEstimator):
    """sklstm's forecasting recipe as one scikit-learn regressor, for every shape of data.

    ``fit(X, y)`` takes rows at time ``t`` (every feature, exogenous columns
    included, e.g. from :func:`make_supervised`) and the targets at
    ``t+1`` (1-D ``y``) or ``t+1 .. t+h`` (2-D ``y``: direct multi-step).
    X may hold one series (wide rows, ``target_column`` naming it), several
    aligned series (wide rows, ``target_column`` listing them) or a long
    panel (X indexed by ``(series, time)``, from ``make_supervised(data,
    target, series=..., time=...)``). Inside, every shape is a panel of
    series and one recipe learns them all with one global LSTM:

    - each window is scaled by itself (relative to its last value, in units
      of its mean absolute one-step change);
    - the network learns the correction to the best simple forecast of the
      training windows (the last value, seasonal means or medians, a robust
      linear autoregression), and reads long seasonal windows a season per
      LSTM step;
    - a series above 0 throughout training is forecast no lower than the
      lowest value of the window read;
    - training is a budget of gradient steps on sampled windows;
    - each series' latest windows are held out: they calibrate
      :meth:`predict_interval` (and can stop training early).

    Every parameter is flat, so a grid search can tune them::

        GridSearchCV(LSTMForecaster(), {"sequence_length": [14, 28],
                                        "units": [32, 64]},
                     cv=TimeSeriesSplit(5))

    Parameters
    ----------
    sequence_length : int or "auto", default="auto"
        Time steps of history in each window. "auto": the longest of two
        seasons, four horizons and 14 steps, in whole seasons, cut to the
        shortest series (but not below one horizon). Of several seasons, the
        longest that the data show counts: a longer one where at least a
        quarter of the series repeat on it once the smaller season's cycle
        is taken out (a week of hours doubles the window, which costs
        accuracy on data with no weekly cycle).

    units : int, tuple of int or "auto", default="auto"
        LSTM state size; a tuple stacks LSTM layers. "auto": 64, or 128
        where the "auto" budget of a large panel is 3000 steps or more (a
        long budget pays a larger network: ``benchmarks/m4.md``).

    season_length : int, tuple of int or None, default=None
        Steps per season (24 for hourly data with a daily cycle, 12 for
        monthly, 52 for weekly), as statsforecast's ``season_length``; a
        tuple gives several, e.g. ``(24, 168)`` for a day and a week of
        hours (``365.25`` is read as 365 steps). It sets the window's length
        ("auto": two of the longest season the data show), offers seasonal simple forecasts
        (the last season, the mean or median of the last few, for each
        season) for the network to correct, and lets the LSTM read long
        windows a season (the shortest) per step. None for no season.

    target_column : int, str or list of them, default=0
        Column of X holding the series being forecast (its value at ``t``):
        an int position, or a column name when X is a DataFrame. A list
        names several aligned series of wide rows (a panel, e.g. from
        ``make_supervised(data, target=[...])``): ``y`` then holds one column
        per series and horizon step, series-major, and NaN marks unknown
        values (series that start late or stop early). For a long panel, the
        column of values (the other columns are exogenous).

    max_steps : int or "auto", default="auto"
        At most this many gradient steps per training; ``n_steps_`` says how
        many were taken. "auto" fits the panel: 4 passes over the windows of
        a large panel, at least 1000 steps and at most 9000, and no more
        than 1000 steps cost on windows of 52 LSTM steps (a window read a
        season per step takes more); a small panel stops at 40 passes if
        that is fewer, and a large one, whose 4 passes take 3000 steps or
        more, takes all of that most (more passes overfit a panel of 60,000
        windows, not one of 280,000). Where the steps "auto" wants (4
        passes, or all 9000 for a large panel) would cost more than that
        (long windows on a large panel, as M4 Weekly's 52 weeks), the
        LSTM reads several steps of the window at once, in 4 to 16 LSTM
        steps where a whole number of steps divides the window that way; a
        window already read a season per step reads as many whole seasons
        per step as the steps need, or as it can, in at least 4 LSTM steps
        (8 days or two weeks of hours: two days per step). ``fold_`` says
        how many. The windows are sampled from
        every series (``max_steps * batch_size`` of them, at most 262,144); a
        panel with fewer windows is passed over several whole times. The
        cost follows the steps, not the size of the panel.

    batch_size : int or "auto", default="auto"
        Windows per gradient step; "auto" is 256.

    learning_rate : float, default=0.003
        Adam step size, annealed along half a cosine to 0 over the steps.

    dropout : float, default=0.0
        Fraction of LSTM inputs dropped while training.

    early_stopping : bool, default=False
        Stop when the loss on the held-out windows (see
        ``validation_fraction``) has not improved for ``n_iter_no_change``
        passes over the training windows, and keep the best weights; the
        untrained network (the simple forecast alone) competes too. Off by
        default: the budget of steps with its annealed step size did as well
        on single series and better on panels, whose few held-out windows
        are a noisy guide (``benchmarks/m4.md``).

    validation_fraction : float, default=0.1
        The windows held out of training, which calibrate :meth:`predict_interval`
        (and stop training early, with ``early_stopping``): this fraction of
        a typical series' windows, taken from the end of every series, the
        same number from each and at least one (a single series of 1,300
        rows holds out its last 130; a panel of 400 series one window each).
        The windows whose targets reach the held-out ones are not trained on
        either; where they are more than 8% of the windows (short series,
        long horizons: 11 of every 96 for 12 months ahead of 10 years) and
        ``early_stopping`` is off, the network that forecasts is trained
        again, on every window, after the first one has calibrated the
        intervals: twice the steps, for the newest data.

    n_iter_no_change : int, default=10
        Patience of early stopping, in passes over the training windows.

    random_state : int, RandomState or None, default=None
        Seeds the network and the sampling of windows; an int gives
        reproducible fits.

    verbose : int, default=0
        1 shows a progress bar over the passes.

    trend : str, default="deprecated"
        Deprecated in 0.3, removed in 0.5: it has no effect.

    epochs : int, default="deprecated"
        Deprecated in 0.3, removed in 0.5: use ``max_steps``; ``epochs=N``
        is read as N passes over the training windows.

    series_embedding : int, default="deprecated"
        Deprecated in 0.3, removed in 0.5: it has no effect.

    Attributes
    ----------
    layout_ : {"wide", "long"}
        Whether fit saw wide rows or a long panel (X indexed by series and
        time): how X and ``y`` map to the panel of series, nothing more.

    model_ : keras.Model
        The trained network.

    history_ : dict of str to list of float
        Loss per pass over the training windows (``"loss"``; with
        ``early_stopping``, ``"val_loss"`` on the held-out windows too).

    n_steps_ : int
        The gradient steps trained (both trainings, where the network is
        trained again on every window; see ``validation_fraction``).

    sequence_length_ : int
        The window length used (``sequence_length`` resolved).

    fold_ : int
        Time steps the LSTM reads at once: the season, when the window holds
        whole seasons of 96 steps or more, else 1; or several seasons or
        steps where the "auto" budget's cost needs it (see ``max_steps``).

    simple_forecast_ : dict
        The simple forecast whose correction the network learns (the best
        on the latest training windows of: the last value, the mean or
        median of the last few seasons, a robust linear autoregression):
        ``{"kind": "last"}``, ``{"kind": "mean" or "median", "season": m,
        "n_seasons": k}`` or ``{"kind": "linear", "fit": "robust" or "least
        squares", "coef": array}``.

    conformity_scores_ : ndarray of shape (n_calibration, horizon)
        Absolute errors on the held-out windows, in units of each window's
        own changes, for :meth:`predict_interval`.

    series_scale_ : ndarray of shape (n_series,)
        Each series' mean absolute one-step change in training (0 for a
        constant series): the unit of a flat window, and of :meth:`score`
        on a long panel.

    series_drift_ : ndarray of shape (n_series,)
        Each series' mean one-step change in training, which the linear
        simple forecast reads (in each window's unit).

    series_log_ : ndarray of bool of shape (n_series,)
        The series learned and forecast in logs (positive series, where the
        recipe does so; ``series_scale_`` and ``series_drift_`` are then of
        their logs).

    series_positive_ : ndarray of bool of shape (n_series,)
        The series whose every training value and target is above 0: their
        forecasts never fall below the lowest value of the window they read.

    series_ : ndarray
        The series: ids of a long panel, or the target column(s) of wide rows.

    n_series_ : int or None
        Number of series of a panel (a list ``target_column``, or a long
        panel), else None.

    clock_ : tuple or None
        How rows are placed in time: ``("int", step)``, ``("date", freq,
        tz)`` or ``("period", freq)``; None for wide rows placed by position.

    memory_ : dict
        Each series' rows of its last ``sequence_length_`` steps (``codes``,
        ``times``, ``values``), the past of rows that continue the training
        rows, and for wide rows what places later rows without labels.

    columns_ : ndarray of int
        X's columns in the network's order: the target first (a panel's
        series), then the others.

    target_index_ : int or ndarray of int
        Position of ``target_column`` in X (one per series for wide panels).

    n_outputs_ : int
        Width of ``y`` (1 for 1-D ``y``).

    y_ndim_ : int
        Number of dimensions of ``y`` seen in fit; predict returns the same.

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
    PanelSplit : Cross-validation on the next steps of every series.

    Notes
    -----
    **Honest cross-validation, by one rule.** The forecaster never trains on
    a target whose time lies after the step that follows its training rows'
    last one (X carries the times: its index, or positions): in a
    ``TimeSeriesSplit`` or :class:`PanelSplit` fold, the training rows' last
    targets are the test rows' targets, and changing them changes nothing.
    And ``predict`` windows each row with the rows before it, and rows that
    continue the training rows with the remembered end of those rows:
    ``predict(X_test)`` equals ``predict(X_full)[test]``, with no gap.

    Prediction intervals are split-conformal: the absolute errors on the
    held-out windows, in units of each window's changes, give per horizon
    step the half-width that covers ``coverage`` of them (with the
    finite-sample correction), scaled by the new window's own unit. Those
    windows also choose the stopping pass, which makes the intervals very
    slightly optimistic.

    A DataFrame is placed in time by its index (integers on a regular step,
    dates, periods), an array by position: an array that begins with the
    first training row starts anew, any other continues the training rows
    (see :class:`SequenceWindower`); :meth:`update` moves the remembered end
    forward for rows that arrive one at a time. A fit that raises (or is
    interrupted) leaves the previous fitted state.

    The defaults were chosen by measurement on single series, wide and long
    panels (``benchmarks/m4.md``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import LSTMForecaster
    >>> series = np.sin(np.arange(120.0) / 5)
    >>> X, y = series[:-1].reshape(-1, 1), series[1:]
    >>> model = LSTMForecaster(sequence_length=5, units=4, max_steps=20, random_state=0)
    >>> model.fit(X, y).predict(X).shape
    (119,)
    >>> lower, upper = model.predict_interval(X, coverage=0.8)
    >>> bool(np.all(lower <= upper))
    True
    """

    _parameter_constraints = shared_constraints(
        "target_column", "learning_rate", "dropout", "early_stopping", "validation_fraction",
        "n_iter_no_change", "random_state", "verbose",
        sequence_length=[Interval(numbers.Integral, 1, None), Options("auto")],
        units=[*SHARED_CONSTRAINTS["units"], Options("auto")],
        season_length=[NONE, SEASONS],
        max_steps=[Options("auto"), Interval(numbers.Integral, 1, None)],
        batch_size=[*SHARED_CONSTRAINTS["batch_size"], Options("auto")],
        trend=[Options(DEPRECATED, *TRENDS)],
        epochs=[Options(DEPRECATED), *SHARED_CONSTRAINTS["epochs"]],
        series_embedding=[Options(DEPRECATED), *SHARED_CONSTRAINTS["series_embedding"]],
    )
    _nan_hint = None
    _parameter_hints = {
        "sequence_length": "pass the number of past time steps per window, e.g. 14, or 'auto'",
        "season_length": "e.g. season_length=24 for hourly data, or (24, 168) for a day and a "
                         "week, or None",
        "epochs": "pass max_steps=... instead (epochs is deprecated)",
        "trend": "remove it (trend is deprecated and has no effect)",
        "series_embedding": "remove it (series_embedding is deprecated and has no effect)",
    }

    def __init__(
        self,
        sequence_length="auto",
        units="auto",
        *,
        season_length=None,
        target_column=0,
        series_embedding=DEPRECATED,
        trend=DEPRECATED,
        epochs=DEPRECATED,
        max_steps="auto",
        batch_size="auto",
        learning_rate=0.003,
        dropout=0.0,
        early_stopping=False,
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

    # --- fit --------------------------------------------------------------------------

    def fit(self, X, y, sample_weight=None):
        """Frame every shape as a panel of series and train the one recipe on it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or DataFrame indexed by (series, time)
            Rows in time order; row ``t`` holds every feature at time ``t``.
            NaN marks an unknown value (masked in the windows).

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target at ``t+1``, or at ``t+1 .. t+horizon`` for direct
            multi-step forecasting with one ``horizon``-wide head (for wide
            panels, one such block per series); NaN marks an unknown target.

        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row's targets in the training loss. A row of
            weight 0 is left out of training and of the held-out windows, as
            if its targets were unknown; it stays in X as the past of the
            rows after it.

        Returns
        -------
        self : LSTMForecaster
            The fitted forecaster.
        """
        with all_or_nothing(self):
            return self._fit(X, y, sample_weight)

    def _fit(self, X, y, sample_weight=None):
        validate_params(self)
        self._reset()
        self._warn_of_deprecated_parameters()
        check_numeric(X, type(self).__name__)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None; "
                "pass the values to forecast, e.g. from make_supervised."
            )
        if is_long(X):
            panel, y, weights, times, facts = self._long_input(X, y, sample_weight)
        elif isinstance(getattr(y, "index", None), pd.MultiIndex):
            raise ValueError(
                f"{type(self).__name__}: y is indexed by {list(y.index.names)} (a long panel) "
                f"but X is {type(X).__name__}, without that index: a step before the forecaster "
                "turned the long panel into an array, whose rows would read as one series. Keep "
                "the index, e.g. pipeline.set_output(transform='pandas'), or pass X as "
                "make_supervised(..., series=, time=) gave it."
            )
        else:
            panel, y, weights, times, facts = self._wide_input(X, y, sample_weight)
        fitted = _recipe.fit(panel, y, weights, self._settings(), owner=type(self).__name__)
        self.model_ = fitted.model
        self.history_ = fitted.history
        self.n_steps_ = fitted.n_steps
        self.sequence_length_ = fitted.sequence_length
        self.fold_ = fitted.fold
        self.simple_forecast_ = fitted.simple_forecast
        self.conformity_scores_ = fitted.conformity_scores
        self.series_scale_ = fitted.series_scale
        self.series_drift_ = fitted.series_drift
        self.series_log_ = fitted.series_log
        self.series_positive_ = fitted.series_positive
        self.memory_ = memory_of(panel, times, self.sequence_length_, facts)
        return self

    def _reset(self):
        """Forget the previous fit's state (fit puts it back if it fails)."""
        params = self.get_params(deep=False)
        for name in [n for n in vars(self) if n not in params
                     and (n.endswith("_") and not n.startswith("__") or n == "_y_ndim")]:
            delattr(self, name)

    def _warn_of_deprecated_parameters(self):
        for name, why in DEPRECATIONS.items():
            if getattr(self, name) != DEPRECATED:
                warnings.warn(
                    f"{name}={getattr(self, name)!r} was deprecated in sklstm 0.3 and will be "
                    f"removed in 0.5: {why}.", FutureWarning, stacklevel=4,
                )
        if self.epochs != DEPRECATED and self.max_steps != "auto":
            raise ValueError(
                f"epochs={self.epochs} and max_steps={self.max_steps} both set the training "
                "budget; pass only max_steps (epochs is deprecated)."
            )

    def _settings(self):
        seed = self.random_state
        if not isinstance(seed, numbers.Integral):
            seed = int(check_random_state(seed).randint(np.iinfo(np.int32).max))
        return _recipe.Settings(
            sequence_length=self.sequence_length,
            units="auto" if self.units == "auto" else as_units(self.units),
            season_length=self.season_length,
            max_steps=self.max_steps,
            batch_size=(_recipe.AUTO_BATCH_SIZE if self.batch_size == "auto"
                        else int(self.batch_size)),
            learning_rate=float(self.learning_rate),
            dropout=float(self.dropout),
            early_stopping=bool(self.early_stopping),
            validation_fraction=float(self.validation_fraction),
            n_iter_no_change=int(self.n_iter_no_change),
            seed=int(seed),
            verbose=int(self.verbose),
            passes=None if self.epochs == DEPRECATED else int(self.epochs),
        )

    def _check_y(self, x_index, y, n_rows):
        """y as floats (NaN: an unknown target) of X's rows (labelled ``x_index``), in X's order."""
        y_index = index_of(y)
        if (x_index is not None and y_index is not None and len(x_index) == len(y_index)
                and not x_index.equals(y_index) and x_index.sort_values().equals(
                    y_index.sort_values())):
            raise ValueError(
                f"{type(self).__name__}: y's rows are in another order than X's (same index "
                "labels, another order), so each row would be paired with another row's "
                "targets; pass y.loc[X.index]."
            )
        y = check_array(y, owner=type(self).__name__, ensure_2d=False, dtype=FLOAT_DTYPES,
                        ensure_all_finite="allow-nan", input_name="y")
        if len(y) != n_rows:
            raise ValueError(
                f"{type(self).__name__}: X has {n_rows} rows but y has {len(y)}; pass y of "
                "X's rows (make_supervised gives both)."
            )
        if y.ndim > 2:
            raise ValueError(f"y must be 1-D or 2-D, got {y.ndim} dimensions.")
        self.y_ndim_ = y.ndim
        return y.reshape(len(y), -1)

    def _check_spans(self, values, y):
        """Refuse finite data whose changes overflow float64 (scaling would give inf or NaN).

        A difference of two values overflows only where one of them exceeds half of
        float64's largest value: below that, nothing is computed (y is the largest array).
        """
        half = np.finfo(np.float64).max / 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
            largest = max(max(np.nanmax(a, initial=0.0), -np.nanmin(a, initial=0.0))
                          for a in (values, y))  # without a copy of y
            if not largest > half:
                return
        with np.errstate(over="ignore", invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            changes = y - values[:, :1]
            spans = {
                "the range of X": np.nanmax(values, axis=0) - np.nanmin(values, axis=0),
                "one-step changes of target_column": np.diff(values[:, :1], axis=0),
                "the range of y": np.nanmax(y, axis=0) - np.nanmin(y, axis=0),
                "y minus the last value of target_column": changes,
                "the range of y minus the last value": (np.nanmax(changes, axis=0)
                                                        - np.nanmin(changes, axis=0)),
            }
        check_spans(spans, {"X": values, "y": y})

    def _wide_input(self, X, y, sample_weight):
        owner = type(self).__name__
        index = index_of(X)
        panel_targets = is_series_list(self.target_column)
        y_names = list(y.columns) if hasattr(y, "columns") else None
        X = validate_data(self, X, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan")
        if index is not None and len(index) != len(X):
            index = None
        if index is not None:
            check_time_order(index, "the index of X", fix="sort it, e.g. X.sort_index()")
        y = self._check_y(index, y, len(X))
        if panel_targets:
            targets = resolve_target_columns(self, self.target_column, self.n_features_in_)
            check_outputs_per_series(y.shape[1], len(targets),
                                     f" for target_column's {len(targets)} series;")
            self._check_series_order(targets, y_names)
            self.target_index_, self.n_series_ = targets, len(targets)
        else:
            self.target_index_ = resolve_target_column(self, self.target_column,
                                                       self.n_features_in_)
            targets, self.n_series_ = np.array([self.target_index_]), None
        check_targets_follow(X, y, self.target_index_, self.target_column,
                             getattr(self, "feature_names_in_", None))
        self.layout_ = "wide"
        self.n_outputs_ = y.shape[1]
        self.columns_ = np.r_[targets, np.setdiff1d(np.arange(self.n_features_in_), targets)]
        names = getattr(self, "feature_names_in_", None)
        self.series_ = np.asarray([names[t] if names is not None else int(t) for t in targets],
                                  dtype=object if names is not None else np.int64)
        k = len(targets)
        weights = None
        if sample_weight is not None:
            weights = np.tile(check_sample_weight(sample_weight, len(X)), k)
        panel, self.clock_, times, facts = wide_fit(X, index, targets)
        y = series_targets(y, k)
        self._check_spans(panel.values, y)
        if self.clock_ is None and facts["index_reason"] is not None \
                and index.dtype.kind in "iufM":
            warnings.warn(
                f"{owner} cannot place X's rows in time by its index "
                f"({facts['index_reason']}), so each window holds the rows before it, "
                "whatever time lies between them.", UserWarning, stacklevel=4,
            )
        return panel, y, weights, times, facts

    def _check_series_order(self, targets, y_names):
        """y named by make_supervised (<series>_t+<k>) must follow target_column's order."""
        import re

        steps = [re.fullmatch(r"(.*)_t\+\d+", str(name)) for name in y_names or []]
        names = getattr(self, "feature_names_in_", None)
        series = ([str(names[i]) for i in targets] if names is not None
                  else list(self.target_column))
        if steps and all(steps) and all(isinstance(c, str) for c in series):
            in_y = list(dict.fromkeys(step.group(1) for step in steps))
            if in_y != series:
                raise ValueError(
                    f"target_column={plain_list(self.target_column)} does not follow the order "
                    f"of the series in y's columns {in_y}; each series' level would be "
                    f"applied to another's targets. Pass target_column={in_y}."
                )

    def _long_input(self, X, y, sample_weight):
        owner = type(self).__name__
        _check_long_index(X, owner)
        index = X.index
        values = validate_data(self, X, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan")
        y = self._check_y(index, y, len(values))
        target = resolve_target_column(self, self.target_column, values.shape[1])
        self.columns_ = np.r_[target, np.setdiff1d(np.arange(values.shape[1]), [target])]
        values = values[:, self.columns_]
        self._check_spans(values, y)
        panel, self.clock_, times, self.series_, order = long_fit(values, index, owner=owner)
        weights = None
        if sample_weight is not None:
            weights = check_sample_weight(sample_weight, len(values))[order]
        self.layout_ = "long"
        self.target_index_ = target
        self.n_series_ = len(self.series_)
        self.n_outputs_ = y.shape[1]
        self.series_name_, self.time_name_ = index.names
        return panel, y[order], weights, times, None

    # --- predict ------------------------------------------------------------------------

    def _rows(self, X, *, update=False):
        """X's rows after the memory: ``(panel, times, rows)``, ``rows`` in X's order per series."""
        owner = type(self).__name__
        self._check_same_layout(X)
        check_numeric(X, owner)
        if self.layout_ == "long":
            _check_long_index(X, owner)
            values = validate_data(self, X, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan",
                                   reset=False)[:, self.columns_]
            return long_rows(values, X.index, self.memory_, self.clock_, self.series_,
                             owner=owner, update=update)
        index = index_of(X)
        values = validate_data(self, X, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan",
                               reset=False)
        if index is not None and len(index) != len(values):
            index = None
        if index is not None:
            check_time_order(index, "the index of X", fix="sort it, e.g. X.sort_index()")
        return wide_rows(values, index, self._targets(), self.memory_, self.clock_,
                         owner=owner, update=update)

    def _targets(self):
        return np.atleast_1d(self.target_index_)

    def _check_same_layout(self, X):
        """A model fitted on a long panel predicts long panels, one fitted on wide rows wide rows."""
        if (self.layout_ == "long") != is_long(X):
            kinds = ("a long panel (X indexed by series and time)", "wide rows")
            fitted, given = kinds if self.layout_ == "long" else kinds[::-1]
            raise ValueError(
                f"{type(self).__name__} was fitted on {fitted} but X is {given}; pass X "
                "framed as in fit (make_supervised with or without series= and time=)."
            )

    def _forecast_rows(self, panel, rows, half=None):
        """The forecasts of ``rows`` of ``panel``, and with ``half`` (a half-width per step, in
        units of a window's changes) their bounds: ``(pred, lower, upper)``."""
        codes = panel.codes[rows]
        return _recipe.predict(
            self.model_, panel, rows, sequence_length=self.sequence_length_, fold=self.fold_,
            simple_forecast=self.simple_forecast_,
            series_scale=self._of_series(self.series_scale_, codes),
            series_drift=self._of_series(getattr(self, "series_drift_", None), codes),
            series_log=self._of_series(getattr(self, "series_log_", None), codes) > 0,
            series_positive=self._of_series(getattr(self, "series_positive_", None), codes) > 0,
            half=half,
        )

    @staticmethod
    def _of_series(values, codes):
        """Per-series fitted ``values`` for rows of series ``codes`` (0 for series not fitted)."""
        if values is None:  # fitted by sklstm 0.2, before series drifts
            return np.zeros(len(codes))
        known = len(values)
        return np.where(codes < known, values[np.minimum(codes, known - 1)], 0.0)

    def _outputs(self, values):
        """Panel rows' values (one per series and X row) in the shape of y's rows."""
        if self.layout_ == "long":
            return values
        return wide_outputs(values, len(self._targets()))

    def _shape_like_y(self, y):
        y_ndim = getattr(self, "y_ndim_", None) or self._y_ndim  # 0.2 named it _y_ndim
        return y[:, 0] if y_ndim == 1 else y

    def predict(self, X):
        """Forecast the target for every row of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or DataFrame indexed by (series, time)
            Rows with the columns seen in fit, in time order; each row is
            windowed with the rows before it, from X or, for rows that
            continue the training rows, from their remembered end.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Shaped like the training ``y``.
        """
        check_is_fitted(self)
        if _legacy.is_wide_0_2(self):
            values, index = self._legacy_X(X)
            return self._shape_like_y(_legacy.predict(self, values, index))
        panel, _, rows = self._rows(X)
        self._warn_of_unknown_values(X, panel, rows)
        pred, _, _ = self._forecast_rows(panel, rows)
        return self._shape_like_y(self._outputs(pred))

    def _legacy_X(self, X):
        index = index_of(X)
        finite = "allow-nan" if self.n_series_ is not None else True
        values = validate_data(self, X, dtype=FLOAT_DTYPES, reset=False, ensure_all_finite=finite)
        return values, index if index is None or len(index) == len(values) else None

    def predict_interval(self, X, coverage=0.9):
        """Split-conformal prediction intervals around :meth:`predict`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or DataFrame indexed by (series, time)
            Rows as for :meth:`predict`.

        coverage : float, default=0.9
            Target fraction of future values inside the interval, in (0, 1).

        Returns
        -------
        lower, upper : ndarray, each shaped like :meth:`predict`'s output
            Interval bounds; each horizon step has its own half-width, in
            units of each window's own changes.
        """
        check_is_fitted(self)
        check_fraction("coverage", coverage, low_inclusive=False,
                       fix="e.g. coverage=0.9 for a 90% interval")
        if _legacy.is_wide_0_2(self):
            values, index = self._legacy_X(X)
            half = _legacy.half_widths(self, coverage)
            y = _legacy.predict(self, values, index)
            return self._shape_like_y(y - half), self._shape_like_y(y + half)
        half = self._half_width(coverage)
        panel, _, rows = self._rows(X)
        _, lower, upper = self._forecast_rows(panel, rows, half)
        return self._shape_like_y(self._outputs(lower)), self._shape_like_y(self._outputs(upper))

    def predict_last(self, X, coverage=None):
        """Forecast from the last row of each series of X only; the other rows are its past.

        What :func:`forecast` asks of the forecaster: every series' next
        ``n_outputs_`` values from its latest row, without predicting the
        rows before it (they only fill its window).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or DataFrame indexed by (series, time)
            The latest rows of each series, at least its window's worth
            unless they continue the training rows.

        coverage : float or None, default=None
            If given, also return the bounds of a ``coverage`` interval.

        Returns
        -------
        y_pred : ndarray of shape (n_series, horizon)
            One row per series: for a long panel in the order the series
            first appear in X, for wide rows the series of
            ``target_column`` in their order (``horizon`` values each).

        lower, upper : ndarray shaped like ``y_pred``
            Only with ``coverage``.
        """
        check_is_fitted(self)
        if coverage is not None:
            check_fraction("coverage", coverage, low_inclusive=False,
                           fix="e.g. coverage=0.9 for a 90% interval, or None")
        if _legacy.is_wide_0_2(self):
            values, index = self._legacy_X(X)
            tail = _legacy.predict(self, values, index)[-1:]
            pred = tail.reshape(len(self._targets()), -1)
            if coverage is None:
                return pred
            half = _legacy.half_widths(self, coverage).reshape(pred.shape)
            return pred, pred - half, pred + half
        half = None if coverage is None else self._half_width(coverage)
        panel, _, rows = self._rows(X)
        if self.layout_ == "long":
            codes = panel.codes[rows]
            _, first = np.unique(codes, return_index=True)
            order = codes[np.sort(first)]  # series in order of first appearance
            last = np.full(panel.n_series, -1)
            np.maximum.at(last, codes, rows)
            rows = last[order]
            names = np.asarray(X.index.get_level_values(0))[np.sort(first)]
        else:
            n = len(rows) // len(self._targets())
            rows = rows[n - 1::n]
            names = self.series_
        self._warn_of_unknown_last_values(panel, rows, names)
        pred, lower, upper = self._forecast_rows(panel, rows, half)
        return pred if half is None else (pred, lower, upper)

    def _warn_of_unknown_values(self, X, panel, rows):
        """Say which rows have no forecast: their own value of the target is unknown (NaN)."""
        unknown = np.isnan(panel.values[rows, 0])
        if not unknown.any():
            return
        n = len(X)
        at = int(np.flatnonzero(unknown)[0]) % n
        label = index_of(X)
        where = f"row {at}" + ("" if label is None else f" ({_when(label[at])})")
        warnings.warn(
            f"{int(unknown.sum())} row(s) of X have no value of target_column (NaN), so their "
            f"forecasts are NaN: the first at {where}. Fill the values (e.g. X.ffill()) to "
            "forecast from them.", UserWarning, stacklevel=3,
        )

    def _warn_of_unknown_last_values(self, panel, rows, names):
        unknown = np.flatnonzero(np.isnan(panel.values[rows, 0]))
        if len(unknown):
            shown = [n.item() if isinstance(n, np.generic) else n for n in names[unknown][:5]]
            warnings.warn(
                f"{len(unknown)} series have no value (NaN) at their last row, so their "
                f"forecasts are NaN: {shown}; fill the last values (e.g. data.ffill()) or "
                "drop those rows, so that each series ends on a known value.",
                UserWarning, stacklevel=3,
            )

    def _half_width(self, coverage):
        """Each horizon step's conformal half-width, in units of a window's changes."""
        scores = self.conformity_scores_
        n_cal = len(scores)
        rank = conformal_rank(n_cal, coverage)
        if rank > n_cal:
            raise ValueError(
                f"predict_interval(coverage={coverage}) needs at least "
                f"{calibration_size(coverage)} held-out windows to calibrate on, but fit kept "
                f"{n_cal} (validation_fraction={self.validation_fraction} of the windows, "
                f"from the end of each series); fit on more rows, raise validation_fraction "
                "or lower coverage."
            )
        return np.sort(scores, axis=0)[rank - 1]

    def update(self, X):
        """Remember rows of X as the newest past of the rows after them; no training.

        For rows that arrive one at a time (online use, or a tool that
        predicts step by step): predict a row, then ``update`` with it once
        its values are known, and the next row's window holds it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or DataFrame indexed by (series, time)
            The rows after the training rows (or after the last update), with
            the columns seen in fit; a DataFrame is placed by its index.

        Returns
        -------
        self : LSTMForecaster
            The forecaster, remembering up to X's last row.
        """
        check_is_fitted(self)
        if _legacy.is_wide_0_2(self):
            values, index = self._legacy_X(X)
            _legacy.update(self, values, index)
            return self
        panel, times, rows = self._rows(X, update=True)
        facts = {k: v for k, v in self.memory_.items() if k not in ("codes", "times", "values")}
        if "updated" in facts:
            facts["updated"] = True
        self.memory_ = memory_of(panel, times, self.sequence_length_, facts)
        return self

    def score(self, X, y, sample_weight=None):
        """R² of the predictions: over each output's known targets; on a long panel over
        every series and step, each series in units of its own changes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or DataFrame indexed by (series, time)
            Rows as for :meth:`predict`.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True targets; NaN marks an unknown value, left out.

        sample_weight : array-like of shape (n_samples,), default=None
            Per-row weights.

        Returns
        -------
        score : float
            R² (averaged over the outputs, as scikit-learn does).
        """
        from sklearn.metrics import r2_score

        check_is_fitted(self)
        if getattr(self, "layout_", "wide") != "long":
            if getattr(self, "n_series_", None) is None and not np.isnan(
                    np.asarray(y, dtype=float)).any():
                return super().score(X, y, sample_weight=sample_weight)
            return known_targets_r2(y, self.predict(X), sample_weight)
        y = np.asarray(y, dtype=float).reshape(len(X), -1)
        pred = self.predict(X).reshape(y.shape)
        panel, _, rows = self._rows(X)
        known = len(self.series_scale_)
        codes = panel.codes[rows]
        unit = np.where(codes < known, self.series_scale_[np.minimum(codes, known - 1)], 1.0)
        unit = np.where(unit > 0, unit, 1.0)[:, None]
        keep = np.isfinite(y).all(axis=1) & np.isfinite(pred).all(axis=1)
        weight = None if sample_weight is None else np.asarray(sample_weight)[keep]
        return r2_score(y[keep] / unit[keep], pred[keep] / unit[keep], sample_weight=weight)

    # --- loading ------------------------------------------------------------------------

    def __setstate__(self, state):
        super().__setstate__(state)
        self._upgrade()

    def _upgrade(self):
        """Rename the attributes of a long-panel forecaster saved by sklstm 0.2."""
        state = _legacy.upgraded(dict(vars(self)))
        if state is not None:
            vars(self).clear()
            vars(self).update(state)

    def _check_loaded(self):
        """A loaded forecaster's parameters must be those its network was fitted with.

        Raises ValueError naming what differs (an edited save); called by
        :func:`sklstm.load_estimator`, which has set the saved attributes.
        """
        self._upgrade()
        if _legacy.is_wide_0_2(self):
            return _legacy.check_loaded(self)
        model = getattr(self, "model_", None)
        if model is None:
            return None
        sizes = tuple(layer.units for layer in model.layers
                      if isinstance(layer, keras.layers.LSTM))
        dropouts = {float(layer.dropout) for layer in model.layers
                    if isinstance(layer, keras.layers.LSTM)}
        fitted = {"dropout": dropouts.pop() if len(dropouts) == 1 else self.dropout}
        if self.units != "auto":
            fitted["units"] = sizes[0] if len(sizes) == 1 and not isinstance(
                self.units, (tuple, list)) else sizes
        if self.sequence_length != "auto":
            fitted["sequence_length"] = self.sequence_length_
        changed = {name: (was, getattr(self, name)) for name, was in fitted.items()
                   if not same_value(_plain_param(was), _plain_param(getattr(self, name)))}
        check_same_as_fitted(changed, "network")
        return None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        tags.input_tags.allow_nan = True
        # a few steps on the checks' tiny i.i.d. data need not reach R^2 > 0.5
        tags.regressor_tags.poor_score = True
        tags.non_deterministic = keras.backend.backend() != "jax"
        return tags


def _plain_param(value):
    """A parameter as compared on load: tuples and lists alike, numbers as Python numbers."""
    if isinstance(value, (tuple, list)):
        return tuple(int(v) for v in value)
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return value


def _check_long_index(X, owner):
    if X.index.nlevels != 2:
        raise ValueError(
            f"{owner} takes a long panel indexed by (series, time), but X's index has "
            f"{X.index.nlevels} levels {list(X.index.names)}; frame it with "
            "make_supervised(data, target, series=..., time=...)."
        )
