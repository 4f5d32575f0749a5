"""The shapes users hold, as one panel: wide rows and long frames in, predictions out.

A layout only encodes (as scikit-learn's gradient boosting encodes ``y``):
it turns validated input into a :class:`~sklstm._panel.Panel` with each
row's time label, and the panel's predictions back into the shape of the
user's ``y``. Everything else, the recipe and its guarantees, is one path.

- **Wide rows**: one row per time point (a series, or ``k`` aligned series
  sharing exogenous columns), placed in time by X's index (integers on a
  regular step, dates, periods) or, without one, by position. Series ``j``
  of a row is a panel row holding that series' value, then the exogenous
  columns; its targets are ``y``'s columns ``j * h .. (j + 1) * h - 1``.
- **Long frames**: X indexed by ``(series, time)``, each row a panel row.

The memory is the same for both: each series' rows of its last
``sequence_length`` steps, with their time labels (:func:`memory_of`).
"""

import numpy as np
import pandas as pd

from ._clock import (
    clock_mismatch, clock_of, ordered_last_label, panel_clock, steps_on, time_kind,
)
from ._panel import (
    Panel, after_memory, check_one_kind_of_ids, memory_rows, place_after, sort_rows,
)


def is_long(X):
    """Whether X is a long panel: a DataFrame indexed by (series, time)."""
    return isinstance(getattr(X, "index", None), pd.MultiIndex)


def series_values(values, targets):
    """Wide rows' values as each series' rows: ``(k * n, 1 + n_exogenous)``, series-major.

    Row ``j * n + t`` holds series ``j``'s value at row ``t`` (column
    ``targets[j]``), then the columns that are no target: the exogenous
    columns every series shares.
    """
    targets = np.atleast_1d(targets)
    exogenous = np.setdiff1d(np.arange(values.shape[1]), targets)
    return np.concatenate([np.column_stack([values[:, t], values[:, exogenous]])
                           for t in targets]) if len(targets) > 1 else \
        np.column_stack([values[:, targets[0]], values[:, exogenous]])


def series_targets(y, n_series):
    """``y`` of wide rows (n, n_series * h), series-major, as panel rows (n_series * n, h)."""
    n = len(y)
    return y.reshape(n, n_series, -1).transpose(1, 0, 2).reshape(n * n_series, -1)


def wide_outputs(pred, n_series):
    """Panel rows' predictions (n_series * n, h) back as wide rows (n, n_series * h)."""
    n = len(pred) // n_series
    return pred.reshape(n_series, n, -1).transpose(1, 0, 2).reshape(n, -1)


def wide_fit(values, index, targets):
    """The panel of wide training rows, their time labels and the memory's facts about them.

    Returns ``(panel, times, facts)``: ``times`` label each panel row (X's
    index where it places the rows, else positions); ``facts`` are what the
    memory needs to place later rows (:func:`place_after`).
    """
    from ._clock import is_default_index

    n = len(values)
    k = len(np.atleast_1d(targets))
    clock, reason = clock_of(index) if index is not None else (None, None)
    if clock is not None:
        steps, _ = steps_on(clock, index)
        labels = index
    else:
        steps, labels = np.arange(n, dtype=np.int64), pd.RangeIndex(n)
    panel = Panel(series_values(values, targets), np.repeat(np.arange(k), n),
                  np.tile(steps, k), k)
    facts = {
        "first_row": values[:1].copy(),
        "default_index": index is None or is_default_index(index),
        "index_reason": reason,
        "last_label": None if index is None else ordered_last_label(index),
        "updated": False,
    }
    times = labels.repeat(1) if k == 1 else labels.append([labels] * (k - 1))
    return panel, clock, times, facts


