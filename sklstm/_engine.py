"""The network engine: train a Keras network on windows and targets; predict.

Both faces use it: :class:`~sklstm.LSTMRegressor` (SciKeras's hook
``_fit_keras_model`` calls :func:`train`) and :class:`~sklstm.LSTMForecaster`
(whose recipe builds the windows and the network and calls :func:`train` and
:func:`predict` itself). Nothing here reads or sets an estimator's state: a
Keras model and arrays go in, a :class:`Training` comes out.

On the JAX backend, sklstm runs its own loop over Keras's pure
``train_step`` instead of ``keras.Model.fit``, because in a grid search the
cost of small LSTM fits is compilation, not arithmetic. The compiled steps
come from the program cache (:mod:`sklstm._programs`), one set per
architecture; this module feeds them:

- **Fixed shapes.** The last partial batch is padded with zero-weight rows
  (the real rows' weights are scaled by ``batch_size / n_real`` so the mean
  loss and the gradient are those of the unpadded batch), and predictions
  run in two batch sizes (:data:`~sklstm._programs.PREDICT_BUCKETS`), so a
  new number of rows never triggers a compilation.
- **Windows gathered per batch.** Batches are gathered from the (possibly
  strided, read-only view) input, so a sliding-window view of a long series
  is never materialised as an ``n x sequence_length x features`` array.
- **All or nothing.** The training state lives outside the model until the
  end, so an exception leaves the model as it was.
- **The held-out rows are the loop's.** It predicts them every epoch for
  early stopping, so it hands back the best epoch's predictions with the
  history (:class:`Training`): nobody predicts them again. It also hands
  back the loss of the first batch, computed with the weights the fit
  started from: the reference of the divergence warning, at no extra pass.

Other backends fall back to ``Model.fit`` / ``Model.predict``.
"""

import math
import warnings
from typing import NamedTuple

import keras
import numpy as np

from ._programs import PREDICT_BUCKETS, compiled_steps, variable_values


class Training(NamedTuple):
    """What one run of the training loop hands back.

    Attributes
    ----------
    history : dict of str to list of float
        ``"loss"`` per epoch, and ``"val_loss"`` with validation rows.
    first_loss : float or None
        The loss of the first batch, computed with the starting weights
        (before any update): the untrained (or, on a warm start, the
        previous) network's loss. None when no batch ran.
    validation_predictions : ndarray of shape (n_val, n_outputs) or None
        The network's output on the validation rows with the weights kept
        (those of the best epoch), None without validation rows.
    start_weights : tuple (trainable, non_trainable) or None
        The starting weights' values (held anyway, to undo a failed fit), for
        :func:`predict_jax`: the divergence check confirms a suspicious first
        batch with them. None on other backends.
    """

    history: dict
    first_loss: float | None
    validation_predictions: np.ndarray | None
    start_weights: tuple | None = None


def uses_jax_engine():
    """Whether LSTMRegressor trains with this engine (Keras on JAX)."""
    return keras.backend.backend() == "jax"


def _assign(variables, values):
    for variable, value in zip(variables, values):
        variable.assign(value)


def _gather(X, idx):
    """Rows ``idx`` of X as a new float32 array (X may be a strided view).

    Fancy indexing of a sliding-window view copies just these windows, and
    is many times faster than ``np.take`` on such a view.
    """
    return X[idx].astype(np.float32, copy=False)


def _predict_padded(model, X, steps, trainable, non_trainable):
    """Yield ``(n_real, padded_predictions)`` for X in blocks of a bucket size."""
    largest = PREDICT_BUCKETS[-1]
    n = len(X)
    for start in range(0, n, largest):
        stop = min(start + largest, n)
        size = next(b for b in PREDICT_BUCKETS if b >= stop - start)
        if size == stop - start:
            x = np.asarray(X[start:stop], dtype=np.float32)
        else:
            x = np.zeros((size, *X.shape[1:]), np.float32)
            x[: stop - start] = X[start:stop]
        y = steps.call(model, ("predict", size), steps.predict, trainable, non_trainable, x)
        yield stop - start, y


def predict_jax(model, X, steps=None, trainable=None, non_trainable=None):
    """Predict ``X`` (n, sequence_length, n_features) in fixed batch sizes.

    X may be a strided view and may hold NaN (masked steps); it is copied
    block by block, never as a whole.
    """
    steps = steps or compiled_steps(model)
    if trainable is None:
        trainable = variable_values(model.trainable_variables)
        non_trainable = variable_values(model.non_trainable_variables)
    outputs = [np.asarray(y)[:n] for n, y in _predict_padded(model, X, steps, trainable, non_trainable)]
    if not outputs:
        return np.empty((0, model.outputs[0].shape[-1]), dtype=np.float32)
    return outputs[0] if len(outputs) == 1 else np.concatenate(outputs)


