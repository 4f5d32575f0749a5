"""Training and prediction loops behind LSTMRegressor.

On the JAX backend, sklstm runs its own loop over Keras's pure
``train_step`` instead of ``keras.Model.fit``, because in a grid search the
cost of small LSTM fits is compilation, not arithmetic:

- **One compilation per architecture.** The jitted train and predict steps
  are cached under a key made of the model's config and compile config with
  the seeds, the float learning rate and Keras's auto-generated names
  (``adam_3``, ``logical_not_7``) left out, so every fold and refit of a grid
  search candidate, and every learning rate, reuse one compiled program.
  The steps are pure functions of the state passed in, so models of one
  architecture share them.
- **Fixed shapes.** The last partial batch is padded with zero-weight rows
  (the real rows' weights are scaled by ``batch_size / n_real`` so the mean
  loss and the gradient are those of the unpadded batch), and predictions
  run in two batch sizes (:data:`PREDICT_BUCKETS`), so a new number of rows
  never triggers a compilation.
- **Windows gathered per batch.** Batches are gathered from the (possibly
  strided, read-only view) input, so a sliding-window view of a long series
  is never materialised as an ``n x sequence_length x features`` array.
- **Compilation off the critical path.** The first fit of an architecture
  compiles the predict program in a background thread while the train step
  compiles; threads and processes that need a program another one is
  compiling wait for it (a file lock next to JAX's persistent cache) instead
  of compiling it again; and steps are compiled with XLA's backend
  optimisation level :data:`XLA_OPTIMIZATION_LEVEL`, which compiles these
  small recurrent programs about a third faster at the same step time.

Other backends fall back to ``Model.fit`` / ``Model.predict``.
"""

import atexit
import functools
import hashlib
import json
import math
import os
import pickle
import platform
import tempfile
import threading
import time
import weakref
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no cross-process compile lock
    fcntl = None

import keras
import numpy as np

#: Batch sizes predictions are padded to: one row (online prediction) or
#: blocks of 256 rows; two compiled programs per architecture at most.
PREDICT_BUCKETS = (1, 256)
#: XLA backend optimisation level of the compiled steps (XLA's default is 2).
XLA_OPTIMIZATION_LEVEL = 1
_CACHE_SIZE = 16
#: Longest wait (seconds) for another process compiling the same program.
_LOCK_TIMEOUT = 600
_STEP_CACHE = OrderedDict()
_CACHE_LOCK = threading.Lock()
_MODEL_STEPS = weakref.WeakKeyDictionary()


def uses_jax_engine():
    """Whether LSTMRegressor trains with this engine (Keras on JAX)."""
    return keras.backend.backend() == "jax"


def _nodes(node):
    """``node`` and everything nested in it through dicts, lists and tuples, depth first."""
    yield node
    if isinstance(node, dict):
        children = node.values()
    elif isinstance(node, (list, tuple)):
        children = node
    else:
        return
    for child in children:
        yield from _nodes(child)


def _canonical(config):
    """``config`` without seeds, float learning rates and auto-generated names.

    Every string used as a ``name`` is replaced, wherever it occurs (layer
    names are also the links between layers), by its order of appearance, so
    two models built the same way get the same key whatever Keras numbered
    their layers and optimizer.
    """
    names = {}
    for node in _nodes(config):
        if isinstance(node, dict) and isinstance(node.get("name"), str):
            names.setdefault(node["name"], f"#{len(names)}")

    def rewrite(node):
        if isinstance(node, dict):
            return {
                k: rewrite(v)
                for k, v in node.items()
                if k != "seed"
                and not (k == "learning_rate" and isinstance(v, (int, float)))
            }
        if isinstance(node, (list, tuple)):
            return [rewrite(v) for v in node]
        if isinstance(node, str):
            return names.get(node, node)
        return node

    return rewrite(config)


