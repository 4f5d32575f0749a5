import re

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from sklstm import LSTMRegressor, SequenceWindower
from sklstm.plotting import (
    plot_cv_folds,
    plot_forecast,
    plot_grid_search,
    plot_history,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def history():
    days = pd.date_range("2021-03-01", periods=40, freq="D", name="date")
    return pd.Series(np.sin(np.arange(40) / 4.0) * 5 + 10, index=days, name="temp_max")


@pytest.fixture(scope="module")
def future(history):
    days = pd.date_range(history.index[-1] + pd.Timedelta(days=1), periods=5, freq="D")
    return pd.DataFrame({"forecast": np.linspace(9, 11, 5)}, index=days)


def _ridge_search(scoring="neg_mean_absolute_error", refit=True, extra=None):
    t = np.arange(90.0)
    X, y = np.sin(t / 5)[:-1, None], np.sin(t / 5)[1:]
    pipe = Pipeline([("window", SequenceWindower(flatten=True, padding="edge")),
                     ("ridge", Ridge())])
    grid = {"window__sequence_length": [2, 4, 8], "ridge__alpha": [0.01, 1.0]}
    grid.update(extra or {})
    return GridSearchCV(pipe, grid, cv=TimeSeriesSplit(n_splits=3), scoring=scoring,
                        refit=refit).fit(X, y)


@pytest.fixture(scope="module")
def ridge_search():
    return _ridge_search()


@pytest.fixture(scope="module")
def fitted_lstm_model():
    """A tiny LSTM nested as in the recommended recipe."""
    t = np.arange(60.0)
    X, y = np.sin(t / 4)[:-1, None], np.sin(t / 4)[1:]
    pipe = Pipeline([("scale", MinMaxScaler()), ("window", SequenceWindower(4)),
                     ("lstm", LSTMRegressor(units=4, epochs=3, n_iter_no_change=5,
                                            random_state=0))])
    return TransformedTargetRegressor(regressor=pipe, transformer=MinMaxScaler()).fit(X, y)


# --- plot_forecast -----------------------------------------------------------


def _labels(ax):
    return [line.get_label() for line in ax.lines]


@pytest.mark.parametrize(
    "with_cv, forecast_kind, labels, n_bands",
    [
        (False, None, ["temp_max"], 0),
        (True, None, ["temp_max", "forecast made in cross-validation"], 0),
        (False, "point", ["temp_max", "forecast"], 0),
        (False, "interval", ["temp_max", "forecast"], 1),
        (True, "interval", ["temp_max", "forecast made in cross-validation", "forecast"], 1),
    ],
)
def test_plot_forecast_draws_one_line_per_series_and_a_band(
        history, future, with_cv, forecast_kind, labels, n_bands):
    fc = {
        None: None,
        "point": future,
        "interval": future.assign(lower=future["forecast"] - 1, upper=future["forecast"] + 1),
    }[forecast_kind]
    cv = history.shift(1).iloc[20:] if with_cv else None
    ax = plot_forecast(history, cv_predictions=cv, forecast=fc)
    assert _labels(ax) == labels
    assert len(ax.collections) == n_bands
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert set(labels) <= set(legend)
    assert isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)


def test_plot_forecast_places_forecast_after_history(history, future):
    ax = plot_forecast(history, forecast=future)
    line = dict(zip(_labels(ax), ax.lines))["forecast"]
    np.testing.assert_array_equal(line.get_ydata(), future["forecast"].to_numpy())
    x = mdates.date2num(line.get_xdata())
    assert x.min() > mdates.date2num(history.index[-1])
    assert ax.get_title() == "Forecast of the next 5 steps"


def test_plot_forecast_band_labels_coverage_from_attrs(history, future):
    frame = future.assign(lower=future["forecast"] - 1, upper=future["forecast"] + 1)
    frame.attrs["coverage"] = 0.8
    ax = plot_forecast(history, forecast=frame)
    assert "80% prediction interval" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_plot_forecast_tail_keeps_last_observations(history):
    cv = history.shift(1)
    ax = plot_forecast(history, cv_predictions=cv, tail=10)
    observed, predicted = ax.lines
    assert len(observed.get_xdata()) == 10
    assert len(predicted.get_xdata()) == 10


def test_plot_forecast_array_predictions_align_to_history():
    history = np.arange(8.0)
    pred = np.r_[[np.nan] * 4, history[4:] + 0.5]
    ax = plot_forecast(history, cv_predictions=pred)
    np.testing.assert_array_equal(ax.lines[1].get_xdata(), np.arange(8))
    assert ax.get_xlabel() == "time step"


