"""SequenceWindower: one window of past rows per input row."""

import numbers
import warnings

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from sklearn import get_config
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ._checks import (
    BOOLEAN,
    FLOAT_DTYPES,
    Interval,
    Options,
    check_choice,
    check_numeric,
    check_time_order,
    input_feature_names,
    validate_data,
    validate_params,
)
from ._state import PlainState
from ._clock import (
    clock_mismatch,
    clock_of,
    index_of,
    is_default_index,
    labels_after,
    ordered_last_label,
    steps_on,
)
from ._panel import place_after

PADDINGS = ("mask", "edge")
CONTAINERS = ("default", "pandas", "polars")


# sklearn's automatic wrapping would turn 3-D windows into a DataFrame and fail:
# the windower wraps its own flat output instead (see set_output)
class SequenceWindower(PlainState, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Turn rows in time order into windows of the past, one window per row.

    Row ``t`` of the output holds input rows ``t - sequence_length + 1``
    through ``t``: the past up to and including ``t``, never a row after it.
    With ``sequence_length=3``, output row 5 holds input rows 3, 4 and 5, and
    output row 1 holds rows 0 and 1 after one padded step.

    Every input row gets an output row, so ``y`` stays aligned inside a
    :class:`~sklearn.pipeline.Pipeline`. Steps with no known row are padded:
    with ``padding="mask"`` they are NaN, which :class:`~sklstm.LSTMRegressor`
    masks (the LSTM skips them); with ``padding="edge"`` they repeat the
    nearest known row, for regressors that do not accept NaN.

    The windower remembers the last ``sequence_length - 1`` rows it was
    fitted on, and :meth:`transform` fills the windows of rows that continue
    them with those rows: the first test rows of a
    :class:`~sklearn.model_selection.TimeSeriesSplit` fold see the end of the
    training fold, as they would in use. ``fit_transform`` never uses the
    memory, so training windows hold training rows only. :meth:`update`
    moves the memory forward, for rows that arrive one at a time. Where rows
    are in time, in ``fit_transform`` and ``transform`` alike:

    - **X with an index** (a DataFrame, e.g. under a Pipeline's
      ``set_output(transform="pandas")``): exactly, by labels. The window of
      row ``t`` holds the rows labelled ``t - sequence_length + 1 .. t`` from
      X or the memory; a step in neither (a missing date, a
      ``TimeSeriesSplit(gap=...)`` gap, rows a ``KFold`` held out, time
      before the data) is padded. Integer labels (on their most common gap,
      when it is the smallest and every gap is a whole number of it), a
      DatetimeIndex with a ``freq`` (or one pandas infers from the fitted
      rows) and a PeriodIndex are placed; other indexes fall back to the next
      rule, with a warning that says why. An index of dates, periods or
      numbers that repeats a label or goes back in time is an error, as in
      :func:`make_supervised`.
    - **X without an index** (an array, or a polars DataFrame, which has
      none): X continues the fitted rows, unless
      it begins with the fitted rows' own first row (in-sample, or the whole
      series from its start), which is windowed with its own past only.
      Arrays cannot show a gap, nor that they start inside the fitted rows:
      with ``TimeSeriesSplit(gap=...)``, or to predict a slice of the
      training rows other than their start, pass X as a DataFrame (and set
      the Pipeline's output to pandas), or use ``remember=False``. A lone
      row taken to follow the fitted rows warns (rows predicted one at a
      time would all get the same past), until :meth:`update` is used.

    Parameters
    ----------
    sequence_length : int, default=10
        Number of time steps in each window (Keras's word for it).

    padding : {"mask", "edge"}, default="mask"
        How steps with no known row are filled: ``"mask"`` with NaN (masked
        by LSTMRegressor), ``"edge"`` with the row before them or else the
        first known row.

    flatten : bool, default=False
        If False, output ``(n_samples, sequence_length, n_features)`` windows
        for an LSTM. If True, output the flat 2-D form
        ``(n_samples, sequence_length * n_features)`` with oldest step first,
        for classic regressors such as Ridge; its columns are named by
        :meth:`get_feature_names_out` (``temp_max_t-2``, ...).

    remember : bool, default=True
        Whether :meth:`transform` fills the windows of rows that continue the
        fitted rows with them. Set it to False (no refit needed) to apply a
        fitted pipeline to another series, windowed with its own rows only.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during :term:`fit`, when X has string column
        names.

    last_window_ : ndarray of shape (at most sequence_length - 1, n_features_in_)
        The rows of the last ``sequence_length - 1`` fitted time steps (or
        of the last :meth:`update`): the past of the rows that continue them.

    last_window_index_ : pandas.Index or None
        Their labels (integers, dates or periods), or None if X had no
        index, or one that cannot be placed in time.

    See Also
    --------
    LSTMRegressor : Consumes the 3-D windows and masks the padding.
    keras.utils.timeseries_dataset_from_array : Keras's windowing, which
        drops the rows without a full history instead of padding them.

    Notes
    -----
    The 3-D output is a read-only view of the padded input
    (``numpy.lib.stride_tricks.sliding_window_view``), so it costs memory for
    ``n_samples + sequence_length - 1`` rows, not for every window. Because a
    window depends on the rows before it, transform rows in time order;
    transforming a subset or a shuffled copy gives other windows. Besides
    the last rows, the windower keeps its first fitted row: an array that
    begins with it is taken to start where the fitted rows did (should a
    continuation begin with that very row, its first windows are padded).

    NaN in X marks a missing value (a series that starts late or stops
    early, in a panel): with ``padding="mask"`` it is masked like padding;
    with ``padding="edge"`` it is an error, as are infinite values.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import SequenceWindower
    >>> X = np.arange(6.0).reshape(-1, 1)
    >>> windower = SequenceWindower(sequence_length=3)
    >>> windower.fit_transform(X[:4])[:, :, 0]
    array([[nan, nan,  0.],
           [nan,  0.,  1.],
           [ 0.,  1.,  2.],
           [ 1.,  2.,  3.]])
    >>> windower.transform(X[4:])[:, :, 0]  # continues the fitted rows
    array([[2., 3., 4.],
           [3., 4., 5.]])
    >>> SequenceWindower(3, padding="edge", flatten=True).fit_transform(X[:4])
    array([[0., 0., 0.],
           [0., 0., 1.],
           [0., 1., 2.],
           [1., 2., 3.]])
    """

    def __init__(self, sequence_length=10, *, padding="mask", flatten=False, remember=True):
        self.sequence_length = sequence_length
        self.padding = padding
        self.flatten = flatten
        self.remember = remember

    _parameter_constraints = {
        "sequence_length": [Interval(numbers.Integral, 1, None)],
        "padding": [Options(*PADDINGS)],
        "flatten": [BOOLEAN],
        "remember": [BOOLEAN],
    }
    _parameter_hints = {
        "sequence_length": "pass the number of past time steps per window, e.g. 5",
    }
    _nan_hint = (
        "padding='edge' needs every value: fill them first (e.g. X.interpolate()), or use "
        "padding='mask', which masks NaN steps for LSTMRegressor"
    )

    def _validate(self, X, *, reset):
        """X as a float array, and its pandas index (None for arrays)."""
        if reset:  # the parameters are checked at fit, not at every transform
            validate_params(self)
        check_numeric(X, "SequenceWindower")
        index = index_of(X)
        # NaN marks a missing value, masked like padding; "edge" is for
        # regressors that cannot take NaN, so there it stays an error
        allow_nan = "allow-nan" if self.padding == "mask" else True
        X = validate_data(self, X, dtype=FLOAT_DTYPES, reset=reset, ensure_all_finite=allow_nan)
        if index is not None and len(index) != len(X):  # e.g. a DataFrame of lists
            index = None
        return X, index

    def _check_rows(self, X, index):
        """Refuse rows out of time order, and windows whose padding would exhaust memory.

        Every way in applies it, the checked ones of :meth:`_fit_transform_checked` included.
        """
        if index is not None:  # the rule make_supervised and forecast() apply
            check_time_order(index, "the index of X", fix="sort it, e.g. X.sort_index()")
        n_pad = self.sequence_length - 1
        size = n_pad * X.shape[1] * X.dtype.itemsize
        if n_pad > len(X) and size > 2**30:
            raise ValueError(
                f"sequence_length={self.sequence_length} is longer than X ({len(X)} rows): "
                f"each window reaches {n_pad - len(X) + 1:,} steps before any row, and "
                f"padding them would take {size / 2**30:,.1f} GiB. Pass a sequence_length "
                f"of at most the history a window can hold, e.g. sequence_length={len(X)}."
            )

    def _remember(self, X, index):
        """Remember the first row and the rows of the last ``sequence_length - 1`` steps.

        Returns the steps of X's rows on its index's clock (None if it has none).
        """
        self._first_row = X[:1].copy()
        self._default_index = index is None or is_default_index(index)
        self._updated = False
        self._clock, self._index_reason, self._last_label, steps = None, None, None, None
        if index is not None:
            self._clock, self._index_reason = clock_of(index)
            self._last_label = ordered_last_label(index)
            if self._clock is not None:
                steps, _ = steps_on(self._clock, index)
        self._keep_last(X, index, steps)
        return steps

    def _keep_last(self, X, labels, steps):
        """Keep the rows of the last ``sequence_length - 1`` steps (the last rows, without steps)."""
        n_pad = self.sequence_length - 1
        if steps is None:
            keep = slice(len(X) - min(n_pad, len(X)), None)
        else:  # a slice keeps a DatetimeIndex's freq
            keep = slice(int(np.searchsorted(steps, steps[-1] - n_pad, side="right")), None)
        self.last_window_ = X[keep].copy()
        self.last_window_index_ = labels[keep] if steps is not None else None

    def _memory_clock(self):
        """The clock of the remembered labels (derived from them for older saves)."""
        if hasattr(self, "_clock"):
            return self._clock
        index = self.last_window_index_
        return None if index is None else clock_of(index)[0]

    def _labelled(self, index):
        """Whether X's labels place it (not a RangeIndex pandas made up, as for the fitted rows)."""
        return index is not None and not (self._default_index and is_default_index(index))

    def fit(self, X, y=None):
        """Record the features and remember the last ``sequence_length - 1`` rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows in time order.

        y : None
            Ignored.

        Returns
        -------
        self : SequenceWindower
            The fitted windower.
        """
        X, index = self._validate(X, reset=True)
        self._check_rows(X, index)
        self._remember(X, index)
        return self

    def fit_transform(self, X, y=None):
        """Fit, then window X with its own rows only (never the memory).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows in time order.

        y : None
            Ignored.

        Returns
        -------
        X_windows : ndarray or pandas.DataFrame
            As :meth:`transform`, with the first rows padded.
        """
        return self._fit_transform_checked(*self._validate(X, reset=True))

    def _fit_transform_checked(self, X, index):
        """fit_transform of validated X: a float array and its index."""
        self._check_rows(X, index)
        self.n_features_in_ = X.shape[1]
        steps = self._remember(X, index)
        if steps is not None:
            return self._output(self._place(X, steps, X[:0], steps[:0]), index)
        if self._index_reason is not None and index.dtype.kind in "iufM":
            warnings.warn(
                f"SequenceWindower cannot place X's rows in time by its index "
                f"({self._index_reason}), so each window holds the rows before it, "
                "whatever time lies between them.",
                UserWarning, stacklevel=3,
            )
        return self._output(self._window(X, self._unknown_past()), index)

    def _check_memory(self):
        check_is_fitted(self)
        if not hasattr(self, "last_window_"):
            raise ValueError(
                "This SequenceWindower was fitted by sklstm 0.1, which did not remember "
                "the fitted rows; refit it (or the estimator holding it) with this "
                "version to window new rows with their real past."
            )

    def transform(self, X):
        """Return the window of the past for every row of X.

        The steps before X's first row come from the remembered fitted rows
        where X continues them (see the class docstring), else they are
        padded.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows in time order.

        Returns
        -------
        X_windows : ndarray or pandas.DataFrame
            ``(n_samples, sequence_length, n_features)``, or
            ``(n_samples, sequence_length * n_features)`` if ``flatten``
            (a DataFrame with X's index under ``set_output(transform="pandas")``).
        """
        self._check_memory()
        return self._transform_checked(*self._validate(X, reset=False))

    def _transform_checked(self, X, index):
        """transform of validated X (see _fit_transform_checked)."""
        self._check_rows(X, index)
        n_memory = len(self.last_window_) if self.remember else 0
        memory_index = self.last_window_index_
        mode, steps = place_after(
            memory_index[:n_memory] if memory_index is not None else None, index,
            # saves of older versions lack the facts their rules did not need
            clock=self._memory_clock(),
            fitted_default_index=getattr(self, "_default_index", True),
            index_reason=getattr(self, "_index_reason", None),
            last_label=getattr(self, "_last_label", None),
            first_row_matches=np.array_equal(X[:1], self._first_row.astype(X.dtype),
                                             equal_nan=True),
            n_rows=len(X), updated=getattr(self, "_updated", False), n_memory=n_memory,
            owner="SequenceWindower",
            fix="Pass remember=False if X is not the continuation of the fitted rows.",
            stacklevel=5,  # the caller of transform
        )
        if mode == "labels":
            windows = self._place(X, steps[n_memory:], self.last_window_[:n_memory],
                                  steps[:n_memory])
            return self._output(windows, index)
        if mode == "fresh":
            return self._output(self._window(X, self._unknown_past()), index)
        n_pad = self.sequence_length - 1
        past = np.concatenate([np.full(n_pad - n_memory, -1), np.arange(n_memory)])
        return self._output(self._window(X, past, self.last_window_), index)

    def update(self, X):
        """Remember X as the newest rows: the past of the rows after it. No refit.

        :meth:`transform` fills the windows of rows that continue the
        remembered rows with them; ``update`` moves that memory forward, for
        rows that arrive one at a time (online use, or a tool that predicts
        step by step): window a row, then ``update`` with it, and the next row
        sees it in its past. A DataFrame is placed by its labels (it must
        come after the remembered rows); an array is taken to follow them
        directly.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows after the remembered ones, in time order.

        Returns
        -------
        self : SequenceWindower
            The windower, remembering the last ``sequence_length - 1`` steps
            up to X's last row.

        Examples
        --------
        >>> import numpy as np
        >>> from sklstm import SequenceWindower
        >>> X = np.arange(6.0).reshape(-1, 1)
        >>> windower = SequenceWindower(sequence_length=3).fit(X[:4])
        >>> windower.last_window_[:, 0]
        array([2., 3.])
        >>> windower.update(X[4:5]).last_window_[:, 0]   # row 4 is known now
        array([3., 4.])
        >>> windower.transform(X[5:6])[:, :, 0]   # so row 5's window holds it
        array([[3., 4., 5.]])
        """
        self._check_memory()
        return self._update_checked(*self._validate(X, reset=False))

    def _update_checked(self, X, index):
        """update with validated X (see _fit_transform_checked)."""
        self._check_rows(X, index)
        clock, memory = self._memory_clock(), self.last_window_index_
        rows = np.concatenate([self.last_window_, X.astype(self.last_window_.dtype)])
        if clock is None or not len(memory):
            self._keep_last(rows, None, None)
            if self._labelled(index):
                self._last_label = ordered_last_label(index)
        else:
            labels = (index if self._labelled(index)
                      else labels_after(clock, memory[-1], len(X), name=memory.name))
            reason = clock_mismatch(clock, labels)
            steps = None
            if reason is None:
                labels = memory.append(labels)
                steps, reason = steps_on(clock, labels)
            if reason is not None:
                raise ValueError(
                    f"update cannot place X after the remembered rows: {reason}. Pass the "
                    "rows that follow them, labelled as the fitted rows were."
                )
            if steps[len(memory)] <= steps[len(memory) - 1]:
                raise ValueError(
                    f"update takes the rows after the remembered ones, but X starts at "
                    f"{labels[len(memory)]!r}, not after {memory[-1]!r}; pass only the new "
                    "rows (to window earlier rows, transform them; to start over, fit)."
                )
            self._keep_last(rows, labels, steps)
            self._last_label = ordered_last_label(labels)
        self._updated = True
        return self

    def _unknown_past(self):
        return np.full(self.sequence_length - 1, -1)

    def _window(self, X, past, memory=None):
        """Windows of X after the steps ``past`` (rows of ``memory``, -1: padding)."""
        head = np.full((len(past), X.shape[1]), np.nan, dtype=X.dtype)
        known = past >= 0
        if known.any():
            head[known] = memory[past[known]]
        padded = np.concatenate([head, X])
        if self.padding == "edge" and not known.all():
            # an unknown step copies the step before it, or else the first known one
            edge = pd.DataFrame(padded[: len(past) + 1]).ffill().bfill()
            padded[: len(past)] = edge.to_numpy(dtype=X.dtype)[:-1]
        # (n_samples, n_features, sequence_length) view -> time axis second
        windows = sliding_window_view(padded, self.sequence_length, axis=0)
        return windows.transpose(0, 2, 1)

    def _place(self, X, steps, memory, memory_steps):
        """Windows of X, each row at its step: the step ``k`` before a row holds the row
        (of X, or else of ``memory``) at that step, or padding if there is none."""
        n_pad = self.sequence_length - 1
        before = memory_steps < steps[0]  # the memory is the past of X's first row only
        memory, memory_steps = memory[before], memory_steps[before]
        if steps[-1] - steps[0] == len(X) - 1:  # no gap inside X: a view, as for arrays
            head = steps[0] - n_pad + np.arange(n_pad)
            at = np.searchsorted(memory_steps, head)
            found = np.zeros(n_pad, dtype=bool)
            if len(memory_steps):
                found = memory_steps[np.minimum(at, len(memory_steps) - 1)] == head
            return self._window(X, np.where(found, at, -1), memory)
        # gaps inside X: gather each window's steps (a copy, one window per row)
        table = np.concatenate([memory, X])
        table_steps = np.concatenate([memory_steps, steps])
        wanted = steps[:, np.newaxis] + np.arange(-n_pad, 1)
        at = np.minimum(np.searchsorted(table_steps, wanted), len(table_steps) - 1)
        known = table_steps[at] == wanted
        if self.padding == "edge":
            # an unknown step copies the known step before it, or else the window's first
            position = np.where(known, np.arange(self.sequence_length), -1)
            before_it = np.maximum.accumulate(position, axis=1)
            source = np.where(before_it >= 0, before_it, np.argmax(known, axis=1)[:, None])
            return table[np.take_along_axis(at, source, axis=1)]
        windows = table[at]
        windows[~known] = np.nan
        return windows

    def _output(self, windows, index):
        """The 3-D windows, or their flat form (a DataFrame under pandas output)."""
        if not self.flatten:
            return windows
        flat = windows.reshape(len(windows), -1)
        container = self._output_container()
        if container == "pandas":
            return pd.DataFrame(flat, index=index, columns=self.get_feature_names_out())
        if container == "polars":
            import polars as pl

            return pl.DataFrame(flat, schema=list(self.get_feature_names_out()), orient="row")
        return flat

    def set_output(self, *, transform=None):
        """Set the container of the flat output: ``"default"``, ``"pandas"`` or ``"polars"``.

        3-D windows stay NumPy arrays whatever the setting (a DataFrame is
        2-D), so a Pipeline set to pandas or polars output works with either
        form.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None
            ``"pandas"`` gives the flat form as a DataFrame with X's index
            and :meth:`get_feature_names_out` columns; ``"polars"`` as a
            polars DataFrame with those columns (polars has no index); None
            leaves the setting unchanged.

        Returns
        -------
        self : SequenceWindower
        """
        if transform is None:
            return self
        check_choice("transform", transform, CONTAINERS)
        # the attribute sklearn's own set_output uses, so clone keeps it
        self._sklearn_output_config = {"transform": transform}
        return self

    def _output_container(self):
        config = getattr(self, "_sklearn_output_config", {}).get("transform")
        config = config or get_config()["transform_output"]
        if config not in CONTAINERS:
            raise ValueError(
                f"SequenceWindower supports transform_output 'default', 'pandas' or "
                f"'polars', got {config!r}; set it with set_output(transform='pandas')."
            )
        return config

    def get_feature_names_out(self, input_features=None):
        """Names of the flat output columns, oldest step first.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; defaults to ``feature_names_in_`` or
            ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str
            ``name_t-(sequence_length-1)``, ..., ``name_t-1``, ``name_t`` for
            every lag and feature.
        """
        check_is_fitted(self)
        names = input_feature_names(self, input_features)
        lags = [
            f"t-{lag}" if lag else "t"
            for lag in range(self.sequence_length - 1, -1, -1)
        ]
        return np.asarray(
            [f"{name}_{lag}" for lag in lags for name in names], dtype=object
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.allow_nan = self.padding == "mask"
        return tags
