"""Plots for forecasts, time-series folds, grid searches and training curves.

Every function draws on the matplotlib Axes it is given (or on a new
figure), returns that Axes and never calls ``plt.show()``, so the plots
compose into larger figures and work the same in scripts, notebooks and on
headless machines.
"""

import math
import numbers
import re
import sys

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.patches import Rectangle

__all__ = ["plot_cv_folds", "plot_forecast", "plot_grid_search", "plot_history"]


def _get_ax(ax, figsize):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
        return ax
    if not isinstance(ax, Axes):
        raise TypeError(
            f"ax must be a matplotlib Axes or None, got {type(ax).__name__}; "
            "e.g. fig, ax = plt.subplots(); plot_...(..., ax=ax)."
        )
    return ax


def _format_dates(ax, name, first, last):
    """Concise date ticks, and the years spanned in the axis label.

    The years go in the label rather than in matplotlib's offset text, which
    names only the last tick's year and month (a lone "2016-Jan" under a
    plot of October to January).
    """
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))
    years = f"{first.year}" if first.year == last.year else f"{first.year}\u2013{last.year}"
    ax.set_xlabel(f"{name or 'date'} ({years})")


# --- plot_forecast ---------------------------------------------------------


def _as_series(values, name, *, index=None):
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise ValueError(
                f"{name} must be one series, got a DataFrame with columns "
                f"{list(values.columns)}; pass one column, e.g. frame['temp_max']."
            )
        values = values.iloc[:, 0]
    if isinstance(values, pd.Series):
        return values
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got an array of shape {array.shape}.")
    if index is not None and len(array) != len(index):
        raise ValueError(
            f"{name} has {len(array)} values but history has {len(index)}; an array "
            "must hold one value per history row (NaN where there is none), or "
            "pass a Series indexed like history."
        )
    return pd.Series(array, index=index)


def _check_numeric_series(series, name):
    if not pd.api.types.is_numeric_dtype(series.dtype):
        raise TypeError(f"{name} must be numeric, got dtype {series.dtype}.")


# the legend's words for out-of-fold predictions, and for where there are none
CV_FORECAST = "forecast made in cross-validation"
NO_CV_FORECAST = "no cross-validation forecast"


def _with_unit(label, unit):
    return f"{label} ({unit})" if unit else label


