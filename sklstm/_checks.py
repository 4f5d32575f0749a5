"""Parameter checks whose errors name the parameter, rule, value and fix.

Each estimator declares its rules once, as a table ``_parameter_constraints``
mapping a parameter name to the list of constraints it may satisfy (any one
is enough), as scikit-learn's estimators do; :func:`validate_params` checks
the whole table at the start of ``fit``::

    class MyEstimator(BaseEstimator):
        _parameter_constraints = {
            "sequence_length": [Interval(numbers.Integral, 1, None)],
            "padding": [Options("mask", "edge")],
        }

        def fit(self, X, y=None):
            validate_params(self)
"""

import difflib
import inspect
import math
import numbers

import numpy as np


class InvalidParameterError(ValueError, TypeError):
    """A parameter breaks its rule (a ValueError and a TypeError, as in scikit-learn)."""


def _is_bool(value):
    return isinstance(value, (bool, np.bool_))


class Interval:
    """A number of ``kind`` (:class:`numbers.Integral` or :class:`numbers.Real`) in a range.

    ``closed`` is ``"both"``, ``"left"``, ``"right"`` or ``"neither"``; a
    bound of None is unbounded. Booleans, NaN and infinity never qualify.
    """

    def __init__(self, kind, low, high, *, closed="both"):
        self.kind, self.low, self.high, self.closed = kind, low, high, closed

    def is_satisfied_by(self, value):
        if _is_bool(value) or not isinstance(value, self.kind):
            return False
        if not math.isfinite(value):
            return False
        if self.low is not None:
            if value < self.low or (value == self.low and self.closed in ("right", "neither")):
                return False
        if self.high is not None:
            if value > self.high or (value == self.high and self.closed in ("left", "neither")):
                return False
        return True

    def __str__(self):
        noun = "an int" if self.kind is numbers.Integral else "a number"
        if self.kind is numbers.Integral and self.low == 1 and self.high is None:
            return "a positive int (>= 1)"
        if self.low is None and self.high is None:
            return noun
        if self.high is None:
            op = ">=" if self.closed in ("left", "both") else ">"
            return f"{noun} {op} {self.low}"
        if self.low is None:
            op = "<=" if self.closed in ("right", "both") else "<"
            return f"{noun} {op} {self.high}"
        left = "[" if self.closed in ("left", "both") else "("
        right = "]" if self.closed in ("right", "both") else ")"
        return f"{noun} in {left}{self.low}, {self.high}{right}"


class Options:
    """One of a few strings."""

    def __init__(self, *choices):
        self.choices = choices

    def is_satisfied_by(self, value):
        return isinstance(value, str) and value in self.choices

    def __str__(self):
        return f"one of {', '.join(map(repr, self.choices))}"


class InstanceOf:
    """An instance of ``types`` (a class or a tuple of classes), described as ``text``."""

    def __init__(self, types, text):
        self.types, self.text = types, text

    def is_satisfied_by(self, value):
        return isinstance(value, self.types)

    def __str__(self):
        return self.text


class _Boolean:
    def is_satisfied_by(self, value):
        return _is_bool(value)

    def __str__(self):
        return "True or False"


class _NoneValue:
    def is_satisfied_by(self, value):
        return value is None

    def __str__(self):
        return "None"


class _Callable:
    def is_satisfied_by(self, value):
        return callable(value) and not isinstance(value, type)

    def __str__(self):
        return "a callable"


class _OneOrTuple:
    """A value ``interval`` accepts, or a non-empty tuple (list) of such values."""

    def __init__(self, interval, words):
        self.interval, self.words = interval, words

    def is_satisfied_by(self, value):
        if isinstance(value, (tuple, list)):
            return bool(value) and all(self.interval.is_satisfied_by(v) for v in value)
        return self.interval.is_satisfied_by(value)

    def __str__(self):
        return self.words


BOOLEAN = _Boolean()
NONE = _NoneValue()
CALLABLE = _Callable()
UNITS = _OneOrTuple(Interval(numbers.Integral, 1, None),
                    "a positive int (>= 1) or a non-empty tuple of them")
SEASONS = _OneOrTuple(Interval(numbers.Real, 1, None),
                      "a number >= 1 or a non-empty tuple of them (several seasons)")
