"""The default ``sklstm forecast`` with an empty compilation cache: before and after.

Contenders, each run as ``python -m sklstm.cli forecast --quiet`` in a fresh
process with its own new empty ``SKLSTM_CACHE_DIR``, alternating, for
``--repeat`` rounds:

- ``before``: the sklstm package of git revision ``--before`` (default
  ``main``), extracted with ``git archive`` into a temporary directory;
- ``after``: this checkout.

Prints the wall times and peak RSS of the processes (median [min-max]), the
ratio, and whether the two wrote the same ``cv_results.csv`` and
``forecast.csv`` (fit times aside). With ``--warm``, each contender first
runs once, untimed, to fill a cache of its own, which its timed runs reuse
(the cost of the command itself, compilation aside).

Usage (from the repository root)::

    PYTHONPATH=. python benchmarks/bench_cli_cold.py --repeat 2 [--before main] [--warm]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, checkout, fmt, fresh_cache_dir  # noqa: E402


def run(pythonpath, out, cache=None):
    """Wall seconds and peak RSS (MiB) of one ``sklstm forecast --quiet`` process."""
    env = dict(os.environ, SKLSTM_CACHE_DIR=cache or fresh_cache_dir(),
               PYTHONPATH=str(pythonpath))
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "sklstm.cli", "forecast", "--quiet",
                             "--out", str(out)], env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"sklstm forecast failed with exit code {proc.returncode}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def results(out):
    table = pd.read_csv(out / "cv_results.csv").drop(columns="fit_time_mean")
    return table, pd.read_csv(out / "forecast.csv")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--before", default="main")
    parser.add_argument("--warm", action="store_true")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        paths = {"before": checkout(args.before, tmp / "before"), "after": ROOT}
        caches = {name: fresh_cache_dir() if args.warm else None for name in paths}
        for name, path in paths.items():
            if args.warm:  # fills the contender's own cache, untimed
                run(path, tmp / f"{name}-warm-up", caches[name])
        times = {name: [] for name in paths}
        peaks = {name: [] for name in paths}
        for round_ in range(args.repeat):
            for name, path in paths.items():
                seconds, peak = run(path, tmp / f"{name}-{round_}", caches[name])
                times[name].append(seconds)
                peaks[name].append(peak)
                print(f"round {round_ + 1} {name}: {seconds:.1f} s, peak RSS {peak:.0f} MiB",
                      flush=True)
        same = []
        for round_ in range(args.repeat):
            (t1, f1), (t2, f2) = (results(tmp / f"{name}-{round_}") for name in paths)
            same.append(t1.equals(t2) and f1.equals(f2))
    cache = "warm (its own)" if args.warm else "empty"
    print(f"\n{'contender':<8} {'wall time, ' + cache + ' cache':>32} {'peak RSS':>26}")
    for name in paths:
        print(f"{name:<8} {fmt(times[name]):>32} {fmt(peaks[name], 'MiB', digits=0):>26}")
    ratio = statistics.median(times["before"]) / statistics.median(times["after"])
    print(f"before / after: {ratio:.2f}x")
    print(f"same cv_results.csv and forecast.csv in every round: {all(same)}")


if __name__ == "__main__":
    main()
