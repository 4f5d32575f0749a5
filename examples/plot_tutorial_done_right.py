"""
The 20-day temperature tutorial, done right
===========================================

A popular tutorial forecasts tomorrow's temperature from the last 5 days with
a Keras ``LSTM(50)`` + ``Dense(1)``, MinMax scaling and Adam/MSE, then plots
actual against predicted. It has two classic bugs:

1. **The scaler is fitted on all the data, test days included.** The min and
   max of the test period leak into training: the model is evaluated on data
   scaled with knowledge it would not have had at forecast time.
2. **Predictions are inverse-transformed with the min/max of already-scaled
   data.** A second scaler is fitted on the scaled series (min 0, max 1), so
   its ``inverse_transform`` is the identity: "temperatures" stay in [0, 1].

With sklstm the scaler sits inside a ``Pipeline``, so it only ever sees the
rows ``fit`` gets, and ``TransformedTargetRegressor`` inverts the target
scaling with the scaler that made it.
"""

# %%
# The data: 20 days of real daily maximum temperatures (Seattle, January
# 2012; the tutorial typed in its own 20 values).
import matplotlib.pyplot as plt
from sklearn.compose import TransformedTargetRegressor
from sklearn.metrics import mean_absolute_error
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from sklstm import LSTMRegressor, SequenceWindower, make_supervised
from sklstm.datasets import load_temperatures

temperature = load_temperatures()
print(temperature.to_string())

# %%
# Frame it: X holds the temperature of day t, y the temperature of day t+1.
# The last 5 days are the test period; everything before is training.
X, y = make_supervised(temperature, "temperature", horizon=1)
n_test = 5
n_train = len(X) - n_test

# %%
# The tutorial's model (5-day windows, LSTM(50) + Dense(1), Adam, MSE,
# 100 epochs, batch size 1) as one estimator. Early stopping is off: 14
# training rows leave no room for a validation slice.
model = TransformedTargetRegressor(
    regressor=Pipeline([
        ("scale", MinMaxScaler()),
        ("window", SequenceWindower(sequence_length=5)),
        ("lstm", LSTMRegressor(units=50, epochs=100, batch_size=1,
                               learning_rate=0.001, early_stopping=False,
                               random_state=0)),
    ]),
    transformer=MinMaxScaler(),
)
model.fit(X.iloc[:n_train], y.iloc[:n_train])

# %%
# Predict the test days. The windower remembers the last training days, so
# each test day's window holds the five days before it, training days
# included, exactly what a forecaster would have had. The scalers are still
# the ones fitted on the training rows.
predicted = model.predict(X.iloc[n_train:])
actual = y.iloc[n_train:]
mae = mean_absolute_error(actual, predicted)
naive_mae = mean_absolute_error(actual, X["temperature"].iloc[n_train:])
print(f"LSTM MAE: {mae:.2f} degC   persistence (tomorrow = today) MAE: {naive_mae:.2f} degC")

# %%
# The predictions are in degrees Celsius, not in [0, 1]: the target scaler
# that inverts them is the one that scaled the training targets.
assert predicted.min() < 0 or predicted.max() > 1

# y is indexed by the day t its window ends on; plot each value on its own
# day, t+1.
target_days = temperature.index[n_train + 1:]
fig, ax = plt.subplots(figsize=(8, 4))
ax.plot(temperature.index, temperature, "o-", color="0.6", label="history")
ax.plot(target_days, actual, "o-", color="C0", label="actual")
ax.plot(target_days, predicted, "s--", color="C1", label="predicted")
ax.axvline(target_days[0], color="0.3", lw=0.8, ls=":")
ax.set(title="Next-day maximum temperature: actual vs predicted",
       xlabel="date", ylabel="temperature (degC)")
ax.legend()
fig.autofmt_xdate()
plt.show()
