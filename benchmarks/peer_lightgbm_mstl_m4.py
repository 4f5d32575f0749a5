"""Peer benchmark: mlforecast + LightGBM and statsforecast MSTL on M4-style panels (issue 25).

Neither mlforecast, LightGBM nor statsforecast is a dependency of sklstm:
this script runs in a throw-away virtual environment of its own::

    python3 -m venv /tmp/peer-lgbm-venv
    /tmp/peer-lgbm-venv/bin/pip install mlforecast lightgbm statsforecast
    /tmp/peer-lgbm-venv/bin/python benchmarks/peer_lightgbm_mstl_m4.py [DATA_DIR] \
        [--dataset weekly|hourly-flights|hourly-weather|hourly-synthetic|us-employment] \
        [--runs lightgbm,mstl]

It reads the data and scores it with ``bench_m4.py``'s own loaders and
scorers (numpy and pandas only; sklstm is not imported): ``DATA_DIR`` is
M4 Weekly's folder (default ``../shared/data/m4-weekly``) or the folder
``hourly_panels.py`` wrote (``/tmp/hourly``); ``hourly-synthetic`` is made
by ``bench_m4.synthetic_hourly``. ``us-employment`` is read here straight
from ``sklstm/datasets/data/us-employment.csv`` with pandas, as
``sklstm.datasets.load_us_employment`` reads it (22 series, the last 12
months of each held out), so that sklstm need not be importable. Every
series has integer times ``ds`` (``freq=1``), as in Nixtla's M4 test.
Runs (``--runs``, comma-separated; each in a fresh process):

- ``lightgbm``: ``MLForecast(models={"lgb": LGBMRegressor(random_state=0,
  n_jobs=1, verbosity=-1, **lgb_params)}, freq=1, num_threads=1,
  **mlf_params)``, ``fit(train)``, ``predict(h)``, with Nixtla's own M4
  configuration: the ``configs`` dict of ``tests/test_m4.py`` in
  github.com/Nixtla/mlforecast (file last changed in commit ``965fc85``,
  read at ``eff8ddb5b73ff429970afc49077ba00374736d5f``, 2026-08-19; the
  tutorial ``nbs/docs/tutorials/m4.ipynb`` points to a Kaggle notebook
  that is not reachable here, and the repository has no other M4 config).
  That test builds exactly this ``MLForecast`` (plus an ElasticNet model,
  left out here: it does not change the LightGBM forecast) with
  ``freq=1`` on integer times, so there are **no date features**; its
  ``num_threads=2`` (feature computation only, same numbers) is 1 here.

  * hourly panels, M4 Hourly's config: ``target_transforms=[Differences([24])]``,
    ``lags=[24, 48, ..., 336]`` (``24 * i`` for i in 1..14),
    ``lag_transforms={24: [ExponentiallyWeightedMean(alpha=0.3),
    RollingMean(168), RollingMean(336)], 48: [the same three]}``;
    LightGBM ``n_estimators=200, bagging_freq=1, learning_rate=0.05,
    num_leaves=2500, lambda_l1=0.03, lambda_l2=0.5, bagging_fraction=0.9,
    feature_fraction=0.8``. (Nixtla's test expects sMAPE 10.207, MASE
    0.862, OWA 0.458 on M4 Hourly.)
  * ``weekly``, M4 Weekly's config: ``target_transforms=[Differences([1])]``,
    ``lags=[1, ..., 32]``, ``lag_transforms={4: [ExpandingMean(),
    RollingMean(4)], 8: [ExpandingMean(), RollingMean(4)]}``; LightGBM
    ``n_estimators=100, objective="l1", num_leaves=256``. (Nixtla's test
    expects sMAPE 8.238, MASE 2.222, OWA 0.850.)
  * ``us-employment`` (monthly): ``test_m4.py`` has configs for Hourly,
    Daily, Weekly and Yearly only, **none for Monthly**; the Weekly config
    is used as it is (its lags 1..32 include the year, 12 and 24; Yearly's
    lags 1..6 do not).

  LightGBM runs on one thread (``n_jobs=1``, as in Nixtla's test; the
  machine's 2 cores are shared with other runs).
- ``mstl``: ``StatsForecast(models=[MSTL(season_length=S,
  trend_forecaster=AutoARIMA())], freq=1, n_jobs=1,
  fallback_model=AutoARIMA())``, ``forecast(df=train, h=h)``. ``S`` is
  ``[24, 168]`` on the hourly panels, ``52`` on ``weekly`` and ``12`` on
  ``us-employment``. The trend forecaster is ``AutoARIMA()``, the one the
  statsforecast docs pass to MSTL in its tutorials (MultipleSeasonalities,
  ElectricityLoadForecasting, models/MultipleSeasonalTrend, and the mstl
  experiment); MSTL's own default is ``AutoETS(model="ZZN")``. A series
  shorter than two periods of its longest season makes statsmodels' STL
  raise, and statsforecast then raises too unless a ``fallback_model`` is
  given (its documented remedy): the fallback here is ``AutoARIMA()`` on
  the raw series, i.e. MSTL's trend forecaster without the seasonal
  decomposition. The number of series that fell back is reported (on M4
  Weekly: the series of fewer than 104 weeks).

Scores: the M4 rules, exactly as ``bench_m4.py`` computes them (sMAPE; MASE
with the dataset's season, 1 for Weekly, 24 for hourly, 12 for
us-employment; OWA against Naive2). Each worker reports fit + forecast wall
time (after imports and data loading), the CPU time of that span (user +
system, self + children), the worker's peak RSS and the load average
(1, 5, 15 min) when it started.
"""

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_m4 import (  # noqa: E402  (numpy and pandas only)
    DATASETS, load, long_with_test, naive2, owa_scores, peer_row, run_peer)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "m4-weekly"
