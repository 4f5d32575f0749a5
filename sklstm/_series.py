"""Many series, one network: every series' window is a sample of one shared LSTM.

A panel keeps one row per time point (so scikit-learn's splitters split
time, never a series). Its windows ``(n_rows, sequence_length, n_features)``
hold the ``n_series`` series first, then the exogenous columns they share.
The network is channel-independent: it reads one series at a time, with the
shared columns, so row ``i`` becomes ``n_series`` samples, sample
``i * n_series + j`` being series ``j``. Its targets, ``y`` of width
``n_series * horizon`` in series-major order (``a_t+1 .. a_t+h, b_t+1 ..``),
become ``horizon`` wide.
"""

import numpy as np
import pandas as pd


def is_series_list(value, columns=()):
    """Whether ``value`` names several series (a list, tuple, array or Index of them).

    A tuple that is itself one of ``columns`` (a label of MultiIndex
    columns) names one column, not a list.
    """
    if not isinstance(value, (list, tuple, np.ndarray, pd.Index)):
        return False
    try:
        return not (isinstance(value, tuple) and value in columns)
    except TypeError:  # columns that cannot hold a tuple
        return True


def plain_list(values):
    """A list of series labels as Python values (``'a'``, not ``np.str_('a')``) for messages."""
    return [v.item() if isinstance(v, np.generic) else v for v in values]


def _comparable(column):
    """A column's bytes with every NaN alike, or None if it is constant (it tells nothing)."""
    known = column[~np.isnan(column)]
    if len(known) < 2 or known.min() == known.max():
        return None
    return np.where(np.isnan(column), np.nan, column).tobytes()


def check_targets_follow(X, y, target_index, target_column, names=None, owner=""):
    """Refuse y whose series are the next values of other columns of X than target_column's.

    Framed by ``make_supervised``, the first step of y's series ``j``
    (column ``j * horizon``) is X's column ``target_index[j]`` one row later.
    When it is not, but is exactly another column's, each series' last
    value would be applied to another's targets (or the forecast would
    start from the wrong series): refuse, naming the ``target_column`` that
    fits. y that is not X shifted (scaled, or from elsewhere) is left alone.
    """
    targets = np.atleast_1d(target_index)
    y = np.asarray(y, dtype=float).reshape(len(y), -1)
    X = np.asarray(X, dtype=float)
    width = y.shape[1] // len(targets)
    if len(X) < 3 or not width or width * len(targets) != y.shape[1]:
        return
    first, later = y[:-1, ::width], X[1:]
    wrong = [j for j in range(len(targets))
             if _comparable(first[:, j]) is not None
             and _comparable(first[:, j]) != _comparable(later[:, targets[j]])]
    if not wrong:
        return
    columns = {}
    for k in range(X.shape[1]):
        columns.setdefault(_comparable(later[:, k]), k)
    found = {j: columns.get(_comparable(first[:, j])) for j in wrong}
    if any(k is None for k in found.values()):
        return  # y is not simply X shifted: no claim

    def shown(k):
        return f"{k} ({names[k]!r})" if names is not None else f"{k}"

    fitting = targets.copy()
    for j, k in found.items():
        fitting[j] = k
    by_name = names is not None and all(isinstance(c, str) for c in np.atleast_1d(target_column))
    fix = [str(names[k]) if by_name else int(k) for k in fitting]
    if np.ndim(target_column) == 0:
        k = found[0]
        raise ValueError(
            f"{owner}y is the next value of X's column {shown(k)}, not of target_column="
            f"{target_column!r} (column {shown(targets[0])}): the forecast would start from "
            f"another series' last value. Pass target_column={fix[0]!r}."
        )
    j, k = next(iter(found.items()))
    raise ValueError(
        f"{owner}y's series do not follow target_column={plain_list(target_column)!r}: its series "
        f"{j} is the next value of X's column {shown(k)}, not of column {shown(targets[j])}, "
        f"so each series' last value would go to another's targets. Pass "
        f"target_column={fix!r}."
    )


def network_shape(input_shape, n_outputs, n_series, series_embedding):
    """Input shape of one network sample and the width of its head."""
    if n_series is None:
        return tuple(input_shape), n_outputs
    sequence_length, n_features = input_shape
    n_channels = 1 + (n_features - n_series) + (1 if series_embedding else 0)
    return (sequence_length, n_channels), n_outputs // n_series


