"""Forecast beyond the data with a fitted estimator and the history."""

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from . import _calendar
from ._baselines import PersistenceRegressor
from ._checks import (
    _when,
    check_choice,
    check_fraction,
    check_positive_int,
    check_time_order,
)
from ._clock import clock_of, future_index, future_labels, steps_on
from ._forecaster import LSTMForecaster
from ._framing import (
    _as_frame,
    _check_columns,
    _shown,
    lead_columns,
    lead_frame,
    lead_name,
    leads_by_row,
)
from ._panel import Panel, series_name
from ._series import is_series_list, plain_list

METHODS = ("direct", "recursive")
LAYOUTS = ("wide", "long")


def _history(data, target):
    """The history as a DataFrame, and the target column(s) in it."""
    if is_series_list(target, getattr(data, "columns", ())):
        missing = [t for t in target if not isinstance(data, pd.DataFrame) or t not in data.columns]
        if missing or not len(target):
            columns = list(data.columns) if isinstance(data, pd.DataFrame) else None
            raise ValueError(
                f"target={list(target)} must name columns of a DataFrame of the history; "
                f"{missing or 'none'} are not among its columns {columns}."
            )
        return data, list(target)
    if isinstance(data, pd.Series):
        name = data.name if data.name is not None else (target if target is not None else "y")
        if target is not None and target != name:
            raise ValueError(
                f"target={target!r} does not match the Series name {name!r}; pass "
                "target=None (or the Series name) for a Series."
            )
        return _as_frame(data, column=name), name
    frame = _as_frame(data)
    _check_columns("target", target, [target], frame.columns)
    return frame, target


def _feature_columns(estimator, frame, target, features):
    fitted = getattr(estimator, "feature_names_in_", None)
    if features is None:
        if fitted is not None:
            features = list(fitted)
        else:
            features = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    features = list(features)
    missing = [c for c in features if c not in frame.columns]
    if missing:
        raise ValueError(
            f"features {missing} are not columns of data; columns are {list(frame.columns)}."
        )
    n_in = getattr(estimator, "n_features_in_", None)
    if n_in is not None and n_in != len(features):
        raise ValueError(
            f"the estimator was fitted on {n_in} feature(s), but features={features} "
            f"has {len(features)}; pass the columns used in fit, in the same order."
        )
    return features


def _known_ahead(estimator, frame, features, future):
    """The columns the model reads that data cannot hold: ``(calendar, leads)``.

    ``calendar`` lists the calendar columns (made from the times),
    ``leads`` maps each future-known column to the steps it is read ahead
    (``price_t+1 .. price_t+3``: ``{"price": 3}``). ``future`` without
    future-known columns to fill is refused, and so are leads without it.
    """
    names = getattr(estimator, "feature_names_in_", None) if features is None else features
    absent = [] if names is None else [n for n in names if n not in frame.columns]
    calendar = [n for n in absent if n in _calendar.COLUMNS]
    leads = lead_columns([n for n in absent if n not in calendar])
    if future is not None and not leads:
        raise ValueError(
            "future= holds the future values of columns known ahead, but the model reads "
            "none: it was not fitted on make_supervised(..., future=[...]) (or data already "
            "holds those columns); pass future=None."
        )
    if leads and future is None:
        column, steps = next(iter(leads.items()))
        raise ValueError(
            f"the model reads {lead_name(column, 1)} .. {lead_name(column, steps)}, the "
            f"future-known {_shown(list(leads))} over the next {steps} steps, which data "
            f"cannot hold: pass future=, a DataFrame of the {steps} rows after data's end "
            f"with the column(s) {_shown(list(leads))} (e.g. planned prices or promotions)."
        )
    if future is not None and not isinstance(future, pd.DataFrame):
        raise TypeError(
            f"future must be a pandas DataFrame of the rows after data's end, got "
            f"{type(future).__name__}."
        )
    missing = [c for c in leads if c not in frame.columns]
    if missing:
        raise ValueError(
            f"data has no column {missing[0]!r}: the model reads its values ahead "
            f"({lead_name(missing[0], 1)} ...), which the windows take from the history "
            "and future=; pass the history with that column."
        )
    absent = [c for c in leads if c not in future.columns] if leads else []
    if absent:
        raise ValueError(
            f"future has no column {absent[0]!r}, which the model reads over the horizon "
            f"({lead_name(absent[0], 1)} ...); future's columns are "
            f"{_shown(list(future.columns))}: name them as data's."
        )
    return calendar, leads


