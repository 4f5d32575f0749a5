"""Training faults, determinism across processes, and untouched inputs.

- A NaN or infinite training loss raises FloatingPointError and leaves the
  estimator as it was (unfitted, or with its previous model).
- A KeyboardInterrupt raised from a Keras callback leaves the estimator
  unfitted or consistently fitted.
- GridSearchCV(error_score=np.nan) goes on past failing candidates.
- The same random_state gives bit-identical predictions in separate
  processes on the JAX backend.
- fit/transform/predict never modify the arrays or DataFrames they get.
"""

import os
import runpy
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
from keras import ops
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import FitFailedWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.validation import check_is_fitted

from sklstm import LSTMRegressor, SequenceWindower

REPO = Path(__file__).resolve().parents[1]
TINY = {"units": 4, "epochs": 3, "batch_size": 16, "random_state": 0}


def nan_loss(y_true, y_pred):
    """A loss that is NaN for any input: log of a negative number."""
    return ops.mean(ops.log(y_pred - y_pred - 1.0))


class Interrupt(keras.callbacks.Callback):
    """Raise KeyboardInterrupt at the end of epoch ``at`` (0-based), when armed."""

    def __init__(self, at=None):
        super().__init__()
        self.at = at

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.at:
            raise KeyboardInterrupt


@pytest.fixture(scope="module")
def windows_y(sine_xy):
    X, y = sine_xy
    return SequenceWindower(5).fit_transform(X[:100]), y[:100]


def fitted_state(reg, windows):
    """What a consistent estimator must keep together: weights, history, predictions."""
    return (
        [np.array(v) for v in reg.model_.get_weights()],
        {k: list(v) for k, v in reg.history_.items()},
        reg.predict(windows),
    )


def assert_same_state(a, b):
    for wa, wb in zip(a[0], b[0]):
        np.testing.assert_array_equal(wa, wb)
    assert a[1] == b[1]
    np.testing.assert_array_equal(a[2], b[2])


def assert_unfitted(reg):
    with pytest.raises(NotFittedError):
        check_is_fitted(reg, "model_")
    assert not hasattr(reg, "history_")


# --- NaN / inf loss --------------------------------------------------------------

DIVERGING = {
    # y of 1e20 squares past float32's range: the loss is inf, then NaN
    "overflowing-y": ({}, 1e20),
    "nan-loss": ({"loss": nan_loss}, 1.0),
}


@pytest.mark.parametrize("case", DIVERGING, ids=list(DIVERGING))
def test_diverging_loss_raises_and_leaves_estimator_unfitted(windows_y, case):
    params, y_scale = DIVERGING[case]
    windows, y = windows_y
    reg = LSTMRegressor(**{**TINY, **params})
    with pytest.raises(FloatingPointError, match=r"training loss became (nan|inf) at epoch 1.*learning_rate"):
        reg.fit(windows, y * y_scale)
    assert_unfitted(reg)


@pytest.mark.parametrize("warm_start", [False, True])
def test_diverging_refit_keeps_the_previous_model(windows_y, warm_start):
    windows, y = windows_y
    reg = LSTMRegressor(**TINY, warm_start=warm_start).fit(windows, y)
    before = fitted_state(reg, windows)
    with pytest.raises(FloatingPointError, match=r"training loss became (nan|inf)"):
        reg.fit(windows, y * 1e20)
    assert_same_state(fitted_state(reg, windows), before)


# --- KeyboardInterrupt -------------------------------------------------------------


def test_interrupt_during_first_fit_leaves_estimator_unfitted(windows_y):
    windows, y = windows_y
    reg = LSTMRegressor(**TINY, callbacks=[Interrupt(at=1)])
    with pytest.raises(KeyboardInterrupt):
        reg.fit(windows, y)
    assert_unfitted(reg)


@pytest.mark.parametrize(
    "warm_start",
    [
        False,
        True,
    ],
)
def test_interrupted_refit_keeps_a_consistent_estimator(windows_y, warm_start):
    windows, y = windows_y
    interrupt = Interrupt()
    reg = LSTMRegressor(**TINY, warm_start=warm_start, callbacks=[interrupt]).fit(windows, y)
    before = fitted_state(reg, windows)
    interrupt.at = 1  # the refit is interrupted at the end of its second epoch
    with pytest.raises(KeyboardInterrupt):
        reg.fit(windows, y)
    assert_same_state(fitted_state(reg, windows), before)


