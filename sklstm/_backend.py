"""Keras backend selection and the JAX compilation cache.

Imported by ``sklstm/__init__.py`` before anything imports Keras, so the
JAX default applies only when the user has not chosen a backend.
"""

import os
from pathlib import Path

DEFAULT_BACKEND = "jax"

os.environ.setdefault("KERAS_BACKEND", DEFAULT_BACKEND)


def cache_dir():
    """Directory of sklstm's persistent JAX compilation cache.

    ``SKLSTM_CACHE_DIR`` overrides it; otherwise ``$XDG_CACHE_HOME/sklstm/jax``
    (``~/.cache/sklstm/jax``).
    """
    if os.environ.get("SKLSTM_CACHE_DIR"):
        return Path(os.environ["SKLSTM_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sklstm" / "jax"


_cache_configured = False


def enable_compilation_cache():
    """Point JAX's persistent compilation cache at :func:`cache_dir`.

    Called before the first fit. Does nothing when the backend is not JAX,
    when ``SKLSTM_COMPILATION_CACHE=0``, or when the user has already set
    ``jax_compilation_cache_dir`` themselves. Returns the directory in use, or
    None.
    """
    global _cache_configured
    import keras

    if keras.backend.backend() != "jax":
        return None
    import jax

    if _cache_configured or os.environ.get("SKLSTM_COMPILATION_CACHE", "1") == "0":
        return jax.config.jax_compilation_cache_dir
    _cache_configured = True
    if jax.config.jax_compilation_cache_dir is None:
        path = cache_dir()
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
        jax.config.update("jax_compilation_cache_dir", str(path))
        # Small LSTM programs compile in well under JAX's 1 s default
        # threshold, and the many tiny eager programs of a model build
        # (weight initialisers, optimizer slots: 10-80 ms each) load from
        # disk faster than they compile: cache every program.
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return jax.config.jax_compilation_cache_dir
