import pickle
import subprocess
import sys

import joblib
import keras
import numpy as np
import pytest
from sklearn.base import clone, is_regressor
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags

from sklstm import LSTMRegressor, SequenceWindower
from sklstm import _engine, _programs
from sklstm._checks import InvalidParameterError
from sklstm._model import build_lstm_model

TINY = dict(units=4, epochs=3, batch_size=16, random_state=0)


@pytest.fixture(scope="module")
def windows(sine_xy):
    X, y = sine_xy
    return SequenceWindower(5).fit_transform(X), y


@pytest.fixture(scope="module")
def fitted(windows):
    return LSTMRegressor(**TINY).fit(*windows)


def test_tags_make_it_a_regressor_everywhere():
    reg = LSTMRegressor()
    assert is_regressor(reg)
    assert is_regressor(Pipeline([("lstm", reg)]))
    assert is_regressor(TransformedTargetRegressor(regressor=reg))
    tags = get_tags(reg)
    assert tags.input_tags.three_d_array and tags.input_tags.allow_nan
    assert tags.target_tags.multi_output and tags.target_tags.required


def test_one_finite_prediction_per_row_and_history(fitted, windows):
    X, y = windows
    pred = fitted.predict(X)
    assert pred.shape == y.shape and np.isfinite(pred).all()
    assert set(fitted.history_) == {"loss", "val_loss"}
    assert len(fitted.history_["loss"]) == 3
    assert fitted.input_shape_ == (5, 2) and fitted.n_outputs_ == 1


def test_n_features_in_counts_the_values_of_a_window(fitted, windows, sine_xy):
    # (sequence_length=5) x (2 features): the width of the windows' flat form,
    # so a Pipeline's steps agree on it, and a 2-D probe of that width predicts
    # (MAPIE's prefit check calls predict(np.zeros((1, n_features_in_))))
    X, _ = windows
    assert fitted.n_features_in_ == 10
    flat = SequenceWindower(5, flatten=True).fit(sine_xy[0])
    assert len(flat.get_feature_names_out()) == fitted.n_features_in_
    assert fitted.predict(np.zeros((1, fitted.n_features_in_))).shape == (1,)


def test_the_flat_form_of_the_windows_predicts_as_the_windows(fitted, windows, sine_xy):
    X, _ = windows
    flat = SequenceWindower(5, flatten=True).fit_transform(sine_xy[0])
    np.testing.assert_array_equal(flat, X.reshape(len(X), -1))
    np.testing.assert_array_equal(fitted.predict(flat), fitted.predict(X))


@pytest.mark.parametrize("X, match", [
    (np.zeros((3, 8)), r"X has 8 features, but LSTMRegressor is expecting 10"),
    (np.zeros((3, 4, 2)), r"X has 8 features.*windows of shape .*=\(4, 2\), but "
                          r"LSTMRegressor was fitted on \(5, 2\)"),
    (np.zeros((3, 2, 5)), r"windows of shape .*=\(2, 5\), but LSTMRegressor was fitted on "
                          r"\(5, 2\)"),
])
def test_windows_of_another_shape_are_refused(fitted, X, match):
    with pytest.raises(ValueError, match=match):
        fitted.predict(X)


def test_same_random_state_same_predictions_other_state_differs(fitted, windows):
    X, y = windows
    again = LSTMRegressor(**TINY).fit(X, y)
    np.testing.assert_array_equal(again.predict(X), fitted.predict(X))
    other = LSTMRegressor(**{**TINY, "random_state": 1}).fit(X, y)
    assert not np.allclose(other.predict(X), fitted.predict(X))


