"""Correctness of the JAX training engine's speed-ups (sklstm/_programs.py, sklstm/_engine.py).

Compiled-step reuse, padded batches and predict buckets must not change
results. Speed itself is measured in benchmarks/, never here. The models are
tiny and share one architecture where they can, so the suite compiles few
programs.
"""

import gc
import threading
import tracemalloc
import uuid
import weakref

import keras
import numpy as np
import pytest
from sklearn.base import clone

from sklstm import LSTMRegressor, SequenceWindower, _engine, _programs
from sklstm._model import build_lstm_model

pytestmark = pytest.mark.skipif(
    not _engine.uses_jax_engine(), reason="the engine runs on the JAX backend only"
)

L, UNITS = 4, 3


@pytest.fixture(scope="module")
def windows_xy():
    """90 windows of 4 steps (first 3 NaN-padded) of a noisy sine, y at t+1."""
    rng = np.random.default_rng(0)
    t = np.arange(91.0)
    series = np.sin(t / 5) + 0.05 * rng.standard_normal(91)
    X = SequenceWindower(L).fit_transform(series[:-1, None])
    return X, series[1:]


def _model(seed=0, learning_rate=1e-3, sequence_length=L, loss="mse", dropout=0.0):
    model = build_lstm_model(
        sequence_length=sequence_length, n_features=1, n_outputs=1, units=(UNITS,),
        dropout=dropout, seed=seed,
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss)
    return model


def _weights(model):
    return [np.asarray(w) for w in model.get_weights()]


FIT = dict(
    sample_weight=None, epochs=2, batch_size=16, shuffle=True, seed=0, validation=None,
    n_iter_no_change=10, tol=0.0, verbose=0, callbacks=None,
)


# --- architecture key --------------------------------------------------------

@pytest.mark.parametrize(
    "other, same",
    [
        (dict(seed=7), True),
        (dict(learning_rate=0.05), True),
        (dict(sequence_length=L + 1), False),
        (dict(loss="mae"), False),
        (dict(dropout=0.2), False),
    ],
)
def test_architecture_key(other, same):
    a, b = _model(), _model(**other)
    # Keras numbers layers and optimizers per process (adam_3, ...): ignored
    assert a.optimizer.name != b.optimizer.name
    assert (_programs.architecture_key(a) == _programs.architecture_key(b)) is same


# --- compiled-step reuse gives the same model --------------------------------