def _refuse_unknown_future(values, columns, where):
    """A future value NaN is refused by name: the forecast would read a masked step."""
    bad = np.isnan(values)
    if bad.any():
        row, column = np.argwhere(bad)[0]
        raise ValueError(
            f"future has no value (NaN) of {columns[column]!r} {where(row)}; the forecast "
            "reads every future-known value over the horizon: fill it."
        )


def _check_future_labels(labels, expected, what, series=None):
    """Future rows are found by their labels: a label given twice, or times in another time
    zone than the data's, would find the wrong values or none."""
    zone = getattr(getattr(labels, "dt", labels), "tz", None)
    data_zone = getattr(getattr(expected, "dt", expected), "tz", None)
    if (pd.api.types.is_datetime64_any_dtype(labels.dtype)
            and pd.api.types.is_datetime64_any_dtype(expected.dtype) and zone != data_zone):
        raise ValueError(
            f"{what} holds times in time zone {zone}, but data's are in {data_zone}; pass "
            "future's times as data's (e.g. .tz_convert(...) or .tz_localize(...))."
        )
    keys = labels if series is None else pd.MultiIndex.from_arrays([series, labels])
    repeated = keys[keys.duplicated()]
    if len(repeated):
        first = repeated[0]
        where = (f"{series_name(first[0])} at {_when(first[1])!r}" if series is not None
                 else f"{_when(first)!r}")
        raise ValueError(
            f"future has more than one row for {where}; keep one row per "
            f"{'series and time' if series is not None else 'time'}."
        )


def _with_known_future(estimator, frame, features, future):
    """The wide history with the calendar and future-known columns the model reads."""
    calendar, leads = _known_ahead(estimator, frame, features, future)
    if not calendar and not leads:
        return frame
    frame = frame.copy()
    if calendar:
        _calendar.check_dated(clock_of(frame.index)[0], what=f"the model's calendar {calendar}",
                              fix="or pass data indexed by its dates")
        frame[calendar] = _calendar.calendar_frame(frame.index, calendar).to_numpy()
    if leads:
        columns, horizon = list(leads), max(leads.values())
        expected = future_index(frame.index, horizon)
        _check_future_labels(future.index, expected, "future's index")
        absent = expected.difference(future.index)
        if len(absent):
            raise ValueError(
                f"future has no row at {_when(absent[0])!r}: the model reads {_shown(columns)} "
                f"over the {horizon} steps after data's end, so future needs the rows "
                f"{_shown([_when(label) for label in expected], limit=3)} (indexed like data)."
            )
        ahead = future.loc[expected, columns].to_numpy(dtype=float)
        _refuse_unknown_future(ahead, columns,
                               lambda row: f"at {_when(expected[row])!r}")
        # the history and the future rows framed as make_supervised frames wide data
        rows = pd.DataFrame(np.concatenate([frame[columns].to_numpy(dtype=float), ahead]),
                            columns=columns)
        known = leads_by_row(rows, columns, horizon, len(frame), frame.index)
        frame = pd.concat([frame.drop(columns=known.columns, errors="ignore"), known], axis=1)
    return frame


def _model_input(estimator, frame, features):
    """X as the estimator saw it in fit: a DataFrame only if fit had names.

    Only the last rows the last row's prediction reads (see :func:`rows_read`).
    """
    rows = rows_read(estimator)
    X = frame[features] if rows is None else frame[features].iloc[-rows:]
    if getattr(estimator, "feature_names_in_", None) is None:
        return X.to_numpy(dtype=float)
    return X