#: the seeds NumPy and Keras accept: an int in [0, 2**32 - 1], a RandomState or None
RANDOM_STATE = [
    Interval(numbers.Integral, 0, 2**32 - 1),
    InstanceOf(np.random.RandomState, "a numpy.random.RandomState"),
    NONE,
]


#: The rules of the parameters sklstm's estimators share, declared once:
#: LSTMForecaster hands its network parameters to LSTMRegressor, and
#: PersistenceRegressor reads target_column as LSTMForecaster does. Each
#: estimator's ``_parameter_constraints`` takes those it has with
#: :func:`shared_constraints`.
SHARED_CONSTRAINTS = {
    "units": [UNITS],
    "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
    "epochs": [Interval(numbers.Integral, 1, None)],
    "batch_size": [Interval(numbers.Integral, 1, None)],
    "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
    "early_stopping": [BOOLEAN],
    "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
    "n_iter_no_change": [Interval(numbers.Integral, 1, None)],
    "random_state": RANDOM_STATE,
    "verbose": [BOOLEAN, Interval(numbers.Integral, 0, None)],
    "series_embedding": [Interval(numbers.Integral, 0, None)],
    "target_column": [Interval(numbers.Integral, None, None), InstanceOf(str, "a column name"),
                      InstanceOf((list, tuple, np.ndarray), "a list of series columns")],
}
#: The fix each error of a shared parameter suggests (else its default, as an example).
SHARED_HINTS = {
    "units": "pass e.g. units=32, or units=(64, 32) for two stacked LSTM layers",
    "dropout": "e.g. dropout=0.2, or 0 for none",
    "random_state": "pass an int seed such as random_state=0, or None",
    "series_embedding": "e.g. series_embedding=4, or 0 for none",
    "target_column": "e.g. target_column=0 for X's first column, a column name, or a list "
                     "of them for a panel",
}


def shared_constraints(*names, **own):
    """The rules of ``names`` from :data:`SHARED_CONSTRAINTS`, then the estimator's ``own``."""
    return {**{name: SHARED_CONSTRAINTS[name] for name in names}, **own}


def _default(estimator, name):
    try:
        parameter = inspect.signature(type(estimator).__init__).parameters[name]
    except (KeyError, TypeError, ValueError):
        return inspect.Parameter.empty
    return parameter.default


def check_param(name, value, constraints, *, fix):
    """Raise :class:`InvalidParameterError` unless ``value`` satisfies one of ``constraints``."""
    if any(c.is_satisfied_by(value) for c in constraints):
        return
    rules = [str(c) for c in constraints]
    rule = rules[0] if len(rules) == 1 else ", ".join(rules[:-1]) + " or " + rules[-1]
    kind = "" if isinstance(value, (int, float, type(None))) else f" of type {type(value).__name__}"
    raise InvalidParameterError(f"{name} must be {rule}, got {value!r}{kind}; {fix}.")


def validate_params(estimator, constraints=None):
    """Check every parameter of ``estimator`` against its rules, once, before fit.

    Parameters
    ----------
    estimator : estimator
        Its parameters are read with ``getattr``.

    constraints : dict of str to list, default=None
        Parameter name to the constraints it may satisfy (any one is
        enough); None reads ``type(estimator)._parameter_constraints``.

    Raises
    ------
    InvalidParameterError
        Naming the first parameter that breaks its rule, the rule, the value
        and the fix (the default value as an example, or the hint in
        ``type(estimator)._parameter_hints``).
    """
    if constraints is None:
        constraints = type(estimator)._parameter_constraints
    hints = {**SHARED_HINTS, **getattr(type(estimator), "_parameter_hints", {})}
    for name, allowed in constraints.items():
        if name in hints:
            fix = hints[name]
        else:
            default = _default(estimator, name)
            fix = f"e.g. {name}={default!r}" if default is not inspect.Parameter.empty else "see the docs"
        check_param(name, getattr(estimator, name), allowed, fix=fix)


def closest(name, choices):
    """The choice closest to ``name`` (difflib), for a "did you mean"; None if none is close."""
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1)
    return close[0] if close else None


