"""Compiled programs of the JAX engine: one set per architecture, a bounded cache.

The training loop (:mod:`sklstm._engine`) asks this module for the
compiled train and predict steps of a model; this module owns everything
about them:

- **One compilation per architecture.** The jitted train and predict steps
  are cached under a key made of the model's config and compile config with
  the seeds, the float learning rate and Keras's auto-generated names
  (``adam_3``, ``logical_not_7``) left out, so every fold and refit of a grid
  search candidate, and every learning rate, reuse one compiled program.
  The steps are pure functions of the state passed in, so models of one
  architecture share them.
- **A real memory bound.** The cache keeps the steps of the
  :func:`cache_size` most recently used architectures (16 by default,
  ``SKLSTM_PROGRAM_CACHE_SIZE`` sets it). Its entries hold compiled programs
  and no model: a model is lent to the steps only while they trace a
  program, and the steps of a model still in use stay reachable from that
  model alone, so an evicted architecture's programs are freed once its
  last model is. Building a model of a new architecture also leaves JAX
  with eager programs for the new weight shapes (about 1.4 MiB each) in its
  own in-memory caches, which are bounded only at thousands of entries:
  once the cache is full, every :func:`cache_size` new architectures it
  calls :func:`jax.clear_caches` to drop them (the cached steps are
  compiled ahead of time and held here, so they survive it).
- **Compilation off the critical path.** The first fit of an architecture
  compiles the predict program in a background thread while the train step
  compiles; threads and processes that need a program another one is
  compiling wait for it (a file lock next to JAX's persistent cache) instead
  of compiling it again; and steps are compiled with XLA's backend
  optimisation level :data:`XLA_OPTIMIZATION_LEVEL`, which compiles these
  small recurrent programs about a third faster at the same step time.
- **Stored programs.** Programs running only Keras's and sklstm's code are
  serialised next to JAX's persistent compilation cache
  (``sklstm-executables/``), so a new process loads them instead of tracing
  Keras's train step again.
"""

