"""Parameter checks whose errors name the parameter, rule, value and fix."""

import numbers

import numpy as np


def check_positive_int(name, value, *, fix):
    """Raise a clear error unless ``value`` is an int >= 1."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be a positive int, got {value!r} of type "
            f"{type(value).__name__}; {fix}."
        )
    if value < 1:
        raise ValueError(f"{name} must be a positive int (>= 1), got {value}; {fix}.")


def check_units(units):
    """``units`` is a positive int or a non-empty tuple/list of them."""
    fix = "pass e.g. units=50, or units=(64, 32) for two stacked LSTM layers"
    if isinstance(units, (tuple, list)):
        if not units:
            raise ValueError(f"units must not be empty, got {units!r}; {fix}.")
        for u in units:
            check_positive_int("units", u, fix=fix)
        return tuple(int(u) for u in units)
    check_positive_int("units", units, fix=fix)
    return (int(units),)


def check_fraction(name, value, *, low_inclusive=True, high=1.0, fix):
    """``value`` is a real number in [0, high) (or (0, high) if not inclusive)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    ok = ok and (0.0 <= value if low_inclusive else 0.0 < value) and value < high
    if not ok:
        bracket = "[" if low_inclusive else "("
        raise ValueError(
            f"{name} must be a number in {bracket}0, {high}), got {value!r}; {fix}."
        )


def check_choice(name, value, choices):
    """``value`` is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}."
        )


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


def check_numeric(X, owner):
    """Raise a clear error naming the DataFrame columns that are not numeric."""
    if not (hasattr(X, "columns") and hasattr(X, "dtypes")):
        return
    from pandas.api.types import is_numeric_dtype

    bad = [str(c) for c, dtype in X.dtypes.items() if not is_numeric_dtype(dtype)]
    if bad:
        raise ValueError(
            f"{owner} needs numeric X, but column(s) {bad} are not numeric; "
            "drop them or encode them (e.g. OneHotEncoder) first."
        )


def validation_size(n_samples, validation_fraction):
    """Rows at the end of the training data held out for early stopping (0 if none fit)."""
    n_val = round(validation_fraction * n_samples)
    return n_val if 1 <= n_val < n_samples else 0
