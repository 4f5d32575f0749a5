"""One layout for every shape of data: a panel of series, each on its own time grid.

A single series is a panel of one, a wide frame a panel of ``k`` aligned
series, a long frame a panel. Whatever the shape, the recipe sees a
:class:`Panel`: every row's values (the series' own value first, then the
other features), its series number and its step on the panel's clock, the
rows sorted by series and time, as statsforecast's ``GroupedArray`` holds
them (one array and the offsets of each series). On it, one
:class:`SeriesGrid` windows training rows, held-out rows and new rows alike,
and one memory (each series' last rows, placed by time) gives rows that
continue the fitted ones their real past.
"""

import numpy as np


def _plain(label):
    """A label as users wrote it: numpy scalars as Python ones (2, not np.int64(2))."""
    return label.item() if isinstance(label, np.generic) else label


def series_name(label):
    """``series 'a'``: a series named for messages."""
    return f"series {_plain(label)!r}"


class Panel:
    """The rows of every series, sorted by (series, step).

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_features), float64
        Each row's values: its series' own value (column 0), then the other
        features (exogenous columns); NaN marks an unknown value.
    codes : ndarray of shape (n_rows,), int
        Each row's series number, in ``0 .. n_series - 1``.
    steps : ndarray of shape (n_rows,), int64
        Each row's step on the panel's clock; consecutive steps of a series
        differ by 1, a missing step shows as a jump.
    n_series : int
        The number of series (some may have no row).

    The rows must come sorted by (series, step), each step once per series
    (:func:`sort_rows` gives that order).
    """

    def __init__(self, values, codes, steps, n_series):
        self.values = values
        self.codes = np.asarray(codes, dtype=np.int64)
        self.steps = np.asarray(steps, dtype=np.int64)
        self.n_series = int(n_series)

    def __len__(self):
        return len(self.codes)

    @property
    def lengths(self):
        """Rows of each series."""
        return np.bincount(self.codes, minlength=self.n_series)

    def first_steps(self):
        """Each series' first step (int64 max where a series has no row)."""
        first = np.full(self.n_series, np.iinfo(np.int64).max)
        np.minimum.at(first, self.codes, self.steps)
        return first

    def last_steps(self):
        """Each series' last step (int64 min where a series has no row)."""
        last = np.full(self.n_series, np.iinfo(np.int64).min)
        np.maximum.at(last, self.codes, self.steps)
        return last

    def spans(self):
        """Steps from each series' first row to its last, both included (0 without rows)."""
        first, last = self.first_steps(), self.last_steps()
        return np.where(last >= first, last - first + 1, 0)

    def ahead(self, horizon, rows=None):
        """Each row's values at its series' next ``horizon`` steps: (n_rows, n_features, horizon).

        Only for ``rows`` (positions) when given. NaN where a step has no row (after a series' end, or a missing
        step): targets and future-known columns are placed by time, never
        by the next row.
        """
        spans = self.spans()
        first = self.first_steps()
        base = np.r_[0, np.cumsum(spans + horizon)[:-1]]
        position = base[self.codes] + self.steps - first[self.codes]
        grid = np.full((int((spans + horizon).sum()), self.values.shape[1]), np.nan)
        grid[position] = self.values
        if rows is not None:
            position = position[rows]
        return grid[position[:, None] + np.arange(1, horizon + 1)].transpose(0, 2, 1)

    def from_end(self):
        """For each row, how many rows of its series come after it: the one rank in series."""
        lengths = self.lengths
        starts = np.r_[0, np.cumsum(lengths)[:-1]]
        rank = np.arange(len(self.codes)) - starts[self.codes]
        return lengths[self.codes] - 1 - rank

    def steps_before_end(self):
        """For each row, how many steps its series goes on after it (missing steps count)."""
        return self.last_steps()[self.codes] - self.steps

    def series_changes(self):
        """Each series' mean one-step change and mean absolute one-step change.

        ``(drift, scale)``, each of shape (n_series,), over the steps whose
        both values are known (0 where a series has none).
        """
        values, codes, steps = self.values[:, 0], self.codes, self.steps
        consecutive = (codes[1:] == codes[:-1]) & (steps[1:] == steps[:-1] + 1)
        change = np.diff(values)[consecutive]
        known = np.isfinite(change)
        at = codes[1:][consecutive][known]
        count = np.bincount(at, minlength=self.n_series)
        with np.errstate(invalid="ignore", divide="ignore"):
            drift = np.bincount(at, weights=change[known], minlength=self.n_series) / count
            scale = np.bincount(at, weights=np.abs(change[known]),
                                minlength=self.n_series) / count
        return (np.where(np.isfinite(drift), drift, 0.0),
                np.where(np.isfinite(scale), scale, 0.0))

    def take(self, rows):
        """The panel of ``rows`` only (sorted positions), every series kept."""
        return Panel(self.values[rows], self.codes[rows], self.steps[rows], self.n_series)


def check_one_kind_of_ids(labels, series="series"):
    """Series ids of several kinds (1 and "1") are refused: they read alike and save apart."""
    kinds = {type(_plain(label)).__name__ for label in labels}
    if len(kinds) > 1:
        shown = [_plain(label) for label in labels[:4]]
        raise ValueError(
            f"series={series!r} mixes ids of several kinds ({', '.join(sorted(kinds))}), e.g. "
            f"{shown}; ids 1 and '1' would be two series that print alike. Make them one "
            f"kind, e.g. data[{series!r}] = data[{series!r}].astype(str)."
        )