def unknown_parameter_error(owner, name, known, extra=""):
    """The error for a parameter ``owner`` does not have, with a "did you mean".

    An :class:`InvalidParameterError`, at fit as from ``set_params``: a
    ValueError as scikit-learn's ``set_params`` raises, and a TypeError as
    Python raises for an unexpected keyword argument.
    """
    close = closest(name, known)
    hint = f" Did you mean {close!r}?" if close else ""
    return InvalidParameterError(f"{owner} got an unknown parameter {name!r}.{hint}{extra}")


def check_positive_int(name, value, *, fix):
    """Raise a clear error unless ``value`` is an int >= 1."""
    check_param(name, value, [Interval(numbers.Integral, 1, None)], fix=fix)


def as_units(units):
    """``units`` (validated) as a tuple of ints, one per stacked LSTM layer."""
    check_param("units", units, [UNITS], fix=SHARED_HINTS["units"])
    return tuple(int(u) for u in units) if isinstance(units, (tuple, list)) else (int(units),)


def check_fraction(name, value, *, low_inclusive=True, high=1.0, fix):
    """``value`` is a real number in [0, high) (or (0, high) if not inclusive)."""
    closed = "left" if low_inclusive else "neither"
    check_param(name, value, [Interval(numbers.Real, 0, high, closed=closed)], fix=fix)


def check_choice(name, value, choices):
    """``value`` is one of ``choices``."""
    check_param(name, value, [Options(*choices)], fix=f"pass one of them, e.g. {name}={choices[0]!r}")


def input_feature_names(estimator, input_features):
    """Feature names for ``get_feature_names_out``, validated against fit."""
    fitted_names = getattr(estimator, "feature_names_in_", None)
    if input_features is None:
        if fitted_names is not None:
            return np.asarray(fitted_names, dtype=object)
        return np.asarray(
            [f"x{i}" for i in range(estimator.n_features_in_)], dtype=object
        )
    input_features = np.asarray(input_features, dtype=object)
    if len(input_features) != estimator.n_features_in_:
        raise ValueError(
            f"input_features should have length equal to the number of features "
            f"seen in fit ({estimator.n_features_in_}), got {len(input_features)}."
        )
    if fitted_names is not None and not np.array_equal(input_features, fitted_names):
        raise ValueError(
            f"input_features is not equal to feature_names_in_: "
            f"{list(input_features)} != {list(fitted_names)}."
        )
    return input_features


#: The float dtypes sklstm computes in. float16 input is widened to float64 at
#: the boundary, once: its largest value is 65504, so comparing it with
#: float32's range or scaling it would overflow in float16.
FLOAT_DTYPES = (np.float64, np.float32)

#: The largest float32: the network (and a long panel's windows) compute in
#: float32, where anything larger is infinite.
FLOAT32_MAX = float(np.finfo(np.float32).max)


def _nan_message(value, name, owner, hint):
    """Where the first NaN of ``value`` is, and what to do about it."""
    try:
        missing = np.isnan(np.asarray(value, dtype=float))
    except (TypeError, ValueError):
        missing = None
    where = ""
    if missing is not None and missing.any():
        first = np.argwhere(missing)[0]
        row = int(first[0])
        labels = getattr(value, "index", None)
        label = (f" ({labels[row]!r})" if labels is not None and len(labels) > row
                 and labels[row] != row else "")
        columns = getattr(value, "columns", None)
        column = ""
        if len(first) > 1:
            column = (f", column {columns[first[1]]!r}" if columns is not None
                      else f", column {int(first[1])}")
        where = f" ({int(missing.sum())} value(s), the first at row {row}{label}{column})"
    fix = hint or (f"{owner} needs every value: fill them first (e.g. {name}.interpolate() "
                   f"or {name}.ffill()) or drop those rows")
    return f"{owner}: {name} contains NaN{where}; {fix}."


def _clear_input_error(error, owner, hint, values):
    """sklearn's message for NaN or complex input, rewritten (or None to keep it)."""
    message = str(error)
    for name, value in values.items():
        if message.startswith(f"Input {name} contains NaN"):
            return ValueError(_nan_message(value, name, owner, hint))
    if message.startswith("Complex data not supported"):  # sklearn then prints the array
        return ValueError(
            f"Complex data not supported: {owner} takes real numbers; pass the real "
            "part (X.real) or the magnitude (abs(X)) instead."
        )
    return None


