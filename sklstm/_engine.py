"""Training and prediction loops behind LSTMRegressor.

On the JAX backend, sklstm runs its own loop over Keras's pure
``train_step`` instead of ``keras.Model.fit``. The jitted steps are cached
per architecture (model config and compile config, seeds left out), so the
folds and refits of a grid search compile once per architecture instead of
once per model. Batches have a fixed shape: the last partial batch is padded
with zero-weight rows, and predictions run in a few fixed batch sizes, so a
new data length never triggers a new compilation.

Windows are gathered batch by batch from the (possibly strided, view) input,
so a sliding-window view of a long series is never materialised.

Other backends fall back to ``Model.fit`` / ``Model.predict``.
"""

import json
import math
from collections import OrderedDict

import keras
import numpy as np

PREDICT_BUCKETS = (1, 32, 256, 1024)
_CACHE_SIZE = 16
_STEP_CACHE = OrderedDict()


def uses_jax_engine():
    return keras.backend.backend() == "jax"


def _strip_seeds(config):
    if isinstance(config, dict):
        return {k: _strip_seeds(v) for k, v in config.items() if k != "seed"}
    if isinstance(config, list):
        return [_strip_seeds(v) for v in config]
    return config


def architecture_key(model):
    """Key under which two models share compiled steps, or None."""
    try:
        return json.dumps(
            [_strip_seeds(model.get_config()), model.get_compile_config()],
            sort_keys=True,
            default=repr,
        )
    except Exception:  # a custom model that cannot describe itself
        return None


class CompiledSteps:
    """Jitted train and predict steps of one architecture.

    The steps are pure functions of the state they are given, so models of
    the same architecture can share them.
    """

    def __init__(self, model):
        import jax

        self.train = jax.jit(model.train_step)

        def predict(trainable, non_trainable, x):
            y_pred, _ = model.stateless_call(trainable, non_trainable, x, training=False)
            return y_pred

        self.predict = jax.jit(predict)


def compiled_steps(model):
    """Return the cached :class:`CompiledSteps` for ``model``'s architecture."""
    key = architecture_key(model)
    if key is None:
        return CompiledSteps(model)
    if key in _STEP_CACHE:
        _STEP_CACHE.move_to_end(key)
        return _STEP_CACHE[key]
    steps = CompiledSteps(model)
    _STEP_CACHE[key] = steps
    if len(_STEP_CACHE) > _CACHE_SIZE:
        _STEP_CACHE.popitem(last=False)
    return steps


def clear_cache():
    """Forget every cached compiled step (they are rebuilt on demand)."""
    _STEP_CACHE.clear()


def _values(variables):
    return [v.value for v in variables]


def _assign(variables, values):
    for variable, value in zip(variables, values):
        variable.assign(value)


def _gather(X, idx):
    return np.take(X, idx, axis=0).astype(np.float32, copy=False)


def _ensure_built(model, X, y):
    """Build optimizer and metrics the way ``Model.fit`` does, on one batch."""
    batch = (_gather(X, np.arange(1)), y[:1].astype(np.float32))
    model._symbolic_build(data_batch=batch)
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)


def predict_jax(model, X, steps=None, trainable=None, non_trainable=None):
    """Predict ``X`` (n, sequence_length, n_features) in fixed batch sizes."""
    steps = steps or compiled_steps(model)
    if trainable is None:
        trainable = _values(model.trainable_variables)
        non_trainable = _values(model.non_trainable_variables)
    largest = PREDICT_BUCKETS[-1]
    outputs = []
    for start in range(0, len(X), largest):
        idx = np.arange(start, min(start + largest, len(X)))
        size = next(b for b in PREDICT_BUCKETS if b >= len(idx))
        padded = np.concatenate([idx, np.full(size - len(idx), idx[0])])
        y = steps.predict(trainable, non_trainable, _gather(X, padded))
        outputs.append(np.asarray(y)[: len(idx)])
    if not outputs:
        return np.empty((0, model.outputs[0].shape[-1]), dtype=np.float32)
    return np.concatenate(outputs)


