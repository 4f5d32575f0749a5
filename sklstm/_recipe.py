"""The one recipe: how LSTMForecaster turns a panel into a trained network and forecasts.

Every shape of data reaches here as a :class:`~sklstm._panel.Panel`, and
one recipe serves them all (measured lever by lever in ``benchmarks/m4.md``):

- **Window scaling.** Each window is scaled by itself: its values relative
  to its last value, in units of its mean absolute one-step change (the
  scaling that made NHITS and N-BEATS beat seasonal naive on M4), in
  float64, then handed to the float32 network. A flat window takes its
  series' typical change as its unit, or a millionth of its level for a
  constant series, so that no unit can blow a forecast up.
- **A simple forecast plus a learned correction.** The network learns the
  correction to the best simple forecast of the training windows
  (``_simple_forecasts``: the last value, seasonal means or medians, a
  robust linear autoregression), from a zero head: untrained, it *is* the
  simple forecast.
- **A season per LSTM step** for windows of whole seasons of 96 steps or
  more.
- **A budget of gradient steps** on sampled windows (``max_steps``), with a
  cosine-annealed step size: the cost follows the steps, not the panel.
- **Held-out last steps.** Each series' latest windows are never trained
  on: they stop training early (the untrained network, the simple forecast
  alone, competes) and calibrate split-conformal intervals.
- **Positive series stay above their window.** A series above 0 throughout
  training is forecast no lower than the lowest value of the window read:
  an additive correction could dip the trough of a big daily swing to 0.
- **Honest targets.** A target whose time lies after the step that follows
  a series' last training row is never trained on (it would be a test
  fold's target in cross-validation): so a splitter needs no gap, and the
  test rows continue the training rows.
"""

import itertools
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from . import _simple_forecasts as simple_forecasts
from ._panel import SeriesGrid

# The engine (Keras, JAX) loads when a network is built or run, not on import:
# the command line reads its defaults here before it decides to fit.

# sequence_length="auto": this many seasons, or this many horizons, or
# MIN_AUTO_LENGTH steps, whichever is longest (measured on M4 Weekly, hourly
# panels and the single-series bench: benchmarks/m4.md)
AUTO_SEASONS = 2
AUTO_HORIZONS = 4
MIN_AUTO_LENGTH = 14
# a longer season lengthens the "auto" window where this share of the series repeat on it
# (of at most SEASON_TESTED series): hourly weather 0 of 88, flights 41%, benchmarks/m4.md
SEASON_SHARE = 0.25
SEASON_TESTED = 200
AUTO_UNITS = 64  # units="auto", or ...
LARGE_UNITS = 128  # ... this many where "auto" steps reach LARGE_BUDGET (a long budget pays)
LARGE_BUDGET = 3000
AUTO_BATCH_SIZE = 256  # batch_size="auto"
# max_steps="auto", the budget that fits the panel (benchmarks/m4.md):
AUTO_STEPS = 1000  # at least this many steps, or as many as ...
AUTO_TARGET_PASSES = 4  # ... this many passes over a large panel's windows take, ...
MAX_AUTO_STEPS = 9000  # ... up to this many, and ...
AUTO_WORK = 52_000  # ... up to this many LSTM steps of a window per window of a batch
AUTO_PASSES = 40  # never more than this many passes over the windows of a small panel
FOLD_FROM = 96  # windows of at least this many steps are read a season per LSTM step
MAX_FOLDED_STEPS = 16  # a window whose "auto" budget the cost cuts is read in at most this many
MAX_WINDOWS = 262_144  # windows held for training (a few hundred MB); more steps reuse them
PASS_TOLERANCE = 0.95  # whole passes may take 5% fewer steps than max_steps, for more windows
SCALE_CHUNK = 8192  # windows scaled at a time
PREDICT_CHUNK = 65_536  # windows predicted at a time
LOSS_FLOOR = 0.01  # of the divergence warning, in scaled units (flat windows drift)
MAX_SCALED = 1e6  # scaled values are clipped here: a jump after a flat window stays finite
FLAT_UNIT = 1e-6  # the unit of a constant series' window, relative to its level
SERIES_DRIFT = True  # the linear simple forecast reads each series' drift (benchmarks/m4.md)
CORRECTION_CHECK = False  # a correction worse than none on the held-out windows is dropped
LOG_POSITIVE = False  # positive series are learned and forecast in logs (benchmarks/m4.md)
# a positive series' forecast never falls below the lowest value of the window it read: an
# additive correction can dip a big daily swing's trough to 0 (benchmarks/m4.md)
POSITIVE_FLOOR = True
REFIT_FROM = 0.08  # the held-out targets keep out more windows than this: train again


