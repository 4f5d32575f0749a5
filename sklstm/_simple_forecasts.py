"""The simple forecast the network corrects, for every shape of data.

The network does not forecast from nothing: each
window first gets a simple forecast, the best of a few classical ones on the
training windows, and the LSTM learns the correction (ES-RNN's "statistical
model plus a learned residual"; benchmarks/m4.md measures what it buys).
Everything here works in the windows' scaled units (each window relative to
its last value, see ``_recipe.scale_windows``), so the choice and the
forecasts are the same for a series of thousands and one of tenths.

A simple forecast is a plain dict, so that saved models stay readable:

- ``{"kind": "last"}``: the last value (0 in scaled units);
- ``{"kind": "mean", "season": m, "n_seasons": k}``: at each step, the mean
  of the values 1 .. k seasons before it, at the same phase of the season;
- ``{"kind": "median", ...}``: the same with the median (robust to one odd
  day, as a holiday);
- ``{"kind": "linear", "fit": name, "coef": (L, h) or (L + 1, h) array}``:
  a linear autoregression on the window (``fit``: a key of ``LINEAR_FITS``,
  robust or least squares), fitted to the training windows of every series
  at once; with ``L + 1`` rows it also reads the series' drift
  (its mean one-step change in training, in the window's units), which a
  window alone cannot tell from noise.
"""

import warnings

import numpy as np

CHUNK = 8192  # windows forecast at a time
SAMPLE = 65_536  # full windows that fit and choose the simple forecast
MIN_LATEST = 64  # at least this many latest windows choose it (a few short series)
MIN_MEDIAN_SEASONS = 3  # a median of two seasons is their mean
LINEAR_MARGIN = 0.02  # a linear fit must beat the simple forecasts by this fraction
#: The two linear fits offered, by name: (reweighting rounds, ridge penalty relative to
#: the windows' mean square). The robust one resists odd windows (holidays, storms: the
#: hourly panels); least squares is the better estimate under plain noise (the trending
#: single series: benchmarks/m4.md). The latest windows choose, as among the others.
LINEAR_FITS = {"robust": (10, 0.01), "least squares": (1, 1e-4)}


def describe(simple):
    """The simple forecast in words, e.g. 'the median of the last 7 seasons of 24 steps'."""
    kind = simple["kind"]
    if kind == "last":
        return "the last value"
    if kind == "linear":
        return f"a linear autoregression on the window ({simple.get('fit', 'robust')} fit)"
    m, k = simple["season"], simple["n_seasons"]
    if kind == "mean" and k == 1:
        return f"the last season ({m} steps before)"
    return f"the {kind} of the last {k} seasons of {m} steps"


def forecast(simple, values, horizon, drift=None):
    """The simple forecast of each window: ``values`` (n, L), scaled; returns (n, horizon).

    ``drift`` (n,) is each window's series drift in its units (0 where
    unknown), read by a linear fit made with it. Unknown (padded) steps
    count as the last value, as the network's own masking does; a median
    skips them. Computed a chunk of windows at a time, so the temporaries
    stay small whatever the number of windows.
    """
    out = np.empty((len(values), horizon), dtype=np.float32)
    for start in range(0, len(values), CHUNK):
        chunk_drift = None if drift is None else drift[start:start + CHUNK]
        out[start:start + CHUNK] = _forecast(simple, values[start:start + CHUNK], horizon,
                                             chunk_drift)
    return out


def _with_drift(values, drift):
    """The windows' values with their drift as one more column (0 where unknown), float32."""
    out = np.zeros((len(values), values.shape[1] + 1), dtype=np.float32)
    out[:, :-1] = np.nan_to_num(values)
    if drift is not None:
        out[:, -1] = np.nan_to_num(drift)
    return out


