"""sklstm: LSTM forecasting as scikit-learn estimators.

``SequenceWindower`` turns rows in time order into windows of the past,
``LSTMRegressor`` (a SciKeras regressor) learns from them, and both compose
with scikit-learn's ``Pipeline``, ``TimeSeriesSplit`` and ``GridSearchCV``.

Keras runs on JAX unless ``KERAS_BACKEND`` names another backend before
sklstm (or Keras) is first imported; ``sklstm.show_versions()`` reports it.
"""

import importlib

from . import _backend  # noqa: F401  (picks the Keras backend before Keras loads)
from ._version import __version__

# Loaded on first use, so `import sklstm` (and with it `sklstm --help`) loads
# neither Keras nor JAX nor scikit-learn until an estimator is used.
_LAZY = {
    "LSTMForecaster": "._forecaster",
    "LSTMRegressor": "._regressor",
    "SequenceWindower": "._windower",
    "make_supervised": "._framing",
    "long_to_wide": "._framing",
    "wide_to_long": "._framing",
    "show_versions": "._show_versions",
    "PersistenceRegressor": "._baselines",
    "forecast": "._forecast",
    "PanelSplit": "._splits",
    "save_estimator": "._persistence",
    "load_estimator": "._persistence",
    "skops_trusted_types": "._persistence",
}

__all__ = [
    "LSTMForecaster",
    "LSTMRegressor",
    "PanelSplit",
    "PersistenceRegressor",
    "SequenceWindower",
    "forecast",
    "load_estimator",
    "long_to_wide",
    "make_supervised",
    "save_estimator",
    "show_versions",
    "skops_trusted_types",
    "wide_to_long",
    "__version__",
]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'sklstm' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
