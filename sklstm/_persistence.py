"""Save and load fitted estimators without pickle.

A save is a zip archive (a path ending in ``.zip``) or a directory holding:

- ``manifest.json``: file format, the versions of sklstm, Keras and
  scikit-learn that wrote it, and the SHA-256 and size of every other file;
- ``estimator.json``: the estimator tree, its parameters and fitted
  attributes as tagged JSON;
- ``arrays/<i>.npy``: numeric arrays (``numpy.save`` without pickle);
- ``keras/<i>.keras``: each Keras model, in Keras's own format.

Loading verifies every checksum before it reads anything, rebuilds only the
estimator classes in :data:`ALLOWED_ESTIMATORS` (and sklstm's own
model-building functions in :data:`ALLOWED_FUNCTIONS`), reads arrays with
``allow_pickle=False`` and models with Keras's ``safe_mode=True``: no code
named by the file is imported or run. Writes go to a temporary file (or
directory) next to the target, are fsynced, and then renamed over it with
``os.replace``, so an interrupted save leaves the previous save or nothing.
A directory save killed between moving the previous save aside and moving
the new one in leaves both under hidden names; :func:`load_estimator` then
loads the complete new copy (or else the previous one) with a warning. An
existing path is replaced only if it is a save itself.
"""

import contextlib
import glob
import hashlib
import io
import json
import os
import platform
import secrets
import shutil
import types
import warnings
import zipfile
from collections import defaultdict
from importlib import import_module
from pathlib import Path

import numpy as np
import pandas as pd

from ._state import model_from_bytes, model_to_bytes

FORMAT = "sklstm-estimator"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ROOT = "estimator.json"

#: Estimator classes that :func:`load_estimator` rebuilds, by public name.
#: Only exact instances of these classes are saved (not subclasses).
ALLOWED_ESTIMATORS = (
    "sklstm.LSTMRegressor",
    "sklstm.SequenceWindower",
    "sklstm.PersistenceRegressor",
    "sklstm.LSTMForecaster",
    "sklearn.pipeline.Pipeline",
    "sklearn.compose.TransformedTargetRegressor",
    "sklearn.preprocessing.MinMaxScaler",
    "sklearn.preprocessing.StandardScaler",
    "sklearn.preprocessing.MaxAbsScaler",
    "sklearn.preprocessing.RobustScaler",
    "sklearn.preprocessing.FunctionTransformer",
    "sklearn.linear_model.LinearRegression",
    "sklearn.linear_model.Ridge",
    "sklearn.dummy.DummyRegressor",
    "scikeras.utils.transformers.RegressorTargetEncoder",
)

#: Functions that may appear as parameters (sklstm's own model-building
#: hooks), stored and rebuilt by public name only. None at present: the
#: highway is an option of sklstm's network (``LSTMRegressor(highway=...)``).
ALLOWED_FUNCTIONS = ()

#: sklstm 0.2 built the network of ``LSTMForecaster(trend="highway")`` with this
#: function, routed ``model__target_index`` and ``model__seed`` to it and saved
#: its name; a regressor saved so loads as ``LSTMRegressor(highway=1)`` with its
#: saved (fitted) network, see :func:`_upgrade_highway_0_2`.
HIGHWAY_0_2 = "sklstm._forecaster.build_highway_model"

#: The types sklstm's estimators hold beyond scikit-learn's, by the names
#: ``skops.io`` gives them: see :func:`skops_trusted_types`.
_SKOPS_TRUSTED_TYPES = (
    "sklstm._forecaster.LSTMForecaster",
    "sklstm._regressor.LSTMRegressor",
    "sklstm._windower.SequenceWindower",
    "sklstm._baselines.PersistenceRegressor",
    "scikeras.utils.transformers.RegressorTargetEncoder",
    "numpy.dtype",
)

# Versions compared on load; a difference warns, and a failure names both.
_CHECKED_VERSIONS = ("sklstm", "keras", "scikit-learn")
_DEFAULT_FACTORIES = {"list": list, "dict": dict, "int": int, "float": float}
_BUILTIN_TYPES = {"float": float, "int": int, "bool": bool, "str": str}


