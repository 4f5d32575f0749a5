"""SequenceWindower: one window of past rows per input row."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import (
    FLOAT_DTYPES,
    check_is_fitted,
    validate_data,
)

from ._checks import check_choice, check_numeric, check_positive_int, input_feature_names

PADDINGS = ("mask", "edge")


class SequenceWindower(TransformerMixin, BaseEstimator):
    """Turn rows in time order into windows of the past, one window per row.

    Row ``t`` of the output holds input rows ``t - sequence_length + 1``
    through ``t``: the past up to and including ``t``, never a row after it.
    With ``sequence_length=3``, output row 5 holds input rows 3, 4 and 5, and
    output row 1 holds rows 0 and 1 after one padded step.

    Every input row gets an output row, so ``y`` stays aligned inside a
    :class:`~sklearn.pipeline.Pipeline`. Rows with less history than the
    window are padded at the start: with ``padding="mask"`` the missing steps
    are NaN, which :class:`~sklstm.LSTMRegressor` masks (the LSTM skips them);
    with ``padding="edge"`` they repeat the first row, for regressors that do
    not accept NaN.

    Parameters
    ----------
    sequence_length : int, default=10
        Number of time steps in each window (Keras's word for it).

    padding : {"mask", "edge"}, default="mask"
        How the steps before the first row are filled: ``"mask"`` with NaN
        (masked by LSTMRegressor), ``"edge"`` with copies of the first row.

    flatten : bool, default=False
        If False, output ``(n_samples, sequence_length, n_features)`` windows
        for an LSTM. If True, output the flat 2-D form
        ``(n_samples, sequence_length * n_features)`` with oldest step first,
        for classic regressors such as Ridge; its columns are named by
        :meth:`get_feature_names_out` (``temp_max_t-2``, ...).

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during :term:`fit`, when X has string column
        names.

    See Also
    --------
    LSTMRegressor : Consumes the 3-D windows and masks the padding.
    keras.utils.timeseries_dataset_from_array : Keras's windowing, which
        drops the rows without a full history instead of padding them.

    Notes
    -----
    The windower is stateless: ``fit`` only records the number and names of
    the features. The 3-D output is a read-only view of the padded input
    (``numpy.lib.stride_tricks.sliding_window_view``), so it costs memory for
    ``n_samples + sequence_length - 1`` rows, not for every window. Because a
    window depends on the rows before it, transform whole series in time
    order; transforming a subset or a shuffled copy gives other windows.

    NaN or infinite values in X are rejected: NaN is the padding marker.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import SequenceWindower
    >>> X = np.arange(4.0).reshape(-1, 1)
    >>> SequenceWindower(sequence_length=3).fit_transform(X)[:, :, 0]
    array([[nan, nan,  0.],
           [nan,  0.,  1.],
           [ 0.,  1.,  2.],
           [ 1.,  2.,  3.]])
    >>> SequenceWindower(3, padding="edge", flatten=True).fit_transform(X)
    array([[0., 0., 0.],
           [0., 0., 1.],
           [0., 1., 2.],
           [1., 2., 3.]])
    """

    def __init__(self, sequence_length=10, *, padding="mask", flatten=False):
        self.sequence_length = sequence_length
        self.padding = padding
        self.flatten = flatten

    def _check_params(self):
        check_positive_int(
            "sequence_length", self.sequence_length,
            fix="pass the number of past time steps per window, e.g. 5",
        )
        check_choice("padding", self.padding, PADDINGS)
        if not isinstance(self.flatten, (bool, np.bool_)):
            raise TypeError(
                f"flatten must be True or False, got {self.flatten!r}."
            )

    def fit(self, X, y=None):
        """Check the parameters and record the number and names of features.

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
        self._check_params()
        check_numeric(X, "SequenceWindower")
        validate_data(self, X, dtype=FLOAT_DTYPES)
        return self

    def transform(self, X):
        """Return the window of the past for every row of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows in time order.

        Returns
        -------
        X_windows : ndarray
            ``(n_samples, sequence_length, n_features)``, or
            ``(n_samples, sequence_length * n_features)`` if ``flatten``.
        """
        check_is_fitted(self)
        self._check_params()
        check_numeric(X, "SequenceWindower")
        X = validate_data(self, X, dtype=FLOAT_DTYPES, reset=False)
        n_pad = self.sequence_length - 1
        if self.padding == "mask":
            head = np.full((n_pad, X.shape[1]), np.nan, dtype=X.dtype)
        else:
            head = np.repeat(X[:1], n_pad, axis=0)
        padded = np.concatenate([head, X])
        # (n_samples, n_features, sequence_length) view -> time axis second
        windows = sliding_window_view(padded, self.sequence_length, axis=0)
        windows = windows.transpose(0, 2, 1)
        if self.flatten:
            return windows.reshape(len(X), -1)
        return windows

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
        return tags