def architecture_key(model):
    """Key under which two models share compiled steps, or None.

    Two models get the same key when they compute the same function of
    their variables: same layers, shapes, loss and optimizer type. Seeds,
    a float learning rate (an optimizer variable, passed in with the state)
    and Keras's auto-generated names do not matter.
    """
    try:
        return json.dumps(
            _canonical([model.get_config(), model.get_compile_config()]),
            sort_keys=True,
            default=repr,
        )
    except Exception:  # a custom model that cannot describe itself
        return None


def _only_keras_and_sklstm_code(model):
    """Whether every layer, loss, metric and optimizer of ``model`` comes from Keras or sklstm.

    Their versions and sources are in :func:`_environment_fingerprint`; a
    user's own layer, activation or loss function is not, so a program
    running it is never stored for another process (it may have been edited
    since). Layers are read from the model's config (a function there is
    always the user's: Keras's own activations are names); the compiled loss
    and metrics from the objects passed to ``compile`` (Keras serialises
    every function, its own too, as a bare name).
    """
    try:
        layers = list(_nodes(model.get_config()))
        compiled = list(_nodes([model.optimizer, *model._compile_config.config.values()]))
    except Exception:  # no config, or Keras changed its private compile record
        return False
    modules = {str(node["module"]) for node in layers if isinstance(node, dict) and "module" in node}
    modules.update(
        # a function's or class's own module; an instance's class's
        str(getattr(node, "__module__", None) or type(node).__module__)
        for node in compiled
        if node is not None and not isinstance(node, (dict, list, tuple, str, int, float, bool))
    )
    return all(module.split(".")[0] in ("keras", "sklstm") for module in modules)


