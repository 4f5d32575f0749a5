"""
Long data: 22 unaligned industries, one global LSTM
===================================================

U.S. employment by industry as *long* data, one row per industry and month,
the layout of statsforecast and neuralforecast (``unique_id, ds, y``). Each
series here starts at a different month, as long data usually does.
``make_supervised(..., series=, time=)`` frames every series on its own, one
:class:`sklstm.LSTMForecaster` learns them all from windows scaled by
themselves, :class:`sklstm.PanelSplit` cross-validates the next 12 months of
every series, and ``forecast(..., series=, time=)`` returns a long forecast.
The network does not forecast from nothing: it learns the correction to the
best simple forecast of the training windows (here a linear autoregression
on the window), which ``simple_forecast_`` names.
"""

# %%
# The long panel: 22 series, 96 to 120 months each.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.model_selection import cross_validate

from sklstm import LSTMForecaster, PanelSplit, forecast, make_supervised
from sklstm.datasets import load_us_employment

HORIZON = 12
wide = load_us_employment()
jobs = (wide.rename_axis("month").reset_index()
        .melt(id_vars="month", var_name="industry", value_name="jobs"))
skipped = {name: 6 * i % 30 for i, name in enumerate(wide.columns)}  # late starts
jobs = jobs[jobs.groupby("industry").cumcount() >= jobs["industry"].map(skipped)]
print(jobs.head(3))
print(jobs.groupby("industry").size().agg(["min", "max"]).to_dict())

X, y = make_supervised(jobs, target="jobs", series="industry", time="month", horizon=HORIZON)
print(X.shape, y.shape, X.index.names)


# %%
# Cross-validation the competition's way: each of 3 folds holds out the next
# 12 months of every series (11 months apart from its training rows, so no
# training target reaches into them). The score is scale free: per series,
# the MAE over that of persistence ("every next month = this month") on the
# same rows, then the mean over the series; below 1 beats persistence.
def mae_over_persistence(estimator, X, y):
    truth = np.asarray(y)
    errors = pd.DataFrame({
        "model": np.abs(estimator.predict(X) - truth).mean(axis=1),
        "persistence": np.abs(X[["jobs"]].to_numpy() - truth).mean(axis=1),
    }, index=X.index.get_level_values("industry")).groupby(level=0).mean()
    return (errors["model"] / errors["persistence"]).mean()


model = LSTMForecaster(season_length=12, random_state=0)
cv = PanelSplit(n_splits=3)
scores = cross_validate(model, X, y, cv=cv, scoring=mae_over_persistence)["test_score"]
print("MAE / persistence per fold:", np.round(scores, 3), "mean", round(scores.mean(), 3))

# %%
# The folds: for each series, the months each fold trains on and tests.
fig, ax = plt.subplots(figsize=(8, 3.5))
names = list(dict.fromkeys(X.index.get_level_values("industry")))[:6]
months = X.index.get_level_values("month")
for k, (train, test) in enumerate(cv.split(X, y)):
    for i, name in enumerate(names):
        row = i * 4 + k
        tr = train[X.index.get_level_values("industry")[train] == name]
        te = test[X.index.get_level_values("industry")[test] == name]
        ax.plot(months[tr], np.full(len(tr), row), "|", color="tab:blue", markersize=4)
        ax.plot(months[te], np.full(len(te), row), "|", color="tab:orange", markersize=4)
ax.set_yticks([i * 4 + 1 for i in range(len(names))], names)
ax.set_title("PanelSplit: 3 folds per series (blue: train, orange: test)")
fig.tight_layout()

# %%
# Fit on every month and forecast the next 12 of every series: a long frame,
# dated on the panel's monthly step.
model.fit(X, y)
fc = forecast(model, jobs, target="jobs", series="industry", time="month")
print(fc.head(3))
L, fold = model.sequence_length_, model.fold_
print(f"windows of {L} months, {L // fold} LSTM steps; the network corrects the simple "
      f"forecast {model.simple_forecast_['kind']!r}, after {model.n_steps_} gradient steps")

fig, axes = plt.subplots(3, 1, figsize=(8, 7), sharex=True)
for ax, name in zip(axes, ["construction", "retail_trade", "leisure_and_hospitality"]):
    history = jobs[jobs["industry"] == name]
    future = fc[fc["industry"] == name]
    ax.plot(history["month"], history["jobs"], color="black", label="history")
    ax.plot(future["month"], future["forecast"], color="tab:red", label="forecast")
    ax.set_title(name.replace("_", " "))
    ax.set_ylabel("thousand jobs")
axes[0].legend(loc="upper left")
fig.suptitle("One LSTM for 22 unaligned series: the next 12 months")
fig.tight_layout()
plt.show()