def rows_read(estimator):
    """How many of the last rows the prediction for the last row reads; None: maybe all.

    A wide :class:`LSTMForecaster` reads its window (``sequence_length``
    rows) and :class:`PersistenceRegressor` the last row, so a forecast
    predicts from those rows only; any other estimator gets the whole history.
    """
    model = getattr(estimator, "best_estimator_", estimator)
    if isinstance(model, LSTMForecaster) and getattr(model, "layout_", "wide") == "wide":
        legacy = getattr(model, "windower_", None)  # fitted by sklstm 0.2
        return legacy.sequence_length if legacy is not None else model.sequence_length_
    if isinstance(model, PersistenceRegressor):
        return 1
    return None


def forecast(
    estimator, data, *, target, features=None, horizon=None, method="direct", coverage=None,
    layout="wide", series=None, time=None, future=None,
):
    """Forecast the values after the end of ``data`` with a fitted estimator.

    The estimator must have been fitted on rows at time ``t`` (for example
    from :func:`make_supervised`) and targets after ``t``: an
    :class:`LSTMForecaster`, a :class:`~sklearn.pipeline.Pipeline` or
    :class:`~sklearn.compose.TransformedTargetRegressor` around
    :class:`LSTMRegressor`, a ``search.best_estimator_`` or any regressor
    of that form. ``data`` is the history, its last row the latest
    observation.

    Parameters
    ----------
    estimator : fitted regressor
        Its ``predict`` maps rows of ``features`` to the target's next
        value (1-D output) or next ``h`` values (output of width ``h``).

    data : pandas.Series or pandas.DataFrame
        The history, in time order (an index of dates, periods or numbers
        must be strictly increasing), with at least the rows the estimator
        needs to window (its ``sequence_length``).

    target : str, list of str or None
        Column being forecast; for a Series, None or its name. A list names
        the series of a panel model (e.g. ``LSTMForecaster(target_column=[...])``
        fitted on ``make_supervised(data, target=[...])``), whose output
        holds every series' steps, series-major: all are forecast at once.

    features : list of str or None, default=None
        Columns given to the estimator; None uses the names it was fitted
        on, or else every numeric column of ``data``.

    horizon : int or None, default=None
        Number of future steps. With ``method="direct"`` it defaults to the
        width of the estimator's output and may not exceed it; with
        ``method="recursive"`` it is required.

    method : {"direct", "recursive"}, default="direct"
        ``"direct"`` reads all steps from the multi-output head at the last
        row. ``"recursive"`` rolls a one-step univariate model forward,
        appending each forecast to the history before the next step.

    coverage : float or None, default=None
        If given, also return a ``coverage`` prediction interval, from the
        estimator's ``predict_interval`` (direct method only).

    layout : {"wide", "long"}, default="wide"
        For a list ``target``: ``"wide"`` gives one column per series (with
        ``coverage``, a two-level column index: ``forecast``, ``lower``,
        ``upper`` over the series); ``"long"`` gives one row per future
        time and series, with a ``series`` column.

    series, time : str or None, default=None
        For a long panel (an estimator fitted on
        ``make_supervised(data, target, series=..., time=...)``): the columns
        of ``data`` holding each row's series id and time. The forecast is
        then long too: columns ``series``, ``time`` (each series' next
        times, on the panel's step) and ``forecast``.

    future : pandas.DataFrame or None, default=None
        The values of the future-known columns (``make_supervised(...,
        future=[...])``) over the horizon: the rows after data's end,
        indexed like data (its next labels), or for a long panel with the
        ``series`` and ``time`` columns (each series' next times). Missing
        rows or values are refused by name. Calendar columns
        (``calendar=True``) need no frame: they are made from the times.

    Returns
    -------
    forecast : pandas.DataFrame of shape (horizon, 1 or 3)
        Column ``forecast`` (plus ``lower`` and ``upper`` with
        ``coverage``), indexed by the future dates when ``data`` has a
        DatetimeIndex (its ``freq``, or the one pandas infers) or a
        PeriodIndex, else by a RangeIndex continuing the data's.
        ``attrs`` records ``method`` and ``coverage`` (read by
        :func:`sklstm.plotting.plot_forecast` to label the interval).

    See Also
    --------
    make_supervised : Frames the training data for a horizon.
    LSTMForecaster.predict_interval : The intervals behind ``coverage``.

    Notes
    -----
    Recursive forecasts feed predictions back as inputs, so errors
    compound and there is no calibrated interval for them; prefer a direct
    model (``make_supervised(..., horizon=h)``) when you need ``h`` steps.
    Recursion needs the future of every input, so it works only for a model
    of the target alone.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklstm import PersistenceRegressor, forecast, make_supervised
    >>> history = pd.Series([1.0, 2.0, 4.0, 3.0], name="temp",
    ...                     index=pd.date_range("2024-01-01", periods=4, freq="D"))
    >>> X, y = make_supervised(history, "temp", horizon=2)
    >>> model = PersistenceRegressor().fit(X, y)
    >>> forecast(model, history, target="temp")
                forecast
    2024-01-05       3.0
    2024-01-06       3.0
    """
    check_choice("method", method, METHODS)
    check_choice("layout", layout, LAYOUTS)
    if horizon is not None:
        check_positive_int("horizon", horizon, fix="e.g. horizon=7 for a week of daily data")
    if coverage is not None:
        check_fraction(
            "coverage", coverage, low_inclusive=False,
            fix="e.g. coverage=0.9 for a 90% interval, or None for no interval",
        )
    check_is_fitted(estimator)
    model = getattr(estimator, "best_estimator_", estimator)
    if getattr(model, "layout_", None) == "long" and series is None and time is None:
        target_name = model.feature_names_in_[model.target_index_]
        raise ValueError(
            f"{type(model).__name__} was fitted on a long panel (one row per series and time), "
            "so forecast needs the columns of data that hold them: pass series= and time=, "
            f"e.g. forecast(model, data, target={target_name!r}, "
            f"series={model.series_name_!r}, time={model.time_name_!r})."
        )
    if series is not None or time is not None:
        if series is None or time is None or method != "direct":
            raise ValueError(
                "a long panel is forecast with both series= and time= given and "
                f"method='direct'; got series={series!r}, time={time!r}, method={method!r}."
            )
        return _forecast_long(estimator, data, target=target, series=series, time=time,
                              features=features, horizon=horizon, coverage=coverage,
                              future=future)
    frame, target = _history(data, target)
    if len(frame) == 0:
        raise ValueError("data is empty; pass the history to forecast from.")
    check_time_order(frame.index, "the index of data")
    frame = _with_known_future(estimator, frame, features, future)
    features = _feature_columns(estimator, frame, target, features)

    if isinstance(target, list):
        if method != "direct":
            raise ValueError(
                "a list of targets is forecast with method='direct' (one multi-step "
                "head for every series); method='recursive' needs a one-step model "
                "of one series."
            )
        return _direct_panel(estimator, frame, target, features, horizon, coverage, layout)
    if method == "direct":
        out = _direct(estimator, frame, features, horizon, coverage, target=target)
    else:
        out = _recursive(estimator, frame, target, features, horizon, coverage)
    out.index = future_index(frame.index, len(out))
    out.attrs.update(method=method, coverage=coverage)
    return out


