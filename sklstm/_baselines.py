"""PersistenceRegressor: the naive forecast "tomorrow = today"."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from ._checks import (
    FLOAT_DTYPES, check_numeric, shared_constraints, validate_data, validate_params,
)
from ._series import check_outputs_per_series, check_targets_follow, is_series_list


def resolve_target_column(estimator, target_column, n_features):
    """Position of ``target_column`` among the features seen in fit.

    ``target_column`` is an int position (negative counts from the end) or,
    when fit saw a DataFrame, a column name.
    """
    names = getattr(estimator, "feature_names_in_", None)
    owner = type(estimator).__name__
    if isinstance(target_column, str):
        if names is None:
            raise ValueError(
                f"{owner}: target_column={target_column!r} is a column name, but X "
                "has no column names; pass X as a pandas DataFrame, or give "
                "target_column as an int position such as target_column=0."
            )
        matches = np.flatnonzero(np.asarray(names, dtype=object) == target_column)
        if not len(matches):
            raise ValueError(
                f"{owner}: target_column={target_column!r} is not a column of X; "
                f"columns are {list(names)}."
            )
        return int(matches[0])
    if isinstance(target_column, (bool, np.bool_)) or not isinstance(
        target_column, numbers.Integral
    ):
        raise TypeError(
            f"{owner}: target_column must be an int position or a column name, "
            f"got {target_column!r} of type {type(target_column).__name__}; "
            "e.g. target_column=0 for the first column."
        )
    if not -n_features <= target_column < n_features:
        raise ValueError(
            f"{owner}: target_column={target_column} is out of range for X with "
            f"{n_features} column(s); pass a position in [{-n_features}, {n_features - 1}]."
        )
    return int(target_column) % n_features


def resolve_target_columns(estimator, target_columns, n_features):
    """Positions of a list of series columns (a panel), each given once."""
    positions = np.array([
        resolve_target_column(estimator, column, n_features) for column in target_columns
    ], dtype=int)
    if len(set(positions.tolist())) != len(positions) or not len(positions):
        raise ValueError(
            f"{type(estimator).__name__}: target_column={list(target_columns)} must name "
            "each series once, and at least one; e.g. target_column=['a', 'b']."
        )
    return positions


class PersistenceRegressor(RegressorMixin, BaseEstimator):
    """Naive forecast: the next value equals the last observed one.

    The baseline every forecaster must beat ("tomorrow = today"): the
    prediction for row ``t`` of X is ``X[t, target_column]``. When ``fit``
    saw a 2-D ``y`` of width ``h`` (direct multi-step targets, e.g. from
    :func:`make_supervised` with ``horizon=h``), the last value is repeated
    for all ``h`` steps.

    Parameters
    ----------
    target_column : int, str or list of them, default=0
        Column of X holding the series' current value: an int position, or
        a column name when X is a pandas DataFrame. A list names several
        series (a panel, as for :class:`LSTMForecaster`): ``y`` holds one
        column per series and step, series-major, and each series repeats
        its own last value.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during :term:`fit`, when X has string column
        names.

    target_index_ : int or ndarray of shape (n_series,)
        Position of ``target_column`` among the features (of each series,
        for a list).

    n_outputs_ : int
        Width of ``y`` seen in fit (1 for 1-D ``y``).

    y_ndim_ : int
        Number of dimensions of ``y`` seen in fit; predict returns the same.

    See Also
    --------
    LSTMForecaster : Learns the change from this very baseline.
    make_supervised : Frames a series as ``(X, y)`` with X rows at time t.

    Notes
    -----
    Fitting learns nothing from the values; it records the input layout and
    the shape of ``y`` so that ``predict`` returns the same shape.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklstm import PersistenceRegressor, make_supervised
    >>> s = pd.Series([1.0, 3.0, 2.0, 5.0, 4.0], name="temp")
    >>> X, y = make_supervised(s, "temp", horizon=2)
    >>> PersistenceRegressor(target_column="temp").fit(X, y).predict(X)
    array([[1., 1.],
           [3., 3.],
           [2., 2.]])
    """

    _parameter_constraints = shared_constraints("target_column")

    def __init__(self, target_column=0):
        self.target_column = target_column

    def fit(self, X, y):
        """Record the column to repeat and the width of ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows at time t.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets at t+1 (or t+1 .. t+n_outputs).

        Returns
        -------
        self : PersistenceRegressor
            The fitted baseline.
        """
        validate_params(self)
        check_numeric(X, type(self).__name__)
        X, y = validate_data(
            self, X, y, multi_output=True, y_numeric=True, dtype=FLOAT_DTYPES
        )
        self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        self.y_ndim_ = y.ndim
        if is_series_list(self.target_column):
            self.target_index_ = resolve_target_columns(
                self, self.target_column, self.n_features_in_
            )
            n_series = len(self.target_index_)
            check_outputs_per_series(self.n_outputs_, n_series,
                                     f" for target_column's {n_series} series;",
                                     owner=f"{type(self).__name__}: ")
        else:
            self.target_index_ = resolve_target_column(
                self, self.target_column, self.n_features_in_
            )
        check_targets_follow(X, y, self.target_index_, self.target_column,
                             getattr(self, "feature_names_in_", None),
                             owner=f"{type(self).__name__}: ")
        return self

    def predict(self, X):
        """Repeat the current value of the target column.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows at time t.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs_)
            ``X[:, target_index_]``, tiled to the width of the training ``y``
            (each series over its own steps, for a list ``target_column``).
        """
        check_is_fitted(self)
        check_numeric(X, type(self).__name__)
        X = validate_data(self, X, dtype=FLOAT_DTYPES, reset=False)
        last = X[:, self.target_index_]
        y_ndim = getattr(self, "y_ndim_", None) or self._y_ndim  # sklstm 0.2's name
        if y_ndim == 1:
            return last.reshape(len(last), -1)[:, 0].copy()
        if last.ndim == 1:
            last = last[:, np.newaxis]
        # series-major: each series' value repeats over its own steps
        return np.repeat(last, self.n_outputs_ // last.shape[1], axis=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        # on i.i.d. data the last value is no forecast at all
        tags.regressor_tags.poor_score = True
        return tags