def plot_forecast(history, *, cv_predictions=None, forecast=None, tail=None, label=None,
                  unit=None, ax=None, series=None):
    """Plot the observed series, out-of-fold predictions and a future forecast.

    Parameters
    ----------
    history : pandas.Series or array-like of shape (n_samples,)
        Observations in time order; a ``DatetimeIndex`` puts dates on the x
        axis.

    cv_predictions : pandas.Series or array-like, default=None
        Out-of-fold cross-validation predictions of the same quantity. A
        Series is drawn at its own index (which must be part of history's);
        an array must have one value per history row, NaN where a row was
        never in a test fold.

    forecast : pandas.DataFrame or pandas.Series, default=None
        Predictions beyond the history, e.g. from :func:`sklstm.forecast`:
        a column ``forecast`` and optionally ``lower`` and ``upper``, drawn
        as a shaded interval. Its index continues history's index.

    tail : int or None, default=None
        Show only the last ``tail`` observations (and the predictions within
        them), so a short forecast is visible after a long history.

    label : str or None, default=None
        What the series is, for the legend and the y axis; None takes
        ``history.name`` (or "observed").

    unit : str or None, default=None
        Unit of the values, shown on the y axis (``"temp_max (°C)"``); None
        looks it up in ``history.attrs["units"]`` (a ``{name: unit}`` dict,
        which :func:`sklstm.datasets.load_seattle_weather` sets and pandas
        carries to its columns), and shows none if it is not there.

    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; None makes a new figure.

    series : object or None, default=None
        For long data: the id of the series to draw. ``history`` is then the
        long frame (one row per series and time) and ``forecast`` the long
        frame :func:`sklstm.forecast` made from it (its first two columns
        name the series and the time); the target is ``label``, or the one
        numeric column of ``history`` besides them.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on: one line per series given, a filled band for the
        interval, and a grey span where the history goes on after the last
        out-of-fold prediction (rows never scored, such as those whose
        targets lie beyond the data). Legends and titles use plain words:
        the out-of-fold predictions are "forecasts made in
        cross-validation".

    See Also
    --------
    sklstm.forecast : Makes the ``forecast`` DataFrame.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from sklstm.plotting import plot_forecast
    >>> days = pd.date_range("2024-01-01", periods=6, freq="D")
    >>> history = pd.Series([3.0, 4.0, 5.0, 4.0, 6.0, 7.0], index=days, name="temp")
    >>> future = pd.DataFrame(
    ...     {"forecast": [7.5, 8.0], "lower": [6.5, 6.8], "upper": [8.5, 9.2]},
    ...     index=pd.date_range("2024-01-07", periods=2, freq="D"))
    >>> ax = plot_forecast(history, forecast=future)
    >>> [line.get_label() for line in ax.lines]
    ['temp', 'forecast']
    >>> plt.close(ax.figure)
    """
    if tail is not None and not (
        isinstance(tail, numbers.Integral) and not isinstance(tail, bool) and tail >= 1
    ):
        raise ValueError(f"tail must be a positive int or None, got {tail!r}; e.g. tail=90.")
    if series is not None:
        history, forecast, label = _one_long_series(history, forecast, series, label)
    if isinstance(history, pd.DataFrame) and history.shape[1] != 1:
        numeric = [c for c in history.columns if pd.api.types.is_numeric_dtype(history[c])]
        column = numeric[0] if numeric else history.columns[0]
        raise ValueError(
            f"history must be one series, got a DataFrame with columns "
            f"{list(history.columns)}; pass the target column, e.g. history[{column!r}], or, "
            "for long data (one row per series and time), the long frame with series=<the "
            "id to draw>."
        )
    history = _as_series(history, "history")
    _check_numeric_series(history, "history")
    dated = isinstance(history.index, pd.DatetimeIndex)
    full_index = history.index
    start = history.index[-tail] if tail is not None and tail < len(history) else None
    if start is not None:
        history = history.iloc[-tail:]

    pred = None
    if cv_predictions is not None:
        if isinstance(cv_predictions, pd.Series):
            if dated != isinstance(cv_predictions.index, pd.DatetimeIndex):
                raise ValueError(
                    "cv_predictions must be indexed like history: one has a "
                    "DatetimeIndex and the other does not."
                )
            outside = ~cv_predictions.index.isin(full_index)
            if outside.any():
                raise ValueError(
                    f"cv_predictions has {int(outside.sum())} index values that are not "
                    f"in history's index (first: {cv_predictions.index[outside][0]!r}); "
                    "index each prediction by the time it predicts."
                )
            pred = cv_predictions
        else:
            pred = _as_series(cv_predictions, "cv_predictions", index=full_index)
        _check_numeric_series(pred, "cv_predictions")
        if start is not None:
            pred = pred.loc[start:]

    frame = None
    if forecast is not None:
        frame = forecast.to_frame("forecast") if isinstance(forecast, pd.Series) else forecast
        if not isinstance(frame, pd.DataFrame) or "forecast" not in frame.columns:
            got = (list(frame.columns) if isinstance(frame, pd.DataFrame)
                   else type(forecast).__name__)
            raise ValueError(
                "forecast must be a DataFrame with a 'forecast' column (and optionally "
                f"'lower' and 'upper'), as returned by sklstm.forecast; got {got}."
            )
        if ("lower" in frame.columns) != ("upper" in frame.columns):
            raise ValueError(
                "forecast has only one of the 'lower' and 'upper' columns; an "
                "interval needs both."
            )
        if dated != isinstance(frame.index, pd.DatetimeIndex):
            raise ValueError(
                "forecast must be indexed like history: one has a DatetimeIndex "
                "and the other does not."
            )

    if label is None:
        label = history.name if history.name is not None else "observed"
    if unit is None:
        units = history.attrs.get("units")
        unit = units.get(history.name) if isinstance(units, dict) else None

    ax = _get_ax(ax, (10, 4))
    ax.plot(history.index, history.to_numpy(), color="0.25", lw=1.0, label=label)
    if pred is not None:
        ax.plot(pred.index, pred.to_numpy(), color="C0", lw=1.0, alpha=0.9,
                label=CV_FORECAST)
        last = pred.last_valid_index()
        if last is not None and last < history.index[-1]:
            ax.axvspan(last, history.index[-1], color="0.85", alpha=0.6, lw=0,
                       label=NO_CV_FORECAST)
    if frame is not None:
        if "lower" in frame.columns:
            coverage = frame.attrs.get("coverage")
            band = (f"{coverage:.0%} prediction interval" if coverage is not None
                    else "prediction interval")
            ax.fill_between(frame.index, frame["lower"].to_numpy(dtype=float),
                            frame["upper"].to_numpy(dtype=float),
                            color="C3", alpha=0.2, lw=0, label=band)
        ax.plot(frame.index, frame["forecast"].to_numpy(dtype=float), color="C3",
                lw=1.5, marker="o", markersize=3, label="forecast")

    if dated:
        last = frame.index[-1] if frame is not None and len(frame) else history.index[-1]
        _format_dates(ax, history.index.name, history.index[0], last)
    else:
        ax.set_xlabel(history.index.name or "time step")
    ax.set_ylabel(_with_unit(label, unit))
    if frame is not None:
        ax.set_title(f"Forecast of the next {len(frame)} steps", fontsize="medium")
    elif cv_predictions is not None:
        ax.set_title("Forecasts made in cross-validation, each by a model trained only "
                     "on earlier data", fontsize="medium")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    return ax