def sort_rows(codes, steps, label_of, *, owner, what="time"):
    """Row order by (series, step); a series with two rows at one step is refused by name.

    ``label_of(row)`` names the series of a row (in the caller's order).
    """
    order = np.lexsort((steps, codes))
    c, s = codes[order], steps[order]
    same = (c[1:] == c[:-1]) & (s[1:] == s[:-1])
    if same.any():
        row = order[int(np.flatnonzero(same)[0]) + 1]
        raise ValueError(
            f"{owner}: {series_name(label_of(row))} has more than one row at one {what}; "
            f"keep one row per series and {what}."
        )
    return order


class SeriesGrid:
    """The rows of a panel laid out per series on their time grid, for windows.

    Each series gets ``sequence_length - 1`` padding steps before its first
    step and a NaN wherever a step is missing; :meth:`windows` reads the
    window ending at each row from one strided view of that grid, copying
    only the windows asked for. The grid keeps the panel's float64 values:
    windows are scaled in float64 before the network's float32.
    """

    def __init__(self, panel, sequence_length):
        self.sequence_length = L = int(sequence_length)
        spans = panel.spans()
        first = panel.first_steps()
        base = np.r_[0, np.cumsum(spans + L - 1)[:-1]]
        self.positions = base[panel.codes] + (L - 1) + (panel.steps - first[panel.codes])
        self.n_features = panel.values.shape[1]
        flat = np.full((int((spans + L - 1).sum()), self.n_features), np.nan)
        flat[self.positions] = panel.values
        # (n_steps - L + 1, n_features, L): a view, nothing copied
        self._view = np.lib.stride_tricks.sliding_window_view(flat, L, axis=0)

    def windows(self, rows, features=None):
        """Windows ending at ``rows``: float64 (len(rows), sequence_length, n_features).

        ``features`` (a list of columns) reads only those.
        """
        start = self.positions[rows] - self.sequence_length + 1
        if features is None:
            return np.ascontiguousarray(self._view[start].transpose(0, 2, 1))
        view = self._view[np.asarray(start)[:, None], np.asarray(features)[None, :]]
        return np.ascontiguousarray(view.transpose(0, 2, 1))


def memory_rows(panel, length):
    """Which rows of ``panel`` are among their series' last ``length`` steps: the memory
    a fitted model keeps, the past of rows that continue its training rows."""
    return panel.steps > panel.last_steps()[panel.codes] - length


def after_memory(memory_codes, memory_steps, codes, steps):
    """Which memory rows come before the first row of their series among ``codes``/``steps``.

    The memory is the past of the rows that continue it: a series' memory
    rows at or after its first new row are the new rows' own steps (a
    test fold inside the fitted rows, say), never their past.
    """
    if not len(codes):
        return np.zeros(len(memory_codes), dtype=bool)
    n = int(max(codes.max(), memory_codes.max() if len(memory_codes) else 0)) + 1
    first = np.full(n, np.iinfo(np.int64).min)
    present = np.zeros(n, dtype=bool)
    present[codes] = True
    first[present] = np.iinfo(np.int64).max
    np.minimum.at(first, codes, steps)
    return present[memory_codes] & (memory_steps < first[memory_codes])


# --- new rows after a memory ------------------------------------------------------


def place_after(memory_index, index, *, clock, fitted_default_index, index_reason, last_label,
                first_row_matches, n_rows, updated, n_memory, owner, fix, stacklevel):
    """Where rows after a remembered end lie in time: the one rule of every memory.

    Returns ``("labels", steps)`` when ``index`` places the rows on
    ``clock`` (``steps`` counts the memory's labels, then X's, from the
    earliest), ``("fresh", None)`` when X starts the series anew (it
    begins with the fitted rows' own first row, or its ordered labels come
    no later than the fitted ones: no remembered row may be its past), or
    ``("continue", None)`` when X is taken to follow the memory directly
    (arrays, and labels that cannot be placed, with a warning that says
    why; a lone unlabelled row before any update warns too: rows predicted
    one at a time would all get the same past). Without remembered rows
    (``n_memory`` 0) X always starts anew. The warnings name ``owner``,
    end with ``fix`` and point ``stacklevel`` frames up from here.
    """
    import warnings

    from ._clock import clock_mismatch, is_default_index, starts_by, steps_on

    labelled = index is not None and not (fitted_default_index and is_default_index(index))
    reason = None
    if clock is not None and labelled:
        reason = clock_mismatch(clock, index)
        if reason is None:
            steps, reason = steps_on(clock, memory_index.append(index))
            if steps is not None:
                return "labels", steps
    if not n_memory:
        return "fresh", None
    if not labelled:
        reason = None  # no labels to go by, or a RangeIndex pandas made up
    elif reason is None:
        reason = index_reason  # the fitted labels could not be placed
    if reason is not None and starts_by(index, last_label):
        # ordered labels off a regular grid still show that X does not come
        # after the fitted rows: no window may take later rows as its past
        return "fresh", None
    if first_row_matches:  # only the first row decides, so no window depends on a later row
        return "fresh", None
    if reason is not None:
        warnings.warn(
            f"{owner} cannot place X in time by its index ({reason}), "
            f"so it takes X to continue the fitted rows: their last {n_memory} "
            f"fill the first windows. {fix}",
            UserWarning, stacklevel=stacklevel,
        )
    elif n_rows == 1 and not updated:
        warnings.warn(
            f"{owner} takes this one row, which has no time label, to follow "
            f"the fitted rows directly: its window is their last {n_memory} and the "
            "row. If it comes later (rows predicted one at a time), that is the "
            "wrong past: call update(rows) with each row once it is known (the "
            "memory then moves forward), or pass X as a DataFrame indexed by time.",
            UserWarning, stacklevel=stacklevel,
        )
    return "continue", None