class CompiledSteps:
    """Jitted train and predict steps of one architecture.

    The steps are traced from the first model of the architecture and are
    pure functions of the state they are given, so every model of the same
    architecture can use them.

    Each program is compiled once: threads of one process wait for the
    thread compiling it, and processes sharing the persistent compilation
    cache (loky workers of ``GridSearchCV(n_jobs=...)``) wait for the process
    compiling it and then load it from the cache (see :func:`_process_lock`).
    """

    def __init__(self, model, key=None):
        import jax

        _listen_for_cache_hits()
        options = {"xla_backend_optimization_level": XLA_OPTIMIZATION_LEVEL}
        self.model = model
        self.key = key
        self.storable = key is not None and _only_keras_and_sklstm_code(model)

        def train(state, data):
            return model.train_step(state, data)

        def predict(trainable, non_trainable, x):
            y_pred, _ = model.stateless_call(trainable, non_trainable, x, training=False)
            return y_pred

        # The program names carry the environment fingerprint, so JAX's own
        # cache keys change whenever ours do: a program sklstm must store is
        # compiled afresh, not loaded from JAX's cache (see _compile).
        tag = hashlib.sha256(_environment_fingerprint().encode()).hexdigest()[:12]
        train.__name__ = f"sklstm_train_{tag}"
        predict.__name__ = f"sklstm_predict_{tag}"
        self.train = jax.jit(train, compiler_options=options)
        self.predict = jax.jit(predict, compiler_options=options)
        self.metrics_shapes = None
        self._lock = threading.Lock()
        self._trace_lock = threading.Lock()
        self._program_locks = {}
        self._executables = {}
        self._precompiling = None

    def prepare_training(self, X, y):
        """Build the loss, metrics and optimizer of the model the steps trace.

        Done once per architecture: the models that reuse the steps need
        only their optimizer built, not Keras's symbolic build. The first
        time, also start compiling the predict program in the background
        (:meth:`precompile_predict`).
        """
        with self._lock:
            if self.metrics_shapes is None:
                _ensure_built(self.model, X, y)
                self.metrics_shapes = [(v.shape, v.dtype) for v in self.model.metrics_variables]
        self.precompile_predict(X.shape[1:])

    def call(self, signature, function, *args):
        """Run the compiled program ``signature`` of jitted ``function`` on ``args``.

        ``signature`` names the program (kind and shapes). The first call
        compiles it: tracing runs under the steps' trace lock (Keras layers
        keep per-call state, such as dropout masks, while being traced, so
        one model is traced by one thread at a time), compilation under the
        program's thread lock and process lock, so concurrent callers wait
        for one compilation instead of each compiling, and compilations of
        different programs run in parallel.
        """
        executable = self._executables.get(signature)
        if executable is None:
            executable = self._compile(signature, function, args)
        try:
            return executable(*args)
        except TypeError:
            # arguments typed unlike the compiled program's (e.g. weak
            # types): let jit specialise for them
            return function(*args)

    def _compile(self, signature, function, args):
        with self._lock:
            lock = self._program_locks.setdefault(signature, threading.Lock())
        with lock:
            executable = self._executables.get(signature)
            if executable is not None:
                return executable
            path = _program_file("sklstm-executables", self.key, signature, ".bin") if self.storable else None
            executable = _load_executable(path)
            if executable is None:
                with _process_lock(self.key, signature):
                    # another process may have stored it while we waited
                    executable = _load_executable(path)
                    if executable is None:
                        with self._trace_lock:
                            lowered = function.trace(*args).lower()
                        _COMPILING.cache_hit = False
                        executable = lowered.compile()
                        # JAX cannot serialise again a CPU program it loaded
                        # from its own cache (it fails when run): store fresh
                        # compilations only. Our store and JAX's cache keys
                        # change together (see __init__), so a program missing
                        # here is also missing there, unless this store alone
                        # was deleted: then it is traced each time, as before.
                        if not _COMPILING.cache_hit:
                            _store_executable(path, executable, args)
            self._executables[signature] = executable
        return executable

    def precompile_predict(self, window_shape):
        """Compile the block-size predict program in a background thread.

        Fitting a new architecture compiles the train step; the predict
        program (needed by early stopping and by every ``predict`` or
        ``score`` after fit) compiles meanwhile on another core instead of
        after it. Runs once per architecture; a failure here only means the
        program is compiled on first use instead.
        """
        size = PREDICT_BUCKETS[-1]
        with self._lock:
            if self._precompiling is not None or ("predict", size) in self._executables:
                return
            self._precompiling = thread = threading.Thread(
                target=self._precompile, args=(size, tuple(window_shape)),
                name="sklstm-precompile-predict", daemon=True,
            )
        _PRECOMPILE_THREADS.add(thread)
        thread.start()

    def _precompile(self, size, window_shape):
        try:
            x = np.zeros((size, *window_shape), np.float32)
            trainable = _values(self.model.trainable_variables)
            non_trainable = _values(self.model.non_trainable_variables)
            self.call(("predict", size), self.predict, trainable, non_trainable, x)
        except Exception:  # compiled on first use instead
            pass


_PRECOMPILE_THREADS = weakref.WeakSet()


@atexit.register
def _join_precompile_threads():
    """Let background compilations finish before the interpreter exits."""
    for thread in list(_PRECOMPILE_THREADS):
        thread.join(timeout=60)


_COMPILING = threading.local()


def _note_cache_hit(event, **kwargs):
    if event == "/jax/compilation_cache/cache_hits":
        _COMPILING.cache_hit = True


_LISTENING = False
_LISTENER_LOCK = threading.Lock()


def _listen_for_cache_hits():
    """Record in :data:`_COMPILING` when JAX loads a program from its cache."""
    global _LISTENING
    with _LISTENER_LOCK:
        if not _LISTENING:
            import jax.monitoring

            jax.monitoring.register_event_listener(_note_cache_hit)
            _LISTENING = True


