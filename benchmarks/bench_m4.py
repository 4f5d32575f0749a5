"""M4-style panels: sklstm's long-panel recipe, its levers, baselines (issue 16).

Scores the competition's way: sMAPE, MASE (in-sample seasonal naive errors
with the dataset's season) and OWA = 0.5 (sMAPE / sMAPE_Naive2 + MASE /
MASE_Naive2), with Naive2 (naive after a classical multiplicative seasonal
adjustment where a 90% autocorrelation test finds seasonality) the
reference, as in the M4 code (Mcompetitions/M4-methods). On Weekly (m=1)
Naive2 is Naive, and the script first reproduces the published Naive row
(sMAPE 9.161, MASE 2.777).

Datasets:

- ``weekly``: M4 Weekly (359 series, 80-2597 values, horizon 13), read from
  ``--data`` (default ``../shared/data/m4-weekly`` beside the repository;
  the data is never shipped with the package).
- ``hourly-flights``, ``hourly-weather``: real hourly panels cut to M4
  Hourly's shape (400 and 88 unaligned series of 700-960 hours, horizon
  48), built by ``hourly_panels.py`` into the folder given as ``--data``.
- ``hourly-synthetic``: 414 seeded synthetic series of that shape (daily
  and weekly seasons of random shapes, trends, level shifts, noise).
- ``us-employment``: sklstm's embedded 22 monthly series, the last 12
  months of each held out (season 12); ``us-employment-back-12`` and
  ``-back-24`` hold out the 12 months before the last 12 or 24 (earlier
  forecast origins, shorter histories).

We do not have M4 Hourly, the issue's acceptance panel; the hourly panels
stand in for it.

Every contender runs in a fresh process (``_common.run_worker``) and
reports fit + forecast wall time, CPU time (user + system, all threads) and
peak RSS. The contenders (``--contenders``, comma-separated):

- ``naive``, ``snaive``: last value; value one season before (Naive2, the
  reference of OWA, is always scored first).
- ``default``: ``LSTMForecaster(season_length=m, random_state=0)`` with
  every other parameter at its default, through ``make_supervised(...,
  series=, time=)`` and ``forecast(..., series=, time=, coverage=0.9)`` (the
  issue's calls); the 90% interval's coverage of the test values is
  reported too.
- Each lever of the default switched off or changed, one at a time:
  ``simple-forecast-alone`` (the simple forecast the network corrects,
  without the network), ``no-simple-forecast`` (the network corrects the
  last value), ``no-linear-candidate`` (the linear autoregression is never
  the simple forecast), ``robust-linear-only`` (of the two linear fits, only
  the robust one is offered), ``no-drift`` (the linear fit does not read the
  series' drift), ``no-window-scaling`` (each window minus its last value,
  in the series' units), ``level-scaling`` (windows divided by their last
  value, ES-RNN's level), ``no-fold`` (the LSTM reads one step at a time,
  not a season), ``constant-lr`` (no cosine schedule), ``random-head``
  (the head starts at random weights, not at zero), ``early-stopping``
  (``early_stopping=True``), ``no-honest-cutoff`` (targets after the step
  that follows a series' last row are trained on too, as before sklstm
  0.3: what honest cross-validation costs a final fit), ``log-positive``
  (series whose values are all above 0 learned and forecast in logs),
  ``no-positive-floor`` (a positive series' forecast may fall below the
  lowest value of its window),
  ``no-refit`` (the model trained without the held-out last steps is the
  final one; by default it is trained again on all windows),
  ``units-32`` / ``units-128``,
  ``no-season`` (``season_length=None``), ``seasons-24-168`` (several
  seasons: ``season_length=(24, 168)``), ``steps-300`` / ``steps-3000``
  (``max_steps``), ``length-96`` (any ``sequence_length``), ``ensemble-3``
  (the mean forecast of three seeds). Levers joined by ``+`` apply together
  (``seasons-24-168+length-192``). ``lr-X`` (``learning_rate=X``) and
  ``batch-N`` (``batch_size=N``), ``fold-N`` (the LSTM reads ``N`` steps of a
  window at once, whatever the season), ``passes-N`` (``max_steps="auto"``
  aims at ``N`` passes, not 4), ``max-passes-N`` (a small panel stops at
  ``N`` passes, not 40), ``pinball-Q`` (the pinball loss at quantile
  ``Q`` instead of MAE; ES-RNN trained at 0.49), ``seed-N``
  (``random_state=N``). ``calendar``: ``make_supervised(...,
  calendar=True)``, for data on dates (US employment's months; Weekly and
  the hourly panels have integer times, whose calendar is unknown).
- ``at-REV``: the default recipe as sklstm had it at git revision ``REV``
  (e.g. ``at-26ccb5b``: sklstm before the one forecaster, whose long-panel
  recipe this was).
- ``wide-shape``: the series right-aligned in one wide frame (the last 600
  rows), ``make_supervised(target=all)``, ``LSTMForecaster(target_column=all)``
  with the default's other parameters: the same recipe through the wide
  layout. At a revision before sklstm 0.3 (``at-REV`` with the suffix
  ``+wide``, e.g. ``at-26ccb5b+wide``) it is the old wide recipe as issue 16
  ran it (``sequence_length=52, epochs=10``).

Levers are switched by replacing one function of sklstm in the worker
(``_LEVERS``), so each row differs from ``default`` in that one thing. The
peer (neuralforecast) runs in a throw-away environment:
``peer_neuralforecast_m4.py``.

Usage::

    PYTHONPATH=. python benchmarks/bench_m4.py --dataset weekly
    PYTHONPATH=. python benchmarks/bench_m4.py --dataset hourly-flights --data /tmp/hourly \
        --contenders naive,snaive,default
"""

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, checkout, machine, run_worker  # noqa: E402