# --- plot_cv_folds -----------------------------------------------------------


def _runs(indices):
    """Contiguous runs ``[(start, stop), ...]`` of sorted row positions."""
    indices = np.sort(np.asarray(indices))
    if indices.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(indices) != 1)
    starts = np.r_[indices[0], indices[breaks + 1]]
    stops = np.r_[indices[breaks], indices[-1]] + 1
    return list(zip(starts.tolist(), stops.tolist()))


def plot_cv_folds(cv, X, ax=None, *, y=None):
    """Draw the train and test spans of every split of a time-series splitter.

    Parameters
    ----------
    cv : cross-validation splitter
        A scikit-learn splitter (``split`` and ``get_n_splits``), e.g.
        :class:`~sklearn.model_selection.TimeSeriesSplit`.

    X : array-like, pandas object or pandas.DatetimeIndex
        The rows to split; a ``DatetimeIndex`` (of X, or X itself) puts
        dates on the x axis.

    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; None makes a new figure.

    y : array-like or None, default=None
        The targets, for splitters whose folds depend on them (a
        :class:`~sklstm.PanelSplit` tests as many steps as ``y`` is wide).

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on: one horizontal bar per contiguous span of
        training rows or test rows, fold 1 at the top, and the number of
        each at the right.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from sklearn.model_selection import TimeSeriesSplit
    >>> from sklstm.plotting import plot_cv_folds
    >>> ax = plot_cv_folds(TimeSeriesSplit(n_splits=3), np.zeros((40, 1)))
    >>> len(ax.patches)  # a train bar and a test bar per fold
    6
    >>> plt.close(ax.figure)
    """
    if not (callable(getattr(cv, "split", None)) and hasattr(cv, "get_n_splits")):
        raise TypeError(
            f"cv must be a cross-validation splitter with a split method, got "
            f"{cv!r}; e.g. TimeSeriesSplit(n_splits=5)."
        )
    if isinstance(X, pd.DatetimeIndex):
        dates = X
    else:
        dates = getattr(X, "index", None)
        dates = dates if isinstance(dates, pd.DatetimeIndex) else None
    n_samples = len(X)
    splits = list(cv.split(X, y))

    if dates is not None:
        positions = mdates.date2num(dates.to_pydatetime())
        step = float(np.median(np.diff(positions))) if n_samples > 1 else 1.0
        edges = np.r_[positions, positions[-1] + step]
    else:
        edges = np.arange(n_samples + 1, dtype=float)

    ax = _get_ax(ax, (10, 0.9 + 0.45 * len(splits)))
    colors = {"training rows": "C0", "test rows": "C1"}
    labelled = set()
    for fold, (train, test) in enumerate(splits):
        for kind, rows in (("training rows", train), ("test rows", test)):
            for begin, end in _runs(rows):
                ax.barh(fold, edges[end] - edges[begin], left=edges[begin], height=0.6,
                        color=colors[kind], edgecolor="white", linewidth=0.5,
                        label=kind if kind not in labelled else None)
                labelled.add(kind)
        ax.annotate(f"{len(train)} / {len(test)}", (1.0, fold),
                    xycoords=("axes fraction", "data"), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize="small")

    ax.set_xlim(edges[0], edges[-1])
    ax.set_ylim(len(splits) - 0.5, -0.5)  # fold 1 at the top
    ax.set_yticks(range(len(splits)), [f"fold {k + 1}" for k in range(len(splits))])
    if dates is not None:
        ax.xaxis_date()
        _format_dates(ax, dates.name, dates[0], dates[-1])
    else:
        ax.set_xlabel("row")
    name = type(cv).__name__
    ax.set_title(f"{name}: {len(splits)} folds over {n_samples} rows "
                 "(at the right: training rows / test rows)", fontsize="medium")
    # expanding-window splits leave the top right free
    ax.legend(loc="upper right", ncols=2, fontsize="small", frameon=True)
    ax.grid(axis="x", alpha=0.3)
    return ax


