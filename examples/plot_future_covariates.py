"""
Known ahead: promotions, prices and the calendar as future covariates
=====================================================================

Some inputs are known before the days they describe: a promotion planned
for next week, a price list, a holiday, the calendar itself. Such a
*future-known covariate* is worth its values over the horizon, not only
its past. ``make_supervised(..., future=["promo"])`` frames it over the
horizon (``promo_t+1 .. promo_t+7``, the values at the same days as the
targets), ``calendar=True`` adds the day of the week from the dates, and
``forecast(..., future=...)`` takes the planned values of the days ahead.

The data: 20 stores' daily sales over a year and a half, with a weekly
rhythm and promotions planned on random days, each lifting that store's
sales by about a third. We cross-validate three framings of the same
panel on the same folds, then forecast the next week from a promotion plan.
"""

# %%
# The long panel: one row per store and day, the promotion flag beside the
# sales.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.model_selection import cross_validate

from sklstm import LSTMForecaster, PanelSplit, forecast, make_supervised

HORIZON = 7
rng = np.random.default_rng(0)
days = pd.date_range("2023-01-02", periods=540, freq="D")
stores = []
for store in range(20):
    level = rng.uniform(50, 150)
    weekly = 1 + 0.15 * np.sin(2 * np.pi * (days.day_of_week + store) / 7)
    promo = (rng.random(len(days)) < 0.12).astype(float)
    noise = rng.normal(1, 0.05, len(days))
    stores.append(pd.DataFrame({
        "store": f"store_{store:02d}", "day": days, "promo": promo,
        "sales": level * weekly * (1 + 0.35 * promo) * noise,
    }))
sales = pd.concat(stores, ignore_index=True)
print(sales.head(3))

# %%
# Three framings of the same panel: the sales alone, with the calendar, and
# with the promotions over the horizon too. The columns that each adds:
framings = {
    "sales alone": {"features": []},
    "+ calendar": {"features": [], "calendar": True},
    "+ calendar + promotions ahead": {"calendar": True, "future": ["promo"]},
}
for name, options in framings.items():
    X, y = make_supervised(sales, "sales", series="store", time="day", horizon=HORIZON,
                           **options)
    print(f"{name}: {list(X.columns)[:6]}{' ...' if X.shape[1] > 6 else ''}"
          f" ({X.shape[1]} columns)")


# %%
# The same 3 folds for each framing (each holds out the next 7 days of
# every store, no training target inside them), scored per store as the
# MAE over that of the seasonal naive forecast ("the same weekday last
# week"), then averaged: below 1 beats it.
def mae_over_seasonal_naive(estimator, X, y):
    truth = np.asarray(y)
    history = sales.set_index(["store", "day"])["sales"]
    naive = np.column_stack([
        history.reindex(pd.MultiIndex.from_arrays([
            X.index.get_level_values("store"),
            X.index.get_level_values("day") + pd.Timedelta(days=k - 7)])).to_numpy()
        for k in range(1, HORIZON + 1)])
    errors = pd.DataFrame({
        "model": np.abs(estimator.predict(X) - truth).mean(axis=1),
        "naive": np.abs(naive - truth).mean(axis=1),
    }, index=X.index.get_level_values("store")).groupby(level=0).mean()
    return (errors["model"] / errors["naive"]).mean()


cv = PanelSplit(n_splits=3)
scores = {}
for name, options in framings.items():
    X, y = make_supervised(sales, "sales", series="store", time="day", horizon=HORIZON,
                           **options)
    model = LSTMForecaster(season_length=7, random_state=0)
    scores[name] = cross_validate(model, X, y, cv=cv,
                                  scoring=mae_over_seasonal_naive)["test_score"]
    print(f"{name:32s} MAE / seasonal naive per fold {np.round(scores[name], 3)}, "
          f"mean {scores[name].mean():.3f}")

fig, ax = plt.subplots(figsize=(7, 3))
bars = ax.barh(list(scores), [s.mean() for s in scores.values()], color="tab:blue")
ax.bar_label(bars, fmt="%.3f", padding=3)
ax.axvline(1.0, color="black", linestyle="--", linewidth=1, label="seasonal naive")
ax.invert_yaxis()
ax.set_xlabel("MAE / seasonal naive (3 folds, 20 stores; lower is better)")
ax.legend(loc="lower right")
fig.tight_layout()

# %%
# The calendar alone buys nothing here: windows of two weeks already show
# the weekday. The promotions ahead are what the other framings cannot know.
#
# Fit on every day with the promotions ahead, then forecast next week from
# the plan: ``future`` holds each store's 7 days after its last one, with the
# promotions planned for them. A missing day or value is refused by name.
X, y = make_supervised(sales, "sales", series="store", time="day", horizon=HORIZON,
                       calendar=True, future=["promo"])
model = LSTMForecaster(season_length=7, random_state=0).fit(X, y)
next_week = pd.date_range(days[-1] + pd.Timedelta(days=1), periods=HORIZON, freq="D")
plan = pd.DataFrame([(s, d) for s in sales["store"].unique() for d in next_week],
                    columns=["store", "day"])
friday = next_week[next_week.day_of_week == 4][0]
plan["promo"] = (plan["day"] == friday).astype(float)  # a Friday promotion in every store
fc = forecast(model, sales, target="sales", series="store", time="day", future=plan,
              coverage=0.9)
print(fc.head(HORIZON))
try:
    forecast(model, sales, target="sales", series="store", time="day",
             future=plan[plan["day"] != next_week[2]])
except ValueError as error:
    print("refused:", error)

fig, axes = plt.subplots(3, 1, figsize=(8, 7), sharex=True)
for ax, store in zip(axes, ["store_00", "store_01", "store_02"]):
    past = sales[(sales["store"] == store) & (sales["day"] > days[-42])]
    ahead = fc[fc["store"] == store]
    ax.plot(past["day"], past["sales"], color="black", label="history")
    ax.plot(past["day"][past["promo"] > 0], past["sales"][past["promo"] > 0], "o",
            color="tab:orange", markersize=4, label="promotion day")
    ax.plot(ahead["day"], ahead["forecast"], color="tab:red", label="forecast")
    ax.fill_between(ahead["day"], ahead["lower"], ahead["upper"], color="tab:red",
                    alpha=0.2, label="90% interval")
    ax.axvline(friday, color="tab:orange", linestyle=":", label="planned promotion")
    ax.set_title(store)
    ax.set_ylabel("sales")
axes[0].legend(loc="upper left", fontsize=8, ncol=3)
fig.suptitle("Next week's sales, with a promotion planned for Friday")
fig.tight_layout()
plt.show()