# season: of MASE and Naive2 (M4 uses 1 for weekly); snaive: of seasonal naive
HOURLY = dict(horizon=48, season=24, snaive=24, lstm_season=24)
DATASETS = {"weekly": dict(horizon=13, season=1, snaive=52, lstm_season=None),
            "hourly-synthetic": HOURLY, "hourly-flights": HOURLY, "hourly-weather": HOURLY,
            "us-employment": dict(horizon=12, season=12, snaive=12, lstm_season=12)}
# US employment with the forecast origin moved back: the last 12 or 24 months dropped first
DATASETS.update({f"us-employment-back-{k}": DATASETS["us-employment"] for k in (12, 24)})
CONTENDERS = ("naive", "snaive", "default", "simple-forecast-alone", "no-simple-forecast",
              "no-linear-candidate", "robust-linear-only", "no-drift", "no-window-scaling",
              "level-scaling", "no-fold", "constant-lr", "random-head", "early-stopping",
              "no-honest-cutoff", "units-32", "no-season", "steps-300", "steps-3000",
              "ensemble-3", "at-26ccb5b", "wide-shape", "at-26ccb5b+wide")


# --- data ---------------------------------------------------------------------


def load_weekly(folder):
    """M4 Weekly as (long training frame, test array (n_series, 13), ids)."""
    folder = Path(folder)
    train = pd.read_csv(folder / "Weekly-train.csv.gz")
    test = pd.read_csv(folder / "Weekly-test.csv.gz")
    values = train.iloc[:, 1:].to_numpy(float)
    lengths = np.isfinite(values).sum(axis=1)
    ids = train.iloc[:, 0].to_numpy()
    long = pd.DataFrame({
        "unique_id": np.repeat(ids, lengths),
        "ds": np.concatenate([np.arange(n) for n in lengths]),
        "y": values[np.isfinite(values)],
    })
    actual = test.set_index(test.columns[0]).loc[ids].to_numpy(float)
    return long, actual, ids


