"""Forecast quality of LSTMForecaster against persistence and Ridge.

Three studies, each printing a table (results and the exact commands are in
``benchmarks/forecast_quality.md`` and ``docs/forecasting.md``):

``quality`` (the bar of issue 3)
    One-step-ahead MAE over 5-fold ``TimeSeriesSplit`` on three series:
    Seattle daily ``temp_max`` (real), a strongly trending synthetic series
    and a strongly seasonal synthetic series (both with a fixed seed). Three
    models, each selected by a grid search *nested inside every outer fold's
    training rows* (``GridSearchCV(cv=TimeSeriesSplit(3))``), so the test
    folds never choose anything:

    - ``PersistenceRegressor`` (no parameters),
    - ``SequenceWindower(flatten=True, padding="edge") + Ridge`` over
      ``sequence_length`` in {7, 14} and ``alpha`` in {0.1, 1, 10},
    - ``LSTMForecaster(random_state=0)`` with its defaults over
      ``sequence_length`` in {7, 14} and ``units`` in {16, 32} (the grid both
      sklstm 0.2's wide recipe and 0.3's one recipe take: run it with
      ``PYTHONPATH`` on a checkout of either),

    and, for reference, ``LSTMForecaster(random_state=0)`` with its defaults
    and no search ("lstm defaults").

    Each outer test fold is predicted as ``cross_validate`` does
    (``predict(X[test])``); the windower's memory gives the first test rows
    the end of the training rows as their past, as a forecast made day by
    day would have.

    A second table checks direct 7-step forecasts and 90% split-conformal
    intervals on Seattle (fixed recipe, no grid): MAE per horizon against
    persistence and the empirical coverage on the test folds.

``defaults``
    How the defaults of LSTMForecaster's one recipe (learning rate, batch
    size, budget of steps, units, early stopping) compare with their
    neighbours, on six *other* synthetic series
    (three shapes, 500 and 5000 points); Seattle and the quality series are
    not used. Each candidate is fitted on the first 80% of a series and
    scored on the last 20%, as MAE relative to persistence, with fit time;
    candidates vary one setting at a time around a base, each with three
    seeds (``random_state`` 0, 1, 2).

``ensemble`` (issue 16)
    The defaults with five seeds, alone and averaged, against the gridded
    Ridge, on the ``quality`` series and folds.

``calendar`` (issue 25)
    Seattle with and without ``make_supervised(..., calendar=True)``, one
    and seven steps ahead, the defaults, seeds 0 and 1, the same folds.

``bias`` (issue 10)
    How far the CV score of the README pipeline (MinMaxScaler ->
    SequenceWindower(L) -> LSTMRegressor(units=32, epochs=60,
    random_state=0), in a TransformedTargetRegressor, TimeSeriesSplit(5))
    is from the score of predicting every row up to each fold's end with the
    same fitted models and keeping the test rows, for L in {7, 14, 28, 56}.
    "before" windows each test fold alone (``remember=False``: the windows
    sklstm made before the windower had a memory); "after" is what
    ``cross_validate`` scores now. Each fold model is fitted once and
    scored all three ways.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_forecast_quality.py quality
    PYTHONPATH=. python benchmarks/bench_forecast_quality.py defaults
    PYTHONPATH=. python benchmarks/bench_forecast_quality.py bias
    PYTHONPATH=. python benchmarks/bench_forecast_quality.py ensemble

``--fast`` shrinks everything to a smoke test (numbers then mean nothing).
"""

import argparse
import itertools
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline

from sklstm import (
    LSTMForecaster,
    PersistenceRegressor,
    SequenceWindower,
    make_supervised,
)
from sklstm.datasets import load_seattle_weather

warnings.filterwarnings("ignore", category=UserWarning)


# --- series --------------------------------------------------------------------


def ar1(n, phi, sigma, rng):
    """AR(1) noise ``e[t] = phi * e[t-1] + N(0, sigma)``."""
    shocks = rng.normal(0.0, sigma, n)
    out = np.zeros(n)
    for t in range(1, n):
        out[t] = phi * out[t - 1] + shocks[t]
    return out


