"""Where the default ``sklstm forecast`` spends its time, with an empty compilation cache.

Runs the default job (embedded Seattle weather, 6 candidates x 5 folds, 41
fits) twice, each in a fresh process with its own empty JAX compilation
cache (``SKLSTM_CACHE_DIR`` in a new temporary directory):

- ``plain``: wall time only, as a user would see it;
- ``profiled``: under cProfile (which slows Python-heavy parts), broken into
  phases by the cumulative time of the functions that make them.

cProfile sees the main thread only: the predict programs that the engine
compiles in a background thread are not in the "compile" row, and the work of
that thread overlaps the rest.

Usage (from the repository root)::

    PYTHONPATH=. python benchmarks/profile_cli.py [extra sklstm forecast args]
"""

import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# phase: (pstats pattern of the function whose cumulative time it is, what it is)
PHASES = {
    "whole command": (r"sklstm/cli.py:\d+\(main\)", "sklstm.cli.main"),
    "imports": (r"\{built-in method builtins.__import__\}|importlib/__init__.py:\d+\(import_module\)",
                "import statements run inside functions (Keras, JAX, sklearn load here)"),
    "grid search": (r"_search.py:\d+\(fit\)", "GridSearchCV.fit: 30 fits and the refit"),
    "  tracing + XLA compile": (r"sklstm/_programs.py:\d+\(_compile\)",
                                "first use of each architecture's train step"),
    "  XLA backend compile": (r"jax/_src/compiler.py:\d+\(backend_compile_and_load\)",
                              "all XLA compilations in the main thread"),
    "  waiting on results": (r"jax/_src/array.py:\d+\(__float__\)",
                             "float(loss) per epoch: blocks until the step has run"),
    "persistence + out-of-fold CV": (r"_validation.py:\d+\(cross_validate\)",
                                     "2 cross_validate calls (5 LSTM fits)"),
    "forecast": (r"sklstm/_forecast.py:\d+\(forecast\)", "forecast beyond the data"),
    "plots": (r"sklstm/cli.py:\d+\(_save_plots\)", "4 figures written as PNG"),
}


def run(args, profile_to=None):
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as out:
        env = dict(os.environ, SKLSTM_CACHE_DIR=cache)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        prefix = ["-m", "cProfile", "-o", str(profile_to)] if profile_to else []
        command = [sys.executable, *prefix, "-m", "sklstm.cli", "forecast", "--quiet",
                   "--out", out, *args]
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - start


def cumulative(stats, pattern):
    import re

    regex = re.compile(pattern)
    total = 0.0
    for (file, line, name), (_, _, _, cum, callers) in stats.stats.items():
        if regex.search(f"{file}:{line}({name})"):
            # count only outermost calls: skip those called by another match
            if not any(regex.search(f"{f}:{l}({n})") for f, l, n in callers):
                total += cum
    return total


def main():
    args = sys.argv[1:]
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    plain = run(args)
    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp) / "cli.prof"
        profiled = run(args, profile_to=profile)
        stats = pstats.Stats(str(profile))
    print(f"plain run, empty compilation cache: {plain:.1f} s wall")
    print(f"profiled run, empty compilation cache: {profiled:.1f} s wall\n")
    print(f"{'phase (profiled run)':<32} {'seconds':>8}  what")
    for phase, (pattern, what) in PHASES.items():
        print(f"{phase:<32} {cumulative(stats, pattern):8.1f}  {what}")


if __name__ == "__main__":
    main()