def test_plot_forecast_does_not_mutate_inputs(history, future):
    h, f = history.copy(), future.copy()
    plot_forecast(history, cv_predictions=history * 1.0, forecast=future, tail=5)
    pd.testing.assert_series_equal(history, h)
    pd.testing.assert_frame_equal(future, f)


def test_plot_forecast_unit_from_attrs_label_and_unit_options(history):
    assert plot_forecast(history).get_ylabel() == "temp_max"  # no unit known
    with_units = history.copy()
    with_units.attrs["units"] = {"temp_max": "°C"}
    assert plot_forecast(with_units).get_ylabel() == "temp_max (°C)"
    ax = plot_forecast(with_units, label="daily maximum", unit="K")
    assert ax.get_ylabel() == "daily maximum (K)"
    assert _labels(ax) == ["daily maximum"]


def test_plot_forecast_embedded_weather_columns_carry_their_unit():
    from sklstm.datasets import load_seattle_weather

    weather = load_seattle_weather()
    assert plot_forecast(weather["temp_max"], tail=30).get_ylabel() == "temp_max (°C)"
    assert plot_forecast(weather["wind"], tail=30).get_ylabel() == "wind (m/s)"


def _span(ax):
    return [p for p in ax.patches if p.get_label() == "no cross-validation forecast"]


def test_plot_forecast_marks_the_rows_after_the_last_cv_prediction(history):
    ax = plot_forecast(history, cv_predictions=history.shift(1).iloc[20:-6])
    (span,) = _span(ax)
    left, right = span.get_x(), span.get_x() + span.get_width()
    assert mdates.num2date(left).date() == history.index[-7].date()
    assert mdates.num2date(right).date() == history.index[-1].date()
    assert not _span(plot_forecast(history, cv_predictions=history.shift(1).iloc[20:]))


def test_plot_forecast_dates_have_no_lone_offset_and_name_the_years(history, future):
    fig, ax = plt.subplots()
    plot_forecast(history.loc["2021-03-20":], forecast=future, ax=ax)
    fig.canvas.draw()
    assert ax.xaxis.get_offset_text().get_text() == ""
    assert ax.get_xlabel() == "date (2021)"
    newyear = pd.Series(np.arange(20.0), name="y",
                        index=pd.date_range("2015-12-20", periods=20, freq="D"))
    assert plot_forecast(newyear).get_xlabel() == "date (2015\u20132016)"


def test_plot_forecast_uses_given_axes(history):
    _, axes = plt.subplots(1, 2)
    assert plot_forecast(history, ax=axes[1]) is axes[1]
    assert not axes[0].lines


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"history": pd.DataFrame({"a": [1.0], "b": [2.0]})}, ValueError, "one series"),
        ({"history": np.ones((3, 2))}, ValueError, "must be 1-D"),
        ({"history": pd.Series(["a", "b"])}, TypeError, "history must be numeric"),
        ({"cv_predictions": np.ones(3)}, ValueError, "has 3 values but history has 40"),
        ({"cv_predictions": pd.Series([1.0], index=[pd.Timestamp("1999-01-01")])},
         ValueError, "not in history's index"),
        ({"cv_predictions": pd.Series([1.0, 2.0])}, ValueError, "indexed like history"),
        ({"forecast": pd.DataFrame({"yhat": [1.0]})}, ValueError, "'forecast' column"),
        ({"forecast": pd.DataFrame({"forecast": [1.0], "lower": [0.0]},
                                   index=[pd.Timestamp("2022-01-01")])},
         ValueError, "only one of the 'lower' and 'upper'"),
        ({"forecast": pd.DataFrame({"forecast": [1.0]})}, ValueError, "indexed like history"),
        ({"tail": 0}, ValueError, "tail must be a positive int"),
        ({"ax": "left"}, TypeError, "ax must be a matplotlib Axes"),
    ],
)
def test_plot_forecast_rejects_bad_input(history, kwargs, error, match):
    kwargs = {"history": history, **kwargs}
    open_before = plt.get_fignums()
    with pytest.raises(error, match=match):
        plot_forecast(**kwargs)
    assert plt.get_fignums() == open_before  # checked before drawing: no stray figure


# --- plot_cv_folds -----------------------------------------------------------