def test_compiled_step_reuse_does_not_change_results(fitted, windows):
    X, y = windows
    _programs.clear_cache()
    fresh = LSTMRegressor(**TINY).fit(X, y)
    np.testing.assert_allclose(fresh.predict(X), fitted.predict(X), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dump, load", [
    (pickle.dumps, pickle.loads),
    (lambda est: joblib.dump(est, "_est.joblib") and "_est.joblib", joblib.load),
], ids=["pickle", "joblib"])
def test_pickle_and_joblib_round_trips(fitted, windows, dump, load, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    restored = load(dump(fitted))
    np.testing.assert_array_equal(restored.predict(windows[0]), fitted.predict(windows[0]))


def test_clone_get_params_set_params(fitted, windows):
    reg = LSTMRegressor(units=(8, 4), optimizer__beta_1=0.8)
    params = reg.get_params()
    assert params["units"] == (8, 4) and params["optimizer__beta_1"] == 0.8
    cloned = clone(reg)
    assert cloned.get_params() == params
    cloned.set_params(units=3, optimizer__beta_1=0.7)
    assert cloned.units == 3 and cloned.optimizer__beta_1 == 0.7
    refit = clone(fitted).fit(*windows)
    np.testing.assert_array_equal(refit.predict(windows[0]), fitted.predict(windows[0]))


def test_routed_optimizer_params_and_learning_rate_reach_keras(windows):
    reg = LSTMRegressor(**{**TINY, "epochs": 1}, learning_rate=0.01, optimizer__beta_1=0.5)
    reg.fit(*windows)
    assert reg.model_.optimizer.learning_rate.numpy() == pytest.approx(0.01)
    assert reg.model_.optimizer.beta_1 == 0.5


def test_stacked_units_build_two_lstm_layers(windows):
    reg = LSTMRegressor(**{**TINY, "units": (6, 3), "epochs": 1}).fit(*windows)
    lstms = [layer for layer in reg.model_.layers if isinstance(layer, keras.layers.LSTM)]
    assert [layer.units for layer in lstms] == [6, 3]


def test_custom_model_hook_gets_meta_and_routed_params(windows):
    seen = {}

    def build(meta, compile_kwargs, hidden):
        seen.update(meta=meta, hidden=hidden)
        inputs = keras.Input(meta["input_shape_"])
        x = keras.layers.GRU(hidden)(keras.layers.Masking()(inputs))
        model = keras.Model(inputs, keras.layers.Dense(meta["n_outputs_"])(x))
        model.compile(**compile_kwargs)
        return model

    X = np.nan_to_num(windows[0])
    reg = LSTMRegressor(build, model__hidden=3, epochs=1, random_state=0).fit(X, windows[1])
    assert seen["hidden"] == 3 and seen["meta"]["input_shape_"] == (5, 2)
    assert any(isinstance(layer, keras.layers.GRU) for layer in reg.model_.layers)
    assert np.isfinite(reg.predict(X)).all()


def test_multi_output_y_trains_one_wide_head(windows):
    X, y = windows
    Y = np.column_stack([y, 2 * y, -y])
    reg = LSTMRegressor(**TINY).fit(X, Y)
    assert reg.model_.layers[-1].units == 3
    assert reg.predict(X).shape == (len(X), 3)


def test_2d_input_is_read_as_univariate_sequences():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 6))
    reg = LSTMRegressor(**TINY).fit(X, X.sum(axis=1))
    assert reg.input_shape_ == (6, 1)
    assert reg.predict(X).shape == (40,)


def test_masked_steps_are_skipped(fitted):
    """A window [nan, nan, a, b, c] gives the prediction of the LSTM on [a, b, c] alone."""
    rng = np.random.default_rng(1)
    real = rng.standard_normal((4, 3, 2))
    padded = np.concatenate([np.full((4, 2, 2), np.nan), real], axis=1)
    short = build_lstm_model(sequence_length=3, n_features=2, n_outputs=1,
                             units=(4,), dropout=0.0, seed=0)
    short.set_weights(fitted.model_.get_weights())
    np.testing.assert_allclose(
        fitted.predict(padded), short.predict(real, verbose=0)[:, 0], rtol=1e-5, atol=1e-6
    )


def test_early_stopping_uses_the_last_rows_and_stops(windows):
    X, y = windows
    reg = LSTMRegressor(units=4, epochs=200, learning_rate=0.05, n_iter_no_change=2,
                        validation_fraction=0.2, random_state=0).fit(X, y)
    assert len(reg.history_["val_loss"]) < 200
    # the kept weights are the best validation epoch's
    val_pred = reg.predict(X[-40:])
    best = min(reg.history_["val_loss"])
    assert np.mean((val_pred - y[-40:]) ** 2) == pytest.approx(best, rel=1e-4)


@pytest.mark.parametrize("zero_weights", [False, True])
def test_the_held_out_rows_and_their_predictions_are_kept(windows, zero_weights):
    X, y = windows
    weights = None
    if zero_weights:  # rows of zero weight are dropped before the last rows are held out
        weights = np.ones(len(y))
        weights[[3, len(y) - 2]] = 0
    reg = LSTMRegressor(**TINY, validation_fraction=0.2).fit(X, y, sample_weight=weights)
    kept = np.arange(len(y)) if weights is None else np.flatnonzero(weights)
    np.testing.assert_array_equal(reg.validation_rows_, kept[-round(0.2 * len(kept)):])
    np.testing.assert_allclose(reg.validation_predictions_, reg.predict(X)[reg.validation_rows_],
                               rtol=1e-6, atol=1e-7)
    unstopped = LSTMRegressor(**TINY, early_stopping=False).fit(X, y)
    assert unstopped.validation_rows_.shape == (0,) and unstopped.validation_predictions_.size == 0