@pytest.mark.parametrize(
    "params",
    [
        dict(random_state=0),
        dict(random_state=3, learning_rate=0.01),
        dict(random_state=0, early_stopping=True, validation_fraction=0.2),
        dict(random_state=0, dropout=0.3),
    ],
    ids=["plain", "other-seed-and-lr", "early-stopping", "dropout"],
)
def test_same_predictions_with_and_without_compiled_step_reuse(windows_xy, params):
    X, y = windows_xy
    reg = LSTMRegressor(units=UNITS, epochs=3, batch_size=16, early_stopping=False)
    reg.set_params(**params)

    _programs.clear_cache()
    fresh = clone(reg).fit(X, y)  # compiles its own steps
    expected = fresh.predict(X)

    _programs.clear_cache()
    # another seed, learning rate and data length fill the cache first ...
    other = clone(reg).set_params(random_state=11, learning_rate=0.02).fit(X[:70], y[:70])
    reused = clone(reg).fit(X, y)  # ... and this fit reuses its compiled steps
    assert _programs.compiled_steps(reused.model_) is _programs.compiled_steps(other.model_)
    np.testing.assert_allclose(reused.predict(X), expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(reused.history_["loss"], fresh.history_["loss"], rtol=1e-6)


def test_fit_twice_gives_identical_models(windows_xy):
    X, y = windows_xy
    reg = LSTMRegressor(units=UNITS, epochs=2, batch_size=16, early_stopping=False, random_state=0)
    first = reg.fit(X, y).predict(X)
    assert np.array_equal(reg.fit(X, y).predict(X), first)


# --- padded last batch --------------------------------------------------------

@pytest.mark.parametrize("n_last, weighted", [(1, True), (5, False)])
def test_padded_last_batch_matches_keras_train_on_batch(windows_xy, n_last, weighted):
    """Engine: one epoch of a full batch then a padded one; Keras: the same
    two batches, the last one unpadded, through ``train_on_batch``."""
    X, y = windows_xy
    batch_size = 8
    n = batch_size + n_last
    X, y = X[L : L + n].astype(np.float32), y[L : L + n, None].astype(np.float32)
    w = np.linspace(0.5, 2.0, n).astype(np.float32) if weighted else None

    ours, theirs = _model(), _model()
    theirs.set_weights(ours.get_weights())
    fit = dict(FIT, epochs=1, batch_size=batch_size, shuffle=False, sample_weight=w)
    history = _engine.fit_jax(ours, X, y, **fit).history
    for part in (slice(0, batch_size), slice(batch_size, n)):
        theirs.train_on_batch(X[part], y[part], sample_weight=None if w is None else w[part])

    assert np.isfinite(history["loss"]).all()
    for a, b in zip(_weights(ours), _weights(theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert int(ours.optimizer.iterations) == int(theirs.optimizer.iterations) == 2


# --- what the loop hands back -----------------------------------------------------

def test_the_loop_hands_back_the_first_batch_loss_and_the_kept_validation_predictions(
        windows_xy):
    X, y = windows_xy
    X, y = X.astype(np.float32), y[:, None].astype(np.float32)
    model = _model(learning_rate=0.05)
    # the first batch (no shuffling: rows 0-15), with the starting weights
    start = float(np.mean((_engine.predict_jax(model, X[:16]) - y[:16]) ** 2))
    fit = dict(FIT, epochs=6, shuffle=False, validation=(X[70:], y[70:]), n_iter_no_change=2)
    training = _engine.fit_jax(model, X[:70], y[:70], **fit)
    assert training.first_loss == pytest.approx(start, rel=1e-5)
    # the predictions of the weights kept (the best epoch's), not of the last epoch
    kept = _engine.predict_jax(model, X[70:])
    np.testing.assert_allclose(training.validation_predictions, kept, rtol=1e-6, atol=1e-7)
    best = int(np.argmin(training.history["val_loss"]))
    assert best < len(training.history["val_loss"]) - 1  # stopped after a worse epoch
    assert float(np.mean((kept - y[70:]) ** 2)) == pytest.approx(
        training.history["val_loss"][best], rel=1e-5)
    assert _engine.fit_jax(_model(), X[:70], y[:70], **FIT).validation_predictions is None


# --- predict buckets ----------------------------------------------------------

def test_predictions_do_not_depend_on_the_bucket(windows_xy):
    X, y = windows_xy
    model = _model()
    _engine.fit_jax(model, X, y[:, None], **FIT)
    many = np.concatenate([X] * 4)[:300]  # one block of 256, one padded block
    all_at_once = _engine.predict_jax(model, many)
    one_by_one = np.concatenate([_engine.predict_jax(model, many[i : i + 1]) for i in range(0, 300, 23)])
    assert all_at_once.shape == (300, 1)
    np.testing.assert_allclose(one_by_one, all_at_once[::23], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(all_at_once[:90], all_at_once[90:180], rtol=0, atol=0)
    keras_predictions = model.predict(many.astype(np.float32), batch_size=len(many), verbose=0)
    np.testing.assert_allclose(all_at_once, keras_predictions, rtol=1e-5, atol=1e-6)
    assert _engine.predict_jax(model, many[:0]).shape == (0, 1)


# --- warm start ---------------------------------------------------------------

def test_warm_start_continues_training(windows_xy):
    X, y = windows_xy
    params = dict(units=UNITS, batch_size=16, early_stopping=False, shuffle=False, random_state=0)
    reg = LSTMRegressor(epochs=2, warm_start=True, **params).fit(X, y)
    model, after_two = reg.model_, _weights(reg.model_)
    reg.fit(X, y)
    assert reg.model_ is model
    n_batches = int(np.ceil(len(X) / 16))
    assert int(model.optimizer.iterations) == 4 * n_batches  # Adam state carried on
    assert not all(np.array_equal(a, b) for a, b in zip(after_two, _weights(model)))
    # without shuffling, 2 + 2 warm epochs are exactly 4 epochs in one fit
    straight = LSTMRegressor(epochs=4, **params).fit(X, y)
    np.testing.assert_allclose(reg.predict(X), straight.predict(X), rtol=1e-5, atol=1e-6)


# --- failures leave the model untouched ----------------------------------------

def test_diverging_fit_leaves_the_model_untouched(windows_xy):
    X, y = windows_xy
    model = _model()
    before = _weights(model)
    with pytest.raises(FloatingPointError, match="diverged"):
        _engine.fit_jax(model, X, np.full((len(X), 1), 1e30, np.float32), **FIT)
    for a, b in zip(before, _weights(model)):
        assert np.array_equal(a, b)


# --- memory: windows are gathered per batch -------------------------------------

def test_fit_and_predict_do_not_materialise_the_windows():
    n, length, n_features = 80_000, 32, 4
    series = np.random.default_rng(0).standard_normal((n + length - 1, n_features))
    X = np.lib.stride_tricks.sliding_window_view(series, length, axis=0).transpose(0, 2, 1)
    assert not X.flags.owndata and X.size * 4 > 39 * 2**20  # a 39 MiB float32 copy
    model = build_lstm_model(
        sequence_length=length, n_features=n_features, n_outputs=1, units=(2,), dropout=0.0, seed=0
    )
    model.compile(optimizer="adam", loss="mse")
    y = series[length - 1 :, :1]
    fit = dict(FIT, epochs=1, batch_size=512)
    _engine.fit_jax(model, X[:600], y[:600], **fit)  # compiles, outside the measurement
    _engine.predict_jax(model, X[:300])
    _programs._join_precompile_threads()  # no other thread allocating meanwhile
    tracemalloc.start()
    try:
        _engine.fit_jax(model, X, y, **fit)
        _engine.predict_jax(model, X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < X.size * 4 / 4, f"peak {peak / 2**20:.1f} MiB for {X.size * 4 / 2**20:.1f} MiB of windows"


# --- memory: the program cache is bounded -------------------------------------

def _fit(X, y, **params):
    defaults = {"units": UNITS, "epochs": 1, "batch_size": 16, "early_stopping": False, "random_state": 0}
    return LSTMRegressor(**{**defaults, **params}).fit(X, y)


def _collect():
    _programs._join_precompile_threads()  # a compiling thread holds its model
    gc.collect()


def test_program_cache_holds_no_model_and_frees_evicted_programs(windows_xy, monkeypatch):
    """After N architectures: no dropped model alive, at most the bound of steps alive."""
    import jax

    X, y = windows_xy
    monkeypatch.setenv("SKLSTM_PROGRAM_CACHE_SIZE", "2")
    clears = []
    monkeypatch.setattr(jax, "clear_caches", lambda real=jax.clear_caches: clears.append(1) or real())
    _programs.clear_cache()
    kept = _fit(X, y, units=2)  # a model still in use keeps its steps after eviction
    kept_predictions = kept.predict(X)
    models, steps = [], []
    for units in range(3, 6):
        reg = _fit(X, y, units=units)
        models.append(weakref.ref(reg.model_))
        steps.append(weakref.ref(_programs.compiled_steps(reg.model_)))
        del reg
    _collect()
    assert [ref() is None for ref in models] == [True] * 3
    assert [ref() is None for ref in steps] == [True, False, False]  # the 2 most recent kept
    assert len(_programs._PROGRAMS) == 2
    assert clears  # JAX's caches of eager programs dropped once the cache turned over
    # the kept model's programs were evicted and JAX's caches cleared: it still predicts
    assert _programs.compiled_steps(kept.model_).key not in _programs._PROGRAMS._lru
    np.testing.assert_array_equal(kept.predict(X), kept_predictions)


def test_new_program_traced_after_the_first_model_of_the_architecture_is_gone(windows_xy):
    """The steps keep no model: a new batch size is traced with the model being fitted."""
    X, y = windows_xy
    _programs.clear_cache()
    expected = _fit(X, y, batch_size=8).predict(X)  # its own fresh steps
    _programs.clear_cache()
    first = _fit(X, y)
    steps = _programs.compiled_steps(first.model_)
    del first
    _collect()
    assert steps._built() is None
    second = _fit(X, y, batch_size=8)  # a train program of a new shape
    assert _programs.compiled_steps(second.model_) is steps
    np.testing.assert_allclose(second.predict(X), expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("value", ["0", "-3", "many", "2.5"])
def test_program_cache_size_must_be_a_positive_integer(value, monkeypatch):
    monkeypatch.setenv("SKLSTM_PROGRAM_CACHE_SIZE", value)
    with pytest.raises(ValueError, match=f"SKLSTM_PROGRAM_CACHE_SIZE must be a positive integer.*'{value}'"):
        _programs.cache_size()


# --- threads ----------------------------------------------------------------------

def test_concurrent_fits_in_threads_match_sequential_fits(windows_xy):
    """joblib's threading backend: threads share and compile the steps once."""
    X, y = windows_xy
    _programs.clear_cache()
    regs = [
        LSTMRegressor(units=UNITS, epochs=2, batch_size=16, early_stopping=False, random_state=s)
        for s in (0, 1)
    ]
    threads = [threading.Thread(target=reg.fit, args=(X, y)) for reg in regs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for reg in regs:
        sequential = clone(reg).fit(X, y)
        np.testing.assert_allclose(reg.predict(X), sequential.predict(X), rtol=1e-6, atol=1e-7)


# --- programs stored for new processes ----------------------------------------

def test_stored_programs_are_keyed_on_the_code_they_run_only(monkeypatch):
    """Editing the CLI's text keeps the stored programs; editing a layer does not."""
    import importlib
    import inspect
    from pathlib import Path

    package = Path(_programs.__file__).parent
    traced = set()
    for path in package.glob("*.py"):
        module = importlib.import_module(f"sklstm.{path.stem}" if path.stem != "__init__"
                                         else "sklstm")
        for _, obj in inspect.getmembers(module, inspect.isclass):
            keras_code = issubclass(obj, (keras.layers.Layer, keras.initializers.Initializer,
                                          keras.losses.Loss, keras.optimizers.Optimizer))
            if keras_code and obj.__module__ == module.__name__:
                traced.add(path.name)
    assert traced <= set(_programs.TRACED_MODULES)
    assert "cli.py" not in _programs.TRACED_MODULES
    fingerprint = _programs._environment_fingerprint()
    _programs._environment_fingerprint.cache_clear()
    with monkeypatch.context() as patch:
        patch.setattr(_programs, "TRACED_MODULES", ("_model.py",))
        assert _programs._environment_fingerprint() != fingerprint
        _programs._environment_fingerprint.cache_clear()
    assert _programs._environment_fingerprint() == fingerprint


_NEW_PROCESS_FIT = """
import json, sys
import jax, numpy as np
from sklstm import LSTMRegressor, SequenceWindower
traced = []
lower = jax.stages.Traced.lower
jax.stages.Traced.lower = lambda self, *a, **k: traced.append(1) or lower(self, *a, **k)
series = np.sin(np.arange(60.0) / 5)
X = SequenceWindower(4).fit_transform(series[:-1, None])
reg = LSTMRegressor(units=3, epochs=2, batch_size=16, early_stopping=False,
                    random_state=0).fit(X, series[1:])
print(json.dumps({"traced": len(traced), "predictions": reg.predict(X).tolist()}))
"""


def _fit_in_new_process(cache_dir, **env):
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "SKLSTM_CACHE_DIR": str(cache_dir), **env}
    out = subprocess.run([sys.executable, "-c", _NEW_PROCESS_FIT], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_new_process_loads_stored_programs_instead_of_tracing(tmp_path):
    first = _fit_in_new_process(tmp_path)
    stored = sorted((tmp_path / "sklstm-executables").glob("*.bin"))
    assert first["traced"] >= 2 and len(stored) >= 2  # train and predict programs

    second = _fit_in_new_process(tmp_path)
    assert second["traced"] == 0
    assert second["predictions"] == first["predictions"]

    for path in stored:  # a truncated store is ignored: traced and compiled again
        path.write_bytes(path.read_bytes()[:100])
    third = _fit_in_new_process(tmp_path)
    assert third["traced"] >= 2
    assert third["predictions"] == first["predictions"]


def test_a_program_that_does_not_run_after_loading_is_not_stored(tmp_path):
    import jax

    # a program never compiled before (JAX's persistent cache may be on: a
    # program loaded from it cannot be stored again, which is also refused)
    offset = float(uuid.uuid4().int % 10**6)
    compiled = jax.jit(lambda x: x * 2 + offset).trace(np.ones(3, np.float32)).lower().compile()
    path = tmp_path / "program.bin"
    _programs._store_executable(path, compiled, (np.ones(4, np.float32),))  # wrong shape
    assert not path.exists()
    _programs._store_executable(path, compiled, (np.ones(3, np.float32),))
    loaded = _programs._load_executable(path)
    np.testing.assert_array_equal(loaded(np.ones(3, np.float32)), 2.0 + offset)
    assert _programs._load_executable(tmp_path / "absent.bin") is None


def test_no_program_is_stored_when_the_cache_is_off(tmp_path):
    result = _fit_in_new_process(tmp_path, SKLSTM_COMPILATION_CACHE="0")
    assert result["traced"] >= 2
    assert not (tmp_path / "sklstm-executables").exists()


def test_programs_running_user_code_are_not_stored():
    def own_loss(y_true, y_pred):
        return keras.ops.mean(keras.ops.abs(y_true - y_pred))

    assert _programs._only_keras_and_sklstm_code(_model(loss="mae"))
    assert not _programs._only_keras_and_sklstm_code(_model(loss=own_loss))
    assert not _programs.CompiledSteps(_model(loss=own_loss), key="k").storable