def validate_data(estimator, X="no_validation", y="no_validation", **check_params):
    """scikit-learn's ``validate_data`` on sklstm's one dtype path, with clearer errors.

    ``dtype=FLOAT_DTYPES`` (this module's) widens float16 to float64; NaN
    where it is not allowed names its first row and column, and the fix
    (the estimator's ``_nan_hint``, if it has one); complex input is refused
    without printing the array.
    """
    from sklearn.utils.validation import validate_data as sklearn_validate_data

    try:
        return sklearn_validate_data(estimator, X, y, **check_params)
    except ValueError as error:
        clear = _clear_input_error(error, type(estimator).__name__,
                                   getattr(estimator, "_nan_hint", None), {"X": X, "y": y})
        if clear is None:
            raise
        raise clear from None


def check_array(array, *, owner, input_name="X", **check_params):
    """scikit-learn's ``check_array`` with :func:`validate_data`'s clearer errors."""
    from sklearn.utils.validation import check_array as sklearn_check_array

    try:
        return sklearn_check_array(array, input_name=input_name, **check_params)
    except ValueError as error:
        clear = _clear_input_error(error, owner, None, {input_name: array})
        if clear is None:
            raise
        raise clear from None


def largest_magnitude(values):
    """The largest ``|value|``, NaN left out (0.0 if nothing is left), without warnings."""
    magnitudes = np.abs(np.asarray(values, dtype=float)).ravel()
    magnitudes = magnitudes[~np.isnan(magnitudes)]
    return float(magnitudes.max()) if magnitudes.size else 0.0


def _largest_cell(data):
    """``(name, row, value)`` of the largest ``|value|`` among the arrays of ``data``."""
    best = ("", 0, 0.0)
    for name, values in data.items():
        magnitudes = np.abs(np.asarray(values, dtype=float).reshape(len(values), -1))
        if magnitudes.size and not np.isnan(magnitudes).all():
            row = int(np.unravel_index(np.nanargmax(magnitudes), magnitudes.shape)[0])
            value = float(np.nanmax(magnitudes))
            if value > abs(best[2]):
                best = (name, row, float(np.asarray(values, dtype=float).reshape(
                    len(values), -1)[row][np.nanargmax(magnitudes[row])]))
    return best


def check_spans(spans, data):
    """Refuse finite data whose ranges or differences overflow float64.

    ``spans`` maps a description to the ranges or differences that will be
    scaled; infinity there means scaling would give infinity or NaN. The
    message names the largest value of ``data`` (name to array) and its row.
    """
    for what, values in spans.items():
        if np.isinf(values).any():
            name, row, value = _largest_cell(data)
            raise ValueError(
                f"{what} overflows float64 (values up to {abs(value):.3g}); the largest is "
                f"{value:.3g} in row {row} of {name}. Scaling or differencing would give "
                "infinity or NaN: fix that value if it is an error, or rescale the data "
                "first, e.g. divide it by 1e300."
            )


#: one value farther than this many times the span of the others sets the scale alone
DOMINANCE = 1000


def dominating_values(values, names):
    """Columns whose scale one value sets alone, as ``(name, row, value, others' span)``.

    The value is the one farthest from the column's median; it dominates
    when the column spans more than :data:`DOMINANCE` times what the other
    values span (and they are not constant). NaN is left out.
    """
    values = np.asarray(values, dtype=float).reshape(len(values), -1)
    found = []
    for j in range(values.shape[1]):
        rows = np.flatnonzero(~np.isnan(values[:, j]))
        column = values[rows, j]
        if len(column) < 3:
            continue
        far = int(np.argmax(np.abs(column - np.median(column))))
        others = np.delete(column, far)
        span = others.max() - others.min()
        with np.errstate(over="ignore", invalid="ignore"):
            if span > 0 and column.max() - column.min() > DOMINANCE * span:
                found.append((names[j], int(rows[far]), float(column[far]), float(span)))
    return found


def is_constant(low, high):
    """Whether a column from ``low`` to ``high`` is constant within float64's resolution.

    Relative to the values, unlike scikit-learn's scalers, which take any
    range below ``10 * eps`` (2.2e-15) as constant, data near 1e-15 included.
    """
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    return ~((high - low) > 10 * np.finfo(np.float64).eps * np.maximum(abs(low), abs(high)))