@pytest.mark.parametrize("n_splits, gap", [(2, 0), (4, 0), (3, 5)])
def test_plot_cv_folds_one_bar_per_train_and_test_span(n_splits, gap):
    X = np.zeros((60, 1))
    cv = TimeSeriesSplit(n_splits=n_splits, gap=gap)
    ax = plot_cv_folds(cv, X)
    bars = ax.patches
    assert len(bars) == 2 * n_splits
    expected = [len(rows) for train, test in cv.split(X) for rows in (train, test)]
    assert [bar.get_width() for bar in bars] == expected
    # the test bar starts gap rows after the train bar ends
    for train_bar, test_bar in zip(bars[::2], bars[1::2]):
        assert test_bar.get_x() - (train_bar.get_x() + train_bar.get_width()) == gap
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        f"fold {k}" for k in range(1, n_splits + 1)]
    assert ax.get_xlabel() == "row"


def test_plot_cv_folds_puts_dates_on_the_x_axis(history):
    frame = history.to_frame()
    ax = plot_cv_folds(TimeSeriesSplit(n_splits=3), frame)
    first = ax.patches[0]
    assert first.get_x() == pytest.approx(mdates.date2num(history.index[0]))
    assert isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)
    assert ax.get_xlabel() == "date (2021)"
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"training rows", "test rows"}


def test_plot_cv_folds_accepts_a_datetimeindex(history):
    ax = plot_cv_folds(TimeSeriesSplit(n_splits=2), history.index)
    assert len(ax.patches) == 4


@pytest.mark.parametrize("cv", [5, "TimeSeriesSplit", None])
def test_plot_cv_folds_rejects_non_splitters(cv):
    with pytest.raises(TypeError, match="cv must be a cross-validation splitter"):
        plot_cv_folds(cv, np.zeros((20, 1)))


# --- plot_grid_search --------------------------------------------------------


def _cell_texts(ax):
    return [t for t in ax.texts if t.get_text()]


def test_plot_grid_search_heatmap_from_a_fitted_search(ridge_search):
    ax = plot_grid_search(ridge_search, x="sequence_length", y="alpha")
    (image,) = ax.images
    grid = image.get_array()
    assert grid.shape == (2, 3)
    # a neg_ scorer is shown as the error itself: -mean_test_score
    res = pd.DataFrame(ridge_search.cv_results_)
    expected = -res.pivot_table(index="param_ridge__alpha",
                                columns="param_window__sequence_length",
                                values="mean_test_score").to_numpy()
    np.testing.assert_allclose(grid, expected)
    assert len(_cell_texts(ax)) == 6
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2", "4", "8"]
    assert ax.get_xlabel() == "sequence_length"
    assert "mean absolute error" in ax.figure.axes[-1].get_ylabel()  # colorbar
    # the outlined best cell is the lowest error
    (outline,) = [p for p in ax.patches if not p.get_fill()]
    row, col = np.unravel_index(np.argmin(expected), expected.shape)
    assert (outline.get_x() + 0.5, outline.get_y() + 0.5) == (col, row)
    best = ridge_search.best_params_
    assert f"sequence_length={best['window__sequence_length']}" in ax.get_title()


def test_plot_grid_search_says_when_the_cells_differ_less_than_the_folds(ridge_search):
    results = pd.DataFrame(ridge_search.cv_results_)
    # means 0.01 apart, folds 0.2 apart: the colours span the cells, the title warns
    results["mean_test_score"] = -1.0 - 0.002 * np.arange(len(results))
    results["std_test_score"] = 0.2
    ax = plot_grid_search(results, x="sequence_length", y="alpha", score="score",
                          unit="°C")
    (image,) = ax.images
    grid = image.get_array()
    assert (image.norm.vmin, image.norm.vmax) == (grid.min(), grid.max())
    assert "less than the folds' spread (0.2): none is reliably best" in ax.get_title()
    # the real search's means differ by more than its folds: the colours span the means
    ax = plot_grid_search(ridge_search, x="sequence_length", y="alpha", unit="°C")
    grid = ax.images[0].get_array()
    assert (ax.images[0].norm.vmin, ax.images[0].norm.vmax) == (grid.min(), grid.max())
    assert ax.figure.axes[-1].get_ylabel() == (
        "mean absolute error (°C)\nmean ± spread over the 3 test folds")
    assert "reliably" not in ax.get_title()