def wide_rows(values, index, targets, memory, clock, *, owner, update=False):
    """Wide rows after the memory: the panel of both, and the positions of X's rows in it.

    Returns ``(panel, times, rows)``: ``rows[j * n + t]`` is the panel row of
    X's row ``t`` in series ``j``.
    """
    n, k = len(values), len(np.atleast_1d(targets))
    facts = memory
    mem_codes, mem_times, mem_values = memory["codes"], memory["times"], memory["values"]
    n_memory = int(np.bincount(mem_codes, minlength=k).max()) if len(mem_codes) else 0
    own = series_values(values, targets)
    codes = np.repeat(np.arange(k), n)
    memory_index = mem_times[mem_codes == 0] if len(mem_codes) else mem_times[:0]
    first_row = facts["first_row"]
    mode, steps = place_after(
        memory_index, index, clock=clock, fitted_default_index=facts["default_index"],
        index_reason=facts["index_reason"], last_label=facts["last_label"],
        first_row_matches=(not update and first_row is not None and len(values)
                           and np.array_equal(values[:1], first_row.astype(values.dtype),
                                              equal_nan=True)),
        n_rows=n, updated=facts["updated"] or update, n_memory=n_memory, owner=owner,
        fix="Pass X as a DataFrame indexed by time to place it.", stacklevel=6,
    )
    memory_steps = _memory_steps(clock, memory_index)
    if mode == "labels":
        memory_steps, x_steps = steps[:len(memory_index)], steps[len(memory_index):]
        times = index
    elif mode == "continue":
        last = memory_steps.max() if len(memory_steps) else -1
        x_steps = last + 1 + np.arange(n, dtype=np.int64)
        times = _labels_after(clock, memory_index, n)
    else:  # "fresh": X starts the series anew, no memory row is its past
        x_steps = np.arange(n, dtype=np.int64)
        memory_steps = np.full(len(memory_index), np.iinfo(np.int64).max)
        times = index if index is not None else pd.RangeIndex(n)
    if update and mode == "fresh":
        raise ValueError(
            f"{owner}.update takes the rows after the remembered ones, but X starts at or "
            "before them; pass only the new rows (to window earlier rows, predict them; to "
            "start over, fit)."
        )
    all_mem_steps = np.tile(memory_steps, k) if len(mem_codes) else memory_steps[:0]
    x_codes_steps = np.tile(x_steps, k)
    keep = after_memory(mem_codes, all_mem_steps, codes, x_codes_steps)
    if update and len(memory_index) and len(x_steps) and mode == "labels" \
            and x_steps[0] <= memory_steps.max():
        raise ValueError(
            f"{owner}.update takes the rows after the remembered ones, but X starts at "
            f"{index[0]!r}, not after {memory_index[-1]!r}; pass only the new rows."
        )
    return _join(mem_codes[keep], all_mem_steps[keep], mem_values[keep], mem_times[keep] if
                 len(mem_codes) else mem_times[:0],
                 codes, x_codes_steps, own, _tiled(times, k), k, owner=owner,
                 label_of=lambda row: row)


def _tiled(times, k):
    return times if k == 1 else times.append([times] * (k - 1))


def _memory_steps(clock, memory_index):
    """The steps of the remembered labels (positions when there is no clock)."""
    if not len(memory_index):
        return np.zeros(0, dtype=np.int64)
    if clock is None:
        return np.asarray(memory_index, dtype=np.int64)
    steps, _ = steps_on(clock, memory_index)
    return steps


def _labels_after(clock, memory_index, n):
    """The labels of ``n`` rows that follow the memory directly (positions without a clock)."""
    from ._clock import labels_after

    if not len(memory_index):
        return pd.RangeIndex(n)
    if clock is None:
        start = int(memory_index[-1]) + 1
        return pd.RangeIndex(start, start + n)
    return labels_after(clock, memory_index[-1], n, name=memory_index.name)


def _join(mem_codes, mem_steps, mem_values, mem_times, codes, steps, values, times, n_series,
          *, owner, label_of):
    """The panel of memory rows then new rows, sorted, and where each new row went."""
    all_codes = np.r_[mem_codes, codes].astype(np.int64)
    all_steps = np.r_[mem_steps, steps].astype(np.int64)
    all_values = np.concatenate([mem_values, values]) if len(mem_values) else values
    all_times = mem_times.append(times) if len(mem_times) else times
    order = sort_rows(all_codes, all_steps, lambda row: label_of(all_codes[row]), owner=owner)
    panel = Panel(all_values[order], all_codes[order], all_steps[order],
                  max(n_series, int(all_codes.max()) + 1 if len(all_codes) else 0))
    where = np.empty(len(order), dtype=np.int64)
    where[order] = np.arange(len(order))
    return panel, all_times[order], where[len(mem_codes):]


# --- long frames -------------------------------------------------------------------


