"""
Exogenous inputs: does the rest of the weather help?
====================================================

:func:`sklstm.make_supervised` keeps every chosen column in X, so
exogenous series ride along with the target: here the daily minimum
temperature, precipitation and wind next to the maximum temperature we
forecast. :class:`sklstm.LSTMForecaster` takes the DataFrame as is;
``target_column="temp_max"`` names the column whose last value anchors the
forecast (its ``trend`` handling works on that column, the others enter as
scaled levels).

More inputs are not free: each adds parameters to fit from the same few
hundred days. We measure, on the same ``TimeSeriesSplit`` folds, whether
they pay off for the LSTM and for Ridge on the same windows.
"""

# %%
# Two framings of one DataFrame: the target alone, and with the other
# numeric weather columns. The text column ``weather`` is left out (encode
# it, e.g. with ``OneHotEncoder``, to use it).
import matplotlib.pyplot as plt
import pandas as pd
from sklearn.linear_model import Ridge
from sklearn.model_selection import TimeSeriesSplit, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from sklstm import (
    LSTMForecaster,
    PersistenceRegressor,
    SequenceWindower,
    forecast,
    make_supervised,
)
from sklstm.datasets import load_seattle_weather
from sklstm.plotting import plot_history

weather = load_seattle_weather()
feature_sets = {
    "temp_max only": ["temp_max"],
    "+ temp_min, precipitation, wind": ["temp_max", "temp_min", "precipitation", "wind"],
}
print(weather.head(3).to_string())


def lstm():
    return LSTMForecaster(target_column="temp_max", random_state=0)


def ridge():
    # scaled, so one alpha suits columns of different units
    return Pipeline([("scale", MinMaxScaler()),
                     ("window", SequenceWindower(14, padding="edge", flatten=True)),
                     ("ridge", Ridge(alpha=1.0))])


# %%
# Same folds for every model and feature set, scored by ``cross_validate``:
# each test block's first windows reach back into its training rows.
cv = TimeSeriesSplit(5)
rows = []
for label, features in feature_sets.items():
    X, y = make_supervised(weather, "temp_max", features=features)
    for name, make in {"persistence": lambda: PersistenceRegressor("temp_max"),
                       "ridge": ridge, "lstm": lstm}.items():
        scores = cross_validate(make(), X, y, cv=cv, scoring="neg_mean_absolute_error")
        rows.append({"features": label, "model": name,
                     "MAE": -scores["test_score"].mean()})
table = pd.DataFrame(rows).pivot(index="model", columns="features", values="MAE")
table = table[list(feature_sets)].loc[["persistence", "ridge", "lstm"]]
print(table.to_string(float_format="%.3f"))

# %%
# Mean MAE over the folds (°C, lower is better). Persistence does not look
# at the extra columns, so its two bars match.
ax = table.plot.bar(figsize=(8, 3.5), rot=0, color=["C0", "C2"])
ax.set(ylabel="mean absolute error (°C)", xlabel="",
       title="Error of tomorrow's forecast, with and without the other weather columns")
ax.set_ylim(0.8 * table.to_numpy().min(), 1.1 * table.to_numpy().max())
ax.legend(title="inputs", ncols=2, loc="upper left")
ax.figure.tight_layout()

# %%
# Fit on every row with the exogenous columns, look at the training curve
# (``history_``: early stopping keeps the epoch of lowest validation loss),
# and forecast tomorrow. :func:`sklstm.forecast` picks the columns the model
# was fitted on from the DataFrame.
features = feature_sets["+ temp_min, precipitation, wind"]
X, y = make_supervised(weather, "temp_max", features=features)
model = lstm().fit(X, y)
plot_history(model)
print(forecast(model, weather, target="temp_max", coverage=0.9).round(1))

# %%
# Rolling a model with exogenous inputs forward is impossible without the
# future of those inputs, and :func:`sklstm.forecast` says so:
try:
    forecast(model, weather, target="temp_max", horizon=3, method="recursive")
except ValueError as error:
    print(error)

plt.show()
