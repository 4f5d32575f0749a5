"""Goal 2: wrapper overhead of LSTMRegressor against plain ``keras.Model``.

Same model (sklstm's ``NaNMask -> LSTM(32) -> Dense(1)``, Adam(1e-3), MSE),
same pre-windowed data (Seattle temp_max scaled to [0, 1], windows of 14
days from SequenceWindower, 1,460 rows), 10 epochs, batch 32, shuffled.
Each contender runs in its own fresh process with an empty compilation
cache directory (the persistent cache is off for Keras, as by default).

fit rows:

``first fit``
    The first fit in the process, compilation included. Keras: build and
    compile the model, then ``model.fit``. sklstm: ``LSTMRegressor.fit``
    (which builds the model too).
``warm fit``
    A later fit, compiled programs in memory. Keras: ``model.fit`` again on
    the same model (Keras's only way to skip recompiling). sklstm:
    ``fit`` again on the estimator: a new model from scratch, as scikit-learn
    semantics require, reusing the compiled steps of the architecture.
``new model fit``
    Keras: a new model of the same architecture (what every fold of a grid
    search does) -> Keras recompiles. sklstm: same as warm fit.
``warm_start fit``
    sklstm with ``warm_start=True``: keeps training the same model, the
    exact analogue of Keras's repeated ``model.fit``.

predict rows: 10,000 windows (a 10,000-row sine series, windows of 14);
Keras ``model.predict(X, verbose=0)`` (default batch_size 32) against
``LSTMRegressor.predict(X)``, first call (compilation included) and warm.

Run: ``PYTHONPATH=. python benchmarks/bench_overhead.py [--repeat 3]``
"""

import argparse
import statistics
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

L, UNITS, EPOCHS, BATCH_SIZE, SEED = 14, 32, 10, 32, 0
N_PREDICT = 10_000
WARM_REPEATS = 5


def _data():
    import numpy as np
    from sklearn.preprocessing import MinMaxScaler

    from sklstm import SequenceWindower, make_supervised
    from sklstm.datasets import load_seattle_weather

    X, y = make_supervised(load_seattle_weather(), "temp_max", features=["temp_max"])
    X = MinMaxScaler().fit_transform(X.to_numpy())
    y = MinMaxScaler().fit_transform(y.to_numpy()[:, None])[:, 0]
    windows = SequenceWindower(L).fit_transform(X)
    series = np.sin(np.arange(N_PREDICT + 0.0) / 10).reshape(-1, 1)
    X_predict = SequenceWindower(L).fit_transform(series)
    return windows, y, X_predict


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def keras_worker(arg):
    import keras

    from sklstm._model import build_lstm_model

    windows, y, X_predict = _data()
    X32, Xp32 = windows.astype("float32"), X_predict.astype("float32")
    keras.utils.set_random_seed(SEED)

    def new_model():
        model = build_lstm_model(
            sequence_length=L, n_features=1, n_outputs=1, units=(UNITS,), dropout=0.0, seed=SEED
        )
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
        return model

    def fit(model):
        model.fit(X32, y, epochs=EPOCHS, batch_size=BATCH_SIZE, shuffle=True, verbose=0)

    model = None

    def first():
        nonlocal model
        model = new_model()
        fit(model)

    out = {"first_fit": _timed(first)}
    out["warm_fit"] = [_timed(lambda: fit(model)) for _ in range(WARM_REPEATS)]
    out["new_model_fit"] = [_timed(lambda: fit(new_model())) for _ in range(2)]
    out["first_predict"] = _timed(lambda: model.predict(Xp32, verbose=0))
    out["warm_predict"] = [_timed(lambda: model.predict(Xp32, verbose=0)) for _ in range(WARM_REPEATS)]
    return out


def sklstm_worker(arg):
    from sklstm import LSTMRegressor

    windows, y, X_predict = _data()

    def estimator(**kwargs):
        return LSTMRegressor(
            units=UNITS, epochs=EPOCHS, batch_size=BATCH_SIZE, learning_rate=1e-3,
            early_stopping=False, random_state=SEED, **kwargs,
        )

    reg = estimator()
    out = {"first_fit": _timed(lambda: reg.fit(windows, y))}
    out["warm_fit"] = [_timed(lambda: reg.fit(windows, y)) for _ in range(WARM_REPEATS)]
    out["new_model_fit"] = [_timed(lambda: estimator().fit(windows, y)) for _ in range(2)]
    cont = estimator(warm_start=True).fit(windows, y)
    out["warm_start_fit"] = [_timed(lambda: cont.fit(windows, y)) for _ in range(WARM_REPEATS)]
    out["first_predict"] = _timed(lambda: reg.predict(X_predict))
    out["warm_predict"] = [_timed(lambda: reg.predict(X_predict)) for _ in range(WARM_REPEATS)]
    return out


WORKERS = {"keras": keras_worker, "sklstm": sklstm_worker}
ROWS = [
    ("first_fit", "first fit (compile included)", "first_fit"),
    ("warm_fit", "warm fit", "warm_fit"),
    ("new_model_fit", "new model of same architecture", "new_model_fit"),
    ("warm_start_fit", "sklstm warm_start vs Keras refit", "warm_fit"),
    ("first_predict", "predict 10,000 rows, first", "first_predict"),
    ("warm_predict", "predict 10,000 rows, warm", "warm_predict"),
]


def _median(value):
    return statistics.median(value) if isinstance(value, list) else value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    add_pythonpath_arg(parser)
    args = parser.parse_args()
    apply_pythonpath_arg(args)
    print(machine())
    results = {"keras": [], "sklstm": []}
    for r in range(args.repeat):
        for name in results:
            env = {"SKLSTM_CACHE_DIR": fresh_cache_dir()} if name == "sklstm" else {"SKLSTM_COMPILATION_CACHE": "0"}
            results[name].append(run_worker(__file__, name, env=env))
            print(f"  run {r + 1} {name} done", flush=True)
    print(f"\n{'':34s} {'keras.Model median [min-max]':>30s} {'LSTMRegressor':>26s} {'sklstm/keras':>13s}")
    for sk_key, label, keras_key in ROWS:
        k = [_median(res[keras_key]) for res in results["keras"]]
        s = [_median(res[sk_key]) for res in results["sklstm"]]
        ratio = summary(s)[0] / summary(k)[0]
        print(f"{label:34s} {fmt(k, digits=3):>30s} {fmt(s, digits=3):>26s} {ratio:12.2f}x")
    print("Per run, a warm row is the median of "
          f"{WARM_REPEATS} calls (2 for 'new model'); the table gives the median over runs.")


if __name__ == "__main__":
    if is_worker():
        worker_main(WORKERS)
    else:
        main()