def trending_series(n=1000, seed=0):
    """Linear growth of 0.3 per step under AR(1) noise (phi=0.5, sigma=1).

    Over 1000 steps the level rises by 300 against noise of about 1.2: every
    test fold lies far above the training range, which is where a MinMax-
    scaled LSTM that learns levels fails. Persistence misses the growth and
    copies today's noise; the best possible one-step MAE is about 0.8.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return pd.Series(0.3 * t + ar1(n, 0.5, 1.0, rng), name="trending")


def seasonal_series(n=1000, seed=1):
    """A weekly profile (amplitude about 6) under AR(1) noise (phi=0.5, sigma=1).

    Like daily sales with a strong day-of-week pattern: persistence copies
    yesterday's weekday effect into today, so it is off by the profile's
    day-to-day change; a model that knows the last week is not.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    profile = np.array([0.0, 1.0, 2.0, 1.5, 3.0, 6.0, 4.5])
    profile -= profile.mean()
    return pd.Series(20.0 + 2.0 * profile[t % 7] + ar1(n, 0.5, 1.0, rng), name="seasonal")


def defaults_series(seed=10):
    """Series for choosing defaults, none of them used in the quality study."""
    rng = np.random.default_rng(seed)
    out = {}
    for n in (500, 5000):
        t = np.arange(n)
        out[f"monthly-like seasonal AR(2), n={n}"] = (
            5 * np.sin(2 * np.pi * t / 12) + ar1(n, 0.8, 1.0, rng) + 0.5 * rng.normal(size=n)
        )
        out[f"random walk with drift, n={n}"] = np.cumsum(0.1 + rng.normal(size=n))
        out[f"two cycles (24 and 168) + noise, n={n}"] = (
            3 * np.sin(2 * np.pi * t / 24) + 2 * np.sin(2 * np.pi * t / 168)
            + ar1(n, 0.6, 0.7, rng)
        )
    return out


# --- evaluation --------------------------------------------------------------------


def mae(a, b):
    return float(np.mean(np.abs(np.asarray(a) - np.asarray(b))))


def predict_with_history(model, X, test_idx):
    """Predict the test rows as cross_validate does: their windows reach back
    into the training rows through the windower's memory."""
    return model.predict(X[test_idx])


def tiny_budget(fast):
    """A smoke test's training budget, in the words of the sklstm that runs (0.3: max_steps;
    0.2, whose wide recipe trained by epochs: epochs); nothing for a real run."""
    if not fast:
        return {}
    one_recipe = LSTMForecaster().get_params()["trend"] == "deprecated"
    return {"max_steps": 3} if one_recipe else {"epochs": 3}


def make_models(fast):
    # the grid both recipes take: sklstm 0.2 and 0.3 run this same study
    lstm_grid = {"sequence_length": [7, 14], "units": [16, 32]}
    ridge_grid = {"window__sequence_length": [7, 14], "ridge__alpha": [0.1, 1.0, 10.0]}
    lstm = LSTMForecaster(random_state=0, **tiny_budget(fast))
    if fast:
        lstm_grid = {"sequence_length": [7], "units": [8]}
    ridge = Pipeline([
        ("window", SequenceWindower(padding="edge", flatten=True)),
        ("ridge", Ridge()),
    ])
    inner = TimeSeriesSplit(3)
    scoring = "neg_mean_absolute_error"
    return {
        "persistence": PersistenceRegressor(),
        "ridge": GridSearchCV(ridge, ridge_grid, cv=inner, scoring=scoring),
        "lstm": GridSearchCV(lstm, lstm_grid, cv=inner, scoring=scoring),
        # no search: what a user gets from the defaults alone
        "lstm defaults": LSTMForecaster(random_state=0, **tiny_budget(fast)),
    }


def quality_one_series(name, X, y, fast):
    outer = TimeSeriesSplit(2 if fast else 5)
    rows = []
    for fold, (train, test) in enumerate(outer.split(X)):
        row = {"series": name, "fold": fold, "n_train": len(train)}
        for model_name, model in make_models(fast).items():
            start = time.perf_counter()
            model.fit(X[train], y[train])
            row[model_name] = mae(predict_with_history(model, X, test), y[test])
            row[f"{model_name}_s"] = time.perf_counter() - start
            if hasattr(model, "best_params_"):
                row[f"{model_name}_params"] = model.best_params_
        rows.append(row)
        print(
            f"  {name} fold {fold}: persistence {row['persistence']:.3f}  "
            f"ridge {row['ridge']:.3f}  lstm {row['lstm']:.3f}  "
            f"lstm defaults {row['lstm defaults']:.3f}  "
            f"({row['lstm_s']:.0f} s)  lstm picked {row['lstm_params']}",
            flush=True,
        )
    return rows