@functools.cache
def _environment_fingerprint():
    """What a compiled program depends on besides its architecture and shapes.

    Versions of sklstm, Keras, JAX and jaxlib, the sources of sklstm (the
    engine and the layers it traces), the device, JAX's 64-bit mode and the
    CPU's instruction-set flags (XLA compiles for the host CPU).
    """
    import jax
    import jaxlib

    from ._version import __version__

    device = jax.devices()[0]
    sources = hashlib.sha256()
    for module_file in sorted(Path(__file__).parent.glob("*.py")):
        sources.update(module_file.read_bytes())
    cpu_flags = ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu_flags = next((line for line in cpuinfo if line.startswith("flags")), "")
    except OSError:
        pass
    return repr((
        __version__, keras.__version__, jax.__version__, jaxlib.__version__,
        sources.hexdigest(), device.platform, device.device_kind,
        device.client.platform_version, jax.config.jax_enable_x64,
        platform.machine(), cpu_flags,
    ))


def _program_file(folder, key, signature, suffix):
    """File naming program ``signature`` of architecture ``key`` in ``folder`` of the cache.

    sklstm keeps two kinds next to JAX's persistent compilation cache: the
    serialized programs (``sklstm-executables/``), which a new process (a
    loky or Dask worker, a new session, the CLI) loads in milliseconds
    instead of tracing Keras's train step again, and the compile locks
    (``sklstm-locks/``). None without the cache or an architecture key.
    """
    if key is None:
        return None
    import jax

    cache_dir = jax.config.jax_compilation_cache_dir
    if not cache_dir:
        return None
    digest = hashlib.sha256(
        repr((key, signature, XLA_OPTIMIZATION_LEVEL, _environment_fingerprint())).encode()
    ).hexdigest()
    return Path(cache_dir) / folder / f"{digest[:40]}{suffix}"


def _load_executable(path):
    """The program stored at ``path``, or None when absent or unreadable.

    Like JAX's own persistent cache, this loads executable code: the cache
    directory must be trusted (by default it is in the user's home).
    """
    if path is None:
        return None
    try:
        return _deserialize(path.read_bytes())
    except Exception:  # absent, truncated or from an incompatible build: recompile
        return None


def _deserialize(blob):
    from jax.experimental.serialize_executable import deserialize_and_load

    payload, in_tree, out_tree = pickle.loads(blob)
    return deserialize_and_load(payload, in_tree, out_tree)


def _store_executable(path, executable, args):
    """Write ``executable`` to ``path`` atomically, if its serialised form runs.

    The stored bytes are loaded back and run once on ``args`` (the steps are
    pure) before they replace ``path``, so a program that would not load in a
    later process is never stored. Any failure only skips the store.
    """
    if path is None:
        return
    tmp = None
    try:
        import jax
        from jax.experimental.serialize_executable import serialize

        blob = pickle.dumps(serialize(executable), protocol=pickle.HIGHEST_PROTOCOL)
        jax.block_until_ready(_deserialize(blob)(*args))
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as file:
            file.write(blob)
        os.replace(tmp, path)
        tmp = None
    except Exception:
        pass
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


@contextmanager
def _process_lock(key, signature):
    """Hold a file lock naming one program while compiling it.

    With JAX's persistent compilation cache on, processes (loky workers)
    that need the same program at the same time would each compile it; with
    this lock the first compiles and writes it to the cache, the others wait
    and then load it from the cache. Without the cache, or for models
    without an architecture key, or after :data:`_LOCK_TIMEOUT` seconds of
    waiting, there is no lock.
    """
    path = _program_file("sklstm-locks", key, signature, ".lock") if fcntl is not None else None
    fd = None
    if path is not None:
        try:
            path.parent.mkdir(exist_ok=True)
            fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
        except OSError:
            fd = None
    locked = False
    if fd is not None:
        deadline = time.monotonic() + _LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                locked = True
                break
            except OSError:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.05)
    try:
        yield
    finally:
        if fd is not None:
            if locked:
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def compiled_steps(model):
    """Return the cached :class:`CompiledSteps` for ``model``'s architecture."""
    steps = _MODEL_STEPS.get(model)
    if steps is not None:
        return steps
    key = architecture_key(model)
    with _CACHE_LOCK:
        if key is not None and key in _STEP_CACHE:
            _STEP_CACHE.move_to_end(key)
            steps = _STEP_CACHE[key]
        else:
            steps = CompiledSteps(model, key)
            if key is not None:
                _STEP_CACHE[key] = steps
                if len(_STEP_CACHE) > _CACHE_SIZE:
                    _STEP_CACHE.popitem(last=False)
        _MODEL_STEPS[model] = steps
    return steps