def test_plot_grid_search_shows_a_callable_scorers_error_when_told(ridge_search):
    # as the CLI's scorer, a callable returning minus the errors it names
    def scorer(estimator, X, y):
        return {"mae": -float(np.mean(np.abs(estimator.predict(X) - y)))}

    search = _ridge_search(scoring=scorer, refit="mae")
    ax = plot_grid_search(search, y="alpha", negate=True, label="MAE", unit="°C")
    grid = ax.images[0].get_array()
    np.testing.assert_allclose(np.sort(grid.ravel()),
                               np.sort(-search.cv_results_["mean_test_mae"]))
    assert ax.figure.axes[-1].get_ylabel() == "MAE (°C)\nmean ± spread over the 3 test folds"
    # the lowest error is outlined
    (outline,) = [p for p in ax.patches if not p.get_fill()]
    row, col = np.unravel_index(np.argmin(grid), grid.shape)
    assert (outline.get_x() + 0.5, outline.get_y() + 0.5) == (col, row)


@pytest.mark.parametrize("as_frame", [False, True])
def test_plot_grid_search_accepts_cv_results(ridge_search, as_frame):
    results = ridge_search.cv_results_
    results = pd.DataFrame(results) if as_frame else results
    ax = plot_grid_search(results, x="window__sequence_length", y="ridge__alpha")
    grid = ax.images[0].get_array()
    # no scorer known: the raw (negative) score, higher is better
    assert np.all(grid < 0)
    assert "mean_test_score" in ax.figure.axes[-1].get_ylabel()


def test_plot_grid_search_multimetric_uses_refit_or_named_score():
    search = _ridge_search(
        scoring={"mae": "neg_mean_absolute_error", "r2": "r2"}, refit="mae")
    res = search.cv_results_
    mae = plot_grid_search(search, y="alpha").images[0].get_array()
    r2 = plot_grid_search(search, y="alpha", score="r2").images[0].get_array()
    assert np.allclose(np.sort(mae.ravel()), np.sort(-res["mean_test_mae"]))
    assert np.allclose(np.sort(r2.ravel()), np.sort(res["mean_test_r2"]))


def test_plot_grid_search_takes_best_over_other_parameters():
    search = _ridge_search(extra={"ridge__fit_intercept": [True, False]})
    ax = plot_grid_search(search, y="alpha")
    res = pd.DataFrame(search.cv_results_)
    best = -res.groupby(["param_ridge__alpha", "param_window__sequence_length"])[
        "mean_test_score"].max().unstack().to_numpy()
    np.testing.assert_allclose(ax.images[0].get_array(), best)
    assert "each cell: its best of the other parameters" in ax.figure.axes[-1].get_ylabel()


@pytest.mark.parametrize(
    "obj, kwargs, error, match",
    [
        ("search", {"x": "units"}, ValueError, r"x='units' is not a searched parameter"),
        ("search", {"y": "alpha", "x": "ridge__alpha"}, ValueError, "two different"),
        ("search", {"y": "alpha", "score": "rmse"}, ValueError, "score='rmse' is not"),
        ("unfitted", {}, ValueError, "not fitted yet"),
        ("list", {}, TypeError, "must be a fitted search"),
    ],
)
def test_plot_grid_search_rejects_bad_input(ridge_search, obj, kwargs, error, match):
    target = {
        "search": ridge_search,
        "unfitted": GridSearchCV(Ridge(), {"alpha": [1.0]}),
        "list": [1, 2],
    }[obj]
    open_before = plt.get_fignums()
    with pytest.raises(error, match=match):
        plot_grid_search(target, **kwargs)
    assert plt.get_fignums() == open_before


def test_plot_grid_search_ambiguous_short_name():
    results = {
        "param_a__units": [1, 2], "param_b__units": [1, 2],
        "param_c__sequence_length": [3, 4], "mean_test_score": [0.1, 0.2],
    }
    with pytest.raises(ValueError, match="matches several searched parameters"):
        plot_grid_search(results)


# --- plot_history ------------------------------------------------------------


def test_plot_history_from_a_dict_marks_the_best_epoch():
    ax = plot_history({"loss": [0.9, 0.5, 0.3, 0.2], "val_loss": [1.0, 0.4, 0.6, 0.7]})
    loss, val = ax.lines
    assert (loss.get_label(), val.get_label()) == ("training loss", "validation loss")
    np.testing.assert_array_equal(loss.get_xdata(), [1, 2, 3, 4])
    (marker,) = ax.collections
    np.testing.assert_array_equal(marker.get_offsets(), [[2, 0.4]])
    assert ax.get_xlabel() == "epoch"


def test_plot_history_without_validation_loss():
    ax = plot_history({"loss": [0.9, 0.5]})
    assert [line.get_label() for line in ax.lines] == ["training loss"]
    assert not ax.collections