import atexit
import functools
import hashlib
import json
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
#: Architectures whose compiled steps the cache keeps, unless
#: ``SKLSTM_PROGRAM_CACHE_SIZE`` says otherwise (see :func:`cache_size`).
DEFAULT_CACHE_SIZE = 16
#: Longest wait (seconds) for another process compiling the same program.
_LOCK_TIMEOUT = 600


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

    The steps are pure functions of the state they are given, so every
    model of the architecture can use them. They hold no model: the caller
    passes its model to :meth:`call`, which lends it to the traced functions
    only while a new program is traced (see :meth:`_tracing`).

    Each program is compiled once: threads of one process wait for the
    thread compiling it, and processes sharing the persistent compilation
    cache (loky workers of ``GridSearchCV(n_jobs=...)``) wait for the process
    compiling it and then load it from the cache (see :func:`_process_lock`).
    """

    def __init__(self, model, key=None):
        import jax

        _listen_for_cache_hits()
        options = {"xla_backend_optimization_level": XLA_OPTIMIZATION_LEVEL}
        self.key = key
        self.storable = key is not None and _only_keras_and_sklstm_code(model)
        # the model being traced; set only under the trace lock
        tracing = self._tracing_slot = [None]

        def train(state, data):
            return tracing[0].train_step(state, data)

        def predict(trainable, non_trainable, x):
            y_pred, _ = tracing[0].stateless_call(trainable, non_trainable, x, training=False)
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
        # a model with Keras's compiled loss and metrics built (what tracing
        # the train step needs), weakly: the cache must not keep it alive
        self._built = lambda: None
        self._lock = threading.Lock()
        self._trace_lock = threading.Lock()
        self._program_locks = {}
        self._executables = {}
        self._precompiling = None

    def prepare_training(self, model, X, y):
        """Build the loss, metrics and optimizer of the first model of the architecture.

        Done once per architecture (it gives the shapes of the metric
        variables): the models that reuse the steps need only their
        optimizer built, not Keras's symbolic build. The first time, also
        start compiling the predict program in the background
        (:meth:`precompile_predict`).
        """
        with self._trace_lock:
            if self.metrics_shapes is None:
                _ensure_built(model, X, y)
                self._built = weakref.ref(model)
                self.metrics_shapes = [(v.shape, v.dtype) for v in model.metrics_variables]
        self.precompile_predict(model, X.shape[1:])

    def call(self, model, signature, function, *args):
        """Run the compiled program ``signature`` of jitted ``function`` on ``args``.

        ``signature`` names the program (kind and shapes); ``model`` is a
        model of the architecture, traced if the program must be compiled.
        The first call compiles it: tracing runs under the steps' trace lock
        (Keras layers keep per-call state, such as dropout masks, while being
        traced, so one model is traced by one thread at a time), compilation
        under the program's thread lock and process lock, so concurrent
        callers wait for one compilation instead of each compiling, and
        compilations of different programs run in parallel.
        """
        executable = self._executables.get(signature)
        if executable is None:
            executable = self._compile(model, signature, function, args)
        try:
            return executable(*args)
        except TypeError:
            # arguments typed unlike the compiled program's (e.g. weak
            # types): let jit specialise for them
            with self._tracing(model, function, args):
                return function(*args)

    @contextmanager
    def _tracing(self, model, function, args):
        """Lend a model to the traced functions, under the trace lock.

        Tracing the train step needs Keras's compiled loss and metrics: the
        model that was built for them, while it lives, else ``model`` built
        now from the batch in ``args``.
        """
        with self._trace_lock:
            if function is self.train:
                built = self._built()
                if built is None:
                    x, y = args[1][:2]
                    _ensure_built(model, x, y)
                    self._built = weakref.ref(model)
                else:
                    model = built
            self._tracing_slot[0] = model
            try:
                yield
            finally:
                self._tracing_slot[0] = None

    def _compile(self, model, signature, function, args):
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
                        with self._tracing(model, function, args):
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

    def precompile_predict(self, model, window_shape):
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
                target=self._precompile,
                args=(model, size, tuple(window_shape)),
                name="sklstm-precompile-predict", daemon=True,
            )
        _PRECOMPILE_THREADS.add(thread)
        thread.start()

    def _precompile(self, model, size, window_shape):
        try:
            x = np.zeros((size, *window_shape), np.float32)
            trainable = variable_values(model.trainable_variables)
            non_trainable = variable_values(model.non_trainable_variables)
            self.call(model, ("predict", size), self.predict, trainable, non_trainable, x)
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


#: The modules of sklstm whose code a compiled program runs: the layers it
#: traces and the functions it is traced from. The program cache is keyed on
#: their sources, so editing any other module (the CLI's text, say) keeps
#: the stored programs.
TRACED_MODULES = ("_model.py", "_programs.py")


@functools.cache
def _environment_fingerprint():
    """What a compiled program depends on besides its architecture and shapes.

    Versions of sklstm, Keras, JAX and jaxlib, the sources of
    :data:`TRACED_MODULES`, the device, JAX's 64-bit mode and the CPU's
    instruction-set flags (XLA compiles for the host CPU).
    """
    import jax
    import jaxlib

    from ._version import __version__

    device = jax.devices()[0]
    sources = hashlib.sha256()
    for name in TRACED_MODULES:
        sources.update((Path(__file__).parent / name).read_bytes())
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


def cache_size():
    """How many architectures' compiled steps the cache keeps.

    ``SKLSTM_PROGRAM_CACHE_SIZE`` (a positive integer) if set, else
    :data:`DEFAULT_CACHE_SIZE`. Read for every model new to the cache, so it
    can be changed between searches.
    """
    value = os.environ.get("SKLSTM_PROGRAM_CACHE_SIZE", "").strip()
    if not value:
        return DEFAULT_CACHE_SIZE
    try:
        size = int(value)
    except ValueError:
        size = 0
    if size < 1:
        raise ValueError(
            f"SKLSTM_PROGRAM_CACHE_SIZE must be a positive integer (architectures whose "
            f"compiled programs are kept in memory), got {value!r}; set it to e.g. "
            f"{DEFAULT_CACHE_SIZE}, or unset it for the default."
        )
    return size


class ProgramCache:
    """The :class:`CompiledSteps` of the most recently used architectures.

    A least-recently-used map from architecture key to steps, bounded by
    :func:`cache_size`, plus a weak map from each model to its steps (so
    ``predict`` finds them without computing the key, and a model keeps
    the steps it was fitted with after they leave the LRU). Neither holds a
    model: the steps hold none, and the weak map's values do not refer to
    its keys, so a model dies with its last outside reference and an evicted
    architecture's programs with its last model.
    """

    def __init__(self):
        self._lru = OrderedDict()
        self._by_model = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self._new_architectures = 0

    def __len__(self):
        return len(self._lru)

    def steps(self, model):
        """The steps of ``model``'s architecture, made (not compiled) if new."""
        steps = self._by_model.get(model)
        if steps is not None:
            return steps
        key = architecture_key(model)
        size = cache_size()
        with self._lock:
            steps = self._lru.get(key) if key is not None else None
            if steps is not None:
                self._lru.move_to_end(key)
            else:
                steps = CompiledSteps(model, key)
                if key is not None:
                    self._lru[key] = steps
                    self._add_and_evict(size)
            self._by_model[model] = steps
        return steps

    def _add_and_evict(self, size):
        self._new_architectures += 1
        if len(self._lru) <= size:
            return
        while len(self._lru) > size:
            self._lru.popitem(last=False)
        if self._new_architectures > size:
            # JAX keeps the eager programs of every model build (new weight
            # shapes) in caches bounded only at thousands of entries: drop
            # them once per `size` new architectures, when the cache is full
            # (so a search of fewer architectures never pays for it). The
            # cached steps are compiled ahead of time and held here: they stay.
            import jax

            jax.clear_caches()
            self._new_architectures = 0

    def clear(self):
        """Forget every architecture's steps, those of models in use too (made again on demand)."""
        with self._lock:
            self._lru.clear()
            self._by_model.clear()
            self._new_architectures = 0


_PROGRAMS = ProgramCache()


def compiled_steps(model):
    """Return the cached :class:`CompiledSteps` for ``model``'s architecture."""
    return _PROGRAMS.steps(model)


def clear_cache():
    """Forget every cached compiled step (they are rebuilt on demand)."""
    _PROGRAMS.clear()


def variable_values(variables):
    """The current values of Keras ``variables``, as a list of arrays."""
    return [v.value for v in variables]


def _ensure_built(model, X, y):
    """Build the compiled loss, metrics and optimizer as ``Model.fit`` does."""
    batch = (np.asarray(X[:1], dtype=np.float32), np.asarray(y[:1], dtype=np.float32))
    model._symbolic_build(data_batch=batch)
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