def clear_cache():
    """Forget every cached compiled step (they are rebuilt on demand)."""
    with _CACHE_LOCK:
        _STEP_CACHE.clear()
        _MODEL_STEPS.clear()


def _values(variables):
    return [v.value for v in variables]


def _assign(variables, values):
    for variable, value in zip(variables, values):
        variable.assign(value)


def _gather(X, idx):
    """Rows ``idx`` of X as a new float32 array (X may be a strided view).

    Fancy indexing of a sliding-window view copies just these windows, and
    is many times faster than ``np.take`` on such a view.
    """
    return X[idx].astype(np.float32, copy=False)


def _ensure_built(model, X, y):
    """Build the compiled loss, metrics and optimizer as ``Model.fit`` does."""
    batch = (_gather(X, np.arange(1)), y[:1].astype(np.float32))
    model._symbolic_build(data_batch=batch)
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)


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
        y = steps.call(("predict", size), steps.predict, trainable, non_trainable, x)
        yield stop - start, y


def predict_jax(model, X, steps=None, trainable=None, non_trainable=None):
    """Predict ``X`` (n, sequence_length, n_features) in fixed batch sizes.

    X may be a strided view and may hold NaN (masked steps); it is copied
    block by block, never as a whole.
    """
    steps = steps or compiled_steps(model)
    if trainable is None:
        trainable = _values(model.trainable_variables)
        non_trainable = _values(model.non_trainable_variables)
    outputs = [np.asarray(y)[:n] for n, y in _predict_padded(model, X, steps, trainable, non_trainable)]
    if not outputs:
        return np.empty((0, model.outputs[0].shape[-1]), dtype=np.float32)
    return outputs[0] if len(outputs) == 1 else np.concatenate(outputs)


def _per_sample_loss(model):
    loss = model.loss
    if isinstance(loss, str):
        return keras.losses.get(loss)
    if isinstance(loss, keras.losses.Loss):
        return loss.call
    return loss


def _validation_loss(model, steps, state, X_val, y_val):
    """Mean loss on the validation rows, computed on the padded blocks.

    The loss runs on fixed (bucket-sized) arrays, so its few eager ops
    compile once per process, not once per validation size.
    """
    loss_fn = _per_sample_loss(model)
    total, start = 0.0, 0
    for n_real, y_pred in _predict_padded(model, X_val, steps, state[0], state[1]):
        y_true = np.zeros(y_pred.shape, np.float32)
        y_true[:n_real] = y_val[start : start + n_real]
        values = keras.ops.convert_to_numpy(loss_fn(y_true, y_pred))
        total += float(np.sum(values.reshape(len(values), -1)[:n_real].mean(axis=1)))
        start += n_real
    return total / len(X_val)


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

    The model's variables are written only at the end (or for callbacks),
    so an exception during training leaves the model as it was.
    """
    steps = compiled_steps(model)
    steps.prepare_training(X, y)
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    state = (
        _values(model.trainable_variables),
        _values(model.non_trainable_variables),
        _values(model.optimizer.variables),
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

    history = {"loss": []}
    if validation is not None:
        history["val_loss"] = []
        best = (np.inf, None)
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
                logs, state = steps.call(signature, steps.train, state, data)
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
    _assign(model.trainable_variables, state[0])
    _assign(model.non_trainable_variables, state[1])
    _assign(model.optimizer.variables, state[2])
    if callback_list is not None:
        callback_list.on_train_end()
    return history