class LoadError(ValueError):
    """A save that is damaged, modified, crafted or from an unreadable version."""


# --- versions ---------------------------------------------------------------


def _versions():
    import keras
    import scikeras
    import sklearn

    from ._version import __version__

    return {
        "sklstm": __version__,
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "scikit-learn": sklearn.__version__,
        "scikeras": scikeras.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def _describe_versions(versions):
    return ", ".join(f"{name} {versions.get(name, '?')}" for name in _CHECKED_VERSIONS)


# --- the allow-list ---------------------------------------------------------


def _resolve(public_name):
    module, _, name = public_name.rpartition(".")
    return getattr(import_module(module), name)


def _resolve_allowed(public_names):
    """``{object: public name}`` for the allow-listed names that import here."""
    resolved = {}
    for public_name in public_names:
        try:
            resolved[_resolve(public_name)] = public_name
        except (ImportError, AttributeError):  # an optional package is missing
            continue
    return resolved


def _resolve_if_allowed(public_name, allowed, kind):
    """The object named ``public_name``, or a LoadError if it is not allow-listed."""
    if public_name not in allowed:
        raise LoadError(
            f"the file asks for {kind} {public_name!r}, which is not "
            "allow-listed for safe loading"
        )
    return _resolve(public_name)


# --- encoding ---------------------------------------------------------------


class _Encoder:
    """Turn an estimator tree into tagged JSON plus side files."""

    def __init__(self):
        self.files = {}
        self.classes = _resolve_allowed(ALLOWED_ESTIMATORS)
        self.functions = _resolve_allowed(ALLOWED_FUNCTIONS)

    def _add_file(self, folder, suffix, data):
        name = f"{folder}/{sum(n.startswith(folder) for n in self.files)}{suffix}"
        self.files[name] = data
        return name

    def encode(self, value, where):
        import keras

        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (np.bool_, np.number)):  # before float: np.float64 is a float
            return {
                "__type__": "numpy_scalar",
                "dtype": value.dtype.str,
                "value": self.encode(value.item(), where),
            }
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return value if np.isfinite(value) else {"__type__": "float", "value": repr(value)}
        if isinstance(value, np.dtype):
            if value.fields is not None or value.hasobject:
                raise self._unsupported(value, where)
            return {"__type__": "dtype", "str": value.str}
        if isinstance(value, type):
            return self._encode_type(value, where)
        if isinstance(value, np.ndarray):
            return self._encode_array(value, where)
        if isinstance(value, list):
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, tuple):
            return {
                "__type__": "tuple",
                "items": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)],
            }
        if isinstance(value, dict):
            return self._encode_dict(value, where)
        if isinstance(value, keras.Model):
            return self._encode_keras_model(value)
        if isinstance(value, (keras.optimizers.Optimizer, keras.losses.Loss)):
            return self._encode_keras_object(value, where)
        if isinstance(value, pd.Index):
            return self._encode_index(value, where)
        if type(value) in self.classes:
            return self._encode_estimator(value, where)
        if isinstance(value, types.FunctionType) and value in self.functions:
            return {"__type__": "function", "name": self.functions[value]}
        raise self._unsupported(value, where)

    def _unsupported(self, value, where):
        kind = type(value)
        if hasattr(value, "get_params"):
            allowed = ", ".join(name.rpartition(".")[2] for name in ALLOWED_ESTIMATORS)
            return TypeError(
                f"save_estimator cannot save {where}: {kind.__module__}.{kind.__qualname__} "
                f"is not one of the estimator classes it can rebuild safely ({allowed}). "
                "Save the fitted estimator inside it instead (e.g. "
                "search.best_estimator_), or use joblib/pickle for trusted files."
            )
        return TypeError(
            f"save_estimator cannot save {where}={value!r} of type "
            f"{kind.__module__}.{kind.__qualname__}: the safe format stores only "
            "numbers, strings, arrays, lists, tuples, dicts, time indexes, Keras "
            "models, optimizers and losses, and allow-listed estimators (no functions or arbitrary "
            "objects). Pass such a parameter by name (e.g. optimizer='adam', an int "
            "random_state), or use joblib/pickle for trusted files."
        )

    def _encode_type(self, value, where):
        if value in _BUILTIN_TYPES.values():
            return {"__type__": "builtin_type", "name": value.__name__}
        if isinstance(value, type) and issubclass(value, np.generic):
            try:
                return {"__type__": "numpy_type", "dtype": np.dtype(value).str}
            except TypeError:
                pass
        raise self._unsupported(value, where)

    def _encode_array(self, value, where):
        if value.dtype.kind in "biufcUSmM" and value.dtype.fields is None:
            buffer = io.BytesIO()
            np.save(buffer, value, allow_pickle=False)
            return {"__type__": "ndarray", "file": self._add_file("arrays", ".npy", buffer.getvalue())}
        if value.dtype == object and all(isinstance(v, str) for v in value.flat):
            return {"__type__": "str_array", "shape": list(value.shape), "values": value.ravel().tolist()}
        raise self._unsupported(value, where)

    def _encode_index(self, value, where):
        """Time-grid indexes (as a fitted SequenceWindower remembers them)."""
        name = self.encode(value.name, f"{where}.name")
        if isinstance(value, pd.RangeIndex):
            return {"__type__": "range_index", "start": value.start, "stop": value.stop,
                    "step": value.step, "name": name}
        if isinstance(value, pd.DatetimeIndex):
            tz = None if value.tz is None else str(value.tz)
            naive = value if tz is None else value.tz_convert("UTC").tz_localize(None)
            return {"__type__": "datetime_index", "values": self.encode(naive.to_numpy(), where),
                    "tz": tz, "freq": value.freqstr, "name": name}
        if type(value) is pd.Index and value.dtype.kind in "iuf":
            return {"__type__": "numeric_index", "values": self.encode(value.to_numpy(), where),
                    "name": name}
        if isinstance(value, pd.PeriodIndex):
            return {"__type__": "period_index", "ordinals": self.encode(value.asi8.copy(), where),
                    "freq": value.freqstr, "name": name}
        raise self._unsupported(value, where)

    def _encode_dict(self, value, where):
        encoded = {
            "__type__": "dict",
            "items": [
                [self.encode(k, f"{where} key"), self.encode(v, f"{where}[{k!r}]")]
                for k, v in value.items()
            ],
        }
        if isinstance(value, defaultdict):
            factory = value.default_factory
            names = {f: n for n, f in _DEFAULT_FACTORIES.items()}
            if factory is not None and factory not in names:
                raise self._unsupported(value, where)
            encoded["default_factory"] = names.get(factory)
            encoded["__type__"] = "defaultdict"
        return encoded

    def _encode_keras_object(self, value, where):
        import keras

        config = keras.saving.serialize_keras_object(value)
        copy = keras.saving.deserialize_keras_object(config, safe_mode=True)
        same = type(copy) is type(value) and keras.saving.serialize_keras_object(copy) == config
        # some Keras losses (Huber, LogCosh, ...) leave their arguments out of get_config
        if not same or getattr(copy, "_fn_kwargs", {}) != getattr(value, "_fn_kwargs", {}):
            raise TypeError(
                f"save_estimator cannot save {where}={value!r} faithfully: Keras's "
                f"get_config for {type(value).__name__} does not record all of its "
                f"arguments ({getattr(value, '_fn_kwargs', {})}). Pass it by name "
                "(e.g. loss='huber'), or use joblib/pickle for trusted files."
            )
        return {"__type__": "keras_object", "config": self.encode(config, where)}

    def _encode_keras_model(self, model):
        data = model_to_bytes(model)
        return {"__type__": "keras_model", "file": self._add_file("keras", ".keras", data)}

    def _encode_estimator(self, estimator, where):
        params = estimator.get_params(deep=False)
        attributes = {k: v for k, v in vars(estimator).items() if k not in params}
        return {
            "__type__": "estimator",
            "class": self.classes[type(estimator)],
            "params": {k: self.encode(v, f"{where}.{k}") for k, v in params.items()},
            "attributes": {k: self.encode(v, f"{where}.{k}") for k, v in attributes.items()},
        }


