"""
LSTM against Ridge and persistence, honestly
============================================

The first question about any forecaster: does it beat "tomorrow = today"?
On Seattle's daily maximum temperature, persistence is hard to beat, and a
plain LSTM pipeline loses to it. This example compares three models on the
same ``TimeSeriesSplit`` folds, one day ahead:

- :class:`sklstm.PersistenceRegressor`, the naive baseline;
- Ridge regression on the same windows of the past
  (``SequenceWindower(flatten=True, padding="edge")``), a strong linear model;
- :class:`sklstm.LSTMForecaster`, the package's recipe, with its trend
  handling in the grid.

Both learned models pick their parameters by a grid search *inside each
outer training fold* (nested cross-validation), so the test folds never
choose anything. ``benchmarks/bench_forecast_quality.py`` runs the full
version of this comparison and reports its numbers.
"""

# %%
# Frame the series: row t holds the temperature of day t, the target is day
# t+1.
import matplotlib.pyplot as plt
import pandas as pd
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline

from sklstm import (
    LSTMForecaster,
    PersistenceRegressor,
    SequenceWindower,
    make_supervised,
)
from sklstm.datasets import load_seattle_weather
from sklstm.plotting import plot_forecast

weather = load_seattle_weather()
X, y = make_supervised(weather, "temp_max", features=["temp_max"])

# %%
# The three models. The LSTM grid crosses window length, network size and
# the trend option: ``"diff"`` learns the change from today from the past
# relative to today; ``"highway"`` adds a linear autoregressive skip path
# (starting as persistence) to an LSTM on the scaled levels.
inner = TimeSeriesSplit(3)
mae = "neg_mean_absolute_error"
lstm_grid = {"sequence_length": [7, 14], "units": [16, 32],
             "trend": ["none", "diff", "highway"]}
lstm = LSTMForecaster(random_state=0)
ridge = Pipeline([("window", SequenceWindower(padding="edge", flatten=True)),
                  ("ridge", Ridge())])
models = {
    "persistence": PersistenceRegressor(),
    "ridge": GridSearchCV(ridge, {"window__sequence_length": [7, 14],
                                  "ridge__alpha": [0.1, 1.0, 10.0]}, cv=inner, scoring=mae),
    "lstm": GridSearchCV(lstm, lstm_grid, cv=inner, scoring=mae),
}

# %%
# The outer folds. ``predict`` on a test block windows its first days with
# the last training days (the windower remembers them), so every day has a
# full window, as it would in use.
outer = TimeSeriesSplit(5)
rows, last_fold = [], {}
for fold, (train, test) in enumerate(outer.split(X)):
    row = {"fold": fold, "test from": X.index[test[0]].date()}
    for name, model in models.items():
        model.fit(X.iloc[train], y.iloc[train])
        pred = model.predict(X.iloc[test])
        row[name] = mean_absolute_error(y.iloc[test], pred)
        last_fold[name] = pd.Series(pred, index=y.index[test] + pd.Timedelta(days=1))
    row["lstm picked"] = models["lstm"].best_params_
    rows.append(row)
scores = pd.DataFrame(rows).set_index("fold")
print(scores.to_string(float_format="%.3f"))
means = scores[["persistence", "ridge", "lstm"]].mean()
print("\nmean MAE:", means.round(3).to_dict())

# %%
# Mean absolute error per fold (°C, lower is better).
ax = scores[["persistence", "ridge", "lstm"]].plot.bar(
    figsize=(8, 3.5), color=["0.6", "C0", "C3"], rot=0)
ax.set(ylabel="mean absolute error (°C)", xlabel="test period (outer fold)",
       title="Error of tomorrow's forecast on each test period (lower is better)\nmean: "
             + ", ".join(f"{k} {v:.2f} °C" for k, v in means.items()))
ax.set_xticks(range(len(scores)), [f"from {day}" for day in scores["test from"]])
ax.set_ylim(0.8 * scores[["persistence", "ridge", "lstm"]].to_numpy().min(), None)
ax.figure.tight_layout()

# %%
# The last test block: what the LSTM predicted for each day against what
# happened. Predictions are indexed by the day they forecast.
temp = weather["temp_max"]
ax = plot_forecast(temp, cv_predictions=last_fold["lstm"].reindex(temp.index), tail=90)
ax.lines[-1].set(label="lstm", color="C3")
ridge_tail = last_fold["ridge"].loc[temp.index[-90]:]
ax.plot(ridge_tail.index, ridge_tail.to_numpy(), color="C0", lw=0.8, alpha=0.7,
        label="ridge")
ax.set_title("The last 90 days of the last test period: tomorrow's forecasts and what "
             "happened", fontsize="medium")
ax.legend(fontsize="small")
plt.show()