def cosine_decay(step, total):
    """Step-size multiplier at ``step`` of ``total``: from 1 down to 0 along half a cosine.

    Annealing the step size lets a run of a fixed number of steps settle in
    a minimum instead of ending on a noisy step (SGDR, Loshchilov and Hutter
    2017); measured on the long-panel recipe in ``benchmarks/m4.md``.
    """
    return 0.5 * (1.0 + math.cos(math.pi * min(step, total) / max(total, 1)))


def _learning_rate_slot(optimizer):
    """Index of the optimizer's step-size variable among ``optimizer.variables``."""
    rate = optimizer.learning_rate
    for i, variable in enumerate(optimizer.variables):
        if variable is rate:
            return i
    raise ValueError(
        "learning_rate_schedule='cosine' needs an optimizer whose learning rate is a "
        f"number, but {type(optimizer).__name__} has {rate!r}; pass the optimizer by "
        "name or class, or learning_rate_schedule='constant'."
    )


class CosineDecay(keras.callbacks.Callback):
    """The cosine schedule of :func:`cosine_decay` for ``Model.fit`` (other backends)."""

    def __init__(self, total):
        super().__init__()
        self.total, self.step = total, 0

    def on_train_begin(self, logs=None):
        self.base = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))

    def on_train_batch_begin(self, batch, logs=None):
        self.model.optimizer.learning_rate.assign(self.base * cosine_decay(self.step, self.total))
        self.step += 1

    def on_train_end(self, logs=None):
        self.model.optimizer.learning_rate.assign(self.base)


def _per_sample_loss(model):
    loss = model.loss
    if isinstance(loss, str):
        return keras.losses.get(loss)
    if isinstance(loss, keras.losses.Loss):
        return loss.call
    return loss


