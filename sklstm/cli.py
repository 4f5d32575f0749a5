"""The ``sklstm`` command line.

``sklstm forecast [data.csv] --target COLUMN`` frames a series with
:func:`sklstm.make_supervised`, grid-searches an :class:`sklstm.LSTMForecaster`
with ``GridSearchCV(cv=TimeSeriesSplit(...))`` (``PanelSplit`` for long data,
``--series``), compares every candidate with
the persistence baseline on the same folds, refits the best one, forecasts
the next ``--horizon`` steps and writes CSV files and plots. Without a CSV it
runs on embedded data (``--dataset``; by default the Seattle weather, target
``temp_max``).

Several ``--target`` columns (or ``--target all``) make a panel: one
``LSTMForecaster(target_column=[...])`` learns every series, and the scores
are scale-free (each series' error over persistence's, averaged over the
series).

Bad input (a missing file, an unknown or non-numeric column, unparsable
dates, too few rows) is reported as one line on standard error with exit
code 2.
"""

import argparse
import csv
import itertools
import math
import os
import shlex
import sys
import tempfile
import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from ._checks import _when, check_time_order, closest

__all__ = ["main"]

DEFAULT_TARGET = "temp_max"
ALL_TARGETS = "all"  # --target all: every numeric column that is not a --features column
# --dataset: the embedded data, its loader in sklstm.datasets, its name and default --target
EMBEDDED = {
    "seattle-weather": ("load_seattle_weather", "Seattle weather (embedded)", [DEFAULT_TARGET]),
    "us-employment": ("load_us_employment", "U.S. employment (embedded)", [ALL_TARGETS]),
}
# options whose default depends on --dataset: 120 months need a year ahead and shorter folds
DATASET_DEFAULTS = {
    "us-employment": {"horizon": 12, "season_length": [12], "sequence_length": ["auto"],
                      "splits": 3},
}
MAX_PLOTTED_SERIES = 3  # forecast.png of a panel: the first few series, one row each
MAX_PRINTED_SERIES = 6  # printed lists of a panel's series
DEFAULT_HORIZON = 7
DEFAULT_SEQUENCE_LENGTHS = ("auto",)
DEFAULT_UNITS = ("auto",)
MAX_PRINTED_STEPS = 12  # printed forecast rows; every step is in forecast.csv
DEFAULT_SPLITS = 5
DEFAULT_COVERAGE = 0.9
VALIDATION_FRACTION = 0.1  # rows held out for early stopping and interval calibration
DATE_NAMES = ("date", "datetime", "time", "timestamp", "ds")
DATE_NAMES_TEXT = "date, datetime, time, timestamp or ds"
FILES = {
    "forecast.csv": "the forecast",
    "cv_results.csv": "CV error of every candidate and of persistence, per fold",
    "cv_predictions.csv": "out-of-fold predictions of the best parameters",
    "cv_series.csv": "per series: MAE of those predictions and of persistence (several targets)",
    "forecast.png": "history, out-of-fold CV predictions and the forecast",
    "cv_folds.png": "the cross-validation folds",
    "grid_search.png": "CV MAE over sequence_length x units",
    "training_history.png": "loss curves of the final model",
}