def _forecast(simple, values, horizon, drift=None):
    kind = simple["kind"]
    if kind == "last":
        return 0.0
    if kind == "linear":
        coef = simple["coef"]
        if len(coef) == values.shape[1] + 1:  # fitted with the drift
            return _with_drift(values, drift) @ coef
        return np.nan_to_num(values) @ coef
    m, k = simple["season"], simple["n_seasons"]
    L = values.shape[1]
    steps = L - m + np.arange(horizon) % m  # each step's phase in the last season
    seasons = np.stack([values[:, steps - j * m] for j in range(k)])  # (k, n, horizon)
    if kind == "mean":
        return np.nan_to_num(seasons).mean(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a step unknown in every season
        return np.nan_to_num(np.nanmedian(seasons, axis=0))


def seasons(season_length):
    """The seasons of ``season_length`` (None, one period or several) as whole steps, smallest
    first: a season of 365.25 days is read as 365."""
    if season_length is None:
        return ()
    periods = season_length if isinstance(season_length, (tuple, list)) else [season_length]
    return tuple(sorted({int(round(m)) for m in periods if round(m) > 1}))


def repeats_every(values, m, differenced=1):
    """Whether ``values`` repeat every ``m`` steps, or None where too short to tell.

    M4's autocorrelation test at lag ``m``, at 99% (it sets the model, so it
    must not fire on noise: 0 of 200 random walks), on the changes over
    ``differenced`` steps: a persistent series is autocorrelated at every
    lag, its one-step changes only where a cycle brings them back, and the
    changes over a day take the daily cycle out, so that what repeats
    every week is a week's own pattern, not seven days'.
    """
    values = values[np.isfinite(values)]
    x = values[differenced:] - values[:-differenced]
    if m < 2 or len(x) < 3 * m:
        return None
    x = x - x.mean()
    denominator = float(x @ x)
    if not denominator:
        return False
    acf = np.array([float(x[k:] @ x[:-k]) / denominator for k in range(1, m + 1)])
    limit = 2.576 * np.sqrt((1 + 2 * np.sum(acf[:-1] ** 2)) / len(x))
    return bool(acf[-1] > limit)


def _candidates(L, season_length):
    yield {"kind": "last"}
    for m in seasons(season_length):
        for k in range(1, L // m + 1):
            yield {"kind": "mean", "season": m, "n_seasons": k}
            if k >= MIN_MEDIAN_SEASONS:
                yield {"kind": "median", "season": m, "n_seasons": k}


def robust_linear(values, z, fit="robust"):
    """Coefficients (L, h) of a linear map from windows to targets (a fit of :data:`LINEAR_FITS`).

    Iteratively reweighted ridge regression, one weight per window (one over
    its mean absolute residual), so the robust fit approaches the least
    absolute errors the network trains on, and a window with a jump does not
    pull every coefficient; one round is plain ridge regression. All horizon
    steps share one solve per round; the ridge penalty is relative to the
    windows' own size.
    """
    rounds, ridge = LINEAR_FITS[fit]
    weights = np.ones(len(values))
    for _ in range(rounds):
        weighted = values * weights[:, None]
        gram = values.T @ weighted
        # relative to the windows' size; the floor keeps flat windows solvable
        penalty = (ridge * np.trace(gram) / len(gram) + 1e-12) * np.eye(len(gram))
        coef = np.linalg.solve(gram + penalty, weighted.T @ z)
        residual = np.abs(z - values @ coef).mean(axis=1)
        weights = 1.0 / np.maximum(residual, 1e-3 * np.median(residual) + 1e-12)
    return coef.astype(np.float32)


def latest_span(from_end, horizon):
    """Rows from each series' end whose windows choose the simple forecast.

    The windows whose targets are each series' last ``horizon`` values
    (``from_end < horizon``), reaching further back only as far as it takes
    to have ``MIN_LATEST`` of them (a panel of a few series and a short
    horizon would otherwise choose on a handful of windows).
    """
    from_end = np.sort(np.asarray(from_end))
    if not len(from_end):
        return horizon
    return max(horizon, int(from_end[min(MIN_LATEST, len(from_end)) - 1]) + 1)


def choose(values, z, from_end, season_length, span=None, drift=None):
    """The simple forecast with the lowest mean absolute error on the latest training windows.

    ``values`` (n, L) and ``z`` (n, h) are the scaled training windows and
    their targets; ``from_end`` counts, for each window, the rows of its
    series after it. As a forecast would be judged, the latest windows
    decide (``from_end < span``; ``span`` defaults to ``h``: the windows
    whose targets are each series' last ``h`` values), and the linear
    autoregression is fitted on windows whose targets end before those
    begin; a chosen linear fit is then refitted on every window. Windows
    with padding take no part. With ``drift`` (n,), each window's series
    drift in its units, the linear fit reads it too.
    """
    n, L = values.shape
    horizon = z.shape[1]
    span = horizon if span is None else span
    full = ~np.isnan(values).any(axis=1) & np.isfinite(z).all(axis=1)
    latest = _sample(np.flatnonzero(full & (from_end < span)))
    earlier = _sample(np.flatnonzero(full & (from_end >= span + horizon - 1)))
    if not len(latest):
        return {"kind": "last"}

    def inputs(rows):  # the sampled windows only: a copy of every window is a panel's peak
        return values[rows] if drift is None else _with_drift(values[rows], drift[rows])

    candidates = list(_candidates(L, season_length))
    if len(earlier) >= 4 * L:  # enough windows for L coefficients per step
        earlier_inputs = inputs(earlier)  # one copy for every fit
        candidates += [{"kind": "linear", "fit": fit,
                        "coef": robust_linear(earlier_inputs, z[earlier], fit)}
                       for fit in LINEAR_FITS]
    latest_drift = None if drift is None else drift[latest]
    errors = np.array([np.abs(z[latest] - forecast(c, values[latest], horizon,
                                                   latest_drift)).mean()
                       for c in candidates])
    # a linear fit nests the means: take it only when it is clearly better
    errors[[c["kind"] == "linear" for c in candidates]] *= 1 + LINEAR_MARGIN
    best = candidates[int(np.argmin(errors))]
    if best["kind"] == "linear":
        every = _sample(np.flatnonzero(full))
        best = {"kind": "linear", "fit": best["fit"],
                "coef": robust_linear(inputs(every), z[every], best["fit"])}
    return best


def _sample(rows):
    """At most SAMPLE of ``rows``, spread evenly."""
    return rows[:: max(1, -(-len(rows) // SAMPLE))]
