"""The default ``sklstm forecast`` with an empty compilation cache: before and after.

Contenders, each run as ``python -m sklstm.cli forecast --quiet`` in a fresh
process with its own new empty ``SKLSTM_CACHE_DIR``, alternating, for
``--repeat`` rounds:

- ``before``: the sklstm package of git revision ``--before`` (default
  ``main``), extracted with ``git archive`` into a temporary directory;
- ``after``: this checkout.

Prints the wall times (median [min-max]), the ratio, and whether the two
wrote the same ``cv_results.csv`` and ``forecast.csv`` (fit times aside).

Usage (from the repository root)::

    PYTHONPATH=. python benchmarks/bench_cli_cold.py --repeat 2 [--before main]
"""

import argparse
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, fmt, fresh_cache_dir  # noqa: E402


def checkout(revision, into):
    """The ``sklstm`` package of ``revision``, extracted under ``into``."""
    archive = subprocess.run(["git", "archive", revision, "sklstm"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return Path(into)


def run(pythonpath, out):
    env = dict(os.environ, SKLSTM_CACHE_DIR=fresh_cache_dir(), PYTHONPATH=str(pythonpath))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sklstm.cli", "forecast", "--quiet", "--out",
                    str(out)], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def results(out):
    table = pd.read_csv(out / "cv_results.csv").drop(columns="fit_time_mean")
    return table, pd.read_csv(out / "forecast.csv")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--before", default="main")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        paths = {"before": checkout(args.before, tmp / "before"), "after": ROOT}
        times = {name: [] for name in paths}
        for round_ in range(args.repeat):
            for name, path in paths.items():
                seconds = run(path, tmp / f"{name}-{round_}")
                times[name].append(seconds)
                print(f"round {round_ + 1} {name}: {seconds:.1f} s", flush=True)
        same = []
        for round_ in range(args.repeat):
            (t1, f1), (t2, f2) = (results(tmp / f"{name}-{round_}") for name in paths)
            same.append(t1.equals(t2) and f1.equals(f2))
    print(f"\n{'contender':<8} {'wall time, median [min-max]':>30}")
    for name, values in times.items():
        print(f"{name:<8} {fmt(values):>30}")
    ratio = statistics.median(times["before"]) / statistics.median(times["after"])
    print(f"before / after: {ratio:.2f}x")
    print(f"same cv_results.csv and forecast.csv in every round: {all(same)}")


if __name__ == "__main__":
    main()