class _CLIError(Exception):
    """Bad input: reported as one line on standard error, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        unknown = [word for word in message.partition("unrecognized arguments: ")[2].split()
                   if word.startswith("--")]
        # this parser's options and its commands' (the top parser reports their typos)
        parsers = [self, *(parser for action in self._actions
                           if isinstance(getattr(action, "choices", None), dict)
                           for parser in action.choices.values())]
        options = [option for parser in parsers for action in parser._actions
                   for option in action.option_strings]
        close = closest(unknown[0].partition("=")[0], options) if unknown else None
        hint = f"; did you mean {close}?" if close else ""
        raise _CLIError(f"{message}{hint} (see '{self.prog} --help')")


def _argument(convert, is_valid, rule):
    """An argparse ``type``: ``convert(text)`` if it ``is_valid``, else an error stating ``rule``."""
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not is_valid(value):
            raise argparse.ArgumentTypeError(f"must be {rule}, got {text!r}")
        return value
    return parse


_positive_int = _argument(int, lambda v: v >= 1, "a positive integer")
_auto_or_positive_int = _argument(lambda text: "auto" if text == "auto" else int(text),
                                  lambda v: v == "auto" or v >= 1,
                                  "a positive integer or 'auto'")
_seed = _argument(int, lambda v: 0 <= v < 2**32, "an integer in [0, 2**32)")
_n_jobs = _argument(int, lambda v: v != 0, "a positive integer or -1 for all cores")
_fraction = _argument(float, lambda v: 0.0 < v < 1.0, "a number in (0, 1)")


def _build_parser():
    """The argument parser of the ``sklstm`` command."""
    from ._version import __version__

    parser = _Parser(
        prog="sklstm",
        description="LSTM forecasting with scikit-learn: cross-validate, grid-search, forecast.",
    )
    parser.add_argument("--version", action="version", version=f"sklstm {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    fc = commands.add_parser(
        "forecast",
        help="grid-search an LSTM with time-series CV and forecast the next steps",
        description=(
            "Frame the series (X at t, target at t+1..t+horizon), grid-search "
            "LSTMForecaster over --sequence-length x --units with "
            "TimeSeriesSplit(--splits) (PanelSplit for long data, --series), compare "
            "each candidate with persistence on "
            "the same folds, refit the best on all rows and forecast the next "
            "--horizon steps. Several --target columns make a panel: one shared "
            "network learns every series, and errors are scored relative to "
            "persistence per series, averaged over the series. Without DATA, runs on "
            "embedded data (--dataset): by default the Seattle weather, target temp_max."
        ),
    )
    fc.add_argument("data", nargs="?", metavar="DATA.csv", type=os.path.expanduser,
                    help="CSV file: one row per time step (wide: one column per series), "
                         "or one row per series and time step with --series (long)")
    fc.add_argument("--target", nargs="+", metavar="COLUMN",
                    help="column(s) to forecast; several make a panel that one shared "
                         "network learns, and 'all' takes every numeric column but the "
                         "--features (default: that of --dataset, or the only numeric "
                         "column of a CSV)")
    fc.add_argument("--dataset", choices=list(EMBEDDED),
                    help="embedded data to use without DATA.csv (default: seattle-weather, "
                         "target temp_max; us-employment is a panel of 22 monthly series, "
                         "target all)")
    fc.add_argument("--date-column", metavar="COLUMN",
                    help="column of dates, or of whole-number time steps (default: a column "
                         "named date, datetime, time, timestamp or ds, if any)")
    fc.add_argument("--date-format", metavar="FORMAT",
                    help="how the dates are written, as a strftime format such as %%d/%%m/%%Y "
                         "for day-first dates (default: read from the first date; dates "
                         "that read both day first and month first are refused)")
    fc.add_argument("--series", metavar="COLUMN",
                    help="long data: the column of series ids (one row per series and "
                         "time, e.g. unique_id, ds, y); one global network learns every "
                         "series, cross-validated on the next steps of each (PanelSplit)")
    fc.add_argument("--season-length", type=_positive_int, nargs="+", default=None, metavar="M",
                    help="steps per season, one or several (24 for hourly data, 24 168 for a "
                         "day and a week of hours, 12 for monthly; default: the cycles of the "
                         "data's frequency that the data repeat, if any)")
    fc.add_argument("--max-steps", type=_positive_int, default=None, metavar="N",
                    help="gradient steps per training, at most (default: 4 passes over "
                         "the windows, 1000 to 9000 steps, all that their cost allows where "
                         "4 passes take 3000 or more, or at most 40 passes over the "
                         "windows of data too small for 1000; short series with long "
                         "horizons are trained twice)")
    fc.add_argument("--calendar", action="store_true",
                    help="add the calendar of the dates as inputs (hourly data: the time of day "
                         "and the day of the week; daily: the day of the week; weekly, monthly: "
                         "the time of year); the forecast reads it from the future dates")
    fc.add_argument("--features", nargs="+", default=[], metavar="COLUMN",
                    help="extra (exogenous) input columns; the target is always an input")
    fc.add_argument("--future", nargs="+", default=[], metavar="COLUMN",
                    help="input columns whose future values are known (planned prices, "
                         "promotions, holidays): read over the horizon too; after the last "
                         "--target value (of each series) the file holds the next --horizon "
                         "rows with the target empty and these columns filled")
    fc.add_argument("--horizon", type=_positive_int, default=None,
                    help=f"number of future steps to forecast (default: {DEFAULT_HORIZON}; "
                         "12 with --dataset us-employment)")
    fc.add_argument("--sequence-length", type=_auto_or_positive_int, nargs="+", default=None,
                    metavar="L",
                    help="window lengths to search (default: auto, the longest of two "
                         "seasons, four horizons and 14 steps)")
    fc.add_argument("--units", type=_auto_or_positive_int, nargs="+", default=None,
                    metavar="U", help="LSTM sizes to search (default: auto, which is 64, "
                         "or 128 on a panel large enough for 3000 steps or more)")
    fc.add_argument("--splits", type=_positive_int, default=None,
                    help=f"number of cross-validation folds (TimeSeriesSplit, or PanelSplit "
                         f"with --series; default: {DEFAULT_SPLITS}; 3 with --dataset "
                         "us-employment)")
    fc.add_argument("--epochs", type=_positive_int, default=None, help=argparse.SUPPRESS)
    fc.add_argument("--coverage", type=_fraction, default=DEFAULT_COVERAGE,
                    help="coverage of the forecast interval (default: %(default)s)")
    fc.add_argument("--out", default="sklstm-out", metavar="DIR", type=os.path.expanduser,
                    help="directory for the CSV files and plots (default: %(default)s)")
    fc.add_argument("--seed", type=_seed, default=0,
                    help="random seed of every fit (default: %(default)s)")
    fc.add_argument("--n-jobs", type=_n_jobs, default=1, metavar="N",
                    help="parallel fits (threads of this process; -1 uses all cores; "
                         "default: %(default)s)")
    fc.add_argument("--quiet", action="store_true",
                    help="no progress bar and no preamble; print the results only")
    fc.set_defaults(run=_run_forecast)
    return parser


def main(argv=None):
    """Run the ``sklstm`` command line; return the exit code.

    Parameters
    ----------
    argv : list of str or None, default=None
        Arguments after the program name; None reads ``sys.argv[1:]``.

    Returns
    -------
    code : int
        0 on success, 2 on bad input (one line on standard error), 130 when
        interrupted.

    Examples
    --------
    >>> from sklstm.cli import main
    >>> main(["forecast", "no-such-file.csv", "--target", "y"])
    2
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        _fill_defaults(args)
        if args.command is None:
            raise _CLIError("choose a command: forecast (see 'sklstm --help')")
        if getattr(args, "epochs", None) is not None:
            print("sklstm: warning: --epochs is deprecated and will be removed in sklstm 0.5: "
                  "training is counted in gradient steps; --epochs N is read as N passes "
                  "over the training windows. Pass --max-steps instead", file=sys.stderr)
        return args.run(args)
    except _CLIError as error:
        print(f"sklstm: error: {error}", file=sys.stderr)
        return 2
    except SystemExit as exit_:  # --help and --version
        return exit_.code if isinstance(exit_.code, int) else 0
    except KeyboardInterrupt:
        print("sklstm: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `sklstm forecast | head`: the reader left
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


# --- data ----------------------------------------------------------------------


def _unknown_column(name, option, columns):
    close = closest(name, columns)
    hint = f"; did you mean {close!r}?" if close else ""
    return _CLIError(f"unknown column {name!r} for {option}: the columns are {list(columns)}{hint}")


def _read_csv(path):
    path = Path(path)
    if not path.exists():
        raise _CLIError(f"data file {str(path)!r} not found")
    if path.is_dir():
        raise _CLIError(f"data file {str(path)!r} is a directory; pass a CSV file")
    try:
        # only empty cells are missing: 'n/a' or 'NaN' stay text, so an error can name them
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        raise _CLIError(f"data file {str(path)!r} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise _CLIError(f"could not read {str(path)!r} as CSV: {first}") from None
    if frame.empty:
        raise _CLIError(f"data file {str(path)!r} has a header but no rows")
    if len(frame.columns) == 1 and ";" in str(frame.columns[0]):
        raise _CLIError(f"data file {str(path)!r} separates its columns with ';', not ','; "
                        "save it as comma-separated CSV")
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as file:
        header = next(csv.reader(file), [])  # pandas renames a repeated 'y' to 'y.1'
    repeated = [name for name in dict.fromkeys(header) if header.count(name) > 1]
    if repeated:
        where = [i + 1 for i, name in enumerate(header) if name == repeated[0]]
        raise _CLIError(f"data file {str(path)!r} names the column {repeated[0]!r} more than "
                        f"once (columns {', '.join(map(str, where))}); rename the copies, so "
                        "that every column has its own name")
    return frame


# formats a --date-format hint may name: what pandas reads from a first date like 01/02/2024
# either way round, and their two-digit-year and time-of-day forms
_DATE_FORMATS = [f"{a}{sep}{b}{sep}{year}{clock}"
                 for sep in "/.-" for a, b in (("%d", "%m"), ("%m", "%d"))
                 for year in ("%Y", "%y") for clock in ("", " %H:%M", " %H:%M:%S")]
_OFFSET = r"(Z|[+-]\d{2}:?\d{2})$"  # a UTC offset ending an ISO date


def _parse(raw, **options):
    """``raw`` as dates (NaT where they do not parse); pandas's format guesses kept quiet."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return pd.to_datetime(raw, errors="coerce", **options)


def _formats_that_read(raw):
    """The formats of :data:`_DATE_FORMATS` (with the first date's separator) that read
    every value of ``raw``."""
    first = raw.iloc[0]
    return [f for f in _DATE_FORMATS
            if f[2] in first and _parse(raw, format=f).notna().all()]


def _regular(index):
    """``index`` with the regular step pandas infers as its freq, or None."""
    if len(index) < 3:
        return index
    try:
        index = pd.DatetimeIndex(index, freq="infer")
    except ValueError:
        return None
    return index if index.freq is not None else None


def _read_times(raw, column, date_format=None, option="--date-column"):
    """The column as whole-number steps or dates, or an error that names the fix.

    Numbers are time steps (never nanoseconds after 1970); dates are read
    in ``date_format``, else in the format of the first date, refusing dates
    that also read the other way round (01/02/2024: 1 February or January 2);
    dates with several UTC offsets (a daylight-saving change) are taken in UTC
    or in local time, whichever has a regular step.
    """
    if raw.isna().any():
        row = int(np.flatnonzero(raw.isna())[0])
        raise _CLIError(f"{option} {column!r} is empty on data row {row + 1}")
    if pd.api.types.is_numeric_dtype(raw):
        whole = np.isfinite(raw) & (raw == np.round(raw))
        if not whole.all():
            row = int(np.flatnonzero(~whole.to_numpy())[0])
            raise _CLIError(f"{option} {column!r} holds {raw.iloc[row]!r} (data row {row + 1}), "
                            "not a date nor a whole-number time step")
        return raw.astype("int64")
    if date_format is not None:
        dates = _parse(raw, format=date_format)
        if dates.isna().any():
            row = int(np.flatnonzero(dates.isna())[0])
            raise _CLIError(f"could not parse {raw.iloc[row]!r} (data row {row + 1}) of "
                            f"{option} {column!r} with --date-format {date_format}")
        return dates
    text = raw.astype(str).str.strip()
    offsets = text.str.extract(_OFFSET, expand=False).dropna().unique()
    if len(offsets) > 1:  # e.g. +01:00 then +02:00: a daylight-saving change
        utc = _parse(text, utc=True, format="ISO8601")
        local = _parse(text.str.replace(_OFFSET, "", regex=True), format="ISO8601")
        for dates in (utc, local):  # (long data repeats each time once per series)
            times = pd.DatetimeIndex(dates.drop_duplicates().sort_values())
            if dates.notna().all() and _regular(times) is not None:
                return dates
        raise _CLIError(f"the dates in {option} {column!r} change their UTC offset "
                        f"({', '.join(offsets[:3])}) and have a regular step neither in UTC "
                        "nor in local time; give them one offset, or resample the file")
    dates = _parse(text)
    formats = None
    if dates.isna().any() or text.str.fullmatch(r"\d{1,2}\D\d{1,2}\D\d{2,4}.*").all():
        formats = _formats_that_read(text)
    if dates.isna().any():
        row = int(np.flatnonzero(dates.isna())[0])
        hint = (f"they read as {formats[0]}: pass --date-format {formats[0]}" if formats
                else "pass their format with --date-format (e.g. %d/%m/%Y), or pick another "
                     f"{option}")
        raise _CLIError(f"could not parse {text.iloc[row]!r} (data row {row + 1}) of {option} "
                        f"{column!r} as a date in the format of its first date; {hint}")
    readings = {f: _parse(text, format=f) for f in formats or []}
    distinct = {f: d for f, d in readings.items() if not d.equals(dates)}
    if distinct:
        other, dates_other = next(iter(distinct.items()))
        first = next(f for f, d in readings.items() if d.equals(dates))
        row = int(np.flatnonzero((dates != dates_other).to_numpy())[0])
        raise _CLIError(f"the dates in {option} {column!r} read both ways: {text.iloc[row]!r} "
                        f"is {_when(dates.iloc[row])} or {_when(dates_other.iloc[row])}; pass "
                        f"--date-format {first} or --date-format {other}")
    return dates


def _parse_dates(frame, column, date_format=None):
    """The frame indexed by its time column: dates on a regular step, or whole-number steps."""
    times = _read_times(frame[column], column, date_format)
    steps = pd.api.types.is_integer_dtype(times)
    index = pd.Index(times, name=column) if steps else pd.DatetimeIndex(times, name=column)
    what = f"{'step' if steps else 'date'} column {column!r}"
    try:  # the rule forecast() and make_supervised apply, with the file's words
        check_time_order(index, what, fix="sort the file")
    except ValueError as error:
        message = str(error).replace("(row ", "(data row ")
        ids = [c for c in frame.columns if c != column and _is_text(frame[c])
               and not frame.duplicated([c, column]).any()]
        if index.has_duplicates and ids:  # long data: one row per series and time
            message += (f"; or, if the file holds one row per series and time, name the "
                        f"column of series with --series (e.g. --series {shlex.quote(ids[0])})")
        raise _CLIError(message) from None
    if len(index) < 3:  # too few rows to show a step: the count of rows speaks first
        regular = index
    elif steps:
        regular = index if len(np.unique(np.diff(index.to_numpy()))) == 1 else None
    else:
        regular = _regular(index)
    if regular is None:
        raise _CLIError(
            f"the {'steps' if steps else 'dates'} in column {column!r} have no regular step "
            "(such as daily or monthly), so the forecast dates are undefined; resample the "
            "file to a regular step"
        )
    return frame.drop(columns=column).set_index(regular)


def _warn_of_unnamed_dates(frame):
    """Say so when a column of text holds dates that no option names (they would be unused)."""
    for column in frame.columns:
        values = frame[column].dropna()
        if not _is_text(frame[column]) or not len(values):
            continue
        head = values.astype(str).head(20)
        if _numeric_columns(head.to_frame()) or _parse(head).isna().any():
            continue
        print(f"sklstm: warning: column {column!r} holds dates, but only a column named "
              f"{DATE_NAMES_TEXT} is read as dates, so the rows are taken as steps "
              f"0, 1, 2, ...; to date the forecast, pass --date-column {shlex.quote(column)}",
              file=sys.stderr)
        return


def _targets(args, frame, source, default=()):
    """The --target columns: one name (one series) or a list of two or more (a panel)."""
    targets = list(dict.fromkeys(args.target or default))
    if ALL_TARGETS in targets:
        if len(targets) > 1:
            raise _CLIError(f"--target {ALL_TARGETS} means every numeric column and stands "
                            f"alone; got --target {' '.join(map(str, args.target))}")
        if ALL_TARGETS in frame.columns:
            raise _CLIError(f"--target {ALL_TARGETS} is ambiguous: the data has a column "
                            f"named {ALL_TARGETS!r}, and '{ALL_TARGETS}' also means every "
                            "numeric column; list the columns to forecast by name, or "
                            "rename that column")
        exogenous = set(args.features) | set(args.future)
        targets = [c for c in _numeric_columns(frame) if c not in exogenous]
        if not targets:
            raise _CLIError(f"--target {ALL_TARGETS}: no numeric column of {source!r} is "
                            f"left to forecast besides --features {args.features} and "
                            f"--future {args.future}; the "
                            f"columns are {list(frame.columns)}")
    for target in targets:
        if target not in frame.columns:
            raise _unknown_column(target, "--target", frame.columns)
    return targets[0] if len(targets) == 1 else targets


def _fill_defaults(args):
    """Options left unset take the default of --dataset, else the general one."""
    defaults = {"horizon": DEFAULT_HORIZON,
                "sequence_length": list(DEFAULT_SEQUENCE_LENGTHS),
                "units": list(DEFAULT_UNITS),
                "splits": DEFAULT_SPLITS,
                **DATASET_DEFAULTS.get(getattr(args, "dataset", None), {})}
    for name, value in defaults.items():
        if getattr(args, name, value) is None:
            setattr(args, name, value)


def _load_data(args):
    """The frame to forecast (dates in the index if any), its target(s), inputs and source.

    The target is a column name, or a list of two or more for a panel.
    """
    if args.data is None:
        from . import datasets

        for option, names in (("--target", args.target or []), ("--features", args.features),
                              ("--future", args.future)):
            stray = [n for n in names if str(n).lower().endswith(".csv")]
            if stray:  # nargs="+" took the data file as a column name
                raise _CLIError(f"{option} took {stray[0]!r} as a column name; put DATA.csv "
                                f"before {option}, which takes every word after it")

        for option, value in (("--date-column", args.date_column),
                              ("--date-format", args.date_format)):
            if value is not None:
                raise _CLIError(f"{option} applies to a CSV file, but no DATA.csv was given")
        loader, source, default = EMBEDDED[args.dataset or "seattle-weather"]
        frame = getattr(datasets, loader)()
        target = _targets(args, frame, source, default)
    elif args.dataset is not None:
        raise _CLIError(f"give DATA.csv or --dataset, not both (got {str(args.data)!r} and "
                        f"--dataset {args.dataset})")
    else:
        frame = _read_csv(args.data)
        source = str(args.data)
        date_column = args.date_column
        if date_column is not None and date_column not in frame.columns:
            raise _unknown_column(date_column, "--date-column", frame.columns)
        if date_column is None:
            found = [c for c in frame.columns if str(c).strip().lower() in DATE_NAMES]
            date_column = found[0] if found else None
        if date_column is not None:
            frame = _parse_dates(frame, date_column, args.date_format)
        elif args.date_format is not None:
            raise _CLIError("--date-format applies to a date column, but the file has none "
                            f"named {DATE_NAMES_TEXT}; name it with --date-column")
        else:
            _warn_of_unnamed_dates(frame)
        if args.target:
            target = _targets(args, frame, source)
        else:
            numeric = _numeric_columns(frame)
            if len(numeric) != 1:
                if not numeric:
                    raise _CLIError(f"no column of {source!r} holds numbers to forecast; "
                                    f"the columns are {list(frame.columns)}")
                raise _CLIError("--target is required: choose the column(s) to forecast "
                                f"among the numeric columns {numeric}, or --target "
                                f"{ALL_TARGETS} for all of them")
            target = numeric[0]
    targets = target if isinstance(target, list) else [target]
    frame, ahead = _rows_ahead(args, frame, targets)
    features = targets + [c for c in dict.fromkeys([*args.features, *args.future])
                          if c not in targets]
    for column in features:
        option = "--target" if column in targets else _option_of(column, args)
        if column not in frame.columns:
            raise _unknown_column(column, option, frame.columns)
        frame[column] = _numbers(frame, column, option,
                                 plan_hint=option == "--target" and not args.future)
        _check_scale(frame, column, option)
    constant = [c for c in targets if frame[c].nunique() == 1] if len(targets) > 1 else []
    if constant:  # a panel is scored relative to persistence, which is exact on them
        raise _CLIError(f"--target column(s) {constant} never change, so their error "
                        "relative to persistence (which has none) is undefined; leave them "
                        "out of --target")
    return _Job(frame, target, features, source, future=args.future, ahead=ahead)


def _option_of(column, args):
    """The option that named an input column: --future, else --features."""
    return "--future" if column in args.future else "--features"


def _rows_ahead(args, frame, targets, series=None, time=None):
    """``(history, ahead)``: with --future, the rows after each series' last --target value
    (the first --horizon of them, their --future columns as numbers) split off the data;
    without it, ``(frame, None)``. Rows ahead past --horizon are never read, so not checked."""
    if not args.future:
        return frame, None
    for column in args.future:
        if column in targets:
            raise _CLIError(f"--future column {column!r} is the --target: its future is what "
                            "is forecast; name the columns whose future values you know")
        if column not in frame.columns:
            raise _unknown_column(column, "--future", frame.columns)
    known = frame[targets].notna().any(axis=1).to_numpy()
    if series is None:  # the rows after the last one that holds a target value
        after = np.arange(len(frame)) > (np.flatnonzero(known).max() if known.any() else -1)
        ahead = frame[after]
        counts = pd.Series({None: len(ahead)})
        ahead = ahead.iloc[:args.horizon]
    else:  # each series' rows after its latest time that holds a target value
        latest = frame[time].where(known).groupby(frame[series]).transform("max")
        after = (frame[time] > latest).to_numpy()
        ahead = frame[after].sort_values(time, kind="stable")
        repeated = ahead[ahead.duplicated([series, time])]
        if len(repeated):
            at = repeated[time].iloc[0]
            raise _CLIError(
                f"--future: series {repeated[series].iloc[0]!r} has more than one row ahead "
                f"at {time}={_when(at) if isinstance(at, pd.Timestamp) else at} (data row "
                f"{repeated.index[0] + 1}); keep one row per series and time")
        # the series with values (one without any is refused as an empty --target column)
        counts = ahead.groupby(series).size().reindex(
            frame.loc[known, series].unique(), fill_value=0)
        ahead = ahead.groupby(series, sort=False).head(args.horizon)
    short = counts[counts < args.horizon]
    if len(short):
        whose = f"series {short.index[0]!r} has" if series is not None else "the data has"
        more = f" (and {len(short) - 1} more series)" if len(short) > 1 else ""
        where = "the file" if args.data is not None else "DATA.csv (an embedded dataset has none)"
        raise _CLIError(
            f"--future {' '.join(map(str, args.future))}: the forecast reads the next "
            f"--horizon {args.horizon} rows after the last {targets[0]!r} value, with the "
            f"target empty and those columns filled, but {whose} {short.iloc[0]}{more}; add "
            f"the rows of the steps ahead to {where}, or leave out --future")
    unread = after & ~frame.index.isin(ahead.index)
    frame = frame[~unread].copy()
    for column in args.future:
        frame[column] = _numbers(frame, column, "--future")
    read_ahead = frame.index.isin(ahead.index)
    return frame[~read_ahead].copy(), frame[read_ahead]


class _Job:
    """What the command forecasts, read and checked: the same steps serve every shape.

    Wide data (one row per time step, the time in the index) holds one
    series or several (``target`` a list); long data (``series`` and
    ``time`` columns) holds every series in the ``target`` column. Either
    way the command sees series by name: their history, their forecast.
    """

    def __init__(self, frame, target, features, source, series=None, time=None,
                 future=(), ahead=None):
        self.frame, self.target, self.features, self.source = frame, target, features, source
        self.series, self.time = series, time
        self.calendar = False  # --calendar: the calendar of the dates as inputs
        # --future: the columns known ahead, and the rows after the data that hold them
        self.future, self.ahead = list(future), ahead

    @property
    def long(self):
        return self.series is not None

    @property
    def names(self):
        """The series, in the order of the forecast."""
        if self.long:
            return sorted(self.frame[self.series].unique(), key=str)
        return list(self.target) if isinstance(self.target, list) else [self.target]

    @property
    def panel(self):
        """Whether there are several series (scored relative to persistence, per series)."""
        return self.long or isinstance(self.target, list)

    def supervised(self, horizon):
        from ._framing import make_supervised

        if self.calendar:
            times = self.frame[self.time] if self.long else self.frame.index
            if not (pd.api.types.is_datetime64_any_dtype(times.dtype)
                    or isinstance(times.dtype, pd.PeriodDtype)):
                raise _CLIError(
                    "--calendar needs dates, but the times of the data are whole-number "
                    "steps; leave out --calendar, or name a column of dates with "
                    "--date-column")
        try:
            future = self.future or None
            if self.long:
                return make_supervised(self.frame, self.target, series=self.series,
                                       time=self.time, horizon=horizon, features=self.features,
                                       calendar=self.calendar, future=future)
            return make_supervised(self.frame, self.target, horizon=horizon,
                                   features=self.features, calendar=self.calendar,
                                   future=future)
        except ValueError as error:  # in the command's words
            raise _CLIError(str(error).replace("pass calendar=False", "leave out --calendar")
                            .replace("calendar=True", "--calendar")) from None

    def shortest(self):
        """The fewest known values any series has."""
        if self.long:
            return int(self.frame.groupby(self.series)[self.target].count().min())
        return int(self.frame[self.names].count().min())

    def splitter(self, n_splits):
        from sklearn.model_selection import TimeSeriesSplit

        from ._splits import PanelSplit

        return PanelSplit(n_splits=n_splits) if self.long else TimeSeriesSplit(n_splits=n_splits)

    def history(self, name):
        """One series' observations, indexed by time."""
        if not self.long:
            return self.frame[name]
        rows = self.frame[self.frame[self.series] == name].sort_values(self.time)
        return rows.set_index(self.time)[self.target].rename(name)

    def forecast_of(self, fc, name):
        """One series' rows of the forecast, indexed by time (forecast, lower, upper)."""
        if self.long:
            return fc[fc[self.series] == name].drop(columns=self.series).set_index(self.time)
        if self.panel:
            return fc[fc["series"] == name].drop(columns="series")
        return fc

    def persistence_and_codes(self, X):
        """Each row's current value per series (persistence) and series number, as panel rows."""
        if self.long:
            codes = pd.Index(self.names).get_indexer(X.index.get_level_values(0))
            return np.asarray(X, dtype=float)[:, 0], codes
        k = len(self.names)
        current = np.asarray(X, dtype=float)[:, :k]
        return current.T.ravel(), np.repeat(np.arange(k), len(X))


def _is_text(values):
    """Whether a column holds text (object or string dtype)."""
    return values.dtype == object or pd.api.types.is_string_dtype(values)


_THOUSANDS = r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?"  # 1,234.5: a comma between groups of three


def _as_numbers(values):
    """``values`` as floats; cells that are not numbers become NaN.

    Numbers written with thousands separators (``1,234.5``) are numbers.
    """
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    if _is_text(values):
        text = values.astype(str).str.strip()
        grouped = numbers.isna() & text.str.fullmatch(_THOUSANDS)
        if grouped.any():
            numbers[grouped] = text[grouped].str.replace(",", "").astype(float)
    return numbers


def _numeric_columns(frame):
    """Columns holding at least one number (the candidates for --target)."""
    return [c for c in frame.columns if _as_numbers(frame[c]).notna().any()]


def _data_row(frame, position):
    """Where row ``position`` is, as a user finds it in the file."""
    stamp = frame.index[position]
    date = f", {_when(stamp)}" if isinstance(stamp, pd.Timestamp) else ""
    # the file's own row numbers where the frame kept them (rows ahead never read are dropped)
    file_rows = frame.index.name is None and pd.api.types.is_integer_dtype(frame.index)
    row = stamp if file_rows else position
    return f"data row {row + 1}{date}"


def _numbers(frame, column, option, shown=3, plan_hint=False):
    """The column as floats, or an error naming the cells that are not finite numbers (with
    ``plan_hint``, empty cells may be the rows of a plan that --future reads)."""
    raw = frame[column]
    values = _as_numbers(raw)
    bad = np.flatnonzero(~np.isfinite(values.to_numpy()))
    if len(bad) == 0:
        return values
    if values.isna().all() and raw.notna().any():  # text throughout, such as labels
        first = int(np.flatnonzero(raw.notna())[0])
        numeric = [c for c in _numeric_columns(frame) if c != column]
        choose = (f"choose among the numeric columns {numeric}" if numeric
                  else "no column of this data holds numbers")
        raise _CLIError(f"{option} column {column!r} is not numeric (e.g. "
                        f"{raw.iloc[first]!r} on {_data_row(frame, first)}); {choose}")
    cells = ", ".join(
        f"{'an empty cell' if pd.isna(raw.iloc[i]) else repr(raw.iloc[i])} "
        f"({_data_row(frame, i)})" for i in bad[:shown])
    more = f" and {len(bad) - shown} more" if len(bad) > shown else ""
    plan = ("; if they are the steps ahead of a plan, name its columns with --future"
            if plan_hint and raw.iloc[bad].isna().all() else "")
    raise _CLIError(f"{option} column {column!r} has {len(bad)} cell(s) that are not finite "
                    f"numbers: {cells}{more}; fix, fill or drop those rows{plan}")


def _check_scale(frame, column, option):
    """Refuse a column whose changes overflow float64: the rule of ``_checks.check_spans``.

    The network learns changes of the target and scales every input, so twice
    a column's range (the widest change between two of its values) must be finite.
    """
    values = frame[column].to_numpy(dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        widest = 2 * (values.max() - values.min())
    if np.isinf(widest):
        row = int(np.argmax(np.abs(values)))
        raise _CLIError(f"{option} column {column!r} holds {values[row]:.3g} "
                        f"({_data_row(frame, row)}), so its changes overflow float64; fix "
                        "that value if it is an error, or rescale the column first (e.g. "
                        "divide it by 1e300)")


def _held_out(n_rows, horizon, validation_fraction):
    """The windows LSTMForecaster holds out of one series of ``n_rows`` rows (they calibrate
    the interval): a fraction of the framed rows whose targets it may train on, which are
    those whose ``horizon`` steps end by the step after the last framed row."""
    return _fold_windows(max(n_rows - horizon, 0), horizon, validation_fraction)[1]


def _fold_windows(n_rows, horizon, validation_fraction):
    """``(trained, held)``: the windows LSTMForecaster trains on and holds out when it fits
    ``n_rows`` framed rows of one series with ``horizon`` targets each.

    The last ``horizon - 1`` rows' targets reach past the rows (honest: never
    trained on), the latest of the rest are held out, and the ``horizon - 1``
    rows before those have targets that reach the held-out ones.
    """
    from ._recipe import held_out_count  # numpy only: Keras loads when a fit starts

    known = max(n_rows - (horizon - 1), 0)
    held = held_out_count(known, validation_fraction)
    return max(known - held - (horizon - 1), 0), held


def _first_fold(n_rows, n_splits, horizon):
    """``(framed, first)``: the rows framed from ``n_rows`` and the first fold's training
    rows, or None where TimeSeriesSplit cannot cut ``n_splits`` folds of them."""
    framed = n_rows - horizon
    test = framed // (n_splits + 1)
    return (framed, framed - n_splits * test) if test >= 1 else None


def _min_rows(n_splits, sequence_length, horizon, coverage, validation_fraction, n_rows=None):
    """Fewest rows for the splits, windows and interval calibration; why, and the fix.

    ``sequence_length`` is the longest number given (None for 'auto', which
    shortens to the rows). Returns ``(rows, reason, fix)``: ``reason`` names
    the constraint that binds and ``fix`` the options that relax it (given
    ``n_rows``, every constraint those rows miss, and the coverage they support).
    """
    from ._conformal import calibration_size, max_coverage

    future = f"plus --horizon {horizon} row(s) of future targets"

    def trains(first):  # the first fold's rows hold a window and one to train on
        return first >= (sequence_length or 1) and \
            _fold_windows(first, horizon, validation_fraction)[0] >= 1

    def fold_fits(n):
        fold = _first_fold(n, n_splits, horizon)
        return fold is not None and trains(fold[1])

    # the first fold's size is not monotone in the rows (TimeSeriesSplit gives the
    # remainder to it), but never below a test block: from where a test block would
    # train, every larger count fits; walk down to the fewest rows from which all do
    split_rows = next(n for n in itertools.count(horizon + n_splits + 1)
                      if trains((n - horizon) // (n_splits + 1)))
    while fold_fits(split_rows - 1):
        split_rows -= 1
    framed, first = _first_fold(split_rows, n_splits, horizon)
    held = _fold_windows(first, horizon, validation_fraction)[1]
    window = f", and hold a --sequence-length {sequence_length} window" \
        if sequence_length else ""
    split_need = (
        split_rows,
        (f"the first of --splits {n_splits} TimeSeriesSplit folds trains on the first {first} "
         f"of {framed} framed rows, which must keep a window to train on after the "
         f"{horizon - 1} whose --horizon {horizon} targets reach past them, {held} held out "
         f"and the {horizon - 1} whose targets reach those{window}; {future}"),
        "use fewer --splits, a smaller --horizon"
        + (", a shorter --sequence-length" if sequence_length else "") + " or more data")
    # LSTMForecaster.predict_interval needs ceil((n + 1) * coverage) <= n held-out windows
    calibration = calibration_size(coverage)
    # start just below round(n * fraction) = calibration and step up (no long count)
    start = max(1, math.floor((calibration - 1) / validation_fraction))
    framed = next(n for n in itertools.count(start)
                  if _held_out(n + horizon, horizon, validation_fraction) >= calibration)
    lever = "lower --coverage or add data"
    if n_rows is not None:
        held = _held_out(n_rows, horizon, validation_fraction)
        lever = (f"lower --coverage (these rows hold out {held}, which support up to "
                 f"{math.floor(100 * max_coverage(held))}%) or add data" if held else
                 "add data (these rows hold out none to calibrate an interval on)")
    interval_need = (
        framed + horizon,
        (f"the --coverage {coverage:.12g} interval is calibrated on at least {calibration} "
         f"held-out rows, the last {validation_fraction:.0%} of the {framed - (horizon - 1)} "
         f"framed rows it may train on (the last {horizon - 1} framed rows' targets reach "
         f"past the step after them), {future}"),
        lever)
    needs = sorted([split_need, interval_need], key=lambda need: need[0], reverse=True)
    rows, reason, fix = needs[0]
    if n_rows is not None and n_rows < needs[1][0]:
        fix = f"{fix}; also {needs[1][2]}"
    return rows, reason, fix


def _job_that_fits(n_rows, n_splits, lengths, horizon, coverage):
    """The options nearest these that ``n_rows`` rows can run, all levers at once, or None.

    Keeps the horizon if it can, then the coverage (else the highest the
    held-out rows support), then the most splits that still take one of the
    window ``lengths`` (numbers; none for 'auto'), else 'auto', which
    shortens the window to the rows.
    """
    from ._conformal import calibration_size, max_coverage

    def runs(splits, length, h, cover):
        return _min_rows(splits, length, h, cover, VALIDATION_FRACTION)[0] <= n_rows

    for h in range(horizon, 0, -1):
        held = _held_out(n_rows, h, VALIDATION_FRACTION)
        cover = coverage
        if held < calibration_size(coverage):
            if not held:
                continue
            cover = math.floor(100 * max_coverage(held)) / 100
        for splits in range(n_splits, 1, -1):
            fits = [n for n in lengths if runs(splits, n, h, cover)]
            if not lengths and runs(splits, None, h, cover):
                fits = ["auto"]
            if fits:
                return {"splits": splits, "sequence_length": fits, "horizon": h,
                        "coverage": cover}
        if lengths and runs(2, None, h, cover):
            return {"splits": 2, "sequence_length": ["auto"], "horizon": h, "coverage": cover}
    return None


def _command(args, **changes):
    """The ``sklstm forecast`` command line of ``args`` with ``changes``, ready to paste."""
    values = {**vars(args), **changes}
    words = ["sklstm", "forecast"]
    words += [values["data"]] if values["data"] is not None else []
    words += ["--dataset", values["dataset"]] if values["dataset"] else []
    words += ["--target", *values["target"]] if values["target"] else []
    for name in ("series", "date_column", "date_format"):
        words += [f"--{name.replace('_', '-')}", values[name]] if values[name] else []
    words += ["--features", *values["features"]] if values["features"] else []
    words += ["--future", *values["future"]] if values.get("future") else []
    words += ["--horizon", values["horizon"], "--sequence-length", *values["sequence_length"]]
    if list(values["units"]) != list(DEFAULT_UNITS):
        words += ["--units", *values["units"]]
    words += ["--splits", values["splits"]]
    if values["season_length"]:
        words += ["--season-length", *values["season_length"]]
    for name, default in (("max_steps", None), ("epochs", None),
                          ("coverage", DEFAULT_COVERAGE), ("out", "sklstm-out"), ("seed", 0),
                          ("n_jobs", 1)):
        if values[name] != default:
            words += [f"--{name.replace('_', '-')}", f"{values[name]:g}"
                      if isinstance(values[name], float) else values[name]]
    words += ["--quiet"] if values["quiet"] else []
    return " ".join(shlex.quote(str(word)) for word in words)


def _what_fits(args, n_rows):
    """The end of a too-few-rows error: one command that runs on ``n_rows`` rows."""
    lengths = _window_lengths(args)
    job = _job_that_fits(n_rows, args.splits, lengths, args.horizon, args.coverage)
    if job is not None:
        return f"with {n_rows} rows, this runs: {_command(args, **job)}"
    smallest = _min_rows(2, None, 1, min(args.coverage, 0.5), VALIDATION_FRACTION)[0]
    return (f"no job fits in {n_rows} row(s): the smallest (--splits 2 --horizon 1 "
            f"--coverage {min(args.coverage, 0.5):g}) needs {smallest}; add data")


# --- the forecast command ---------------------------------------------------


def _describe_index(index):
    if isinstance(index, pd.DatetimeIndex):
        freq = f", frequency {index.freqstr}" if index.freqstr else ", irregular dates"
        return f"{_when(index[0])} to {_when(index[-1])}{freq}"
    if index.name is not None:  # a column of whole-number time steps
        return f"steps {index[0]} to {index[-1]} (column {index.name!r})"
    return "no dates (steps 0, 1, ...)"


def _scores_table(search, baseline, n_splits, metrics=("mae", "rmse")):
    """Every candidate's and persistence's CV errors; ``metrics[0]`` ranks them."""
    res = search.cv_results_
    first = metrics[0]
    rows = []
    for i, params in enumerate(res["params"]):
        rows.append({
            "model": "LSTMForecaster",
            "sequence_length": params["sequence_length"],
            "units": params["units"],
            "rank": int(res[f"rank_test_{first}"][i]),
            **{f"{m}_{s}": (-res[f"mean_test_{m}"][i] if s == "mean" else res[f"std_test_{m}"][i])
               for m in metrics for s in ("mean", "std")},
            **{f"{m}_fold_{k + 1}": -res[f"split{k}_test_{m}"][i]
               for m in metrics for k in range(n_splits)},
            "fit_time_mean": res["mean_fit_time"][i],
        })
    errors = {m: -baseline[f"test_{m}"] for m in metrics}
    rows.append({
        "model": "persistence", "sequence_length": None, "units": None, "rank": None,
        **{f"{m}_{s}": getattr(e, s)() for m, e in errors.items() for s in ("mean", "std")},
        **{f"{m}_fold_{k + 1}": v for m, e in errors.items() for k, v in enumerate(e)},
        "fit_time_mean": baseline["fit_time"].mean(),
    })
    table = pd.DataFrame(rows).astype({"rank": "Int64"}).sort_values(
        "rank", na_position="last", kind="stable")
    table["mae_vs_persistence"] = table[f"{first}_mean"] / errors[first].mean() - 1.0
    return table.reset_index(drop=True)


def _format_scores(table, metrics=("mae", "rmse"), labels=("MAE", "RMSE")):
    from .plotting import _format_mean_std

    def whole(values):  # whole numbers, "auto", or "-" for none
        return [str(v if isinstance(v, str) else int(v)) if v is not None and pd.notna(v)
                else "-" for v in values]

    shown = pd.DataFrame({
        "rank": whole(table["rank"]),
        "model": ["LSTM" if m == "LSTMForecaster" else m for m in table["model"]],
        "sequence_length": whole(table["sequence_length"]),
        "units": whole(table["units"]),
        **{label: [_format_mean_std(m, s) for m, s in zip(table[f"{metric}_mean"],
                                                          table[f"{metric}_std"])]
           for metric, label in zip(metrics, labels)},
        "MAE vs persistence": [f"{v:+.1%}" if row != "persistence" else "-"
                               for v, row in zip(table["mae_vs_persistence"], table["model"])],
    })
    return shown.to_string(index=False)


def _series_errors(pred, y, X, job, squared=False):
    """Each series' MAE (RMSE with ``squared``) and persistence's, over its rows and steps.

    Wide panels' ``y`` and ``pred`` are series-major; persistence is each
    series' value at ``t``, the first column of a long X and the first
    ``k`` columns of a wide panel's X (make_supervised puts them there).
    The errors come in the order of ``job.names``.
    """
    current, codes = job.persistence_and_codes(X)
    n = len(current)
    truth = np.asarray(y, dtype=float).reshape(n if job.long else len(X), -1)
    pred = np.asarray(pred, dtype=float).reshape(truth.shape)
    if not job.long:  # wide rows (n, k * h) as panel rows (k * n, h)
        k = len(job.names)
        truth = truth.reshape(len(X), k, -1).transpose(1, 0, 2).reshape(n, -1)
        pred = pred.reshape(len(X), k, -1).transpose(1, 0, 2).reshape(n, -1)

    def error(prediction):
        residual = np.abs(prediction - truth)
        per_row = (residual ** 2 if squared else residual).mean(axis=1)
        total = np.bincount(codes, weights=per_row, minlength=len(job.names))
        count = np.bincount(codes, minlength=len(job.names))
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total / count
        return np.sqrt(mean) if squared else mean

    return error(pred), error(current[:, None])


def _error_ratio(y, y_pred, X, *, job, squared=False):
    """The mean over series of each one's error over persistence's.

    Scale-free, so no series outweighs the others (see :func:`_series_errors`);
    series persistence forecasts without error, or absent from the rows, are left out.
    """
    model, persistence = _series_errors(y_pred, y, X, job, squared)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = model / persistence
    return float(np.nanmean(np.where(np.isfinite(ratio), ratio, np.nan)))


def _metrics(job):
    """The errors the command reports, by name, their printed labels and the grid plot's label.

    One series: MAE and RMSE in its unit. A panel (wide or long): each
    series' MAE and RMSE over persistence's, averaged (sklearn's
    multi-output errors would let the largest series dominate).
    """
    from sklearn.metrics import mean_absolute_error, root_mean_squared_error

    if job.panel:
        errors = {f"{m}_ratio": partial(_error_ratio, job=job, squared=m == "rmse")
                  for m in ("mae", "rmse")}
        return errors, ("MAE/persistence", "RMSE/persistence"), "MAE relative to persistence"
    errors = {"mae": lambda y, y_pred, X: mean_absolute_error(y, y_pred),
              "rmse": lambda y, y_pred, X: root_mean_squared_error(y, y_pred)}
    return errors, ("MAE", "RMSE"), "mean absolute error"


class _FoldScorer:
    """A search's scorer: every error of a fold from one predict, and that predict kept.

    The grid search's own fold fits so give the out-of-fold predictions of
    the best parameters: no network is fitted again for them. Each error is
    returned negated (higher is better, as scikit-learn's ``neg_`` scorers).

    Parameters
    ----------
    errors : dict of str to callable
        ``error(y, y_pred, X)`` by name.
    candidate : tuple of str, default=()
        The parameters telling the candidates apart; their predictions are
        kept by candidate and test fold. () keeps none.
    """

    def __init__(self, errors, candidate=()):
        self.errors = errors
        self.candidate = candidate
        self.predictions = {}

    def _key(self, params, X, test_start):
        return tuple(params[name] for name in self.candidate), X.index[test_start]

    def __call__(self, estimator, X, y):
        y_pred = estimator.predict(X)
        if self.candidate:  # a dict item is set atomically: threads may share the scorer
            self.predictions[self._key(estimator.get_params(), X, 0)] = y_pred
        return {name: -error(y, y_pred, X) for name, error in self.errors.items()}

    def fold_predictions(self, params, X, test):
        """The kept predictions of the candidate ``params`` on the fold ``test`` of X."""
        return self.predictions[(tuple(params[name] for name in self.candidate),
                                 X.index[test[0]])]


def _series_table(oof, X, y, job):
    """Per series, the MAE of the out-of-fold predictions and of persistence, and their ratio."""
    model, persistence = _series_errors(oof[y.columns], y.loc[oof.index], X.loc[oof.index], job)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = model / persistence
    return pd.DataFrame({"mae": model, "persistence_mae": persistence,
                         "mae_relative_to_persistence": ratio},
                        index=pd.Index(job.names, name="series")).dropna(subset=["mae"])


def _print_series_table(table, n_shown=MAX_PRINTED_SERIES):
    """The series the best model does best and worst on, relative to persistence."""
    ratio = table["mae_relative_to_persistence"].sort_values()
    beaten = int((ratio < 1).sum())
    print(f"\nMAE/persistence per series, out-of-fold predictions of the best parameters "
          f"(all folds together), lowest first: below 1 on {beaten} of the {len(ratio)}")
    half = n_shown // 2
    shown = ratio if len(ratio) <= n_shown else pd.concat([ratio.iloc[:half], ratio.iloc[-half:]])
    lines = [f"  {name:<{max(map(len, shown.index))}}  {value:.3f}"
             for name, value in shown.items()]
    if len(ratio) > n_shown:
        lines.insert(half, f"  ... {len(ratio) - 2 * half} more in cv_series.csv")
    print("\n".join(lines))


def _oof_predictions(scorer, params, cv, X, y):
    """Out-of-fold predictions of the candidate ``params``, one row per test row (origin t).

    They are the predictions the search scored (``scorer`` kept them).
    """
    columns = list(y.columns) if isinstance(y, pd.DataFrame) else [y.name]
    parts = []
    for fold, (_, test) in enumerate(cv.split(X, y), start=1):
        pred = np.asarray(scorer.fold_predictions(params, X, test)).reshape(len(test), -1)
        part = pd.DataFrame(pred, index=X.index[test], columns=columns)
        part.insert(0, "fold", fold)
        parts.append(part)
    return pd.concat(parts)


def _one_step_series(oof, job, name):
    """One series' t+1 out-of-fold predictions, at the time each predicts (its history's index)."""
    history = job.history(name)
    if job.long:
        rows = oof.xs(name, level=0) if name in oof.index.get_level_values(0) else oof.iloc[:0]
        first = rows[f"{job.target}_t+1"]
    else:
        first = oof[f"{name}_t+1"] if job.panel else oof.iloc[:, 1]
    values = np.full(len(history), np.nan)
    positions = history.index.get_indexer(first.index)
    known = (positions >= 0) & (positions + 1 < len(history))
    values[positions[known] + 1] = first.to_numpy()[known]
    return pd.Series(values, index=history.index, name=name)


def _unscored_note(horizon):
    return (f"grey: no cross-validation forecast, as the {horizon} steps after each of "
            "these rows run past the end of the data")


def _plot_series(top, bottom, history, one_step, fc, horizon, coverage, unit, note=True):
    """One series' out-of-fold predictions (``top``) and forecast (``bottom``).

    ``note`` explains the grey span under the forecast's title when there is one.
    """
    from .plotting import plot_forecast

    name = history.name
    plot_forecast(history, cv_predictions=one_step, label=name, unit=unit, ax=top)
    which = "" if horizon == 1 else f"; the first of its {horizon} steps"
    top.set_title(f"{name}: the best model's next-step forecasts, made in cross-validation\n"
                  f"(each by a model trained only on earlier data{which})", fontsize="medium")
    tail = min(len(history), max(90, 8 * horizon))
    plot_forecast(history, cv_predictions=one_step, forecast=fc, tail=tail, label=name,
                  unit=unit, ax=bottom)
    title = (f"{name}: the last {tail} observations, then the forecast of the next "
             f"{horizon} ({coverage:.0%} interval)")
    last = one_step.last_valid_index()
    unscored = len(history) - 1 - history.index.get_loc(last) if last is not None else 0
    if unscored and note:
        title += f"\n{_unscored_note(horizon)}"
    bottom.set_title(title, fontsize="medium")


def _save_plots(out, job, X, y, cv, search, oof, fc, horizon, coverage, score_label):
    """The four figures; a panel's forecast.png shows its first few series, one row each."""
    from matplotlib.figure import Figure

    from .plotting import plot_cv_folds, plot_grid_search, plot_history

    units = job.frame.attrs.get("units")
    unit_of = units.get if isinstance(units, dict) else (lambda name: None)
    names = job.names
    shown = names[:MAX_PLOTTED_SERIES]
    if job.panel:
        fig = Figure(figsize=(17, 0.8 + 3.6 * len(shown)), layout="constrained")
        axes = fig.subplots(len(shown), 2, squeeze=False)
        what = f"--series {job.series}" if job.long else "--target"
        which = (f"The first {len(shown)} of the {len(names)} series of {what} (the "
                 f"other {len(names) - len(shown)} are in forecast.csv and "
                 "cv_predictions.csv)" if len(names) > len(shown)
                 else f"The {len(names)} series of {what}")
        fig.suptitle(f"{which}\n{_unscored_note(horizon)}" if horizon > 1 else which)
    else:
        fig = Figure(figsize=(11, 7), layout="constrained")
        axes = fig.subplots(2, 1)[np.newaxis, :]
    for (top, bottom), name in zip(axes, shown):
        series_fc = job.forecast_of(fc, name)
        series_fc.attrs["coverage"] = coverage
        _plot_series(top, bottom, job.history(name), _one_step_series(oof, job, name),
                     series_fc, horizon, coverage, unit_of(name), note=not job.panel)
    fig.savefig(out / "forecast.png", dpi=110)

    fig = Figure(figsize=(10, 1.2 + 0.45 * cv.get_n_splits()), layout="constrained")
    plot_cv_folds(cv, X, y=y, ax=fig.subplots())
    fig.savefig(out / "cv_folds.png", dpi=110)

    n_x = len(search.param_grid["sequence_length"])
    n_y = len(search.param_grid["units"])
    # tall and wide enough for the colour bar's label, even for one row
    fig = Figure(figsize=(max(5.5, 2.5 + 1.3 * n_x), max(3.4, 1.8 + 0.8 * n_y)),
                 layout="constrained")
    # the scorer returns minus the errors: show the error of the refit metric
    plot_grid_search(search, x="sequence_length", y="units", negate=True, label=score_label,
                     unit=None if job.panel else unit_of(job.target), ax=fig.subplots())
    fig.savefig(out / "grid_search.png", dpi=110)

    fig = Figure(figsize=(7, 4), layout="constrained")
    model = search.best_estimator_
    ax = plot_history(model, ylabel="loss: mean absolute error\n(in units of each window's "
                                    "changes)", ax=fig.subplots())
    every = f", all {len(names)} series" if job.panel else ""
    ax.set_title(f"Training of the final model (best parameters, all rows{every}):\n"
                 "loss per pass over the windows, lower is better", fontsize="medium")
    fig.savefig(out / "training_history.png", dpi=110)


def _print_next_steps(args, job, search, best_row):
    """What to try next, given what this run found."""
    model = search.best_estimator_
    length = model.sequence_length_
    other = _other_length(length, job.shortest(), _seasons(args.season_length))
    lines = []
    if best_row["mae_vs_persistence"] >= 0:
        lines.append("the LSTM did not beat persistence here: "
                     + ("give the data's cycle with --season-length, " if not args.season_length
                        else "") + f"try {'longer' if other > length else 'shorter'} windows "
                     f"(--sequence-length {length} {other}) or more data")
    if len(search.cv_results_["params"]) == 1:
        lines.append(f"to tune: --sequence-length auto {other} --units 32 64 grid-searches 4 "
                     f"candidates ({4 * args.splits + 1} fits)")
    season = (f"season_length={_seasons(args.season_length)!r}, " if args.season_length
              else "")
    options = ([f"future={list(args.future)!r}"] if args.future else []) + (
        ["calendar=True"] if args.calendar else [])
    framing = f"make_supervised(..., {', '.join(options)})" if options else "make_supervised(...)"
    lines.append(f"in Python: LSTMForecaster({season}random_state={args.seed}) on "
                 f"{framing} is this model; sklstm.save_estimator(model, 'model.zip') "
                 "keeps it")
    print("\nnext:\n" + "\n".join(f"  {line}" for line in lines))


def _other_length(length, shortest, season_length):
    """A window to try beside ``length``: twice as long while four such windows fit in the
    shortest series (else most of its windows would be padding), or else half as long, in
    whole seasons of the shortest season where half holds one."""
    if 4 * 2 * length <= shortest:
        return 2 * length
    from ._simple_forecasts import seasons

    m, half = (seasons(season_length) or (1,))[0], length // 2
    other = m * (half // m) if half >= m else half
    return other if other >= 1 else 2 * length  # a window of one step: two


def _first_steps(table):
    """At most MAX_PRINTED_STEPS rows of a printed forecast."""
    return table.iloc[:MAX_PRINTED_STEPS]


def _print_panel_forecast(fc, job, horizon, coverage):
    """The point forecast of the first few series, one column each."""
    names = job.names
    shown = names[:MAX_PRINTED_SERIES]
    if job.long:
        steps = fc.groupby(job.series, sort=False).cumcount() + 1
        times = fc.groupby(steps.to_numpy())[job.time].nunique()
        # series that end together share the future times: one row per time, else per step
        index = job.time if (times == 1).all() else "step"
        wide = fc.assign(step=steps.to_numpy()).pivot(index=index, columns=job.series,
                                                      values="forecast")[shown]
    else:
        wide = fc.pivot(columns="series", values="forecast")[shown]
    wide.columns.name = None
    which = (f"the first {len(shown)} of the {len(names)} series" if len(shown) < len(names)
             else f"the {len(names)} series")
    print(f"\nforecast of {which} for the next {horizon} step(s):")
    print(_first_steps(wide.round(2)).to_string())
    steps = f", the first {MAX_PRINTED_STEPS} steps" if horizon > MAX_PRINTED_STEPS else ""
    print(f"(every series and step, with its {coverage:.0%} interval, is in forecast.csv"
          f"{steps and '; shown' + steps})")


def _run_forecast(args):
    """The ``sklstm forecast`` command, for every shape of data; returns the exit code.

    The steps of its help: read and frame the series, grid-search
    LSTMForecaster with time-series cross-validation (each fold's
    predictions kept; TimeSeriesSplit for wide data, PanelSplit for long
    data), score persistence on the same folds, refit the best (the search
    does), forecast the next steps, then write the files and print the results.
    """
    if args.splits < 2:
        raise _CLIError(f"argument --splits: must be at least 2 (folds to cross-validate on), "
                        f"got {args.splits}; e.g. --splits 2")
    say = (lambda *a: None) if args.quiet else print
    job = _load_long(args) if args.series is not None else _load_data(args)
    job.calendar = args.calendar
    season = (f"{' and '.join(map(str, args.season_length))} steps (--season-length)"
              if args.season_length is not None else _find_season(args, job))
    if not job.long:
        _check_enough_rows(args, job.frame)
    out = _output_directory(args.out)

    # Keras and JAX load only now, once the input is known to be good
    X, y = job.supervised(args.horizon)
    if job.long:
        _check_long_calibration(args, X)
    cv = job.splitter(args.splits)
    grid = {"sequence_length": sorted(set(args.sequence_length), key=str),
            "units": sorted(set(args.units), key=str)}
    errors, labels, score_label = _metrics(job)
    _say_plan(say, job, X, cv, grid, args, season)
    started = time.perf_counter()
    search, scorer = _grid_search(args, X, y, job, cv, grid, errors)
    elapsed = time.perf_counter() - started
    baseline = _persistence_scores(X, y, job, cv, errors)
    fc = _forecast_next(search.best_estimator_, job, args)

    metrics = tuple(errors)
    table = _scores_table(search, baseline, args.splits, metrics)
    oof = _oof_predictions(scorer, search.best_params_, cv, X, y)
    by_series = _series_table(oof, X, y, job) if job.panel else None
    _write_results(out, job, X, y, cv, search, table, oof, by_series, fc, args, score_label)
    say(f"\nfitted in {elapsed:.0f} s")
    _print_results(out, job, search, table, metrics, labels, by_series, fc, args)
    return 0


def _window_lengths(args):
    """The --sequence-length values that bind the folds: the numbers given.

    'auto' binds nothing: it shortens to the rows a fold trains on.
    """
    return sorted({length for length in args.sequence_length if length != "auto"})


def _longest_window(args):
    """The longest --sequence-length number given, or None (only 'auto')."""
    return max(_window_lengths(args), default=None)


# the cycle a step of each frequency repeats: a day of hours, a week of days, a year
NATURAL_SEASONS = {"h": [(24, "a day"), (168, "a week")], "D": [(7, "a week"), (365, "a year")],
                   "B": [(5, "a week")], "W": [(52, "a year")], "M": [(12, "a year")],
                   "Q": [(4, "a year")], "min": [(60, "an hour"), (1440, "a day")]}
FREQUENCY_NAMES = {"h": "hourly", "D": "daily", "B": "business-day", "W": "weekly",
                   "M": "monthly", "Q": "quarterly", "min": "minutely"}
SEASONS_TO_TRY = (24, 7, 12, 52, 4)  # for whole-number time steps: the common cycles


def _seasons(season_length):
    """--season-length as LSTMForecaster takes it: None, one season, or a tuple of them."""
    if not season_length:
        return None
    return season_length[0] if len(season_length) == 1 else tuple(season_length)


def _find_season(args, job):
    """--season-length when the user gave none: the data's frequency's cycle, if the data
    repeat on it (then it is used), or a common cycle they repeat on (then it is suggested).
    The data repeat on a cycle where SEASON_SHARE of the series (of at most SEASON_TESTED,
    evenly chosen) do, the rule of the "auto" window.

    Returns what to say of it, or None.
    """
    from ._clock import inferred_freq
    from ._recipe import panel_repeats_every, season_tested

    names = job.names
    # the longest series tells the frequency best
    history = job.history(job.frame.groupby(job.series).size().idxmax() if job.long
                          else names[0])
    # a cycle counts where a share of the series repeat on it, as for the "auto" window
    tested = [names[i] for i in season_tested(len(names))]
    if job.long:  # one pass over the rows, not one per series
        rows = job.frame.sort_values(job.time, kind="stable").groupby(job.series)[job.target]
        histories = [rows.get_group(name) for name in tested]
    else:
        histories = [job.frame[name] for name in tested]
    series = [pd.to_numeric(h, errors="coerce").to_numpy(dtype=float) for h in histories]
    index = history.index
    freq = inferred_freq(pd.DatetimeIndex(index)) if (
        isinstance(index, pd.DatetimeIndex) or pd.api.types.is_datetime64_any_dtype(index)) \
        else None
    if freq is not None:
        base = freq.rule_code.split("-")[0].lstrip("0123456789").rstrip("SE")  # QS-JAN: Q
        natural = NATURAL_SEASONS.get(base, []) if freq.n == 1 else []
        # a longer cycle on the changes over the shorter one: a strong daily cycle also
        # comes back every week, a weekly pattern of its own only after the day is out
        shorter = [1] + [m for m, _ in natural[:-1]]
        cycles = [(m, what) for (m, what), d in zip(natural, shorter)
                  if panel_repeats_every(series, m, differenced=d)]
        if not cycles:
            return None
        args.season_length = [m for m, _ in cycles]
        steps = " and ".join(f"{m} steps ({what})" for m, what in cycles)
        said = (f"{steps}: these {FREQUENCY_NAMES.get(base, base)} data repeat on "
                f"{'them' if len(cycles) > 1 else 'it'} (--season-length changes it)")
        missed = [(m, what) for m, what in natural if (m, what) not in cycles]
        if missed:  # a cycle the test did not pass may still be there (a few weeks of hours)
            more = " ".join(str(m) for m in args.season_length + [m for m, _ in missed])
            said += (f"; not found: {' and '.join(f'{m} ({what})' for m, what in missed)}, "
                     f"which --season-length {more} adds if the data have it")
        return said
    found = [m for m in SEASONS_TO_TRY if panel_repeats_every(series, m)]
    if found:
        return (f"none given; the data repeat every {found[0]} steps: to use it, pass "
                f"--season-length {found[0]}")
    return None


def _check_long_calibration(args, X):
    """Refuse long data too short to calibrate the --coverage interval, naming what it supports.

    Each series holds out its latest windows (those whose targets it may train on
    are its framed rows but the last horizon - 1): the rule of LSTMForecaster.
    """
    from ._conformal import calibration_size, max_coverage
    from ._recipe import held_out_count

    rows = X.groupby(level=0).size().to_numpy() - (args.horizon - 1)
    rows = rows[rows >= 2]
    per_series = held_out_count(int(np.median(rows)), VALIDATION_FRACTION, len(rows)) \
        if len(rows) else 0
    held = per_series * len(rows)
    if held < calibration_size(args.coverage):
        supported = math.floor(100 * max_coverage(held)) / 100 if held else 0
        fix = (f"pass --coverage {supported:g} or lower" if held
               else "give longer series")
        raise _CLIError(f"the --coverage {args.coverage:g} interval is calibrated on at least "
                        f"{calibration_size(args.coverage)} held-out windows, but these "
                        f"{len(rows)} series hold out {held} (the latest windows of each); "
                        f"{fix}, or add series or rows")


def _check_enough_rows(args, frame):
    """Refuse a frame too short for the folds, windows and interval calibration."""
    needed, reason, _ = _min_rows(args.splits, _longest_window(args), args.horizon,
                                  args.coverage, VALIDATION_FRACTION, n_rows=len(frame))
    if len(frame) < needed:
        raise _CLIError(f"too few rows: {len(frame)}, but this job needs at least {needed} "
                        f"({reason}); {_what_fits(args, len(frame))}")


def _output_directory(path):
    """The --out directory, made and proven writable before any fit."""
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _CLIError(f"cannot create output directory {str(out)!r}: {error.strerror}") from None
    try:  # before the search, not after it: write a probe file (modes lie to root)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as error:
        raise _CLIError(f"cannot write to output directory {str(out)!r}: {error.strerror}; "
                        "choose another --out") from None
    return out


def _candidates(n):
    return f"{n} candidate" if n == 1 else f"{n} candidates"


def _say_plan(say, job, X, cv, grid, args, season):
    """The preamble: the data, the season, the target(s), the folds and the grid."""
    _say_data(say, job)
    if season:
        say(f"season:   {season}")
    target, features, horizon = job.target, job.features, args.horizon
    n_splits = cv.get_n_splits()
    if job.long:
        say(f"target:   {target}, forecast {horizon} step(s) ahead by one network for every "
            "series" + (f", from {', '.join(map(str, features))} too" if features else ""))
    if not job.long and job.panel:
        named = ", ".join(target[:MAX_PRINTED_SERIES]) + (
            f" and {len(target) - MAX_PRINTED_SERIES} more" if len(target) > MAX_PRINTED_SERIES
            else "")
        say(f"targets:  {len(target)} series, one shared network: {named}")
        say(f"          forecast {horizon} step(s) ahead from the series"
            + (f" and {', '.join(features[len(target):])}" if len(features) > len(target)
               else ""))
    elif not job.long:
        say(f"target:   {target}, forecast {horizon} step(s) ahead from "
            f"{', '.join(map(str, features))}")
    if job.future:
        say(f"future:   {', '.join(map(str, job.future))} known {horizon} step(s) ahead "
            f"(--future): the forecast reads the {horizon} rows after "
            + ("each series' data" if job.long else "the data"))
    if job.calendar:
        from ._calendar import COLUMNS

        made = [c for c in X.columns if c in COLUMNS]
        say(f"calendar: {', '.join(made)} (--calendar), from the dates")
    if job.long:
        say(f"CV:       PanelSplit(n_splits={n_splits}): the next {horizon} step(s) of every "
            "series, right after its training rows")
    else:
        test_size = len(X) // (n_splits + 1)
        say(f"CV:       TimeSeriesSplit(n_splits={n_splits}) on {len(X)} framed rows, "
            f"test folds of {test_size} rows")
    n_candidates = len(grid["sequence_length"]) * len(grid["units"])
    say(f"grid:     sequence_length {grid['sequence_length']} x units {grid['units']} = "
        f"{_candidates(n_candidates)}; {n_candidates * n_splits + 1} fits in all "
        f"({n_candidates} x {n_splits} folds, then the best refitted on all rows)")


def _say_data(say, job):
    """The preamble's first line: the data read."""
    frame = job.frame
    ahead = "" if job.ahead is None else f"; {len(job.ahead)} rows ahead (--future)"
    if job.long:
        say(f"data:     {job.source}: {len(frame)} rows, {len(job.names)} series (long, by "
            f"{job.series!r} and {job.time!r}){ahead}")
    else:
        say(f"data:     {job.source}: {len(frame)} rows, {_describe_index(frame.index)}{ahead}")


def _grid_search(args, X, y, job, cv, grid, errors):
    """The fitted GridSearchCV and its scorer, which kept every fold's predictions.

    Candidates x folds fits and one refit of the best on all rows: nothing else
    trains a network.
    """
    import joblib
    from sklearn.model_selection import GridSearchCV

    from ._forecaster import LSTMForecaster
    from ._progress import fit_progress

    params = {} if args.epochs is None else {"epochs": args.epochs}
    model = LSTMForecaster(target_column=0 if job.long else job.target,
                           season_length=_seasons(args.season_length),
                           max_steps=args.max_steps or "auto", random_state=args.seed,
                           validation_fraction=VALIDATION_FRACTION, **params)
    scorer = _FoldScorer(errors, candidate=tuple(grid))
    search = GridSearchCV(model, grid, cv=cv, scoring=scorer, refit=next(iter(errors)),
                          n_jobs=args.n_jobs, error_score="raise")
    n_fits = len(grid["sequence_length"]) * len(grid["units"]) * cv.get_n_splits() + 1
    # threads share the imports and compiled steps; worker processes would
    # each import Keras and JAX first (see docs/performance.md)
    with joblib.parallel_config(backend="threading"), \
            fit_progress(n_fits, disable=args.quiet, desc="fitting") as bar, \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # --epochs warned once, in main
        try:
            search.fit(X, y)
        except ValueError as error:
            raise _CLIError(str(error)) from None
        bar.update(1)  # the refit of the best candidate, outside joblib
    return search, scorer


def _persistence_scores(X, y, job, cv, errors):
    """Persistence's errors on the same folds (``cross_validate``'s results)."""
    from sklearn.model_selection import cross_validate

    from ._baselines import PersistenceRegressor

    target = job.target if not job.long else 0
    return cross_validate(PersistenceRegressor(target_column=target), X, y, cv=cv,
                          scoring=_FoldScorer(errors))


def _forecast_next(model, job, args):
    """The next --horizon steps and their --coverage interval (a panel's: long)."""
    from ._forecast import forecast

    # the columns fitted on: the data's, then the calendar's, which forecast makes
    features = list(model.feature_names_in_)
    ahead = {} if job.ahead is None else {"future": job.ahead}
    try:
        if job.long:
            fc = forecast(model, job.frame, target=job.target, series=job.series,
                          time=job.time, features=features, coverage=args.coverage, **ahead)
        else:
            fc = forecast(model, job.frame, target=job.target, features=features,
                          horizon=args.horizon, coverage=args.coverage,
                          **({"layout": "long"} if job.panel else {}), **ahead)
    except ValueError as error:  # rows ahead that are not the next steps (a gap)
        if job.ahead is None or not str(error).startswith("future "):
            raise
        raise _CLIError(f"--future {' '.join(map(str, job.future))}: the rows ahead are not "
                        f"the next --horizon {args.horizon} steps: {error}") from None
    fc.attrs["coverage"] = args.coverage
    return fc


def _write_results(out, job, X, y, cv, search, table, oof, by_series, fc, args, score_label):
    """The CSV files and the four figures."""
    table.to_csv(out / "cv_results.csv", index=False)
    if job.long:
        oof.to_csv(out / "cv_predictions.csv")
        fc.to_csv(out / "forecast.csv", index=False)
    else:
        label = job.frame.index.name or "step"
        oof.to_csv(out / "cv_predictions.csv", index_label=label)
        fc.to_csv(out / "forecast.csv", index_label=label)
    if by_series is not None:
        by_series.to_csv(out / "cv_series.csv")
    _save_plots(out, job, X, y, cv, search, oof, fc, args.horizon, args.coverage, score_label)


def _print_results(out, job, search, table, metrics, labels, by_series, fc, args):
    """The scores of every candidate and persistence, the best, the forecast, the files."""
    from ._conformal import few_rows_warning
    from .plotting import _format_mean_std

    panel, horizon, target = job.panel, args.horizon, job.target
    steps = f" (averaged over the {horizon} steps ahead)" if horizon > 1 else ""
    print(f"\nCross-validated error over {args.splits} folds{steps}, mean ± std; lower is better")
    if panel:
        print(f"scale-free: each series' MAE and RMSE over persistence's on the same rows, "
              f"then the mean over the {len(job.names)} series; below 1 beats persistence")
    print(_format_scores(table, metrics, labels))
    best_row = table.iloc[0]
    best_params = ", ".join(f"{k}={v}" for k, v in sorted(search.best_params_.items()))
    print(f"\nbest: {best_params}: {labels[0]} "
          f"{_format_mean_std(best_row[f'{metrics[0]}_mean'])}, "
          f"{abs(best_row['mae_vs_persistence']):.1%} "
          f"{'lower' if best_row['mae_vs_persistence'] < 0 else 'higher'} than persistence")
    if panel:
        _print_series_table(by_series)
        _print_panel_forecast(fc, job, horizon, args.coverage)
    else:
        print(f"\nforecast of {target} for the next {horizon} step(s), "
              f"{args.coverage:.0%} interval:")
        print(_first_steps(fc.round(2)).to_string())
        if horizon > MAX_PRINTED_STEPS:
            print(f"(the first {MAX_PRINTED_STEPS} of the {horizon} steps: every step is in "
                  "forecast.csv)")
    warning = few_rows_warning(len(search.best_estimator_.conformity_scores_), args.coverage)
    if warning:
        sys.stdout.flush()  # the warning follows the interval it is about
        print(f"sklstm: warning: {warning}", file=sys.stderr)
    _print_next_steps(args, job, search, best_row)
    print(f"\nwrote to {out}/:")
    files = {name: what for name, what in FILES.items()
             if panel or name != "cv_series.csv"}
    width = max(map(len, files))
    for name, what in files.items():
        print(f"  {name:<{width}}  {what.replace(' (several targets)', '')}")


def _load_long(args):
    """A long CSV: the frame, its series, time and target columns, and the features."""
    if args.data is None:
        raise _CLIError("--series reads long data from DATA.csv (one row per series and time)")
    frame = _read_csv(args.data)
    columns = list(frame.columns)
    if args.series not in columns:
        raise _unknown_column(args.series, "--series", columns)
    time = args.date_column
    if time is None:
        found = [c for c in columns if str(c).strip().lower() in DATE_NAMES]
        if not found:
            raise _CLIError(f"long data needs a time column: name it with --date-column "
                            f"(none of {list(columns)} is called {', '.join(DATE_NAMES)})")
        time = found[0]
    elif time not in columns:
        raise _unknown_column(time, "--date-column", columns)
    frame[time] = _read_times(frame[time], time, args.date_format)
    for option, names in (("--features", args.features), ("--future", args.future)):
        for column in names:  # before the target is inferred from the other columns
            if column not in columns:
                raise _unknown_column(column, option, columns)
    others = [c for c in columns if c not in (args.series, time, *args.features, *args.future)]
    if args.target:
        if len(args.target) != 1:
            raise _CLIError("with --series, --target names the one column of values "
                            f"(long data holds every series in it), got {args.target}")
        target = args.target[0]
        if target not in columns:
            raise _unknown_column(target, "--target", columns)
    else:
        numeric = _numeric_columns(frame[others])
        if len(numeric) != 1:
            raise _CLIError(f"--target is required: choose the column of values among {others}")
        target = numeric[0]
    frame, ahead = _rows_ahead(args, frame, [target], series=args.series, time=time)
    for column, option in ((target, "--target"), *((f, "--features") for f in args.features)):
        frame[column] = _numbers(frame, column, option,
                                 plan_hint=option == "--target" and not args.future)
    features = list(dict.fromkeys([*args.features, *args.future]))
    return _Job(frame, target, features, str(args.data), series=args.series, time=time,
                future=args.future, ahead=ahead)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