def _validation_loss(model, steps, state, X_val, y_val):
    """Mean loss on the validation rows and the predictions it was computed from.

    Rows with an unknown (NaN) target (a ragged panel's) are predicted but
    left out of the loss. The loss runs on the padded (bucket-sized) blocks,
    so its few eager ops compile once per process, not once per validation size.
    """
    loss_fn = _per_sample_loss(model)
    known = ~np.isnan(y_val).any(axis=1)
    total, start, predictions = 0.0, 0, []
    for n_real, y_pred in _predict_padded(model, X_val, steps, state[0], state[1]):
        y_true = np.zeros(y_pred.shape, np.float32)
        y_true[:n_real] = np.nan_to_num(y_val[start : start + n_real])
        values = keras.ops.convert_to_numpy(loss_fn(y_true, y_pred))
        per_row = values.reshape(len(values), -1)[:n_real].mean(axis=1)
        total += float(np.sum(per_row[known[start : start + n_real]]))
        predictions.append(np.asarray(y_pred)[:n_real])
        start += n_real
    return total / known.sum(), np.concatenate(predictions)


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
    learning_rate_schedule="constant",
    validate_start=False,
):
    """Train ``model`` in place on the JAX backend; return a :class:`Training`.

    Parameters
    ----------
    X : ndarray of shape (n_samples, sequence_length, n_features)
        Windows; may be a strided view, NaN marks masked steps.
    y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,) or None
    validation : tuple (X_val, y_val) or None
        Early-stopping data (rows with a NaN target are predicted but not
        scored; at least one must be known); training stops after ``n_iter_no_change`` epochs
        without a ``tol`` improvement of the validation loss and the best
        weights are restored. Their predictions with those weights come back
        in ``Training.validation_predictions``.
    learning_rate_schedule : {"constant", "cosine"}
        "cosine" anneals the step size from the optimizer's own down to 0
        over ``epochs`` (:func:`cosine_decay`, one value per batch).
    validate_start : bool
        With ``validation``, the starting weights compete too: their
        validation loss is computed before the first update, and if no
        epoch beats it the starting weights are kept (a network that learns
        a correction from a zero head then adds none).

    The model's variables are written only at the end (or for callbacks),
    so an exception during training leaves the model as it was.
    """
    steps = compiled_steps(model)
    steps.prepare_training(model, X, y)
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    state = (
        variable_values(model.trainable_variables),
        variable_values(model.non_trainable_variables),
        variable_values(model.optimizer.variables),
    )
    zero_metrics = [np.zeros(shape, dtype) for shape, dtype in steps.metrics_shapes]
    n = len(X)
    batch_size = min(batch_size, n)
    n_batches = math.ceil(n / batch_size)
    n_pad = n_batches * batch_size - n
    weights = np.ones(n, np.float32) if sample_weight is None else np.asarray(sample_weight, np.float32)
    y = np.asarray(y, dtype=np.float32)
    rng = np.random.default_rng(seed)
    signature = ("train", batch_size, X.shape[1:], y.shape[1:])
    if learning_rate_schedule == "cosine":
        # the step size is an input of the compiled step: set it per batch, no recompiling
        rate_slot = _learning_rate_slot(model.optimizer)
        base_rate = state[2][rate_slot]
        total_steps, step = epochs * n_batches, 0

    history = {"loss": []}
    first_loss = latest = None
    if validation is not None:
        history["val_loss"] = []
        best = (np.inf, None, None)  # loss, weights, predictions
        stale_epochs = 0
        if validate_start:
            start_loss, start_predictions = _validation_loss(model, steps, state, *validation)
            best = (start_loss, state[:2], start_predictions)
            history["start_val_loss"] = [start_loss]
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
    initial = state
    try:
        for epoch in epoch_iter:
            order = rng.permutation(n) if shuffle else np.arange(n)
            batch_weights = weights[order]
            if n_pad:
                # pad to the compiled batch shape: zero weight on the padding and
                # a rescale so the last batch's mean loss is the unpadded mean
                n_real = batch_size - n_pad
                batch_weights[-n_real:] *= batch_size / n_real
                order = np.concatenate([order, np.full(n_pad, order[-1])])
                batch_weights = np.concatenate([batch_weights, np.zeros(n_pad, np.float32)])
            state = (*state[:3], zero_metrics)
            for b in range(n_batches):
                idx = order[b * batch_size : (b + 1) * batch_size]
                data = (_gather(X, idx), y[idx], batch_weights[b * batch_size : (b + 1) * batch_size])
                if learning_rate_schedule == "cosine":
                    optimizer_state = list(state[2])
                    optimizer_state[rate_slot] = base_rate * cosine_decay(step, total_steps)
                    state, step = (*state[:2], optimizer_state, *state[3:]), step + 1
                logs, state = steps.call(model, signature, steps.train, state, data)
                if first_loss is None:  # computed before the first update
                    first_loss = float(logs["loss"])
            logs = {"loss": float(logs["loss"])}
            if not np.isfinite(logs["loss"]):
                raise FloatingPointError(
                    f"The training loss became {logs['loss']} at epoch {epoch + 1}; "
                    "the model diverged. Lower learning_rate, scale X and y "
                    "(MinMaxScaler) or look for extreme values in the data."
                )
            if validation is not None:
                logs["val_loss"], latest = _validation_loss(model, steps, state, *validation)
                if logs["val_loss"] < best[0] - tol:
                    best = (logs["val_loss"], state[:2], latest)
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
    except BaseException:
        # callbacks saw synced weights: put the starting ones back
        if callback_list is not None:
            _assign(model.trainable_variables, initial[0])
            _assign(model.non_trainable_variables, initial[1])
        raise
    finally:
        if progress is not None:
            progress.close()
    if validation is not None and best[1] is not None:
        state = (*best[1], *state[2:])
        latest = best[2]
    if learning_rate_schedule == "cosine":  # the optimizer keeps its own step size
        optimizer_state = list(state[2])
        optimizer_state[rate_slot] = base_rate
        state = (*state[:2], optimizer_state, *state[3:])
    _assign(model.trainable_variables, state[0])
    _assign(model.non_trainable_variables, state[1])
    _assign(model.optimizer.variables, state[2])
    if callback_list is not None:
        callback_list.on_train_end()
    return Training(history, first_loss, latest, initial[:2])


# a final loss below this is no divergence; a recipe whose loss is in units of
# each window's changes passes a higher floor (a correction network that starts
# at a loss of 0 on a flat series drifts a little: JAX's |x| has gradient 1 at 0)
LOSS_FLOOR = 1e-12


def train(model, X, y, *, sample_weight=None, epochs, batch_size, seed, shuffle=True,
          validation=None, n_iter_no_change=10, tol=0.0, verbose=0, callbacks=None,
          learning_rate_schedule="constant", validate_start=False, loss_floor=LOSS_FLOOR,
          stacklevel=2):
    """Train the compiled ``model`` in place on windows ``X`` and targets ``y``.

    The one training entry of both faces: sklstm's loop on JAX
    (:func:`fit_jax`), ``Model.fit`` on other backends, then the divergence
    check (:func:`warn_if_diverged`). Arguments as :func:`fit_jax`; ``seed``
    seeds shuffling (and Keras's global seed on other backends);
    ``stacklevel`` points the divergence warning at the user's call, counted as
    ``warnings.warn`` counts it from this function.

    Returns
    -------
    training : Training
    """
    if uses_jax_engine():
        training = fit_jax(
            model, X, y, sample_weight=sample_weight, epochs=epochs, batch_size=batch_size,
            shuffle=shuffle, seed=seed, validation=validation,
            n_iter_no_change=n_iter_no_change, tol=tol, verbose=verbose, callbacks=callbacks,
            learning_rate_schedule=learning_rate_schedule, validate_start=validate_start,
        )
    else:
        training = _fit_with_keras(
            model, X, y, sample_weight=sample_weight, epochs=epochs, batch_size=batch_size,
            shuffle=shuffle, seed=seed, validation=validation,
            n_iter_no_change=n_iter_no_change, tol=tol, verbose=verbose, callbacks=callbacks,
            learning_rate_schedule=learning_rate_schedule, validate_start=validate_start,
        )
    warn_if_diverged(model, training, X, y, floor=loss_floor, stacklevel=stacklevel + 1)
    return training


