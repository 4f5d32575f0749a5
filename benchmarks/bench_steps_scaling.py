"""Cost grows with gradient steps, not with the panel (issue 16).

At a fixed ``max_steps``, fits ``LSTMForecaster`` on synthetic long panels
of 400, 4,000 and 40,000 series (100 to 200 values each, a weekly-like
season and noise) and reports, each size in a fresh process: framing time,
fit time, forecast time, CPU time and peak RSS. The windows are sampled
(``max_steps * batch_size`` of them, at most 262,144), so fit time and
memory should stay nearly flat while the data grows 100-fold; framing and
forecasting touch every row, so they grow with it.

Usage::

    PYTHONPATH=. python benchmarks/bench_steps_scaling.py --sizes 400,4000,40000 --steps 300
"""

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, run_worker  # noqa: E402

HORIZON = 13


def synthetic_panel(n_series, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(100, 201, n_series)
    ids = np.repeat(np.arange(n_series), lengths)
    t = np.concatenate([np.arange(n) for n in lengths])
    level = rng.lognormal(3, 1, n_series)[ids]
    season = np.sin(2 * np.pi * t / 52 + rng.uniform(0, 6, n_series)[ids])
    walk = np.concatenate([np.cumsum(rng.normal(0, 0.02, n)) for n in lengths])
    y = level * np.exp(walk) * (1 + 0.2 * season)
    return pd.DataFrame({"unique_id": ids, "ds": t, "y": y})


def worker(arg):
    from sklstm import LSTMForecaster, forecast, make_supervised

    data = synthetic_panel(arg["n_series"])
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    X, y = make_supervised(data, target="y", series="unique_id", time="ds", horizon=HORIZON)
    framed = time.perf_counter()
    model = LSTMForecaster(max_steps=arg["steps"], random_state=0).fit(X, y)
    fitted = time.perf_counter()
    fc = forecast(model, data, target="y", series="unique_id", time="ds")
    done = time.perf_counter()
    after = resource.getrusage(resource.RUSAGE_SELF)
    assert len(fc) == arg["n_series"] * HORIZON and np.isfinite(fc["forecast"]).all()
    return dict(rows=len(data), frame_s=framed - start, fit_s=fitted - framed,
                forecast_s=done - fitted,
                cpu_s=after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime,
                peak_rss_mib=after.ru_maxrss / 1024)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="400,4000,40000")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--worker")
    parser.add_argument("--arg")
    args = parser.parse_args()
    if args.worker:
        print("RESULT " + json.dumps(worker(json.loads(args.arg))), flush=True)
        return
    print(machine())
    print(f"max_steps={args.steps}, batch 256, horizon {HORIZON}")
    print("| series | rows | make_supervised s | fit s | forecast s | CPU s | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|")
    for n in map(int, args.sizes.split(",")):
        r = run_worker(__file__, "fit", dict(n_series=n, steps=args.steps), timeout=3600)
        print(f"| {n:,} | {r['rows']:,} | {r['frame_s']:.1f} | {r['fit_s']:.1f} | "
              f"{r['forecast_s']:.1f} | {r['cpu_s']:.0f} | {r['peak_rss_mib']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
