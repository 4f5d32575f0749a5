"""Report versions and the active Keras backend, for bug reports."""

import platform
import sys
from importlib.metadata import PackageNotFoundError, version

_PACKAGES = ("sklstm", "scikit-learn", "scikeras", "keras", "jax", "jaxlib",
             "numpy", "pandas", "matplotlib")


def _versions():
    import keras

    info = {"python": sys.version.split()[0], "platform": platform.platform(),
            "keras backend": keras.backend.backend()}
    for name in _PACKAGES:
        try:
            info[name] = version(name)
        except PackageNotFoundError:
            info[name] = "not installed"
    return info


def show_versions():
    """Print the versions of sklstm's dependencies and the Keras backend.

    The backend is JAX unless the ``KERAS_BACKEND`` environment variable
    named another one before ``sklstm`` (or Keras) was first imported.

    Examples
    --------
    >>> import sklstm
    >>> sklstm.show_versions()  # doctest: +ELLIPSIS
    python: ...
    keras backend: ...
    """
    for key, value in _versions().items():
        print(f"{key}: {value}")
