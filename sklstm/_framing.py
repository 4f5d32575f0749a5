"""Supervised framing: rows at time t, targets at t+1 .. t+horizon."""

import numpy as np
import pandas as pd

from ._checks import check_positive_int, check_time_order


def make_supervised(data, target, *, horizon=1, features=None):
    """Frame a series or DataFrame as ``(X, y)`` for forecasting ``horizon`` steps.

    Row ``t`` of X holds the chosen columns at time ``t`` (exogenous columns
    ride along); row ``t`` of y holds ``target`` at ``t+1, ..., t+horizon``.
    The last ``horizon`` rows have no complete future and are left out; they
    are still in ``data`` to forecast from.

    Parameters
    ----------
    data : pandas.Series or pandas.DataFrame
        Observations in time order. An index of dates, periods or numbers
        must be strictly increasing (no repeated or earlier label).
    target : str or None
        Column to forecast; ignored (may be None) for a Series.
    horizon : int, default=1
        Number of future steps to predict.
    features : list of str or None, default=None
        Columns of X; None uses every numeric column (the target included).

    Returns
    -------
    X : pandas.DataFrame of shape (n_samples - horizon, n_features)
    y : pandas.Series (horizon=1) or DataFrame of shape (n_samples - horizon, horizon)
        Columns named ``<target>_t+1`` ... ``<target>_t+<horizon>``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklstm import make_supervised
    >>> s = pd.Series([1.0, 2.0, 3.0, 4.0], name="temp")
    >>> X, y = make_supervised(s, "temp", horizon=2)
    >>> X["temp"].tolist(), y.values.tolist()
    ([1.0, 2.0], [[2.0, 3.0], [3.0, 4.0]])
    """
    check_positive_int("horizon", horizon, fix="e.g. horizon=1 for one step ahead")
    frame = data.to_frame() if isinstance(data, pd.Series) else data
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"data must be a pandas Series or DataFrame, got {type(data).__name__}; "
            "wrap arrays with pandas.DataFrame(...)."
        )
    if isinstance(data, pd.Series):
        target = frame.columns[0]
    check_time_order(frame.index, "the index of data")
    if target not in frame.columns:
        raise ValueError(
            f"target={target!r} is not a column of data; columns are {list(frame.columns)}."
        )
    if features is None:
        features = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    missing = [c for c in features if c not in frame.columns]
    if missing:
        raise ValueError(f"features {missing} are not columns of data {list(frame.columns)}.")
    if len(frame) <= horizon:
        raise ValueError(
            f"data has {len(frame)} rows, too few for horizon={horizon}; "
            f"need at least {horizon + 1}."
        )
    n = len(frame) - horizon
    X = frame[list(features)].iloc[:n].copy()
    values = frame[target].to_numpy()
    future = np.lib.stride_tricks.sliding_window_view(values[1:], horizon)[:n]
    if horizon == 1:
        y = pd.Series(future[:, 0].copy(), index=X.index, name=f"{target}_t+1")
    else:
        y = pd.DataFrame(future.copy(), index=X.index,
                         columns=[f"{target}_t+{k}" for k in range(1, horizon + 1)])
    return X, y