def _readme_parts(interrupt):
    return Pipeline([("scale", MinMaxScaler()), ("window", SequenceWindower(5)),
                     ("lstm", LSTMRegressor(**TINY, callbacks=[interrupt]))])


def test_interrupted_pipeline_refit_is_what_the_docs_say(sine_xy):
    """docs/reliability.md, "Interrupting a refit": sklearn's Pipeline and
    TransformedTargetRegressor are not all-or-nothing; fitting a clone and
    swapping it in is."""
    X, y = sine_xy[0][:100], sine_xy[1][:100]
    X_new, y_new = 10 * X + 5, 10 * y + 5
    interrupt = Interrupt()

    # a bare Pipeline: the scaler holds the new fit, the LSTM the old one
    pipe = _readme_parts(interrupt).fit(X, y)
    before = pipe.predict(X)
    windows = pipe[:-1].transform(X)
    lstm_before = fitted_state(pipe[-1], windows)
    interrupt.at = 1
    with pytest.raises(KeyboardInterrupt):
        pipe.fit(X_new, y_new)
    assert pipe[0].data_max_[0] == pytest.approx(X_new[:, 0].max())
    assert_same_state(fitted_state(pipe[-1], windows), lstm_before)
    assert not np.allclose(pipe.predict(X), before)  # silently different

    # the README model: the y scaler is refitted, the pipeline is a new clone whose
    # LSTM was never fitted, so predict refuses instead of answering
    interrupt.at = None
    model = TransformedTargetRegressor(regressor=_readme_parts(interrupt),
                                       transformer=MinMaxScaler()).fit(X, y)
    model.regressor.set_params(lstm__callbacks=[Interrupt(at=1)])
    with pytest.raises(KeyboardInterrupt):
        model.fit(X_new, y_new)
    with pytest.raises(NotFittedError):
        model.predict(X)

    # the recipe: fit a clone, keep it only when it finishes
    interrupt.at = None
    model = TransformedTargetRegressor(regressor=_readme_parts(interrupt),
                                       transformer=MinMaxScaler()).fit(X, y)
    before = model.predict(X)
    with pytest.raises(KeyboardInterrupt):
        model = clone(model).set_params(regressor__lstm__callbacks=[Interrupt(at=1)]).fit(
            X_new, y_new)
    np.testing.assert_array_equal(model.predict(X), before)


# --- GridSearchCV past failing candidates ---------------------------------------------


def test_grid_search_with_error_score_nan_continues_past_failures(sine_xy):
    X, y = sine_xy
    pipe = Pipeline([("scale", MinMaxScaler()), ("window", SequenceWindower(5)),
                     ("lstm", LSTMRegressor(**TINY))])
    grid = [
        {"lstm__units": [4]},
        {"lstm__units": [0]},  # invalid parameter: fails before training
        {"lstm__loss": [nan_loss]},  # fails during training
    ]
    search = GridSearchCV(pipe, grid, cv=TimeSeriesSplit(n_splits=2), error_score=np.nan)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search.fit(X[:100], y[:100])
    messages = " ".join(str(w.message) for w in caught if issubclass(w.category, FitFailedWarning))
    assert "units must be a positive int" in messages
    assert "training loss became nan" in messages
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores[0]) and np.isnan(scores[1]) and np.isnan(scores[2])
    assert search.best_params_ == {"lstm__units": 4}
    assert np.isfinite(search.predict(X[:100])).all()


# --- determinism across processes ---------------------------------------------------------

DETERMINISM_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    from sklstm import LSTMRegressor, SequenceWindower


    def fit_predict():
        t = np.arange(120.0)
        X = np.c_[np.sin(t / 6), np.cos(t / 5)]
        windows = SequenceWindower(6).fit_transform(X)
        reg = LSTMRegressor(units=5, dropout=0.2, epochs=4, batch_size=16, random_state=7,
                            early_stopping=False)
        return reg.fit(windows, X[:, 0]).predict(windows)


    if __name__ == "__main__":
        np.save(sys.argv[1], fit_predict())