def check_numeric(X, owner):
    """Raise a clear error naming the DataFrame columns that are not numeric.

    Any DataFrame scikit-learn accepts (pandas, polars, pyarrow, ...) is read
    through narwhals, as scikit-learn reads it: one rule for every library.
    Numbers and booleans are numeric; text, dates and categories are not.
    """
    import narwhals.stable.v2 as nw

    frame = nw.from_native(X, eager_only=True, pass_through=True)
    if not isinstance(frame, nw.DataFrame):
        return
    bad = [str(name) for name, dtype in frame.schema.items()
           if not (dtype.is_numeric() or dtype == nw.Boolean)]
    if bad:
        raise ValueError(
            f"{owner} needs numeric X, but column(s) {bad} are not numeric; "
            "drop them or encode them (e.g. OneHotEncoder) first."
        )


def _when(stamp):
    """A time label as text, without a midnight time."""
    if hasattr(stamp, "normalize") and stamp == stamp.normalize():
        return str(stamp.date())
    return str(stamp)


def check_time_order(index, what, *, fix="sort it, e.g. data.sort_index()"):
    """Refuse a time index that repeats a label or goes back in time.

    Only dates, periods and numbers have an order to check; other labels
    are taken as given. Rows are counted from 1 in the message.
    """
    import pandas as pd

    if not (isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex))
            or pd.api.types.is_numeric_dtype(index.dtype)):
        return
    # numpy, not Index.has_duplicates / is_monotonic_increasing: pandas' cached index
    # engine is not thread-safe, and searches fit in threads (dask-ml) saw it disagree
    missing = np.flatnonzero(np.asarray(index.isna()))
    if len(missing):
        raise ValueError(f"{what} has no time at row {missing[0] + 1} (NaN or NaT): every row "
                         "needs its time; drop or fill those rows")
    order = index.asi8 if hasattr(index, "asi8") else np.asarray(index)
    # comparisons, not np.diff: a difference wraps around on unsigned integers
    wrong = np.flatnonzero(~(order[1:] > order[:-1]))  # a repeat or a step back
    if not len(wrong):
        return
    firsts = np.unique(order, return_index=True)[1]
    if len(firsts) < len(order):  # the first row that repeats an earlier label
        repeat = int(np.setdiff1d(np.arange(len(order)), firsts)[0])
        raise ValueError(f"{what} repeats {_when(index[repeat])}; keep one row per time step")
    row = int(wrong[0]) + 1
    raise ValueError(f"{what} is not in time order (row {row + 1}: "
                     f"{_when(index[row])} after {_when(index[row - 1])}); {fix}")


def check_same_as_fitted(changed, what):
    """Refuse a loaded estimator whose parameters differ from those its ``what`` was fitted with.

    ``changed`` maps a parameter to ``(fitted with, says now)``.
    """
    if changed:
        fitted = ", ".join(f"{name}={was!r}" for name, (was, _) in changed.items())
        now = ", ".join(f"{name}={is_!r}" for name, (_, is_) in changed.items())
        raise ValueError(
            f"its parameters say {now}, but its {what} was fitted with {fitted}: the "
            "file was edited after it was saved (or the parameters were set after fit "
            "without a refit). Restore the original file, or refit and save again."
        )


def check_sample_weight(sample_weight, n_samples):
    """``sample_weight`` as a float array of one finite weight >= 0 per row, not all 0."""
    weights = np.asarray(sample_weight, dtype=float)
    if weights.ndim != 1 or len(weights) != n_samples:
        raise ValueError(
            f"sample_weight must hold one weight per row of X ({n_samples}), got shape "
            f"{weights.shape}; pass a 1-D array of {n_samples} weights."
        )
    bad = ~np.isfinite(weights) | (weights < 0)
    if bad.any():
        where = np.flatnonzero(bad)[0]
        raise ValueError(
            f"sample_weight must be finite and >= 0, got {weights[where]} "
            f"at row {where}; pass non-negative weights (0 drops a row)."
        )
    if not weights.any():
        raise ValueError(
            "sample_weight is zero for every row, which leaves nothing to train on; give "
            "the rows to learn from a weight > 0."
        )
    return weights


def validation_size(n_samples, validation_fraction):
    """Rows at the end of the training data held out for early stopping (0 if none fit)."""
    n_val = round(validation_fraction * n_samples)
    return n_val if 1 <= n_val < n_samples else 0
