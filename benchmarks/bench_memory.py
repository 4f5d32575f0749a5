"""Goal 4: peak memory of training on a long multivariate series.

Each point runs in a fresh process: a random-walk series of ``n`` rows and 4
features (float64, ``32 n`` bytes), ``Pipeline([MinMaxScaler,
SequenceWindower(L), LSTMRegressor(units=8, epochs=1, batch_size=1024)])``
(default early stopping, so the validation windows are predicted too)
fitted on y = next value of the first feature. Peak RSS is the process's
``ru_maxrss``; ``before fit`` is the RSS after the imports, the data and a
tiny warm-up fit (which loads the compiled programs and JAX's runtime), so
``fit peak - before`` is what training on the long series costs.
RSS also holds JAX's own buffers and is noisy by some 10 MiB, so the fit is
run a second time under ``tracemalloc``, which counts NumPy's and Python's
allocations exactly: ``numpy peak``.

If the windows were materialised, they would take ``n * L * 4 * 8`` bytes
(float64), printed as ``windows would take``. Peak RSS must grow with n, not
with n x L, and stay under 1.5 GiB at n=1,000,000, L=64. A least-squares
fit of each measure on ``[1, n, L, n*L]`` prints its bytes per row and per
row-step (materialised float64 windows would add 32 bytes per row-step).

Run: ``PYTHONPATH=. python benchmarks/bench_memory.py [--points 250000x16,...]``
(``--pythonpath DIR`` runs the workers against another checkout, e.g. one
with a proposed patch.)
"""

import argparse
import sys
import tracemalloc
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    add_pythonpath_arg,
    apply_pythonpath_arg,
    fresh_cache_dir,
    is_worker,
    machine,
    peak_rss_mib,
    rss_mib,
    run_worker,
    worker_main,
)

N_FEATURES = 4
DEFAULT_POINTS = "250000x16,250000x64,500000x16,500000x64,1000000x16,1000000x64"


def worker(arg):
    import numpy as np
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MinMaxScaler

    from sklstm import LSTMRegressor, SequenceWindower

    n, L = arg["n"], arg["L"]

    def pipeline():
        return Pipeline([
            ("scale", MinMaxScaler()),
            ("window", SequenceWindower(L)),
            ("lstm", LSTMRegressor(units=8, epochs=1, batch_size=1024, random_state=0)),
        ])

    rng = np.random.default_rng(0)
    series = np.cumsum(rng.standard_normal((n + 1, N_FEATURES)), axis=0)
    X, y = series[:-1], series[1:, 0]
    pipeline().fit(X[:3000], y[:3000])  # warm-up: compiles, loads the runtime
    before = rss_mib()
    peak_before = peak_rss_mib()
    start = time.perf_counter()
    pipe = pipeline().fit(X, y)
    seconds = time.perf_counter() - start
    assert np.isfinite(pipe.predict(X[-L:])).all()
    peak = peak_rss_mib()
    tracemalloc.start()
    pipeline().fit(X, y)
    numpy_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {
        "n": n, "L": L, "before_mib": before, "peak_before_mib": peak_before,
        "peak_mib": peak, "numpy_peak_mib": numpy_peak, "seconds": seconds,
    }


WORKERS = {"worker": worker}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", default=DEFAULT_POINTS, help="n x sequence_length, comma-separated")
    add_pythonpath_arg(parser)
    args = parser.parse_args()
    apply_pythonpath_arg(args)
    print(machine())
    env = {"SKLSTM_CACHE_DIR": fresh_cache_dir()}
    print(f"{'n':>9s} {'L':>4s} {'windows would take':>19s} {'RSS before fit':>15s} "
          f"{'fit peak RSS':>13s} {'peak - before':>14s} {'numpy peak':>11s} {'fit s':>7s}")
    rows = []
    for point in args.points.split(","):
        n, L = (int(v) for v in point.split("x"))
        res = run_worker(__file__, "worker", {"n": n, "L": L}, env=env)
        rows.append(res)
        would = n * L * N_FEATURES * 8 / 2**20
        print(f"{n:9d} {L:4d} {would:15.0f} MiB {res['before_mib']:11.0f} MiB {res['peak_mib']:9.0f} MiB "
              f"{res['peak_mib'] - res['before_mib']:10.0f} MiB {res['numpy_peak_mib']:7.1f} MiB "
              f"{res['seconds']:7.1f}", flush=True)
    if len({r["n"] for r in rows}) > 1 and len({r["L"] for r in rows}) > 1:
        import numpy as np

        design = np.array([[1, r["n"], r["L"], r["n"] * r["L"]] for r in rows], float)
        for key, label in (("numpy_peak_mib", "numpy peak"), (None, "RSS peak - before")):
            values = np.array([
                r[key] if key else r["peak_mib"] - r["before_mib"] for r in rows
            ]) * 2**20
            coef = np.linalg.lstsq(design, values, rcond=None)[0]
            print(f"{label}: {coef[0] / 2**20:.1f} MiB + {coef[1]:.1f} B/row + "
                  f"{coef[2] / 2**20:.2f} MiB/step + {coef[3]:.2f} B/(row*step)")
    big = [r for r in rows if r["n"] == 1_000_000 and r["L"] == 64]
    if big:
        peak = big[0]["peak_mib"] / 1024
        print(f"goal 4 (n=1,000,000, L=64 peak RSS < 1.5 GiB): {peak:.2f} GiB -> "
              f"{'met' if peak < 1.5 else 'NOT met'}")


if __name__ == "__main__":
    if is_worker():
        worker_main(WORKERS)
    else:
        main()