def long_fit(values, index, *, owner):
    """The panel of a long training frame: ``(panel, clock, times, labels, order)``.

    ``order`` sorts X's rows by (series, time); series are numbered in
    their order of appearance, ``labels`` naming them.
    """
    codes, labels = _series_codes(index, owner)
    times = index.get_level_values(1)
    clock, steps = panel_clock(times, codes, labels, what=index.names[1] or "time")
    order = np.lexsort((steps, codes))
    panel = Panel(values[order], codes[order], steps[order], len(labels))
    return panel, clock, times[order], np.asarray(labels), order


def _series_codes(index, owner, known=None):
    """Each row's series number (``known``'s order first, then new ones), and the labels."""
    ids = index.get_level_values(0)
    missing = np.asarray(pd.isna(ids))
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        name = index.names[0] or "series"
        raise ValueError(
            f"{owner}: row {row} of X has no series id (NaN in {name!r}); every row needs "
            f"one: drop those rows first, e.g. data.dropna(subset=[{name!r}])."
        )
    if known is None:
        codes, labels = pd.factorize(ids)
        check_one_kind_of_ids(labels, index.names[0] or "series")
        return codes.astype(np.int64), labels
    known = pd.Index(known)
    codes = known.get_indexer(ids)
    new = codes < 0
    if new.any():  # series the model never saw: forecast from their own rows
        extra, _ = pd.factorize(ids[new])
        codes[new] = len(known) + extra
    return codes.astype(np.int64), None


def long_rows(values, index, memory, clock, series, *, owner, update=False):
    """Long rows after the memory: the panel of both, their times, and where X's rows went.

    With ``update``, each series' rows must come after its remembered ones.
    """
    codes, _ = _series_codes(index, owner, known=series)
    times = index.get_level_values(1)
    what = index.names[1] or "time"
    if time_kind(times) is None or (clock[0] == "date") != pd.api.types.is_datetime64_any_dtype(
            times.dtype) or (clock[0] == "period") != (time_kind(times) == "period"):
        kind = {"int": "integer times", "date": "dates", "period": "periods"}[clock[0]]
        raise ValueError(
            f"{owner}: X's {what} holds {times.dtype} values, but the model was fitted on "
            f"{kind}; pass the times as in fit (e.g. pandas.to_datetime for dates)."
        )
    if pd.isna(times).any():
        row = int(np.flatnonzero(np.asarray(pd.isna(times)))[0])
        raise ValueError(f"{owner}: row {row} of X has no {what} (NaN); every row needs one.")
    if clock[0] == "int":
        as_int = np.asarray(times, dtype=float)
        if not (as_int == np.round(as_int)).all():
            raise ValueError(f"{owner}: X's {what} holds values that are not whole numbers; "
                             "integer times count steps.")
        times = pd.Index(as_int.astype(np.int64), name=times.name)
    mem_codes, mem_times, mem_values = memory["codes"], memory["times"], memory["values"]
    if clock[0] == "date":
        reason = clock_mismatch(clock, pd.DatetimeIndex(times).sort_values())
        if reason is not None and "time zone" in reason:
            raise ValueError(f"{owner}: {reason}; pass the times as in fit.")
    steps, reason = steps_on(clock, mem_times.append(times) if len(mem_times) else times)
    if reason is not None:
        raise ValueError(
            f"{owner}: {reason.replace(' fitted ', ' panel' + chr(39) + 's ')}; pass times on "
            "the step the model was fitted on."
        )
    mem_steps, steps = steps[:len(mem_codes)], steps[len(mem_codes):]
    keep = after_memory(mem_codes, mem_steps, codes, steps)
    if update and (keep.sum() < len(mem_codes)) and np.isin(mem_codes[~keep], codes).any():
        raise ValueError(
            f"{owner}.update takes the rows after the remembered ones, but X holds rows at "
            "or before a series' remembered end; pass only the new rows."
        )
    labels = list(series) + list(pd.unique(index.get_level_values(0)[codes >= len(series)]))
    return _join(mem_codes[keep], mem_steps[keep], mem_values[keep], mem_times[keep],
                 codes, steps, values, times, len(series), owner=owner,
                 label_of=lambda code: labels[code])


def memory_of(panel, times, sequence_length, facts=None):
    """The memory of a fitted panel: each series' rows of its last ``sequence_length`` steps.

    A plain dict (saved with the model): ``codes``, ``times`` (their labels)
    and ``values`` of those rows, plus, for wide rows, the facts that place
    later rows (:func:`wide_fit`).
    """
    keep = memory_rows(panel, sequence_length)
    return {"codes": panel.codes[keep], "times": times[keep], "values": panel.values[keep],
            **(facts or {})}
