"""How far a split-conformal interval calibrated on few rows can be trusted.

``LSTMForecaster.predict_interval`` takes the ``ceil((n + 1) * coverage)``-th
smallest of ``n`` held-out absolute errors as its half-width. Over the draw of
those ``n`` rows, the coverage that interval really achieves on new rows
follows ``Beta(k, n + 1 - k)`` with ``k = ceil((n + 1) * coverage)`` (Vovk
2012, "Conditional validity of inductive conformal predictors"; Angelopoulos
& Bates 2021, section 3.2): right on average, but spread widely when ``n`` is
small.
"""

import math
import warnings
from fractions import Fraction

import numpy as np

# Warn when, in one calibration out of 20, the interval would cover 10
# percentage points (or more) less than it claims.
_QUANTILE = 0.05
_SHORTFALL = 0.10


def _exact(coverage):
    # the decimal the user wrote (0.8 is 4/5, not the float just above it),
    # so the rank and calibration_size agree exactly
    return Fraction(str(float(coverage)))


def conformal_rank(n_calibration, coverage):
    """Rank of the conformity score giving ``coverage``: ceil((n + 1) * coverage)."""
    return math.ceil((n_calibration + 1) * _exact(coverage))


def calibration_size(coverage):
    """Fewest held-out rows for a split-conformal ``coverage`` interval.

    The smallest ``n`` with ``ceil((n + 1) * coverage) <= n``, i.e.
    ``n >= coverage / (1 - coverage)``: 9 rows for 90%, 99 for 99%.
    """
    c = _exact(coverage)
    return max(1, math.ceil(c / (1 - c)))


def max_coverage(n_calibration):
    """The largest coverage ``n_calibration`` rows support: ``n / (n + 1)``."""
    return n_calibration / (n_calibration + 1)


def few_rows_warning(n_calibration, coverage):
    """A sentence warning that the interval rests on too few rows, or None.

    Parameters
    ----------
    n_calibration : int
        Held-out rows the interval was calibrated on (at least 1).
    coverage : float
        The coverage asked for, in (0, 1), that ``n_calibration`` supports.

    Returns
    -------
    message : str or None
        None when the interval's realised coverage falls short of
        ``coverage`` by less than 10 percentage points in 19 calibrations
        out of 20.
    """
    from scipy.stats import beta

    k = conformal_rank(n_calibration, coverage)
    low, high = beta.ppf([_QUANTILE, 1 - _QUANTILE], k, n_calibration + 1 - k)
    if low > coverage - _SHORTFALL:
        return None
    supported = math.floor(100 * max_coverage(n_calibration))
    return (
        f"the {coverage:.0%} interval is calibrated on only {n_calibration} held-out "
        f"row(s), which support coverages up to {supported}%; with so few, its real "
        f"coverage lies between {low:.0%} and {high:.0%} in 9 cases out of 10, so treat "
        "it as a rough guide or add data"
    )


def half_widths(scores, coverage, *, held_out="held-out rows", fix="fit on more rows"):
    """Split-conformal half-widths, one per column of ``scores`` (absolute held-out errors).

    A column's unknown (NaN) scores are left out; a column with too few
    known scores for ``coverage`` gets NaN and a warning, and ``scores``
    with too few rows in every column are refused, saying how many it takes.
    """
    scores = np.asarray(scores, dtype=float)
    scores = scores.reshape(len(scores), -1) if scores.size else np.empty((0, 1))
    n_known = np.isfinite(scores).sum(axis=0) if scores.size else np.zeros(1, dtype=int)
    n_cal = int(n_known.max())
    if conformal_rank(n_cal, coverage) > n_cal:
        raise ValueError(
            f"predict_interval(coverage={coverage}) needs at least {calibration_size(coverage)} "
            f"{held_out} to calibrate on, but fit kept {n_cal}; {fix}, or lower coverage."
        )
    ranks = np.array([conformal_rank(int(n), coverage) for n in n_known])
    enough = ranks <= n_known
    if not enough.all():
        warnings.warn(
            f"{int((~enough).sum())} output(s) of y have fewer than {calibration_size(coverage)} "
            f"known {held_out} for coverage={coverage}: their bounds are NaN.",
            UserWarning, stacklevel=3,
        )
    ordered = np.sort(scores, axis=0)  # NaN last
    return np.where(enough, ordered[np.minimum(ranks, len(scores)) - 1,
                                    np.arange(scores.shape[1])], np.nan)
