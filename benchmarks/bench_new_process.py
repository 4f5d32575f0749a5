"""What a new process (a joblib/Dask worker, a new session) pays before it fits.

Every contender is a fresh Python process using one compilation cache
directory that an untimed process filled first (the state of any machine
after its first run). In each, the script times the imports, then fits
``LSTMRegressor(units=32)`` on Seattle ``temp_max`` windows of 14 days twice
(10 epochs, batch 32), then a second architecture (windows of 28 days,
``units=16``) once, and splits the first fit into its model build and its
program compilations (train step and predict program).

``stored``
    The cache as sklstm leaves it: the compiled steps are stored whole in
    ``sklstm-executables/`` and loaded.
``traced``
    The same cache with ``sklstm-executables/`` moved away for the run, so
    the engine traces and lowers each step and JAX's persistent cache
    supplies the compiled program: what every new process did before
    compiled steps were stored.

Initial weights are drawn with NumPy in both (there is no switch back to
Keras's device initialisers).

Run: ``PYTHONPATH=. python benchmarks/bench_new_process.py [--repeat 3]``
"""

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    add_pythonpath_arg,
    apply_pythonpath_arg,
    fmt,
    fresh_cache_dir,
    is_worker,
    machine,
    run_worker,
    summary,
    worker_main,
)


def worker(arg):
    start = time.perf_counter()
    import numpy as np

    import sklstm._regressor as regressor_module
    from sklstm import LSTMRegressor, SequenceWindower, _programs
    from sklstm.datasets import load_seattle_weather

    result = {"import": time.perf_counter() - start}
    spent = {"build": 0.0, "compile": 0.0}

    def timed(name, function):
        def wrapper(*args, **kwargs):
            begin = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - begin
        return wrapper

    regressor_module.build_lstm_model = timed("build", regressor_module.build_lstm_model)
    _programs.CompiledSteps._compile = timed("compile", _programs.CompiledSteps._compile)

    y = load_seattle_weather()["temp_max"].to_numpy()
    y = (y - y.min()) / (y.max() - y.min())

    def fit(sequence_length, units):
        X = SequenceWindower(sequence_length).fit_transform(y[:-1, None])
        begin = time.perf_counter()
        LSTMRegressor(units=units, epochs=10, batch_size=32, early_stopping=False,
                      random_state=0).fit(X, y[1:]).predict(X[-100:])
        return time.perf_counter() - begin

    result["first_fit"] = fit(14, 32)
    result["first_build"], result["first_compile"] = spent["build"], spent["compile"]
    result["second_fit"] = fit(14, 32)
    result["other_architecture_fit"] = fit(28, 16)
    return result


WORKERS = {"worker": worker}
ROWS = [
    ("import", "imports (sklstm, Keras, JAX, scikit-learn)"),
    ("first_fit", "first fit of an architecture"),
    ("first_build", "  of which: model build"),
    ("first_compile", "  of which: train + predict programs"),
    ("second_fit", "second fit, same architecture"),
    ("other_architecture_fit", "first fit of a second architecture"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    add_pythonpath_arg(parser)
    args = parser.parse_args()
    apply_pythonpath_arg(args)
    print(machine())
    cache = Path(fresh_cache_dir())
    env = {"SKLSTM_CACHE_DIR": str(cache)}
    run_worker(__file__, "worker", env=env)  # fill the cache, untimed
    stored, aside = cache / "sklstm-executables", cache.parent / f"{cache.name}-executables-aside"
    results = {"stored": [], "traced": []}
    for r in range(args.repeat):
        results["stored"].append(run_worker(__file__, "worker", env=env))
        shutil.move(stored, aside)
        try:
            results["traced"].append(run_worker(__file__, "worker", env=env))
        finally:
            shutil.rmtree(stored, ignore_errors=True)  # nothing is stored on a JAX cache hit
            shutil.move(aside, stored)
        print(f"  run {r + 1} done", flush=True)
    print(f"\n{'':45s} {'stored, median [min-max]':>26s} {'traced':>26s} {'traced/stored':>14s}")
    for key, label in ROWS:
        a = [res[key] for res in results["stored"]]
        b = [res[key] for res in results["traced"]]
        print(f"{label:45s} {fmt(a, digits=3):>26s} {fmt(b, digits=3):>26s} "
              f"{summary(b)[0] / summary(a)[0]:13.2f}x")


if __name__ == "__main__":
    if is_worker():
        worker_main(WORKERS)
    else:
        main()
