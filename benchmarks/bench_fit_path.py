"""One ``LSTMForecaster.fit``: time, peak memory and the work done, before and after.

Issue 17 made the fit one trip of the data: validate once, window once, no
prediction of every row after training, and ``trend="diff"`` windows made per
batch instead of copied whole (``windows[:, :, :-n].copy()``). This measures
what that changed, running each contender in a fresh process, alternating,
for ``--repeat`` rounds:

- ``before``: the sklstm of git revision ``--before`` (``git archive``);
- ``after``: this checkout.

Each worker (one per contender and ``trend``, ``diff`` or ``none``) makes a
random walk of ``--rows`` rows and 4 features, fits a tiny forecaster on
3,000 rows (compiles, loads JAX's runtime), then fits
``LSTMForecaster(sequence_length=L, units=8, epochs=1, batch_size=1024)``
on all rows three times and reports:

- ``fit s``: wall time of the first fit;
- ``RSS +MiB``: peak RSS (``ru_maxrss``) after it minus the RSS before it;
- ``numpy peak MiB``: the second fit, under ``tracemalloc``, which counts
  NumPy's and Python's allocations exactly (RSS also holds JAX's buffers);
- ``validate_data``, ``windowings``, ``network passes``: the third fit's
  calls, counted (``network passes``: the rows of each prediction outside the
  training loop).

The copied windows of ``trend="diff"`` took ``rows x L x 4 x 8`` bytes
(float64), printed as ``the copy was``.

Run: ``PYTHONPATH=. python benchmarks/bench_fit_path.py [--rows 100000] [--L 28]
[--repeat 2] [--before c152858]``
"""

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    ROOT,
    checkout,
    fmt,
    fresh_cache_dir,
    is_worker,
    machine,
    peak_rss_mib,
    rss_mib,
    run_worker,
    worker_main,
)

N_FEATURES = 4
TRENDS = ("diff", "none")


@contextmanager
def _counting():
    """Count validate_data calls, windowings and the network's predictions in the block."""
    import sklearn.utils.validation as validation

    from sklstm import LSTMRegressor, SequenceWindower

    counts = {"validate_data": 0, "windowings": 0, "network passes": []}

    def count_validations(frame, event, arg):
        if event == "call" and frame.f_code is validation.validate_data.__code__:
            counts["validate_data"] += 1

    window, output = SequenceWindower._window, LSTMRegressor._network_output

    def counted_window(self, *args, **kwargs):
        counts["windowings"] += 1
        return window(self, *args, **kwargs)

    def counted_output(self, X):
        counts["network passes"].append(len(X))
        return output(self, X)

    SequenceWindower._window, LSTMRegressor._network_output = counted_window, counted_output
    sys.setprofile(count_validations)
    try:
        yield counts
    finally:
        sys.setprofile(None)
        SequenceWindower._window, LSTMRegressor._network_output = window, output


def worker(arg):
    """One trend's fit in this fresh process: time, memory, then the counts."""
    import numpy as np

    from sklstm import LSTMForecaster

    n, L, trend = arg["rows"], arg["L"], arg["trend"]
    rng = np.random.default_rng(0)
    series = np.cumsum(rng.standard_normal((n + 1, N_FEATURES)), axis=0)
    X, y = series[:-1], series[1:, 0]

    def forecaster():
        return LSTMForecaster(sequence_length=L, units=8, epochs=1, batch_size=1024,
                              trend=trend, random_state=0)

    forecaster().fit(X[:3000], y[:3000])  # warm-up: compiles, loads the runtime
    before = rss_mib()
    start = time.perf_counter()
    forecaster().fit(X, y)
    seconds = time.perf_counter() - start
    growth = peak_rss_mib() - before
    tracemalloc.start()
    forecaster().fit(X, y)
    numpy_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    with _counting() as counts:
        forecaster().fit(X, y)
    return {"seconds": seconds, "rss_growth": growth, "numpy_peak": numpy_peak, **counts}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--L", type=int, default=28)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--before", default="c152858")
    args = parser.parse_args()
    print(machine())
    arg = {"rows": args.rows, "L": args.L}
    copy_mib = args.rows * args.L * N_FEATURES * 8 / 2**20
    print(f"{args.rows} rows x {N_FEATURES} features, sequence_length={args.L}; "
          f"the copy was {copy_mib:.0f} MiB\n")
    with tempfile.TemporaryDirectory() as tmp:
        paths = {"before": checkout(args.before, Path(tmp) / "before"), "after": ROOT}
        runs = {(name, trend): [] for trend in TRENDS for name in paths}
        for round_ in range(args.repeat):
            for trend in TRENDS:
                for name, path in paths.items():
                    env = {"PYTHONPATH": str(path), "SKLSTM_CACHE_DIR": fresh_cache_dir()}
                    runs[name, trend].append(
                        run_worker(__file__, "fit", {**arg, "trend": trend}, env=env))
                    print(f"round {round_ + 1} {trend} {name} done", flush=True)
    print(f"\n{'trend':<6} {'contender':<9} {'fit s':>20} {'RSS +MiB':>20} "
          f"{'numpy peak MiB':>20} {'validate_data':>13} {'windowings':>10}  network passes")
    for trend in TRENDS:
        for name in paths:
            rows = runs[name, trend]
            print(f"{trend:<6} {name:<9} {fmt([r['seconds'] for r in rows]):>20} "
                  f"{fmt([r['rss_growth'] for r in rows], 'MiB', digits=0):>20} "
                  f"{fmt([r['numpy_peak'] for r in rows], 'MiB', digits=0):>20} "
                  f"{rows[0]['validate_data']:>13} {rows[0]['windowings']:>10}  "
                  f"{rows[0]['network passes']} rows")
        ratio = (statistics.median(r["seconds"] for r in runs["before", trend])
                 / statistics.median(r["seconds"] for r in runs["after", trend]))
        print(f"{trend:<6} before / after fit time: {ratio:.2f}x")


if is_worker():
    worker_main({"fit": worker})
elif __name__ == "__main__":
    main()
