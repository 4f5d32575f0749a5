"""
Grid-searching sequence length and units with TimeSeriesSplit
=============================================================

How many past days should the LSTM read, and how large should it be? Both are
ordinary scikit-learn parameters of :class:`sklstm.LSTMForecaster`, so
``GridSearchCV`` tunes them. The one thing time series change is the
cross-validation: ``TimeSeriesSplit`` always trains on the past and tests on
the block that follows, never the other way round. Every candidate is
compared with the persistence baseline ("tomorrow = today") on the same
folds; an LSTM that does not beat it has learned nothing useful.
"""

# %%
# The data: daily maximum temperature in Seattle, 2012-2015. The task is the
# week ahead: X holds the temperature of day t, y the temperatures of days
# t+1 to t+7, which the forecaster predicts at once (one output per day).
# Scores average the error over the seven days.
import matplotlib.pyplot as plt
import pandas as pd
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_validate

from sklstm import LSTMForecaster, PersistenceRegressor, make_supervised
from sklstm.datasets import load_seattle_weather
from sklstm.plotting import plot_cv_folds, plot_grid_search, plot_history

weather = load_seattle_weather()
X, y = make_supervised(weather, "temp_max", horizon=7, features=["temp_max"])
print(f"{len(X)} rows from {X.index[0].date()} to {X.index[-1].date()}")

# %%
# The folds. Each split trains on everything before its test block; the
# training window grows, and every row is tested at most once.
cv = TimeSeriesSplit(n_splits=5)
plot_cv_folds(cv, X)

# %%
# The search: sequence length x units, scored by mean absolute error (MAE)
# and root mean squared error (RMSE); ``refit="mae"`` refits the candidate
# with the lowest MAE on all rows. ``random_state`` makes every fit
# reproducible; early stopping picks the number of epochs.
param_grid = {
    "sequence_length": [7, 14, 28],
    "units": [16, 32],
}
search = GridSearchCV(
    LSTMForecaster(target_column="temp_max", epochs=100, random_state=0),
    param_grid,
    cv=cv,
    scoring={"mae": "neg_mean_absolute_error", "rmse": "neg_root_mean_squared_error"},
    refit="mae",
)
search.fit(X, y)

# %%
# The results next to persistence on the same folds. scikit-learn maximises
# scores, so errors are stored negated: flip the sign to read them.
persistence = cross_validate(
    PersistenceRegressor(target_column="temp_max"), X, y, cv=cv,
    scoring={"mae": "neg_mean_absolute_error", "rmse": "neg_root_mean_squared_error"},
)
results = pd.DataFrame(search.cv_results_)
table = pd.DataFrame({
    "sequence_length": results["param_sequence_length"],
    "units": results["param_units"],
    "MAE": -results["mean_test_mae"],
    "MAE std": results["std_test_mae"],
    "RMSE": -results["mean_test_rmse"],
}).sort_values("MAE")
baseline_mae = -persistence["test_mae"].mean()
table["MAE vs persistence"] = (table["MAE"] / baseline_mae - 1).map("{:+.1%}".format)
print(table.round(3).to_string(index=False))
print(f"persistence: MAE {baseline_mae:.3f}, RMSE {-persistence['test_rmse'].mean():.3f}")
print("best:", search.best_params_)

# %%
# The heatmap of the mean CV error. Each cell shows the mean and the standard
# deviation over the folds; the best cell is outlined. When the spread over
# folds is larger than the differences between cells, the grid cannot tell
# the candidates apart: prefer the smaller model.
#
# With the Pipeline recipe the same parameters are called
# ``regressor__window__sequence_length`` and ``regressor__lstm__units``;
# ``plot_grid_search`` accepts the short names for those too.
plot_grid_search(search, x="sequence_length", y="units", unit="°C")

# %%
# Training curves of the refitted best model: the validation loss is the
# last 10% of the training rows, and early stopping keeps the weights of its
# lowest point.
plot_history(search.best_estimator_)
plt.show()