def seattle_xy():
    weather = load_seattle_weather()
    X, y = make_supervised(weather, "temp_max", features=["temp_max"])
    return X.to_numpy(), y.to_numpy()


def univariate_xy(series):
    X, y = make_supervised(series, series.name)
    return X.to_numpy(), y.to_numpy()


def multistep_seattle(fast):
    """Direct 7-step forecasts and 90% intervals on Seattle, fixed recipe."""
    weather = load_seattle_weather()
    X, y = make_supervised(weather, "temp_max", horizon=7, features=["temp_max"])
    X, y = X.to_numpy(), y.to_numpy()
    lstm_mae, pers_mae, covered = [], [], []
    for train, test in TimeSeriesSplit(2 if fast else 5).split(X):
        model = LSTMForecaster(random_state=0, **tiny_budget(fast))
        model.fit(X[train], y[train])
        pred = predict_with_history(model, X, test)
        lower, upper = model.predict_interval(X[test], coverage=0.9)
        lstm_mae.append(np.mean(np.abs(pred - y[test]), axis=0))
        pers_mae.append(np.mean(np.abs(X[test, :1] - y[test]), axis=0))
        covered.append(np.mean((lower <= y[test]) & (y[test] <= upper), axis=0))
    table = pd.DataFrame(
        {
            "persistence MAE": np.mean(pers_mae, axis=0),
            "LSTM MAE": np.mean(lstm_mae, axis=0),
            "90% interval coverage": np.mean(covered, axis=0),
        },
        index=pd.Index([f"t+{k}" for k in range(1, 8)], name="horizon"),
    )
    return table


def run_quality(fast):
    datasets = {
        "seattle temp_max": seattle_xy(),
        "trending (synthetic)": univariate_xy(trending_series()),
        "seasonal (synthetic)": univariate_xy(seasonal_series()),
    }
    rows = []
    for name, (X, y) in datasets.items():
        print(f"{name}: {len(X)} rows", flush=True)
        rows += quality_one_series(name, X, y, fast)
    frame = pd.DataFrame(rows)
    summary = frame.groupby("series", sort=False)[
        ["persistence", "ridge", "lstm", "lstm defaults", "lstm_s"]
    ].mean()
    summary["lstm / persistence"] = summary["lstm"] / summary["persistence"]
    summary["lstm / ridge"] = summary["lstm"] / summary["ridge"]
    summary = summary.rename(columns={"lstm_s": "lstm fit+grid s/fold"})
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", 80)
    print("\nPer fold (MAE; lstm_params = the grid's pick on that fold's training rows):")
    print(frame[["series", "fold", "n_train", "persistence", "ridge", "lstm", "lstm defaults",
                 "lstm_params"]]
          .to_string(index=False, float_format="%.3f"))
    print("\nMean MAE over the outer folds, one step ahead:")
    print(summary.to_string(float_format="%.3f"))
    print("\nSeattle temp_max, direct 7-step head (the defaults), 90% intervals:")
    print(multistep_seattle(fast).to_string(float_format="%.3f"))


def readme_pipeline(sequence_length, fast):
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.preprocessing import MinMaxScaler

    from sklstm import LSTMRegressor

    return TransformedTargetRegressor(
        regressor=Pipeline([
            ("scale", MinMaxScaler()),
            ("window", SequenceWindower(sequence_length=sequence_length)),
            ("lstm", LSTMRegressor(units=32, epochs=2 if fast else 60, random_state=0)),
        ]),
        transformer=MinMaxScaler(),
    )


