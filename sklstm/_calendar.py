"""Calendar columns from the times themselves: known for every future step, with no frame.

``make_supervised(..., calendar=True)`` adds, for each calendar cycle a
window sees whole (2 to :data:`MAX_CYCLE_STEPS` steps of the data: the time
of day and the day of the week for hourly data, the day of the week for
daily data, the time of year for weekly, monthly and quarterly data), the
sine and cosine of each row's place in it. On a regular clock a row's own
place tells the place of every step after it, so a calendar needs no
columns over the horizon, and :func:`sklstm.forecast` makes them from the
history's times.
"""

import numpy as np
import pandas as pd

MAX_CYCLE_STEPS = 200  # longer cycles look like a ramp inside a window of a few seasons

_DAY = pd.Timedelta(days=1)
# name: (length, the place of a timestamp in the cycle, in [0, 1))
CYCLES = {
    "time_of_day": (_DAY, lambda t: (t.hour * 3600 + t.minute * 60 + t.second) / 86400),
    "day_of_week": (7 * _DAY, lambda t: (t.day_of_week + CYCLES["time_of_day"][1](t)) / 7),
    "time_of_year": (365.25 * _DAY,
                     lambda t: (t.day_of_year - 1 + CYCLES["time_of_day"][1](t))
                     / np.where(t.is_leap_year, 366, 365)),
}
COLUMNS = tuple(f"{cycle}_{wave}" for cycle in CYCLES for wave in ("sin", "cos"))


def step_length(clock):
    """The nominal length of one step of a date or period clock (a month: 31 days)."""
    if clock[0] == "period":
        period = pd.Period("2001-01-01", freq=clock[1])
        return (period + 1).start_time - period.start_time
    offset = pd.tseries.frequencies.to_offset(clock[1])
    if isinstance(offset, pd.offsets.Tick):
        return pd.Timedelta(offset.nanos, unit="ns")
    start = pd.Timestamp("2001-01-01")
    return (start + offset) - start if offset.is_on_offset(start) else \
        (start + 2 * offset) - (start + offset)


def check_dated(clock, what="calendar=True", fix="or pass calendar=False"):
    """Refuse a calendar of times that are not dates or periods on a regular clock."""
    if clock is None:
        raise ValueError(
            f"{what} needs times on a regular step, but the dates have no frequency that "
            f"pandas can infer (irregular dates, or fewer than 3); give them one, e.g. "
            f"data.asfreq('D'), {fix}."
        )
    if clock[0] == "int":
        raise ValueError(
            f"{what} needs times that are dates or periods (a DatetimeIndex, a "
            "PeriodIndex, or a time column of dates), but the times are integer steps; "
            f"convert them, e.g. pandas.to_datetime(...), {fix}."
        )


def columns_for(clock):
    """The calendar columns of data on ``clock``: the cycles of 2 to MAX_CYCLE_STEPS steps."""
    check_dated(clock)
    step = step_length(clock)
    names = [f"{cycle}_{wave}" for cycle, (length, _) in CYCLES.items()
             if 2 * step <= length <= MAX_CYCLE_STEPS * step for wave in ("sin", "cos")]
    if not names:
        raise ValueError(
            f"calendar=True: data on a step of {clock[1]!r} has no calendar cycle of 2 to "
            f"{MAX_CYCLE_STEPS} steps (the time of day, the day of the week, the time of "
            "the year); pass calendar=False."
        )
    return names


def calendar_frame(times, names):
    """The calendar columns ``names`` at ``times`` (dates or periods), float64."""
    times = pd.Index(times)
    if isinstance(times, pd.PeriodIndex) or isinstance(times.dtype, pd.PeriodDtype):
        times = pd.PeriodIndex(times).to_timestamp()
    times = pd.DatetimeIndex(times)
    out = {}
    for name in names:
        cycle, wave = name.rsplit("_", 1)
        angle = 2 * np.pi * np.asarray(CYCLES[cycle][1](times), dtype=float)
        out[name] = np.sin(angle) if wave == "sin" else np.cos(angle)
    return pd.DataFrame(out, index=times)