# --- decoding ---------------------------------------------------------------


class _Decoder:
    """Rebuild an estimator tree from tagged JSON and verified side files."""

    def __init__(self, files):
        self.files = files

    def _file(self, name):
        if name not in self.files:
            raise LoadError(f"the saved estimator refers to {name!r}, which it does not contain")
        return self.files[name]

    def decode(self, value):
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, list):
            return [self.decode(v) for v in value]
        if not isinstance(value, dict) or "__type__" not in value:
            raise LoadError(f"unexpected JSON value {value!r}")
        kind = value["__type__"]
        method = getattr(self, f"_decode_{kind}", None)
        if method is None:
            raise LoadError(f"unknown value type {kind!r}")
        return method(value)

    def _decode_float(self, value):
        if value["value"] not in ("nan", "inf", "-inf"):
            raise LoadError(f"bad float {value['value']!r}")
        return float(value["value"])

    def _decode_numpy_scalar(self, value):
        return np.dtype(self._plain_dtype(value["dtype"])).type(self.decode(value["value"]))

    def _plain_dtype(self, text):
        dtype = np.dtype(str(text))
        if dtype.hasobject or dtype.fields is not None:
            raise LoadError(f"dtype {text!r} is not a plain dtype")
        return dtype

    def _decode_dtype(self, value):
        return self._plain_dtype(value["str"])

    def _decode_numpy_type(self, value):
        return self._plain_dtype(value["dtype"]).type

    def _decode_builtin_type(self, value):
        return _BUILTIN_TYPES[value["name"]]

    def _decode_ndarray(self, value):
        return np.load(io.BytesIO(self._file(value["file"])), allow_pickle=False)

    def _decode_str_array(self, value):
        values = value["values"]
        if not all(isinstance(v, str) for v in values):
            raise LoadError("str_array holds a value that is not a string")
        array = np.empty(len(values), dtype=object)
        array[:] = values
        return array.reshape([int(n) for n in value["shape"]])

    def _decode_range_index(self, value):
        start, stop, step = (int(value[k]) for k in ("start", "stop", "step"))
        return pd.RangeIndex(start, stop, step, name=self.decode(value["name"]))

    def _decode_datetime_index(self, value):
        values = self.decode(value["values"])
        if not isinstance(values, np.ndarray) or values.dtype.kind != "M":
            raise LoadError("datetime_index values are not dates")
        index = pd.DatetimeIndex(values, name=self.decode(value["name"]))
        if value["tz"] is not None:
            index = index.tz_localize("UTC").tz_convert(str(value["tz"]))
        return pd.DatetimeIndex(index, freq=value["freq"]) if value["freq"] else index

    def _decode_numeric_index(self, value):
        values = self.decode(value["values"])
        if not isinstance(values, np.ndarray) or values.dtype.kind not in "iuf":
            raise LoadError("numeric_index values are not numbers")
        return pd.Index(values, name=self.decode(value["name"]))

    def _decode_period_index(self, value):
        ordinals = self.decode(value["ordinals"])
        if not isinstance(ordinals, np.ndarray) or ordinals.dtype.kind != "i":
            raise LoadError("period_index ordinals are not integers")
        return pd.PeriodIndex.from_ordinals(ordinals, freq=str(value["freq"]),
                                            name=self.decode(value["name"]))

    def _decode_tuple(self, value):
        return tuple(self.decode(v) for v in value["items"])

    def _decode_dict(self, value):
        return {self.decode(k): self.decode(v) for k, v in value["items"]}

    def _decode_defaultdict(self, value):
        factory = value["default_factory"]
        result = defaultdict(None if factory is None else _DEFAULT_FACTORIES[factory])
        result.update(self._decode_dict(value))
        return result

    def _decode_keras_model(self, value):
        return model_from_bytes(self._file(value["file"]))

    def _decode_keras_object(self, value):
        import keras

        return keras.saving.deserialize_keras_object(self.decode(value["config"]), safe_mode=True)

    def _decode_function(self, value):
        if value["name"] == HIGHWAY_0_2:
            return HIGHWAY_0_2  # the regressor holding it is upgraded in _decode_estimator
        return _resolve_if_allowed(value["name"], ALLOWED_FUNCTIONS, "function")

    def _decode_estimator(self, value):
        public_name = value["class"]
        cls = _resolve_if_allowed(public_name, ALLOWED_ESTIMATORS, "estimator class")
        params = {k: self.decode(v) for k, v in value["params"].items()}
        for name in value["attributes"]:
            if not name.isidentifier() or name.startswith("__"):
                raise LoadError(f"bad attribute name {name!r} for {public_name}")
        attributes = {k: self.decode(v) for k, v in value["attributes"].items()}
        if params.get("model") == HIGHWAY_0_2 and public_name == "sklstm.LSTMRegressor":
            params, attributes = _upgrade_highway_0_2(params, attributes)
        estimator = cls(**params)
        for name, attribute in attributes.items():
            setattr(estimator, name, attribute)
        check = getattr(estimator, "_check_loaded", None)  # sklstm's own classes
        if check is not None:
            try:
                check()
            except ValueError as error:
                raise LoadError(f"the saved {public_name} cannot be trusted: {error}") from None
        return estimator