def _width(y_pred):
    return 1 if y_pred.ndim == 1 else y_pred.shape[1]


def _direct(estimator, frame, features, horizon, coverage, target=None):
    if target is not None and pd.isna(frame[target].iloc[-1]):
        raise ValueError(
            f"data ends on an unknown value (NaN in {target!r} at {str(frame.index[-1])!r}), "
            "so there is nothing to forecast from; fill it (e.g. data.ffill()) or drop the "
            "rows after the last known value."
        )
    X = _model_input(estimator, frame, features)
    y_pred = np.asarray(estimator.predict(X))
    width = _width(y_pred)
    if horizon is None:
        horizon = width
    if horizon > width:
        raise ValueError(
            f"horizon={horizon} is longer than the estimator's output ({width} "
            f"step(s)); refit on make_supervised(..., horizon={horizon}), or use "
            "method='recursive' with a one-step univariate model."
        )
    out = pd.DataFrame({"forecast": y_pred.reshape(len(y_pred), -1)[-1, :horizon]})
    if coverage is not None:
        lower, upper = predict_interval(getattr(estimator, "best_estimator_", estimator), X,
                                        coverage)
        out["lower"] = np.asarray(lower).reshape(len(y_pred), -1)[-1, :horizon]
        out["upper"] = np.asarray(upper).reshape(len(y_pred), -1)[-1, :horizon]
    return out