def check_outputs_per_series(n_outputs, n_series, what, owner=""):
    """y must hold one column per series and horizon step; ``what`` says how it does not."""
    if n_outputs % n_series:
        raise ValueError(
            f"{owner}y has {n_outputs} column(s){what} it needs one column per series "
            "and horizon step, series-major (a_t+1 .. a_t+h, b_t+1 ..), as "
            "make_supervised(data, target=[...]) gives."
        )


def check_panel_shapes(input_shape, n_outputs, n_series):
    """Clear errors when the windows or y cannot hold ``n_series`` series."""
    n_features = input_shape[1]
    if n_series > n_features:
        raise ValueError(
            f"n_series={n_series} is more than the {n_features} feature(s) of the "
            "windows; the first n_series window features must be the series (as "
            "make_supervised(data, target=[...]) orders them)."
        )
    check_outputs_per_series(n_outputs, n_series, f", not a multiple of n_series={n_series};")


def check_panel_y(X, y):
    """y of a panel: floats, NaN allowed (an unknown value of a ragged panel), X's length."""
    from sklearn.utils.validation import check_consistent_length

    from ._checks import FLOAT_DTYPES, check_array

    y = check_array(y, owner="", ensure_2d=False, dtype=FLOAT_DTYPES, input_name="y",
                    ensure_all_finite="allow-nan")
    check_consistent_length(X, y)
    return y


def stack_series(X, n_series, with_ids):
    """Windows of rows ``(n, L, F)`` -> one sample per row and series.

    Sample ``i * n_series + j`` holds series ``j``'s own values, then the
    shared columns, then (``with_ids``) its number ``j`` as a constant last
    channel for the series embedding.
    """
    n_rows, sequence_length, n_features = X.shape
    own = X[:, :, :n_series].transpose(0, 2, 1)[..., np.newaxis]
    shared = np.broadcast_to(
        X[:, np.newaxis, :, n_series:], (n_rows, n_series, sequence_length, n_features - n_series)
    )
    parts = [own, shared]
    if with_ids:
        ids = np.arange(n_series, dtype=X.dtype)[np.newaxis, :, np.newaxis, np.newaxis]
        parts.append(np.broadcast_to(ids, (n_rows, n_series, sequence_length, 1)))
    return np.concatenate(parts, axis=-1).reshape(n_rows * n_series, sequence_length, -1)


def stack_targets(y, n_series):
    """``(n, n_series * h)`` in series-major order -> ``(n * n_series, h)``."""
    return y.reshape(len(y) * n_series, -1)


def unstack_predictions(y_pred, n_series):
    """``(n * n_series, h)`` -> ``(n, n_series * h)``, series-major."""
    return y_pred.reshape(-1, n_series * y_pred.shape[1])


def known_targets(y):
    """Samples whose targets are all known: the loss skips the others (ragged panels)."""
    return ~np.isnan(y).any(axis=1)


def known_targets_r2(y, y_pred, sample_weight=None):
    """R² of every output over its known (non-NaN) targets, averaged over the outputs.

    sklearn's ``r2_score`` refuses NaN, which marks the unknown values of a
    ragged panel. Rows a series cannot be forecast from (its current value
    unknown: NaN predictions) are left out with them, and so is an output
    with fewer than two rows left.
    """
    from sklearn.metrics import r2_score

    y_pred = np.asarray(y_pred, dtype=float)
    y = np.asarray(y, dtype=float).reshape(y_pred.shape)
    y, y_pred = y.reshape(len(y), -1), y_pred.reshape(len(y_pred), -1)
    scores = []
    for j in range(y.shape[1]):
        known = ~np.isnan(y[:, j]) & ~np.isnan(y_pred[:, j])
        if known.sum() >= 2:
            weight = None if sample_weight is None else np.asarray(sample_weight)[known]
            scores.append(r2_score(y[known, j], y_pred[known, j], sample_weight=weight))
    if not scores:
        raise ValueError(
            "y has fewer than two known (non-NaN) values in every output, so R² is "
            "undefined; score on rows where the series have values."
        )
    return float(np.mean(scores))