""")


def test_same_random_state_same_predictions_across_processes(tmp_path):
    """This process (after many other fits) and a fresh one (another hash seed)
    fit the same model bit for bit: weight initialisation, dropout masks and
    shuffling all come from random_state."""
    import jax

    script = tmp_path / "fit_predict.py"
    script.write_text(DETERMINISM_SCRIPT)
    here = runpy.run_path(str(script))["fit_predict"]()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    env.pop("PYTHONHASHSEED", None)
    # share this process's compilation cache, as Dask workers do (docs/scale-out.md)
    if jax.config.jax_compilation_cache_dir:
        env["SKLSTM_CACHE_DIR"] = jax.config.jax_compilation_cache_dir
    out = tmp_path / "other.npy"
    proc = subprocess.run(
        [sys.executable, str(script), str(out)],
        check=False, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    other = np.load(out)
    assert other.shape == (120,) and np.isfinite(other).all() and np.ptp(other) > 0
    np.testing.assert_array_equal(other, here)


# --- inputs are never modified -------------------------------------------------------------

FLAGS = ("C_CONTIGUOUS", "F_CONTIGUOUS", "OWNDATA", "WRITEABLE", "ALIGNED")


def snapshot(obj):
    if isinstance(obj, (pd.DataFrame, pd.Series)):
        return obj.copy(deep=True), dict(obj.attrs), obj.flags.allows_duplicate_labels
    return obj.copy(order="K"), {f: obj.flags[f] for f in FLAGS}, obj.strides


def assert_unchanged(obj, snap):
    if isinstance(obj, pd.DataFrame):
        pd.testing.assert_frame_equal(obj, snap[0], check_exact=True)
    elif isinstance(obj, pd.Series):
        pd.testing.assert_series_equal(obj, snap[0], check_exact=True)
    else:
        np.testing.assert_array_equal(obj, snap[0])
        assert obj.dtype == snap[0].dtype
        assert {f: obj.flags[f] for f in FLAGS} == snap[1]
        assert obj.strides == snap[2]
        return
    assert dict(obj.attrs) == snap[1] and obj.flags.allows_duplicate_labels == snap[2]


def make_inputs(kind, frame):
    X = frame.to_numpy()[:-1].copy()
    y = frame["y"].to_numpy()[1:].copy()
    if kind == "numpy":
        return X, y
    if kind == "numpy-read-only":
        X.flags.writeable = False
        y.flags.writeable = False
        return X, y
    if kind == "numpy-fortran-float32":
        return np.asfortranarray(X, dtype=np.float32), y.astype(np.float32)
    df = frame.iloc[:-1].copy()
    df.attrs["source"] = "test"
    return df, pd.Series(y, index=df.index, name="y_next")


@pytest.mark.parametrize("kind", ["numpy", "numpy-read-only", "numpy-fortran-float32", "dataframe"])
def test_fit_transform_predict_never_modify_inputs(sine_frame, kind):
    X, y = make_inputs(kind, sine_frame.iloc[:100])
    X_snap, y_snap = snapshot(X), snapshot(y)
    pipe = Pipeline([("scale", MinMaxScaler()), ("window", SequenceWindower(5)),
                     ("lstm", LSTMRegressor(**TINY))])
    model = TransformedTargetRegressor(regressor=pipe, transformer=MinMaxScaler())
    model.fit(X, y)
    model.predict(X)
    SequenceWindower(5).fit(X).transform(X)
    SequenceWindower(4, padding="edge", flatten=True).fit_transform(X)
    assert_unchanged(X, X_snap)
    assert_unchanged(y, y_snap)


@pytest.mark.parametrize("read_only_view", [False, True])
def test_regressor_never_modifies_windows(windows_y, read_only_view):
    windows, y = windows_y
    if not read_only_view:
        windows = np.array(windows)  # a writeable copy with NaN padding
    assert windows.flags.writeable != read_only_view
    w_snap, y_snap = snapshot(windows), snapshot(y)
    reg = LSTMRegressor(**TINY).fit(windows, y)
    reg.predict(windows)
    np.testing.assert_array_equal(windows, w_snap[0])  # NaN padding included
    assert {f: windows.flags[f] for f in FLAGS} == w_snap[1]
    assert_unchanged(y, y_snap)