# --- plot_grid_search --------------------------------------------------------


def _format_mean_std(mean, std=None, *, digits=3, sep=" ± "):
    """``mean ± std`` with ``digits`` significant digits in the mean, both
    to the same decimal place."""
    scale = math.floor(math.log10(abs(mean))) if np.isfinite(mean) and mean != 0 else 0
    decimals = max(0, digits - 1 - scale)
    text = f"{mean:.{decimals}f}"
    if std is not None and np.isfinite(std):
        text += f"{sep}{std:.{decimals}f}"
    return text


def _resolve_param(name, param_names, axis):
    if name in param_names:
        return name
    matches = [p for p in param_names if p.endswith("__" + name)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ValueError(
            f"{axis}={name!r} is not a searched parameter; the grid has "
            f"{sorted(param_names)}. Pass one of them (the part after the last "
            "'__' is enough when unique)."
        )
    raise ValueError(
        f"{axis}={name!r} matches several searched parameters {sorted(matches)}; "
        "pass the full name."
    )


def _sorted_values(values):
    unique = list(dict.fromkeys(values))
    try:
        return sorted(unique)
    except TypeError:
        return sorted(unique, key=str)


def _score_column(results, score, scoring, refit):
    means = sorted(c for c in results.columns if c.startswith("mean_test_"))
    if score is None:
        if "mean_test_score" in results.columns:
            column, metric = "mean_test_score", None
        elif isinstance(refit, str) and f"mean_test_{refit}" in results.columns:
            column, metric = f"mean_test_{refit}", refit
        else:
            raise ValueError(
                f"cv_results has several scores {means}; choose one with "
                f"score=..., e.g. score={means[0][len('mean_test_'):]!r}."
                if means else "cv_results has no mean_test_* column; pass the "
                "cv_results_ of a fitted GridSearchCV."
            )
    elif f"mean_test_{score}" in results.columns:
        column, metric = f"mean_test_{score}", score
    elif score in results.columns:
        column = score
        metric = score[len("mean_test_"):] if score.startswith("mean_test_") else None
    else:
        raise ValueError(f"score={score!r} is not in cv_results; available: {means}.")
    scorer = scoring.get(metric) if isinstance(scoring, dict) else scoring
    return column, scorer


def plot_grid_search(search_or_cv_results, *, x="sequence_length", y="units",
                     score=None, unit=None, negate=None, label=None, ax=None):
    """Heatmap of the mean cross-validated score over two searched parameters.

    Parameters
    ----------
    search_or_cv_results : GridSearchCV, dict or pandas.DataFrame
        A fitted search (anything with ``cv_results_``) or its
        ``cv_results_``.

    x, y : str, default="sequence_length", "units"
        Parameters on the horizontal and vertical axes, with or without
        their pipeline prefix: ``"sequence_length"`` finds
        ``regressor__window__sequence_length``.

    score : str or None, default=None
        Which score: a scorer name of a multi-metric search (``"mae"``) or a
        column (``"mean_test_mae"``). None takes ``mean_test_score``, or the
        ``refit`` metric of a multi-metric search.

    unit : str or None, default=None
        Unit of the score, shown on the colour bar (an error such as the
        MAE is in the target's unit, e.g. ``"°C"``).

    negate : bool or None, default=None
        Show minus the score: the error, for a scorer that returns minus an
        error (lower is then better). None: when the search's scorer is a
        ``"neg_..."`` string. Set it for a callable scorer.

    label : str or None, default=None
        Name of what is shown, on the colour bar; None: the scorer's name
        without ``neg_`` (``"mean absolute error"``), or the column.

    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; None makes a new figure.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on: one image cell per (x, y) pair, annotated with the
        mean and standard deviation over the folds (the "spread" of the
        colour bar's label); the best cell is outlined in red.

    Notes
    -----
    Given a search whose scorer is a ``"neg_..."`` string (such as
    ``"neg_mean_absolute_error"``), the error itself is shown (lower is
    better). When other parameters vary too, each cell shows the best
    candidate among those sharing its ``(x, y)``.

    The colour scale spans at least the median standard deviation over the
    folds, measured from the best cell: candidates closer than the folds'
    own spread look alike instead of being stretched over the whole
    colour map.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
    >>> from sklearn.pipeline import Pipeline
    >>> from sklstm import SequenceWindower
    >>> from sklstm.plotting import plot_grid_search
    >>> t = np.arange(80.0)
    >>> X, y = np.sin(t / 5)[:-1, None], np.sin(t / 5)[1:]
    >>> pipe = Pipeline([("window", SequenceWindower(flatten=True, padding="edge")),
    ...                  ("ridge", Ridge())])
    >>> search = GridSearchCV(
    ...     pipe, {"window__sequence_length": [2, 4, 8], "ridge__alpha": [0.1, 1.0]},
    ...     cv=TimeSeriesSplit(n_splits=3), scoring="neg_mean_absolute_error").fit(X, y)
    >>> ax = plot_grid_search(search, x="sequence_length", y="alpha")
    >>> ax.images[0].get_array().shape  # (len(alpha), len(sequence_length))
    (2, 3)
    >>> plt.close(ax.figure)
    """
    scoring = refit = None
    if isinstance(search_or_cv_results, pd.DataFrame):
        results = search_or_cv_results
    elif isinstance(search_or_cv_results, dict):
        results = pd.DataFrame(search_or_cv_results)
    elif hasattr(search_or_cv_results, "cv_results_"):
        results = pd.DataFrame(search_or_cv_results.cv_results_)
        scoring = getattr(search_or_cv_results, "scoring", None)
        refit = getattr(search_or_cv_results, "refit", None)
    elif hasattr(search_or_cv_results, "param_grid") or hasattr(
            search_or_cv_results, "param_distributions"):
        raise ValueError(
            f"{type(search_or_cv_results).__name__} is not fitted yet (no "
            "cv_results_); call fit first."
        )
    else:
        raise TypeError(
            "search_or_cv_results must be a fitted search (GridSearchCV), its "
            f"cv_results_ dict or a DataFrame of it, got "
            f"{type(search_or_cv_results).__name__}."
        )
    param_names = [c[len("param_"):] for c in results.columns if c.startswith("param_")]
    x_name = _resolve_param(x, param_names, "x")
    y_name = _resolve_param(y, param_names, "y")
    if x_name == y_name:
        raise ValueError(f"x and y must be two different parameters, both are {x_name!r}.")
    column, scorer = _score_column(results, score, scoring, refit)
    std_column = "std_" + column[len("mean_"):] if column.startswith("mean_") else None

    table = pd.DataFrame({
        "x": results[f"param_{x_name}"], "y": results[f"param_{y_name}"],
        "mean": results[column].astype(float),
        "std": results[std_column].astype(float)
        if std_column in results.columns else np.nan,
    }).dropna(subset=["x", "y"])
    if table.empty:
        raise ValueError(f"no candidate in cv_results sets both {x_name!r} and {y_name!r}.")
    table["x"] = table["x"].map(lambda v: tuple(v) if isinstance(v, list) else v)
    table["y"] = table["y"].map(lambda v: tuple(v) if isinstance(v, list) else v)
    shared = table.duplicated(["x", "y"]).any()
    # best candidate per cell (scores: higher is better)
    table = table.sort_values("mean", ascending=False).drop_duplicates(["x", "y"])

    named_error = isinstance(scorer, str) and scorer.startswith("neg_")
    negated = named_error if negate is None else bool(negate)
    if negated:
        table["mean"] = -table["mean"]
    if label is None:
        label = scorer[len("neg_"):].replace("_", " ") if named_error else column
    xs, ys = _sorted_values(table["x"]), _sorted_values(table["y"])
    grid = np.full((len(ys), len(xs)), np.nan)
    spread = np.full_like(grid, np.nan)
    for row in table.itertuples():
        grid[ys.index(row.y), xs.index(row.x)] = row.mean
        spread[ys.index(row.y), xs.index(row.x)] = row.std

    # the colours span the cells; where the cells differ by less than the folds'
    # typical spread, the title says that no cell is reliably better
    low, high = np.nanmin(grid), np.nanmax(grid)
    noise = np.nanmedian(spread) if np.isfinite(spread).any() else 0.0
    within_noise = high - low < noise
    # tall enough for the colour bar's label, even for one row
    ax = _get_ax(ax, (max(4.5, 1.6 + 1.3 * len(xs)), max(3.0, 1.4 + 0.75 * len(ys))))
    image = ax.imshow(grid, origin="lower", aspect="auto", vmin=low, vmax=high,
                      cmap="viridis_r" if negated else "viridis")
    best = np.unravel_index(np.nanargmin(grid) if negated else np.nanargmax(grid), grid.shape)
    for (i, j), value in np.ndenumerate(grid):
        if np.isnan(value):
            continue
        text = _format_mean_std(value, spread[i, j], sep="\n±")
        r, g, b = to_rgb(image.cmap(image.norm(value)))
        color = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
        ax.text(j, i, text, ha="center", va="center", color=color, fontsize="small",
                fontweight="bold" if (i, j) == best else "normal")
    ax.add_patch(Rectangle((best[1] - 0.5, best[0] - 0.5), 1, 1, fill=False,
                           edgecolor="red", linewidth=2.5))
    ax.set_xticks(range(len(xs)), [str(v) for v in xs])
    ax.set_yticks(range(len(ys)), [str(v) for v in ys])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    split = re.compile(r"split\d+_" + re.escape(column.removeprefix("mean_")))
    n_folds = sum(1 for c in results.columns if split.fullmatch(c))
    folds = f"the {n_folds} test folds" if n_folds else "the test folds"
    summary = "mean ± spread" if np.isfinite(spread).any() else "mean"
    colorbar = ax.figure.colorbar(image, ax=ax)
    colorbar.set_label(
        f"{_with_unit(label, unit)}\n{summary} over {folds}"
        + ("\neach cell: its best of the other parameters" if shared else ""))
    best_is = "lowest error" if negated else "highest score"
    title = f"Best: {x}={xs[best[1]]}, {y}={ys[best[0]]} (red box: {best_is})"
    if within_noise:
        title += (f"\nthe cells differ by {high - low:.3g}, less than the folds' spread "
                  f"({noise:.3g}): none is reliably best")
    ax.set_title(title, fontsize="medium")
    return ax


def _one_long_series(data, forecast, series, label):
    """One series of long data and of its long forecast, indexed by time; and its name."""
    if not (isinstance(forecast, pd.DataFrame) and len(forecast.columns) >= 3
            and "forecast" in forecast.columns and isinstance(data, pd.DataFrame)):
        raise ValueError(
            "series= draws one series of long data: pass the long frame as history and the "
            "long frame of forecast(..., series=, time=) as forecast."
        )
    id_column, time_column = forecast.columns[:2]
    missing = [c for c in (id_column, time_column) if c not in data.columns]
    if missing:
        raise ValueError(
            f"the forecast names its series and times by {id_column!r} and {time_column!r}, "
            f"but history has no column {missing[0]!r}; pass the long frame the forecast "
            "was made from."
        )
    target = label
    if target is None:
        numeric = [c for c in data.columns if c not in (id_column, time_column)
                   and pd.api.types.is_numeric_dtype(data[c])]
        if len(numeric) != 1:
            raise ValueError(
                f"history has the numeric columns {numeric}: name the one forecast with "
                "label=..."
            )
        target = numeric[0]
    rows = data[data[id_column] == series]
    if rows.empty:
        ids = list(pd.unique(data[id_column]))[:5]
        raise ValueError(f"series={series!r} is not in history's {id_column!r} (e.g. {ids}).")
    history = rows.sort_values(time_column).set_index(time_column)[target]
    future = forecast[forecast[id_column] == series].drop(columns=id_column)
    future = future.set_index(time_column)
    future.attrs = dict(forecast.attrs)
    return history.rename(f"{target} ({id_column} {series})"), future, None


# --- plot_history ------------------------------------------------------------


def _nested(obj, depth=0):
    """``obj``, then the estimators inside it, depth first: a pipeline's last
    step and fitted sub-estimators (``best_estimator_``, ``regressor_``, ...)."""
    yield obj
    if depth > 4:
        return
    if isinstance(getattr(obj, "steps", None), list) and obj.steps:
        yield from _nested(obj.steps[-1][1], depth + 1)
    for key, value in list(getattr(obj, "__dict__", {}).items()):
        if key.endswith("_") and not key.startswith("_") and hasattr(value, "get_params"):
            yield from _nested(value, depth + 1)


def _find_history(obj):
    """``(history, unit)``: the loss history held by ``obj`` or by an estimator inside
    it, and what one of its entries is (None, None where there is none)."""
    if isinstance(obj, dict):
        return (obj, "epoch") if "loss" in obj else (None, None)
    for inner in _nested(obj):
        history = getattr(inner, "history_", None)
        if history is not None:
            # LSTMForecaster trains for a budget of steps on sampled windows (n_steps_)
            return history, "pass" if hasattr(inner, "n_steps_") else "epoch"
        keras_history = getattr(inner, "history", None)  # keras.callbacks.History
        if isinstance(keras_history, dict) and "loss" in keras_history:
            return keras_history, "epoch"
    return None, None


LOSS_NAMES = {"mse": "mean squared error", "mean_squared_error": "mean squared error",
              "mae": "mean absolute error", "mean_absolute_error": "mean absolute error"}


def _find_loss_name(obj):
    """The ``loss`` parameter of the network inside ``obj``, as text, or None."""
    # an LSTMRegressor exists only once its module is imported: plotting never imports Keras
    regressor = sys.modules.get("sklstm._regressor")
    if regressor is None:
        return None
    for inner in _nested(obj):
        if isinstance(inner, regressor.LSTMRegressor):
            loss = inner.loss
            return loss if isinstance(loss, str) else type(loss).__name__
    return None


def plot_history(estimator_or_history, *, ylabel=None, ax=None):
    """Plot the training loss and validation loss per epoch.

    An :class:`~sklstm.LSTMForecaster` logs its loss per pass over the
    windows it trains on (a budget of gradient steps, not epochs): its
    x-axis says "pass". A history dict is read as one entry per epoch.

    Parameters
    ----------
    estimator_or_history : estimator or dict
        A fitted :class:`~sklstm.LSTMRegressor`, anything holding one (a
        Pipeline, TransformedTargetRegressor, fitted GridSearchCV, ...), or a
        history dict with ``"loss"`` and optionally ``"val_loss"``.

    ylabel : str or None, default=None
        Label of the loss axis, best saying what the loss measures in which
        units (for the recipe's scaled target: ``"mean squared error (scaled
        data)"``). None names the network's loss, e.g. ``"loss: mean squared
        error"``.

    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; None makes a new figure.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on: a "training loss" line (``loss``), a "validation
        loss" line (``val_loss``) when there is one, and a marker at the
        epoch of lowest validation loss (the weights kept by early stopping).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklstm.plotting import plot_history
    >>> ax = plot_history({"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.6, 0.7]})
    >>> [line.get_label() for line in ax.lines]
    ['training loss', 'validation loss']
    >>> plt.close(ax.figure)
    """
    history, unit = _find_history(estimator_or_history)
    if history is None:
        kind = type(estimator_or_history).__name__
        if isinstance(estimator_or_history, dict):
            raise ValueError(
                f"the history dict has no 'loss' key, got keys "
                f"{list(estimator_or_history)}; pass LSTMRegressor.history_."
            )
        if hasattr(estimator_or_history, "get_params"):
            raise ValueError(
                f"{kind} holds no training history (history_); fit it first, and "
                "check it contains an LSTMRegressor."
            )
        raise TypeError(
            f"estimator_or_history must be a fitted LSTMRegressor, an estimator "
            f"holding one, or a history dict, got {kind}."
        )
    if "loss" not in history or len(history["loss"]) == 0:
        raise ValueError("the training history has no 'loss' values to plot.")

    loss = np.asarray(history["loss"], dtype=float)
    if not np.isfinite(loss).any():
        raise ValueError(
            f"the training history's 'loss' has no finite value ({len(loss)} {unit}(s), all "
            "NaN or infinite): the training diverged and there is no curve to plot."
        )
    ax = _get_ax(ax, (6, 3.5))
    epochs = np.arange(1, len(loss) + 1)
    ax.plot(epochs, loss, color="C0", label="training loss")
    val = history.get("val_loss")
    if val is not None and len(val) and not np.isfinite(np.asarray(val, dtype=float)).any():
        # say so in the legend rather than draw an invisible line and no marker
        ax.plot([], [], color="C1", label="validation loss: no finite value")
        val = None
    if val is not None and len(val):
        val = np.asarray(val, dtype=float)
        ax.plot(np.arange(1, len(val) + 1), val, color="C1", label="validation loss")
        best = int(np.nanargmin(val))
        ax.scatter([best + 1], [val[best]], color="C1", zorder=3, edgecolor="black",
                   label=f"lowest validation loss ({unit} {best + 1}): weights kept")
    values = np.r_[loss, val if val is not None else []]
    values = values[np.isfinite(values)]
    if values.size and values.min() > 0 and values.max() / values.min() > 30:
        ax.set_yscale("log")
    ax.set_xlabel(unit if unit == "epoch" else "pass over the training windows")
    if ylabel is None:
        name = _find_loss_name(estimator_or_history)
        ylabel = f"loss: {LOSS_NAMES.get(name, name)}" if name else "loss"
    ax.set_ylabel(ylabel)
    ax.set_title(f"Training: loss per {unit} (lower is better)", fontsize="medium")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return ax