def test_keras_callbacks_are_called(windows):
    losses = []
    cb = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: losses.append(logs["loss"]))
    reg = LSTMRegressor(**TINY, callbacks=[cb]).fit(*windows)
    assert losses == reg.history_["loss"]


def test_verbose_shows_a_progress_bar(windows, capsys):
    LSTMRegressor(**{**TINY, "epochs": 2}, verbose=1).fit(*windows)
    err = capsys.readouterr().err
    assert "epoch" in err and "loss" in err


def test_keras_fit_path_for_other_backends(windows, monkeypatch):
    monkeypatch.setattr(_engine, "uses_jax_engine", lambda: False)
    X, y = windows
    reg = LSTMRegressor(**TINY).fit(X, y)
    assert set(reg.history_) >= {"loss", "val_loss"}
    assert np.isfinite(reg.predict(X)).all()


@pytest.mark.parametrize("env, expected", [({}, "jax"), ({"KERAS_BACKEND": "numpy"}, "numpy")])
def test_import_picks_jax_and_honours_keras_backend(env, expected):
    code = "import sklstm, keras; print(keras.backend.backend())"
    base = {k: v for k, v in __import__("os").environ.items() if k != "KERAS_BACKEND"}
    out = subprocess.run([sys.executable, "-c", code], env={**base, **env},
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected


def test_sample_weight_zero_rows_are_ignored(windows):
    X, y = windows
    w = np.ones(len(y))
    w[:50] = 0
    reg = LSTMRegressor(**TINY).fit(X, y, sample_weight=w)
    dropped = LSTMRegressor(**TINY).fit(X[50:], y[50:])
    np.testing.assert_allclose(reg.predict(X), dropped.predict(X), rtol=1e-6)


# --- warm start: honour what a kept network can take, refuse the rest ----------------------


class _Count(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs += 1


@pytest.mark.parametrize("change", [{"units": 8}, {"dropout": 0.5}, {"loss": "mae"},
                                    {"optimizer__beta_1": 0.5}])
def test_warm_start_refuses_a_change_of_the_network(windows, change):
    reg = LSTMRegressor(**TINY, warm_start=True).fit(*windows)
    before = reg.predict(windows[0])
    name = next(iter(change))
    with pytest.raises(ValueError, match=f"warm_start=True keeps the fitted network, which was "
                                         f"built with {name}=.*but set_params changed {name}"):
        reg.set_params(**change).fit(*windows)
    np.testing.assert_array_equal(reg.predict(windows[0]), before)


def test_warm_start_honours_learning_rate_callbacks_and_epochs(windows):
    reg = LSTMRegressor(**TINY, warm_start=True, early_stopping=False).fit(*windows)
    count = _Count()
    reg.set_params(learning_rate=0.05, callbacks=[count], epochs=2).fit(*windows)
    assert float(reg.model_.optimizer.learning_rate) == pytest.approx(0.05)
    assert count.epochs == 2
    assert len(reg.history_["loss"]) == 2  # this fit's epochs, as SciKeras records them


def test_interrupted_warm_start_keeps_the_previous_step_size(windows):
    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise KeyboardInterrupt

    reg = LSTMRegressor(**TINY, warm_start=True, learning_rate=0.01).fit(*windows)
    before = reg.predict(windows[0])
    with pytest.raises(KeyboardInterrupt):
        reg.set_params(learning_rate=0.5, callbacks=[Interrupt()]).fit(*windows)
    assert float(reg.model_.optimizer.learning_rate) == pytest.approx(0.01)
    np.testing.assert_array_equal(reg.predict(windows[0]), before)


# --- routed parameters: honoured or refused ------------------------------------------------


@pytest.mark.parametrize("routed, match", [
    ({"predict__batch_size": 7}, r"does not use the routed parameter 'predict__batch_size'.*"
                                 r"Use batch_size=\.\.\. instead"),
    ({"fit__shuffle": False}, r"'fit__shuffle'.*\(fit__ takes only callbacks, epochs\)\. "
                              r"Use shuffle=\.\.\. instead"),
    ({"compile__run_eagerly": True}, "does not use the routed parameter 'compile__run_eagerly'"),
    ({"model__seed": 3}, "model=None builds sklstm's default LSTM, which takes no extra"),
])
def test_routed_parameters_nothing_honours_are_refused(windows, routed, match):
    # the same error at fit and from set_params: a ValueError and a TypeError
    with pytest.raises(InvalidParameterError, match=match):
        LSTMRegressor(**TINY, **routed).fit(*windows)
    with pytest.raises(InvalidParameterError, match=match):
        LSTMRegressor(**TINY).set_params(**routed)
    assert issubclass(InvalidParameterError, ValueError)
    assert issubclass(InvalidParameterError, TypeError)


@pytest.mark.parametrize("params", [{"metrics": ["mae"]}, {"compile__metrics": ["mae"]}])
def test_metrics_the_jax_loop_would_ignore_are_refused(windows, params):
    name = next(iter(params))
    with pytest.raises(ValueError, match=f"{name}=\\['mae'\\] would be ignored: sklstm's "
                                         "training loop on the JAX backend records only the loss"):
        LSTMRegressor(**TINY, **params).fit(*windows)


def test_routed_compile_and_fit_parameters_are_honoured(windows):
    plain = LSTMRegressor(**{**TINY, "epochs": 1}).fit(*windows)
    weighted = LSTMRegressor(**{**TINY, "epochs": 1}, compile__loss_weights=[2.0]).fit(*windows)
    assert weighted.history_["loss"][0] == pytest.approx(2 * plain.history_["loss"][0], rel=1e-5)
    count = _Count()
    LSTMRegressor(**TINY, early_stopping=False, fit__callbacks=[count], fit__epochs=2).fit(*windows)
    assert count.epochs == 2


def test_routed_names_are_recorded_not_discovered(windows):
    reg = LSTMRegressor(**TINY, optimizer__beta_1=0.8)
    reg.set_params(fit__epochs=2)
    assert reg._routed_names == ("fit__epochs", "optimizer__beta_1")
    reg.fit(*windows)  # fitted attributes do not become parameters
    assert set(reg.get_params()) == {*LSTMRegressor._explicit_param_names(),
                                     "fit__epochs", "optimizer__beta_1"}
    assert clone(reg).get_params()["fit__epochs"] == 2
    assert len(reg.history_["loss"]) <= 2  # fit__epochs is honoured


def test_set_params_typo_gets_the_constructor_hint(windows):
    for make in (lambda: LSTMRegressor().set_params(unitz=3),
                 lambda: LSTMRegressor(**TINY, unitz=3).fit(*windows)):
        with pytest.raises(InvalidParameterError,
                           match="unknown parameter 'unitz'. Did you mean 'units'"):
            make()


def test_check_params_sets_no_fitted_attribute():
    reg = LSTMRegressor(units=(4, 2))
    reg._check_params()
    assert [k for k in vars(reg) if k.endswith("_")] == []


def test_random_states_give_different_networks(windows):
    # SciKeras draws randint(low=1) from a RandomState, which is always 0
    a, b = (LSTMRegressor(units=2, epochs=1, random_state=np.random.RandomState(seed))
            .fit(*windows).predict(windows[0]) for seed in (1, 2))
    assert not np.allclose(a, b)


# --- extreme values and diverging fits -----------------------------------------------------


def test_values_beyond_float32_are_refused_not_infinite(windows):
    X, y = windows
    with pytest.raises(ValueError, match=r"Input X contains values beyond float32's range .* "
                                         r"up to 1\.5e\+308"):
        LSTMRegressor(**TINY).fit(np.nan_to_num(X) * 0 + 1.5e308, y)
    with pytest.raises(ValueError, match=r"y contains values beyond float32's range"):
        LSTMRegressor(**TINY).fit(X, y * 0 + 1.5e308)
    fitted = LSTMRegressor(**TINY).fit(X, y)
    with pytest.raises(ValueError, match="beyond float32's range"):
        fitted.predict(np.where(np.isnan(X), np.nan, 1.5e308))


def test_a_fit_that_ends_far_above_its_start_warns(windows):
    with pytest.warns(RuntimeWarning, match=r"The training loss ended at .*, more than 10 "
                                            r"times .* Lower learning_rate \(now 1000000\.0\)"):
        LSTMRegressor(**TINY, learning_rate=1e6).fit(*windows)


def test_an_ordinary_fit_does_not_warn(windows):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        LSTMRegressor(**TINY).fit(*windows)
        # y equal to 0 everywhere: the untrained network is the reference, not 0
        LSTMRegressor(**TINY).fit(windows[0], np.zeros(len(windows[1])))
        # unshuffled rows of a trend: the first batch's loss is far below the others'
        # (the check confirms on spread rows before it warns)
        trend = np.linspace(0, 30, len(windows[1]))
        LSTMRegressor(**TINY, shuffle=False).fit(windows[0], trend)
    assert [str(w.message) for w in caught if "training loss ended" in str(w.message)] == []


def test_integer_weights_match_repeated_rows_up_to_float32_rounding():
    """The real reason check_sample_weight_equivalence_on_dense_data fails (its
    estimator is LSTMRegressor(units=4, epochs=2, random_state=0)): weighted and
    repeated rows give the same fit to about 4e-7, float32 summing rows in another
    order, and the check asks for rtol=1e-7."""
    rng = np.random.RandomState(42)
    X, y, sw = rng.rand(15, 30), rng.randint(0, 3, size=15).astype(float), rng.randint(0, 5, 15)
    weighted = LSTMRegressor(units=4, epochs=2, random_state=0).fit(X, y, sample_weight=sw)
    repeated = LSTMRegressor(units=4, epochs=2, random_state=0).fit(X.repeat(sw, 0), y.repeat(sw))
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=2e-6)
    assert not np.array_equal(weighted.predict(X), repeated.predict(X))


def test_negative_or_infinite_sample_weight_is_refused(windows):
    X, y = windows
    LSTMRegressor(**TINY).fit(X, y, sample_weight=2.0)  # one weight for all rows is fine
    for bad, shown in ((-1.0, "-1.0"), (np.inf, "inf")):
        w = np.ones(len(y))
        w[3] = bad
        with pytest.raises(ValueError, match=f"sample_weight must be finite and >= 0, got "
                                             f"{shown} at row 3"):
            LSTMRegressor(**TINY).fit(X, y, sample_weight=w)


def _documented_attributes(cls):
    doc = cls.__doc__
    section = doc.split("Attributes\n    ----------\n")[1].split("\n    See Also")[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("    ") and not line.startswith("     ") and " : " in line:
            names.update(n.strip() for n in line.split(" : ")[0].split(","))
    return names


def test_every_fitted_attribute_is_documented(fitted, windows):
    import pandas as pd

    from sklstm import LSTMForecaster

    X2 = pd.DataFrame(np.nan_to_num(windows[0][:, :, 0]), columns=[f"t{i}" for i in range(5)])
    frame_fitted = LSTMRegressor(**TINY).fit(X2, windows[1])
    forecaster = LSTMForecaster(sequence_length=3, units=2, max_steps=1, random_state=0).fit(
        pd.DataFrame({"a": windows[1]})[:-1], windows[1][1:])
    for estimator in (fitted, frame_fitted, forecaster):
        fitted_names = {k for k in vars(estimator) if k.endswith("_") and not k.startswith("_")}
        assert fitted_names - _documented_attributes(type(estimator)) == set()


def test_cosine_decay_goes_from_one_to_zero_along_half_a_cosine():
    assert [_engine.cosine_decay(step, 4) for step in range(5)] == pytest.approx(
        [1.0, (1 + np.sqrt(0.5)) / 2, 0.5, (1 - np.sqrt(0.5)) / 2, 0.0])


@pytest.mark.parametrize("engine", ["jax", "keras"])
def test_cosine_schedule_sets_every_batch_and_keeps_the_step_size(windows, monkeypatch, engine):
    X, y = windows
    if engine == "keras":
        monkeypatch.setattr(_engine, "uses_jax_engine", lambda: False)
    seen = []
    real = _engine.cosine_decay
    monkeypatch.setattr(_engine, "cosine_decay", lambda s, t: seen.append((s, t)) or real(s, t))
    params = {**TINY, "early_stopping": False, "learning_rate": 0.01}
    cosine = LSTMRegressor(**params, learning_rate_schedule="cosine").fit(X, y)
    n_batches = -(-len(X) // TINY["batch_size"])
    total = TINY["epochs"] * n_batches
    assert seen == [(step, total) for step in range(total)]  # one step size per batch
    # the optimizer keeps the given step size for a later (warm) fit
    assert float(cosine.model_.optimizer.learning_rate.numpy()) == pytest.approx(0.01)
    constant = LSTMRegressor(**params).fit(X, y)
    assert not np.allclose(cosine.predict(X), constant.predict(X))


def test_cosine_schedule_needs_a_step_size_it_can_set(windows):
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, 10, 0.9)
    reg = LSTMRegressor(**TINY, learning_rate_schedule="cosine",
                        optimizer=keras.optimizers.Adam(learning_rate=schedule))
    with pytest.raises(ValueError, match="learning_rate_schedule='cosine' needs an optimizer"):
        reg.fit(*windows)


def test_zero_head_starts_the_network_at_zero(windows):
    X, y = windows
    reg = LSTMRegressor(**TINY, head_initializer="zeros").initialize(X, y)
    np.testing.assert_array_equal(reg.predict(X), 0.0)
    assert np.abs(LSTMRegressor(**TINY).initialize(X, y).predict(X)).max() > 0