EMPLOYMENT_CSV = REPO / "sklstm" / "datasets" / "data" / "us-employment.csv"

# Nixtla/mlforecast tests/test_m4.py, configs["Hourly"] and configs["Weekly"]
LGB_HOURLY = dict(n_estimators=200, bagging_freq=1, learning_rate=0.05, num_leaves=2500,
                  lambda_l1=0.03, lambda_l2=0.5, bagging_fraction=0.9, feature_fraction=0.8)
LGB_WEEKLY = dict(n_estimators=100, objective="l1", num_leaves=256)
MSTL_SEASONS = {"weekly": 52, "us-employment": 12}  # hourly panels: [24, 168]


def mlf_params(dataset):
    """The ``mlf_params`` of Nixtla's M4 test for the dataset (Hourly's or Weekly's)."""
    from mlforecast.lag_transforms import ExpandingMean, ExponentiallyWeightedMean, RollingMean
    from mlforecast.target_transforms import Differences

    if dataset.startswith("hourly"):
        return {"target_transforms": [Differences([24])],
                "lags": [24 * i for i in range(1, 15)],
                "lag_transforms": {
                    24: [ExponentiallyWeightedMean(alpha=0.3), RollingMean(7 * 24),
                         RollingMean(7 * 48)],
                    48: [ExponentiallyWeightedMean(alpha=0.3), RollingMean(7 * 24),
                         RollingMean(7 * 48)]}}
    return {"target_transforms": [Differences([1])],
            "lags": [i + 1 for i in range(32)],
            "lag_transforms": {4: [ExpandingMean(), RollingMean(4)],
                               8: [ExpandingMean(), RollingMean(4)]}}


def label(name, dataset):
    if name == "lightgbm":
        config = "Hourly" if dataset.startswith("hourly") else "Weekly"
        return f"mlforecast + LightGBM (Nixtla's M4 {config} config, n_jobs=1)"
    seasons = [24, 168] if dataset.startswith("hourly") else MSTL_SEASONS[dataset]
    return f"statsforecast MSTL(season_length={seasons}, trend_forecaster=AutoARIMA())"


def load_employment(horizon=12):
    """``bench_m4.load_us_employment`` without sklstm: the embedded CSV read with pandas."""
    wide = pd.read_csv(EMPLOYMENT_CSV, parse_dates=["month"], date_format="%Y-%m-%d")
    wide = wide.set_index("month").asfreq("MS").astype("float64")
    wide = wide.rename(columns={"trade_transportation_utilties": "trade_transportation_utilities"})
    return long_with_test(wide.drop(columns="nonfarm_change"), horizon)


def load_panel(dataset, data):
    long, actual, ids = load_employment() if dataset == "us-employment" else load(dataset, data)
    long = long.assign(unique_id=long["unique_id"].astype(str))
    return long, actual, np.asarray(ids).astype(str)


def cpu_seconds():
    return sum(u.ru_utime + u.ru_stime for u in
               (resource.getrusage(resource.RUSAGE_SELF),
                resource.getrusage(resource.RUSAGE_CHILDREN)))