def predict_interval(estimator, X, coverage):
    """``estimator``'s interval bounds for X, looking through the sklearn compositions.

    An estimator with ``predict_interval`` answers itself; a
    :class:`~sklearn.pipeline.Pipeline` asks its last step on the rows its
    other steps make; a :class:`~sklearn.compose.TransformedTargetRegressor`
    asks its regressor and maps the bounds back through its transformer (an
    increasing one, as scalers are: the bounds keep their order).
    """
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.pipeline import Pipeline

    if hasattr(estimator, "predict_interval"):
        return estimator.predict_interval(X, coverage=coverage)
    if isinstance(estimator, Pipeline):
        return predict_interval(estimator[-1], estimator[:-1].transform(X), coverage)
    if isinstance(estimator, TransformedTargetRegressor):
        lower, upper = predict_interval(estimator.regressor_, X, coverage)
        shape = np.shape(lower)
        back = [estimator.transformer_.inverse_transform(
            np.asarray(bound, dtype=float).reshape(shape[0], -1)) for bound in (lower, upper)]
        lower, upper = np.minimum(*back), np.maximum(*back)
        return lower.reshape(shape), upper.reshape(shape)
    raise TypeError(
        f"coverage={coverage} needs an estimator with predict_interval (LSTMForecaster, or "
        f"LSTMRegressor with early_stopping=True, alone or in a Pipeline or a "
        f"TransformedTargetRegressor), but {type(estimator).__name__} has none; pass "
        "coverage=None."
    )


def _direct_panel(estimator, frame, targets, features, horizon, coverage, layout):
    """Every series' next steps from a panel model's last row, wide or long."""
    fitted = getattr(getattr(estimator, "best_estimator_", estimator), "target_column", None)
    if is_series_list(fitted) and list(fitted) != list(targets):
        raise ValueError(
            f"target={plain_list(targets)} is not the list the estimator was fitted on, "
            f"{plain_list(fitted)}: its outputs would be labelled with other series' names. "
            f"Pass target={plain_list(fitted)}."
        )
    steps = _direct(estimator, frame, features, None, coverage)
    n_series = len(targets)
    if len(steps) % n_series:
        raise ValueError(
            f"the estimator predicts {len(steps)} value(s) per row, not a multiple of "
            f"the {n_series} series of target; pass the target list it was fitted on."
        )
    width = len(steps) // n_series
    if horizon is None:
        horizon = width
    if horizon > width:
        raise ValueError(
            f"horizon={horizon} is longer than the estimator's output ({width} step(s) "
            f"per series); refit on make_supervised(..., horizon={horizon})."
        )
    future = future_index(frame.index, horizon)
    tables = {
        column: pd.DataFrame(
            steps[column].to_numpy().reshape(n_series, width)[:, :horizon].T,
            index=future, columns=pd.Index(targets, name="series"),
        )
        for column in steps.columns
    }
    if layout == "long":
        out = pd.concat({c: t.stack() for c, t in tables.items()}, axis=1)
        out = out.reset_index(level="series").rename_axis(future.name)
    elif coverage is None:
        out = tables["forecast"]
    else:
        out = pd.concat(tables, axis=1)
    out.attrs.update(method="direct", coverage=coverage)
    return out