def run_bias(fast):
    weather = load_seattle_weather()
    seattle = make_supervised(weather, "temp_max", features=["temp_max", "temp_min"])
    datasets = {
        "Seattle temp_max (1460 rows)": seattle,
        "seasonal synthetic, 310 points": make_supervised(seasonal_series(n=310), "seasonal"),
        "Seattle, first 61 days": make_supervised(
            weather.iloc[:61], "temp_max", features=["temp_max", "temp_min"]),
    }
    lengths = [7, 14] if fast else [7, 14, 28, 56]
    cv = TimeSeriesSplit(5)
    rows = []
    for name, (X, y) in datasets.items():
        X, y = X.to_numpy(), y.to_numpy()
        for sequence_length in lengths:
            maes = {"before": [], "after": [], "whole past": []}
            for train, test in cv.split(X):
                model = readme_pipeline(sequence_length, fast).fit(X[train], y[train])
                maes["after"].append(mae(model.predict(X[test]), y[test]))
                maes["whole past"].append(mae(model.predict(X[: test[-1] + 1])[test], y[test]))
                model.regressor_.set_params(window__remember=False)
                maes["before"].append(mae(model.predict(X[test]), y[test]))
            means = {k: float(np.mean(v)) for k, v in maes.items()}
            rows.append({"series": f"{name}, {len(test)} test rows", "L": sequence_length,
                         **{f"{k} bias": means[k] / means["whole past"] - 1
                            for k in ("before", "after")},
                         "CV MAE": means["after"]})
            print(f"  {rows[-1]['series']} L={sequence_length}: before "
                  f"{rows[-1]['before bias']:+.1%}, after {rows[-1]['after bias']:+.2%}",
                  flush=True)
    frame = pd.DataFrame(rows)
    print("\nCV MAE relative to the MAE with the whole past (same fitted fold models):")
    for column in ("before bias", "after bias"):
        print(f"\n{column}:")
        print(frame.pivot(index="series", columns="L", values=column)
              .map(lambda v: f"{v:+.2%}").to_string())
    print("\nCV MAE now (mean over folds):")
    print(frame.pivot(index="series", columns="L", values="CV MAE").to_string(float_format="%.3f"))


def run_defaults(fast):
    series = defaults_series()
    if fast:
        series = dict(itertools.islice(series.items(), 2))
    # the one recipe's defaults (sklstm 0.3), and each changed alone
    base = {"learning_rate": 0.003, "batch_size": 256, "max_steps": "auto", "units": 64,
            "early_stopping": False}
    candidates = [base]
    for key, values in [
        ("learning_rate", [0.001, 0.01]),
        ("batch_size", [32, 64]),
        ("max_steps", [300, 3000]),
        ("units", [32]),
        ("early_stopping", [True]),
    ]:
        candidates += [{**base, key: v} for v in values]
    seeds = (0, 1, 2)
    if fast:
        candidates, seeds = candidates[:2], (0,)
    rows = []
    for name, values in series.items():
        frame = pd.Series(values, name="y")
        X, y = make_supervised(frame, "y")
        X, y = X.to_numpy(), y.to_numpy()
        split = int(0.8 * len(X))
        test = np.arange(split, len(X))
        pers = mae(X[test, 0], y[test])
        for params, seed in itertools.product(candidates, seeds):
            start = time.perf_counter()
            params = {**params, **tiny_budget(fast)}
            model = LSTMForecaster(random_state=seed, **params)
            model.fit(X[:split], y[:split])
            seconds = time.perf_counter() - start
            rel = mae(predict_with_history(model, X, test), y[test]) / pers
            rows.append({
                "series": name,
                "candidate": ", ".join(f"{k}={v}" for k, v in params.items() if base.get(k) != v)
                or "base",
                "seed": seed,
                "MAE / persistence": rel,
                "steps": model.n_steps_,
                "fit s": seconds,
            })
            print(f"  {name:40s} {rows[-1]['candidate']:22s} seed {seed} {rel:.3f} "
                  f"{rows[-1]['steps']:5d} steps {seconds:6.1f} s", flush=True)
    frame = pd.DataFrame(rows)
    pd.set_option("display.width", 250)
    print(f"\nMAE relative to persistence (lower is better), mean over seeds {seeds}:")
    print(frame.pivot_table(index="candidate", columns="series", values="MAE / persistence")
          .to_string(float_format="%.3f"))
    per_seed = frame.groupby(["candidate", "seed"])["MAE / persistence"].mean().unstack()
    summary = frame.groupby("candidate")[["MAE / persistence", "steps", "fit s"]].mean()
    summary["sd over seeds"] = per_seed.std(axis=1)
    print("\nMean over the six series and the seeds (sd: of the per-seed means):")
    print(summary.sort_values("MAE / persistence").to_string(float_format="%.3f"))
    print(f"\nbase = {base}")


