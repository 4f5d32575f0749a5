"""Forecasters saved by sklstm 0.2: they load, and predict as they did.

sklstm 0.2 had two recipes. A forecaster it fitted on **wide rows** holds
the old wide recipe's parts (min-max scalers, a :class:`SequenceWindower`,
an :class:`LSTMRegressor`, ``trend``): this module predicts with them, through
their public methods, until the model is refitted (a refit runs today's one
recipe). A forecaster it fitted on a **long panel** holds the one recipe's
parts under older names: :func:`upgraded` renames them once, on load.
"""

import numpy as np
import pandas as pd

from ._checks import check_same_as_fitted
from ._conformal import half_widths as conformal_half_widths
from ._state import same_value


def is_wide_0_2(forecaster):
    """Whether ``forecaster`` was fitted on wide rows by sklstm 0.2 (the old wide recipe)."""
    return hasattr(forecaster, "regressor_") and hasattr(forecaster, "windower_")


def upgraded(state):
    """The attributes of a long-panel forecaster saved by 0.2, under today's names.

    Returns None when there is nothing to rename.
    """
    if state.get("layout_") != "long" or "regressor_" not in state:
        return None
    freq = state.get("freq_")
    if freq is None:
        raise ValueError(
            "this long-panel forecaster was fitted by sklstm 0.2 on times without a "
            "regular step, which today's forecaster no longer takes; refit it."
        )
    clock = ("int", int(freq)) if isinstance(freq, (int, np.integer)) else ("date", freq, None)
    state = dict(state)
    memory = {"codes": np.asarray(state.pop("memory_codes_"), dtype=np.int64),
              "times": pd.Index(state.pop("memory_times_")),
              "values": np.asarray(state.pop("memory_values_"), dtype=np.float64)}
    del state["freq_"]
    state.update(model_=state.pop("regressor_").model_, clock_=clock, memory_=memory)
    return state


class RelativeWindows:
    """0.2's ``trend="diff"`` windows: target channels relative to their last value.

    ``windows`` is the windower's view of the scaled columns with the raw
    targets riding along as its last channels; ``np.asarray`` makes the
    finished float64 windows.
    """

    def __init__(self, windows, positions, scale):
        self.windows, self.positions, self.scale = windows, list(positions), scale

    def __array__(self, dtype=None, copy=None):
        n_targets = len(self.positions)
        raw = self.windows[..., -n_targets:]
        out = np.array(self.windows[..., :-n_targets])
        out[..., self.positions] = (raw - raw[..., -1:, :]) / self.scale
        return out if dtype is None else out.astype(dtype, copy=False)


def _network_columns(forecaster):
    if hasattr(forecaster, "columns_"):
        return forecaster.columns_
    if forecaster.n_series_ is None:
        return np.arange(forecaster.n_features_in_)
    targets = np.atleast_1d(forecaster.target_index_)
    return np.r_[targets, np.setdiff1d(np.arange(forecaster.n_features_in_), targets)].astype(int)


def _window_input(forecaster, X):
    """0.2's windower input: X scaled, in the network's order (and the raw targets)."""
    columns = forecaster.scaler_X_.transform(X)[:, _network_columns(forecaster)]
    if forecaster.trend == "diff":
        columns = np.column_stack([columns, X[:, np.atleast_1d(forecaster.target_index_)]])
    return columns


def _as_placed(columns, index):
    """The columns as the windower reads them: placed by X's index when it has one."""
    return columns if index is None else pd.DataFrame(columns, index=index)


def _levels(forecaster, X):
    if forecaster.n_series_ is None:
        return X[:, forecaster.target_index_, np.newaxis]
    return np.repeat(X[:, forecaster.target_index_],
                     forecaster.n_outputs_ // forecaster.n_series_, axis=1)


def _network_output(regressor, windows):
    """The 0.2 regressor's predictions for its windows, through its fitted public parts.

    Its ``predict`` would check the windows against ``n_features_in_``, which
    0.2 counted differently; the network and the target encoder are enough.
    """
    from . import _engine
    from ._series import stack_series, unstack_predictions

    if regressor.n_series is not None:
        windows = stack_series(windows, regressor.n_series,
                               with_ids=bool(regressor.series_embedding))
    y = np.asarray(_engine.predict(regressor.model_, windows))
    if regressor.n_series is not None:
        y = unstack_predictions(y, regressor.n_series)
    return regressor.target_encoder_.inverse_transform(y).astype(np.float64)


def predict(forecaster, X, index):
    """0.2's predictions (n_samples, n_outputs) for validated wide rows X."""
    windows = forecaster.windower_.transform(_as_placed(_window_input(forecaster, X), index))
    if forecaster.trend == "diff":
        targets = np.atleast_1d(forecaster.target_index_)
        at = [int(np.flatnonzero(_network_columns(forecaster) == t)[0]) for t in targets]
        windows = RelativeWindows(windows, at, forecaster.diff_scale_)
    z = _network_output(forecaster.regressor_, np.asarray(windows)).reshape(len(X), -1)
    y = forecaster.scaler_y_.inverse_transform(z)
    if forecaster.trend in ("last", "diff"):
        y = y + _levels(forecaster, X)
    return y


def update(forecaster, X, index):
    """Move 0.2's windower memory forward over validated wide rows X."""
    forecaster.windower_.update(_as_placed(_window_input(forecaster, X), index))


def half_widths(forecaster, coverage):
    """0.2's split-conformal half-widths, one per output (NaN where too few rows are known)."""
    return conformal_half_widths(forecaster.conformity_scores_, coverage,
                                 held_out="held-out calibration rows",
                                 fix="refit on more rows")


def check_loaded(forecaster):
    """A 0.2 forecaster's parameters must be those its parts were fitted with."""
    regressor = forecaster.regressor_
    fitted = {"units": regressor.units, "dropout": regressor.dropout}
    if forecaster.sequence_length != "auto":
        fitted["sequence_length"] = forecaster.windower_.sequence_length
    # a parameter left at "auto" was resolved at fit: nothing to compare
    changed = {name: (was, getattr(forecaster, name)) for name, was in fitted.items()
               if getattr(forecaster, name) != "auto"
               and not same_value(was, getattr(forecaster, name))}
    check_same_as_fitted(changed, "network")