def _upgrade_highway_0_2(params, attributes):
    """A regressor saved by sklstm 0.2 with :data:`HIGHWAY_0_2`, as sklstm builds it now.

    Its fitted network, saved whole, reads the target's lags where 0.2's
    windows held it (the forecaster saved with it keeps 0.2's column order),
    so it predicts exactly as it did; a refit builds today's network.
    """
    params = {k: v for k, v in params.items() if k not in ("model__target_index", "model__seed")}
    params.update(model=None, highway=1)
    attributes = dict(attributes, _routed_names=())
    attributes.pop("_built_with", None)  # a warm start needs a network built by this version
    return params, attributes


# --- files ------------------------------------------------------------------


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # not supported on this platform / filesystem
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _temp_name(path, suffix):
    return path.with_name(f".{path.name}.{secrets.token_hex(6)}{suffix}")


def _write_file(path, data):
    """Write ``data`` to a new file (respecting the umask) and fsync it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


@contextlib.contextmanager
def _naming_target(path):
    """Let an OSError name the target path, not the hidden temporary one."""
    try:
        yield
    except OSError as exc:
        if exc.errno is None:  # sklstm's own errors already name the target
            raise
        message = f"save_estimator could not write {str(path)!r}: {exc.strerror}"
        raise type(exc)(exc.errno, message) from exc


def _is_save(path, kind):
    """Whether ``path`` is a save of save_estimator of ``kind`` (it has a manifest)."""
    if kind == "directory":
        return path.is_dir() and (path / MANIFEST).is_file()
    try:
        with zipfile.ZipFile(path) as archive:
            return MANIFEST in archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def _refuse_to_replace(path, kind, fix):
    if path.exists() and not _is_save(path, kind):
        raise FileExistsError(
            f"save_estimator will not replace {str(path)!r}: it exists and is not a "
            f"saved estimator {kind}. Choose another path, or {fix}."
        )


def _write_zip(path, files):
    _refuse_to_replace(path, "archive", "delete that file first")
    tmp = _temp_name(path, ".tmp")
    try:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in files.items():
                archive.writestr(name, data)
        _write_file(tmp, buffer.getvalue())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _write_directory(path, files):
    _refuse_to_replace(path, "directory",
                       "give a path ending in '.zip' to write one archive file")
    tmp = _temp_name(path, ".tmp")
    old = None
    try:
        os.mkdir(tmp)
        for name, data in files.items():
            target = tmp / name
            target.parent.mkdir(parents=True, exist_ok=True)
            _write_file(target, data)
        for folder in {(tmp / name).parent for name in files}:
            _fsync_dir(folder)
        if path.exists():
            old = _temp_name(path, ".old")
            os.replace(path, old)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not path.exists():
            os.replace(old, path)  # put the previous save back
        raise
    _fsync_dir(path.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _read_zip(path):
    if not zipfile.is_zipfile(path):
        raise LoadError(
            f"{str(path)!r} is not a complete zip archive: the file is truncated, "
            "damaged or not a save of save_estimator."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = {info.filename: info for info in archive.infolist() if not info.is_dir()}
            manifest = _parse_manifest(path, archive.read(infos[MANIFEST]) if MANIFEST in infos else None)
            _check_file_list(path, manifest, set(infos) - {MANIFEST})
            files = {}
            for name, expected in manifest["files"].items():
                if infos[name].file_size != expected["size"]:
                    raise _corrupt(path, name, "its size differs from the manifest")
                files[name] = archive.read(infos[name])
    except LoadError:
        raise
    except Exception as exc:  # BadZipFile, zlib.error, bad CRC, bad header fields
        raise LoadError(
            f"{str(path)!r} is a damaged zip archive ({exc}); it cannot be loaded."
        ) from exc
    return manifest, files


def _read_directory(path):
    manifest_path = path / MANIFEST
    manifest = _parse_manifest(path, manifest_path.read_bytes() if manifest_path.is_file() else None)
    present = {
        str(p.relative_to(path).as_posix())
        for p in path.rglob("*")
        if not p.is_dir()
    }
    _check_file_list(path, manifest, present - {MANIFEST})
    files = {}
    for name, expected in manifest["files"].items():
        file = path / name
        if file.is_symlink() or not file.is_file():
            raise _corrupt(path, name, "it is not a regular file")
        if file.stat().st_size != expected["size"]:
            raise _corrupt(path, name, "its size differs from the manifest")
        files[name] = file.read_bytes()
    return manifest, files


def _corrupt(path, name, why):
    return LoadError(
        f"{str(path)!r} is damaged or was modified: {name!r} does not match the "
        f"manifest ({why}). Nothing was loaded; save the estimator again."
    )


def _parse_manifest(path, data):
    if data is None:
        raise LoadError(
            f"{str(path)!r} has no {MANIFEST}: it is not a save of save_estimator, "
            "or the save was interrupted."
        )
    try:
        manifest = json.loads(data.decode("utf-8"))
        if manifest.get("format") != FORMAT:
            raise LoadError(f"format is {manifest.get('format')!r}, not {FORMAT!r}")
        for name, entry in manifest["files"].items():
            if not (isinstance(entry["sha256"], str) and isinstance(entry["size"], int)):
                raise LoadError(f"bad entry for {name!r}")
        int(manifest["format_version"])
        dict(manifest["versions"])
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise LoadError(
            f"{str(path)!r} has an unreadable {MANIFEST} ({exc}): it is damaged or "
            "not a save of save_estimator."
        ) from exc
    if manifest["format_version"] > FORMAT_VERSION:
        raise LoadError(
            f"{str(path)!r} was saved by {_describe_versions(manifest['versions'])} "
            f"in file format {manifest['format_version']}, but the installed "
            f"{_describe_versions(_versions())} reads file format {FORMAT_VERSION} "
            "at most. Upgrade sklstm to load it."
        )
    return manifest


def _check_file_list(path, manifest, present):
    expected = set(manifest["files"])
    if ROOT not in expected:
        raise LoadError(f"{str(path)!r} has no {ROOT} in its manifest; it cannot be loaded.")
    missing, extra = sorted(expected - present), sorted(present - expected)
    if missing:
        raise _corrupt(path, missing[0], "the file is missing")
    if extra:
        raise _corrupt(path, extra[0], "the file is not listed in the manifest")


def _read_verified(path):
    """The manifest and files of a save, every checksum verified."""
    manifest, files = _read_directory(path) if path.is_dir() else _read_zip(path)
    for name, data in files.items():
        expected = manifest["files"][name]
        if len(data) != expected["size"] or _sha256(data) != expected["sha256"]:
            raise _corrupt(path, name, "its SHA-256 checksum differs")
    return manifest, files


def _surviving_copy(path):
    """A complete copy left by a directory save killed between its two renames.

    The save renames the previous directory to ``.<name>.<token>.old`` and
    then the new, complete one from ``.<name>.<token>.tmp``; killed in
    between, both survive and nothing has the target's name. The new copy
    is preferred, then the previous one; each must pass every check.
    """
    for suffix in (".tmp", ".old"):
        copies = sorted(path.parent.glob(f".{glob.escape(path.name)}.*{suffix}"),
                        key=lambda p: p.stat().st_mtime, reverse=True)
        for copy in copies:
            try:
                _read_verified(copy)
            except (LoadError, OSError):
                continue
            warnings.warn(
                f"{str(path)!r} does not exist, but a save interrupted while it replaced "
                f"the previous one left a complete copy at {str(copy)!r}: loading that. "
                f"Rename it to {str(path)!r} (or save again) to keep it.",
                UserWarning, stacklevel=3,
            )
            return copy
    raise FileNotFoundError(f"load_estimator: no file or directory at {str(path)!r}.")


# --- public API -------------------------------------------------------------


def skops_trusted_types():
    """The types to trust when ``skops.io`` loads a file of sklstm's estimators.

    sklstm's estimators save and load through ``skops.io``, scikit-learn's
    format for loading models without pickle's risks (and mlflow's default
    for ``mlflow.sklearn.log_model``): each Keras network is stored as its
    ``.keras`` bytes and loaded in Keras's safe mode. skops trusts
    scikit-learn's own classes; pass this list to trust sklstm's too.

    Returns
    -------
    trusted : list of str
        sklstm's estimator classes, SciKeras's target encoder and
        ``numpy.dtype``, by the names skops uses.

    See Also
    --------
    save_estimator : sklstm's own safe format, with checksums and atomic saves.

    Examples
    --------
    >>> import numpy as np
    >>> import skops.io as sio
    >>> from sklstm import SequenceWindower, skops_trusted_types
    >>> windower = SequenceWindower(3).fit(np.arange(10.0).reshape(-1, 1))
    >>> loaded = sio.loads(sio.dumps(windower), trusted=skops_trusted_types())
    >>> loaded.last_window_.ravel().tolist()
    [8.0, 9.0]
    """
    return list(_SKOPS_TRUSTED_TYPES)


def save_estimator(estimator, path):
    """Save a fitted estimator safely: Keras files, JSON and ``.npy``, no pickle.

    Works for a fitted :class:`LSTMRegressor`, :class:`LSTMForecaster`,
    :class:`SequenceWindower`, and :class:`~sklearn.pipeline.Pipeline` or
    :class:`~sklearn.compose.TransformedTargetRegressor` made of the
    estimators in ``ALLOWED_ESTIMATORS`` (scikit-learn scalers, linear
    models, ...). The save is atomic: it is written next to ``path``,
    fsynced and renamed over it, so an interrupted save leaves the previous
    save (or nothing), never a partial one.

    Parameters
    ----------
    estimator : estimator
        The (fitted or unfitted) estimator. Its parameters must be plain
        values (numbers, strings, tuples, arrays, Keras optimizers and
        losses), not functions or callbacks.

    path : str or path-like
        A path ending in ``.zip`` writes one zip archive; any other path is
        written as a directory. An existing save at ``path`` is replaced;
        any other existing file or folder is refused (``FileExistsError``).

    Returns
    -------
    path : pathlib.Path
        Where the estimator was saved.

    Raises
    ------
    TypeError
        If the estimator holds an object the safe format cannot store; the
        message names the parameter or attribute.

    See Also
    --------
    load_estimator : Load what this function saved.

    Notes
    -----
    The folder or archive holds ``manifest.json`` (format, versions of
    sklstm, Keras and scikit-learn, SHA-256 of every file),
    ``estimator.json`` (parameters and fitted attributes), ``arrays/*.npy``
    and ``keras/*.keras``. Pickle or joblib also round-trip these
    estimators, but loading a pickle runs code named by the file; use them
    only for files you trust.

    Examples
    --------
    >>> import tempfile, os
    >>> import numpy as np
    >>> from sklstm import LSTMRegressor, SequenceWindower, save_estimator, load_estimator
    >>> X = np.sin(np.arange(40.0) / 4).reshape(-1, 1)
    >>> windows = SequenceWindower(sequence_length=4).fit_transform(X)
    >>> reg = LSTMRegressor(units=4, epochs=2, random_state=0).fit(windows, X[:, 0])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = save_estimator(reg, os.path.join(tmp, "model.zip"))
    ...     loaded = load_estimator(path)
    >>> bool(np.array_equal(loaded.predict(windows), reg.predict(windows)))
    True
    """
    path = Path(os.fspath(path))
    encoder = _Encoder()
    tree = encoder.encode(estimator, type(estimator).__name__)
    files = {ROOT: json.dumps(tree, allow_nan=False, indent=1).encode("utf-8"), **encoder.files}
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
        "estimator": type(estimator).__name__,
        "files": {name: {"sha256": _sha256(data), "size": len(data)} for name, data in files.items()},
    }
    files[MANIFEST] = json.dumps(manifest, indent=1).encode("utf-8")
    with _naming_target(path):
        if path.suffix.lower() == ".zip":
            if path.is_dir():
                raise IsADirectoryError(
                    f"save_estimator: {str(path)!r} is a directory, not a .zip file path.")
            _write_zip(path, files)
        else:
            _write_directory(path, files)
    return path


def load_estimator(path):
    """Load an estimator saved by :func:`save_estimator`, without unpickling.

    Every file is checked against the SHA-256 and size in the manifest
    before anything is built, so a truncated, damaged or modified save
    raises an error instead of returning a half-loaded model. Only
    allow-listed estimator classes are rebuilt, arrays are read with
    ``allow_pickle=False`` and Keras models with ``safe_mode=True``.

    Parameters
    ----------
    path : str or path-like
        A ``.zip`` archive or a directory written by :func:`save_estimator`.

    Returns
    -------
    estimator : estimator
        The estimator, fitted as it was saved.

    Raises
    ------
    ValueError
        If the save is truncated, damaged or modified, from a newer file
        format, or cannot be rebuilt with the installed versions (the message
        names the saved and the installed versions of sklstm, Keras and
        scikit-learn).

    Warns
    -----
    UserWarning
        If it was saved with other versions of sklstm, Keras or scikit-learn
        and loads; check its predictions.

    See Also
    --------
    save_estimator : Save a fitted estimator.

    Examples
    --------
    >>> import tempfile, os
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import MinMaxScaler
    >>> from sklstm import SequenceWindower, save_estimator, load_estimator
    >>> pipe = make_pipeline(MinMaxScaler(), SequenceWindower(3, flatten=True))
    >>> X = np.arange(12.0).reshape(-1, 2)
    >>> pipe = pipe.fit(X)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     loaded = load_estimator(save_estimator(pipe, os.path.join(tmp, "pipe")))
    >>> bool(np.array_equal(loaded.transform(X), pipe.transform(X), equal_nan=True))
    True
    """
    path = Path(os.fspath(path))
    if not path.exists():
        path = _surviving_copy(path)
    manifest, files = _read_verified(path)
    saved, installed = manifest["versions"], _versions()
    differ = [n for n in _CHECKED_VERSIONS if saved.get(n) != installed[n]]
    try:
        tree = json.loads(files[ROOT].decode("utf-8"))
        estimator = _Decoder(files).decode(tree)
    except Exception as exc:
        if differ:
            raise LoadError(
                f"{str(path)!r} was saved with {_describe_versions(saved)} and cannot "
                f"be loaded with the installed {_describe_versions(installed)}: {exc}. "
                "Load it with the versions it was saved with, or refit and save again."
            ) from exc
        raise LoadError(
            f"{str(path)!r} passed its checksums but cannot be rebuilt: {exc}."
        ) from exc
    if differ:
        warnings.warn(
            f"{str(path)!r} was saved with {_describe_versions(saved)} and loaded with "
            f"{_describe_versions(installed)}; check its predictions before relying on them.",
            UserWarning,
            stacklevel=2,
        )
    return estimator
