"""Goals 1 and 3: a 30-fit grid search, sklstm against a hand-written Keras loop.

Workload: Seattle daily temp_max, predict tomorrow's temp_max from windows of
the past ``sequence_length`` days; sequence_length [7, 14, 28] x units
[16, 32], TimeSeriesSplit(5), 10 epochs, batch 32, Adam(1e-3), MSE, seed 0:
6 configs x 5 folds = 30 fits.

Contenders, each in its own fresh process (timed from after the imports to
the end of the 30 fits; ``process_s`` adds interpreter start and imports):

``keras``
    What a Keras user writes: per config and fold, MinMaxScaler on X and y
    fitted on the fold's training rows, windows made with
    ``sliding_window_view`` inside the fold (so the first L-1 rows of each
    fold have no window and are dropped, in training and in test), a new
    ``keras.Sequential([Input, LSTM(units), Dense(1)])``, ``model.fit(...,
    epochs=10, batch_size=32, verbose=0)``, ``model.predict``. No
    persistent compilation cache (JAX's default).
``sklstm``, ``sklstm-warm``
    ``GridSearchCV(TransformedTargetRegressor(Pipeline([MinMaxScaler,
    SequenceWindower, LSTMRegressor(early_stopping=False, epochs=10,
    batch_size=32)]), MinMaxScaler()), cv=TimeSeriesSplit(5), refit=False)``.
    ``sklstm`` starts from an empty compilation cache directory (a new user),
    ``sklstm-warm`` reuses the directory the cold run filled (any later run).
``sklstm-2jobs``, ``sklstm-2jobs-warm``
    The same grid with ``n_jobs=2`` (loky workers).

Fair MAE: the package pads the first L-1 rows of each fold (masked NaN
steps) and trains and predicts on them; the Keras loop drops them. Both are
scored on the same rows, the test rows from L-1 on (rows with a full window
inside the test fold): ``mae`` below. ``mae_all_rows`` is the package's MAE
over every test row, padded ones included.

Run: ``PYTHONPATH=. python benchmarks/bench_grid_search.py [--repeat 3]
[--contenders keras,sklstm,...]``
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    add_pythonpath_arg,
    apply_pythonpath_arg,
    children_cpu_seconds,
    cpu_seconds,
    fmt,
    fresh_cache_dir,
    is_worker,
    machine,
    run_worker,
    summary,
    worker_main,
)

SEQUENCE_LENGTHS = [7, 14, 28]
UNITS = [16, 32]
N_SPLITS = 5
EPOCHS = 10
BATCH_SIZE = 32
SEED = 0


def _data():
    from sklstm import make_supervised
    from sklstm.datasets import load_seattle_weather

    X, y = make_supervised(load_seattle_weather(), "temp_max", features=["temp_max"])
    return X.to_numpy(), y.to_numpy()


def keras_loop(arg):
    import keras
    import jax
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view
    from sklearn.model_selection import TimeSeriesSplit
    from sklearn.preprocessing import MinMaxScaler

    assert jax.config.jax_compilation_cache_dir is None
    X, y = _data()
    cpu = cpu_seconds()
    start = time.perf_counter()
    keras.utils.set_random_seed(SEED)
    maes = {}
    fit_times = []
    for L in SEQUENCE_LENGTHS:
        for units in UNITS:
            fold_maes = []
            for train, test in TimeSeriesSplit(N_SPLITS).split(X):
                t0 = time.perf_counter()
                x_scaler = MinMaxScaler().fit(X[train])
                y_scaler = MinMaxScaler().fit(y[train, None])

                def windows(rows):
                    return sliding_window_view(x_scaler.transform(X[rows]), L, axis=0).transpose(0, 2, 1)

                model = keras.Sequential([
                    keras.Input((L, X.shape[1])),
                    keras.layers.LSTM(units),
                    keras.layers.Dense(1),
                ])
                model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
                y_train = y_scaler.transform(y[train, None])[L - 1:]
                model.fit(windows(train), y_train, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=0)
                pred = y_scaler.inverse_transform(model.predict(windows(test), verbose=0))[:, 0]
                fold_maes.append(float(np.mean(np.abs(pred - y[test][L - 1:]))))
                fit_times.append(time.perf_counter() - t0)
            maes[f"L={L},units={units}"] = float(np.mean(fold_maes))
    elapsed = time.perf_counter() - start
    best = min(maes, key=maes.get)
    return {
        "seconds": elapsed, "cpu_s": cpu_seconds() - cpu, "best": best, "mae": maes[best],
        "maes": maes, "fit_times": fit_times,
    }


def sklstm_grid(arg):
    import numpy as np
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.metrics import mean_absolute_error
    from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MinMaxScaler

    from sklstm import LSTMRegressor, SequenceWindower

    import joblib

    X, y = _data()

    def scorer(estimator, X_test, y_test):
        L = estimator.regressor_.named_steps["window"].sequence_length
        pred = estimator.predict(X_test)
        return {
            "mae": -mean_absolute_error(y_test[L - 1:], pred[L - 1:]),
            "mae_all_rows": -mean_absolute_error(y_test, pred),
        }

    pipe = Pipeline([
        ("scale", MinMaxScaler()),
        ("window", SequenceWindower(SEQUENCE_LENGTHS[0])),
        ("lstm", LSTMRegressor(
            units=UNITS[0], epochs=EPOCHS, batch_size=BATCH_SIZE, learning_rate=1e-3,
            early_stopping=False, random_state=SEED,
        )),
    ])
    model = TransformedTargetRegressor(regressor=pipe, transformer=MinMaxScaler())
    times = []
    for _ in range(arg.get("runs", 1)):
        cpu = cpu_seconds() + children_cpu_seconds()
        start = time.perf_counter()
        grid = GridSearchCV(
            model,
            {"regressor__window__sequence_length": SEQUENCE_LENGTHS, "regressor__lstm__units": UNITS},
            cv=TimeSeriesSplit(N_SPLITS),
            scoring=scorer,
            refit=False,
            n_jobs=arg["n_jobs"],
            error_score="raise",
        )
        with joblib.parallel_config(backend=arg.get("backend", "loky")):
            grid.fit(X, y)
        times.append(time.perf_counter() - start)
        cpu = cpu_seconds() + children_cpu_seconds() - cpu
    elapsed = times[-1]
    res = grid.cv_results_
    maes = {
        f"L={p['regressor__window__sequence_length']},units={p['regressor__lstm__units']}": -m
        for p, m in zip(res["params"], res["mean_test_mae"])
    }
    best = min(maes, key=maes.get)
    i = int(np.argmin(-res["mean_test_mae"]))
    return {
        "seconds": elapsed,
        "cpu_s": cpu,
        "best": best,
        "mae": maes[best],
        "mae_all_rows": float(-res["mean_test_mae_all_rows"][i]),
        "maes": maes,
        "mean_fit_time": float(np.mean(res["mean_fit_time"])),
        "run_times": times,
    }


WORKERS = {"keras": keras_loop, "sklstm": sklstm_grid}

CONTENDERS = {
    # name: (worker, arg, cache)  cache: None (off), "cold" or "warm"
    "keras": ("keras", None, None),
    "sklstm": ("sklstm", {"n_jobs": 1}, "cold"),
    "sklstm-warm": ("sklstm", {"n_jobs": 1}, "warm"),
    "sklstm-2jobs": ("sklstm", {"n_jobs": 2}, "cold"),
    "sklstm-2jobs-warm": ("sklstm", {"n_jobs": 2}, "warm"),
    "sklstm-2threads": ("sklstm", {"n_jobs": 2, "backend": "threading"}, "cold"),
    "sklstm-2threads-warm": ("sklstm", {"n_jobs": 2, "backend": "threading"}, "warm"),
    # the grid run a second time in the same process (a notebook session):
    # compiled steps in memory, loky workers already started and warm
    "sklstm-rerun": ("sklstm", {"n_jobs": 1, "runs": 2}, "cold"),
    "sklstm-2jobs-rerun": ("sklstm", {"n_jobs": 2, "runs": 2}, "cold"),
}

DEFAULT = ["keras", "sklstm", "sklstm-warm", "sklstm-2jobs", "sklstm-2jobs-warm"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--contenders", default=",".join(DEFAULT),
        help=f"comma-separated, or 'all'; known: {', '.join(CONTENDERS)}",
    )
    add_pythonpath_arg(parser)
    args = parser.parse_args()
    apply_pythonpath_arg(args)
    names = list(CONTENDERS) if args.contenders == "all" else args.contenders.split(",")
    print(machine())
    results = {name: [] for name in names}
    for r in range(args.repeat):
        warm_dir = None
        for name in names:
            worker, arg, cache = CONTENDERS[name]
            env = {"SKLSTM_COMPILATION_CACHE": "0"}
            if cache == "cold" or (cache == "warm" and warm_dir is None):
                cache_dir = fresh_cache_dir()
                if cache == "warm":  # fill it first, untimed
                    run_worker(__file__, worker, arg, env={"SKLSTM_CACHE_DIR": cache_dir})
                warm_dir = cache_dir
                env = {"SKLSTM_CACHE_DIR": cache_dir}
            elif cache == "warm":
                env = {"SKLSTM_CACHE_DIR": warm_dir}
            res = run_worker(__file__, worker, arg, env=env)
            results[name].append(res)
            print(
                f"  run {r + 1} {name:18s} {res['seconds']:6.1f} s "
                f"(process {res['process_s']:5.1f} s)  best {res['best']} MAE {res['mae']:.3f}",
                flush=True,
            )
    print_summary(names, results)


PAIRS = [  # (parallel, serial) with the same cache state
    ("sklstm-2jobs", "sklstm"),
    ("sklstm-2jobs-warm", "sklstm-warm"),
    ("sklstm-2threads", "sklstm"),
    ("sklstm-2threads-warm", "sklstm-warm"),
    ("sklstm-2jobs-rerun", "sklstm-rerun"),
]


def print_summary(names, results):
    def med(name):
        return summary([r["seconds"] for r in results[name]])[0]

    print(f"\n{'contender':20s} {'grid time median [min-max]':>28s} {'keras/this':>10s} "
          f"{'CPU s':>6s} {'best candidate':>15s}  MAE (each run)")
    for name in names:
        times = [r["seconds"] for r in results[name]]
        ratio = f"{med('keras') / med(name):9.2f}x" if "keras" in results else "         -"
        cpu = summary([r["cpu_s"] for r in results[name]])[0]
        maes = ", ".join(f"{r['mae']:.3f}" for r in results[name])
        print(f"{name:20s} {fmt(times, digits=1):>28s} {ratio} {cpu:6.1f} "
              f"{results[name][-1]['best']:>15s}  {maes}")
    if "keras" in results:
        for name in names:
            if name != "keras":
                paired = [k["seconds"] / r["seconds"] for k, r in zip(results["keras"], results[name])]
                print(f"keras/{name} run by run: " + ", ".join(f"{x:.2f}x" for x in paired))
    for parallel, serial in PAIRS:
        if parallel in results and serial in results:
            paired = [s["seconds"] / p["seconds"] for s, p in zip(results[serial], results[parallel])]
            print(f"{parallel} vs {serial}: {med(serial) / med(parallel):.2f}x faster "
                  f"(run by run: {', '.join(f'{x:.2f}x' for x in paired)})")
    for name in names:
        if name != "keras":
            print(f"{name} MAE over all test rows (padded ones included): "
                  + ", ".join(f"{r['mae_all_rows']:.3f}" for r in results[name]))
    print("CPU s: user+sys CPU time of the grid: the process, plus its loky "
          "workers (measured before they exit; their start-up included).")


if __name__ == "__main__":
    if is_worker():
        worker_main(WORKERS)
    else:
        main()
