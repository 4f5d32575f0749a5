"""Goal 5: one-row (latest window) prediction latency after warm-up.

A model fitted on Seattle temp_max (windows of 14 days, LSTM(32), 2 epochs)
predicts the next day from the latest window, the call an online forecaster
makes once per new observation. After one warm-up call, the call is timed
``--calls`` times (default 300) and the median and 90th percentile are
printed for:

``LSTMRegressor.predict``
    on the latest window ``windows[-1:]`` (shape (1, 14, 1)); sklearn's
    validation (``check_is_fitted``, ``validate_data``) included.
``pipeline.predict``
    ``TransformedTargetRegressor(Pipeline([MinMaxScaler, SequenceWindower,
    LSTMRegressor]))`` on the last 14 raw rows (a DataFrame), keeping the
    last prediction: scaling, windowing, prediction and inverse scaling.
``keras model.predict``
    Keras's own ``model.predict(window, verbose=0)`` on the fitted model, for
    reference.

Then a cProfile of the ``LSTMRegressor.predict`` calls shows where the time
goes (``--profile``).

Run: ``PYTHONPATH=. python benchmarks/bench_online_predict.py [--repeat 3]``
"""

import argparse
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

L = 14


def _latencies(fn, calls):
    import numpy as np

    fn()  # warm-up: compiles the one-row program
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), float(np.percentile(times, 90))


def worker(arg):
    import numpy as np
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MinMaxScaler

    from sklstm import LSTMRegressor, SequenceWindower, make_supervised
    from sklstm.datasets import load_seattle_weather

    calls = arg["calls"]
    X, y = make_supervised(load_seattle_weather(), "temp_max", features=["temp_max"])
    pipe = Pipeline([
        ("scale", MinMaxScaler()),
        ("window", SequenceWindower(L)),
        ("lstm", LSTMRegressor(units=32, epochs=2, early_stopping=False, random_state=0)),
    ])
    model = TransformedTargetRegressor(regressor=pipe, transformer=MinMaxScaler()).fit(X, y)
    reg = model.regressor_.named_steps["lstm"]
    windows = model.regressor_[:-1].transform(X)
    latest = windows[-1:]
    tail = X.iloc[-L:]
    out = {
        "regressor": _latencies(lambda: reg.predict(latest), calls),
        "pipeline": _latencies(lambda: model.predict(tail)[-1], calls),
        "keras_predict": _latencies(lambda: reg.model_.predict(latest.astype("float32"), verbose=0), calls),
    }
    assert np.allclose(reg.predict(latest), model.regressor_.predict(tail)[-1:], atol=1e-6)
    if arg["profile"]:
        import cProfile
        import io
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(calls):
            reg.predict(latest)
        profiler.disable()
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(15)
        out["profile"] = stream.getvalue()
    return out


WORKERS = {"worker": worker}
LABELS = [
    ("regressor", "LSTMRegressor.predict(latest window)"),
    ("pipeline", "pipeline.predict(last 14 rows)[-1]"),
    ("keras_predict", "keras model.predict(latest window)"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    add_pythonpath_arg(parser)
    args = parser.parse_args()
    apply_pythonpath_arg(args)
    print(machine())
    results = []
    for r in range(args.repeat):
        arg = {"calls": args.calls, "profile": args.profile and r == args.repeat - 1}
        results.append(run_worker(__file__, "worker", arg, env={"SKLSTM_CACHE_DIR": fresh_cache_dir()}))
        print(f"  run {r + 1} done", flush=True)
    print(f"\n{'':40s} {'median ms [min-max over runs]':>30s} {'p90 ms':>8s}")
    for key, label in LABELS:
        med = [res[key][0] for res in results]
        p90 = summary([res[key][1] for res in results])[0]
        print(f"{label:40s} {fmt(med, unit='ms', scale=1000, digits=3):>30s} {p90 * 1000:8.3f}")
    goal = summary([res["regressor"][0] for res in results])[0] * 1000
    print(f"goal 5 (LSTMRegressor one-row median < 5 ms): {goal:.3f} ms -> "
          f"{'met' if goal < 5 else 'NOT met'}")
    if args.profile:
        print(results[-1]["profile"])


if __name__ == "__main__":
    if is_worker():
        worker_main(WORKERS)
    else:
        main()
