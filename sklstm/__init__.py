"""sklstm: LSTM forecasting as scikit-learn estimators.

``SequenceWindower`` turns rows in time order into windows of the past,
``LSTMRegressor`` (a SciKeras regressor) learns from them, and both compose
with scikit-learn's ``Pipeline``, ``TimeSeriesSplit`` and ``GridSearchCV``.

Keras runs on JAX unless ``KERAS_BACKEND`` names another backend before
sklstm (or Keras) is first imported; ``sklstm.show_versions()`` reports it.
"""

from . import _backend  # noqa: F401  (picks the Keras backend before Keras loads)
from ._framing import make_supervised
from ._regressor import LSTMRegressor
from ._show_versions import show_versions
from ._windower import SequenceWindower

__version__ = "0.1.0"

__all__ = [
    "LSTMRegressor",
    "SequenceWindower",
    "make_supervised",
    "show_versions",
    "__version__",
]