def test_plot_history_with_an_all_nan_validation_curve_says_so():
    ax = plot_history({"loss": [0.9, 0.5], "val_loss": [np.nan, np.nan]})
    assert [line.get_label() for line in ax.lines] == [
        "training loss", "validation loss: no finite value"]
    assert not ax.collections
    assert "validation loss: no finite value" in [
        t.get_text() for t in ax.get_legend().get_texts()]


def test_plot_history_finds_the_lstm_inside_nested_estimators(fitted_lstm_model):
    lstm = fitted_lstm_model.regressor_.named_steps["lstm"]
    n_epochs = len(lstm.history_["loss"])
    for holder in (lstm, fitted_lstm_model.regressor_, fitted_lstm_model):
        ax = plot_history(holder)
        assert len(ax.lines[0].get_xdata()) == n_epochs
        assert "validation loss" in [line.get_label() for line in ax.lines]
        assert ax.get_ylabel() == "loss: mean squared error"  # the network's loss, named


def test_plot_history_loss_axis_label():
    assert plot_history({"loss": [0.9, 0.5]}).get_ylabel() == "loss"
    ax = plot_history({"loss": [0.9, 0.5]}, ylabel="MSE of the scaled target")
    assert ax.get_ylabel() == "MSE of the scaled target"


@pytest.mark.parametrize(
    "obj, error, match",
    [
        (LSTMRegressor(), ValueError, "holds no training history"),
        (Pipeline([("ridge", Ridge())]), ValueError, "holds no training history"),
        ({"val_loss": [1.0]}, ValueError, "has no 'loss' key"),
        ({"loss": []}, ValueError, "no 'loss' values"),
        ({"loss": [np.nan, np.nan]}, ValueError,
         r"'loss' has no finite value \(2 epoch\(s\), all NaN or infinite\)"),
        ([0.1, 0.2], TypeError, "must be a fitted LSTMRegressor"),
    ],
)
def test_plot_history_rejects_bad_input(obj, error, match):
    open_before = plt.get_fignums()
    with pytest.raises(error, match=match):
        plot_history(obj)
    assert plt.get_fignums() == open_before


# --- plain words ---------------------------------------------------------------

# words a newcomer would have to look up, which the figures used to print
JARGON = re.compile(r"out-of-fold|\bstd\b|val_loss|min-max|t\+1|CV mean|\bsplits\b|step-ahead")


def _texts(fig):
    """Every title, axis label, legend entry and colour-bar label of a figure."""
    texts = [fig._suptitle.get_text()] if fig._suptitle is not None else []
    for ax in fig.axes:
        texts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        if ax.get_legend() is not None:
            texts += [t.get_text() for t in ax.get_legend().get_texts()]
    return [t for t in texts if t]


def test_plots_speak_plain_words(history, future, ridge_search):
    cv = history.shift(1).iloc[20:30]
    axes = [
        plot_forecast(history, cv_predictions=cv),
        plot_forecast(history, cv_predictions=cv, forecast=future, tail=20),
        plot_cv_folds(TimeSeriesSplit(n_splits=3), history),
        plot_grid_search(ridge_search, x="sequence_length", y="alpha"),
        plot_history({"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.6, 0.7]}),
    ]
    for ax in axes:
        texts = _texts(ax.figure)
        assert texts and not [t for t in texts if JARGON.search(t)], texts


@pytest.mark.parametrize("horizon", [1, 7])
def test_cli_forecast_figure_speaks_plain_words(history, future, horizon):
    from sklstm.cli import _plot_series

    fig, (top, bottom) = plt.subplots(2, 1)
    one_step = history.shift(1).iloc[:-horizon].reindex(history.index)
    fc = future.assign(lower=future["forecast"] - 1, upper=future["forecast"] + 1)
    _plot_series(top, bottom, history, one_step, fc, horizon, 0.9, "°C")
    texts = _texts(fig)
    assert "cross-validation" in top.get_title()
    assert not [t for t in texts if JARGON.search(t)], texts


def test_plot_history_of_a_forecaster_counts_passes_not_epochs():
    # LSTMForecaster trains for a budget of steps; its history has a loss per pass
    from sklstm import LSTMForecaster, make_supervised

    series = pd.Series(np.sin(np.arange(60) / 3), name="y")
    X, y = make_supervised(series, target="y")
    model = LSTMForecaster(sequence_length=5, units=4, max_steps=6, random_state=0).fit(X, y)
    ax = plot_history(model)
    assert ax.get_xlabel() == "pass over the training windows"
    assert ax.get_title() == "Training: loss per pass (lower is better)"
    assert len(ax.lines[0].get_xdata()) == len(model.history_["loss"])
    plt.close(ax.figure)
