"""SequenceWindower: one window of past rows per input row."""

import numbers
import warnings

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from sklearn import get_config
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import (
    FLOAT_DTYPES,
    check_is_fitted,
    validate_data,
)

from ._checks import (
    BOOLEAN,
    Interval,
    Options,
    check_choice,
    check_numeric,
    input_feature_names,
    validate_params,
)
from ._state import PlainState
from ._time_index import (
    grid_tail,
    index_of,
    is_default_index,
    labels_before,
    ordered_last_label,
    starts_by,
)

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
    memory, so training windows hold training rows only. Which rows continue
    the fitted ones:

    - **X with an index** (a DataFrame, e.g. under a Pipeline's
      ``set_output(transform="pandas")``): exactly, by labels. The window of
      row ``t`` holds the rows labelled ``t - sequence_length + 1 .. t`` from
      X or the memory; a step in neither (a ``TimeSeriesSplit(gap=...)`` gap,
      time before the data) is padded. Integer labels, a DatetimeIndex with a
      ``freq`` (or one pandas infers) and a PeriodIndex are placed; other
      indexes fall back to the next rule, with a warning that says why.
    - **X without an index** (an array, or a polars DataFrame, which has
      none): X continues the fitted rows, unless
      it begins with the fitted rows' own first row (in-sample, or the whole
      series from its start), which is windowed with its own past only.
      Arrays cannot show a gap, nor that they start inside the fitted rows:
      with ``TimeSeriesSplit(gap=...)``, or to predict a slice of the
      training rows other than their start, pass X as a DataFrame (and set
      the Pipeline's output to pandas), or use ``remember=False``.

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

    last_window_ : ndarray of shape (min(sequence_length - 1, n_samples), n_features_in_)
        The last fitted rows: the past of the rows that continue them.

    last_window_index_ : pandas.Index or None
        Their labels on a regular grid (a RangeIndex, a DatetimeIndex with
        ``freq`` or a PeriodIndex), or None if X had no index, or one that
        cannot be placed in time.

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

    def _validate(self, X, *, reset):
        """X as a float array, and its pandas index (None for arrays)."""
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

    def _remember(self, X, index):
        n_keep = min(self.sequence_length - 1, len(X))
        self.last_window_ = X[len(X) - n_keep:].copy()
        self._first_row = X[:1].copy()
        self.last_window_index_, self._index_reason = None, None
        self._default_index = index is None or is_default_index(index)
        self._last_label = None
        if index is not None:
            self.last_window_index_, self._index_reason = grid_tail(index, n_keep)
            self._last_label = ordered_last_label(index)

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
        self._remember(*self._validate(X, reset=True))
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
        X, index = self._validate(X, reset=True)
        self._remember(X, index)
        return self._window(X, index, self._unknown_past())

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
        check_is_fitted(self)
        if not hasattr(self, "last_window_"):
            raise ValueError(
                "This SequenceWindower was fitted by sklstm 0.1, which did not remember "
                "the fitted rows; refit it (or the estimator holding it) with this "
                "version to window new rows with their real past."
            )
        X, index = self._validate(X, reset=False)
        return self._window(X, index, self._past_of(X, index))

    def _unknown_past(self):
        return np.full(self.sequence_length - 1, -1)

    def _past_of(self, X, index):
        """For each step before X's first row, its row in ``last_window_`` (-1: unknown)."""
        n_pad = self.sequence_length - 1
        if not self.remember or not len(self.last_window_):
            return self._unknown_past()
        by_labels = index is not None and self.last_window_index_ is not None
        reason = self._index_reason
        if by_labels and not (self._default_index and is_default_index(index)):
            labels, reason = labels_before(self.last_window_index_, index, n_pad)
            if labels is not None:
                return self.last_window_index_.get_indexer(labels)
        elif index is None or self._default_index:
            reason = None  # no labels to go by, or a RangeIndex pandas made up
        if reason is not None and starts_by(index, self._last_label):
            # ordered labels off a regular grid still show that X does not come
            # after the fitted rows: no window may take later rows as its past
            return self._unknown_past()
        # only the first row decides, so no window depends on a later row
        if np.array_equal(X[:1], self._first_row.astype(X.dtype), equal_nan=True):
            return self._unknown_past()  # the fitted rows again, from their start
        n_memory = len(self.last_window_)
        if reason is not None:
            warnings.warn(
                f"SequenceWindower cannot place X in time by its index ({reason}), "
                f"so it takes X to continue the fitted rows: their last {n_memory} "
                "fill the first windows. Pass remember=False if X is not the "
                "continuation of the fitted rows.",
                UserWarning, stacklevel=3,
            )
        return np.concatenate([np.full(n_pad - n_memory, -1), np.arange(n_memory)])

    def _window(self, X, index, past):
        """Windows of X after the steps ``past`` (rows of ``last_window_``, -1: padding)."""
        head = np.full((len(past), X.shape[1]), np.nan, dtype=X.dtype)
        known = past >= 0
        head[known] = self.last_window_[past[known]]
        padded = np.concatenate([head, X])
        if self.padding == "edge" and not known.all():
            # an unknown step copies the step before it, or else the first known one
            edge = pd.DataFrame(padded[: len(past) + 1]).ffill().bfill()
            padded[: len(past)] = edge.to_numpy(dtype=X.dtype)[:-1]
        # (n_samples, n_features, sequence_length) view -> time axis second
        windows = sliding_window_view(padded, self.sequence_length, axis=0)
        windows = windows.transpose(0, 2, 1)
        if not self.flatten:
            return windows
        flat = windows.reshape(len(X), -1)
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