def run_ensemble(fast):
    """Seeds of the defaults, alone and averaged, against the gridded Ridge (issue 16).

    Same three series and outer folds as ``quality``. Each fold fits
    ``LSTMForecaster(random_state=k)`` with its defaults for five seeds and
    scores each alone and the mean of their predictions (an ensemble of
    five); Ridge is the nested-grid Ridge of ``quality``.
    """
    seeds = range(2 if fast else 5)
    series = {"Seattle temp_max": seattle_xy(),
              "trending (synthetic)": univariate_xy(trending_series()),
              "seasonal (synthetic)": univariate_xy(seasonal_series())}
    print("| series | ridge | " + " | ".join(f"seed {k}" for k in seeds)
          + " | mean of seeds alone | ensemble | ensemble / ridge | fit s per seed |")
    print("|---|---|" + "---|" * (len(seeds) + 4))
    for name, (X, y) in series.items():
        ridge, single, ensemble, seconds = [], [[] for _ in seeds], [], []
        for train, test in TimeSeriesSplit(2 if fast else 5).split(X):
            ridge_model = make_models(fast)["ridge"].fit(X[train], y[train])
            ridge.append(mae(ridge_model.predict(X[test]), y[test]))
            predictions = []
            for k in seeds:
                start = time.perf_counter()
                model = LSTMForecaster(random_state=k, **tiny_budget(fast))
                predictions.append(model.fit(X[train], y[train]).predict(X[test]))
                seconds.append(time.perf_counter() - start)
                single[k].append(mae(predictions[-1], y[test]))
            ensemble.append(mae(np.mean(predictions, axis=0), y[test]))
        alone = [np.mean(s) for s in single]
        print(f"| {name} | {np.mean(ridge):.3f} | " + " | ".join(f"{a:.3f}" for a in alone)
              + f" | {np.mean(alone):.3f} | {np.mean(ensemble):.3f} | "
              f"{np.mean(ensemble) / np.mean(ridge):.3f} | {np.mean(seconds):.1f} |", flush=True)


def run_calendar(fast):
    """The calendar lever on Seattle (issue 25): one step and seven steps ahead.

    ``make_supervised(..., calendar=True)`` against without, the defaults,
    seeds 0 and 1, the ``quality`` study's outer folds; daily data gets the
    day of the week (its one calendar cycle of 2 to 200 steps).
    """
    weather = load_seattle_weather()
    seeds = range(1 if fast else 2)
    print("| horizon | calendar | " + " | ".join(f"seed {k}" for k in seeds)
          + " | mean | fit s per fold |")
    print("|---|---|" + "---|" * (len(seeds) + 2))
    for horizon in (1, 7):
        for calendar in (False, True):
            X, y = make_supervised(weather, "temp_max", horizon=horizon,
                                   features=["temp_max"], calendar=calendar)
            y = np.asarray(y).reshape(len(X), -1)
            scores, seconds = [], []
            for k in seeds:
                errors = []
                for train, test in TimeSeriesSplit(2 if fast else 5).split(X):
                    start = time.perf_counter()
                    model = LSTMForecaster(random_state=k, **tiny_budget(fast))
                    model.fit(X.iloc[train], y[train])
                    seconds.append(time.perf_counter() - start)
                    errors.append(mae(model.predict(X.iloc[test]).reshape(len(test), -1),
                                      y[test]))
                scores.append(np.mean(errors))
            print(f"| t+1..t+{horizon} | {'on' if calendar else 'off'} | "
                  + " | ".join(f"{v:.3f}" for v in scores)
                  + f" | {np.mean(scores):.3f} | {np.mean(seconds):.1f} |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("study", choices=["quality", "defaults", "bias", "ensemble", "calendar"],
                        nargs="?", default="quality")
    parser.add_argument("--fast", action="store_true", help="smoke test: tiny grids, 3 epochs")
    args = parser.parse_args()
    start = time.perf_counter()
    studies = {"quality": run_quality, "defaults": run_defaults, "bias": run_bias,
               "ensemble": run_ensemble, "calendar": run_calendar}
    studies[args.study](args.fast)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
