"""Many series, one model: a global LSTM against one model per series on US employment.

The panel is :func:`sklstm.datasets.load_us_employment` (22 series, 120
months). Horizons 1 and 12 (direct: one 12-wide head), 5 folds of
``TimeSeriesSplit(test_size=12, gap=horizon - 1)``: every fold tests a year
of forecast origins, after training on every month before it. Contenders,
all on the same folds and windows of 12 months:

- persistence: next months = this month, per series;
- ridge: per series, ``SequenceWindower(12, padding="edge", flatten=True)``
  + ``RidgeCV`` on that series alone;
- 22 separate ``LSTMForecaster(sequence_length=12, random_state=0)``, one
  per series, defaults otherwise;
- global: one ``LSTMForecaster(sequence_length=12, target_column=[22
  series], random_state=0)``. (sklstm 0.2 also had a series embedding,
  deprecated in 0.3: every window is scaled by itself.)

The score is each series' MAE relative to its persistence MAE (mean over
folds), so that series of very different scales count alike; the table
gives the mean and median over the 22 series, wins against persistence,
and the wall time of the 5 folds (fits and predictions).

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_panel.py            # about 15 min on 2 cores
    PYTHONPATH=. python benchmarks/bench_panel.py --fast     # smoke test

Results and the command are written down in ``benchmarks/panel.md``.
"""

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import TimeSeriesSplit
from sklearn.pipeline import make_pipeline

from sklstm import LSTMForecaster, SequenceWindower, make_supervised
from sklstm.datasets import load_us_employment

SEQUENCE_LENGTH = 12


def relative_errors(pred, truth, current, n_series):
    """Per-series MAE of ``pred`` and of persistence, each (n_series,)."""
    horizon = truth.shape[1] // n_series
    persistence = np.repeat(current, horizon, axis=1)

    def per_series(errors):
        return np.abs(errors).reshape(len(truth), n_series, horizon).mean(axis=(0, 2))

    return per_series(pred - truth), per_series(persistence - truth)


def ridge():
    return make_pipeline(
        SequenceWindower(SEQUENCE_LENGTH, padding="edge", flatten=True),
        RidgeCV(alphas=np.logspace(-3, 3, 13)),
    )


def one_model_per_series(make, X, y, train, test, series, horizon):
    """Fit ``make()`` on each series alone; predictions side by side, series-major."""
    preds = []
    for j, name in enumerate(series):
        columns = y.columns[j * horizon:(j + 1) * horizon]
        model = make().fit(X[[name]].iloc[train], y[columns].iloc[train])
        preds.append(np.asarray(model.predict(X[[name]].iloc[test])).reshape(len(test), -1))
    return np.hstack(preds)


def run(horizon, fast):
    panel = load_us_employment()
    series = list(panel.columns)
    X, y = make_supervised(panel, target=series, horizon=horizon)
    budget = {"max_steps": 3} if fast else {}
    contenders = {
        "ridge (per series)": lambda train, test: one_model_per_series(
            ridge, X, y, train, test, series, horizon),
        "LSTM (22 separate)": lambda train, test: one_model_per_series(
            lambda: LSTMForecaster(SEQUENCE_LENGTH, random_state=0, **budget),
            X, y, train, test, series, horizon),
    }
    model = LSTMForecaster(SEQUENCE_LENGTH, target_column=series, random_state=0, **budget)
    contenders["LSTM (global)"] = (
        lambda train, test: model.fit(X.iloc[train], y.iloc[train]).predict(X.iloc[test]))
    cv = TimeSeriesSplit(2 if fast else 5, test_size=12, gap=horizon - 1)
    errors, seconds = {}, {}
    persistence = []
    for name, predict in contenders.items():
        start = time.perf_counter()
        per_fold = []
        for train, test in cv.split(X):
            pred = predict(train, test)
            err, pers = relative_errors(pred, y.to_numpy()[test], X.to_numpy()[test],
                                        len(series))
            per_fold.append(err)
            if name == next(iter(contenders)):
                persistence.append(pers)
        seconds[name] = time.perf_counter() - start
        errors[name] = np.mean(per_fold, axis=0)
        print(f"  h={horizon} {name}: {seconds[name]:.0f} s", flush=True)
    pers = np.mean(persistence, axis=0)
    relative = pd.DataFrame({name: e / pers for name, e in errors.items()}, index=series)
    relative.insert(0, "persistence MAE", pers)
    summary = pd.DataFrame({
        "mean MAE / persistence": relative.drop(columns="persistence MAE").mean(),
        "median": relative.drop(columns="persistence MAE").median(),
        "series beating persistence": (relative.drop(columns="persistence MAE") < 1).sum(),
        "wall s (5 folds)": pd.Series(seconds),
    })
    return relative, summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fast", action="store_true", help="smoke test: 2 folds, 3 steps")
    parser.add_argument("--horizons", type=int, nargs="+", default=[1, 12])
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)
    pd.set_option("display.width", 250)
    start = time.perf_counter()
    for horizon in args.horizons:
        relative, summary = run(horizon, args.fast)
        print(f"\nhorizon {horizon}: per series, MAE relative to persistence "
              "(persistence MAE in thousands of jobs)")
        print(relative.to_string(float_format="%.3f"))
        print(f"\nhorizon {horizon}: over the 22 series")
        print(summary.to_string(float_format="%.3f"))
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
