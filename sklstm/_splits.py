"""PanelSplit: time-series cross-validation on the next steps of every series."""

import numbers
import warnings

import numpy as np
import pandas as pd
from sklearn.model_selection import BaseCrossValidator

from ._checks import check_positive_int


class PanelSplit(BaseCrossValidator):
    """Time-series cross-validation for panels: the next steps of every series.

    Fold ``k`` of ``n_splits`` tests, in every series, the ``test_size``
    rows that follow its training rows; training is every row before them
    (less ``gap`` rows), series by series, so no test step comes before a
    training step of its series. Rows are counted per series from its end,
    as the M4 competition holds out each series' last ``horizon`` values.

    No gap is needed for honest scores: :class:`LSTMForecaster` never trains
    on a target after the step that follows its training rows, and windows
    the test rows with the real end of the training rows, so the test rows
    continue the training rows as they would in use.

    Series come from the first level of X's MultiIndex (as
    ``make_supervised(data, target, series=..., time=...)`` gives), or from
    ``groups`` for arrays. ``GridSearchCV`` and ``cross_validate`` take it
    as ``cv=``.

    Parameters
    ----------
    n_splits : int, default=3
        Number of folds, the last one ending at each series' end.

    test_size : int or None, default=None
        Test rows per series and fold; None takes the width of ``y`` (the
        horizon), or 1 for 1-D ``y``.

    gap : int, default=0
        Rows left out between training and test, per series. ``"auto"``
        (the width of ``y`` minus 1, the default of sklstm 0.2) is
        deprecated: it took the test rows' past away from their windows.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklstm import PanelSplit, make_supervised
    >>> data = pd.DataFrame({"id": ["a"] * 6 + ["b"] * 4, "t": list(range(6)) + list(range(4)),
    ...                      "y": range(10)})
    >>> X, y = make_supervised(data, "y", series="id", time="t", horizon=1)
    >>> [(train.tolist(), test.tolist()) for train, test in PanelSplit(2).split(X, y)]
    [([0, 1, 2, 5], [3, 6]), ([0, 1, 2, 3, 5, 6], [4, 7])]
    """

    def __init__(self, n_splits=3, *, test_size=None, gap=0):
        self.n_splits = n_splits
        self.test_size = test_size
        self.gap = gap

    def get_n_splits(self, X=None, y=None, groups=None):
        return self.n_splits

    def _check(self, y):
        check_positive_int("n_splits", self.n_splits, fix="e.g. PanelSplit(n_splits=3)")
        width = 1 if y is None or np.ndim(y) == 1 else np.shape(y)[1]
        test_size = width if self.test_size is None else self.test_size
        check_positive_int("test_size", test_size, fix="e.g. test_size=1, or None for the horizon")
        gap = self.gap
        if gap == "auto":
            warnings.warn(
                "gap='auto' was deprecated in sklstm 0.3 and will be removed in 0.5: "
                "LSTMForecaster never trains on a test fold's targets, so no gap is needed, "
                "and a gap takes the test rows' past away from their windows. Pass gap=0.",
                FutureWarning, stacklevel=4,
            )
            gap = width - 1
        if not isinstance(gap, numbers.Integral) or isinstance(gap, bool) or gap < 0:
            raise ValueError(
                f"gap must be an int >= 0, got {self.gap!r}; e.g. gap=0 (the test rows "
                "continue the training rows)."
            )
        return int(test_size), int(gap)

    def split(self, X, y=None, groups=None):
        """Yield (train, test) positions, fold by fold.

        Parameters
        ----------
        X : DataFrame indexed by (series, time), or array-like with ``groups``
        y : array-like, optional
            Its width sets ``test_size`` when it is left to its default.
        groups : array-like of shape (n_samples,), optional
            The series of each row, when X has no MultiIndex.
        """
        test_size, gap = self._check(y)
        if isinstance(getattr(X, "index", None), pd.MultiIndex):
            groups = X.index.get_level_values(0)
        elif groups is None:
            raise ValueError(
                "PanelSplit needs the series of each row: pass X indexed by (series, time), "
                "as make_supervised(data, target, series=..., time=...) gives, or groups="
                "<series of each row> (in time order within each series)."
            )
        codes = pd.factorize(np.asarray(groups))[0]
        order = np.argsort(codes, kind="stable")
        lengths = np.bincount(codes)
        # rows counted from the end of their series (1 for the last)
        from_end = np.empty(len(codes), dtype=np.int64)
        starts = np.r_[0, np.cumsum(lengths)[:-1]]
        ranks = np.arange(len(codes)) - np.repeat(starts, lengths)
        from_end[order] = np.repeat(lengths, lengths) - ranks
        long_enough = lengths[codes] > self.n_splits * test_size + gap
        if not long_enough.any():
            raise ValueError(
                f"no series has more than n_splits * test_size + gap = "
                f"{self.n_splits} * {test_size} + {gap} rows, so no fold has training "
                "rows; lower n_splits or test_size, or give longer series."
            )
        for k in range(self.n_splits, 0, -1):
            test_end, test_start = (k - 1) * test_size, k * test_size
            test = long_enough & (from_end > test_end) & (from_end <= test_start)
            train = from_end > test_start + gap
            yield np.flatnonzero(train), np.flatnonzero(test)
