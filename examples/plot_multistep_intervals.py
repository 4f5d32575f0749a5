"""
A week ahead with prediction intervals
======================================

One :class:`sklstm.LSTMForecaster` with a 7-wide output head forecasts the
daily maximum temperature for each of the next seven days at once (*direct*
multi-step forecasting: no prediction is fed back as an input). Its
:meth:`~sklstm.LSTMForecaster.predict_interval` adds split-conformal
intervals: the absolute errors on the last rows of the training data, which
the network never trains on, give each horizon step its own half-width.

We first check the recipe on a held-out year (error per horizon against
persistence, and how often the 90% interval really holds the truth), then
refit on all the data and forecast the week after it with
:func:`sklstm.forecast`.
"""

# %%
# The data: daily Seattle maximum temperature, framed so that row t holds the
# temperature of day t and the targets are days t+1 .. t+7.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sklstm import LSTMForecaster, forecast, make_supervised
from sklstm.datasets import load_seattle_weather
from sklstm.plotting import plot_forecast

HORIZON = 7
weather = load_seattle_weather()
temp = weather["temp_max"]
X, y = make_supervised(temp, "temp_max", horizon=HORIZON)
print(X.shape, y.shape, list(y.columns))


def make_model():
    return LSTMForecaster(random_state=0)  # the defaults: 14 days, 32 units, trend="diff"


# %%
# Hold out the last year. The forecaster remembers the last training days,
# so the first held-out days are windowed with them: every held-out day is
# forecast with its full history, as it would be in use.
n_test = 365
split = len(X) - n_test
model = make_model().fit(X.iloc[:split], y.iloc[:split])
pred = model.predict(X.iloc[split:])
lower, upper = model.predict_interval(X.iloc[split:], coverage=0.9)
truth = y.to_numpy()[split:]
persistence = np.repeat(X["temp_max"].to_numpy()[split:, None], HORIZON, axis=1)

table = pd.DataFrame(
    {
        "persistence MAE": np.abs(persistence - truth).mean(axis=0),
        "LSTM MAE": np.abs(pred - truth).mean(axis=0),
        "90% interval holds truth": ((lower <= truth) & (truth <= upper)).mean(axis=0),
        "interval width": (upper - lower).mean(axis=0),
    },
    index=pd.Index(y.columns, name="target"),
)
print(table.round(3).to_string())

# %%
# Error and coverage per horizon step. Persistence gets worse quickly with
# the horizon; the direct head degrades more slowly. The coverage should sit
# near the nominal 90% (it is estimated on few hundred correlated days, so a
# few points off is expected).
fig, (ax_err, ax_cov) = plt.subplots(1, 2, figsize=(10, 3.5))
steps = np.arange(1, HORIZON + 1)
ax_err.plot(steps, table["persistence MAE"], "o-", color="0.4", label="persistence")
ax_err.plot(steps, table["LSTM MAE"], "o-", color="C3", label="LSTMForecaster")
ax_err.set(xlabel="days ahead", ylabel="mean absolute error (°C)",
           title="Error on the held-out year, by days ahead")
ax_err.legend()
ax_cov.bar(steps, table["90% interval holds truth"], color="C3", alpha=0.6)
ax_cov.axhline(0.9, color="k", ls="--", lw=1, label="the 90% aimed at")
ax_cov.set(xlabel="days ahead", ylabel="share of days inside the interval", ylim=(0, 1),
           title="How often the 90% interval held the truth")
ax_cov.legend(loc="lower right")
fig.tight_layout()

# %%
# The week after the data. Refit on every row, then :func:`sklstm.forecast`
# reads the 7-wide head at the last observed day and indexes the result by
# the next seven dates (the series has a daily ``DatetimeIndex``).
final = make_model().fit(X, y)
week = forecast(final, temp, target="temp_max", coverage=0.9)
print(week.round(1).to_string())

plot_forecast(temp, forecast=week, tail=60)
plt.show()