def _recursive(estimator, frame, target, features, horizon, coverage):
    if horizon is None:
        raise ValueError(
            "method='recursive' needs horizon, the number of steps to roll "
            "forward, e.g. horizon=7."
        )
    if coverage is not None:
        raise ValueError(
            f"coverage={coverage} is not available with method='recursive': "
            "one-step intervals do not cover errors that compound over steps; "
            "fit a direct model on make_supervised(..., horizon=h) and use "
            "method='direct'."
        )
    if list(features) != [target]:
        raise ValueError(
            f"method='recursive' needs a model of the target alone, but features="
            f"{list(features)}: the future of the other columns is unknown. Fit on "
            f"features=[{target!r}], or use method='direct' with a multi-step model."
        )
    history = frame[[target]].astype(float)
    future = future_index(frame.index, horizon)
    values = []
    for step in range(horizon):
        y_pred = np.asarray(estimator.predict(_model_input(estimator, history, features)))
        if _width(y_pred) != 1:
            raise ValueError(
                f"method='recursive' needs a one-step model, but the estimator "
                f"predicts {_width(y_pred)} steps at once; use method='direct'."
            )
        value = float(y_pred.reshape(-1)[-1])
        values.append(value)
        # the forecast joins the history under its own date, so the history
        # stays placed in time for the windower's memory
        history = pd.concat([history, pd.DataFrame({target: [value]}, index=future[step:step + 1])])
    return pd.DataFrame({"forecast": np.asarray(values, dtype=float)})


def _forecast_long(estimator, data, *, target, series, time, features, horizon, coverage,
                   future):
    """The next values of every series of long ``data``, as a long frame (with intervals)."""
    model = getattr(estimator, "best_estimator_", estimator)
    if not isinstance(model, LSTMForecaster) or getattr(model, "layout_", None) != "long":
        raise ValueError(
            "forecast(..., series=, time=) needs an LSTMForecaster fitted on a long panel "
            "(X from make_supervised(data, target, series=..., time=...)); this one was "
            f"fitted on {'wide rows' if isinstance(model, LSTMForecaster) else 'other data'}: "
            "call forecast without series= and time=."
        )
    if horizon is not None and horizon != model.n_outputs_:
        raise ValueError(
            f"horizon={horizon}, but the model forecasts {model.n_outputs_} steps "
            "(the width of y in fit); pass horizon=None."
        )
    if not isinstance(data, pd.DataFrame):
        polars = type(data).__module__.split(".")[0] == "polars"
        raise TypeError(
            "with series= and time=, data must be the long pandas DataFrame of the history, "
            f"got {type(data).__module__}.{type(data).__name__}"
            + ("; convert it with data.to_pandas()." if polars else ".")
        )
    names = list(model.feature_names_in_) if features is None else list(features)
    fitted_target = model.feature_names_in_[model.target_index_]
    if target != fitted_target:
        raise ValueError(
            f"target={target!r}, but the model was fitted to forecast {fitted_target!r} "
            f"(the target of make_supervised); pass target={fitted_target!r}."
        )
    _check_columns("series", series, [series], data.columns)
    _check_columns("time", time, [time], data.columns)
    calendar, leads = _known_ahead(model, data, names, future)
    added = {*calendar, *(lead_name(c, k) for c, steps in leads.items()
                          for k in range(1, steps + 1))}
    in_data = [n for n in names if n not in added]
    _check_columns("features", in_data, in_data, data.columns)
    if not len(data):
        raise ValueError("data has no rows; pass the history to forecast from.")
    missing = pd.Index(model.series_).difference(pd.Index(data[series].unique()))
    if len(missing):
        raise ValueError(
            f"data has no rows for {len(missing)} series the model was fitted on: "
            f"{_shown(list(missing))}; forecast needs the history of every fitted series "
            "(its last sequence_length values), or drop those series and refit."
        )
    frame = data.sort_values([series, time], kind="stable")
    last = frame.groupby(series, sort=False).tail(1)
    unknown = last[last[target].isna()]
    if len(unknown):
        first = unknown.iloc[0]
        raise ValueError(
            f"{len(unknown)} series end on an unknown value (NaN in {target!r}), so there is "
            f"nothing to forecast from: series {first[series]!r} at {time}="
            f"{str(first[time])!r}, the first; fill the last values (e.g. "
            f"data[{target!r}] = data.groupby({series!r})[{target!r}].ffill()) or drop the rows "
            "after each series' last known value."
        )
    tail = frame.groupby(series, sort=False).tail(model.sequence_length_)
    if calendar:
        tail = tail.copy()
        tail[calendar] = _calendar.calendar_frame(tail[time], calendar).to_numpy()
    if leads:
        tail = _long_leads(model, tail, future, series=series, time=time, leads=leads)
    X = tail.set_index([series, time])[names]
    out = model.predict_last(X, coverage)
    pred, bounds = (out, None) if coverage is None else (out[0], out[1:])
    labels = pd.unique(X.index.get_level_values(0))
    last_times = X.index.get_level_values(1)[
        X.groupby(level=0, sort=False).cumcount(ascending=False).to_numpy() == 0]
    h = model.n_outputs_
    result = pd.DataFrame({
        series: np.repeat(np.asarray(labels), h),
        time: future_labels(model.clock_, last_times, h),
        "forecast": pred.ravel(),
    })
    if bounds is not None:
        result["lower"], result["upper"] = bounds[0].ravel(), bounds[1].ravel()
    result.attrs.update(method="direct", coverage=coverage)
    return result


