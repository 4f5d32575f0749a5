"""Stress tests: a 10**6-row series, and 10**3 fit/predict cycles.

Each runs in a fresh subprocess so its memory can be measured alone: peak
RSS growth (Linux ``/proc/self/status``: ``VmHWM`` after resetting it through
``/proc/self/clear_refs``) and the peak of numpy's allocations
(``tracemalloc``). ``SKLSTM_STRESS_CYCLES`` lowers the number of cycles for a
quick local run; CI runs the full 10**3.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sklstm import LSTMRegressor, SequenceWindower, _programs

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc"),
]

REPO = Path(__file__).resolve().parents[1]
CYCLES = int(os.environ.get("SKLSTM_STRESS_CYCLES", "1000"))
PRELUDE = textwrap.dedent("""
    import gc, json, sys, time, tracemalloc
    import numpy as np
    import sklstm  # picks the Keras backend before keras is imported
    import keras

    def status_mb(field):
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith(field)) / 1024
""")

LONG_SERIES_SCRIPT = PRELUDE + textwrap.dedent("""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MinMaxScaler
    from sklstm import LSTMRegressor, SequenceWindower

    N, F, L = 10**6, 4, 32
    t = np.arange(N, dtype=np.float64)
    X = np.stack([np.sin(t / (50 + 10 * f)) for f in range(F)], axis=1)
    pipe = Pipeline([
        ("scale", MinMaxScaler()), ("window", SequenceWindower(L)),
        ("lstm", LSTMRegressor(units=4, epochs=1, random_state=0, early_stopping=False)),
    ])
    pipe.fit(X[:2000], X[1:2001, 0])
    pipe.predict(X[:3000])  # compile every prediction batch shape first
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # reset the peak RSS (VmHWM) to the current RSS
    before = status_mb("VmRSS:")
    tracemalloc.start()
    start = time.perf_counter()
    windows = pipe[:-1].transform(X)
    y = pipe[-1].predict(windows)
    seconds = time.perf_counter() - start
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    print(json.dumps({
        "rss_peak_growth_mb": status_mb("VmHWM:") - before,
        "traced_peak_mb": traced_peak,
        "input_mb": X.nbytes / 2**20,
        "materialised_windows_mb": N * L * F * 8 / 2**20,
        "seconds": seconds,
        "n_predictions": int(y.shape[0]),
        "finite": bool(np.isfinite(y).all()),
        "windows_is_view": not windows.flags.owndata,
    }))
""")

CYCLES_SCRIPT = PRELUDE + textwrap.dedent("""
    from sklstm import LSTMRegressor, SequenceWindower, _programs

    cycles = int(sys.argv[1])
    X = np.sin(np.arange(64.0) / 4).reshape(-1, 1)
    windows = SequenceWindower(4).fit_transform(X)

    def cycle(seed):
        reg = LSTMRegressor(units=4, epochs=1, batch_size=16, early_stopping=False,
                            random_state=seed)
        return reg.fit(windows, X[:, 0]).predict(windows)

    def live_models():
        return sum(isinstance(o, keras.Model) for o in gc.get_objects())

    for seed in range(3):
        cycle(seed)
    report = {"step_cache_after_3_fits": len(_programs._PROGRAMS)}
    if report["step_cache_after_3_fits"] == 1:  # else each cycle recompiles: too slow
        for seed in range(20):
            cycle(seed)
        gc.collect()
        start_rss, start_models = status_mb("VmRSS:"), live_models()
        start = time.perf_counter()
        samples = []
        for i in range(cycles):
            y = cycle(i)
            if (i + 1) % max(cycles // 4, 1) == 0:
                gc.collect()
                samples.append(round(status_mb("VmRSS:") - start_rss, 2))
        report.update(
            cycles=cycles, seconds=time.perf_counter() - start,
            rss_growth_samples_mb=samples, live_models_start=start_models,
            live_models_end=live_models(), step_cache_end=len(_programs._PROGRAMS),
            finite=bool(np.isfinite(y).all()),
        )
    print(json.dumps(report))
""")


def run_script(script, *args, timeout=900):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(
        [sys.executable, "-c", script, *map(str, args)],
        check=False, env=env, capture_output=True, text=True, timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def long_series():
    report = run_script(LONG_SERIES_SCRIPT)
    print("long series:", report)  # shown with pytest -rP; docs/reliability.md quotes it
    return report


def test_long_series_is_windowed_and_predicted_without_materialising_windows(long_series):
    """10**6 rows x 32 steps x 4 features would be 977 MiB of windows."""
    assert long_series["n_predictions"] == 10**6 and long_series["finite"]
    assert long_series["windows_is_view"]
    limit = long_series["materialised_windows_mb"] / 4
    assert long_series["traced_peak_mb"] < limit, long_series
    assert long_series["rss_peak_growth_mb"] < limit, long_series


def test_long_series_predict_memory_is_a_few_times_the_input(long_series):
    # the scaled copy, the padded copy and the predictions: about 3x the input
    limit = 4 * long_series["input_mb"]
    assert long_series["traced_peak_mb"] < limit, long_series
    assert long_series["rss_peak_growth_mb"] < limit, long_series


def test_models_of_one_architecture_share_compiled_steps(sine_xy):
    """What keeps repeated fits cheap and bounded: one compiled program per architecture."""
    X, y = sine_xy
    windows = SequenceWindower(4).fit_transform(X[:60])
    a = LSTMRegressor(units=4, epochs=1, random_state=0).fit(windows, y[:60])
    b = LSTMRegressor(units=4, epochs=1, random_state=1).fit(windows, y[:60])
    assert _programs.architecture_key(a.model_) == _programs.architecture_key(b.model_)
    assert _programs.compiled_steps(a.model_) is _programs.compiled_steps(b.model_)


def test_repeated_fit_predict_cycles_do_not_grow_memory():
    report = run_script(CYCLES_SCRIPT, CYCLES)
    print("cycles:", report)
    assert report["step_cache_after_3_fits"] == 1, report
    assert report["cycles"] == CYCLES and report["finite"]
    # no model or compiled step outlives its cycle, except the one cached per architecture
    assert report["step_cache_end"] == 1
    assert report["live_models_end"] <= report["live_models_start"] + 1, report
    # RSS settles: under 16 MiB of growth in total (16 KiB per cycle at 10**3)
    assert max(report["rss_growth_samples_mb"]) < 16, report