def _validation_loss(model, steps, state, X_val, y_val):
    y_pred = predict_jax(model, X_val, steps, state[0], state[1])
    loss = keras.losses.get(model.loss) if isinstance(model.loss, str) else model.loss
    return float(np.mean(keras.ops.convert_to_numpy(loss(y_val.astype(np.float32), y_pred))))


def fit_jax(
    model,
    X,
    y,
    *,
    sample_weight,
    epochs,
    batch_size,
    shuffle,
    seed,
    validation,
    n_iter_no_change,
    tol,
    verbose,
    callbacks,
):
    """Train ``model`` in place on the JAX backend; return the loss history.

    Parameters
    ----------
    X : ndarray of shape (n_samples, sequence_length, n_features)
        Windows; may be a strided view, NaN marks masked steps.
    y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,) or None
    validation : tuple (X_val, y_val) or None
        Early-stopping data; training stops after ``n_iter_no_change`` epochs
        without a ``tol`` improvement of the validation loss and the best
        weights are restored.
    """
    steps = compiled_steps(model)
    _ensure_built(model, X, y)
    state = (
        _values(model.trainable_variables),
        _values(model.non_trainable_variables),
        _values(model.optimizer.variables),
        _values(model.metrics_variables),
    )
    zero_metrics = [np.zeros(v.shape, v.dtype) for v in model.metrics_variables]
    n = len(X)
    batch_size = min(batch_size, n)
    n_batches = math.ceil(n / batch_size)
    weights = np.ones(n, np.float32) if sample_weight is None else sample_weight.astype(np.float32)
    y = y.astype(np.float32, copy=False)
    rng = np.random.default_rng(seed)

    history = {"loss": []}
    if validation is not None:
        history["val_loss"] = []
        best = (np.inf, state[:2])
        stale_epochs = 0
    callback_list = None
    if callbacks:
        callback_list = keras.callbacks.CallbackList(callbacks, model=model)
        model.stop_training = False
        callback_list.on_train_begin()

    epoch_iter = range(epochs)
    progress = None
    if verbose:
        from tqdm.auto import tqdm

        progress = epoch_iter = tqdm(epoch_iter, desc="fit", unit="epoch", leave=False)
    for epoch in epoch_iter:
        order = rng.permutation(n) if shuffle else np.arange(n)
        state = (*state[:3], zero_metrics)
        for b in range(n_batches):
            idx = order[b * batch_size : (b + 1) * batch_size]
            w = weights[idx]
            n_real = len(idx)
            if n_real < batch_size:
                # pad to the compiled batch shape; zero weight on the padding
                # and a rescale so the mean loss equals the unpadded mean
                idx = np.concatenate([idx, np.full(batch_size - n_real, idx[0])])
                w = np.concatenate([w * (batch_size / n_real), np.zeros(batch_size - n_real, np.float32)])
            logs, state = steps.train(state, (_gather(X, idx), y[idx], w))
        logs = {"loss": float(logs["loss"])}
        if not np.isfinite(logs["loss"]):
            raise FloatingPointError(
                f"The training loss became {logs['loss']} at epoch {epoch + 1}; "
                "the model diverged. Lower learning_rate, scale X and y "
                "(MinMaxScaler) or look for extreme values in the data."
            )
        if validation is not None:
            logs["val_loss"] = _validation_loss(model, steps, state, *validation)
            if logs["val_loss"] < best[0] - tol:
                best = (logs["val_loss"], state[:2])
                stale_epochs = 0
            else:
                stale_epochs += 1
        for key, value in logs.items():
            history[key].append(value)
        if progress is not None:
            progress.set_postfix({k: f"{v:.4g}" for k, v in logs.items()})
        if callback_list is not None:
            _assign(model.trainable_variables, state[0])
            _assign(model.non_trainable_variables, state[1])
            callback_list.on_epoch_end(epoch, logs)
            if model.stop_training:
                break
        if validation is not None and stale_epochs >= n_iter_no_change:
            break
    if progress is not None:
        progress.close()
    if validation is not None and np.isfinite(best[0]):
        state = (*best[1], *state[2:])
    _assign(model.trainable_variables, state[0])
    _assign(model.non_trainable_variables, state[1])
    _assign(model.optimizer.variables, state[2])
    if callback_list is not None:
        callback_list.on_train_end()
    return history