def _fit_forecast(name, dataset, long, horizon):
    """Fit and forecast; returns (forecast frame, its value column, extra facts)."""
    if name == "lightgbm":
        import lightgbm as lgb
        from mlforecast import MLForecast

        params = LGB_HOURLY if dataset.startswith("hourly") else LGB_WEEKLY
        fcst = MLForecast(models={"lgb": lgb.LGBMRegressor(random_state=0, n_jobs=1, verbosity=-1,
                                                           **params)},
                          freq=1, num_threads=1, **mlf_params(dataset))
        fcst.fit(long)
        return fcst.predict(horizon), "lgb", {"features": list(fcst.ts.features_order_)}
    from statsforecast import StatsForecast
    from statsforecast.models import MSTL, AutoARIMA

    fell_back = []

    class Fallback(AutoARIMA):  # AutoARIMA() that counts the series it forecasts
        def forecast(self, *args, **kwargs):
            fell_back.append(len(kwargs["y"]))
            return super().forecast(*args, **kwargs)

    seasons = [24, 168] if dataset.startswith("hourly") else MSTL_SEASONS[dataset]
    sf = StatsForecast(models=[MSTL(season_length=seasons, trend_forecaster=AutoARIMA())],
                       freq=1, n_jobs=1, fallback_model=Fallback())
    pred = sf.forecast(df=long, h=horizon)
    return pred, "MSTL", {"fallbacks": len(fell_back),
                          "fallback_lengths": [min(fell_back), max(fell_back)] if fell_back else []}


def worker(name, dataset, data):
    import warnings

    warnings.filterwarnings("ignore")
    load_at_start = os.getloadavg()
    import lightgbm
    import mlforecast
    import statsforecast

    long, actual, ids = load_panel(dataset, data)
    by_id = {u: g["y"].to_numpy() for u, g in long.groupby("unique_id", sort=False)}
    history = [by_id[u] for u in ids]
    horizon, m = DATASETS[dataset]["horizon"], DATASETS[dataset]["season"]
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    pred, column, facts = _fit_forecast(name, dataset, long, horizon)
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    if "unique_id" not in pred.columns:
        pred = pred.reset_index()
    pred["unique_id"] = pred["unique_id"].astype(str)
    pred = pred.sort_values(["unique_id", "ds"])
    by_pred = {u: g[column].to_numpy(float) for u, g in pred.groupby("unique_id", sort=False)}
    forecast = np.stack([by_pred[u] for u in ids])
    assert forecast.shape == actual.shape and np.isfinite(forecast).all()
    s, mase, o, _ = owa_scores(history, actual, forecast, m)
    print(json.dumps({
        "name": name, "sMAPE": s, "MASE": mase, "OWA": o, "wall_s": wall, "cpu_s": cpu,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "load_at_start": [round(v, 2) for v in load_at_start], **facts,
        "versions": {"mlforecast": mlforecast.__version__, "lightgbm": lightgbm.__version__,
                     "statsforecast": statsforecast.__version__, "numpy": np.__version__,
                     "pandas": pd.__version__},
    }))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA))
    parser.add_argument("--dataset", choices=DATASETS, default="weekly")
    parser.add_argument("--runs", default="lightgbm,mstl")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per run")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.dataset, args.data)

    long, actual, ids = load_panel(args.dataset, args.data)
    by_id = {u: g["y"].to_numpy() for u, g in long.groupby("unique_id", sort=False)}
    history = [by_id[u] for u in ids]
    horizon, m = DATASETS[args.dataset]["horizon"], DATASETS[args.dataset]["season"]
    snaive_m = DATASETS[args.dataset]["snaive"]
    naive = np.stack([np.repeat(h[-1], horizon) for h in history])
    snaive = np.stack([h[-snaive_m:][np.arange(horizon) % snaive_m] if len(h) >= snaive_m
                       else np.repeat(h[-1], horizon) for h in history])
    ref = np.array([naive2(h, horizon, m) for h in history])
    published = " (M4 Weekly's published Naive: 9.161, 2.777)" if args.dataset == "weekly" else ""
    s, mase, _, _ = owa_scores(history, actual, naive, m)
    print(f"dataset {args.dataset}: {len(ids)} series, {len(long)} training rows, horizon "
          f"{horizon}; naive: sMAPE {s:.3f}, MASE {mase:.3f}{published}; load average "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)
    print("| method | sMAPE | MASE | OWA | fit+forecast wall s | CPU s | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|")
    for method, forecast in (("Naive2", ref), ("Naive (last value)", naive),
                             (f"seasonal naive ({snaive_m})", snaive)):
        print(peer_row(method, *owa_scores(history, actual, forecast, m)[:3]), flush=True)
    for name in args.runs.split(","):
        method = label(name, args.dataset)
        r = run_peer(__file__, args, name, method)
        if r is None:
            continue
        notes = {k: r[k] for k in ("load_at_start", "fallbacks", "fallback_lengths", "versions")
                 if k in r}
        print(peer_row(method, r["sMAPE"], r["MASE"], r["OWA"], r["wall_s"], r["cpu_s"],
                  r["peak_rss_mib"]), f"<!-- {json.dumps(notes)} -->", flush=True)


if __name__ == "__main__":
    main()