def synthetic_hourly(n_series=414, horizon=48, seed=0):
    """An M4-Hourly-shaped panel: unaligned series with daily and weekly seasons."""
    rng = np.random.default_rng(seed)
    frames, tests = [], []
    for i in range(n_series):
        n = int(rng.integers(700, 961)) + horizon
        t = np.arange(n) + int(rng.integers(0, 24 * 365))  # different start hours
        hour, day = t % 24, (t // 24) % 7
        daily_shape = np.cumsum(rng.normal(0, 1, 24))
        daily_shape = (daily_shape - daily_shape.mean()) / (daily_shape.std() + 1e-9)
        weekly = rng.normal(0, 0.3, 7) * (rng.random() < 0.5)
        level = rng.lognormal(4, 1.5)
        strength = rng.uniform(0.2, 1.0)
        trend = rng.normal(0, 0.0004) * np.arange(n)
        shifts = np.cumsum((rng.random(n) < 0.002) * rng.normal(0, 0.15, n))
        noise = rng.normal(0, rng.uniform(0.005, 0.05), n)
        ar = np.zeros(n)
        for k in range(1, n):
            ar[k] = 0.7 * ar[k - 1] + noise[k]
        series = level * np.exp(trend + shifts + ar) * (1 + strength * daily_shape[hour]
                                                         / 3 + weekly[day] * strength)
        series = np.maximum(series, 0.01 * level)
        frames.append(pd.DataFrame({"unique_id": f"H{i + 1}", "ds": np.arange(n - horizon),
                                    "y": series[:-horizon]}))
        tests.append(series[-horizon:])
    long = pd.concat(frames, ignore_index=True)
    return long, np.array(tests), np.array([f"H{i + 1}" for i in range(n_series)])


def load_hourly(path, horizon=48):
    """A panel written by hourly_panels.py: the last ``horizon`` hours of each series are its test."""
    panel = pd.read_csv(path)
    last = panel.groupby("unique_id", sort=False).cumcount(ascending=False) < horizon
    ids = panel["unique_id"].unique()
    actual = panel[last]["y"].to_numpy(float).reshape(len(ids), horizon)
    return panel[~last].reset_index(drop=True), actual, ids


def long_with_test(wide, horizon, dated=False):
    """A wide panel in long form on integer times (``dated``: its index's dates), its last
    ``horizon`` rows the test: ``(training rows, actual (n_series, horizon), ids)``."""
    times = wide.index if dated else pd.RangeIndex(len(wide))
    panel = (wide.set_axis(times.rename("ds")).reset_index()
             .melt(id_vars="ds", var_name="unique_id", value_name="y"))
    last = panel["ds"] >= times[len(wide) - horizon]
    ids = np.asarray(wide.columns)
    actual = np.stack([panel[last & (panel["unique_id"] == i)]["y"].to_numpy() for i in ids])
    return panel[~last][["unique_id", "ds", "y"]].reset_index(drop=True), actual, ids


def load_us_employment(horizon=12, back=0):
    """sklstm's embedded panel in long form, its last ``horizon`` months the test (after
    dropping the last ``back`` months: an earlier forecast origin)."""
    from sklstm.datasets import load_us_employment as load_wide

    wide = load_wide()
    return long_with_test(wide.iloc[:len(wide) - back], horizon, dated=True)  # months: calendar


def load(dataset, folder):
    if dataset == "weekly":
        return load_weekly(folder)
    if dataset.startswith("us-employment"):
        return load_us_employment(back=int(dataset.rpartition("-")[2]) if "back" in dataset else 0)
    if dataset == "hourly-synthetic":
        return synthetic_hourly()
    return load_hourly(Path(folder) / f"{dataset.split('-')[1]}.csv.gz")


# --- scores (the M4 definitions) ----------------------------------------------


def _seasonality_test(values, m):
    """M4's 90% autocorrelation test for seasonality at lag m."""
    if m <= 1 or len(values) < 3 * m:
        return False
    x = values - values.mean()
    acf = np.array([np.sum(x[k:] * x[:-k]) for k in range(1, m + 1)]) / np.sum(x * x)
    limit = 1.645 * np.sqrt((1 + 2 * np.sum(acf[:-1] ** 2)) / len(values))
    return abs(acf[-1]) > limit


def naive2(history, horizon, m):
    """Naive on the seasonally adjusted series (classical multiplicative), reseasonalised."""
    if not _seasonality_test(history, m):
        return np.repeat(history[-1], horizon)
    kernel = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    trend = np.convolve(history, kernel, mode="valid")
    offset = (len(history) - len(trend)) // 2
    ratios = history[offset: offset + len(trend)] / trend
    index = np.array([np.mean(ratios[(k - offset) % m::m]) for k in range(m)])
    index = index * m / index.sum()
    season = index[np.arange(len(history)) % m]
    adjusted = history / season
    future = index[np.arange(len(history), len(history) + horizon) % m]
    return adjusted[-1] * future


def scores(history_by_series, actual, forecasts, m):
    """sMAPE (%) and MASE of forecasts (n_series, horizon)."""
    smape = np.mean(200 * np.abs(actual - forecasts) / (np.abs(actual) + np.abs(forecasts)))
    mase = []
    for hist, a, f in zip(history_by_series, actual, forecasts):
        scale = np.mean(np.abs(hist[m:] - hist[:-m]))
        mase.append(np.mean(np.abs(a - f)) / scale)
    return float(smape), float(np.mean(mase))


def owa_scores(history_by_series, actual, forecasts, m):
    """``(sMAPE, MASE, OWA, (sMAPE, MASE) of Naive2)``: OWA relative to Naive2, as M4 scores."""
    smape, mase = scores(history_by_series, actual, forecasts, m)
    ref = np.array([naive2(h, actual.shape[1], m) for h in history_by_series])
    ref_smape, ref_mase = scores(history_by_series, actual, ref, m)
    return smape, mase, 0.5 * (smape / ref_smape + mase / ref_mase), (ref_smape, ref_mase)


# --- peers (scripts of their own, in throw-away environments) -------------------


def peer_row(method, smape, mase, owa, wall="-", cpu="-", rss="-"):
    """One row of a peer script's table."""
    fmt = lambda v: v if isinstance(v, str) else f"{v:.1f}"  # noqa: E731
    return (f"| {method} | {smape:.3f} | {mase:.3f} | {owa:.3f} | {fmt(wall)} | {fmt(cpu)} "
            f"| {fmt(rss)} |")


def run_peer(script, args, name, method):
    """Run ``script``'s worker ``name`` in a fresh process: its result dict, or None after
    printing the row of a run that failed or ran past ``args.timeout``."""
    import subprocess

    try:
        proc = subprocess.run([sys.executable, script, args.data, "--dataset", args.dataset,
                               "--worker", name],
                              capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        print(f"| {method} | stopped after {args.timeout:.0f} s | | | | | |", flush=True)
        return None
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode or not lines:
        print(f"| {method} | failed (rc {proc.returncode}) | | | | | |")
        print(proc.stderr[-3000:], file=sys.stderr)
        return None
    return json.loads(lines[-1])


# --- contenders -----------------------------------------------------------------


def _no_window_scaling():
    import sklstm._recipe as recipe

    original = recipe.window_units
    # each window minus its last value, in the series' units: a unit of 1
    recipe.window_units = lambda values, fallback: np.ones(len(values)) + 0 * original(
        values[:1], fallback[:1]).sum()


def _level_scaling():
    import sklstm._recipe as recipe

    def window_units(values, fallback):
        last = values[:, -1]
        return np.where(np.isfinite(last) & (np.abs(last) > 0), np.abs(last), 1.0)

    recipe.window_units = window_units


def _no_simple_forecast():
    import sklstm._recipe as recipe

    recipe.simple_forecasts.choose = lambda *args, **kwargs: {"kind": "last"}


def _no_linear_candidate():
    import sklstm._simple_forecasts as simple

    simple.LINEAR_MARGIN = np.inf  # never chosen


def _robust_linear_only():
    import sklstm._simple_forecasts as simple

    simple.LINEAR_FITS = {"robust": simple.LINEAR_FITS["robust"]}


def _no_drift():
    import sklstm._recipe as recipe

    recipe.SERIES_DRIFT = False


def _no_fold():
    import sklstm._recipe as recipe

    recipe.lstm_fold = lambda sequence_length, season_length: 1


def _fold_by(n):
    """The LSTM reads ``n`` steps of every window at once (windows of a multiple of ``n``)."""
    import sklstm._recipe as recipe

    recipe.lstm_fold = lambda sequence_length, season_length: (
        n if sequence_length % n == 0 else 1)


def _train_with(**fixed):
    """The engine's training, but for ``fixed`` arguments."""
    import sklstm._engine as engine

    train = engine.train
    engine.train = lambda *args, **kwargs: train(*args, **{**kwargs, **fixed})


def _random_head():
    import keras

    import sklstm._recipe as recipe

    build = recipe.build_network

    def build_network(input_shape, horizon, settings):
        model = build(input_shape, horizon, settings)
        head = model.get_layer("head")
        seeded = keras.initializers.GlorotUniform(seed=settings.seed)
        head.kernel.assign(seeded(head.kernel.shape))
        return model

    recipe.build_network = build_network


def _simple_forecast_alone():
    # the default's windows and simple forecast; no training: the zero head adds nothing
    import sklstm._engine as engine

    engine.train = lambda model, X, y, **kwargs: engine.Training({"loss": [0.0]}, None, None)


def _log_positive():
    import sklstm._recipe as recipe

    recipe.LOG_POSITIVE = True


def _no_positive_floor():
    import sklstm._recipe as recipe

    recipe.POSITIVE_FLOOR = False


def _no_refit():
    import sklstm._recipe as recipe

    recipe.REFIT_FROM = 1.0  # the model that chose the stopping point is the final one


def _at_most_passes(n):
    """max_steps="auto" stops a small panel at ``n`` passes over its windows, not 40."""
    import sklstm._recipe as recipe

    recipe.AUTO_PASSES = n


def _aim_at_passes(n):
    """max_steps="auto" aims at ``n`` passes over a large panel's windows."""
    import sklstm._recipe as recipe

    recipe.AUTO_TARGET_PASSES = n


def _pinball(q):
    """The network trained on the pinball loss at quantile ``q`` (ES-RNN: 0.49), not MAE."""
    import keras

    import sklstm._recipe as recipe

    def pinball(y_true, y_pred):
        error = y_true - y_pred
        return keras.ops.mean(keras.ops.maximum(q * error, (q - 1) * error), axis=-1)

    build = recipe.build_network

    def build_network(*args, **kwargs):
        model = build(*args, **kwargs)
        model.compile(optimizer=model.optimizer, loss=pinball)
        return model

    recipe.build_network = build_network


def _no_honest_cutoff():
    import sklstm._recipe as recipe

    recipe.honest_rows = lambda panel, horizon: np.ones(len(panel), dtype=bool)


_LEVERS = {
    "no-positive-floor": _no_positive_floor,
    "no-window-scaling": _no_window_scaling,
    "level-scaling": _level_scaling,
    "no-simple-forecast": _no_simple_forecast,
    "no-linear-candidate": _no_linear_candidate,
    "robust-linear-only": _robust_linear_only,
    "no-drift": _no_drift,
    "simple-forecast-alone": _simple_forecast_alone,
    "no-fold": _no_fold,
    "constant-lr": lambda: _train_with(learning_rate_schedule="constant"),
    "random-head": _random_head,
    "no-honest-cutoff": _no_honest_cutoff,
    "log-positive": _log_positive,
    "no-refit": _no_refit,
}


def _lever_params(name):
    """The LSTMForecaster parameters one lever ``name`` changes."""
    if name.split("-")[0] in ("steps", "length", "units", "batch", "seed"):
        key = {"steps": "max_steps", "length": "sequence_length", "batch": "batch_size",
               "seed": "random_state"}.get(name.split("-")[0], "units")
        return {key: int(name.split("-")[1])}
    if name.startswith("lr-"):  # e.g. lr-0.003: the step size the cosine schedule starts from
        return {"learning_rate": float(name[3:])}
    if name == "no-season":
        return {"season_length": None}
    if name.startswith("seasons-"):  # e.g. seasons-24-168: a day and a week of hours
        return {"season_length": tuple(int(m) for m in name.split("-")[1:])}
    if name == "early-stopping":
        return {"early_stopping": True}
    return {}


def _lstm_forecast(long, horizon, season, name):
    from sklstm import LSTMForecaster, forecast, make_supervised

    params = dict(season_length=season, random_state=0)
    for part in name.split("+"):  # levers combine: seasons-24-168+length-192
        params.update(_lever_params(part))
        if part in _LEVERS:
            _LEVERS[part]()
        if part.startswith("fold-"):  # e.g. fold-2: two steps of the window per LSTM step
            _fold_by(int(part.split("-")[1]))
        if part.startswith("passes-"):  # e.g. passes-6: max_steps="auto" aims at 6 passes
            _aim_at_passes(int(part.split("-")[1]))
        if part.startswith("max-passes-"):  # e.g. max-passes-20: a small panel stops at 20
            _at_most_passes(int(part.split("-")[2]))
        if part.startswith("pinball-"):  # e.g. pinball-0.49: the loss at that quantile
            _pinball(float(part.split("-")[1]))
    calendar = {"calendar": True} if "calendar" in name.split("+") else {}
    X, y = make_supervised(long, target="y", series="unique_id", time="ds", horizon=horizon,
                           **calendar)
    seeds = [0, 1, 2] if name == "ensemble-3" else [params["random_state"]]
    runs, bounds = [], None
    for seed in seeds:
        model = LSTMForecaster(**{**params, "random_state": seed}).fit(X, y)
        try:  # intervals for long panels came with sklstm 0.3
            fc = forecast(model, long, target="y", series="unique_id", time="ds", coverage=0.9)
            bounds = (fc["lower"].to_numpy().reshape(-1, horizon),
                      fc["upper"].to_numpy().reshape(-1, horizon))
        except (ValueError, TypeError):
            fc = forecast(model, long, target="y", series="unique_id", time="ds")
        runs.append(fc["forecast"].to_numpy().reshape(-1, horizon))
    ids = fc["unique_id"].to_numpy()[::horizon]
    simple = getattr(model, "simple_forecast_", None)  # absent from sklstm before 0.3
    info = dict(sequence_length=int(model.sequence_length_), steps=int(model.n_steps_),
                simple=None if simple is None else simple["kind"] + "".join(
                    f"-{simple[k]}" for k in ("season", "n_seasons") if k in simple),
                fold=getattr(model, "fold_", None))
    if bounds is not None and len(seeds) == 1:
        info["bounds"] = [bounds[0].tolist(), bounds[1].tolist()]
    return ids, np.mean(runs, axis=0), info


def _wide_shape(long, horizon, season, old):
    from sklstm import LSTMForecaster, forecast, make_supervised

    # each series right-aligned at its end, the last 600 rows
    wide = {}
    for uid, group in long.groupby("unique_id", sort=False):
        values = group["y"].to_numpy()[-600:]
        wide[uid] = np.r_[np.full(600 - len(values), np.nan), values]
    wide = pd.DataFrame(wide)
    targets = list(wide.columns)
    X, y = make_supervised(wide, targets, horizon=horizon)
    if old:  # the old wide recipe, as issue 16 ran it
        model = LSTMForecaster(target_column=targets, sequence_length=52, epochs=10,
                               random_state=0)
    else:
        model = LSTMForecaster(target_column=targets, season_length=season, random_state=0)
    fc = forecast(model.fit(X, y), wide, target=targets)
    return np.array(targets), fc.to_numpy().T, {"steps": getattr(model, "n_steps_", None)}


def worker(arg):
    dataset, name, folder = arg["dataset"], arg["name"], arg["data"]
    spec = DATASETS[dataset]
    long, actual, ids = load(dataset, folder)
    horizon, m = spec["horizon"], spec["season"]
    histories = [g["y"].to_numpy() for _, g in long.groupby("unique_id", sort=False)]
    order = pd.Index(long["unique_id"].unique())
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    info = {}
    if name == "naive":
        fc_ids, fc = order.to_numpy(), np.array([np.repeat(h[-1], horizon) for h in histories])
    elif name == "naive2":
        fc_ids, fc = order.to_numpy(), np.array([naive2(h, horizon, m) for h in histories])
    elif name == "snaive":
        season = spec["snaive"]
        fc_ids = order.to_numpy()
        fc = np.array([np.resize(h[-season:], horizon) for h in histories])
    elif name.endswith("wide-shape"):
        fc_ids, fc, info = _wide_shape(long, horizon, spec["lstm_season"], old=arg.get("old"))
    else:
        fc_ids, fc, info = _lstm_forecast(long, horizon, spec["lstm_season"], name)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    at = pd.Index(fc_ids).get_indexer(ids)
    fc = fc[at]
    if "bounds" in info:  # the 90% interval's coverage of the test values
        lower, upper = (np.asarray(b)[at] for b in info.pop("bounds"))
        info["coverage"] = float(np.mean((lower <= actual) & (actual <= upper)))
    hist = [histories[i] for i in order.get_indexer(ids)]
    smape, mase, owa, reference = owa_scores(hist, actual, fc, m)
    return dict(
        name=name, smape=smape, mase=mase, owa=owa, naive2=reference, wall_s=wall,
        cpu_s=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        peak_rss_mib=after.ru_maxrss / 1024, **info,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=DATASETS, default="weekly")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "m4-weekly"))
    parser.add_argument("--contenders", default=",".join(CONTENDERS))
    parser.add_argument("--worker")
    parser.add_argument("--arg")
    args = parser.parse_args()
    if args.worker:
        print("RESULT " + json.dumps(worker(json.loads(args.arg))), flush=True)
        return
    print(machine())
    print(f"dataset {args.dataset}")
    print("| method | sMAPE | MASE | OWA | fit+forecast s | CPU s | peak RSS MiB | notes |")
    print("|---|---|---|---|---|---|---|---|")
    for name in ["naive2", *args.contenders.split(",")]:
        env, contender, old = None, name, False
        if name.startswith("at-"):  # the default recipe as sklstm had it at a git revision
            revision, _, shape = name[3:].partition("+")
            env = {"PYTHONPATH": str(checkout(revision, tempfile.mkdtemp()))}
            contender, old = ("wide-shape", True) if shape == "wide" else ("default", False)
        r = run_worker(__file__, contender, dict(dataset=args.dataset, name=contender,
                                                 data=args.data, old=old),
                       env=env, timeout=3600)
        notes = ", ".join(f"{k}={r[k]}" for k in ("sequence_length", "simple", "fold", "steps",
                                                  "coverage")
                          if r.get(k) is not None)
        print(f"| {name} | {r['smape']:.3f} | {r['mase']:.3f} | {r['owa']:.3f} | "
              f"{r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['peak_rss_mib']:.0f} | {notes} |",
              flush=True)


if __name__ == "__main__":
    main()
