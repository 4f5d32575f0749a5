"""
Many series, one model: 22 industries with one LSTM
===================================================

U.S. employment by industry: 22 monthly series of very different sizes
(from about 550 to 140,000 thousand jobs), 120 months each. Instead of one
network per series, one :class:`sklstm.LSTMForecaster` learns them all: every
series' window of the past is a sample of the same LSTM, and each series is
scaled on its own training rows. (``series_embedding=4`` would add a learned
vector per series; on this panel it did not help, see
``benchmarks/panel.md``.)

The data stays *wide*, one row per month and one column per series, so
scikit-learn's :class:`~sklearn.model_selection.TimeSeriesSplit` splits time,
never a series, and ``cross_validate`` works unchanged. The score is scale
free: each series' MAE relative to persistence ("next month = this month"),
averaged over the series.
"""

# %%
# The panel, framed for 12 months ahead: X holds the 22 series at month t,
# y every series' next 12 months (series-major: construction_t+1 ..
# construction_t+12, then the next series).
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import TimeSeriesSplit, cross_validate

from sklstm import LSTMForecaster, forecast, make_supervised
from sklstm.datasets import load_us_employment
from sklstm.plotting import plot_forecast

HORIZON = 12
jobs = load_us_employment()
series = list(jobs.columns)
X, y = make_supervised(jobs, target=series, horizon=HORIZON)
print(X.shape, y.shape)


def make_model():
    return LSTMForecaster(sequence_length=12, target_column=series,
                          epochs=200, random_state=0)


# %%
# A scale-free scorer: per series, the MAE of the forecasts over the MAE of
# persistence on the same rows, then the mean over the series (lower is
# better; below 1 beats persistence). A scorer receives X, so it can read
# each series' current value.
def mae_relative_to_persistence(estimator, X, y):
    truth = np.asarray(y).reshape(len(y), len(series), -1)
    pred = np.asarray(estimator.predict(X)).reshape(truth.shape)
    current = X[series].to_numpy()[:, :, np.newaxis]
    ratio = np.abs(pred - truth).mean(axis=(0, 2)) / np.abs(current - truth).mean(axis=(0, 2))
    return -ratio.mean()  # scikit-learn's scorers: greater is better


cv = TimeSeriesSplit(5, test_size=12, gap=HORIZON - 1)
scores = cross_validate(make_model(), X, y, cv=cv, scoring=mae_relative_to_persistence)
print("MAE / persistence per fold:", np.round(-scores["test_score"], 3))
print(f"mean over folds: {-scores['test_score'].mean():.3f}")

# %%
# One model for every series: refit on all months, then forecast the year
# after the data for every series at once, with 80% split-conformal
# intervals, in the long layout (one row per month and series).
model = make_model().fit(X, y)
future = forecast(model, jobs, target=series, coverage=0.8, layout="long")
print(future[future["series"] == "construction"].round(0).to_string())

fig, axes = plt.subplots(2, 2, figsize=(10, 6))
for ax, name in zip(axes.flat, ["construction", "manufacturing", "leisure_and_hospitality",
                                "government"]):
    one = future[future["series"] == name][["forecast", "lower", "upper"]]
    plot_forecast(jobs[name], forecast=one, tail=48, ax=ax)
    ax.set_title(name.replace("_", " "))
    ax.set_ylabel("thousands of jobs")
    if ax is not axes.flat[0] and ax.get_legend() is not None:
        ax.get_legend().remove()  # one legend is enough
fig.suptitle("One LSTM for 22 series: the next 12 months, 80% intervals")
fig.tight_layout()
plt.show()
