"""The plain state of sklstm's estimators: what pickle, skops and save_estimator store.

Pickle, joblib and ``skops.io`` all read an estimator's ``__getstate__``;
skops stores only plain values (numbers, strings, bytes, NumPy arrays,
containers of them and classes the loader trusts). :class:`PlainState` makes
sklstm's estimators plain: the few members that are not become tagged dicts
of plain values, and ``__setstate__`` turns them back:

- a Keras model: its ``.keras`` file as bytes, loaded with ``safe_mode=True``
  (no code named by the file runs);
- a Keras optimizer or loss object: its Keras config, deserialized with
  ``safe_mode=True``;
- a pandas index (the windower's memory of time labels): its kind, values,
  frequency, time zone and name.

Members are converted where they are attributes, or inside a dict, list or
tuple that is one. Keras is never imported here: a Keras object can only
exist once Keras is loaded, so the windower stays free of it.
"""

import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

TAG = "__sklstm_plain__"


def _keras():
    return sys.modules.get("keras")


def model_to_bytes(model):
    """A Keras model's ``.keras`` file, as bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        return Path(path).read_bytes()


def model_from_bytes(data):
    """The Keras model of a ``.keras`` file's bytes, loaded in Keras's safe mode."""
    import keras

    from . import _model  # noqa: F401  registers NaNMask, which a fresh process has not seen

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        Path(path).write_bytes(bytes(data))
        return keras.saving.load_model(path, safe_mode=True)


def _index_to_plain(index):
    name = index.name
    if isinstance(index, pd.RangeIndex):
        return {TAG: "range_index", "start": index.start, "stop": index.stop,
                "step": index.step, "name": name}
    if isinstance(index, pd.DatetimeIndex):
        tz = None if index.tz is None else str(index.tz)
        naive = index if tz is None else index.tz_convert("UTC").tz_localize(None)
        return {TAG: "datetime_index", "values": naive.to_numpy(), "tz": tz,
                "freq": index.freqstr, "name": name}
    if isinstance(index, pd.PeriodIndex):
        return {TAG: "period_index", "ordinals": index.asi8.copy(), "freq": index.freqstr,
                "name": name}
    if type(index) is pd.Index and index.dtype.kind in "iuf":
        return {TAG: "numeric_index", "values": index.to_numpy(), "name": name}
    raise TypeError(
        f"sklstm cannot store a {type(index).__name__} of dtype {index.dtype} as plain "
        "state: only integer, float, date and period labels place rows in time."
    )


def _index_from_plain(value):
    kind = value[TAG]
    if kind == "range_index":
        start, stop, step = (int(value[k]) for k in ("start", "stop", "step"))
        return pd.RangeIndex(start, stop, step, name=value["name"])
    if kind == "datetime_index":
        values = np.asarray(value["values"])
        if values.dtype.kind != "M":
            raise ValueError("datetime_index values are not dates")
        index = pd.DatetimeIndex(values, name=value["name"])
        if value["tz"] is not None:
            index = index.tz_localize("UTC").tz_convert(str(value["tz"]))
        return pd.DatetimeIndex(index, freq=value["freq"]) if value["freq"] else index
    if kind == "period_index":
        ordinals = np.asarray(value["ordinals"])
        if ordinals.dtype.kind != "i":
            raise ValueError("period_index ordinals are not integers")
        return pd.PeriodIndex.from_ordinals(ordinals, freq=str(value["freq"]),
                                            name=value["name"])
    if kind != "numeric_index":
        raise ValueError(f"unknown kind of plain value {kind!r}")
    values = np.asarray(value["values"])
    if values.dtype.kind not in "iuf":
        raise ValueError("numeric_index values are not numbers")
    return pd.Index(values, name=value["name"])


def to_plain(value):
    """``value`` with its Keras objects and pandas indexes as tagged plain dicts."""
    if isinstance(value, pd.Index):
        return _index_to_plain(value)
    keras = _keras()
    if keras is not None:
        if isinstance(value, keras.Model):
            return {TAG: "keras_model", "data": model_to_bytes(value)}
        if isinstance(value, (keras.optimizers.Optimizer, keras.losses.Loss)):
            return {TAG: "keras_object", "config": keras.saving.serialize_keras_object(value)}
    if type(value) is dict:
        return {k: to_plain(v) for k, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(to_plain(v) for v in value)
    return value


def from_plain(value):
    """The inverse of :func:`to_plain`."""
    if type(value) is dict:
        kind = value.get(TAG)
        if kind == "keras_model":
            return model_from_bytes(value["data"])
        if kind == "keras_object":
            import keras

            return keras.saving.deserialize_keras_object(value["config"], safe_mode=True)
        if kind is not None:
            return _index_from_plain(value)
        return {k: from_plain(v) for k, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(from_plain(v) for v in value)
    return value


class PlainState:
    """Mixin: pickle, joblib and ``skops.io`` see only plain values (see the module)."""

    def __getstate__(self):
        return {name: to_plain(value) for name, value in super().__getstate__().items()}

    def __setstate__(self, state):
        super().__setstate__({name: from_plain(value) for name, value in state.items()})


def same_value(a, b):
    """Whether two parameter values are equal (arrays and odd ``==`` count as different)."""
    if a is b:
        return True
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:
        return False


@contextmanager
def all_or_nothing(estimator):
    """Restore ``estimator``'s previous state if the block raises or is interrupted.

    The attributes are restored, not objects mutated in place (a Keras
    model's weights are put back by the training loop itself).
    """
    before = dict(vars(estimator))
    try:
        yield
    except BaseException:
        vars(estimator).clear()
        vars(estimator).update(before)
        raise