def predict(model, X):
    """The network's output for windows ``X`` (n, sequence_length, n_features), NaN masked."""
    if uses_jax_engine():
        return predict_jax(model, X)
    return model.predict(np.asarray(X, dtype=np.float32), batch_size=1024, verbose=0)


class _FirstBatchLoss(keras.callbacks.Callback):
    """The loss of Model.fit's first batch: computed with the starting weights."""

    loss = None

    def on_train_batch_end(self, batch, logs=None):
        if self.loss is None and logs and "loss" in logs:
            self.loss = float(logs["loss"])


def _fit_with_keras(model, X, y, *, sample_weight, epochs, batch_size, shuffle, seed,
                    validation, n_iter_no_change, tol, verbose, callbacks,
                    learning_rate_schedule, validate_start):
    """Model.fit on another backend, handing back what sklstm's loop does."""
    first = _FirstBatchLoss()
    callbacks = [first, *(callbacks or [])]
    if learning_rate_schedule == "cosine":
        callbacks.append(CosineDecay(epochs * math.ceil(len(X) / batch_size)))
    held_out = None if validation is None else validation[0]
    if validation is not None:
        callbacks.append(keras.callbacks.EarlyStopping(
            patience=n_iter_no_change, min_delta=tol, restore_best_weights=True,
        ))
        known = ~np.isnan(validation[1]).any(axis=1)  # Model.fit scores NaN targets as NaN
        validation = (np.asarray(validation[0], dtype=np.float32)[known], validation[1][known])
    start = None
    if validate_start and validation is not None:
        loss = _per_sample_loss(model)
        start = (model.get_weights(), float(np.mean(keras.ops.convert_to_numpy(
            loss(validation[1], predict(model, validation[0]))))))
    keras.utils.set_random_seed(int(seed))
    fit = model.fit(
        np.asarray(X, dtype=np.float32), y, validation_data=validation,
        sample_weight=sample_weight, epochs=epochs, batch_size=batch_size,
        shuffle=shuffle, callbacks=callbacks, verbose=verbose,
    )
    if start is not None and not min(fit.history["val_loss"]) < start[1]:
        model.set_weights(start[0])  # no epoch beat the starting weights
    held = None if held_out is None else predict(model, held_out)
    return Training(fit.history, first.loss, held)


def warn_if_diverged(model, training, X, y, *, floor=LOSS_FLOOR, stacklevel=2):
    """Warn when the training loss ends far above the loss it started from.

    The start is the first batch's loss, which the loop computed with the
    starting weights; the first batch may not be typical (unshuffled rows of
    a trend), so a suspicious end is confirmed with the starting weights on
    up to 256 evenly spread rows: one small pass, only then.
    """
    losses = training.history.get("loss", [])
    start = training.first_loss
    if start is None or not losses or not losses[-1] > 10 * start + floor:
        return
    if training.start_weights is not None:
        start = _loss_with(model, training.start_weights, X, y)
        if start is None or not losses[-1] > 10 * start + floor:
            return
    # the step size as the user wrote it (float32 holds 0.003 as 0.0030000000260...)
    rate = float(f"{float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)):.7g}")
    warnings.warn(
        f"The training loss ended at {losses[-1]:.4g}, more than 10 times the "
        f"{start:.4g} it started from: training went the wrong way. Lower "
        f"learning_rate (now {rate}) or scale X and y.",
        RuntimeWarning, stacklevel=stacklevel,
    )


def _loss_with(model, weights, X, y, max_rows=256):
    """The mean loss of the network with ``weights`` on up to ``max_rows`` spread rows."""
    loss = _per_sample_loss(model)
    if not callable(loss) or not len(X):
        return None
    rows = np.unique(np.linspace(0, len(X) - 1, min(len(X), max_rows)).astype(int))
    try:
        pred = predict_jax(model, X[rows], None, *weights)
        return float(np.mean(np.asarray(loss(np.asarray(y[rows], dtype=np.float32),
                                             pred.reshape(np.shape(y[rows]))))))
    except Exception:  # a custom loss that needs more than (y_true, y_pred)
        return None