def _long_leads(model, tail, future, *, series, time, leads):
    """Each series' last rows with its future-known columns over the horizon, by time.

    The values after each series' end come from ``future``, at the series'
    next times on the model's clock; a missing row or value is refused by
    name.
    """
    columns, horizon = list(leads), max(leads.values())
    absent = [c for c in (series, time) if c not in future.columns]
    if absent:
        raise ValueError(
            f"future has no column {absent[0]!r}: for a long panel it holds a row per series "
            f"and future time, with the columns {series!r}, {time!r} and {_shown(columns)}; "
            f"future's columns are {_shown(list(future.columns))}."
        )
    ends = tail.groupby(series, sort=False).tail(1)
    expected = pd.DataFrame({
        series: np.repeat(ends[series].to_numpy(), horizon),
        time: future_labels(model.clock_, ends[time], horizon),
    })
    given = future[[series, time, *columns]]
    _check_future_labels(given[time], expected[time], f"future's {time!r}",
                         series=given[series])
    if given[time].dtype != expected[time].dtype:  # e.g. whole-number floats read from a CSV
        given = given.astype({time: expected[time].dtype}, errors="ignore")
    ahead = expected.merge(given, on=[series, time], how="left", indicator=True)
    absent = ahead["_merge"] != "both"
    if absent.any():
        row = ahead[absent].iloc[0]
        raise ValueError(
            f"future has no row for {series_name(row[series])} at {time}={_when(row[time])!r}: "
            f"the model reads {_shown(columns)} over each series' next {horizon} times, so "
            f"future needs a row per series and each of those times."
        )
    values = ahead[columns].to_numpy(dtype=float)
    _refuse_unknown_future(
        values, columns,
        lambda row: f"for {series_name(ahead[series].iloc[row])} at "
                    f"{time}={_when(ahead[time].iloc[row])!r}")
    rows = pd.concat([tail[[series, time, *columns]], ahead[[series, time, *columns]]],
                     ignore_index=True)
    codes, _ = pd.factorize(rows[series])
    steps, reason = steps_on(model.clock_, pd.Index(rows[time]))
    if reason is not None:
        raise ValueError(f"future's {time}: {reason}; pass times on the panel's step.")
    order = np.lexsort((steps, codes))  # a Panel's rows come sorted by (series, step)
    where = np.empty(len(order), dtype=np.int64)
    where[order] = np.arange(len(order))
    panel = Panel(rows[columns].to_numpy(dtype=float)[order], codes[order], steps[order],
                  int(codes.max()) + 1)
    known = lead_frame(panel.ahead(horizon, where[:len(tail)]).reshape(len(tail), -1),
                       columns, horizon, tail.index)
    return pd.concat([tail.drop(columns=known.columns, errors="ignore"), known], axis=1)