@dataclass(frozen=True)
class Settings:
    """What the recipe takes from the forecaster's parameters, resolved.

    ``sequence_length``, ``units`` and ``max_steps`` may be ``"auto"``; ``passes`` is
    the deprecated ``epochs`` (passes over the training windows), or None.
    """

    sequence_length: object
    units: object
    season_length: object
    max_steps: object
    batch_size: int
    learning_rate: float
    dropout: float
    early_stopping: bool
    validation_fraction: float
    n_iter_no_change: int
    seed: int
    verbose: int
    passes: object = None


def _base_season(season_length):
    """The smallest season (the window's unit and the fold), or 1 without one."""
    found = simple_forecasts.seasons(season_length)
    return found[0] if found else 1


def auto_sequence_length(horizon, season_length):
    """sequence_length="auto": two seasons (of the longest), four horizons or 14 steps, in whole
    seasons (of the smallest)."""
    found = simple_forecasts.seasons(season_length)
    m, longest_season = (found[0], found[-1]) if found else (1, 1)
    longest = max(AUTO_SEASONS * longest_season, AUTO_HORIZONS * horizon, MIN_AUTO_LENGTH)
    return m * -(-longest // m)


def window_seasons(panel, season_length):
    """The seasons of ``season_length`` that the panel shows: those that set the "auto" window.

    The smallest always; a longer one where at least SEASON_SHARE of the
    series that are long enough to tell repeat on it once the next smaller
    season's cycle is taken out (:func:`~sklstm._simple_forecasts.repeats_every`
    on their changes over that season; at most SEASON_TESTED series, evenly
    chosen). A week of hours doubles the window: where no series repeats
    weekly that costs accuracy (the hourly weather panel: OWA 0.693 -> 0.777).
    """
    found = simple_forecasts.seasons(season_length)
    if len(found) < 2:
        return found
    lengths = panel.lengths
    starts = np.r_[0, np.cumsum(lengths)[:-1]]  # rows come sorted by series and time
    tested = np.flatnonzero(lengths > 0)
    tested = tested[season_tested(len(tested))]
    # each series' own values in time order (the test reads the known values, as the CLI's)
    series = [panel.values[starts[code]:starts[code] + lengths[code], 0] for code in tested]
    kept = [found[0]]
    for smaller, m in itertools.pairwise(found):
        if panel_repeats_every(series, m, smaller):
            kept.append(m)
    return tuple(kept)


def season_tested(n):
    """Positions of the series a season test reads: at most SEASON_TESTED of ``n``, evenly
    chosen."""
    return np.linspace(0, n - 1, min(n, SEASON_TESTED)).astype(int)


def panel_repeats_every(series, m, differenced=1):
    """Whether SEASON_SHARE of ``series`` (arrays of values in time order) repeat every ``m``
    steps on their changes over ``differenced`` (:func:`~sklstm._simple_forecasts.repeats_every`).

    Series too short to tell are left out; none long enough is no. The rule of the "auto"
    window (:func:`window_seasons`) and of the CLI's season finder.
    """
    verdicts = [v for v in (simple_forecasts.repeats_every(x, m, differenced) for x in series)
                if v is not None]
    return bool(verdicts) and np.mean(verdicts) >= SEASON_SHARE


def lstm_fold(sequence_length, season_length):
    """Steps of the window the LSTM reads at once: a season for long windows, else 1.

    A window of ``FOLD_FROM`` steps or more, in whole seasons, is read a
    season per LSTM step (the hourly panels' 192 hours: 8 steps; fits about
    10 times faster, as well or better: benchmarks/m4.md); a shorter one
    step by step (on monthly US employment, 48 months read as 4 seasons
    fitted worse than as 48 steps).
    """
    m = _base_season(season_length)
    long_enough = sequence_length >= FOLD_FROM and sequence_length % m == 0
    return m if m > 1 and long_enough else 1


def affordable_fold(sequence_length, fold, n_candidates, settings):
    """The fold that lets max_steps="auto" pass over the windows as it wants.

    Where the steps max_steps="auto" wants (AUTO_TARGET_PASSES passes, or
    MAX_AUTO_STEPS once they reach LARGE_BUDGET) would cost more than
    AUTO_WORK (long windows read step by step on a large panel: M4 Weekly's
    52 weeks), the LSTM reads the window in at most MAX_FOLDED_STEPS steps,
    the fewest steps of the window at once that divide it (Weekly: 4 weeks, 13 LSTM
    steps), and the budget takes the steps that cost allows (0.731 -> 0.704
    on M4 Weekly: benchmarks/m4.md; 13 weeks per LSTM step, 6000 steps:
    0.727). A window read a season per step (``fold`` > 1) reads instead as
    many whole seasons per step as the wanted steps need to fit the cost,
    or as many as it can, in no fewer than 4 LSTM steps (two weeks of hours
    with ``season_length=(24, 168)``: 2 days per step, 7 LSTM steps and
    7,428 steps, not 14 and 3,714; 192 hours: 2 days per step and 9000
    steps). A window no such fold divides (a prime length, or a prime
    number of seasons: 13 days of hours) keeps ``fold``, and so does any
    other fit.
    """
    if settings.max_steps != "auto" or settings.passes is not None:
        return fold
    # the steps the passes want, before the cost cap (one LSTM step costs nothing extra)
    wanted = auto_steps(n_candidates, min(settings.batch_size, n_candidates), 1)
    if wanted <= AUTO_STEPS or wanted * (sequence_length // fold) <= AUTO_WORK:
        return fold  # the passes fit in the least budget, or cost little
    if fold > 1:  # whole seasons per LSTM step: as many as the wanted steps need, or all
        widest = fold
        for wider in range(2 * fold, sequence_length // 4 + 1, fold):
            if sequence_length % wider == 0:
                widest = wider
                if wanted * (sequence_length // wider) <= AUTO_WORK:
                    break
        return widest
    for wider in range(fold, sequence_length + 1, fold):
        if sequence_length % wider == 0 and sequence_length // wider <= MAX_FOLDED_STEPS:
            return wider if sequence_length // wider >= 4 else fold
    return fold


def fold_windows(windows, fold):
    """Windows (n, L, F) read ``fold`` steps at a time: (n, L / fold, fold * F)."""
    n, L, F = windows.shape
    return windows.reshape(n, L // fold, fold * F)


def resolve_sequence_length(sequence_length, horizon, season_length, spans, *, owner):
    """The window length: the parameter, or "auto" cut to the shortest series.

    ``spans`` are the steps each series covers. "auto" shrinks to the
    shortest series (in whole seasons where it holds one), down to one
    horizon; a series shorter than an explicit length is refused by name
    elsewhere (its windows would be mostly padding, which is allowed).
    """
    if sequence_length != "auto":
        return int(sequence_length)
    L = auto_sequence_length(horizon, season_length)
    shortest = int(spans[spans > 0].min()) if (spans > 0).any() else L
    if L > shortest:
        m = _base_season(season_length)
        L = max(shortest // m * m if shortest >= m else shortest, horizon, 1)
    return L


@contextmanager
def _quiet_nan_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows (masked steps)
        yield


def window_units(values, fallback):
    """Each window's unit: its mean absolute one-step change, or ``fallback`` where flat.

    ``values`` (n, L) are the windows' own values, ``fallback`` (n,) the unit
    of a flat window: its series' typical change, else a millionth of its
    level (:data:`FLAT_UNIT`), else :data:`FLAT_UNIT` itself (a series of zeros).
    """
    unit = np.empty(len(values))
    with _quiet_nan_warnings():
        for start in range(0, len(values), SCALE_CHUNK):  # bounded temporaries
            chunk = values[start:start + SCALE_CHUNK]
            unit[start:start + SCALE_CHUNK] = np.nanmean(np.abs(np.diff(chunk, axis=1)), axis=1)
    last = values[:, -1]
    level = np.where(np.isfinite(last) & (np.abs(last) > 0), np.abs(last), 1.0)
    flat = np.where(np.isfinite(fallback) & (fallback > 0), fallback, FLAT_UNIT * level)
    return np.where(np.isfinite(unit) & (unit > 0), unit, flat)


def scale_windows(windows, fallback, targets=None, *, last=None, unit=None):
    """Windows relative to their last value, in units of their own changes: float32 for the net.

    ``windows`` (n, L, F) are float64, the series' own values first;
    ``fallback`` (n,) the units of flat windows (:func:`window_units`). The
    series' values become ``(value - last) / unit``; the other features are
    standardised within the window. ``last`` and ``unit``, when given, are
    those already computed for these windows. Returns the scaled windows
    (float32), the scaled ``targets`` (float32, or None) and ``(last, unit)``
    to undo it.
    """
    values = windows[:, :, 0]
    if last is None:
        last, unit = values[:, -1].copy(), window_units(values, fallback)
    out = np.empty(windows.shape, dtype=np.float32)
    with np.errstate(invalid="ignore", over="ignore"):
        out[:, :, 0] = np.clip((values - last[:, None]) / unit[:, None], -MAX_SCALED, MAX_SCALED)
        if windows.shape[2] > 1:
            others = windows[:, :, 1:]
            with _quiet_nan_warnings():
                mean = np.nanmean(others, axis=1, keepdims=True)
                std = np.nanstd(others, axis=1, keepdims=True)
            std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
            out[:, :, 1:] = np.clip((others - np.nan_to_num(mean)) / std, -MAX_SCALED, MAX_SCALED)
    z = None
    if targets is not None:
        with np.errstate(invalid="ignore", over="ignore"):
            z = np.clip((targets - last[:, None]) / unit[:, None], -MAX_SCALED, MAX_SCALED)
        z = z.astype(np.float32)
    return out, z, (last, unit)


class ScaledWindows:
    """The scaled windows of ``rows`` of a grid, made a batch at a time, never all at once.

    The training loop indexes it with a batch's rows (and predictions slice
    it block by block): each time, only those windows are read from the
    grid, scaled (with the ``last`` and ``unit`` computed once for every
    row) and folded a season per step. ``numpy.asarray`` makes them all.
    """

    ndim = 3
    dtype = np.dtype(np.float32)

    def __init__(self, grid, rows, last, unit, fold):
        self.grid, self.rows, self.last, self.unit, self.fold = grid, rows, last, unit, fold
        L, n_features = grid.sequence_length, grid.n_features
        self.shape = (len(rows), L // fold, fold * n_features)

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, rows):
        if isinstance(rows, slice):
            return ScaledWindows(self.grid, self.rows[rows], self.last[rows], self.unit[rows],
                                 self.fold)
        windows, _, _ = scale_windows(self.grid.windows(self.rows[rows]), None,
                                      last=self.last[rows], unit=self.unit[rows])
        return fold_windows(windows, self.fold)

    def __array__(self, dtype=None, copy=None):
        out = self[np.arange(len(self))]
        return out if dtype is None else out.astype(dtype, copy=False)


def window_stats(grid, rows, fallback):
    """For ``rows``' windows: their last values, units and scaled own values, chunk by chunk.

    Returns ``(last, unit, values)``: float64 (n,), float64 (n,) and the
    series' own scaled values (n, sequence_length) in float32, which the
    simple forecasts read; no more than a chunk of whole windows exists at once.
    """
    n, L = len(rows), grid.sequence_length
    last, unit = np.empty(n), np.empty(n)
    values = np.empty((n, L), dtype=np.float32)
    for start in range(0, n, SCALE_CHUNK):
        chunk = slice(start, start + SCALE_CHUNK)
        own = grid.windows(rows[chunk], features=[0])[:, :, 0]
        last[chunk], unit[chunk] = own[:, -1], window_units(own, fallback[chunk])
        with np.errstate(invalid="ignore", over="ignore"):
            values[chunk] = np.clip((own - last[chunk, None]) / unit[chunk, None],
                                    -MAX_SCALED, MAX_SCALED)
    return last, unit, values


def scaled_targets(targets, last, unit):
    """Targets relative to their window's last value, in its units (float32, clipped)."""
    with np.errstate(invalid="ignore", over="ignore"):
        z = np.clip((targets - last[:, None]) / unit[:, None], -MAX_SCALED, MAX_SCALED)
    return z.astype(np.float32)


def drift_in_units(drift, unit):
    """Each window's series drift (mean one-step change) in the window's unit, or None."""
    if not SERIES_DRIFT:
        return None
    with np.errstate(invalid="ignore", over="ignore"):
        return np.clip(np.nan_to_num(drift / unit), -MAX_SCALED, MAX_SCALED)


def positive_series(panel, y):
    """The series whose every known value and target is above 0."""
    n = panel.n_series
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows of unknown targets only
        low = np.fmin(panel.values[:, 0], np.nanmin(y, axis=1))
    lowest = np.full(n, np.inf)
    np.fmin.at(lowest, panel.codes, low)
    return np.isfinite(lowest) & (lowest > 0)


def in_logs(panel, rows_log, y=None):
    """``panel`` (and ``y``) with the values of the rows marked ``rows_log`` in logs."""
    from ._panel import Panel

    if not rows_log.any():
        return panel, y
    values = panel.values.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        values[rows_log, 0] = np.log(np.where(values[rows_log, 0] > 0, values[rows_log, 0],
                                              np.nan))
        if y is not None:
            y = y.copy()
            y[rows_log] = np.log(np.where(y[rows_log] > 0, y[rows_log], np.nan))
    return Panel(values, panel.codes, panel.steps, panel.n_series), y


def honest_rows(panel, horizon):
    """The rows whose ``horizon`` targets all lie by the step after their series' last row.

    Row ``t``'s targets are the values at ``t+1 .. t+h``. In cross-validation
    the training rows' last targets reach into the test block, whose own
    targets they then are; the value at ``t+1`` after the last row is the
    first test row's input, never a test target. So no target later than it
    is trained on (nor holds out), whatever the splitter: this is what makes
    a fold's score honest without a gap.
    """
    return panel.steps + horizon <= panel.last_steps()[panel.codes] + 1


def held_out_count(n_known, validation_fraction, n_series=1):
    """Windows each series holds out: ``validation_fraction`` of a typical series' ``n_known``
    scorable windows, spread over the ``n_series`` series, at least one (none of a series
    with fewer than two)."""
    if not validation_fraction or n_known < 2:
        return 0
    total = round(validation_fraction * n_known)
    return int(min(max(1, -(-total // n_series)), n_known - 1))


def hold_out(panel, known, validation_fraction):
    """Each series' latest windows to hold out: ``(held, first_held_step)``.

    ``known`` marks the rows that can be scored (a known value, fully known
    targets, a weight above 0). ``validation_fraction`` of a typical
    series' known rows (the median number) are held out in all, spread over
    the series: the same number from the end of every series, at least one
    (where a series has two known rows). A single series of 1,300 rows holds
    out its last 130; a panel of 400 series of 700 rows one window each (the
    latest data is worth the most to train on: ``benchmarks/m4.md``).
    ``first_held_step`` is each series' first held-out step (int64 max
    where none): training targets stop there.
    """
    n_series = panel.n_series
    first = np.full(n_series, np.iinfo(np.int64).max)
    held = np.zeros(len(panel), dtype=bool)
    rows = np.flatnonzero(known)
    if not validation_fraction or len(rows) < 2:
        return held, first
    per_series = np.bincount(panel.codes[rows], minlength=n_series)
    with_rows = int((per_series > 0).sum())
    typical = int(np.median(per_series[per_series > 0]))
    # the last `count` known rows of each series, never all of them
    count = np.minimum(held_out_count(typical, validation_fraction, with_rows),
                       np.maximum(per_series - 1, 0))
    codes = panel.codes[rows]
    starts = np.r_[0, np.cumsum(per_series)[:-1]]
    rank_from_end = per_series[codes] - 1 - (np.arange(len(rows)) - starts[codes])
    chosen = rows[rank_from_end < count[codes]]
    held[chosen] = True
    np.minimum.at(first, panel.codes[chosen], panel.steps[chosen])
    return held, first


def _passes(n_candidates, steps, batch_size):
    """``(n_windows, batches per pass, passes)``: whole passes within ``steps``.

    The training loop runs ``ceil(n_windows / batch_size)`` batches a pass.
    Of the pass lengths that fit the candidate windows (and MAX_WINDOWS),
    the longest whose whole passes take within 5% of the most steps any
    takes: all of a small panel's windows, rather than a few more steps on
    fewer of them.
    """
    most = min(steps * batch_size, MAX_WINDOWS, n_candidates)
    batches = np.arange(1, -(-most // batch_size) + 1)
    taken = batches * (steps // batches)
    n_batches = int(batches[taken >= PASS_TOLERANCE * taken.max()].max())
    return min(most, n_batches * batch_size), n_batches, steps // n_batches


def auto_steps(n_candidates, batch_size, lstm_steps):
    """max_steps="auto": the budget that fits the panel.

    AUTO_TARGET_PASSES passes over the windows (a large panel's windows are
    worth more than one pass: M4 Hourly, the synthetic hourly panel), at
    least AUTO_STEPS steps and, above that, at most MAX_AUTO_STEPS and at
    most the cost of AUTO_STEPS steps on windows of 52 LSTM steps (M4
    Weekly's), so a window
    read in fewer LSTM steps (a season per step) may take more of them; a
    small panel stops at AUTO_PASSES passes (more overfits). A panel whose
    passes take LARGE_BUDGET steps or more takes that most: more passes
    overfit a panel of 60,000 windows, not one of 280,000 (benchmarks/m4.md).
    """
    per_pass = n_candidates / batch_size
    most = min(MAX_AUTO_STEPS, max(AUTO_STEPS, AUTO_WORK // max(lstm_steps, 1)))
    steps = int(np.clip(np.ceil(AUTO_TARGET_PASSES * per_pass), AUTO_STEPS, most))
    if steps >= LARGE_BUDGET:  # a panel this large does not overfit: all the budget pays
        steps = most
    return min(steps, max(1, int(np.ceil(AUTO_PASSES * per_pass))))


def resolve_units(settings, steps):
    """units="auto": AUTO_UNITS, or LARGE_UNITS where max_steps="auto" gives a budget of
    LARGE_BUDGET steps or more (a budget given, or epochs, keeps AUTO_UNITS)."""
    if settings.units != "auto":
        return settings.units
    auto = settings.max_steps == "auto" and settings.passes is None
    return (LARGE_UNITS if auto and steps >= LARGE_BUDGET else AUTO_UNITS,)


def _budget(settings, n_candidates, lstm_steps):
    """``(n_windows, batches per pass, passes)`` the settings allow on these windows."""
    batch_size = min(settings.batch_size, n_candidates)
    if settings.passes is not None:  # the deprecated epochs: whole passes
        n_windows = min(n_candidates, MAX_WINDOWS)
        n_batches = -(-n_windows // batch_size)
        return n_windows, n_batches, int(settings.passes)
    steps = (auto_steps(n_candidates, batch_size, lstm_steps) if settings.max_steps == "auto"
             else int(settings.max_steps))
    return _passes(n_candidates, steps, batch_size)


@dataclass
class Fitted:
    """What a fit of the recipe hands back; the forecaster keeps it as its attributes."""

    model: object
    history: dict
    n_steps: int
    sequence_length: int
    fold: int
    simple_forecast: dict
    conformity_scores: np.ndarray
    series_scale: np.ndarray
    series_drift: np.ndarray
    series_log: np.ndarray
    series_positive: np.ndarray


def fit(panel, y, weights, settings, *, owner="LSTMForecaster"):
    """Train the recipe on ``panel`` and its targets ``y`` (n_rows, horizon); a :class:`Fitted`.

    ``y`` holds NaN where a target is unknown; ``weights`` (n_rows,) or None
    weigh each row's loss (0 leaves a row out).
    """
    rng = np.random.default_rng(settings.seed)
    horizon = y.shape[1]
    seasons = (window_seasons(panel, settings.season_length)
               if settings.sequence_length == "auto" else settings.season_length)
    L = resolve_sequence_length(settings.sequence_length, horizon, seasons, panel.spans(),
                                owner=owner)
    series_positive = positive_series(panel, y)
    series_log = series_positive & LOG_POSITIVE
    series_floored = series_positive & POSITIVE_FLOOR
    panel, y = in_logs(panel, series_log[panel.codes], y)
    weight = np.ones(len(panel)) if weights is None else weights
    # rows (no (rows, horizon) copies of y: a long panel's y is its largest array)
    known = (honest_rows(panel, horizon) & np.isfinite(y).all(axis=1)
             & np.isfinite(panel.values[:, 0]) & (weight > 0))
    held, first_held = hold_out(panel, known, settings.validation_fraction)
    # training targets stop at each series' first held-out step, as at its end
    before_held = panel.steps + horizon <= first_held[panel.codes]
    candidates = np.flatnonzero(known & ~held & before_held)
    if not len(candidates):
        raise ValueError(
            f"{owner}: no row has a known value and fully known targets to train on "
            f"(horizon={horizon}); give longer series, or more rows with values."
        )
    series_drift, series_scale = panel.series_changes()
    grid = SeriesGrid(panel, L)
    fold = affordable_fold(L, lstm_fold(L, settings.season_length), len(candidates), settings)
    # one network size for the fit: a second training (below) has the first one's units
    _, n_batches, passes = _budget(settings, len(candidates), L // fold)
    units = resolve_units(settings, n_batches * passes)
    context = _Context(panel, y, weights, grid, fold, units, horizon, series_scale,
                       series_drift, settings)
    held_rows = np.flatnonzero(held)
    model, simple, history, n_steps = _train(
        context, candidates, rng, validation_rows=held_rows if settings.early_stopping else None)

    scores = np.empty((0, horizon))
    if len(held_rows):
        from . import _engine

        windows, z_val, base, values = _held_out_windows(context, held_rows, simple)
        kept = history.pop("_validation_predictions", None)
        if kept is None:  # early stopping off: the held-out windows are predicted once
            kept = np.asarray(_engine.predict(model, windows)).reshape(z_val.shape)
            if CORRECTION_CHECK and np.abs(z_val - kept).mean() >= np.abs(z_val).mean():
                # the correction does worse than none on the held-out windows: drop it
                _zero_head(model)
                kept = np.zeros_like(kept)
                history["correction_dropped"] = [1.0]
        kept = np.asarray(kept).reshape(z_val.shape)
        scores = np.abs(z_val - kept)
        # the intervals are sized on the forecasts they centre: a positive series' floored ones
        floored = series_floored[panel.codes[held_rows]]
        if floored.any():
            forecast = floor_positive(base + kept, values, floored)
            scores[floored] = np.abs(z_val + base - forecast)[floored]
        # the held-out windows' targets take a horizon of each series' latest data: where
        # the windows before them that this keeps out are a large share (short series,
        # long horizons), the network that forecasts is trained again on every window;
        # the first one calibrated the intervals (and a correction that did worse than
        # none there is not trained again)
        kept_out = np.count_nonzero(known & ~held & ~before_held)
        if (kept_out > REFIT_FROM * known.sum() and not settings.early_stopping
                and "correction_dropped" not in history):
            # history_ shows the forecasting network's curve; n_steps_ counts both trainings
            model, simple, history, more = _train(context, np.flatnonzero(known), rng)
            n_steps += more
    return Fitted(
        model=model, history=history, n_steps=n_steps, sequence_length=L,
        fold=fold, simple_forecast=simple, conformity_scores=scores.astype(np.float64),
        series_scale=series_scale, series_drift=series_drift, series_log=series_log,
        series_positive=series_floored,
    )


@dataclass
class _Context:
    """What both trainings of a fit share: the panel, its targets and grid, the settings."""

    panel: object
    y: np.ndarray
    weights: object
    grid: SeriesGrid
    fold: int
    units: tuple
    horizon: int
    series_scale: np.ndarray
    series_drift: np.ndarray
    settings: Settings


def _train(context, candidates, rng, validation_rows=None):
    """The network trained on windows of ``candidates`` (sampled for the budget), and the
    simple forecast it corrects: ``(model, simple, history, n_steps)``; early stopping
    watches the windows of ``validation_rows`` when given."""
    from . import _engine

    panel, settings, horizon = context.panel, context.settings, context.horizon
    lstm_steps = context.grid.sequence_length // context.fold
    n_windows, n_batches, passes = _budget(settings, len(candidates), lstm_steps)
    # sampled windows, the same ones each pass: the cost follows the steps, the
    # memory at most MAX_WINDOWS; each series' latest windows, which choose the
    # simple forecast as a forecast would be judged, are among them (at most half)
    latest_step = np.full(panel.n_series, np.iinfo(np.int64).min)
    np.maximum.at(latest_step, panel.codes[candidates], panel.steps[candidates])
    offset = latest_step[panel.codes] - panel.steps
    span = simple_forecasts.latest_span(offset[candidates], horizon)
    is_latest = offset[candidates] < span
    latest, others = candidates[is_latest], candidates[~is_latest]
    n_latest = min(len(latest), simple_forecasts.SAMPLE,
                   max(n_windows // 2, n_windows - len(others)))
    if len(latest) > n_latest:
        latest = np.sort(rng.choice(latest, n_latest, replace=False))
    if len(others) > n_windows - len(latest):
        others = rng.choice(others, n_windows - len(latest), replace=False)
    rows = np.union1d(latest, others)
    # the sampled windows: their scale and own values now, the windows a batch at a time
    codes = panel.codes[rows]
    last, unit, values = window_stats(context.grid, rows, context.series_scale[codes])
    z = scaled_targets(context.y[rows], last, unit)
    drift = drift_in_units(context.series_drift[codes], unit)
    simple = simple_forecasts.choose(values, z, offset[rows], settings.season_length,
                                     span=span, drift=drift)
    z -= simple_forecasts.forecast(simple, values, horizon, drift)
    windows = ScaledWindows(context.grid, rows, last, unit, context.fold)
    del values

    model = build_network(windows.shape[1:], horizon, settings, context.units)
    validation = None
    if validation_rows is not None and len(validation_rows):
        validation = _held_out_windows(context, validation_rows, simple)[:2]
    training = _engine.train(
        model, windows, z,
        sample_weight=(None if context.weights is None
                       else context.weights[rows].astype(np.float32)),
        epochs=passes, batch_size=min(settings.batch_size, len(rows)), seed=settings.seed,
        validation=validation, n_iter_no_change=settings.n_iter_no_change,
        verbose=settings.verbose, learning_rate_schedule="cosine", validate_start=True,
        loss_floor=LOSS_FLOOR, stacklevel=6,
    )
    history = dict(training.history)
    if training.validation_predictions is not None:
        history["_validation_predictions"] = training.validation_predictions
    return model, simple, history, len(history["loss"]) * n_batches


def _held_out_windows(context, held_rows, simple):
    """The held-out windows (a batch at a time), their targets less the simple forecast, that
    forecast and the windows' own scaled values: ``(windows, z, base, values)``."""
    codes = context.panel.codes[held_rows]
    last, unit, values = window_stats(context.grid, held_rows, context.series_scale[codes])
    z = scaled_targets(context.y[held_rows], last, unit)
    base = simple_forecasts.forecast(simple, values, context.horizon,
                                     drift_in_units(context.series_drift[codes], unit))
    z -= base
    return ScaledWindows(context.grid, held_rows, last, unit, context.fold), z, base, values


def floor_positive(z, values, positive):
    """``z`` (n, horizon; scaled) raised, in place, to the lowest of ``values`` (the windows'
    own scaled values) on the rows where ``positive``; a window of unknown values has none."""
    if positive.any():
        with _quiet_nan_warnings():
            lowest = np.nanmin(values[positive], axis=1)
        z[positive] = np.fmax(z[positive], lowest[:, None])
    return z


def _zero_head(model):
    """Set the network's head to zero: it then adds no correction to the simple forecast."""
    for variable in model.get_layer("head").weights:
        variable.assign(np.zeros(variable.shape, dtype=variable.dtype))


def build_network(input_shape, horizon, settings, units):
    """The compiled LSTM whose zero head starts it at the simple forecast."""
    import keras

    from ._backend import enable_compilation_cache
    from ._model import build_lstm_model

    enable_compilation_cache()
    sequence_length, n_features = input_shape
    model = build_lstm_model(
        sequence_length=sequence_length, n_features=n_features, n_outputs=horizon,
        units=units, dropout=float(settings.dropout), seed=settings.seed,
        head_initializer="zeros",
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=settings.learning_rate),
                  loss="mae")
    return model


def predict(model, panel, rows, *, sequence_length, fold, simple_forecast, series_scale,
            series_drift, series_log, series_positive, half=None):
    """Forecasts for ``rows`` of ``panel`` (n, horizon) in the series' units, and their bounds.

    ``series_scale``, ``series_drift``, ``series_log`` and ``series_positive``
    give each of ``rows`` its series' typical change (the unit of flat
    windows), mean change (read by a linear simple forecast), whether it is
    learned in logs and whether its forecasts stay at or above its window's
    lowest value; 0 and False for a series the model never saw. With ``half`` (one
    half-width per step, in units of a window's changes) returns ``(pred,
    lower, upper)``, else ``(pred, None, None)``.
    """
    from . import _engine

    if series_log.any():  # the rows of the series learned in logs, their past included
        logged = np.zeros(panel.n_series, dtype=bool)
        logged[panel.codes[rows][series_log]] = True
        panel, _ = in_logs(panel, logged[panel.codes])
    grid = SeriesGrid(panel, sequence_length)
    out, units = [], []
    for start in range(0, len(rows), PREDICT_CHUNK):  # bounded memory whatever the rows
        chunk = slice(start, start + PREDICT_CHUNK)
        last, unit, values = window_stats(grid, rows[chunk], series_scale[chunk])
        windows = ScaledWindows(grid, rows[chunk], last, unit, fold)
        z = np.asarray(_engine.predict(model, windows), dtype=np.float64).reshape(len(last), -1)
        z += simple_forecasts.forecast(simple_forecast, values, z.shape[1],
                                       drift_in_units(series_drift[chunk], unit))
        floor_positive(z, values, series_positive[chunk])
        out.append(last[:, None] + unit[:, None] * z)
        units.append(unit)
    horizon = model.outputs[0].shape[-1]
    pred = np.concatenate(out) if out else np.empty((0, horizon))
    unit = np.concatenate(units) if units else np.empty(0)
    bounds = [None, None]
    if half is not None:
        width = unit[:, None] * np.asarray(half)[None, :]
        bounds = [pred - width, pred + width]
    if series_log.any():  # back from logs: the bounds keep their order
        for values in (pred, *(b for b in bounds if b is not None)):
            values[series_log] = np.exp(values[series_log])
    return pred, bounds[0], bounds[1]
